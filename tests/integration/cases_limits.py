"""Issue "rsttrace names the fix with the number": which limit binds a
listener that overflowed, what its burst needed, and the setting to change.

Every case: one namespace with syncookies off (tcp_conn_request() then
drops a SYN that finds the accept queue full, on the SYN path), a server
that never accepts, and a client peer that opens COUNT connections at
once on loopback.  The queue takes limit + 1 of them (full is "more than
the limit"); the others overflow, and their SYNs are retransmitted after
1 s into the queue that is still full: ListenOverflows counts each again,
the burst must count each connection once.  So the test knows the peak
exactly: COUNT connections waiting or left out at once.

The totals are cross-checked with the namespace's own counters, exactly.
"""

import atexit
import fcntl
import json
import os
import sys
import shutil
import signal
import subprocess
import tempfile
import threading
import time

import nslib
import prom_lib
from cases_explain import ScriptPeer, XSession, check_scenario, poll
from harness import dig, parse_kv, test
from nslib import Netns

DEFAULT_SOMAXCONN = 4096          # net.core.somaxconn of a new namespace
RETRANSMIT_WAIT = 1.4             # the first SYN retransmission comes after 1 s (TCP_TIMEOUT_INIT)
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def limits_scenario(ctx, check, port, backlog, count, before=None, after=None, comm=None,
                    existing=False):
    """The scenario above; -> (ns, server, session, burst answer)."""
    ns = Netns()
    sysctls = {"net.ipv4.tcp_syncookies": 0}
    sysctls.update(before or {})
    ns.sysctl(sysctls)
    server, client = ScriptPeer(ns), ScriptPeer(ns)
    if comm:
        server.call("comm %s" % comm)
        server.comm = nslib.process_comm(server.pid)
        check_scenario(check, server.comm == comm, "comm %r, expected %r" % (server.comm, comm))
    if existing:
        server.call("listen L 4 127.0.0.1 %d %d" % (port, backlog))
    with XSession(ctx, check, [ns], ["--netns", str(ns.inode), "--summary"]) as s:
        if not existing:
            server.call("listen L 4 127.0.0.1 %d %d" % (port, backlog))
        if after:
            ns.sysctl(after)
        burst = parse_kv(client.call("burst G 4 127.0.0.1 %d %d 0.5" % (port, count), timeout=10))
        time.sleep(RETRANSMIT_WAIT)
        s.finish_scenario(client, server)
    return ns, server, s, burst


def check_burst_scenario(check, burst, limit, count):
    """The queue took limit + 1 connections and left the others pending;
    -> how many more than limit + 1 the client saw connected.

    Those are ACK-path overflows: where the SYNs of a burst are processed
    before the final ACKs of the connections ahead of them (network
    softirqs deferred to ksoftirqd, seen once in a 6.1 guest under TCG:
    18 connected of a queue of 17), two SYNs find room, both handshakes
    complete at the client, and the second final ACK finds the queue full.
    check_limits() requires the tracer to have counted at least as many
    ACK-path overflows."""
    connected, pending = int(burst["connected"]), int(burst["pending"])
    check_scenario(check, connected >= limit + 1 and connected + pending == count,
                   "burst gave %s, expected %d connected, %d pending"
                   % (burst, limit + 1, count - limit - 1))
    return connected - limit - 1


def summary_row(check, s, ns, port):
    summary = s.final_summary()
    rows = [l for l in summary.get("listeners", [])
            if l.get("netns") == ns.inode and l.get("port") == port]
    check.that(len(rows) == 1, "%d summary listener rows for port %d, expected 1"
               % (len(rows), port), summary)
    return rows[0] if rows else {}


def hint_has(check, ev, *parts):
    hint = dig(ev, "diagnosis.hint") or ""
    for part in parts:
        check.that(part in hint, "hint lacks %r: %r" % (part, hint), ev)


# The members of listener.limit that grow with the burst: checked where the
# burst reached its peak (the event of the last connection to overflow, and
# the retransmissions after it) and in the summary.
GROWING = ("recommended", "setting", "raise_somaxconn")


def check_limits(check, s, ns, port, limit_fields, count, hint_parts, absent=(), ack_path=0):
    """Every listen_overflow event and the summary's listener row carry the
    same limit; the burst's peak is the connections the test opened; at the
    peak, the hint says what the test expects; totals equal the namespace's
    counters; at least ACK_PATH overflows were on the ACK path
    (check_burst_scenario())."""
    drops = s.events("listen_overflow")
    check.that(drops, "no listen_overflow events")
    fixed = {k: v for k, v in limit_fields.items() if k not in GROWING}
    for ev in drops:
        check.fields(ev, {"listener.limit." + k: v for k, v in fixed.items()},
                     "listen_overflow limit")
        for part in absent:
            check.that(part not in (dig(ev, "diagnosis.hint") or ""),
                       "hint has %r" % part, ev)
    peaks = [dig(ev, "listener.burst.peak") or 0 for ev in drops]
    check.that(max(peaks or [0]) == count, "events' burst peaks %s, expected a peak of %d"
               % (peaks, count))
    # The peak only grows within the burst: events in time order show it so.
    ordered = [dig(ev, "listener.burst.peak") or 0
               for ev in sorted(drops, key=lambda e: e.get("ts_ns", 0))]
    check.that(ordered == sorted(ordered), "burst peaks out of order: %s" % ordered)
    at_peak = [ev for ev in drops if dig(ev, "listener.burst.peak") == count]
    for ev in at_peak:
        check.fields(ev, {"listener.limit." + k: v for k, v in limit_fields.items()},
                     "listen_overflow limit at the peak")
        hint_has(check, ev, *hint_parts)
    # Every overflow on the SYN path, but for the ACK-path ones the burst had.
    by_path = ({"listen_overflow_syn": "TcpExtListenOverflows"} if not ack_path
               else {"listen_overflow_cookie": 0})
    summary = s.check_totals(ns, dict(by_path, listen_overflow="TcpExtListenOverflows",
                                      syn_queue_overflow="TcpExtTCPReqQFullDrop",
                                      lost=0, written=len(s.events())))
    if ack_path:
        totals = summary.get("totals", {})
        syn, ack = totals.get("listen_overflow_syn", 0), totals.get("listen_overflow_ack", 0)
        want = s.delta("TcpExtListenOverflows") - s.unattributed("listen_overflow")
        check.that(syn + ack == want and ack >= ack_path,
                   "totals: %d SYN-path + %d ACK-path overflows, expected %d (ListenOverflows "
                   "less unattributed), at least %d on the ACK path" % (syn, ack, want, ack_path),
                   totals)
    row = summary_row(check, s, ns, port)
    check.fields(row, {"limit." + k: v for k, v in limit_fields.items()}, "summary listener")
    overflows = sum((row.get("overflows") or {}).values())
    check.that(overflows + s.unattributed("listen_overflow") == s.delta("TcpExtListenOverflows"),
               "summary listener overflows %d (+%d unattributed), ListenOverflows delta %d"
               % (overflows, s.unattributed("listen_overflow"), s.delta("TcpExtListenOverflows")))
    burst = row.get("burst") or {}
    over = count - limit_fields["value"] - 1
    check.fields(row, {"burst.peak": count, "burst.overflowed": over, "burst.accepted": 0,
                       "burst.number": 1}, "summary listener burst")
    check.that((dig(row, "limit.recommended") or 0) >= count,
               "recommended %r below the peak %d" % (dig(row, "limit.recommended"), count), row)
    # Connections, not drops: the retransmitted SYNs were counted again by the kernel.
    check.that(s.delta("TcpExtListenOverflows") > over,
               "ListenOverflows delta %d, not above the %d connections that overflowed: the "
               "SYN retransmissions did not happen within %.1f s"
               % (s.delta("TcpExtListenOverflows"), over, RETRANSMIT_WAIT))
    want_pace = "not_accepting" if (burst.get("duration_ms") or 0) >= 1000 else "unknown"
    check.that(burst.get("pace") == want_pace, "pace %r after %r ms, expected %r"
               % (burst.get("pace"), burst.get("duration_ms"), want_pace), row)
    return row


@test("limits_app_backlog")
def t_app_backlog(ctx, check):
    """listen(fd, 4) with somaxconn 4096: the application's backlog binds;
    a process of no known server gets the generic listen() advice."""
    port, count = 20201, 12
    ns, server, s, burst = limits_scenario(ctx, check, port, 4, count, comm="rttapp")
    ack_path = check_burst_scenario(check, burst, 4, count)
    if not s.traced:
        return
    check_limits(check, s, ns, port,
                 {"value": 4, "binds": "listen_backlog", "listen_backlog": 4,
                  "somaxconn_at_listen": DEFAULT_SOMAXCONN, "somaxconn": DEFAULT_SOMAXCONN,
                  "server": None, "setting": None, "raise_somaxconn": False, "restart": False},
                 count,
                 ["limit 4 = the application's listen backlog (listen(fd, 4); net.core.somaxconn "
                  "(4096 in that netns) is higher)",
                  "set the backlog the application passes to listen() to "],
                 ack_path=ack_path)


@test("limits_somaxconn")
def t_somaxconn(ctx, check):
    """listen(fd, 4096) in a netns whose somaxconn is 8 (set before
    listen()): somaxconn binds, and raising it needs a restart."""
    port, count = 20202, 14
    ns, server, s, burst = limits_scenario(ctx, check, port, 4096, count,
                                           before={"net.core.somaxconn": 8})
    ack_path = check_burst_scenario(check, burst, 8, count)
    if not s.traced:
        return
    check_limits(check, s, ns, port,
                 {"value": 8, "binds": "somaxconn", "listen_backlog": 4096,
                  "somaxconn_at_listen": 8, "somaxconn": 8, "server": "Python",
                  "recommended": 16, "raise_somaxconn": True, "restart": True},
                 count,
                 ["limit 8 = somaxconn: net.core.somaxconn (8 in that netns) is below the 4096 "
                  "pid %d (%s) asked for in listen()" % (server.pid, server.comm),
                  "the burst needed 14 (connections waiting or dropped at once, 5 of them "
                  "overflowed)",
                  "raise net.core.somaxconn to 16 in that netns, then restart pid %d (%s) (a new "
                  "somaxconn applies only to listeners created after the change)"
                  % (server.pid, server.comm)],
                 ack_path=ack_path)


@test("limits_somaxconn_raised_after_listen")
def t_somaxconn_raised(ctx, check):
    """somaxconn 8 when the server called listen(fd, 4096), raised to 4096
    afterwards: the running listener keeps 8, rsttrace says so."""
    port, count = 20203, 14
    ns, server, s, burst = limits_scenario(ctx, check, port, 4096, count,
                                           before={"net.core.somaxconn": 8},
                                           after={"net.core.somaxconn": DEFAULT_SOMAXCONN})
    ack_path = check_burst_scenario(check, burst, 8, count)
    if not s.traced:
        return
    check_limits(check, s, ns, port,
                 {"value": 8, "binds": "somaxconn_at_listen", "listen_backlog": 4096,
                  "somaxconn_at_listen": 8, "somaxconn": DEFAULT_SOMAXCONN,
                  "recommended": 16, "raise_somaxconn": False, "restart": True},
                 count,
                 ["limit 8 = somaxconn at the time pid %d (%s) called listen(fd, 4096); "
                  "net.core.somaxconn is now 4096 in that netns, but this listener keeps its "
                  "limit of 8 until it calls listen() again" % (server.pid, server.comm),
                  "a limit of 16 would have absorbed it: restart pid %d (%s) so that it calls "
                  "listen() again" % (server.pid, server.comm)],
                 absent=["raise net.core.somaxconn"],
                 ack_path=ack_path)


@test("limits_listener_older_than_rsttrace")
def t_existing(ctx, check):
    """A listener that existed before rsttrace started: its listen() was
    not seen, so the backlog is unknown and only the certain inference is
    made (limit below somaxconn: the backlog or an older somaxconn)."""
    port, count = 20204, 12
    ns, server, s, burst = limits_scenario(ctx, check, port, 4, count, existing=True)
    ack_path = check_burst_scenario(check, burst, 4, count)
    if not s.traced:
        return
    check_limits(check, s, ns, port,
                 {"value": 4, "binds": "listen_backlog_or_older_somaxconn",
                  "listen_backlog": None, "somaxconn_at_listen": None,
                  "somaxconn": DEFAULT_SOMAXCONN, "server": "Python", "restart": False},
                 count,
                 ["limit 4 is below net.core.somaxconn (4096 in that netns): the application's "
                  "listen backlog or an older somaxconn binds (the listener is older than "
                  "rsttrace: its listen() backlog is unknown)"],
                 absent=["limit 4 ="],
                 ack_path=ack_path)


@test("limits_burst_peak_in_connections")
def t_burst_peak(ctx, check):
    """40 distinct connects against a listener that never accepts
    (listen(fd, 4)): the peak is 40 connections, exactly, although the
    kernel counted every retransmitted SYN again; 64 would absorb it."""
    port, count = 20205, 40
    ns, server, s, burst = limits_scenario(ctx, check, port, 4, count)
    ack_path = check_burst_scenario(check, burst, 4, count)
    if not s.traced:
        return
    row = check_limits(check, s, ns, port,
                       {"value": 4, "binds": "listen_backlog", "listen_backlog": 4,
                        "server": "Python", "recommended": 64},
                       count,
                       ["limit 4 = Python's listen backlog",
                        "set the argument of the program's listen() call to 64"],
                 ack_path=ack_path)
    check.that(dig(row, "limit.setting") ==
               "the argument of the program's listen() call to 64 (socketserver's "
               "request_queue_size defaults to 5)", "setting %r" % dig(row, "limit.setting"), row)


# --------------------------------------------------------------------------
# a real nginx

NGINX_TEMPLATE = """daemon off;
master_process on;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
events {{ worker_connections {connections};{events} }}
http {{
{log}
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen {addr}:{port} backlog={backlog};
        location / {{ return 200 "ok\\n"; }}
    }}
}}
"""


def nginx_conf(tmp, port, backlog, addr="127.0.0.1", connections=64, events="",
               log="    access_log off;"):
    """One nginx of the tests: a master, one worker, "ok" on every path;
    temporary files under tmp."""
    return NGINX_TEMPLATE.format(tmp=tmp, addr=addr, port=port, backlog=backlog,
                                 connections=connections, events=events, log=log)


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def listening(ns, port):
    out = ns.exec(["ss", "-Hltn", "sport = :%d" % port], check=False).stdout
    return port if ("127.0.0.1:%d" % port) in out else None


@test("limits_nginx_backlog")
def t_nginx(ctx, check):
    """A real nginx (Debian's package) with `listen ... backlog=4`, its
    worker stopped so that nothing accepts: the hint names nginx's
    backlog= parameter with the number a burst of 12 needed."""
    port, count, backlog = 20206, 12, 4
    check_scenario(check, os.access(NGINX, os.X_OK),
                   "%s missing: scripts/deps.sh installs nginx-light" % NGINX)
    ns = Netns()
    ns.sysctl({"net.ipv4.tcp_syncookies": 0})
    tmp = tempfile.TemporaryDirectory(prefix="rtt-nginx-")
    conf = os.path.join(tmp.name, "nginx.conf")
    with open(conf, "w") as f:
        f.write(nginx_conf(tmp.name, port, backlog))
    client = ScriptPeer(ns)
    master = worker = None
    with XSession(ctx, check, [ns], ["--netns", str(ns.inode), "--summary"]) as s:
        master = nslib.track(subprocess.Popen(
            ns.cmd([NGINX, "-p", tmp.name, "-c", conf, "-e", os.path.join(tmp.name, "error.log")]),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            preexec_fn=nslib.die_with_parent))
        up = poll(lambda: listening(ns, port), 5)
        workers = poll(lambda: children(master.pid) or None, 5) or []
        check_scenario(check, up and len(workers) == 1,
                       "nginx (pid %d) listening %r, workers %r" % (master.pid, up, workers))
        worker = workers[0]
        os.kill(worker, signal.SIGSTOP)       # nothing accepts from here on
        burst = parse_kv(client.call("burst G 4 127.0.0.1 %d %d 0.5" % (port, count), timeout=10))
        time.sleep(RETRANSMIT_WAIT)
        client.close()
        # The worker must accept nothing, ever: killed while stopped.
        master.send_signal(signal.SIGTERM)
        os.kill(worker, signal.SIGKILL)
        nslib.stop_process(master)
        s.finish_scenario()
    tmp.cleanup()
    ack_path = check_burst_scenario(check, burst, backlog, count)
    if not s.traced:
        return
    owner = {"listener.owner.pid": master.pid, "listener.owner.comm": "nginx"}
    for ev in s.events("listen_overflow"):
        check.fields(ev, owner, "nginx listener owner")
    check_limits(check, s, ns, port,
                 {"value": 4, "binds": "listen_backlog", "listen_backlog": 4,
                  "somaxconn_at_listen": DEFAULT_SOMAXCONN, "server": "nginx",
                  "setting": "backlog=16 in nginx's listen directive (listen ... backlog=N; "
                             "default 511)",
                  "recommended": 16, "raise_somaxconn": False},
                 count,
                 ["limit 4 = nginx's listen backlog (listen(fd, 4); net.core.somaxconn (4096 "
                  "in that netns) is higher)",
                  "the burst needed 12 (connections waiting or dropped at once, 7 of them "
                  "overflowed)",
                  "a limit of 16 would have absorbed it: set backlog=16 in nginx's listen "
                  "directive"],
                 ack_path=ack_path)


# --------------------------------------------------------------------------
# a server too slow to accept

PEERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "peers")


def times_of(out, word):
    for line in out.splitlines():
        if line.startswith(word + " "):
            return [float(t) for t in line.split(" ", 1)[1].split(",") if t]
    return []


def within(got, truth, part=0.10):
    return got is not None and abs(got - truth) <= part * truth


@test("limits_too_slow_to_accept")
def t_too_slow(ctx, check):
    """A server that accepts 100 connections a second (listen(fd, 16))
    while a client opens 500 at 400 a second: no backlog helps, and
    rsttrace's arrival and accept rates are within 10% of what the client
    (connect() times) and the server (accept() times) recorded."""
    port, count, rate, interval = 20207, 500, 400.0, 0.01
    ns = Netns()
    ns.sysctl({"net.ipv4.tcp_syncookies": 0})
    with XSession(ctx, check, [ns], ["--netns", str(ns.inode), "--summary"]) as s:
        server = nslib.track(subprocess.Popen(
            ns.cmd([sys.executable, "-u", os.path.join(PEERS, "slow_accept.py"), str(port), "16",
                    str(interval), "4.0"]),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            preexec_fn=nslib.die_with_parent))
        check_scenario(check, server.stdout.readline().strip() == "listening",
                       "slow_accept.py did not start")
        client = nslib.track(subprocess.Popen(
            ns.cmd([sys.executable, "-u", os.path.join(PEERS, "paced_connect.py"), str(port),
                    str(count), str(rate), "2.0"]),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            preexec_fn=nslib.die_with_parent))
        connects = times_of(client.communicate(timeout=20 * nslib.TIME_SCALE)[0], "connects")
        accepts = times_of(server.communicate(timeout=20 * nslib.TIME_SCALE)[0], "accepts")
        s.finish_scenario()
    check_scenario(check, len(connects) == count and len(accepts) > 100,
                   "%d connects, %d accepts" % (len(connects), len(accepts)))
    if not s.traced:
        return
    span = connects[-1] - connects[0]
    arrival_truth = (count - 1) / span
    accept_truth = sum(1 for t in accepts if connects[0] <= t <= connects[-1]) / span
    s.check_totals(ns, {"listen_overflow": "TcpExtListenOverflows",
                        "syn_queue_overflow": "TcpExtTCPReqQFullDrop", "lost": 0,
                        "written": len(s.events())})
    row = summary_row(check, s, ns, port)
    burst = row.get("burst") or {}
    check.that(within(burst.get("arrival_per_s"), arrival_truth),
               "arrival_per_s %r, the client connected %.1f/s" % (burst.get("arrival_per_s"),
                                                                 arrival_truth), row)
    check.that(within(burst.get("accept_per_s"), accept_truth),
               "accept_per_s %r, the server accepted %.1f/s" % (burst.get("accept_per_s"),
                                                                accept_truth), row)
    check.fields(row, {"burst.pace": "too_slow", "limit.binds": "listen_backlog",
                       "limit.listen_backlog": 16, "burst.number": 1}, "summary listener")
    drops = s.events("listen_overflow")
    slow = [ev for ev in drops if dig(ev, "listener.burst.pace") == "too_slow"]
    check.that(slow, "no listen_overflow event says the server is too slow")
    for ev in slow[-1:]:
        hint_has(check, ev, "but pid %d (python3) accepted " % server.pid,
                 "would only delay the drops", "; accept faster or add workers")


def quantile(values, q):
    """Nearest rank, as rsttrace's histogram ranks its waits."""
    ordered = sorted(values)
    return ordered[max(0, -(-int(q * len(ordered) * 1000) // 1000) - 1)] if ordered else None


def accept_truth(check, server_out):
    """The server's accept() times and its connections' waits (TCP_INFO)."""
    accepts = times_of(server_out, "accepts")
    waits = []
    for line in server_out.splitlines():
        if line.startswith("waits "):
            waits = [None if w == "-" else float(w) for w in line.split(" ", 1)[1].split(",") if w]
    check_scenario(check, len(waits) == len(accepts),
                   "%d waits for %d accepts" % (len(waits), len(accepts)))
    return accepts, [w for w in waits if w is not None]


def show_truth(name, accepts, waits, acc, row, s):
    """RSTTRACE_TEST_SHOW=1: the truth and rsttrace's figures side by side
    (for the tables in docs/diagnosis.md)."""
    if not os.environ.get("RSTTRACE_TEST_SHOW") or len(accepts) < 2:
        return
    sys.stderr.write("%s truth: %d accepts %.2f/s, %d waits p50 %.4f p99 %.4f max %.4f; "
                     "rsttrace: %s, burst %s, limit %s, socket table %s, missed runs %s\n"
                     % (name, len(accepts), (len(accepts) - 1) / (accepts[-1] - accepts[0]),
                        len(waits), quantile(waits, 0.5), quantile(waits, 0.99), max(waits),
                        acc, row.get("burst"), row.get("limit"),
                        s.final_summary().get("socket_table"),
                        s.final_summary().get("missed")))


def check_wait_truth(check, row, acc, accepts, waits, server="the server"):
    """rsttrace's accept rate (over the listener's life) and wait p50, p99,
    max within 10% of the server's own accept() times and waits."""
    rate_truth = (len(accepts) - 1) / (accepts[-1] - accepts[0])
    check.that(within(acc.get("accept_per_s"), rate_truth),
               "accept.accept_per_s %r, %s accepted %.1f/s"
               % (acc.get("accept_per_s"), server, rate_truth), row)
    for key, q in (("wait_p50_us", 0.50), ("wait_p99_us", 0.99), ("wait_max_us", 1.0)):
        truth = quantile(waits, q)
        got = acc.get(key)
        check.that(got is not None and within(got / 1e6, truth),
                   "accept.%s %r, %s's connections waited %.3f s" % (key, got, server, truth),
                   row)


def run_accept_scenario(ctx, check, port, backlog, interval, seconds, delay, connect_args,
                        metrics=None, more_args=()):
    """slow_accept.py under a paced_connect.py client, rsttrace tracing
    (with --metrics ADDR:PORT when given, scraped once the server is done):
    -> (ns, server pid, session, connect times, accept times, waits,
    scraped text or None)."""
    ns = Netns()
    ns.sysctl({"net.ipv4.tcp_syncookies": 0})
    args = ["--netns", str(ns.inode), "--summary"] + (["--metrics", metrics] if metrics else [])
    args += list(more_args)
    scraped = None
    with XSession(ctx, check, [ns], args) as s:
        server = nslib.track(subprocess.Popen(
            ns.cmd([sys.executable, "-u", os.path.join(PEERS, "slow_accept.py"), str(port),
                    str(backlog), str(interval), str(seconds), str(delay)]),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            preexec_fn=nslib.die_with_parent))
        check_scenario(check, server.stdout.readline().strip() == "listening",
                       "slow_accept.py did not start")
        client = nslib.track(subprocess.Popen(
            ns.cmd([sys.executable, "-u", os.path.join(PEERS, "paced_connect.py"), str(port)]
                   + [str(a) for a in connect_args]),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            preexec_fn=nslib.die_with_parent))
        server_out = server.communicate(timeout=30 * nslib.TIME_SCALE)[0]
        connects = times_of(client.communicate(timeout=30 * nslib.TIME_SCALE)[0], "connects")
        if metrics and s.traced:
            status, scraped = prom_lib.http_get("http://%s/metrics" % metrics)
            check.that(status == 200, "GET /metrics: %d" % status)
        s.finish_scenario()
    accepts, waits = accept_truth(check, server_out)
    return ns, server.pid, s, connects, accepts, waits, scraped


def check_wait_metrics(check, text, port, accepts, waits, timed):
    """The listener's accept-wait histogram and accept counter, scraped
    after the server stopped: counts exact; each power-of-two bound holds
    the connections the server saw wait less (up to its ms of jiffies)."""
    samples = prom_lib.parse_exposition(text or "")

    def one(name, **labels):
        got = [v for (n, ls), v in samples.items()
               if n == name and ("port", str(port)) in ls
               and all((k, w) in ls for k, w in labels.items())]
        return got[0] if len(got) == 1 else None

    check.that(one("rsttrace_listener_accepts_total") == len(accepts),
               "rsttrace_listener_accepts_total %r, the server accepted %d"
               % (one("rsttrace_listener_accepts_total"), len(accepts)))
    check.that(one("rsttrace_listener_accept_wait_seconds_count") == timed,
               "accept_wait_seconds_count %r, %d waits in the summary"
               % (one("rsttrace_listener_accept_wait_seconds_count"), timed))
    check.that(one("rsttrace_listener_accept_wait_seconds_bucket", le="+Inf") == timed,
               "accept_wait_seconds_bucket{le=+Inf} %r, %d waits in the summary"
               % (one("rsttrace_listener_accept_wait_seconds_bucket", le="+Inf"), timed))
    for le in ("0.536870912", "1.073741824", "2.147483648"):
        bound = float(le)
        # The server's waits are whole ms: those within 10 ms of the bound may fall either way.
        low = sum(1 for w in waits if w < bound - 0.010) - (len(waits) - timed)
        high = sum(1 for w in waits if w <= bound + 0.010)
        got = one("rsttrace_listener_accept_wait_seconds_bucket", le=le)
        check.that(got is not None and low <= got <= high,
                   "accept_wait_seconds_bucket{le=%s} %r, the server's waits say %d to %d"
                   % (le, got, low, high))
    if shutil.which("promtool"):
        res = subprocess.run(["promtool", "check", "metrics"], input=text, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, timeout=30)
        check.that(res.returncode == 0 and not res.stdout.strip(),
                   "promtool check metrics: rc %d: %s" % (res.returncode, res.stdout.strip()))


def check_accepts(check, s, ns, port, accepts, waits, untimed_part=0.01):
    """The summary row's accept figures against the server's own: counts
    exactly, the namespace's counters exactly; -> the row."""
    s.check_totals(ns, {"listen_overflow": "TcpExtListenOverflows",
                        "syn_queue_overflow": "TcpExtTCPReqQFullDrop", "lost": 0,
                        "written": len(s.events())})
    row = summary_row(check, s, ns, port)
    acc = row.get("accept") or {}
    # Every accept() the server made, exactly; the wait of every connection
    # it found still ESTABLISHED (the client sent nothing and kept them
    # open), but for those whose handshake rsttrace could not see.
    check.fields(row, {"accept.accepted": len(accepts)}, "summary listener accept")
    check_untimed(check, s, row, len(waits), untimed_part)
    return row, acc


def check_untimed(check, s, row, truth_waits, part=0.01):
    """The accepts rsttrace could not time of the truth_waits connections
    the truth timed: at most `part` of them, and at least 2. Such a
    connection's state changes ran in a softirq where no hook ran
    (docs/truth.md, "Softirqs no hook saw"). That was measured at 1 to 7
    of ~270 in 10 of 80 Go runs, and at 2 of 60 once with nginx (CI,
    2026-12-04). The message says how many of them the kernel's skipped
    runs of the state-change hook and the socket table's evictions
    explain: not all of them (docs/diagnosis.md, "Untimed accepts");
    -> how many."""
    summary = s.final_summary()
    check.that("inet_sock_set_state" in (summary.get("missed") or {}),
               "the summary's missed runs lack the inet_sock_set_state hook: %r"
               % summary.get("missed"))
    timed = dig(row, "accept.waits") or 0
    untimed = truth_waits - timed
    skipped = dig(summary, "missed.inet_sock_set_state") or 0
    evicted = dig(summary, "socket_table.evicted") or 0
    check.that(0 <= untimed <= max(2, int(truth_waits * part)),
               "accept.waits %d, the truth timed %d connections (%d runs of the "
               "inet_sock_set_state hook skipped, %d sockets evicted)"
               % (timed, truth_waits, skipped, evicted), row)
    return untimed


@test("limits_accept_wait_too_slow")
def t_accept_wait_too_slow(ctx, check):
    """The issue's "is the application too slow?": a server that accepts
    100 connections a second (listen(fd, 128)) while a client opens 1,000
    at 1,000 a second. rsttrace's accept rate and accept-queue waits
    (p50, p99, max) are within 10% of what the server measured itself
    (accept() times; each connection's wait from TCP_INFO), and the
    diagnosis says to accept faster: no backlog helps."""
    port, backlog, count, rate = 20210, 128, 1000, 1000.0
    metrics = "127.0.0.1:%d" % prom_lib.free_port()
    ns, pid, s, connects, accepts, waits, scraped = run_accept_scenario(
        ctx, check, port, backlog, 0.01, 4.5, 0, (count, rate, 6.5), metrics=metrics)
    # 450 accepts in 4.5 s at the server's pace; 272 in a loaded 6.12 guest
    # under TCG (one core), where the Python accept loop falls behind it.
    check_scenario(check, len(connects) == count and len(accepts) > 200 and len(waits) > 200,
                   "%d connects, %d accepts, %d waits" % (len(connects), len(accepts), len(waits)))
    if not s.traced:
        return
    row, acc = check_accepts(check, s, ns, port, accepts, waits)
    show_truth("too_slow", accepts, waits, acc, row, s)
    check_wait_metrics(check, scraped, port, accepts, waits, acc.get("waits") or 0)
    check_wait_truth(check, row, acc, accepts, waits)
    # The burst's rates: the client's connect() times, the server's accept() times.
    span = connects[-1] - connects[0]
    arrival_truth = (count - 1) / span
    burst = row.get("burst") or {}
    check.that(within(burst.get("arrival_per_s"), arrival_truth),
               "burst.arrival_per_s %r, the client connected %.1f/s"
               % (burst.get("arrival_per_s"), arrival_truth), row)
    check.fields(row, {"burst.pace": "too_slow", "limit.binds": "listen_backlog",
                       "limit.listen_backlog": backlog}, "summary listener")
    slow = [ev for ev in s.events("listen_overflow")
            if dig(ev, "listener.burst.pace") == "too_slow"]
    check.that(slow, "no listen_overflow event says the server is too slow")
    for ev in slow[-1:]:
        hint_has(check, ev, "but pid %d (python3) accepted " % pid,
                 "the application is too slow to accept; accepted connections waited ",
                 " in the queue; a backlog of ", "would only delay the drops",
                 "; accept faster or add workers")
        check.that(dig(ev, "listener.accept.waits") is not None,
                   "listen_overflow without listener.accept", ev)


@test("limits_accept_wait_fast")
def t_accept_wait_fast(ctx, check):
    """A server that accepts as fast as it can, once it starts, 0.3 s after
    a client opened 100 connections at once (listen(fd, 64)): the queue
    overflowed, the SYNs it dropped came back 1 s later into an empty
    queue, a bigger one would have absorbed the burst, and the diagnosis
    does not say to accept faster. Its counts equal the server's; its
    longest wait is within 10% of the server's."""
    port, backlog, count = 20211, 64, 100
    # --syn-detector=always: the whole overflow is one burst of SYNs within a
    # millisecond, whose retransmissions find an empty queue; by default the
    # detector is armed on pressure (docs/design.md) after that burst, so
    # its drops are only counted (syn_detector_disarmed), and the listener's
    # row, burst and limit this test checks come from the drops' events.
    ns, pid, s, connects, accepts, waits, _ = run_accept_scenario(
        ctx, check, port, backlog, 0, 2.5, 0.3, (count, 100000.0, 3.5),
        more_args=["--syn-detector=always"])
    check_scenario(check, len(connects) == count and len(accepts) == count
                   and len(waits) == count,
                   "%d connects, %d accepts, %d waits, expected %d each"
                   % (len(connects), len(accepts), len(waits), count))
    if not s.traced:
        return
    row, acc = check_accepts(check, s, ns, port, accepts, waits)
    truth = max(waits)
    got = acc.get("wait_max_us")
    check.that(got is not None and within(got / 1e6, truth),
               "accept.wait_max_us %r, the server's longest wait %.3f s" % (got, truth), row)
    check.that((acc.get("wait_p50_us") or 0) <= (acc.get("wait_p99_us") or 0) <= (got or 0),
               "accept quantiles out of order", row)
    check.that((dig(row, "limit.recommended") or 0) >= count,
               "recommended %r below the %d connections" % (dig(row, "limit.recommended"), count),
               row)
    check.that(dig(row, "burst.pace") in ("burst", "unknown"),
               "pace %r for a server that accepts as fast as it can" % dig(row, "burst.pace"),
               row)
    for ev in s.events("listen_overflow"):
        hint = dig(ev, "diagnosis.hint") or ""
        check.that("accept faster" not in hint and "too slow" not in hint,
                   "the hint calls a fast server slow: %r" % hint, ev)


# --------------------------------------------------------------------------
# Go: the backlog is somaxconn, read once per process

GO = shutil.which("go") or "/usr/bin/go"


_goserver = []


def build_goserver():
    """go build peers/goserver.go once per run (standard library only, no
    network; a net/http binary takes long to link on a loaded machine);
    -> (binary or None, build output). With cgo left as the toolchain's
    default, so that Debian's precompiled standard library is used:
    CGO_ENABLED=0 rebuilt net and its dependencies in an empty cache (4.2 s
    against 1.0 s on the host; past the 120 s timeout in a 6.12 guest)."""
    if _goserver:
        return _goserver[0], ""
    tmp = tempfile.mkdtemp(prefix="rtt-goserver-")
    atexit.register(shutil.rmtree, tmp, True)
    out = os.path.join(tmp, "goserver")
    env = dict(os.environ, GOCACHE=os.path.join(tempfile.gettempdir(), "rtt-gocache"),
               GOPATH=os.path.join(tmp, "gopath"), GO111MODULE="off", GOFLAGS="")
    res = subprocess.run([GO, "build", "-o", out, os.path.join(PEERS, "goserver.go")], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         timeout=120 * nslib.TIME_SCALE)
    if res.returncode != 0:
        return None, res.stdout
    _goserver.append(out)
    return out, res.stdout


def go_scenario(ctx, check, port, count, raise_after):
    """A Go listener started with somaxconn 16 (so its backlog is 16), then
    optionally somaxconn raised to 4096 without a restart, then a burst."""
    check_scenario(check, os.access(GO, os.X_OK), "%s missing: scripts/deps.sh installs golang-go"
                   % GO)
    binary, log = build_goserver()
    check_scenario(check, binary is not None, "go build failed: %s" % log)
    ns = Netns()
    ns.sysctl({"net.ipv4.tcp_syncookies": 0, "net.core.somaxconn": 16})
    client = ScriptPeer(ns)
    with XSession(ctx, check, [ns], ["--netns", str(ns.inode), "--summary"]) as s:
        server = nslib.track(subprocess.Popen(
            ns.cmd([binary, "127.0.0.1:%d" % port, "8"]), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            preexec_fn=nslib.die_with_parent))
        check_scenario(check, server.stdout.readline().strip() == "listening",
                       "goserver did not start")
        if raise_after:
            ns.sysctl({"net.core.somaxconn": DEFAULT_SOMAXCONN})
        burst = parse_kv(client.call("burst G 4 127.0.0.1 %d %d 0.5" % (port, count), timeout=10))
        time.sleep(RETRANSMIT_WAIT)
        s.finish_scenario(client)
        nslib.stop_process(server)
    return ns, server, s, burst


@test("limits_go_somaxconn")
def t_go(ctx, check):
    """A Go server started with somaxconn 16: Go asked listen(fd, 16) itself;
    rsttrace recognises the Go executable and says somaxconn binds."""
    port, count = 20208, 24
    ns, server, s, burst = go_scenario(ctx, check, port, count, raise_after=False)
    ack_path = check_burst_scenario(check, burst, 16, count)
    if not s.traced:
        return
    check_limits(check, s, ns, port,
                 {"value": 16, "binds": "somaxconn", "listen_backlog": 16,
                  "somaxconn_at_listen": 16, "somaxconn": 16, "server": "Go",
                  "recommended": 32, "raise_somaxconn": True, "restart": True},
                 count,
                 ["limit 16 = somaxconn: net.core.somaxconn (16 in that netns) is below the 16",
                  "a limit of 32 would have absorbed it: raise net.core.somaxconn to 32 in that "
                  "netns and restart pid %d (goserver) (Go reads somaxconn once per process and "
                  "passes it as its backlog)" % server.pid],
                 ack_path=ack_path)


@test("limits_go_somaxconn_raised_without_restart")
def t_go_raised(ctx, check):
    """The same Go server after somaxconn was raised to 4096 without a
    restart: its limit stays 16, and rsttrace says a restart is needed."""
    port, count = 20209, 24
    ns, server, s, burst = go_scenario(ctx, check, port, count, raise_after=True)
    ack_path = check_burst_scenario(check, burst, 16, count)
    if not s.traced:
        return
    check_limits(check, s, ns, port,
                 {"value": 16, "binds": "somaxconn_at_listen", "listen_backlog": 16,
                  "somaxconn_at_listen": 16, "somaxconn": DEFAULT_SOMAXCONN, "server": "Go",
                  "recommended": 32, "raise_somaxconn": False, "restart": True},
                 count,
                 ["limit 16 = somaxconn at the time pid %d (goserver) called listen(fd, 16); "
                  "net.core.somaxconn is now 4096 in that netns, but this listener keeps its "
                  "limit of 16 until it calls listen() again" % server.pid,
                  "a limit of 32 would have absorbed it: restart pid %d (goserver) (Go reads "
                  "somaxconn once per process" % server.pid],
                 absent=["raise net.core.somaxconn"], ack_path=ack_path)


def go_accept_scenario(ctx, check, port, count, rate, raise_after):
    """The Go net/http server of go_scenario(), started with somaxconn 16,
    accepting one connection every 10 ms (peers/goserver.go INTERVAL),
    while paced_connect.py opens COUNT connections at RATE a second and
    sends nothing; -> (ns, server pid, session, accepts, waits)."""
    check_scenario(check, os.access(GO, os.X_OK), "%s missing: scripts/deps.sh installs golang-go"
                   % GO)
    binary, log = build_goserver()
    check_scenario(check, binary is not None, "go build failed: %s" % log)
    ns = Netns()
    ns.sysctl({"net.ipv4.tcp_syncookies": 0, "net.core.somaxconn": 16})
    with XSession(ctx, check, [ns], ["--netns", str(ns.inode), "--summary"]) as s:
        server = nslib.track(subprocess.Popen(
            ns.cmd([binary, "127.0.0.1:%d" % port, "4.5", "0.01"]), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            preexec_fn=nslib.die_with_parent))
        check_scenario(check, server.stdout.readline().strip() == "listening",
                       "goserver did not start")
        if raise_after:
            ns.sysctl({"net.core.somaxconn": DEFAULT_SOMAXCONN})
        client = nslib.track(subprocess.Popen(
            ns.cmd([sys.executable, "-u", os.path.join(PEERS, "paced_connect.py"), str(port),
                    str(count), str(rate), "6.0"]),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            preexec_fn=nslib.die_with_parent))
        server_out = server.communicate(timeout=30)[0]
        connects = times_of(client.communicate(timeout=30)[0], "connects")
        s.finish_scenario()
    accepts, waits = accept_truth(check, server_out)
    # 62 in a 6.12 guest under TCG whose host was loaded by a benchmark
    # (the server falls behind its 100/s pace).
    check_scenario(check, len(connects) == count and len(accepts) > 50 and len(waits) > 50,
                   "%d connects, %d accepts, %d waits" % (len(connects), len(accepts), len(waits)))
    return ns, server.pid, s, accepts, waits


def check_go_accept(check, name, s, ns, port, pid, accepts, waits, limit_fields):
    # Up to 2.5% of the Go server's accepts were seen untimed, in 10 of ~80
    # runs, unexplained (docs/diagnosis.md, "Untimed accepts").
    row, acc = check_accepts(check, s, ns, port, accepts, waits, 0.03)
    show_truth(name, accepts, waits, acc, row, s)
    check_wait_truth(check, row, acc, accepts, waits, "the Go server")
    check.fields(row, {"limit." + k: v for k, v in limit_fields.items()}, "summary listener")
    check.that((dig(row, "limit.recommended") or 0) >= (dig(row, "burst.peak") or 1),
               "recommended %r below the burst's peak %r"
               % (dig(row, "limit.recommended"), dig(row, "burst.peak")), row)
    check.that(dig(row, "burst.pace") == "too_slow",
               "pace %r for a server that accepts 100/s under 400/s" % dig(row, "burst.pace"),
               row)
    slow = [ev for ev in s.events("listen_overflow")
            if dig(ev, "listener.burst.pace") == "too_slow"]
    check.that(slow, "no listen_overflow event says the Go server is too slow")
    for ev in slow[-1:]:
        hint_has(check, ev, "but pid %d (goserver) accepted " % pid,
                 "; accept faster or add workers")


@test("limits_go_accept_wait")
def t_go_accept_wait(ctx, check):
    """A Go net/http server started with somaxconn 16 (its backlog), whose
    listener accepts 100 connections a second while 300 arrive at 400 a
    second: somaxconn binds (a restart is needed to raise it), the server
    is too slow, and rsttrace's accept rate and accept-queue waits (p50,
    p99, max) are within 10% of what the server measured itself (accept()
    times; each connection's wait from TCP_INFO, ms)."""
    port = 20212
    ns, pid, s, accepts, waits = go_accept_scenario(ctx, check, port, 300, 400.0, False)
    if not s.traced:
        return
    check_go_accept(check, "go", s, ns, port, pid, accepts, waits,
                    {"value": 16, "binds": "somaxconn", "listen_backlog": 16,
                     "somaxconn_at_listen": 16, "somaxconn": 16, "server": "Go",
                     "raise_somaxconn": True, "restart": True})


@test("limits_go_accept_wait_raised_without_restart")
def t_go_accept_wait_raised(ctx, check):
    """limits_go_accept_wait after somaxconn was raised to 4096 without a
    restart: the limit stays 16 (a restart is needed), and the accept
    figures agree with the server's within 10% as before."""
    port = 20213
    ns, pid, s, accepts, waits = go_accept_scenario(ctx, check, port, 300, 400.0, True)
    if not s.traced:
        return
    check_go_accept(check, "go_raised", s, ns, port, pid, accepts, waits,
                    {"value": 16, "binds": "somaxconn_at_listen", "listen_backlog": 16,
                     "somaxconn_at_listen": 16, "somaxconn": DEFAULT_SOMAXCONN, "server": "Go",
                     "raise_somaxconn": False, "restart": True})


# --------------------------------------------------------------------------
# nginx too slow to accept: its own log is the truth of when it accepted

# Its access log goes to a FIFO read at a pace (PacedLog); no keep-alive.
PACED_EVENTS = " multi_accept off; accept_mutex off;"
PACED_LOG = """    log_format paced '$remote_port $msec $connection_time $connection ' {pad};
    access_log {tmp}/access.fifo paced;
    keepalive_timeout 0;"""
F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)
PAGE = os.sysconf("SC_PAGE_SIZE")


class PacedLog(threading.Thread):
    """The reading end of nginx's access log, a FIFO of one page, read once
    every PACE seconds. A log line is more than half a page, so the pipe
    holds one: nginx's worker blocks in write() until the line before was
    read, and completes one request per PACE; and since it accepts one
    connection per turn of its event loop (multi_accept off), it accepts
    one every PACE too."""

    def __init__(self, path, pace):
        super().__init__(daemon=True)
        os.mkfifo(path)
        # Open before nginx opens it for writing (which would block without a reader).
        self.fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        fcntl.fcntl(self.fd, F_SETPIPE_SZ, PAGE)
        self.pace, self.stopping, self.data = pace, threading.Event(), bytearray()

    def read(self):
        try:
            chunk = os.read(self.fd, 1 << 16)
        except BlockingIOError:
            return False
        self.data += chunk
        return bool(chunk)

    def run(self):
        tick = time.monotonic()
        while not self.stopping.is_set():
            self.read()
            tick += self.pace
            time.sleep(max(0.0, tick - time.monotonic()))
        while self.read():
            pass

    def finish(self):
        self.stopping.set()
        self.join(5)
        os.close(self.fd)
        return [l.split()[:4] for l in self.data.decode(errors="replace").splitlines()]


def nginx_truth(check, lines, conns):
    """nginx's accept() times ($msec − $connection_time: the request's
    end minus the connection's age, both from nginx's time cache, ms) and
    each connection's wait: its accept time minus the client's handshake
    time. A connection whose handshake ACK was dropped (the client saw a
    retransmission after its handshake) was queued later than the client's
    handshake time: its wait is between 0 and that bound. -> (accept
    times, known waits, the waits with the unknown ones at 0, the same
    with them at their bound, how many are unknown)."""
    by_port = {}
    for port, msec, age, _ in lines:
        by_port[int(port)] = float(msec) - float(age)
    accepts, known, bounds = sorted(by_port.values()), [], []
    missing = [c[0] for c in conns if c[0] not in by_port]
    check_scenario(check, not missing and len(by_port) == len(conns),
                   "%d log lines for %d connections, not logged: %s"
                   % (len(by_port), len(conns), missing[:10]))
    for port, _, handshake, _, retransmitted in conns:
        if port not in by_port:
            continue
        wait = max(0.0, by_port[port] - handshake)
        (bounds if retransmitted else known).append(wait)
    return (accepts, known, known + [0.0] * len(bounds), known + bounds, len(bounds))


def check_wait_truth_bounded(check, row, acc, accepts, low, high, server):
    """check_wait_truth() where some waits are known only within bounds:
    each quantile of rsttrace within 10% of the range of that quantile
    over the waits at their lower (low) and upper (high) bounds."""
    rate_truth = (len(accepts) - 1) / (accepts[-1] - accepts[0])
    check.that(within(acc.get("accept_per_s"), rate_truth),
               "accept.accept_per_s %r, %s accepted %.1f/s"
               % (acc.get("accept_per_s"), server, rate_truth), row)
    for key, q in (("wait_p50_us", 0.50), ("wait_p99_us", 0.99), ("wait_max_us", 1.0)):
        lo, hi = quantile(low, q), quantile(high, q)
        got = acc.get(key)
        check.that(got is not None and lo * 0.9 <= got / 1e6 <= hi * 1.1,
                   "accept.%s %r, %s's connections waited %.3f to %.3f s"
                   % (key, got, server, lo, hi), row)


@test("limits_nginx_accept_wait")
def t_nginx_accept_wait(ctx, check):
    """A real nginx with `listen ... backlog=8` (somaxconn 4096), one worker
    made to accept one connection every 30 ms (its access log is a FIFO the
    test reads at that pace, class PacedLog), while a client sends 60
    requests at 100 connects a second: nginx's backlog binds, and
    rsttrace's accept rate and waits (p50, p99, max) are within 10% of the
    truth: nginx's own log (accept time = $msec − $connection_time, ms;
    nginx's time cache is refreshed when epoll_wait() returns, and each turn
    of the worker's loop accepts first, then writes the blocking log line)
    and the client's handshake times (µs)."""
    port, backlog, count, rate, pace = 20214, 8, 60, 100.0, 0.03
    check_scenario(check, os.access(NGINX, os.X_OK),
                   "%s missing: scripts/deps.sh installs nginx-light" % NGINX)
    ns = Netns()
    ns.sysctl({"net.ipv4.tcp_syncookies": 0})
    tmp = tempfile.TemporaryDirectory(prefix="rtt-nginx-")
    conf = os.path.join(tmp.name, "nginx.conf")
    pad = " ".join("'%s'" % ("x" * 500) for _ in range(PAGE // 2 // 500 + 1))
    with open(conf, "w") as f:
        f.write(nginx_conf(tmp.name, port, backlog, connections=256, events=PACED_EVENTS,
                           log=PACED_LOG.format(pad=pad, tmp=tmp.name)))
    log = PacedLog(os.path.join(tmp.name, "access.fifo"), pace)
    log.start()
    with XSession(ctx, check, [ns], ["--netns", str(ns.inode), "--summary"]) as s:
        master = nslib.track(subprocess.Popen(
            ns.cmd([NGINX, "-p", tmp.name, "-c", conf, "-e", os.path.join(tmp.name, "error.log")]),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            preexec_fn=nslib.die_with_parent))
        up = poll(lambda: listening(ns, port), 5)
        check_scenario(check, up, "nginx (pid %d) not listening" % master.pid)
        client = nslib.track(subprocess.Popen(
            ns.cmd([sys.executable, "-u", os.path.join(PEERS, "http_burst.py"), str(port),
                    str(count), str(rate), "15"]),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            preexec_fn=nslib.die_with_parent))
        out = client.communicate(timeout=30)[0]
        nslib.stop_process(master)
        s.finish_scenario()
    lines = log.finish()
    tmp.cleanup()
    conns = json.loads(out or "{}").get("conns", [])
    check_scenario(check, len(conns) == count and all(c[3] for c in conns),
                   "%d of %d requests answered" % (sum(1 for c in conns if c[3]), count))
    accepts, waits, low, high, unknown = nginx_truth(check, lines, conns)
    # 2-4 of 60 on a quiet machine, up to 7 on a loaded one: each widens
    # the quantiles' range (nginx_truth()); a fifth would leave little to check.
    check_scenario(check, unknown <= count // 5,
                   "%d of %d connections of unknown wait (their ACK met a full queue)"
                   % (unknown, count))
    if not s.traced:
        return
    s.check_totals(ns, {"listen_overflow": "TcpExtListenOverflows",
                        "syn_queue_overflow": "TcpExtTCPReqQFullDrop", "lost": 0,
                        "written": len(s.events())})
    row = summary_row(check, s, ns, port)
    acc = row.get("accept") or {}
    show_truth("nginx (%d unknown)" % unknown, accepts, waits, acc, row, s)
    if os.environ.get("RSTTRACE_TEST_SHOW"):
        sys.stderr.write("nginx bounds: p50 %.4f-%.4f p99 %.4f-%.4f max %.4f-%.4f\n"
                         % tuple(quantile(w, q) for q in (0.5, 0.99, 1.0) for w in (low, high)))
    # Every accept() nginx made; the wait of every one (the client kept them open).
    check.fields(row, {"accept.accepted": len(accepts)}, "summary listener accept")
    check_untimed(check, s, row, len(accepts))
    check_wait_truth_bounded(check, row, acc, accepts, low, high, "nginx")
    check.fields(row, {"limit.value": backlog, "limit.binds": "listen_backlog",
                       "limit.listen_backlog": backlog, "limit.server": "nginx",
                       "limit.somaxconn": DEFAULT_SOMAXCONN, "limit.restart": False},
                 "summary listener limit")
    check.that((dig(row, "limit.recommended") or 0) >= (dig(row, "burst.peak") or 1),
               "recommended %r below the burst's peak %r"
               % (dig(row, "limit.recommended"), dig(row, "burst.peak")), row)
