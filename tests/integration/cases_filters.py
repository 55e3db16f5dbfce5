"""Command-line filters.  A filter applies to every namespace, so these
tests check every event in the output, not only those of their own
namespaces."""

import os

from harness import CLOSED_PORT, Session, connect, dig, listen, of_type, parse_kv, test
from nslib import NETNS_DIR, Netns, VethPair


def refused_connects(peer, family, addr, ports, each=2):
    """Connect to closed ports: one NO_SOCKET RST per attempt."""
    return [connect(peer, "R%d_%d" % (port, i), family, addr, port)[0]
            for port in ports for i in range(each)]


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


def abort_on_close(server, client):
    """Server closes with unread data; -> what the client saw."""
    port = listen(server, "L", "ipv4", "127.0.0.1")
    connect(client, "C", "ipv4", "127.0.0.1", port)
    server.call("accept A L")
    client.call("send C 10")
    server.call("wait_unread A 10")
    server.call("close A")
    return client.call("result C")[0]


@test("filter_pid")
def t_filter_pid(ctx, check):
    """-p SERVER while an identical scenario with other pids runs; the
    server's own client is another process, so its rst_received must go."""
    namespaces = [Netns(), Netns()]
    pairs = [(ns.peer(), ns.peer()) for ns in namespaces]
    wanted = pairs[0][0].pid
    with Session(ctx, check, namespaces, ["-p", str(wanted)]) as s:
        seen = [abort_on_close(server, client) for server, client in pairs]
        s.finish_scenario(*[p for pair in pairs for p in pair])
    check.that(seen == ["ECONNRESET"] * 2, "scenario: clients saw %s" % seen)
    if not s.traced:
        return
    for ev in s.run.events:
        check.that(wanted in (dig(ev, "owner.pid"), dig(ev, "listener.owner.pid")),
                   "event not owned by pid %d" % wanted, ev)
    sent = of_type(s.events(), "rst_sent", reason="TCP_ABORT_ON_CLOSE", owner__pid=wanted)
    check.that(len(sent) == 1, "%d abort rst_sent of pid %d, expected 1" % (len(sent), wanted))


@test("filter_family")
def t_filter_family(ctx, check):
    """-6 and then -4, with one refused connection of each family."""
    for flag, wanted in (("-6", "ipv6"), ("-4", "ipv4")):
        client_ns, server_ns = Netns(), Netns()
        veth = VethPair(client_ns, server_ns, 6)
        client = client_ns.peer()
        with Session(ctx, check, [client_ns, server_ns], [flag]) as s:
            results = [connect(client, "C" + fam, fam, veth.server_addr[fam], CLOSED_PORT)[0]
                       for fam in ("ipv4", "ipv6")]
            s.finish_scenario(client)
        check.that(results == ["ECONNREFUSED"] * 2, "scenario: connects gave %s" % results)
        if not s.traced:
            return
        for ev in s.run.events:
            check.that(ev.get("family") == wanted, "%s event with %s" % (ev.get("family"), flag), ev)
        sent = s.events("rst_sent")
        check.that(len(sent) == 1, "%s: %d rst_sent in our netns, expected 1" % (flag, len(sent)))
        client_ns.delete()
        server_ns.delete()


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
    """--netns as a path, an inode and an `ip netns` name, with RSTs in a
    second namespace at the same time."""
    for form in ("path", "inode", "name"):
        wanted, other = Netns(), Netns()
        value = {"path": os.path.join(NETNS_DIR, wanted.name), "inode": str(wanted.inode),
                 "name": wanted.name}[form]
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
        sent = s.events("rst_sent", [wanted])
        check.that(len(sent) == 1, "--netns %s: %d rst_sent, expected 1" % (form, len(sent)))
        wanted.delete()
        other.delete()


@test("filter_port_totals_detector_detached")
def t_filter_port_totals_detector_detached(ctx, check):
    """-P PORT, started on a listener whose accept queue is already full
    (listen(1), 2 connections never accepted): the SYNs it drops before
    anything puts the queue under new pressure are counted by the kernel
    only (the SYN detector is detached, or on other kernels seen).  The
    filter selected the listener (start-up scan), so every one of them is
    in the totals, as an event or as unattributed: exactly the server
    netns's ListenOverflows.  A second netns whose listener on another
    port overflows the same way stays out of them."""
    from cases_explain import ScriptPeer, XSession, check_scenario

    port, other = 20131, 20132
    spaces = []
    for p in (port, other):
        ns = Netns()
        ns.sysctl({"net.ipv4.tcp_syncookies": 0})
        server, client = ScriptPeer(ns), ScriptPeer(ns)
        server.call("listen L 4 127.0.0.1 %d 1" % p)
        queued = [client.call("connect Q%d 4 127.0.0.1 %d" % (i, p))[0] for i in range(2)]
        spaces.append((ns, server, client, queued))
    (ns, _, _, _), (ns_other, _, _, _) = spaces
    with XSession(ctx, check, [ns, ns_other], ["-P", str(port), "--summary"]) as s:
        # 0.5 s: no SYN is retransmitted (the first retransmission is at 1 s)
        bursts = [parse_kv(client.call("burst G 4 127.0.0.1 %d 6 0.5" % p, timeout=15))
                  for p, (_, _, client, _) in zip((port, other), spaces)]
        s.finish_scenario(*[peer for sp in spaces for peer in sp[1:3]])
    for (_, _, _, queued), burst in zip(spaces, bursts):
        check_scenario(check, queued == ["connected"] * 2 and burst["connected"] == "0",
                       "queue-filling connects %s, burst %s: expected 2 connected, then none"
                       % (queued, burst))
    for space in (ns, ns_other):
        overflows = s.delta_in(space, "TcpExtListenOverflows")
        check_scenario(check, overflows >= 6, "ListenOverflows delta %d in netns %d, "
                       "expected >= 6" % (overflows, space.inode))
    if not s.traced:
        return
    strays = [e for e in s.run.events if port not in (dig(e, "local.port"), dig(e, "remote.port"))]
    check.that(not strays, "events without port %d" % port, *strays)
    s.check_totals(ns, {"listen_overflow": "TcpExtListenOverflows", "lost": 0})



@test("filter_selected_netns_table_full")
def t_filter_selected_netns_table_full(ctx, check):
    """The same as filter_port_totals_detector_detached, with the listener
    of -P PORT in two namespaces and room for one namespace in the table of
    those the filter selected (RSTTRACE_TEST_SELECTED_NETNS=1): the second
    does not fit, and from then on every namespace counts as selected, so
    that the SYNs dropped in both while the detector was detached are all
    in the totals: exactly the two namespaces' ListenOverflows."""
    from cases_explain import ScriptPeer, XSession, check_scenario

    port = 20133
    spaces = []
    for _ in range(2):
        ns = Netns()
        ns.sysctl({"net.ipv4.tcp_syncookies": 0})
        server, client = ScriptPeer(ns), ScriptPeer(ns)
        server.call("listen L 4 127.0.0.1 %d 1" % port)
        queued = [client.call("connect Q%d 4 127.0.0.1 %d" % (i, port))[0] for i in range(2)]
        spaces.append((ns, server, client, queued))
    namespaces = [sp[0] for sp in spaces]
    with XSession(ctx, check, namespaces, ["-P", str(port), "--summary"],
                  env={"RSTTRACE_TEST_SELECTED_NETNS": "1"}) as s:
        bursts = [parse_kv(client.call("burst G 4 127.0.0.1 %d 6 0.5" % port, timeout=15))
                  for (_, _, client, _) in spaces]
        s.finish_scenario(*[peer for sp in spaces for peer in sp[1:3]])
    for (_, _, _, queued), burst in zip(spaces, bursts):
        check_scenario(check, queued == ["connected"] * 2 and burst["connected"] == "0",
                       "queue-filling connects %s, burst %s: expected 2 connected, then none"
                       % (queued, burst))
    for space in namespaces:
        overflows = s.delta_in(space, "TcpExtListenOverflows")
        check_scenario(check, overflows >= 6, "ListenOverflows delta %d in netns %d, "
                       "expected >= 6" % (overflows, space.inode))
    if not s.traced:
        return
    s.check_totals(namespaces, {"listen_overflow": "TcpExtListenOverflows", "lost": 0})