#!/usr/bin/env python3
"""A server too slow for its clients, for cases_limits.py.

  slow_accept.py PORT BACKLOG INTERVAL SECONDS [DELAY]

listen(BACKLOG) on 127.0.0.1:PORT, print "listening", then accept one
connection every INTERVAL seconds for SECONDS, and print the CLOCK_MONOTONIC
time of every accept() as "accepts T1,T2,...": the ground truth the test
compares rsttrace's accept rate with. INTERVAL 0 accepts as fast as it can.
Also prints "waits W1,W2,..." (seconds): how long each accepted connection
had waited, as the kernel's own clock says it (TCP_INFO's tcpi_last_ack_recv
and tcpi_last_data_recv: the time since the handshake completed, in ms of
jiffies, for a connection that has sent nothing since; the smaller of the
two), "-" for one that was no longer ESTABLISHED. Bounded: exits after
SECONDS. DELAY: seconds before the first accept().

SECONDS and DELAY count from the first connection in the accept queue, not
from listen(): the client is started after "listening" and may take
seconds to start (a guest under TCG: the listener had closed before the
first of 500 connects, which were all refused). At most START_WAIT seconds
are waited for it.
"""

import select
import socket
import struct
import sys
import time

TCP_ESTABLISHED = 1
START_WAIT = 60.0


def waited(conn):
    """Seconds since the connection's handshake completed, per TCP_INFO."""
    info = conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    state = info[0]
    # struct tcp_info: 8 bytes of u8, then u32 rto, ato, snd_mss, rcv_mss,
    # unacked, sacked, lost, retrans, fackets, last_data_sent,
    # last_ack_sent, last_data_recv (offset 52), last_ack_recv (56).
    data_recv, ack_recv = struct.unpack_from("=II", info, 52)
    if state != TCP_ESTABLISHED:
        return None
    return min(data_recv, ack_recv) / 1000.0


def main():
    port, backlog = int(sys.argv[1]), int(sys.argv[2])
    interval, seconds = float(sys.argv[3]), float(sys.argv[4])
    delay = float(sys.argv[5]) if len(sys.argv) > 5 else 0.0
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(backlog)
    srv.settimeout(interval if interval > 0 else 0.05)
    print("listening", flush=True)
    select.select([srv], [], [], START_WAIT)
    if delay > 0:
        time.sleep(delay)
    accepted, conns, waits = [], [], []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            conn, _ = srv.accept()
        except socket.timeout:
            continue
        now = time.monotonic()
        accepted.append(now)
        waits.append(waited(conn))
        conns.append(conn)
        # The next accept() INTERVAL after this one, however long the queue.
        pause = now + interval - time.monotonic()
        if pause > 0:
            time.sleep(pause)
    print("accepts " + ",".join("%.6f" % t for t in accepted), flush=True)
    print("waits " + ",".join("-" if w is None else "%.3f" % w for w in waits), flush=True)
    for conn in conns:
        conn.close()
    srv.close()


if __name__ == "__main__":
    main()
