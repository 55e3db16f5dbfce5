"""Resets and overflows provoked with real traffic, checked field by field.

Every case runs with the default (BTF-typed tracepoint) programs and, where
the kernel path differs, again with --raw-tp (the fallback programs).
"""

import time

import kernel
import nslib
from harness import (CLOSED_PORT, FILLER, SLOW_TBF, Session, connect, context_fields, dig,
                     endpoint_fields, listen, of_type, owner_fields, parse_kv, test)
from nslib import Netns, VethPair

RAW_TP = ["--raw-tp"]


def variants(name, case, *case_args, raw_tp=True):
    """Register `name` (default programs) and `raw_tp_<name>`."""
    test(name)(lambda ctx, check: case(ctx, check, *case_args))
    if raw_tp:
        test("raw_tp_" + name)(lambda ctx, check: case(ctx, check, *case_args, args=RAW_TP))


# --------------------------------------------------------------------------
# connection to a port nobody listens on (over a veth, so the two ends have
# different addresses)

def no_listener_case(ctx, check, family, subnet, args=()):
    client_ns, server_ns = Netns(), Netns()
    veth = VethPair(client_ns, server_ns, subnet)
    caddr, saddr = veth.client_addr[family], veth.server_addr[family]
    client = client_ns.peer()
    with Session(ctx, check, [client_ns, server_ns], args) as s:
        result, lport = connect(client, "C", family, saddr, CLOSED_PORT)
        s.finish_scenario(client, expect=2)
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


variants("no_listener", no_listener_case, "ipv4", 1)
variants("ipv6_no_listener", no_listener_case, "ipv6", 2, raw_tp=False)


# --------------------------------------------------------------------------
# the server closes a connection with unread data: TCP_ABORT_ON_CLOSE

def abort_on_close_steps(server, client, family="ipv4", listen_addr="127.0.0.1",
                         connect_addr="127.0.0.1"):
    """-> (connect result, server port, client port, what the client saw)"""
    port = listen(server, "L", family, listen_addr, v6only=0)
    result, lport = connect(client, "C", family, connect_addr, port)
    server.call("accept A L")
    client.call("send C 100")
    # The data must sit unread in the server's receive queue at close();
    # the client sends nothing more (no FIN), so the server socket is
    # ESTABLISHED when it closes.
    server.call("wait_unread A 100")
    server.call("close A")
    return result, port, lport, client.call("result C")[0]


def abort_on_close_case(ctx, check, family, listen_addr, connect_addr,
                        expect_family, expect_addr, args=()):
    ns = Netns()
    server, client = ns.peer(), ns.peer()
    with Session(ctx, check, [ns], args) as s:
        result, port, lport, seen = abort_on_close_steps(
            server, client, family, listen_addr, connect_addr)
        s.finish_scenario(server, client, expect=2)
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


variants("abort_on_close", abort_on_close_case,
         "ipv4", "127.0.0.1", "127.0.0.1", "ipv4", "127.0.0.1")
# Both sockets AF_INET6 talking over ::ffff:127.0.0.1: the schema folds
# v4-mapped addresses to ipv4 with dotted quads.
variants("ipv4_mapped_abort_on_close", abort_on_close_case,
         "ipv6", "::", "::ffff:127.0.0.1", "ipv4", "127.0.0.1", raw_tp=False)


# --------------------------------------------------------------------------
# SO_LINGER {1, 0} close by the client: TCP_STATE

def linger0_case(ctx, check, accept, args=()):
    ns = Netns()
    server, client = ns.peer(), ns.peer()
    with Session(ctx, check, [ns], args) as s:
        port = listen(server, "L", "ipv4", "127.0.0.1")
        result, lport = connect(client, "C", "ipv4", "127.0.0.1", port)
        if accept:
            server.call("accept A L")
        client.call("linger0 C")
        client.call("close C")
        seen = server.call("result A")[0] if accept else "ECONNRESET"
        s.finish_scenario(client, server, expect=2)
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
        # Not accepted yet: the connection belongs to the listener's owner.
        check.fields(received, {
            "family": "ipv4", "state": "ESTABLISHED", "reason": None, "context": None,
            **endpoint_fields(server_end, client_end),
            **owner_fields("owner", server, "accept" if accept else "listener")},
            "rst_received")
    s.check_rst_count()


variants("linger0_accepted", linger0_case, True, raw_tp=False)
variants("linger0_not_accepted", linger0_case, False)


# --------------------------------------------------------------------------
# data reaches a socket that was shut down: TCP_ABORT_ON_DATA.  Before
# sending that RST the kernel runs tcp_reset() on its own socket, which
# fires tcp_receive_reset; the schema says it must not be reported.

def abort_on_data_case(ctx, check, args=()):
    ns = Netns()
    server, client = ns.peer(), ns.peer()
    with Session(ctx, check, [ns], args) as s:
        port = listen(server, "L", "ipv4", "127.0.0.1")
        result, lport = connect(client, "C", "ipv4", "127.0.0.1", port)
        server.call("accept A L")
        server.call("shutdown A")          # FIN; the server keeps the socket
        eof = client.call("result C")[0]   # the FIN arrived: CLOSE_WAIT
        client.call("send C 10")           # data for a reader that shut down
        err = client.call("sockerr C")[0]  # RST in CLOSE_WAIT -> EPIPE
        s.finish_scenario(client, server, expect=2)
    check.that(result == "connected" and eof == "eof",
               "scenario: connect %s, client saw %s instead of eof" % (result, eof))
    check.that(err == "EPIPE", "scenario: client socket error %s, not EPIPE" % err)
    on_data = s.delta("TcpExtTCPAbortOnData")
    check.that(on_data == 1, "scenario: TCPAbortOnData delta %d, expected 1" % on_data)
    if not s.traced:
        return

    server_end, client_end = ("127.0.0.1", port), ("127.0.0.1", lport)
    sent = check.one(of_type(s.events(), "rst_sent", reason="TCP_ABORT_ON_DATA"),
                     "TCP_ABORT_ON_DATA rst_sent")
    if sent:
        check.fields(sent, {
            "family": "ipv4", "cause": None, "context": None,
            **endpoint_fields(server_end, client_end),
            **owner_fields("owner", server, "accept")}, "rst_sent")
    local = of_type(s.events(), "rst_received", local__port=port)
    check.that(not local, "the server's own tcp_reset() reported as rst_received", *local)
    received = check.one(of_type(s.events(), "rst_received", local__port=lport),
                         "client rst_received")
    if received:
        check.fields(received, {
            "family": "ipv4", "state": "CLOSE_WAIT", "reason": None, "context": None,
            **endpoint_fields(client_end, server_end),
            **owner_fields("owner", client, "connect")}, "rst_received")
    s.check_rst_count()


variants("abort_on_data", abort_on_data_case)


# --------------------------------------------------------------------------
# sockets that exist before the tracer starts: owners come from the scan

@test("owner_from_scan")
def t_owner_from_scan(ctx, check):
    ns = Netns()
    server, client = ns.peer(), ns.peer()
    port = listen(server, "L", "ipv4", "127.0.0.1")
    result, lport = connect(client, "C", "ipv4", "127.0.0.1", port)
    server.call("accept A L")
    client.call("send C 100")
    server.call("wait_unread A 100")
    with Session(ctx, check, [ns]) as s:
        server.call("close A")
        seen = client.call("result C")[0]
        s.finish_scenario(server, client, expect=2)
    check.that(result == "connected", "scenario: connect gave %s" % result)
    check.that(seen == "ECONNRESET", "scenario: client saw %s, not ECONNRESET" % seen)
    if not s.traced:
        return
    sent = check.one(of_type(s.events(), "rst_sent", reason="TCP_ABORT_ON_CLOSE"),
                     "abort rst_sent")
    if sent:
        # prev_state comes from the ESTABLISHED -> CLOSE change, which
        # happens while tracing.
        check.fields(sent, {"local.port": port, "state": "CLOSE", "prev_state": "ESTABLISHED",
                            **owner_fields("owner", server, "scan"), **context_fields(server)},
                     "rst_sent")
    received = check.one(of_type(s.events(), "rst_received", local__port=lport),
                         "client rst_received")
    if received:
        check.fields(received, owner_fields("owner", client, "scan"), "rst_received")
    s.check_rst_count()


# --------------------------------------------------------------------------
# accept-queue overflow with tcp_abort_on_overflow=1

OVERFLOW_SYSCTLS = {"net.core.somaxconn": 4096, "net.ipv4.tcp_abort_on_overflow": 1,
                    "net.ipv4.tcp_syncookies": 0}


def overflow_abort_case(ctx, check, args=()):
    """Why the slow link and the two queued connections: the SYN queue and
    the accept queue have the same limit (the backlog), and on loopback or
    an idle veth a handshake completes inside connect().  So a burst into an
    empty queue only ever overflows on the SYN path, which sends no RST.
    With the queue at its limit (2 of backlog 2: full means > 2) and a
    token-bucket link delaying the clients' packets (its bucket emptied by
    UDP datagrams right before the burst: harness.FILLER), the SYNs of the
    burst are all admitted before any of their final ACKs arrive; the first
    ACK takes the last slot and the next ones overflow on the ACK path,
    where abort_on_overflow sends a RST.  tcp_syncookies=0 keeps the cookie
    path, which never resets, out of the way."""
    client_ns, server_ns = Netns(), Netns()
    veth = VethPair(client_ns, server_ns, 4)
    server_ns.sysctl(OVERFLOW_SYSCTLS)
    client_ns.exec(["tc", "qdisc", "add", "dev", veth.client_dev, "root"] + SLOW_TBF)
    caddr, saddr = veth.client_addr["ipv4"], veth.server_addr["ipv4"]
    server, client = server_ns.peer(), client_ns.peer()
    with Session(ctx, check, [client_ns, server_ns], args) as s:
        port = listen(server, "L", "ipv4", "0.0.0.0", backlog=2)
        queued = [connect(client, "Q%d" % i, "ipv4", saddr, port)[0] for i in range(2)]
        burst = parse_kv(client.call("burst G 4 %s %d 28 %.1f %d %d" % (
            (saddr, port, 0.6 * nslib.TIME_SCALE) + FILLER), timeout=10))
        time.sleep(0.5 * nslib.TIME_SCALE)  # the slow link drains, resets reach the clients
        outcome = parse_kv(client.call("burst_result G"))
        # per reset client: INVALID_SYN rst_sent, listen_overflow, rst_received
        s.finish_scenario(client, server, expect=3 * int(outcome.get("ECONNRESET", 0)))
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
                     "listener.accept_queue_max": 2, "context": None,
                     **owner_fields("listener.owner", server, "listen")}
    rsts = of_type(s.events(), "rst_sent", reason="INVALID_SYN")
    # Exact unless the tracer reported resets it could not show: lost
    # records, skipped runs, unattributed resets.  Measured (ftrace beside
    # the tracer, docs/truth.md "Softirqs no hook saw"): 2 of 37 runs under
    # load had one softirq in which the kernel overflowed, reset and
    # delivered the reset while none of rsttrace's programs ran and none
    # counted a miss; the tracer reports both from the kernel's counters,
    # as unattributed.
    s.check_resets_seen(len(rsts), "INVALID_SYN rst_sent", resets, "clients reset", (0, ""),
                        "", *rsts)
    for ev in rsts:
        check.fields(ev, {**server_fields, "state": "LISTEN", "cause": "listen_overflow",
                          "addr_source": "packet", **owner_fields("owner", server, "listen")},
                     "overflow rst_sent")
        check_from_burst(check, ev, burst_ports, "overflow rst_sent")
    for ev in of_type(s.events(), "rst_sent", cause="listen_overflow"):
        check.that(ev["reason"] == "INVALID_SYN", "cause listen_overflow on %s" % ev["reason"], ev)

    # ListenOverflows also counts SYN-path overflows, seen by the SYN
    # detector: every overflow of the server's netns is one event, or one
    # the tracer reported as unattributed (counted, seen by no hook; 0 to 2
    # per run measured here, cause not found: docs/truth.md). Unattributed
    # records carry no netns and this tracer sees every netns (7 from other
    # test runs were measured once), so they bound the shortfall from above
    # instead of equalling it; the exact form is in the --netns tests of
    # cases_explain.py.
    drops = of_type(s.events(), "listen_overflow")
    unseen = s.unattributed("listen_overflow")
    check.that(len(drops) <= overflows <= len(drops) + unseen,
               "%d listen_overflow events, %d unattributed in any netns, ListenOverflows delta %d"
               % (len(drops), unseen, overflows))
    ack_drops = of_type(drops, "listen_overflow", path="ack")
    check.that(ack_drops, "no listen_overflow event with path ack")
    for ev in ack_drops:
        check.fields(ev, {**server_fields, "path": "ack",
                          "reason": kernel.overflow_drop_reason("TCP_LISTEN_OVERFLOW")},
                     "listen_overflow")
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


variants("overflow_abort", overflow_abort_case)
