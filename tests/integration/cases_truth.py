"""Issue 14, "rsttrace tells the truth": each reproduction of the issue as a
scenario in namespaces, its output checked field by field and its counts
against the namespaces' own counters, exactly.  docs/truth.md maps every
item of the issue to the test that proves it.

Ports 20301.. and veth subnets 60.. are this file's own.
"""

import time

from cases_explain import ScriptPeer, XSession, check_scenario, text_has
from harness import dig, endpoint_fields, of_type, parse_kv, test
from nslib import Netns, VethPair

import os

HERE = os.path.dirname(os.path.abspath(__file__))
TPEER = os.path.join(HERE, "peers", "tpeer.py")


def tpeer(ns):
    return ScriptPeer(ns, TPEER)


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
    caddr, saddr = veth.client_addr["ipv4"], veth.server_addr["ipv4"]
    server_ns.sysctl({"net.ipv4.tcp_syncookies": 0})
    server, client = tpeer(server_ns), tpeer(client_ns)
    with XSession(ctx, check, [client_ns, server_ns], ["-P", str(port)],
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
    for ev in sent:
        check.fields(ev, {"reason": "TCP_TIMEWAIT_SOCKET", "state": "TIME_WAIT",
                          "overflow": None, "diagnosis.code": "timewait",
                          "owner.pid": server.pid, "owner.closed": True,
                          "local.addr": saddr, "local.port": port}, "server rst_sent")
    drops = s.events("listen_overflow", [server_ns])
    check.that(len(drops) == overflows, "%d listen_overflow events, ListenOverflows delta %d"
               % (len(drops), overflows), *drops)
    check.that(set(dig(e, "remote.port") for e in drops) <= set(lports),
               "overflows from ports %s, clients %s"
               % (sorted(set(dig(e, "remote.port") for e in drops)), lports), *drops)
    s.check_totals(server_ns, {"rst_sent": "TcpOutRsts",
                               "listen_overflow": "TcpExtListenOverflows", "lost": 0})
