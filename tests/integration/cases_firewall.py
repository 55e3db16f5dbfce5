"""Resets made by netfilter reject rules, not by TCP (nf_send_reset{,6}).

Only a kernel with netfilter and fentry or kprobes can show them: the
Debian 6.1 and 6.12 guests of make test-kernels.  Elsewhere (the 6.18
development host has neither) the test asserts that the coverage record
says they cannot be seen, a kernel difference run.py lists."""

import kernel
from harness import Session, connect, of_type, test
from nslib import Netns, VethPair

IPT_PORT = 4545   # iptables-nft REJECT --reject-with tcp-reset
NFT_PORT = 4546   # nftables reject with tcp reset (inet table: IPv4 and IPv6)


def add_rules(ns):
    """-> True when both rules are in place (the kernel has netfilter)."""
    ipt = ns.exec(["iptables", "-A", "INPUT", "-p", "tcp", "--dport", str(IPT_PORT),
                   "-j", "REJECT", "--reject-with", "tcp-reset"], check=False)
    nft = ns.exec(["nft", "add table inet rtt; "
                   "add chain inet rtt in { type filter hook input priority 0 ; } ; "
                   "add rule inet rtt in tcp dport %d counter reject with tcp reset" % NFT_PORT],
                  check=False)
    return ipt.returncode == 0 and nft.returncode == 0


def nft_counter(ns):
    out = ns.exec(["nft", "list", "chain", "inet", "rtt", "in"]).stdout
    words = out.split()
    return int(words[words.index("packets") + 1]) if "packets" in words else -1


@test("firewall_reject")
def t_firewall_reject(ctx, check):
    """Three connects refused by reject rules (iptables IPv4, nft IPv4 and
    IPv6): three firewall_reset events in the server's netns, hook input,
    no socket and no owner; the kernel counts no TcpOutRsts for them."""
    client_ns, server_ns = Netns(), Netns()
    veth = VethPair(client_ns, server_ns, 41)
    have_rules = add_rules(server_ns)
    client = client_ns.peer()
    with Session(ctx, check, [client_ns, server_ns]) as s:
        tries = []
        if have_rules:
            for family, port in (("ipv4", IPT_PORT), ("ipv4", NFT_PORT), ("ipv6", NFT_PORT)):
                result, lport = connect(client, "C%d%s" % (port, family), family,
                                        veth.server_addr[family], port)
                tries.append((family, port, result, lport))
        s.finish_scenario(client, expect=len(tries))
    if not s.traced:
        return
    cov = s.run.coverage[0]["events"]["firewall_reset"] if s.run.coverage else {}
    if have_rules:
        check.that([t[2] for t in tries] == ["ECONNREFUSED"] * 3,
                   "scenario: connects gave %s, expected ECONNREFUSED x3" % tries)
        check.that(nft_counter(server_ns) == 2, "scenario: nft rule counter %d, expected 2"
                   % nft_counter(server_ns))
        check.that(s.delta("TcpOutRsts") == 0,
                   "scenario: TcpOutRsts delta %d: firewall resets are not TCP's"
                   % s.delta("TcpOutRsts"))
    check.that(have_rules or not kernel.FUNCTION_HOOKS,
               "scenario: reject rules could not be installed (iptables-nft needs nft_compat, "
               "xt_tcpudp, ipt_REJECT; nft needs nft_reject_inet)")
    if not have_rules or not kernel.FUNCTION_HOOKS:
        kernel.note("no netfilter or no kprobes in this kernel: firewall resets cannot "
                    "be seen here; the coverage record must say so, no event invented")
        check.that(cov.get("traced") is False and cov.get("missing"),
                   "coverage of firewall_reset %s: expected traced false with what is missing"
                   % cov)
        check.that(not s.events("firewall_reset"), "firewall_reset events on this kernel",
                   *s.events("firewall_reset"))
        return
    check.that(cov.get("traced") is True, "coverage of firewall_reset %s" % cov)
    events = s.events("firewall_reset", [server_ns])
    check.that(len(events) == 3, "%d firewall_reset events, expected 3" % len(events), *events)
    for family, port, _, lport in tries:
        ev = check.one(of_type(events, "firewall_reset", family=family, local__port=port),
                       "firewall_reset %s port %d" % (family, port))
        if ev:
            check.fields(ev, {"local.addr": veth.server_addr[family],
                              "remote.addr": veth.client_addr[family], "remote.port": lport,
                              "hook": "input", "owner": None, "listener": None,
                              "diagnosis.code": "firewall_reject"}, "firewall_reset")
    check.that(len(s.events("rst_sent")) == 0, "rst_sent events for firewall resets",
               *s.events("rst_sent"))
