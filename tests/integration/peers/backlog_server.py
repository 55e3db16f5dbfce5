#!/usr/bin/env python3
"""A TCP server with a small listen() backlog, as an overloaded service.

    backlog_server.py ADDR PORT BACKLOG MODE

MODE "never": listen and never accept (the accept queue fills and stays
full). MODE "http": accept one connection at a time, read the request
head, answer "HTTP/1.1 200 OK" with a short body and close: a server
that serves fast once it accepts, with every waiting client in its
queues. MODE "http:MS": the same, MS milliseconds per connection (a
server that accepts slowly, so its accept queue stays full). Prints
"ready" once listening; exits when stdin closes.
"""

import select
import socket
import sys
import time

BODY = b"ok\n"
RESPONSE = (b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
            % len(BODY)) + BODY


def serve_one(lsock, delay):
    conn, _ = lsock.accept()
    time.sleep(delay)
    conn.settimeout(5)
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
        if data:
            conn.sendall(RESPONSE)
    except OSError:
        pass
    conn.close()


def main():
    addr, port, backlog, mode = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind((addr, port))
    lsock.listen(backlog)
    print("ready", flush=True)
    delay = float(mode.split(":")[1]) / 1000 if mode.startswith("http:") else 0
    watch = [sys.stdin] + ([lsock] if mode.startswith("http") else [])
    while True:
        ready, _, _ = select.select(watch, [], [])
        if sys.stdin in ready and not sys.stdin.readline():
            break
        if lsock in ready:
            serve_one(lsock, delay)
    lsock.close()


if __name__ == "__main__":
    main()
