#!/usr/bin/env python3
"""Socket puppet for the rsttrace integration tests.

Runs inside a network namespace (`ip netns exec NS python3 peer.py`) and
executes one command per stdin line, answering one line on stdout that
starts with "ok" (or "error ..." when the command itself failed).  The test
drives the exact order of socket operations, so each scenario is
deterministic, and the sockets are owned by this process: its pid is the
owner rsttrace must report.

Commands (NAME labels a socket or a group of sockets):
  listen NAME FAMILY ADDR PORT BACKLOG [V6ONLY]  -> ok PORT
  connect NAME FAMILY ADDR PORT                  -> ok RESULT LPORT
      RESULT is "connected" or the errno name (ECONNREFUSED ...)
  accept NAME LISTENER                           -> ok RPORT
  send NAME NBYTES                               -> ok
  wait_unread NAME NBYTES   wait until NBYTES sit unread in the receive queue
  linger0 NAME              SO_LINGER {1, 0}: close() will send a RST
  shutdown NAME             shutdown(SHUT_RDWR): FIN sent, socket kept open
  close NAME
  result NAME               -> ok ECONNRESET | eof | data | pending
  sockerr NAME              -> ok ERRNO: the socket's pending error (SO_ERROR),
                               waiting for one to appear
  burst NAME FAMILY ADDR PORT COUNT SECONDS [UDPCOUNT UDPSIZE]
      COUNT concurrent non-blocking connects, each sending one byte once
      connected; -> ok connected=A failed=B pending=C lports=P1,P2,...
      Every socket is made before the first connect; UDPCOUNT datagrams of
      UDPSIZE bytes to ADDR:9 are sent between the two (see cmd_burst)
  burst_result NAME         -> ok reset=A alive=B pending=C
  connect_kill FAMILY ADDR PORT PID
      connect (expected to be refused), then SIGINT to PID straight away
      -> ok RESULT LPORT
  exit
Every blocking step is bounded (TIMEOUT seconds).
"""

import errno
import fcntl
import os
import select
import signal
import socket
import struct
import sys
import termios
import time

TIMEOUT = 5.0

sockets = {}   # NAME -> socket
groups = {}    # NAME -> [socket]
sticky = {}    # socket -> the error it reported (the kernel reports it only once)


def family_of(word):
    return socket.AF_INET6 if word == "6" else socket.AF_INET


def new_socket(family):
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.settimeout(TIMEOUT)
    return sock


def errname(err):
    return errno.errorcode.get(err, str(err))


def bind_any(sock, family):
    """Bind to an ephemeral port first so the local port is known even when
    connect() fails (the kernel forgets it once the socket is closed)."""
    sock.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", 0))
    return sock.getsockname()[1]


def cmd_listen(name, fam, addr, port, backlog, v6only="1"):
    family = family_of(fam)
    sock = new_socket(family)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, int(v6only))
    sock.bind((addr, int(port)))
    sock.listen(int(backlog))
    sockets[name] = sock
    return str(sock.getsockname()[1])


def do_connect(fam, addr, port):
    family = family_of(fam)
    sock = new_socket(family)
    lport = bind_any(sock, family)
    err = sock.connect_ex((addr, int(port)))
    return sock, ("connected" if err == 0 else errname(err)), lport


def cmd_connect(name, fam, addr, port):
    sock, result, lport = do_connect(fam, addr, port)
    sockets[name] = sock
    return "%s %d" % (result, lport)


def cmd_connect_kill(fam, addr, port, pid):
    sock, result, lport = do_connect(fam, addr, port)
    os.kill(int(pid), signal.SIGINT)
    sock.close()
    return "%s %d" % (result, lport)


def cmd_accept(name, listener):
    conn, peer = sockets[listener].accept()
    conn.settimeout(TIMEOUT)
    sockets[name] = conn
    return str(peer[1])


def cmd_send(name, nbytes):
    sockets[name].sendall(b"x" * int(nbytes))
    return ""


def unread_bytes(sock):
    buf = fcntl.ioctl(sock.fileno(), termios.FIONREAD, b"\0\0\0\0")
    return struct.unpack("i", buf)[0]


def cmd_wait_unread(name, nbytes):
    deadline = time.monotonic() + TIMEOUT
    while unread_bytes(sockets[name]) < int(nbytes):
        if time.monotonic() > deadline:
            raise TimeoutError("only %d bytes unread" % unread_bytes(sockets[name]))
        time.sleep(0.005)
    return ""


def cmd_linger0(name):
    sockets[name].setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                             struct.pack("ii", 1, 0))
    return ""


def cmd_shutdown(name):
    sockets[name].shutdown(socket.SHUT_RDWR)
    return ""


def cmd_close(name):
    sockets.pop(name).close()
    return ""


def socket_result(sock, wait):
    """What the application would see on this socket now: ECONNRESET, eof,
    data, or pending (nothing yet)."""
    ready, _, _ = select.select([sock], [], [], wait)
    if not ready:
        return "pending"
    try:
        data = sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except BlockingIOError:
        return "pending"
    except OSError as exc:
        return errname(exc.errno)
    return "data" if data else "eof"


def cmd_result(name):
    return socket_result(sockets[name], TIMEOUT)


def cmd_sockerr(name):
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        err = sockets[name].getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err:
            return errname(err)
        time.sleep(0.005)
    return "none"


def send_filler(family, addr, count, size):
    udp = socket.socket(family, socket.SOCK_DGRAM)
    try:
        for _ in range(count):
            udp.sendto(b"u" * size, (addr, 9))
    finally:
        udp.close()


def cmd_burst(name, fam, addr, port, count, seconds, udpcount="0", udpsize="0"):
    """Open COUNT connections at once; send one byte on each as soon as it is
    established (so an overflowing final ACK is followed by data).

    Every socket is made and bound before the first connect, so the SYNs
    leave back to back however slowly this machine makes sockets (a guest
    under TCG, docs/kernels.md).  The UDP datagrams, sent in between, occupy
    a shaped link (tbf): they empty its bucket and the SYNs queue behind
    them, so every SYN is ahead of the first handshake's final ACK.  Without
    them a bucket refilled while the test talked to this peer lets the
    first SYN and its final ACK through at once: on a 6.12 guest, and on the
    host with 0.1 s between the queue-filling connects and the burst, that
    handshake completed and the other 27 SYNs overflowed the accept queue."""
    family = family_of(fam)
    socks, lports = [], []
    for _ in range(int(count)):
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setblocking(False)
        lports.append(bind_any(sock, family))
        socks.append(sock)
    send_filler(family, addr, int(udpcount), int(udpsize))
    for sock in socks:
        sock.connect_ex((addr, int(port)))
    groups[name] = socks
    waiting = set(socks)
    connected = failed = 0
    deadline = time.monotonic() + float(seconds)
    while waiting and time.monotonic() < deadline:
        _, writable, _ = select.select([], list(waiting), [], 0.05)
        for sock in writable:
            waiting.discard(sock)
            # Reading SO_ERROR clears it: a reset that came before this
            # look is remembered, or burst_result would call it eof (in
            # a 6.12 guest both reset clients of overflow_abort did so).
            # ECONNRESET is a socket past SYN_SENT (a reset there is
            # ECONNREFUSED): it connected, then was reset.
            err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                sticky[sock] = errname(err)
            if err in (0, errno.ECONNRESET):
                connected += 1
                try:
                    sock.send(b"x")
                except OSError:
                    pass
            else:
                failed += 1
    return "connected=%d failed=%d pending=%d lports=%s" % (
        connected, failed, len(waiting), ",".join(map(str, lports)))


def cmd_burst_result(name):
    tally = {}
    for sock in groups[name]:
        res = sticky.get(sock) or socket_result(sock, 0)
        tally[res] = tally.get(res, 0) + 1
    return " ".join("%s=%d" % kv for kv in sorted(tally.items()))


COMMANDS = {
    "listen": cmd_listen, "connect": cmd_connect, "accept": cmd_accept,
    "send": cmd_send, "wait_unread": cmd_wait_unread, "linger0": cmd_linger0,
    "shutdown": cmd_shutdown, "close": cmd_close, "result": cmd_result,
    "sockerr": cmd_sockerr, "burst": cmd_burst, "burst_result": cmd_burst_result,
    "connect_kill": cmd_connect_kill,
}


def main():
    print("hello pid=%d" % os.getpid(), flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "exit":
            break
        try:
            out = COMMANDS[words[0]](*words[1:])
            print(("ok " + out).rstrip(), flush=True)
        except Exception as exc:  # report, keep serving: the test decides
            print("error %s: %s" % (words[0], exc), flush=True)


if __name__ == "__main__":
    main()
