#!/usr/bin/env python3
"""COUNT HTTP/1.0 requests to 127.0.0.1:PORT, their connects paced at RATE
per second, for cases_limits.py (nginx): the client's half of the ground
truth of accept-queue waits.

  http_burst.py PORT COUNT RATE TIMEOUT

Each connect() is non-blocking; when the socket becomes writable (the
handshake completed: on loopback the server's child is queued within
microseconds of the client receiving the SYN-ACK) the client takes the
time, sends "GET / HTTP/1.0" and reads the response to its end. Prints one
JSON object: {"conns": [[local port, connect() time, handshake time,
response time or null, retransmitted], ...]}, times from CLOCK_REALTIME
(nginx logs $msec from gettimeofday()). retransmitted: TCP_INFO's
tcpi_total_retrans grew after the handshake: the handshake's ACK and the
request met a full accept queue and were dropped (tcp_abort_on_overflow
0), so the server queued the connection later than the client's handshake
time says: its wait is unknown. Bounded: gives up after TIMEOUT seconds.
"""

import json
import select
import socket
import struct
import sys
import time

REQUEST = b"GET / HTTP/1.0\r\nHost: t\r\n\r\n"


def total_retrans(sock):
    # struct tcp_info: tcpi_total_retrans at offset 100.
    info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    return struct.unpack_from("=I", info, 100)[0]


def main():
    port, count = int(sys.argv[1]), int(sys.argv[2])
    rate, timeout = float(sys.argv[3]), float(sys.argv[4])
    ep = select.epoll()
    socks, conns, retrans = {}, {}, {}
    start = time.monotonic()
    deadline = start + timeout
    opened = done = 0
    while done < count and time.monotonic() < deadline:
        if opened < count and time.monotonic() >= start + opened / rate:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setblocking(False)
            t = time.time()
            sock.connect_ex(("127.0.0.1", port))
            socks[sock.fileno()] = sock
            conns[sock.fileno()] = [sock.getsockname()[1], t, None, None, False]
            ep.register(sock.fileno(), select.EPOLLOUT)
            opened += 1
            continue
        wait = start + opened / rate - time.monotonic() if opened < count else 0.05
        for fd, events in ep.poll(max(0.0, min(wait, 0.05))):
            sock, rec = socks[fd], conns[fd]
            if rec[2] is None:
                now = time.time()
                if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                    ep.unregister(fd)
                    done += 1
                    continue
                rec[2] = now
                retrans[fd] = total_retrans(sock)
                sock.send(REQUEST)
                ep.modify(fd, select.EPOLLIN)
                continue
            if rec[3] is None:
                rec[3] = time.time()
            try:
                data = sock.recv(65536)
            except BlockingIOError:
                continue
            if not data:
                rec[4] = total_retrans(sock) > retrans[fd]
                ep.unregister(fd)
                done += 1
    print(json.dumps({"conns": [conns[fd] for fd in sorted(conns)]}), flush=True)
    for sock in socks.values():
        sock.close()


if __name__ == "__main__":
    main()
