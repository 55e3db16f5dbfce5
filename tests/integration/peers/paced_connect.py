#!/usr/bin/env python3
"""COUNT non-blocking connects to 127.0.0.1:PORT at RATE per second, for
cases_limits.py; prints the CLOCK_MONOTONIC time of each connect() as
"connects T1,T2,...", keeps the sockets open HOLD seconds, then exits.

  paced_connect.py PORT COUNT RATE HOLD
"""

import socket
import sys
import time


def main():
    port, count = int(sys.argv[1]), int(sys.argv[2])
    rate, hold = float(sys.argv[3]), float(sys.argv[4])
    socks, times = [], []
    start = time.monotonic()
    for i in range(count):
        pause = start + i / rate - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        times.append(time.monotonic())
        sock.connect_ex(("127.0.0.1", port))
        socks.append(sock)
    print("connects " + ",".join("%.6f" % t for t in times), flush=True)
    time.sleep(hold)
    for sock in socks:
        sock.close()


if __name__ == "__main__":
    main()
