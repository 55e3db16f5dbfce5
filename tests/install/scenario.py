"""Resets and an accept-queue overflow, run inside a throw-away namespace
(python3 scenario.py): five refused connections (a storm the kernel folds
after --fold-after 3), then a listener with backlog 1 that never accepts,
four clients (one SYN-path overflow at least), and the listener closed with
connections still queued (resets to the clients)."""

import socket
import time

CLOSED_PORT = 4242
LISTEN_PORT = 8099

for _ in range(5):
    s = socket.socket()
    try:
        s.connect(("127.0.0.1", CLOSED_PORT))
    except ConnectionRefusedError:
        pass
    s.close()

srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", LISTEN_PORT))
srv.listen(1)
clients = []
for _ in range(4):
    c = socket.socket()
    c.setblocking(False)
    c.connect_ex(("127.0.0.1", LISTEN_PORT))
    clients.append(c)
    time.sleep(0.05)
time.sleep(0.3)
srv.close()
time.sleep(0.2)
for c in clients:
    c.close()
print("done")
