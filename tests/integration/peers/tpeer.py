#!/usr/bin/env python3
"""xpeer.py with the servers and clients of cases_truth.py: scenarios where
several connections run at once, so each runs in a thread of its own.  Same
protocol ("hello pid=N", one "ok ..." answer per command line).

Extra commands:
  ka_server NAME ADDR PORT BACKLOG DELAY IDLE COUNT
        listen(BACKLOG) on ADDR:PORT, answer at once; a thread starts
        accepting DELAY seconds later, COUNT connections; each gets its
        answer to a 20-byte request (30 bytes), then is closed after IDLE
        seconds without a new request (a keep-alive server)
  ka_wait NAME              wait until the ka_server threads are done
                            -> ok accepted=N
  ka_clients ADDR PORT COUNT WAIT
        COUNT concurrent clients: connect, 20-byte request, 30-byte
        answer, WAIT seconds idle, a second request on the same
        connection, then what the socket reports
        -> ok lports=P1,... results=R1,... (one per client, in order:
           the socket error (ECONNRESET, EPIPE), "ok" or the exception)
  linger2 NAME SECONDS      TCP_LINGER2 on a socket (orphan FIN_WAIT2 time)
  fork_linger0_close NAME   a fork-per-connection server's child: fork, this
                            process closes its descriptor of NAME, then the
                            child sets SO_LINGER {1, 0} and closes the last
                            one (a reset sent from the child) and exits
                            -> ok CHILDPID
  listen_rp NAME ADDR PORT BACKLOG   listen with SO_REUSEPORT -> ok PORT
  accept_all NAME [DELAY [PACE]]
                            a thread accepts on listener NAME until exit,
                            starting DELAY seconds later, PACE seconds
                            between accepts -> ok
  pin CPU                   run this process on CPU only
  rename NAME               set this process's name (comm), UTF-8 allowed
"""

import os
import socket
import struct
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

import peer  # noqa: E402
import xpeer  # noqa: E402,F401  (registers its commands in peer.COMMANDS)

servers = {}   # NAME -> (thread, [accepted count])


def recv_exactly(sock, want):
    got = b""
    while len(got) < want:
        data = sock.recv(want - len(got))
        if not data:
            raise EOFError("eof after %d of %d bytes" % (len(got), want))
        got += data
    return got


def serve_one(conn, idle):
    try:
        recv_exactly(conn, 20)
        conn.sendall(b"r" * 30)
        conn.settimeout(float(idle))
        try:
            if conn.recv(1):      # a new request in time: not this scenario
                return
        except socket.timeout:
            pass
    except OSError:
        pass
    finally:
        conn.close()


def accept_later(lsock, delay, idle, count, accepted):
    time.sleep(float(delay))
    workers = []
    lsock.settimeout(15)
    try:
        for _ in range(int(count)):
            conn, _ = lsock.accept()
            conn.settimeout(peer.TIMEOUT)
            accepted[0] += 1
            t = threading.Thread(target=serve_one, args=(conn, idle), daemon=True)
            t.start()
            workers.append(t)
    except OSError:
        pass
    for t in workers:
        t.join(20)


def cmd_ka_server(name, addr, port, backlog, delay, idle, count):
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind((addr, int(port)))
    lsock.listen(int(backlog))
    peer.sockets[name] = lsock
    accepted = [0]
    t = threading.Thread(target=accept_later, args=(lsock, delay, idle, count, accepted),
                         daemon=True)
    t.start()
    servers[name] = (t, accepted)
    return str(lsock.getsockname()[1])


def cmd_ka_wait(name):
    t, accepted = servers[name]
    t.join(40)
    return "accepted=%d" % accepted[0]


def one_client(addr, port, wait, slot, lports, results):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("0.0.0.0", 0))
        lports[slot] = sock.getsockname()[1]
        sock.settimeout(15)
        sock.connect((addr, int(port)))
        sock.sendall(b"q" * 20)
        recv_exactly(sock, 30)
        time.sleep(float(wait))
        try:
            sock.sendall(b"q" * 20)
        except OSError as exc:
            results[slot] = peer.errname(exc.errno)
            return
        deadline = time.monotonic() + peer.TIMEOUT
        while time.monotonic() < deadline:
            err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                results[slot] = peer.errname(err)
                return
            time.sleep(0.005)
        results[slot] = "ok"
    except Exception as exc:  # reported to the test, which decides
        results[slot] = type(exc).__name__
    finally:
        sock.close()


def cmd_ka_clients(addr, port, count, wait):
    n = int(count)
    lports, results = [0] * n, ["none"] * n
    threads = [threading.Thread(target=one_client, args=(addr, port, wait, i, lports, results),
                                daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(40)
    return "lports=%s results=%s" % (",".join(map(str, lports)), ",".join(results))


def cmd_linger2(name, seconds):
    peer.sockets[name].setsockopt(socket.IPPROTO_TCP, socket.TCP_LINGER2, int(seconds))
    return ""


def cmd_fork_linger0_close(name):
    sock = peer.sockets.pop(name)
    go_r, go_w = os.pipe()
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(go_w)
            os.read(go_r, 1)          # the parent has closed its descriptor
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
        finally:
            os._exit(0)
    os.close(go_r)
    sock.close()
    os.write(go_w, b"x")
    os.close(go_w)
    os.waitpid(pid, 0)
    return str(pid)


def cmd_listen_rp(name, addr, port, backlog):
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    lsock.bind((addr, int(port)))
    lsock.listen(int(backlog))
    peer.sockets[name] = lsock
    return str(lsock.getsockname()[1])


def accept_loop(lsock, held, delay, pace=0.0):
    time.sleep(delay)
    while True:
        try:
            conn, _ = lsock.accept()
        except OSError:
            return
        held.append(conn)
        if pace:
            time.sleep(pace)


def cmd_accept_all(name, delay="0", pace="0"):
    lsock = peer.sockets[name]
    lsock.settimeout(None)
    held = []
    peer.groups[name + "_accepted"] = held
    threading.Thread(target=accept_loop, args=(lsock, held, float(delay), float(pace)),
                     daemon=True).start()
    return ""


def cmd_rename(name):
    with open("/proc/self/comm", "w", encoding="utf-8") as f:
        f.write(name)
    return ""


def cmd_pin(cpu):
    os.sched_setaffinity(0, {int(cpu)})
    return ""


peer.COMMANDS.update({
    "fork_linger0_close": cmd_fork_linger0_close, "listen_rp": cmd_listen_rp,
    "accept_all": cmd_accept_all, "pin": cmd_pin, "rename": cmd_rename,
    "ka_server": cmd_ka_server, "ka_wait": cmd_ka_wait, "ka_clients": cmd_ka_clients,
    "linger2": cmd_linger2,
})

if __name__ == "__main__":
    peer.main()
