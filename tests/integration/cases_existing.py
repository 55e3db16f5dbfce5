"""Issue "sockets that existed before it started": servers, clients and
connections set up before rsttrace starts (the tests wait for `rsttrace:
attached` only after that), then resets and accept-queue overflows on
them.  Their owners can only come from the start-up scan (source "scan"),
except where a tracepoint saw the owner act after the start (accept).

Layout of the first tests: a server and a "local" client in the server
namespace, talking over loopback (the resets), and a burst client in a
second namespace behind a slow veth link (the overflow: see
cases_explain.py for the token-bucket trick).
"""

import os
import re
import signal
import time

from cases_explain import (ScriptPeer, XSession, check_scenario, cut_link, parse_groups,
                           poll, slow_link, tbf_burst, text_has)
from harness import context_fields, dig, endpoint_fields, of_type, owner_fields, test
import nslib
from nslib import Netns, VethPair

HERE = os.path.dirname(os.path.abspath(__file__))
PREFORK = os.path.join(HERE, "peers", "prefork.py")

OVERFLOW_SYSCTLS = {"net.ipv4.tcp_syncookies": 0, "net.ipv4.tcp_abort_on_overflow": 1}
SCAN_RE = re.compile(r"^rsttrace: scan: (\d+) TCP sockets \((\d+) listening\) held by (\d+) "
                     r"processes in (\d+) netns, (\d+)\.(\d{3}) ms$")


def overflow_namespaces(subnet):
    client_ns, server_ns = Netns(), Netns()
    veth = VethPair(client_ns, server_ns, subnet)
    server_ns.sysctl(OVERFLOW_SYSCTLS)
    slow_link(client_ns, veth.client_dev)
    return client_ns, server_ns, veth


def overflow_burst(burster, veth, port, count=20):
    """With the accept queue at its limit (backlog waiting, full is more),
    a burst over the slow link: the first final ACK takes the last slot,
    the next ones overflow on the ACK path and (abort_on_overflow=1) are
    reset.  -> (burst, {result: ports})"""
    burst = tbf_burst(burster, "G", veth.server_addr["ipv4"], port, count, seconds=1.0)
    groups = poll(lambda: (lambda g: g if g.get("ECONNRESET") else None)(
        parse_groups(burster.call("group_ports G"))), 1.5 * nslib.TIME_SCALE) or {}
    time.sleep(0.3 * nslib.TIME_SCALE)
    groups = parse_groups(burster.call("group_ports G"))
    return burst, groups


def check_invalid_syn(check, s, server_ns, veth, port, resets, owner_peer, qmax,
                      source="scan", shared_by=1):
    """INVALID_SYN resets of an overflow on an existing listener."""
    invalid = of_type(s.events(namespaces=[server_ns]), "rst_sent", reason="INVALID_SYN")
    check.that(sorted(dig(e, "remote.port") for e in invalid) == sorted(resets),
               "INVALID_SYN resets to %s, reset clients %s"
               % (sorted(dig(e, "remote.port") for e in invalid), sorted(resets)), *invalid)
    want = {"state": "LISTEN", "cause": "listen_overflow", "diagnosis.code": "listen_overflow",
            "local.addr": veth.server_addr["ipv4"], "local.port": port,
            "remote.addr": veth.client_addr["ipv4"],
            "listener.addr": "0.0.0.0", "listener.port": port,
            "listener.accept_queue": qmax + 1, "listener.accept_queue_max": qmax,
            **owner_fields("owner", owner_peer, source),
            **owner_fields("listener.owner", owner_peer, source)}
    # Every key on every line: 1 for a socket one process holds.
    want["owner.shared_by"] = want["listener.owner.shared_by"] = shared_by
    for ev in invalid:
        check.fields(ev, want, "INVALID_SYN rst_sent")
        text_has(check, ev, "accept queue of listener port %d owned by pid %d (%s) was full "
                 "(%d waiting, limit %d)" % (port, owner_peer.pid, owner_peer.comm,
                                            qmax + 1, qmax))
    acks = of_type(s.events(namespaces=[server_ns]), "listen_overflow", path="ack")
    check.that(sorted(dig(e, "remote.port") for e in acks) == sorted(resets),
               "ACK-path overflows from %s, reset clients %s"
               % (sorted(dig(e, "remote.port") for e in acks), sorted(resets)), *acks)
    for ev in acks:
        check.fields(ev, {"listener.accept_queue": qmax + 1, "listener.accept_queue_max": qmax,
                          **owner_fields("listener.owner", owner_peer, source)},
                     "ACK-path listen_overflow")
    return invalid


def scan_line(check, run):
    lines = [l for l in run.stderr_lines() if l.startswith("rsttrace: scan:")]
    m = SCAN_RE.match(lines[-1]) if lines else None
    check.that(m, "no scan line on stderr: %r" % run.stderr_lines()[:3])
    return [int(x) for x in m.groups()[:4]] if m else None


# --------------------------------------------------------------------------
# 1 and 3: connections and a listener older than the tracer

def existing_case(ctx, check, subnet, port, netns_filter):
    client_ns, server_ns, veth = overflow_namespaces(subnet)
    server, local = ScriptPeer(server_ns), ScriptPeer(server_ns)
    burster = ScriptPeer(client_ns)
    # everything below exists before the tracer starts
    server.call("listen L 4 0.0.0.0 %d 2" % port)
    conns = []
    for name in ("C1", "C2"):
        result, lport = local.call("connect %s 4 127.0.0.1 %d" % (name, port))
        server.call("accept A%s L" % name[1])
        conns.append((result, int(lport)))
    queued = [local.call("connect Q%d 4 127.0.0.1 %d" % (i, port))[0] for i in range(2)]
    check_scenario(check, [c[0] for c in conns] + queued == ["connected"] * 4,
                   "connects before the start gave %s %s" % (conns, queued))
    (_, c1), (_, c2) = conns

    if netns_filter:
        args, namespaces = ["--netns", str(server_ns.inode), "--summary"], [server_ns]
    else:
        args, namespaces = ["-P", str(port), "--summary"], [client_ns, server_ns]
    with XSession(ctx, check, namespaces, args) as s:
        local.call("linger0 C1")           # the client aborts an existing connection
        local.call("close C1")
        seen1 = server.call("result A1")[0]
        server.call("linger0 A2")          # the server aborts another one
        server.call("close A2")
        seen2 = local.call("result C2")[0]
        burst, groups = overflow_burst(burster, veth, port)
        resets = groups.get("ECONNRESET", [])
        s.wait_events(4 + 2 * len(resets) + (0 if netns_filter else len(resets)))
        cut_link(client_ns, veth.client_dev)
        s.finish_scenario(burster, local, server)
    check_scenario(check, (seen1, seen2) == ("ECONNRESET", "ECONNRESET"),
                   "the aborted connections' peers saw %s, %s" % (seen1, seen2))
    check_scenario(check, len(resets) >= 1, "no burst client was reset: %s %s" % (burst, groups))
    if not s.traced:
        return
    lo = "127.0.0.1"
    events = s.events(namespaces=[server_ns])
    sent = check.one(of_type(events, "rst_sent", local__port=c1), "rst_sent of the client's abort")
    if sent:
        check.fields(sent, {"reason": "TCP_STATE", "state": "CLOSE", "prev_state": "ESTABLISHED",
                            "diagnosis.code": "abortive_close",
                            **endpoint_fields((lo, c1), (lo, port)),
                            **owner_fields("owner", local, "scan"), **context_fields(local)},
                     "client rst_sent")
    received = check.one(of_type(events, "rst_received", remote__port=c1),
                         "server rst_received of the client's abort")
    if received:
        check.fields(received, {"state": "ESTABLISHED", "diagnosis.code": "peer_reset",
                                **endpoint_fields((lo, port), (lo, c1)),
                                **owner_fields("owner", server, "scan")}, "server rst_received")
    sent = check.one(of_type(events, "rst_sent", remote__port=c2), "rst_sent of the server's abort")
    if sent:
        check.fields(sent, {"reason": "TCP_STATE", "state": "CLOSE", "prev_state": "ESTABLISHED",
                            "diagnosis.code": "abortive_close",
                            **endpoint_fields((lo, port), (lo, c2)),
                            **owner_fields("owner", server, "scan"), **context_fields(server)},
                     "server rst_sent")
    received = check.one(of_type(events, "rst_received", local__port=c2),
                         "client rst_received of the server's abort")
    if received:
        check.fields(received, {"state": "ESTABLISHED", "diagnosis.code": "peer_reset",
                                **endpoint_fields((lo, c2), (lo, port)),
                                **owner_fields("owner", local, "scan")}, "client rst_received")
    check_invalid_syn(check, s, server_ns, veth, port, resets, server, 2)
    received = s.events("rst_received", [client_ns])
    if netns_filter:
        strays = [e for e in s.run.events if e.get("netns") != server_ns.inode]
        check.that(not strays, "events from other namespaces with --netns", *strays)
    else:
        check.that(sorted(dig(e, "local.port") for e in received) == sorted(resets),
                   "burst rst_received on %s, reset clients %s"
                   % (sorted(dig(e, "local.port") for e in received), sorted(resets)), *received)
        for ev in received:
            check.fields(ev, {"overflow.path": "ack", "overflow.listener_port": port,
                              "overflow.listener_owner.pid": server.pid,
                              "diagnosis.code": "listen_overflow",
                              **owner_fields("owner", burster, "connect")}, "burst rst_received")
    counts = scan_line(check, s.run)
    if counts:
        # the server's 3 sockets and the local client's 4: at least these
        check.that(counts[0] >= 7 and counts[1] >= 1 and counts[2] >= 2,
                   "scan found %s, expected at least 7 sockets, 1 listening, 2 processes"
                   % counts)
    expected = {"listen_overflow": "TcpExtListenOverflows", "lost": 0,
                "syn_queue_overflow": "TcpExtTCPReqQFullDrop", "rst_sent": "TcpOutRsts"}
    if netns_filter:
        expected["written"] = len(s.events())
    # -P PORT: every reset and overflow of both namespaces involves PORT
    s.check_totals(namespaces, expected)


@test("existing_connections_and_listener")
def t_existing(ctx, check):
    """Tracer filtered by the listener's port only (-P), so both ends of
    every connection are seen, in both namespaces."""
    existing_case(ctx, check, 41, 20201, netns_filter=False)


@test("existing_in_netns")
def t_existing_in_netns(ctx, check):
    """The same with the tracer limited to the server's namespace
    (--netns): nothing from the client namespace, totals equal to the
    server namespace's counters."""
    existing_case(ctx, check, 43, 20203, netns_filter=True)


# --------------------------------------------------------------------------
# 2: a pre-fork server

@test("existing_prefork")
def t_existing_prefork(ctx, check):
    """A master opens the listener and forks 3 workers that share it; each
    worker accepted one connection before the tracer started.  The worker
    that accepted a connection owns it; the shared listener belongs to the
    master (the oldest holder) with shared_by 4; a connection accepted
    after the start belongs to the worker that accepted it (source
    accept)."""
    port = 20202
    client_ns, server_ns, veth = overflow_namespaces(42)
    master = ScriptPeer(server_ns, PREFORK, ["0.0.0.0", port, 2, 3])
    workers = [int(p) for p in master.call("workers")[0].split(",")]
    local, burster = ScriptPeer(server_ns), ScriptPeer(client_ns)
    accepted = {}                         # client port -> worker pid
    for i in range(3):
        result, lport = local.call("connect C%d 4 127.0.0.1 %d" % (i, port))
        wpid, rport = master.call("accept %d" % i)
        check_scenario(check, result == "connected" and rport == lport,
                       "connect %s from %s, worker %d accepted port %s" % (result, lport, i, rport))
        accepted[int(lport)] = int(wpid)
    check_scenario(check, sorted(accepted.values()) == sorted(workers) and
                   min(workers) > master.pid, "workers %s accepted %s (master %d)"
                   % (workers, accepted, master.pid))
    cports = sorted(accepted, key=lambda p: workers.index(accepted[p]))

    with XSession(ctx, check, [client_ns, server_ns], ["-P", str(port), "--summary"]) as s:
        local.call("linger0 C1")           # reset a connection worker 1 accepted before
        local.call("close C1")
        result, late = local.call("connect C3 4 127.0.0.1 %d" % port)
        wpid, rport = master.call("accept 2")
        late = int(late)
        local.call("linger0 C3")           # and one worker 2 accepted after the start
        local.call("close C3")
        for i in range(2):                 # the accept queue at its limit, 2 of 2
            local.call("connect Q%d 4 127.0.0.1 %d" % (i, port))
        burst, groups = overflow_burst(burster, veth, port)
        resets = groups.get("ECONNRESET", [])
        s.wait_events(4 + 3 * len(resets))
        cut_link(client_ns, veth.client_dev)
        s.finish_scenario(burster, local, master)
    check_scenario(check, result == "connected" and int(wpid) == workers[2] and
                   int(rport) == late, "late connect %s, accepted by %s (%s)"
                   % (result, wpid, rport))
    check_scenario(check, len(resets) >= 1, "no burst client was reset: %s %s" % (burst, groups))
    if not s.traced:
        return
    events = s.events(namespaces=[server_ns])

    class Worker:                           # what owner_fields needs
        def __init__(self, pid):
            self.pid, self.comm = pid, master.comm
            self.cgroup_id = master.cgroup_id

    received = check.one(of_type(events, "rst_received", remote__port=cports[1]),
                         "rst_received of the connection worker 1 accepted before the start")
    if received:
        check.fields(received, {"state": "ESTABLISHED", "local.port": port,
                                **owner_fields("owner", Worker(workers[1]), "scan")},
                     "worker 1 rst_received")
        check.that(dig(received, "owner.shared_by") == 1,
                   "shared_by on a connection one worker holds", received)
    received = check.one(of_type(events, "rst_received", remote__port=late),
                         "rst_received of the connection worker 2 accepted after the start")
    if received:
        check.fields(received, {"state": "ESTABLISHED", "local.port": port,
                                **owner_fields("owner", Worker(workers[2]), "accept")},
                     "worker 2 rst_received")
    sent = check.one(of_type(events, "rst_sent", local__port=cports[1]), "client rst_sent")
    if sent:
        check.fields(sent, owner_fields("owner", local, "scan"), "client rst_sent")
    check_invalid_syn(check, s, server_ns, veth, port, resets, master, 2, shared_by=4)
    s.check_totals(server_ns, {"listen_overflow": "TcpExtListenOverflows", "lost": 0})


# --------------------------------------------------------------------------
# 4: the owner exits, a child keeps the sockets

@test("existing_owner_exited")
def t_existing_owner_exited(ctx, check):
    """Process A connects (once before the tracer starts, once after), forks
    B, which inherits both sockets, and exits.  Resets on both connections
    must name A with alive false: the tracer does not see the hand-over,
    and must never name a live process that is not the owner it knows
    (neither B nor a reused pid)."""
    ns = Netns()
    port = 20204
    server, owner = ScriptPeer(ns), ScriptPeer(ns)
    server.call("listen L 4 127.0.0.1 %d 16" % port)
    r1, p1 = owner.call("connect C1 4 127.0.0.1 %d" % port)
    server.call("accept A1 L")
    child = None
    try:
        with XSession(ctx, check, [ns], ["--netns", str(ns.inode), "--summary"]) as s:
            r2, p2 = owner.call("connect C2 4 127.0.0.1 %d" % port)
            server.call("accept A2 L")
            child = int(owner.call("fork")[0])
            owner.send("exit")               # A exits; its stdin stays open for B
            owner.proc.wait(timeout=5)
            gone = not os.path.exists("/proc/%d" % owner.pid)
            for name in ("A1", "A2"):
                server.call("linger0 %s" % name)
                server.call("close %s" % name)
            s.wait_events(4)
            child_alive = os.path.exists("/proc/%d" % child)
            s.finish_scenario(owner, server)  # closes A's pipes: B exits
    finally:
        if child is not None:
            stop_child(child)
    p1, p2 = int(p1), int(p2)
    check_scenario(check, (r1, r2) == ("connected", "connected") and gone and child_alive,
                   "connects %s %s, A gone %s, B alive %s" % (r1, r2, gone, child_alive))
    if not s.traced:
        return
    for lport, source in ((p1, "scan"), (p2, "connect")):
        received = check.one(of_type(s.events(), "rst_received", local__port=lport),
                             "rst_received on the %s connection" % source)
        if received:
            check.fields(received, {"state": "ESTABLISHED", "owner.pid": owner.pid,
                                    "owner.tid": owner.pid, "owner.comm": owner.comm,
                                    "owner.source": source, "owner.alive": False},
                         "rst_received of a connection whose owner exited")
            check.that(dig(received, "owner.pid") != child, "owner is the child B", received)
        sent = check.one(of_type(s.events(), "rst_sent", remote__port=lport),
                         "server rst_sent to the %s connection" % source)
        if sent:
            check.fields(sent, {"reason": "TCP_STATE", **owner_fields("owner", server, "accept"
                                                                       if source == "connect"
                                                                       else "scan")},
                         "server rst_sent")


def stop_child(pid):
    """Stop B, which this test created, by pid (it is not our child any
    more: A exited); only if it still runs xpeer.py."""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            if b"xpeer.py" not in f.read():
                return
        os.kill(pid, signal.SIGKILL)
    except (OSError, ProcessLookupError):
        pass
