"""--metrics scraped by a real Prometheus (Debian's package, started here
with its own config, storage and port, scraping every second): known
resets and accept-queue overflows are provoked in a namespace, and the
series Prometheus stored equal the namespace's nstat deltas (SYN-queue
overflows too, in a second phase with tcp_syncookies=2); the scraped
text passes `promtool check metrics`, the final summary's totals equal the
last scrape, and the alert rules in deploy/ pass `promtool check rules` and
their own `promtool test rules`."""

import os
import subprocess
import time

import nslib
import prom_lib
from cases_explain import ScriptPeer, XSession
from harness import CLOSED_PORT, connect, parse_kv, test
from nslib import Netns

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
RULES = os.path.join(REPO, "deploy", "prometheus", "rsttrace-alerts.yml")
RULES_TEST = os.path.join(HERE, "prometheus", "rsttrace-alerts.test.yml")
SERVER_PORT = 20111
SCRAPE_WAIT = 12   # seconds for a scrape (every 1 s) to show the final values


def promtool(*args, stdin=None):
    res = subprocess.run(["promtool"] + list(args), input=stdin, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, timeout=30)
    return res.returncode, res.stdout.strip()


def wait_for(prom, expected):
    """Polls Prometheus until every query equals its expected value, or
    gives up; -> {query: last value} (None: no such series)."""
    deadline = time.time() + SCRAPE_WAIT
    while True:
        got = {q: prom.scalar(q) for q in expected}
        if all(got[q] == want for q, want in expected.items()) or time.time() > deadline:
            return got
        time.sleep(0.5)


def total(samples, name, **labels):
    return sum(v for (n, ls), v in samples.items()
               if n == name and all((k, str(w)) in ls for k, w in labels.items()))


@test("metrics_prometheus", tracer_only=True)
def t_metrics_prometheus(ctx, check):
    why = prom_lib.available()
    check.that(why is None, "cannot run Prometheus: %s" % why)
    if why:
        return
    ns = Netns()
    ns.sysctl({"net.ipv4.tcp_syncookies": 0})
    server, client = ScriptPeer(ns), ScriptPeer(ns)
    target = "127.0.0.1:%d" % prom_lib.free_port()
    prom = prom_lib.Prometheus(target)
    try:
        ready = prom.wait_ready()
        check.that(ready, "Prometheus not ready: %s" % prom.log_text()[-2000:])
        if not ready:
            return
        args = ["--netns", str(ns.inode), "--summary", "--metrics", target]
        with XSession(ctx, check, [ns], args) as s:
            # Three connects to a closed port: NO_SOCKET resets, received in SYN_SENT.
            refused = [connect(client, "R%d" % i, "ipv4", "127.0.0.1", CLOSED_PORT)[0]
                       for i in range(3)]
            # listen(1) that never accepts and 20 connects: SYN-path overflows.
            server.call("listen L 4 127.0.0.1 %d 1" % SERVER_PORT)
            burst = parse_kv(client.call("burst G 4 127.0.0.1 %d 20 1.6" % SERVER_PORT,
                                         timeout=15))
            # The client goes (no more SYNs), the listener stays: its series too.
            s.finish_scenario(client)
            resets, overflows = s.delta("TcpOutRsts"), s.delta("TcpExtListenOverflows")
            expected = {
                'sum(rsttrace_resets_sent_total)': resets,
                'rsttrace_resets_sent_total{reason="NO_SOCKET"}': 3,
                'rsttrace_resets_received_total{state="SYN_SENT"}': s.delta("TcpAttemptFails"),
                'sum(rsttrace_listen_overflows_total)': overflows,
                'rsttrace_syn_queue_overflows_total': s.delta("TcpExtTCPReqQFullDrop"),
                'sum(rsttrace_listener_overflows_total{port="%d"}) + '
                'sum(rsttrace_unattributed_total{event="listen_overflow"})' % SERVER_PORT: overflows,
                'rsttrace_lost_events_total': 0,
                'up{job="rsttrace"}': 1,
            }
            got = wait_for(prom, expected)
            for q, want in expected.items():
                check.that(got[q] == want, "Prometheus %s = %s, expected %s" % (q, got[q], want))
            status, text = prom_lib.http_get("http://%s/metrics" % target)
            check.that(status == 200, "GET /metrics: %d" % status)
            rc, out = promtool("check", "metrics", stdin=text)
            check.that(rc == 0 and not out, "promtool check metrics: rc %d: %s" % (rc, out))
            # The service restarts on the same port (a new listening socket), with
            # syncookies always on: the kernel counts every SYN as a SYN-queue
            # overflow (TCPReqQFullDoCookies), then drops those the full accept
            # queue has no room for. Still one series per listener and path.
            ns.sysctl({"net.ipv4.tcp_syncookies": 2})
            server.call("close L")
            server.call("listen L2 4 127.0.0.1 %d 1" % SERVER_PORT)
            client2 = ScriptPeer(ns)
            burst2 = parse_kv(client2.call("burst G 4 127.0.0.1 %d 6 1.6" % SERVER_PORT,
                                           timeout=15))
            client2.close()
            time.sleep(0.3)
            after2 = nslib.snapshot([ns])
            overflows2 = nslib.sum_delta(s.before, after2, "TcpExtListenOverflows")
            synq2 = (nslib.sum_delta(s.before, after2, "TcpExtTCPReqQFullDoCookies") +
                     nslib.sum_delta(s.before, after2, "TcpExtTCPReqQFullDrop"))
            expected2 = {
                'rsttrace_syn_queue_overflows_total': synq2,
                'sum(rsttrace_listener_syn_queue_overflows_total{port="%d"}) + '
                'sum(rsttrace_unattributed_total{event="syn_queue_overflow"})' % SERVER_PORT:
                    synq2,
                'sum(rsttrace_listen_overflows_total)': overflows2,
                'sum(rsttrace_listener_overflows_total{port="%d"}) + '
                'sum(rsttrace_unattributed_total{event="listen_overflow"})' % SERVER_PORT:
                    overflows2,
                'count(rsttrace_listener_overflows_total{port="%d"})' % SERVER_PORT: 3,
            }
            got = wait_for(prom, expected2)
            for q, want in expected2.items():
                check.that(got[q] == want, "after the restart: Prometheus %s = %s, expected %s"
                           % (q, got[q], want))
            server.close()
            time.sleep(0.5)
            last = prom_lib.parse_exposition(prom_lib.http_get("http://%s/metrics" % target)[1])
    finally:
        prom.close()
    check.that(refused == ["ECONNREFUSED"] * 3, "scenario: refused connects gave %s" % refused)
    check.that(burst.get("connected") == "2", "scenario: burst gave %s" % burst)
    check.that(overflows >= 36, "scenario: ListenOverflows delta %d, expected >= 36" % overflows)
    check.that(burst2.get("connected") == "2" and overflows2 > overflows and synq2 >= 6,
               "scenario: second burst gave %s, ListenOverflows %d then %d, SYN-queue "
               "overflows %d" % (burst2, overflows, overflows2, synq2))
    if not s.traced:
        return
    # The metrics are the summary's numbers: the final totals equal the last scrape.
    totals = s.final_summary().get("totals", {})
    pairs = {
        "rst_sent": total(last, "rsttrace_resets_sent_total"),
        "rst_received": total(last, "rsttrace_resets_received_total"),
        "listen_overflow": total(last, "rsttrace_listen_overflows_total"),
        "listen_overflow_syn": total(last, "rsttrace_listen_overflows_total", path="syn"),
        "syn_queue_overflow": total(last, "rsttrace_syn_queue_overflows_total"),
        "lost": total(last, "rsttrace_lost_events_total"),
        "folded": total(last, "rsttrace_folded_events_total"),
        "fold_full": total(last, "rsttrace_fold_table_full_total"),
        "written": total(last, "rsttrace_events_total"),
    }
    for key, value in pairs.items():
        check.that(totals.get(key) == value, "summary totals.%s = %s, last scrape %s"
                   % (key, totals.get(key), value))
    written = sum(e.get("count", 1) for e in s.run.events)
    check.that(total(last, "rsttrace_events_total") == written,
               "rsttrace_events_total sums to %s, %d events written"
               % (total(last, "rsttrace_events_total"), written))
    for code, n in s.final_summary().get("by_diagnosis", {}).items():
        check.that(total(last, "rsttrace_events_total", diagnosis=code) == n,
                   "rsttrace_events_total{diagnosis=%s} = %s, summary %s"
                   % (code, total(last, "rsttrace_events_total", diagnosis=code), n))


@test("metrics_alert_rules")
def t_metrics_alert_rules(ctx, check):
    """The example alert rules load, and fire when and only when meant to."""
    why = prom_lib.available()
    check.that(why is None, "cannot run promtool: %s" % why)
    if why:
        return
    rc, out = promtool("check", "rules", RULES)
    check.that(rc == 0, "promtool check rules: rc %d: %s" % (rc, out))
    check.that("SUCCESS" in out, "promtool check rules said: %s" % out)
    rc, out = promtool("test", "rules", RULES_TEST)
    check.that(rc == 0, "promtool test rules: rc %d: %s" % (rc, out))


@test("metrics_cli")
def t_metrics_cli(ctx, check):
    """Bad --metrics addresses are usage errors (exit 2) before anything loads."""
    for bad in ("", "localhost:99999", "1.2.3:80", "[::1]80", "abc", "127.0.0.1:-1"):
        res = subprocess.run([ctx.binary, "--metrics", bad], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, timeout=10)
        check.that(res.returncode == 2 and "--metrics" in res.stderr,
                   "--metrics %r: exit %d, %s" % (bad, res.returncode, res.stderr.strip()))
