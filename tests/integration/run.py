#!/usr/bin/env python3
"""Integration tests for rsttrace (stdlib only, needs root).

    python3 tests/integration/run.py [--bin PATH] [-k SUBSTR] [-v] [--scenarios-only]

Each test builds throw-away network namespaces, starts `rsttrace --json`,
provokes TCP resets or listen overflows with peer.py processes, and checks
the NDJSON events field by field against docs/schema.md and the kernel's
own SNMP counters (nstat) of the namespaces involved.  The tracer sees every
namespace, so events are selected by their netns inode.

A failure message starting with "scenario:" means the traffic did not do
what the test intended (a test or environment problem), not a tracer bug.
--scenarios-only runs the scenarios and those checks without the tracer.

Output: one "PASS name" / "FAIL name: why" line per test, then
"N passed, N failed".  -v writes the tracer's stderr and the events of the
test's namespaces to stderr for failed tests.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import nslib  # noqa: E402
from nslib import Netns, VethPair  # noqa: E402
from tracer import Tracer, TracerError  # noqa: E402

TEST_TIMEOUT = 60      # seconds per test, enforced with SIGALRM
CLOSED_PORT = 4242     # nothing ever listens on it in our namespaces
TESTS = []


# --------------------------------------------------------------------------
# test registry and assertions

def test(name, tracer_only=False):
    """Register a test.  tracer_only tests have no scenario worth running
    without the tracer, so --scenarios-only skips them."""
    def register(fn):
        TESTS.append((name, fn, tracer_only))
        return fn
    return register


class TestFailure(Exception):
    pass


class TestTimeout(Exception):
    pass


MISSING = object()


def dig(obj, path):
    """dig(ev, "owner.pid"): MISSING when a key is absent, None when an
    object on the way is null."""
    for key in path.split("."):
        if obj is None:
            return None
        if not isinstance(obj, dict) or key not in obj:
            return MISSING
        obj = obj[key]
    return obj


class Checks:
    """Collects every failed expectation of a test, so one run shows all
    that is wrong, plus details (JSON lines, tracer stderr) for -v."""

    def __init__(self):
        self.problems = []
        self.details = []

    def that(self, cond, msg, *events):
        if not cond:
            self.problems.append(msg)
            self.details += ["  event: " + json.dumps(e) for e in events]
        return cond

    def fields(self, ev, expected, label):
        for path, want in expected.items():
            got = dig(ev, path)
            self.that(got == want, "%s: %s = %s, expected %s"
                      % (label, path, "missing" if got is MISSING else json.dumps(got),
                         json.dumps(want)), ev)

    def one(self, events, label):
        """The single event of a selection; records a problem otherwise."""
        if self.that(len(events) == 1, "%s: %d events, expected exactly 1"
                     % (label, len(events)), *events):
            return events[0]
        return None

    def finish(self):
        if self.problems:
            raise TestFailure("; ".join(self.problems))


def owner_fields(prefix, peer, source):
    """Expected owner object of a socket that `peer` holds."""
    return {prefix + ".pid": peer.pid, prefix + ".tid": peer.pid,
            prefix + ".comm": peer.comm, prefix + ".cgroup_id": peer.cgroup_id,
            prefix + ".source": source, prefix + ".alive": True}


def context_fields(peer):
    return {"context.pid": peer.pid, "context.tid": peer.pid, "context.comm": peer.comm}


def endpoint_fields(local, remote):
    """local/remote as (addr, port)."""
    return {"local.addr": local[0], "local.port": local[1],
            "remote.addr": remote[0], "remote.port": remote[1]}


def of_type(events, type, **match):
    """Events of one type whose dotted fields equal the given values
    (dig paths written with __ for dots: local__port=80)."""
    return [e for e in events if e.get("type") == type and
            all(dig(e, k.replace("__", ".")) == v for k, v in match.items())]


# --------------------------------------------------------------------------
# a traced scenario

class Session:
    """Tracer attached before the scenario creates any socket (owners are
    learnt at listen/connect/accept), namespace counters read around the
    scenario, tracer stopped after the peers have exited and the counters
    are final, so every RST counted by the kernel happened while tracing."""

    def __init__(self, ctx, check, namespaces, args=()):
        self.ctx, self.check, self.namespaces = ctx, check, namespaces
        self.args = list(args)
        self.tracer = self.run = None
        self.before = self.after = None

    @property
    def traced(self):
        return not self.ctx.scenarios_only

    def __enter__(self):
        if self.traced:
            self.tracer = Tracer(self.ctx.binary, self.args)
            self.tracer.wait_attached()
        self.before = nslib.snapshot(self.namespaces)
        return self

    def finish_scenario(self, *peers):
        """Close peers in the given order, let in-flight packets settle,
        read the counters."""
        for peer in peers:
            peer.close()
        time.sleep(0.3)
        self.after = nslib.snapshot(self.namespaces)

    def __exit__(self, exc_type, exc, tb):
        if self.tracer is None:
            return False
        if exc_type is not None:
            self.tracer.kill()
            return False
        if self.after is None:
            self.finish_scenario()
        self.run = self.tracer.stop()
        self.check.problems += self.run.problems
        self.check.details.append("  tracer %s: exit %s, stderr:\n%s" % (
            " ".join(self.tracer.argv[1:]), self.run.rc,
            "\n".join("    " + l for l in self.run.stderr_lines())))
        for ev in self.run.in_netns(self.namespaces):
            self.check.details.append("  netns event: " + json.dumps(ev))
        return False

    def delta(self, counter):
        return nslib.sum_delta(self.before, self.after, counter)

    def events(self, type=None, namespaces=None):
        return self.run.in_netns(namespaces or self.namespaces, type)

    def check_rst_count(self):
        """Every RST the kernel counted in these namespaces is one rst_sent."""
        sent = len(self.events("rst_sent"))
        out = self.delta("TcpOutRsts")
        self.check.that(sent == out, "%d rst_sent events, TcpOutRsts delta %d" % (sent, out))


# --------------------------------------------------------------------------
# scenario steps

def connect(peer, name, family, addr, port):
    """-> (result, local port); result is "connected" or an errno name."""
    result, lport = peer.call("connect %s %s %s %d" % (name, family[-1], addr, port))
    return result, int(lport)


def listen(peer, name, family, addr, backlog=16, v6only=1):
    return int(peer.call("listen %s %s %s 0 %d %d"
                         % (name, family[-1], addr, backlog, v6only))[0])


def parse_kv(words):
    return dict(w.split("=", 1) for w in words)


# --------------------------------------------------------------------------
# 1 + 5: connection to a port nobody listens on

def no_listener_case(ctx, check, family, subnet):
    client_ns, server_ns = Netns(), Netns()
    veth = VethPair(client_ns, server_ns, subnet)
    caddr, saddr = veth.client_addr[family], veth.server_addr[family]
    client = client_ns.peer()
    with Session(ctx, check, [client_ns, server_ns]) as s:
        result, lport = connect(client, "C", family, saddr, CLOSED_PORT)
        s.finish_scenario(client)
    check.that(result == "ECONNREFUSED", "scenario: connect gave %s" % result)
    check.that(s.delta("TcpOutRsts") == 1,
               "scenario: TcpOutRsts delta %d, expected 1" % s.delta("TcpOutRsts"))
    if not s.traced:
        return

    sent = check.one(s.events("rst_sent", [server_ns]), "rst_sent in server netns")
    if sent:
        check.fields(sent, {
            "family": family, "reason": "NO_SOCKET", "state": None,
            "prev_state": None, "cause": None, "addr_source": "packet",
            "owner": None, "listener": None, "context": None, "sk": None,
            **endpoint_fields((saddr, CLOSED_PORT), (caddr, lport))}, "rst_sent")
    received = check.one(s.events("rst_received", [client_ns]), "rst_received in client netns")
    if received:
        check.fields(received, {
            "family": family, "state": "SYN_SENT", "prev_state": None,
            "reason": None, "cause": None, "addr_source": "socket", "context": None,
            **endpoint_fields((caddr, lport), (saddr, CLOSED_PORT)),
            **owner_fields("owner", client, "connect")}, "rst_received")
        check.that(isinstance(received["sk"], str), "rst_received: sk is null", received)
    s.check_rst_count()


@test("no_listener")
def t_no_listener(ctx, check):
    no_listener_case(ctx, check, "ipv4", 1)


@test("ipv6_no_listener")
def t_ipv6_no_listener(ctx, check):
    no_listener_case(ctx, check, "ipv6", 5)


# --------------------------------------------------------------------------
# 2 + 5: the server closes a connection with unread data

def abort_on_close_case(ctx, check, listen_family, listen_addr, connect_family,
                        connect_addr, expect_family, expect_addr):
    ns = Netns()
    server, client = ns.peer(), ns.peer()
    with Session(ctx, check, [ns]) as s:
        port = listen(server, "L", listen_family, listen_addr, v6only=0)
        result, lport = connect(client, "C", connect_family, connect_addr, port)
        server.call("accept A L")
        client.call("send C 100")
        # The data must sit unread in the server's receive queue at close();
        # the client sends nothing more (no FIN), so the server socket is
        # ESTABLISHED when it closes.
        server.call("wait_unread A 100")
        server.call("close A")
        seen = client.call("result C")[0]
        s.finish_scenario(server, client)
    check.that(result == "connected", "scenario: connect gave %s" % result)
    check.that(seen == "ECONNRESET", "scenario: client saw %s, not ECONNRESET" % seen)
    aborts = s.delta("TcpExtTCPAbortOnClose")
    check.that(aborts == 1, "scenario: TCPAbortOnClose delta %d, expected 1" % aborts)
    if not s.traced:
        return

    server_end, client_end = (expect_addr, port), (expect_addr, lport)
    aborted = of_type(s.events(), "rst_sent", reason="TCP_ABORT_ON_CLOSE")
    check.that(len(aborted) == aborts, "%d TCP_ABORT_ON_CLOSE events, TCPAbortOnClose delta %d"
               % (len(aborted), aborts), *aborted)
    sent = check.one(of_type(aborted, "rst_sent", local__port=port), "abort rst_sent")
    if sent:
        check.fields(sent, {
            "family": expect_family, "state": "CLOSE", "prev_state": "ESTABLISHED",
            "cause": None, "addr_source": "socket",
            **endpoint_fields(server_end, client_end),
            **owner_fields("owner", server, "accept"), **context_fields(server)}, "rst_sent")
    received = check.one(of_type(s.events(), "rst_received", local__port=lport),
                         "client rst_received")
    if received:
        check.fields(received, {
            "family": expect_family, "state": "ESTABLISHED", "prev_state": None,
            "reason": None, "context": None, "addr_source": "socket",
            **endpoint_fields(client_end, server_end),
            **owner_fields("owner", client, "connect")}, "rst_received")
    s.check_rst_count()


@test("abort_on_close")
def t_abort_on_close(ctx, check):
    abort_on_close_case(ctx, check, "ipv4", "127.0.0.1", "ipv4", "127.0.0.1",
                        "ipv4", "127.0.0.1")


@test("ipv4_mapped_abort_on_close")
def t_ipv4_mapped(ctx, check):
    # Both sockets are AF_INET6 and talk over ::ffff:127.0.0.1: the schema
    # folds v4-mapped addresses to ipv4 with dotted quads.
    abort_on_close_case(ctx, check, "ipv6", "::", "ipv6", "::ffff:127.0.0.1",
                        "ipv4", "127.0.0.1")


# --------------------------------------------------------------------------
# 3: SO_LINGER {1, 0} close by the client

def linger0_case(ctx, check, accept):
    ns = Netns()
    server, client = ns.peer(), ns.peer()
    with Session(ctx, check, [ns]) as s:
        port = listen(server, "L", "ipv4", "127.0.0.1")
        result, lport = connect(client, "C", "ipv4", "127.0.0.1", port)
        if accept:
            server.call("accept A L")
        client.call("linger0 C")
        client.call("close C")
        seen = server.call("result A")[0] if accept else "ECONNRESET"
        s.finish_scenario(client, server)
    check.that(result == "connected", "scenario: connect gave %s" % result)
    check.that(seen == "ECONNRESET", "scenario: server saw %s, not ECONNRESET" % seen)
    check.that(s.delta("TcpOutRsts") >= 1, "scenario: no RST counted")
    if not s.traced:
        return

    client_end, server_end = ("127.0.0.1", lport), ("127.0.0.1", port)
    sent = check.one(of_type(s.events(), "rst_sent", local__port=lport), "client rst_sent")
    if sent:
        check.fields(sent, {
            "family": "ipv4", "reason": "TCP_STATE", "state": "CLOSE",
            "prev_state": "ESTABLISHED", "cause": None, "addr_source": "socket",
            **endpoint_fields(client_end, server_end),
            **owner_fields("owner", client, "connect"), **context_fields(client)}, "rst_sent")
    received = check.one(of_type(s.events(), "rst_received", local__port=port,
                                 remote__port=lport), "server rst_received")
    if received:
        check.fields(received, {
            "family": "ipv4", "state": "ESTABLISHED", "reason": None, "context": None,
            **endpoint_fields(server_end, client_end),
            **owner_fields("owner", server, "accept" if accept else "listener")},
            "rst_received")
    s.check_rst_count()


@test("linger0_accepted")
def t_linger0_accepted(ctx, check):
    linger0_case(ctx, check, accept=True)


@test("linger0_not_accepted")
def t_linger0_not_accepted(ctx, check):
    linger0_case(ctx, check, accept=False)


# --------------------------------------------------------------------------
# 4: accept-queue overflow with tcp_abort_on_overflow=1

@test("overflow_abort")
def t_overflow_abort(ctx, check):
    """Why the slow link and the two queued connections: the SYN queue and
    the accept queue have the same limit (the backlog), and on loopback or
    an idle veth a handshake completes inside connect().  So a burst into an
    empty queue only ever overflows on the SYN path, which sends no RST.
    With the queue at its limit (2 of backlog 2: full means > 2) and a
    token-bucket link delaying the clients' packets, the SYNs of the burst
    are all admitted before any of their final ACKs arrive; the first ACK
    takes the last slot and the next ones overflow on the ACK path, where
    abort_on_overflow sends a RST.  tcp_syncookies=0 keeps the cookie path,
    which never resets, out of the way."""
    client_ns, server_ns = Netns(), Netns()
    veth = VethPair(client_ns, server_ns, 4)
    server_ns.sysctl({"net.core.somaxconn": 4096, "net.ipv4.tcp_abort_on_overflow": 1,
                      "net.ipv4.tcp_syncookies": 0})
    client_ns.exec(["tc", "qdisc", "add", "dev", veth.client_dev, "root", "tbf",
                    "rate", "80kbit", "burst", "200", "limit", "100000"])
    caddr, saddr = veth.client_addr["ipv4"], veth.server_addr["ipv4"]
    server, client = server_ns.peer(), client_ns.peer()
    with Session(ctx, check, [client_ns, server_ns]) as s:
        port = listen(server, "L", "ipv4", "0.0.0.0", backlog=2)
        queued = [connect(client, "Q%d" % i, "ipv4", saddr, port)[0] for i in range(2)]
        burst = parse_kv(client.call("burst G 4 %s %d 28 0.6" % (saddr, port), timeout=10))
        time.sleep(0.5)  # the slow link drains, resets reach the clients
        outcome = parse_kv(client.call("burst_result G"))
        s.finish_scenario(client, server)
    burst_ports = {int(p) for p in burst["lports"].split(",")}
    resets = int(outcome.get("ECONNRESET", 0))
    overflows = s.delta("TcpExtListenOverflows")
    check.that(queued == ["connected"] * 2, "scenario: queue filling connects gave %s" % queued)
    check.that(resets >= 1, "scenario: no burst client was reset (%s)" % outcome)
    check.that(overflows > resets, "scenario: ListenOverflows delta %d" % overflows)
    if not s.traced:
        return

    server_fields = {"local.addr": saddr, "local.port": port, "remote.addr": caddr,
                     "family": "ipv4", "listener.addr": "0.0.0.0", "listener.port": port,
                     "listener.accept_queue_max": 2,
                     **owner_fields("listener.owner", server, "listen")}
    rsts = of_type(s.events(), "rst_sent", reason="INVALID_SYN")
    check.that(len(rsts) == resets, "%d INVALID_SYN rst_sent, %d clients reset"
               % (len(rsts), resets), *rsts)
    for ev in rsts:
        check.fields(ev, {**server_fields, "state": "LISTEN", "cause": "listen_overflow",
                          "addr_source": "packet", "context": None,
                          **owner_fields("owner", server, "listen")}, "overflow rst_sent")
        check_from_burst(check, ev, burst_ports, "overflow rst_sent")
    for ev in of_type(s.events(), "rst_sent", cause="listen_overflow"):
        check.that(ev["reason"] == "INVALID_SYN", "cause listen_overflow on %s" % ev["reason"], ev)

    drops = of_type(s.events(), "listen_overflow")
    check.that(1 <= len(drops) <= overflows, "%d listen_overflow events, ListenOverflows delta %d"
               % (len(drops), overflows))
    for ev in drops:
        check.fields(ev, {**server_fields, "path": "ack", "reason": "TCP_LISTEN_OVERFLOW",
                          "context": None}, "listen_overflow")
        check_from_burst(check, ev, burst_ports, "listen_overflow")
    s.check_rst_count()


def check_from_burst(check, ev, burst_ports, label):
    port = dig(ev, "remote.port")
    check.that(port in burst_ports, "%s: remote.port %s is not a burst client's port"
               % (label, port), ev)
    lst = ev.get("listener") or {}
    check.that(lst.get("accept_queue", 0) > lst.get("accept_queue_max", 0),
               "%s: accept_queue %s not over accept_queue_max %s"
               % (label, lst.get("accept_queue"), lst.get("accept_queue_max")), ev)


# --------------------------------------------------------------------------
# 6: filters

def refused_connects(peer, family, addr, ports, each=2):
    """Connect to closed ports: one NO_SOCKET RST per attempt."""
    results = []
    for port in ports:
        for i in range(each):
            results.append(connect(peer, "R%d_%d" % (port, i), family, addr, port)[0])
    return results


@test("filter_port")
def t_filter_port(ctx, check):
    ns = Netns()
    client = ns.peer()
    wanted, other = 4101, 4102
    with Session(ctx, check, [ns], ["-P", str(wanted)]) as s:
        results = refused_connects(client, "ipv4", "127.0.0.1", [wanted, other])
        s.finish_scenario(client)
    check.that(results == ["ECONNREFUSED"] * 4, "scenario: connects gave %s" % results)
    check.that(s.delta("TcpOutRsts") == 4, "scenario: TcpOutRsts delta %d, expected 4"
               % s.delta("TcpOutRsts"))
    if not s.traced:
        return
    for ev in s.run.events:
        check.that(wanted in (dig(ev, "local.port"), dig(ev, "remote.port")),
                   "event without port %d" % wanted, ev)
    sent = of_type(s.events(), "rst_sent", local__port=wanted)
    check.that(len(sent) == 2, "%d rst_sent to port %d, expected 2" % (len(sent), wanted), *sent)


@test("filter_pid")
def t_filter_pid(ctx, check):
    """-p SERVER while an identical scenario with other pids runs."""
    namespaces = [Netns(), Netns()]
    pairs = [(ns.peer(), ns.peer()) for ns in namespaces]
    wanted = pairs[0][0].pid
    with Session(ctx, check, namespaces, ["-p", str(wanted)]) as s:
        seen = [abort_on_close_steps(server, client) for server, client in pairs]
        s.finish_scenario(*[p for pair in pairs for p in pair])
    check.that(seen == ["ECONNRESET"] * 2, "scenario: clients saw %s" % seen)
    if not s.traced:
        return
    for ev in s.run.events:
        check.that(wanted in (dig(ev, "owner.pid"), dig(ev, "listener.owner.pid")),
                   "event not owned by pid %d" % wanted, ev)
    sent = of_type(s.events(), "rst_sent", reason="TCP_ABORT_ON_CLOSE", owner__pid=wanted)
    check.that(len(sent) == 1, "%d abort rst_sent of pid %d, expected 1" % (len(sent), wanted))


def abort_on_close_steps(server, client):
    port = listen(server, "L", "ipv4", "127.0.0.1")
    connect(client, "C", "ipv4", "127.0.0.1", port)
    server.call("accept A L")
    client.call("send C 10")
    server.call("wait_unread A 10")
    server.call("close A")
    return client.call("result C")[0]


@test("filter_family")
def t_filter_family(ctx, check):
    client_ns, server_ns = Netns(), Netns()
    veth = VethPair(client_ns, server_ns, 6)
    client = client_ns.peer()
    with Session(ctx, check, [client_ns, server_ns], ["-6"]) as s:
        results = [connect(client, "C" + fam, fam, veth.server_addr[fam], CLOSED_PORT)[0]
                   for fam in ("ipv4", "ipv6")]
        s.finish_scenario(client)
    check.that(results == ["ECONNREFUSED"] * 2, "scenario: connects gave %s" % results)
    if not s.traced:
        return
    for ev in s.run.events:
        check.that(ev.get("family") == "ipv6", "ipv4 event with -6", ev)
    check.that(len(s.events("rst_sent")) == 1, "%d rst_sent in our netns, expected 1 (ipv6)"
               % len(s.events("rst_sent")))


@test("filter_events")
def t_filter_events(ctx, check):
    ns = Netns()
    client = ns.peer()
    with Session(ctx, check, [ns], ["--events", "sent"]) as s:
        results = refused_connects(client, "ipv4", "127.0.0.1", [CLOSED_PORT], each=1)
        s.finish_scenario(client)
    check.that(results == ["ECONNREFUSED"], "scenario: connect gave %s" % results)
    if not s.traced:
        return
    for ev in s.run.events:
        check.that(ev.get("type") == "rst_sent", "%s with --events sent" % ev.get("type"), ev)
    check.that(len(s.events("rst_sent")) == 1, "%d rst_sent in our netns, expected 1"
               % len(s.events("rst_sent")))


@test("filter_netns")
def t_filter_netns(ctx, check):
    """--netns by path and by inode, with RSTs in a second namespace."""
    for form in ("path", "inode"):
        wanted, other = Netns(), Netns()
        value = (os.path.join(nslib.NETNS_DIR, wanted.name) if form == "path"
                 else str(wanted.inode))
        peers = [wanted.peer(), other.peer()]
        with Session(ctx, check, [wanted, other], ["--netns", value]) as s:
            results = [connect(p, "C", "ipv4", "127.0.0.1", CLOSED_PORT)[0] for p in peers]
            s.finish_scenario(*peers)
        check.that(results == ["ECONNREFUSED"] * 2, "scenario: connects gave %s" % results)
        if not s.traced:
            return
        for ev in s.run.events:
            check.that(ev.get("netns") == wanted.inode, "--netns %s: event from netns %s"
                       % (form, ev.get("netns")), ev)
        check.that(len(s.events("rst_sent", [wanted])) == 1,
                   "--netns %s: %d rst_sent, expected 1" % (form, len(s.events("rst_sent", [wanted]))))


# --------------------------------------------------------------------------
# 8: command line errors

def run_cli(ctx, args, timeout=10):
    """Run the binary to completion; a tracer that starts tracing instead of
    rejecting its arguments is killed after `timeout`."""
    try:
        return subprocess.run([ctx.binary] + args, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise TestFailure("still running after %ds" % timeout)


def cli_error_test(name, args, bad_value):
    @test(name, tracer_only=True)
    def t(ctx, check):
        res = run_cli(ctx, args)
        lines = [l for l in res.stderr.splitlines() if l.strip()]
        check.that(res.returncode == 2, "exit status %d, expected 2" % res.returncode)
        check.that(len(lines) == 1, "stderr has %d lines, expected 1: %r"
                   % (len(lines), res.stderr[:300]))
        check.that(bad_value in res.stderr, "stderr does not mention %r: %r"
                   % (bad_value, res.stderr[:300]))
    return t


cli_error_test("cli_port_out_of_range", ["-P", "70000"], "70000")
cli_error_test("cli_pid_not_a_number", ["-p", "abc"], "abc")
cli_error_test("cli_events_bogus", ["--events", "bogus"], "bogus")
cli_error_test("cli_netns_missing", ["--netns", "/nonexistent"], "/nonexistent")
cli_error_test("cli_unknown_flag", ["--bogus-flag"], "--bogus-flag")


@test("cli_version", tracer_only=True)
def t_cli_version(ctx, check):
    res = run_cli(ctx, ["--version"])
    check.that(res.returncode == 0, "exit status %d" % res.returncode)
    check.that(res.stdout.strip() != "", "nothing on stdout")


@test("cli_help", tracer_only=True)
def t_cli_help(ctx, check):
    res = run_cli(ctx, ["--help"])
    check.that(res.returncode == 0, "exit status %d" % res.returncode)
    check.that("--json" in res.stdout, "--help output on stdout does not mention --json")


# --------------------------------------------------------------------------
# 9 + 10: lifecycle

def bpf_programs():
    """{prog id: [pids holding it]} from bpftool (pids may be unknown: [])."""
    res = nslib.run(["bpftool", "-j", "prog", "show"])
    return {p["id"]: [h["pid"] for h in p.get("pids", [])] for p in json.loads(res.stdout or "[]")}


def tracer_programs(before, pid):
    """Programs the tracer loaded: those held by its pid, or, when bpftool
    cannot tell owners, those that appeared since `before`."""
    now = bpf_programs()
    owned = {i for i, pids in now.items() if pid in pids}
    return owned or set(now) - set(before)


def check_programs_gone(check, progs):
    """Programs are freed when the last fd closes; allow a moment."""
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        left = progs & set(bpf_programs())
        if not left:
            return
        time.sleep(0.1)
    check.that(False, "BPF programs %s still loaded after exit" % sorted(left))


@test("lifecycle_sigterm", tracer_only=True)
def t_lifecycle_sigterm(ctx, check):
    ns = Netns()
    client = ns.peer()
    before = bpf_programs()
    tracer = Tracer(ctx.binary)
    tracer.wait_attached()
    progs = tracer_programs(before, tracer.pid)
    check.that(progs, "no BPF program loaded by the tracer")
    connect(client, "C", "ipv4", "127.0.0.1", CLOSED_PORT)
    run = tracer.stop(signal.SIGTERM)
    check.problems += run.problems   # exit status 0, totals, valid JSON
    check.that(len(run.in_netns([ns], "rst_sent")) == 1, "RST before SIGTERM not reported")
    check_programs_gone(check, progs)


@test("lifecycle_stdout_closed", tracer_only=True)
def t_lifecycle_stdout_closed(ctx, check):
    """`rsttrace --json | head -1`: the reader goes away after one line; the
    next write fails and the tracer must exit 0 on its own, without a
    complaint (Popen restores the default SIGPIPE disposition, as a shell
    would)."""
    ns = Netns()
    client = ns.peer()
    before = bpf_programs()
    tracer = Tracer(ctx.binary, stdout_pipe=True)
    tracer.wait_attached()
    progs = tracer_programs(before, tracer.pid)
    connect(client, "C0", "ipv4", "127.0.0.1", CLOSED_PORT)
    first = tracer.read_line(5)
    check.that(first, "no event line within 5s")
    tracer.proc.stdout.close()
    exited = False
    for i in range(1, 50):   # keep producing events until it notices
        connect(client, "C%d" % i, "ipv4", "127.0.0.1", CLOSED_PORT)
        if tracer.wait_exit(0.1):
            exited = True
            break
    exited = exited or tracer.wait_exit(5)
    if not check.that(exited, "tracer still running 10s after its stdout was closed"):
        tracer.kill()
        check.finish()
    rc = tracer.proc.returncode
    check.that(rc == 0, "exit status %s after stdout closed" % rc)
    noisy = [l for l in tracer.stderr().splitlines()
             if any(w in l.lower() for w in ("error", "broken pipe", "epipe", "fail"))]
    check.that(not noisy, "complaints on stderr: %r" % noisy[:3])
    check_programs_gone(check, progs)


@test("drain_on_sigint", tracer_only=True)
def t_drain_on_sigint(ctx, check):
    """The peer sends SIGINT to the tracer right after its connect() was
    refused (the RST went out inside that connect): the event must still
    be printed before exit."""
    ns = Netns()
    client = ns.peer()
    tracer = Tracer(ctx.binary)
    tracer.wait_attached()
    result, lport = client.call("connect_kill 4 127.0.0.1 %d %d" % (CLOSED_PORT, tracer.pid))
    if not tracer.wait_exit(10):
        tracer.kill()
        raise TestFailure("tracer did not exit within 10s of SIGINT")
    run = tracer.result()
    check.that(result == "ECONNREFUSED", "scenario: connect gave %s" % result)
    check.problems += run.problems
    check.that(len(of_type(run.in_netns([ns]), "rst_sent", remote__port=int(lport))) == 1,
               "rst_sent of the last RST missing from the output")
    check.that(len(of_type(run.in_netns([ns]), "rst_received", local__port=int(lport))) == 1,
               "rst_received of the last RST missing from the output")


# --------------------------------------------------------------------------
# runner

class Ctx:
    def __init__(self, binary, verbose, scenarios_only):
        self.binary, self.verbose, self.scenarios_only = binary, verbose, scenarios_only


def on_alarm(signum, frame):
    raise TestTimeout("test took longer than %ds" % TEST_TIMEOUT)


def run_test(ctx, fn):
    """-> (passed, why, details)"""
    check = Checks()
    signal.alarm(TEST_TIMEOUT)
    try:
        fn(ctx, check)
        check.finish()
        return True, "", []
    except TestFailure as exc:
        return False, str(exc), check.details
    except (TracerError, nslib.PeerError, TestTimeout) as exc:
        return False, "%s; %s" % (exc, "; ".join(check.problems)), check.details
    except Exception as exc:  # a bug in the test or the environment
        return False, "error: %r" % exc, check.details + [traceback.format_exc()]
    finally:
        signal.alarm(0)
        nslib.cleanup()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", default=os.path.join(REPO, "rsttrace"),
                        help="rsttrace binary (default: rsttrace at the repo root)")
    parser.add_argument("-k", default="", metavar="SUBSTR",
                        help="only tests whose name contains SUBSTR")
    parser.add_argument("-v", action="store_true", help="details of failures on stderr")
    parser.add_argument("--scenarios-only", action="store_true",
                        help="run the scenarios and their counter checks without the tracer")
    opts = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run finally/atexit cleanup

    if os.geteuid() != 0:
        print("FAIL root: the integration tests need root (network namespaces, BPF)")
        print("0 passed, 1 failed")
        return 1
    ctx = Ctx(os.path.abspath(opts.bin), opts.v, opts.scenarios_only)
    passed = failed = 0
    for name, fn, tracer_only in TESTS:
        if opts.k not in name or (tracer_only and ctx.scenarios_only):
            continue
        if not ctx.scenarios_only and not os.access(ctx.binary, os.X_OK):
            ok, why, details = False, "no executable tracer at %s" % ctx.binary, []
        else:
            ok, why, details = run_test(ctx, fn)
        if ok:
            passed += 1
            print("PASS %s" % name, flush=True)
        else:
            failed += 1
            print("FAIL %s: %s" % (name, why.replace("\n", " ")), flush=True)
            if ctx.verbose and details:
                print("--- %s\n%s" % (name, "\n".join(details)), file=sys.stderr, flush=True)
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
