#!/usr/bin/env python3
"""A server too slow for its clients, for cases_limits.py.

  slow_accept.py PORT BACKLOG INTERVAL SECONDS

listen(BACKLOG) on 127.0.0.1:PORT, print "listening", then accept one
connection every INTERVAL seconds for SECONDS, and print the CLOCK_MONOTONIC
time of every accept() as "accepts T1,T2,...": the ground truth the test
compares rsttrace's accept rate with. Bounded: exits after SECONDS.
"""

import socket
import sys
import time


def main():
    port, backlog = int(sys.argv[1]), int(sys.argv[2])
    interval, seconds = float(sys.argv[3]), float(sys.argv[4])
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(backlog)
    srv.settimeout(interval)
    print("listening", flush=True)
    accepted, conns = [], []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            conn, _ = srv.accept()
        except socket.timeout:
            continue
        now = time.monotonic()
        accepted.append(now)
        conns.append(conn)
        # The next accept() INTERVAL after this one, however long the queue.
        pause = now + interval - time.monotonic()
        if pause > 0:
            time.sleep(pause)
    print("accepts " + ",".join("%.6f" % t for t in accepted), flush=True)
    for conn in conns:
        conn.close()
    srv.close()


if __name__ == "__main__":
    main()
