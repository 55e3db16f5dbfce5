#!/usr/bin/env python3
"""peer.py with a few more commands, for cases_explain.py and
cases_existing.py.  Same protocol ("hello pid=N", one "ok ..." answer per
command line); every peer.py command works here too.

Extra commands:
  recv NAME NBYTES          read exactly NBYTES (bounded by TIMEOUT)
  keepalive NAME IDLE INTVL CNT
                            SO_KEEPALIVE with TCP_KEEPIDLE/KEEPINTVL/KEEPCNT
  tbf_burst NAME ADDR PORT COUNT SECONDS UDPCOUNT UDPSIZE
                            `burst NAME 4 ADDR PORT COUNT SECONDS UDPCOUNT
                            UDPSIZE`: the datagrams go to ADDR:9 after the
                            sockets are made, before the connects (they
                            empty a tbf bucket on the way, so the SYNs that
                            follow queue behind them)
  send_group NAME NBYTES    send NBYTES (TCP_NODELAY: a segment of their own)
                            on every socket of a burst group that is
                            connected; -> ok sent=N
  group_ports NAME          the local ports of a burst group by what each
                            socket shows: an error (ECONNRESET, ...; it stays
                            the result once seen), eof, connected or pending
                            (still connecting)
                            -> ok RESULT=P1,P2 RESULT=P3 ... (sorted by RESULT)
  shut NAME HOW             shutdown(HOW), HOW one of rd, wr, rdwr
  comm NAME                 set the process's name (prctl PR_SET_NAME): what
                            the kernel and rsttrace call it from then on
  fork                      fork a child that keeps every socket open and
                            idles until this process has exited and its
                            stdin is closed (bounded); -> ok CHILDPID
"""

import os
import select
import socket
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import peer  # noqa: E402

CHILD_MAX_SECONDS = 120
group_lports = {}   # burst NAME -> local ports, in the order of peer.groups[NAME]
sticky = peer.sticky  # socket -> the error it reported (reported only once)


def cmd_recv(name, nbytes):
    sock, want, got = peer.sockets[name], int(nbytes), 0
    deadline = time.monotonic() + peer.TIMEOUT
    while got < want:
        if time.monotonic() > deadline:
            raise TimeoutError("only %d of %d bytes" % (got, want))
        data = sock.recv(want - got)
        if not data:
            raise EOFError("eof after %d of %d bytes" % (got, want))
        got += len(data)
    return ""


def cmd_keepalive(name, idle, intvl, cnt):
    sock = peer.sockets[name]
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, int(idle))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, int(intvl))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, int(cnt))
    return ""


def cmd_tbf_burst(name, addr, port, count, seconds, udpcount, udpsize):
    return cmd_burst(name, "4", addr, port, count, seconds, udpcount, udpsize)


def cmd_send_group(name, nbytes):
    sent = 0
    for sock in peer.groups[name]:
        try:
            if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                # a segment of its own, even with the burst's byte unacked
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                sock.send(b"y" * int(nbytes))
                sent += 1
        except OSError:
            pass
    return "sent=%d" % sent


def cmd_burst(name, fam, addr, port, count, seconds, *udp):
    """peer.py's burst, remembering the local ports (a reset socket forgets
    its port)."""
    out = peer.cmd_burst(name, fam, addr, port, count, seconds, *udp)
    group_lports[name] = [int(p) for p in out.rsplit("lports=", 1)[1].split(",")]
    return out


def cmd_group_ports(name):
    by_result = {}
    for sock, port in zip(peer.groups[name], group_lports[name]):
        # the socket error is reported once: remember it
        result = sticky.get(sock) or peer.socket_result(sock, 0)
        if result.startswith("E"):
            sticky[sock] = result
        elif result != "eof":
            try:
                sock.getpeername()
                result = "connected"
            except OSError:
                result = "pending"
        by_result.setdefault(result, []).append(str(port))
    return " ".join("%s=%s" % (res, ",".join(ports)) for res, ports in sorted(by_result.items()))


def cmd_shut(name, how):
    peer.sockets[name].shutdown({"rd": socket.SHUT_RD, "wr": socket.SHUT_WR,
                                 "rdwr": socket.SHUT_RDWR}[how])
    return ""


def child_idle(parent):
    """Hold the inherited sockets; never read stdin while the parent still
    serves commands on it."""
    deadline = time.monotonic() + CHILD_MAX_SECONDS
    while os.getppid() == parent and time.monotonic() < deadline:
        time.sleep(0.05)
    while time.monotonic() < deadline:
        ready, _, _ = select.select([0], [], [], 1)
        if ready and not os.read(0, 4096):
            break
    os._exit(0)


def cmd_comm(name):
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(15, name.encode()[:15], 0, 0, 0) != 0:  # PR_SET_NAME
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NAME)")
    return ""


def cmd_fork():
    sys.stdout.flush()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        try:
            child_idle(parent)
        finally:
            os._exit(0)
    return str(pid)


peer.COMMANDS.update({
    "burst": cmd_burst, "recv": cmd_recv, "keepalive": cmd_keepalive, "tbf_burst": cmd_tbf_burst,
    "send_group": cmd_send_group, "group_ports": cmd_group_ports, "shut": cmd_shut, "fork": cmd_fork,
    "comm": cmd_comm,
})

if __name__ == "__main__":
    peer.main()
