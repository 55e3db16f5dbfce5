#!/usr/bin/env python3
"""One traffic generator of the rsttrace soak test (tests/soak.py).

    ip netns exec CLIENT_NS python3 worker.py '<json config>'

The process runs in the client namespace; sockets that belong to a server
namespace (listeners) are created after setns() into it (sockets keep the
namespace they were created in), then the process switches back.  So one
single-threaded process drives both ends of its connections in a fixed
order, and nothing here ever touches the root namespace.

Config keys: role, seconds, rate (iterations per second), max_iter, and the
role's own keys (see the ROLES table at the bottom).  Every loop is bounded
by time and by count, every blocking call by a timeout.  At the end one
JSON object with the outcome counts is printed on stdout.
"""

import collections
import ctypes
import errno
import json
import os
import random
import select
import socket
import struct
import sys
import time

TIMEOUT = 2.0          # any single blocking socket call
CLONE_NEWNET = 0x40000000

_libc = ctypes.CDLL(None, use_errno=True)
_home_fd = os.open("/proc/self/ns/net", os.O_RDONLY)
stats = collections.Counter()


def _setns(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, "setns: " + os.strerror(err))


class in_netns:
    """with in_netns("/var/run/netns/NAME"): sockets created here live there."""

    def __init__(self, path):
        self.path = path

    def __enter__(self):
        fd = os.open(self.path, os.O_RDONLY)
        try:
            _setns(fd)
        finally:
            os.close(fd)

    def __exit__(self, *exc):
        _setns(_home_fd)
        return False


def family(fam):
    return socket.AF_INET6 if fam == "ipv6" else socket.AF_INET


def errname(err):
    return errno.errorcode.get(err, str(err))


def note_error(where, exc):
    code = exc.errno if isinstance(exc, OSError) and exc.errno else type(exc).__name__
    stats["%s:%s" % (where, errname(code) if isinstance(code, int) else code)] += 1


def close_quietly(sock):
    if sock is not None:
        try:
            sock.close()
        except OSError:
            pass


def make_listener(ns_path, fam, port, backlog):
    with in_netns(ns_path):
        sock = socket.socket(family(fam), socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == "ipv6":
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(("::", port))
    else:
        sock.bind(("0.0.0.0", port))
    sock.listen(backlog)
    sock.settimeout(TIMEOUT)
    return sock


def connect(fam, addr, port):
    """Blocking connect from the home (client) namespace: -> (sock, errno)."""
    sock = socket.socket(family(fam), socket.SOCK_STREAM)
    sock.settimeout(TIMEOUT)
    err = sock.connect_ex((addr, port))
    return sock, err


def accept(listener):
    conn, _ = listener.accept()
    conn.settimeout(TIMEOUT)
    return conn


def wait_readable(sock, timeout=TIMEOUT):
    ready, _, _ = select.select([sock], [], [], timeout)
    return bool(ready)


def read_outcome(sock):
    """What the peer did: 'reset', 'eof', 'data' or 'timeout'."""
    if not wait_readable(sock):
        return "timeout"
    try:
        data = sock.recv(4096)
    except ConnectionResetError:
        return "reset"
    except OSError as e:
        return errname(e.errno)
    return "data" if data else "eof"


def linger0(sock):
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


# --------------------------------------------------------------------------
# roles: setup(cfg) -> state, step(cfg, state, i), teardown(cfg, state)

def closed_setup(cfg):
    return None


def closed_step(cfg, state, i):
    """connect() to a port nothing ever listened on: NO_SOCKET (no_listener)."""
    fam, addr = cfg["targets"][i % len(cfg["targets"])]
    sock, err = connect(fam, addr, cfg["port"])
    stats["connect:" + (errname(err) if err else "connected")] += 1
    sock.close()


def abort_setup(cfg):
    return {fam: make_listener(cfg["server_ns"], fam, cfg["port"], 128)
            for fam, _ in cfg["targets"]}


def abort_step(cfg, state, i):
    """The server closes a connection with unread data: TCP_ABORT_ON_CLOSE."""
    fam, addr = cfg["targets"][i % len(cfg["targets"])]
    client = conn = None
    try:
        client, err = connect(fam, addr, cfg["port"])
        if err:
            stats["connect:" + errname(err)] += 1
            return
        client.sendall(b"u" * cfg.get("bytes", 100))
        conn = accept(state[fam])
        if not wait_readable(conn):
            stats["server:no_data"] += 1
        conn.close()
        conn = None
        stats["client:" + read_outcome(client)] += 1
    except OSError as e:
        note_error("abort", e)
    finally:
        close_quietly(conn)
        close_quietly(client)


def abort_teardown(cfg, state):
    for sock in state.values():
        close_quietly(sock)


def linger_setup(cfg):
    return {fam: make_listener(cfg["server_ns"], fam, cfg["port"], 128)
            for fam, _ in cfg["targets"]}


def linger_step(cfg, state, i):
    """close() with SO_LINGER {1, 0}, by the client or by the server: TCP_STATE."""
    fam, addr = cfg["targets"][(i // 2) % len(cfg["targets"])]
    client = conn = None
    try:
        client, err = connect(fam, addr, cfg["port"])
        if err:
            stats["connect:" + errname(err)] += 1
            return
        conn = accept(state[fam])
        aborter, victim = (client, conn) if i % 2 == 0 else (conn, client)
        side = "client" if i % 2 == 0 else "server"
        linger0(aborter)
        aborter.close()
        stats["%s_aborted:%s" % (side, read_outcome(victim))] += 1
    except OSError as e:
        note_error("linger", e)
    finally:
        close_quietly(conn)
        close_quietly(client)


linger_teardown = abort_teardown


def overflow_setup(cfg):
    return {}


def overflow_step(cfg, state, i):
    """One burst at a fresh listener with a tiny backlog that never accepts
    (tcp_abort_on_overflow=1 in its namespace); then the listener closes,
    resetting what it had queued, and the clients go.

    Over veth each handshake completes inside connect(), so a plain listener
    fills its accept queue and drops the later SYNs (SYN path).  Every other
    burst the listener has TCP_DEFER_ACCEPT: the bare ACKs are dropped and
    the first handshakes wait in the SYN queue, which overflows into
    syncookies (syn_queue_overflow); the cookie handshakes fill the accept
    queue, and the data the waiting clients send later finds it full (ACK
    path: an INVALID_SYN reset)."""
    fam, addr = cfg["targets"][(i // 2) % len(cfg["targets"])]
    defer = i % 2 == 1
    listener = None
    clients = []
    try:
        listener = make_listener(cfg["server_ns"], fam, cfg["port"], cfg["backlog"])
        if defer:
            listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_DEFER_ACCEPT, 1)
        for _ in range(cfg["burst"]):
            sock = socket.socket(family(fam), socket.SOCK_STREAM)
            sock.setblocking(False)
            err = sock.connect_ex((addr, cfg["port"]))
            if err not in (0, errno.EINPROGRESS):
                stats["connect:" + errname(err)] += 1
            clients.append(sock)
        # Let the handshakes (and the overflows) happen, send a byte on
        # every connection that completed.
        deadline = time.monotonic() + cfg.get("hold", 0.3)
        pending = list(clients)
        while pending and time.monotonic() < deadline:
            _, writable, _ = select.select([], pending, [], max(0.0, deadline - time.monotonic()))
            for sock in writable:
                pending.remove(sock)
                err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    stats["burst:" + errname(err)] += 1
                    continue
                try:
                    sock.send(b"o")
                    stats["burst:connected"] += 1
                except OSError as e:
                    stats["burst_send:" + errname(e.errno)] += 1
        stats["burst:pending"] += len(pending)
        time.sleep(max(0.0, deadline - time.monotonic()))
    except OSError as e:
        note_error("overflow", e)
    finally:
        close_quietly(listener)
        time.sleep(0.05)   # the resets of the queued children arrive first
        for sock in clients:
            close_quietly(sock)


def churn_listener_setup(cfg):
    return {"listener": None, "opened": 0.0, "cycle_start": time.monotonic(),
            "conns": []}


def churn_listener_step(cfg, state, i):
    """A listener closed for a moment every second (listener_restarting),
    with clients connecting all along; the connection made just before the
    close is still in the accept queue when the listener goes."""
    now = time.monotonic()
    period, down = cfg["period"], cfg["down"]
    phase = (now - state["cycle_start"]) % period
    fam, addr = cfg["targets"][0]
    lst = state["listener"]
    if lst is not None and phase >= period - down:
        # Closing time: one connection left unaccepted, then close.
        try:
            sock, err = connect(fam, addr, cfg["port"])
            stats["queued:" + (errname(err) if err else "connected")] += 1
            state["conns"].append(sock)
        except OSError as e:
            note_error("queued", e)
        lst.close()
        state["listener"] = None
        stats["listener:closed"] += 1
        for sock in state["conns"]:
            stats["queued_outcome:" + read_outcome(sock)] += 1
            close_quietly(sock)
        state["conns"] = []
        return
    if lst is None and phase < period - down:
        try:
            state["listener"] = make_listener(cfg["server_ns"], fam, cfg["port"], 128)
            stats["listener:opened"] += 1
        except OSError as e:
            note_error("listen", e)
    client = conn = None
    try:
        client, err = connect(fam, addr, cfg["port"])
        if err:
            stats["connect:" + errname(err)] += 1
            return
        stats["connect:connected"] += 1
        client.sendall(b"hello")
        conn = accept(state["listener"])
        if wait_readable(conn):
            conn.recv(4096)
        conn.close()    # graceful: everything was read
        conn = None
        stats["client:" + read_outcome(client)] += 1
    except (OSError, AttributeError) as e:
        note_error("churn", e)
    finally:
        close_quietly(conn)
        close_quietly(client)


def churn_listener_teardown(cfg, state):
    close_quietly(state["listener"])
    for sock in state["conns"]:
        close_quietly(sock)


def conn_churn_setup(cfg):
    return {"listeners": {fam: make_listener(cfg["server_ns"], fam, cfg["port"], 256)
                          for fam, _ in cfg["targets"]},
            "open": collections.deque(), "rng": random.Random(cfg.get("seed", 1))}


def conn_churn_close(entry):
    """Graceful close: one side first, the other once it saw the EOF."""
    _, client, conn, client_first = entry
    first, second = (client, conn) if client_first else (conn, client)
    first.close()
    stats["close:" + read_outcome(second)] += 1
    second.close()


def conn_churn_step(cfg, state, i):
    """Graceful connections with random lifetimes, up to `concurrent` open
    at once: many socket-table entries that come and go, and no resets."""
    now = time.monotonic()
    still = collections.deque()
    for entry in state["open"]:
        if entry[0] <= now:
            conn_churn_close(entry)
        else:
            still.append(entry)
    while len(still) >= cfg["concurrent"]:
        conn_churn_close(still.popleft())
    state["open"] = still
    fam, addr = cfg["targets"][i % len(cfg["targets"])]
    client = None
    try:
        client, err = connect(fam, addr, cfg["port"])
        if err:
            stats["connect:" + errname(err)] += 1
            close_quietly(client)
            return
        conn = accept(state["listeners"][fam])
        stats["connect:connected"] += 1
        lifetime = state["rng"].uniform(cfg["min_life"], cfg["max_life"])
        state["open"].append((now + lifetime, client, conn, i % 2 == 0))
    except OSError as e:
        note_error("churn", e)
        close_quietly(client)


def conn_churn_teardown(cfg, state):
    for entry in state["open"]:
        conn_churn_close(entry)
    for sock in state["listeners"].values():
        close_quietly(sock)


ROLES = {
    "closed": (closed_setup, closed_step, None),
    "abort": (abort_setup, abort_step, abort_teardown),
    "linger": (linger_setup, linger_step, linger_teardown),
    "overflow": (overflow_setup, overflow_step, None),
    "churn_listener": (churn_listener_setup, churn_listener_step, churn_listener_teardown),
    "conn_churn": (conn_churn_setup, conn_churn_step, conn_churn_teardown),
}


def main():
    cfg = json.loads(sys.argv[1])
    setup, step, teardown = ROLES[cfg["role"]]
    start = time.monotonic()
    end = start + float(cfg["seconds"])
    interval = 1.0 / float(cfg["rate"])
    max_iter = int(cfg["max_iter"])
    state = setup(cfg)
    i = 0
    next_t = start
    try:
        while i < max_iter:
            now = time.monotonic()
            if now >= end:
                break
            if next_t > now:
                time.sleep(min(next_t - now, end - now))
                continue
            try:
                step(cfg, state, i)
            except OSError as e:
                note_error("step", e)
            i += 1
            next_t += interval
            if time.monotonic() - next_t > 1.0:
                next_t = time.monotonic()   # fell behind: no catch-up burst
                stats["fell_behind"] += 1
    finally:
        if teardown:
            teardown(cfg, state)
    stats["iterations"] = i
    print(json.dumps({"role": cfg["role"], "seconds": round(time.monotonic() - start, 2),
                      "stats": dict(stats)}), flush=True)


if __name__ == "__main__":
    main()
