"""Issue 14, "rsttrace tells the truth": each reproduction of the issue as a
scenario in namespaces, its output checked field by field and its counts
against the namespaces' own counters, exactly.  docs/truth.md maps every
item of the issue to the test that proves it.

Ports 20301.. and veth subnets 60.. are this file's own.
"""

import fcntl
import os
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time

import kernel
import nslib
from cases_cli import cli_error_test
from cases_env import storm
from cases_explain import ScriptPeer, XSession, check_scenario, cut_link, poll, text_has
from harness import dig, endpoint_fields, listener_drops, parse_kv, test
from nslib import Netns, VethPair
from tracer import ATTACHED, Tracer

HERE = os.path.dirname(os.path.abspath(__file__))
TPEER = os.path.join(HERE, "peers", "tpeer.py")


def tpeer(ns):
    return ScriptPeer(ns, TPEER)


def figures(test_name, **values):
    """With TRUTH_FIGURES=1 in the environment, the measured figures of a
    scenario on stderr (for docs/truth.md)."""
    if os.environ.get("TRUTH_FIGURES"):
        print("figures %s: %s" % (test_name, " ".join("%s=%s" % kv for kv in values.items())),
              file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# item 1: an old overflow explains nothing once the connection did its work

@test("truth_overflow_then_keepalive_race")
def t_overflow_then_keepalive_race(ctx, check):
    """Issue 14 item 1.  listen(1) that starts accepting 2 s late, 6
    concurrent clients in another netns: some of their SYNs overflow the
    accept queue and are retried.  Every client then makes a request,
    idles 0.8 s and reuses the connection, which the server closed after
    0.3 s idle: each client gets a reset in CLOSE_WAIT (stale_keepalive)
    from the server's TIME_WAIT socket (timewait).  None of these resets
    may be blamed on the overflow of the connection's first SYN."""
    port, clients = 20301, 6
    client_ns, server_ns = Netns(), Netns()
    veth = VethPair(client_ns, server_ns, 60)
    saddr = veth.server_addr["ipv4"]
    server_ns.sysctl({"net.ipv4.tcp_syncookies": 0})
    server, client = tpeer(server_ns), tpeer(client_ns)
    # --syn-detector=always: every overflow must be a record here (none may
    # be blamed for the resets); by default the first SYNs overflow before
    # the detector is armed on pressure and are counted as
    # syn_detector_disarmed instead (explain_syn_detector_armed_on_pressure).
    with XSession(ctx, check, [client_ns, server_ns], ["-P", str(port), "--syn-detector=always"],
                  totals_ns=server_ns) as s:
        server.call("ka_server L %s %d 1 2 0.3 %d" % (saddr, port, clients))
        got = parse_kv(client.call("ka_clients %s %d %d 0.8" % (saddr, port, clients),
                                   timeout=45))
        accepted = server.call("ka_wait L", timeout=45)[0]
        s.finish_scenario(client, server, expect=2 * clients)
    lports = [int(p) for p in got["lports"].split(",")]
    results = got["results"].split(",")
    overflows = s.delta_in(server_ns, "TcpExtListenOverflows")
    check_scenario(check, accepted == "accepted=%d" % clients and
                   all(r in ("ECONNRESET", "EPIPE") for r in results),
                   "server %s, clients saw %s" % (accepted, results))
    check_scenario(check, overflows >= 1, "ListenOverflows delta %d: no SYN overflowed"
                   % overflows)
    figures("keepalive_after_overflow", overflows=overflows, results=results)
    if not s.traced:
        return
    received = s.events("rst_received", [client_ns])
    check.that(sorted(dig(e, "local.port") for e in received) == sorted(lports),
               "rst_received on ports %s, clients %s"
               % (sorted(dig(e, "local.port") for e in received), sorted(lports)), *received)
    for ev in received:
        check.fields(ev, {"state": "CLOSE_WAIT", "overflow": None,
                          "diagnosis.code": "stale_keepalive", "owner.pid": client.pid,
                          "remote.addr": saddr, "remote.port": port}, "client rst_received")
    sent = s.events("rst_sent", [server_ns])
    check.that(sorted(dig(e, "remote.port") for e in sent) == sorted(lports),
               "rst_sent to ports %s, clients %s"
               % (sorted(dig(e, "remote.port") for e in sent), sorted(lports)), *sent)
    # The owner of a TIME_WAIT socket comes from tables of sockets that
    # evict under churn on the whole host: say how full they were.
    summary = s.final_summary()
    table = "%s, missed runs %s" % (dig(summary, "socket_table"), dig(summary, "missed"))
    for ev in sent:
        check.fields(ev, {"reason": "TCP_TIMEWAIT_SOCKET", "state": "TIME_WAIT",
                          "overflow": None, "diagnosis.code": "timewait",
                          "local.addr": saddr, "local.port": port}, "server rst_sent")
        check.fields(ev, {"owner.pid": server.pid, "owner.closed": True},
                     "server rst_sent (socket table of the totals tracer %s)" % table)
    drops = s.events("listen_overflow", [server_ns])
    check.that(len(drops) == overflows, "%d listen_overflow events, ListenOverflows delta %d"
               % (len(drops), overflows), *drops)
    check.that(set(dig(e, "remote.port") for e in drops) <= set(lports),
               "overflows from ports %s, clients %s"
               % (sorted(set(dig(e, "remote.port") for e in drops)), lports), *drops)
    s.check_totals(server_ns, {"rst_sent": "TcpOutRsts",
                               "listen_overflow": "TcpExtListenOverflows", "lost": 0})


# --------------------------------------------------------------------------
# item 2: -p PID filters on the owner it reports, after every lookup

def keepalive_race(server, client, port):
    """explain_keepalive_race's scenario on loopback: the server's TIME_WAIT
    socket resets the client's reused connection. -> (client port, error)"""
    server.call("listen L 4 127.0.0.1 %d 16" % port)
    lport = int(client.call("connect C 4 127.0.0.1 %d" % port)[1])
    server.call("accept A L")
    client.call("send C 20")
    server.call("recv A 20")
    server.call("send A 30")
    client.call("recv C 30")
    time.sleep(0.3)
    server.call("close A")
    time.sleep(0.5)
    client.call("send C 20")
    return lport, client.call("sockerr C")[0]


@test("truth_pid_filter_timewait_owner")
def t_pid_filter_timewait_owner(ctx, check):
    """Issue 14 item 2: `-p SERVER` prints the TIME_WAIT reset the server's
    closed connection sends (owner: the server, found after the socket
    is gone), and nothing of the client's."""
    ns = Netns()
    server, client = tpeer(ns), tpeer(ns)
    port = 20302
    with XSession(ctx, check, [ns], ["-p", str(server.pid)],
                  totals_ns=ns) as s:
        lport, err = keepalive_race(server, client, port)
        s.finish_scenario(client, server, expect=1)
    check_scenario(check, err == "EPIPE", "client socket error %s (expected EPIPE)" % err)
    check_scenario(check, s.delta("TcpOutRsts") == 1, "TcpOutRsts delta %d, expected 1"
                   % s.delta("TcpOutRsts"))
    if not s.traced:
        return
    events = s.events()
    check.that(len(events) == 1, "%d events under -p %d, expected the server's rst_sent"
               % (len(events), server.pid), *events)
    sent = check.one(s.events("rst_sent"), "server rst_sent")
    if sent:
        check.fields(sent, {"reason": "TCP_TIMEWAIT_SOCKET", "state": "TIME_WAIT",
                            "diagnosis.code": "timewait", "owner.pid": server.pid,
                            "owner.closed": True, "owner.source": "accept",
                            **endpoint_fields(("127.0.0.1", port), ("127.0.0.1", lport))},
                     "server rst_sent")
    s.check_totals(ns, {"rst_sent": "TcpOutRsts", "rst_received": 1, "lost": 0, "written": 2})


def orphan_data_after_close(server, client, port):
    """The server closes with TCP_LINGER2 70 s: its orphan stays a full
    FIN_WAIT2 socket, and the client's data after the FIN gets
    TCP_ABORT_ON_DATA. -> (client port, eof?, client error)"""
    server.call("listen L 4 127.0.0.1 %d 16" % port)
    lport = int(client.call("connect C 4 127.0.0.1 %d" % port)[1])
    server.call("accept A L")
    server.call("linger2 A 70")
    server.call("close A")
    eof = client.call("result C")[0]
    client.call("send C 10")
    return lport, eof, client.call("sockerr C")[0]


def orphan_case(ctx, check, port, args):
    ns = Netns()
    server, client = tpeer(ns), tpeer(ns)
    args = [a if a != "SERVER" else str(server.pid) for a in args]
    with XSession(ctx, check, [ns], args, totals_ns=ns) as s:
        lport, eof, err = orphan_data_after_close(server, client, port)
        s.finish_scenario(client, server, expect=1)
    check_scenario(check, (eof, err) == ("eof", "EPIPE"), "client saw %s then %s" % (eof, err))
    check_scenario(check, s.delta("TcpExtTCPAbortOnData") == 1 and s.delta("TcpOutRsts") == 1,
                   "TCPAbortOnData delta %d, TcpOutRsts delta %d"
                   % (s.delta("TcpExtTCPAbortOnData"), s.delta("TcpOutRsts")))
    s.check_totals(ns, {"rst_sent": "TcpOutRsts", "rst_received": 1, "lost": 0, "written": 2})
    return s, server, client, lport


@test("truth_pid_filter_orphan_abort_on_data")
def t_pid_filter_orphan(ctx, check):
    """Issue 14 item 2: `-p SERVER` prints the ABORT_ON_DATA reset of the
    server's orphan, and not the server's own tcp_reset() as a received
    reset (the local-abort take-back runs before the filter)."""
    port = 20303
    s, server, client, lport = orphan_case(ctx, check, port, ["-p", "SERVER"])
    if not s.traced:
        return
    events = s.events()
    check.that(len(events) == 1, "%d events under -p %d, expected the server's rst_sent"
               % (len(events), server.pid), *events)
    sent = check.one(s.events("rst_sent"), "server rst_sent")
    if sent:
        check.fields(sent, {"reason": "TCP_ABORT_ON_DATA", "state": "CLOSE",
                            "context": None, "diagnosis.code": "data_after_close",
                            "owner.pid": server.pid, "owner.source": "accept",
                            **endpoint_fields(("127.0.0.1", port), ("127.0.0.1", lport))},
                     "server rst_sent")


@test("truth_received_filter_local_abort")
def t_received_filter_local_abort(ctx, check):
    """Issue 14 item 2: `-e received` prints the client's reset in
    CLOSE_WAIT, and not the server's own tcp_reset() of its orphan as a
    false rst_received/peer_reset."""
    port = 20304
    s, server, client, lport = orphan_case(ctx, check, port, ["-e", "received"])
    if not s.traced:
        return
    events = s.events()
    received = check.one(events, "events under -e received")
    if received:
        check.fields(received, {"type": "rst_received", "state": "CLOSE_WAIT",
                                "diagnosis.code": "stale_keepalive", "owner.pid": client.pid,
                                **endpoint_fields(("127.0.0.1", lport), ("127.0.0.1", port))},
                     "client rst_received")


# --------------------------------------------------------------------------
# item 3: fin_timeout and killed identified positively

@test("truth_fin_timeout")
def t_fin_timeout(ctx, check):
    """Issue 14 item 3: the orphan FIN_WAIT2 timer resets the connection.
    tcp_fin_timeout 70 keeps the orphan a full socket with its timer armed
    for 10 s; lowered to 5 meanwhile, the timer finds no time left and
    sends the reset (TCP_STATE, from softirq: no context).  The timer is
    armed when the client's ACK of the FIN moves the orphan to FIN_WAIT2
    (tcp_rcv_state_process()), which may happen after close() returned (a
    softirq deferred under load): lowered before that, the timeout makes a
    TIME_WAIT socket at once and no reset ever comes.  So the test waits
    for FIN_WAIT2 first (5 ms here, measured with ss).  Seen as "eof then
    none" under load 3 times, with 63, 66 and 70 s; earlier blamed on the
    timer firing before the lowering, which 10 s make unlikely.  Found by
    reading the kernel, not shown to be the cause."""
    ns = Netns()
    ns.sysctl({"net.ipv4.tcp_fin_timeout": 70})
    server, client = tpeer(ns), tpeer(ns)
    port = 20305
    with XSession(ctx, check, [ns], ["--netns", str(ns.inode), "--summary"]) as s:
        server.call("listen L 4 127.0.0.1 %d 16" % port)
        lport = int(client.call("connect C 4 127.0.0.1 %d" % port)[1])
        server.call("accept A L")
        server.call("close A")
        eof = client.call("result C")[0]
        fin_wait2 = poll(lambda: ns.exec(["ss", "-tnH", "state", "fin-wait-2", "sport", "=",
                                          ":%d" % port], check=False).stdout.strip(),
                         5 * nslib.TIME_SCALE, 0.01)
        ns.sysctl({"net.ipv4.tcp_fin_timeout": 5})
        for _ in range(4):  # each waits up to 5 s for the reset, due 10 s after close
            err = client.call("sockerr C", timeout=15)[0]
            if err != "none":
                break
        s.finish_scenario(client, server, expect=2)
    check_scenario(check, fin_wait2, "the server's socket never reached FIN_WAIT2")
    check_scenario(check, (eof, err) == ("eof", "EPIPE"), "client saw %s then %s"
                   % (eof, err))
    if not s.traced:
        return
    sent = check.one(s.events("rst_sent"), "server rst_sent")
    if sent:
        check.fields(sent, {"reason": "TCP_STATE", "state": "FIN_WAIT2", "context": None,
                            "diagnosis.code": "fin_timeout", "owner.pid": server.pid,
                            **endpoint_fields(("127.0.0.1", port), ("127.0.0.1", lport))},
                     "server rst_sent")
        text_has(check, sent, "a connection closed by pid %d (%s) waited in FIN_WAIT2"
                 % (server.pid, server.comm))
    received = check.one(s.events("rst_received"), "client rst_received")
    if received:
        check.fields(received, {"state": "CLOSE_WAIT", "owner.pid": client.pid},
                     "client rst_received")
    s.check_totals(ns, {"rst_sent": "TcpOutRsts", "rst_received": 1, "lost": 0, "written": 2})


@test("truth_forked_child_linger0_not_killed")
def t_forked_child_linger0(ctx, check):
    """Issue 14 item 3: a fork-per-connection server whose child closes the
    accepted connection with SO_LINGER {1, 0} after the parent closed its
    descriptor: an abortive close by the child, not `killed`."""
    ns = Netns()
    server, client = tpeer(ns), tpeer(ns)
    port = 20306
    with XSession(ctx, check, [ns], ["--netns", str(ns.inode), "--summary"]) as s:
        server.call("listen L 4 127.0.0.1 %d 16" % port)
        lport = int(client.call("connect C 4 127.0.0.1 %d" % port)[1])
        server.call("accept A L")
        child = int(server.call("fork_linger0_close A")[0])
        seen = client.call("result C")[0]
        s.finish_scenario(client, server, expect=2)
    check_scenario(check, seen == "ECONNRESET", "client saw %s" % seen)
    if not s.traced:
        return
    sent = check.one(s.events("rst_sent"), "server rst_sent")
    if sent:
        check.fields(sent, {"reason": "TCP_STATE", "state": "CLOSE",
                            "prev_state": "ESTABLISHED", "diagnosis.code": "abortive_close",
                            "owner.pid": server.pid, "owner.source": "accept",
                            "context.pid": child, "context.tid": child,
                            **endpoint_fields(("127.0.0.1", port), ("127.0.0.1", lport))},
                     "server rst_sent")
        text_has(check, sent, "pid %d (%s) closed the connection with SO_LINGER 0 "
                 "(TCP_STATE; it was accepted by pid %d (%s))"
                 % (child, server.comm, server.pid, server.comm))
    received = check.one(s.events("rst_received"), "client rst_received")
    if received:
        # Both ends traced: the reset received is the one the child was seen
        # sending, whatever its timing (a reset this soon after the handshake
        # would otherwise be read as an accept-queue overflow).
        check.fields(received, {"state": "ESTABLISHED", "diagnosis.code": "peer_reset",
                                "diagnosis.confidence": None,
                                "diagnosis.sent_by.pid": child,
                                "diagnosis.sent_by.code": "abortive_close",
                                "owner.pid": client.pid}, "client rst_received")
    s.check_totals(ns, {"rst_sent": "TcpOutRsts", "rst_received": 1, "lost": 0, "written": 2})


# --------------------------------------------------------------------------
# item 4: every listener of a port, and which one a drop belonged to

def reuseport_case(ctx, check, port, listen_first, addrs=("127.0.0.1", "127.0.0.1")):
    """Two processes listen on one port with SO_REUSEPORT and listen(2):
    A never accepts, B accepts everything from 0.5 s on (so that both drop
    SYNs: the first of B's before it accepts, A's all along); 40 concurrent
    connects on loopback, syncookies off.  The kernel's per-listener drop counters
    (ss -m) say which listener each drop belonged to; rsttrace's events
    and summary rows must say the same, and its totals equal
    ListenOverflows and TCPReqQFullDrop.  With two addresses, A and B bind
    one each and 20 clients connect to each address at the same time."""
    ns = Netns()
    ns.sysctl({"net.ipv4.tcp_syncookies": 0})
    a, b = tpeer(ns), tpeer(ns)
    clients = [tpeer(ns) for _ in set(addrs)]

    def listen():
        a.call("listen_rp L %s %d 2" % (addrs[0], port))
        b.call("listen_rp L %s %d 2" % (addrs[1], port))

    if listen_first:
        listen()
    # --syn-detector=always: each listener's SYN-path drops are checked one by
    # one; by default the first ones come before the detector is armed on
    # pressure and are only counted, as syn_detector_disarmed.
    with XSession(ctx, check, [ns], ["--netns", str(ns.inode), "--summary",
                                     "--syn-detector=always"]) as s:
        if not listen_first:
            listen()
        b.call("accept_all L 0.5")
        for client, addr in zip(clients, sorted(set(addrs))):
            client.send("burst G 4 %s %d %d 1.6" % (addr, port, 40 // len(clients)))
        for client in clients:
            client.answer(timeout=15)
        # The pending clients retransmit their SYNs until they are closed:
        # the listeners' drop counters are final only then.
        for client in clients:
            client.close()
        time.sleep(0.2)
        drops = listener_drops(ns, port)
        s.finish_scenario(a, b)
    overflows, synq = s.delta("TcpExtListenOverflows"), s.delta("TcpExtTCPReqQFullDrop")
    listen_drops = s.delta("TcpExtListenDrops")
    # sk_drops counts an ACK-path overflow twice (see listener_drops): what
    # the listeners' counters hold above ListenDrops is that many ACK-path
    # overflows, seen once on the 6.1 guest (8 of 31); never negative.
    ack_twice = sum(drops.values()) - listen_drops
    check_scenario(check, set(drops) == {a.pid, b.pid} and all(drops.values()),
                   "ss listeners and their drops %s: both must drop" % drops)
    check_scenario(check, overflows >= 1 and listen_drops == overflows + synq
                   and 0 <= ack_twice <= overflows,
                   "ListenOverflows delta %d, TCPReqQFullDrop %d, ListenDrops %d, ss drops %s: "
                   "drops of another kind" % (overflows, synq, listen_drops, drops))
    figures("reuseport", listen_first=listen_first, overflows=overflows, synq=synq,
            drops_a=drops[a.pid], drops_b=drops[b.pid], ack_path=ack_twice)
    if not s.traced:
        return
    events = s.events("listen_overflow") + s.events("syn_queue_overflow")
    # Not a tolerance: named in the message when the per-listener counts
    # differ (a drop no hook saw cannot be given to a listener).
    why = "tracer: %d unattributed, %d runs missed (%s)" % (
        s.unattributed("listen_overflow") + s.unattributed("syn_queue_overflow"),
        sum(m.get("count", 0) for m in s.run.missed),
        ",".join(sorted(set(m.get("hook", "?") for m in s.run.missed))))
    def in_sk_drops(e):
        """What an event adds to its listener's sk_drops."""
        return e.get("count", 1) * (2 if e.get("path") == "ack" else 1)

    for pid, name in ((a.pid, "A"), (b.pid, "B")):
        mine = [e for e in events if dig(e, "listener.owner.pid") == pid]
        got = sum(in_sk_drops(e) for e in mine)
        check.that(got == drops[pid], "%d overflow events name listener %s (pid %d), %d in "
                   "sk_drops (an ACK-path one counts 2), the kernel dropped %d there; %s"
                   % (len(mine), name, pid, got, drops[pid], why))
    acks = sum(e.get("count", 1) for e in events if e.get("path") == "ack")
    check.that(acks == ack_twice, "%d ACK-path overflow events, the listeners' sk_drops "
               "exceed ListenDrops by %d; %s" % (acks, ack_twice, why))
    summary = s.check_totals(ns, {"listen_overflow": "TcpExtListenOverflows",
                                  "syn_queue_overflow": "TcpExtTCPReqQFullDrop",
                                  "rst_sent": "TcpOutRsts", "lost": 0})
    rows = [r for r in summary.get("listeners", [])
            if r.get("netns") == ns.inode and r.get("port") == port]
    for pid, name in ((a.pid, "A"), (b.pid, "B")):
        mine = [r for r in rows if dig(r, "owner.pid") == pid]
        paths = [r.get("overflows") or {} for r in mine]
        got = sum(sum(p.values()) + p.get("ack", 0) for p in paths) + sum(
            r.get("syn_queue_overflows", 0) for r in mine)
        if drops[pid]:
            check.that(len(mine) == 1, "%d summary rows for listener %s (pid %d), expected 1"
                       % (len(mine), name, pid))
        check.that(got == drops[pid], "summary rows of listener %s (pid %d): %d in sk_drops "
                   "(ACK path counted twice), the kernel dropped %d there"
                   % (name, pid, got, drops[pid]))


@test("truth_reuseport_listeners_before_start")
def t_reuseport_before(ctx, check):
    """Issue 14 item 4, both listeners there before rsttrace started."""
    reuseport_case(ctx, check, 20307, listen_first=True)


@test("truth_reuseport_listeners_after_start")
def t_reuseport_after(ctx, check):
    """Issue 14 item 4, both listeners made after rsttrace attached."""
    reuseport_case(ctx, check, 20308, listen_first=False)


@test("truth_two_addresses_one_port")
def t_two_addresses_one_port(ctx, check):
    """Issue 14 item 4: the same with A on 127.0.0.1 and B on 127.0.0.2."""
    reuseport_case(ctx, check, 20311, listen_first=False, addrs=("127.0.0.1", "127.0.0.2"))


# --------------------------------------------------------------------------
# item 6: overflow totals under a burst, accept() racing on another CPU

@test("truth_cookie_burst_pinned_exact")
def t_cookie_burst_pinned(ctx, check):
    """Issue 14 item 6: listen(4), syncookies on, tcp_abort_on_overflow=1,
    500 concurrent clients; the server accepts all the time on CPU 0, the
    clients run on CPU 1, so accept() empties the queue while the other
    CPU decides about an overflow.  The totals equal the kernel's counters
    exactly: ListenOverflows, SYN-queue drops and cookies, TcpOutRsts."""
    # Its race needs two CPUs; in the one-CPU kernel guests: a named skip.
    cpus = kernel.need_cpus(2, "accept() on one CPU racing the overflow decision on another")
    port = 20309
    client_ns, server_ns = Netns(), Netns()
    VethPair(client_ns, server_ns, 61)
    saddr = "10.77.61.2"
    server_ns.sysctl({"net.ipv4.tcp_syncookies": 1, "net.ipv4.tcp_abort_on_overflow": 1})
    server, client = tpeer(server_ns), tpeer(client_ns)
    server.call("pin %d" % cpus[0])
    client.call("pin %d" % cpus[1])
    with XSession(ctx, check, [server_ns], ["--netns", str(server_ns.inode), "--summary"]) as s:
        server.call("listen_rp L 0.0.0.0 %d 4" % port)
        # Accepting all the time, 1 ms apart: on an idle machine an accept()
        # at full speed kept up with the burst (0 overflows seen in CI).
        server.call("accept_all L 0 0.001")
        burst = parse_kv(client.call("burst G 4 %s %d 500 3" % (saddr, port), timeout=30))
        # Nothing in flight between the last counter read and the tracer's
        # exit: closing 500 clients sends FINs the server would answer late
        # (measured: totals 421 resets, TcpOutRsts 395 read 0.3 s earlier).
        cut_link(client_ns, "rttc61")
        s.finish_scenario(client, server)
    overflows = s.delta("TcpExtListenOverflows")
    figures("cookie_burst", burst={k: v for k, v in burst.items() if k != "lports"},
            overflows=overflows, cookies=s.delta("TcpExtSyncookiesSent"),
            reqqfull=s.delta("TcpExtTCPReqQFullDrop"), rsts=s.delta("TcpOutRsts"))
    check_scenario(check, overflows >= 1, "ListenOverflows delta %d: no overflow" % overflows)
    if not s.traced:
        return
    s.check_totals(server_ns, {"listen_overflow": "TcpExtListenOverflows",
                               "rst_sent": "TcpOutRsts", "lost": 0})
    summary = s.final_summary()
    paths = summary.get("totals", {})
    got = sum(paths.get(k, 0) for k in ("listen_overflow_syn", "listen_overflow_ack",
                                        "listen_overflow_cookie"))
    unseen = s.unattributed("listen_overflow")
    check.that(got + unseen == overflows, "per-path overflow totals %d + %d unattributed, "
               "ListenOverflows delta %d" % (got, unseen, overflows))
    events = sum(e.get("count", 1) for e in s.events("listen_overflow"))
    check.that(events + unseen == overflows, "%d listen_overflow events + %d unattributed, "
               "ListenOverflows delta %d" % (events, unseen, overflows))


# --------------------------------------------------------------------------
# item 9: SIGTERM ends a tracer blocked on a stalled reader

def nslib_wchan(pid):
    """Where the process sleeps in the kernel (pipe_write when blocked)."""
    try:
        with open("/proc/%d/wchan" % pid) as f:
            return f.read().strip() or "-"
    except OSError:
        return "?"

@test("truth_sigterm_stalled_reader", tracer_only=True)
def t_sigterm_stalled_reader(ctx, check):
    """Issue 14 item 9: the reader of rsttrace's stdout stops reading (as a
    SIGSTOPped `| less` would) until the pipe is full and rsttrace blocks
    in write(); SIGTERM must still end it within 2 s (1.08 s measured on
    the host; the deadline is scaled by RSTTRACE_TIME_SCALE like every
    other, since under TCG the exit's detaching takes ~5x longer)."""
    ns = Netns()
    tracer = Tracer(ctx.binary, ["--netns", str(ns.inode)], stdout_pipe=True)
    try:
        tracer.wait_attached()
        storm(ns, 300)

        def queued():
            buf = fcntl.ioctl(tracer.proc.stdout.fileno(), termios.FIONREAD, b"\0\0\0\0")
            return struct.unpack("i", buf)[0]
        # Full: 64 KiB less than one record, and no longer growing.
        deadline, last, full = time.monotonic() + 5, -1, queued()
        while (full != last or full < 60000) and time.monotonic() < deadline:
            time.sleep(0.3)
            last, full = full, queued()
        blocked = nslib_wchan(tracer.pid)
        check_scenario(check, full >= 60000 and full == last and "pipe_write" in blocked,
                       "%d bytes in the pipe, not growing: %s, tracer sleeps in %s"
                       % (full, full == last, blocked))
        sent = time.monotonic()
        os.kill(tracer.pid, signal.SIGTERM)
        exited = tracer.wait_exit(2 * nslib.TIME_SCALE)
        took = time.monotonic() - sent
        figures("sigterm_stalled", pipe_bytes=full, wchan=blocked, exit_s="%.3f" % took)
        if not exited:   # how late, or not at all: for the failure message
            late = tracer.wait_exit(10 * nslib.TIME_SCALE)
            check.that(False, "tracer still running %.1f s after SIGTERM with a stalled reader "
                       "(%s)" % (took, "exited after %.1f s" % (time.monotonic() - sent)
                                 if late else "still running after %.1f s"
                                 % (time.monotonic() - sent)))
        check.that(not exited or tracer.proc.returncode == 0,
                   "exit status %s" % tracer.proc.returncode)
    finally:
        tracer.kill()
        tracer.proc.stdout.close()


# --------------------------------------------------------------------------
# rough edges: what rsttrace leaves behind, what it accepts

TRACEFS_SCRIPT = """
umount /sys/kernel/tracing 2>/dev/null || true
test -e /sys/kernel/tracing/events && { echo "still mounted"; exit 3; }
"$1" --json -d 0.3 >/dev/null 2>"$2" || echo "rsttrace exit $?"
grep -q ' /sys/kernel/tracing ' /proc/self/mountinfo && echo "left mounted" || echo "as found"
"""


@test("truth_tracefs_left_as_found", tracer_only=True)
def t_tracefs_left_as_found(ctx, check):
    """Issue 14, rough edges: rsttrace mounts tracefs where it is missing
    (the accept tracepoints need it) and must unmount what it mounted.
    Run in a private mount namespace, so the machine's mount is not
    touched."""
    with tempfile.NamedTemporaryFile(prefix="rtt-tracefs-") as err:
        res = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                              TRACEFS_SCRIPT, "sh", ctx.binary, err.name],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             timeout=30 * nslib.TIME_SCALE)
        stderr = open(err.name).read()
    check_scenario(check, "still mounted" not in res.stdout, "cannot unmount tracefs in a "
                   "private mount namespace: %r %r" % (res.stdout, res.stderr))
    check.that(res.stdout.strip() == "as found", "after rsttrace: %r" % res.stdout.strip())
    check.that("rsttrace: attached:" in stderr and "cannot attach" not in stderr,
               "tracepoints not attached without tracefs: %r" % stderr[:500])


cli_error_test("truth_netns_not_a_netns", ["--netns", "/etc/hostname"], "/etc/hostname")


# --------------------------------------------------------------------------
# item 10: process names in UTF-8 pass through

@test("truth_utf8_process_name")
def t_utf8_process_name(ctx, check):
    """Issue 14 item 10: a server process named "сервер" (12 bytes of
    UTF-8) closes with SO_LINGER 0: its name arrives as UTF-8 in the JSON
    (no \\u00XX escape per byte) and in the text output of a second
    tracer (-w, to a file), not as question marks."""
    name = "сервер"
    ns = Netns()
    server, client = tpeer(ns), tpeer(ns)
    server.call("rename %s" % name)
    port = 20310
    raw = b""
    with tempfile.NamedTemporaryFile(prefix="rtt-text-") as out, \
            tempfile.NamedTemporaryFile(prefix="rtt-text-err-") as err:
        text = None
        if not ctx.scenarios_only:
            text = text_tracer([ctx.binary, "-w", "--netns", str(ns.inode)], out, err)
        with XSession(ctx, check, [ns], ["--netns", str(ns.inode), "--summary"]) as s:
            server.call("listen L 4 127.0.0.1 %d 16" % port)
            client.call("connect C 4 127.0.0.1 %d" % port)
            server.call("accept A L")
            server.call("linger0 A")
            server.call("close A")
            seen = client.call("result C")[0]
            s.finish_scenario(client, server, expect=2)
        if text is not None:
            nslib.stop_process(text, signal.SIGINT)
            raw = open(out.name, "rb").read()
    check_scenario(check, seen == "ECONNRESET", "client saw %s" % seen)
    if not s.traced:
        return
    sent = check.one(s.events("rst_sent"), "server rst_sent")
    if sent:
        check.fields(sent, {"owner.pid": server.pid, "owner.comm": name,
                            "context.comm": name}, "server rst_sent")
    check.that(b"\\u00d1" not in s.run.stdout.encode() and name.encode() in s.run.stdout.encode(),
               "JSON stdout does not carry %r as UTF-8" % name)
    check.that(name.encode() in raw and b"????" not in raw, "text output: %r" % raw[-600:])


def text_tracer(argv, out, err):
    """A tracer in text mode writing to the file `out`, once attached."""
    proc = nslib.track(subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                        preexec_fn=nslib.die_with_parent))
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and proc.poll() is None:
        if ATTACHED in open(err.name).read():
            break
        time.sleep(0.05)
    return proc
