#!/usr/bin/env python3
"""A client that opens COUNT connections at once (non-blocking connect) to
ADDR:PORT, waits until each is connected or failed (at most WAIT seconds),
prints one JSON line {"pid", "results": {local port: "connected" or an
errno name, "pending" if still connecting}}, then keeps the sockets open
until its stdin closes or says "close", and closes them (normal close()).

    connects.py ADDR PORT COUNT WAIT [UDPCOUNT UDPSIZE]

With UDPCOUNT, that many UDP datagrams of UDPSIZE bytes go to ADDR:9 first:
behind a tbf qdisc they empty the bucket, so that every SYN of the burst
waits behind them and reaches the server before the first handshake ACK.
"""

import errno
import json
import os
import select
import socket
import sys
import time


def main():
    addr, port, count, wait = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    if len(sys.argv) > 6:
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for _ in range(int(sys.argv[5])):
            udp.sendto(b"x" * int(sys.argv[6]), (addr, 9))
        udp.close()
    socks = []
    for _ in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        err = s.connect_ex((addr, port))
        if err not in (0, errno.EINPROGRESS):
            raise SystemExit("connect: %s" % os.strerror(err))
        socks.append(s)
    ports = {s.fileno(): s.getsockname()[1] for s in socks}
    results = {}
    pending = {s.fileno(): s for s in socks}
    deadline = time.monotonic() + wait
    poller = select.poll()
    for fd in pending:
        poller.register(fd, select.POLLOUT)
    while pending and time.monotonic() < deadline:
        for fd, _ in poller.poll(max(0, deadline - time.monotonic()) * 1000):
            s = pending.pop(fd, None)
            if s is None:
                continue
            poller.unregister(fd)
            err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            results[ports[fd]] = "connected" if err == 0 else errno.errorcode.get(err, str(err))
    for fd in pending:
        results[ports[fd]] = "pending"
    print(json.dumps({"pid": os.getpid(), "results": results}), flush=True)
    for line in sys.stdin:
        if line.strip() == "close":
            break
    for s in socks:
        s.close()


if __name__ == "__main__":
    main()
