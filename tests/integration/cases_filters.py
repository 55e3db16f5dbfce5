"""Command-line filters.  A filter applies to every namespace, so these
tests check every event in the output, not only those of their own
namespaces."""

import os

from harness import CLOSED_PORT, Session, connect, dig, listen, of_type, test
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
