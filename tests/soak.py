#!/usr/bin/env python3
"""Soak test of rsttrace: a long mixed reset storm under one tracer.

    python3 tests/soak.py [--seconds N] [--bin PATH] [--keep] [-v]

Builds three throw-away network namespaces (client, server, and an
"overflow" server with net.ipv4.tcp_abort_on_overflow=1, linked to the
client by veth pairs), starts ONE `rsttrace --json --summary=5` for the
whole run (stdout into a temporary file, stderr captured) and, once it says
`rsttrace: attached`, runs for N seconds a mixed storm of bounded worker
processes (tests/soak/worker.py), all at moderate rates:

  closed          connect() to a closed port            NO_SOCKET / no_listener
  abort           server closes with unread data        TCP_ABORT_ON_CLOSE
  linger          close() with SO_LINGER {1,0}          TCP_STATE
  overflow        bursts at a backlog-2 listener that   listen_overflow (SYN and ACK
                  never accepts (abort_on_overflow=1),  paths), syn_queue_overflow,
                  every other one TCP_DEFER_ACCEPT      INVALID_SYN resets
  churn_listener  listener closed for 0.25 s each       listener_restarting
                  second, clients connecting all along
  conn_churn      graceful connections with random      socket-table entries that
                  lifetimes, up to 64 open at once      come and go (no resets)

Every second it samples the tracer's RSS; a background thread (nice 19,
so that it does not take CPU from the tracer) parses the stdout file as it
grows (summaries every 5 s give socket_table.entries and totals).  At the end it
reads the namespaces' nstat counters, SIGINTs the tracer and checks:

  traffic_mix        every part of the storm ran and was reported
  clean_exit         status 0, no error/warning on stderr, all stdout is JSON
  rss_flat           2nd-half max RSS <= 1st-half max + 1 MiB, peak <= 16 MiB
  socket_table_flat  last entries <= 1st-half max * 1.5 + 100, and < max
  exact_accounting   per namespace: rst_sent events == TcpOutRsts delta,
                     listener overflows == TcpExtListenOverflows delta, less
                     at most the unattributed ones (no netns); the totals,
                     and listener overflows + unattributed, too when no
                     other namespace had events; written
                     == event lines + folded counts; per-type totals vs lines
  no_lost_events     lost == 0, or every loss reported in `lost` lines

The tracer traces every namespace of the host: events are attributed by
their netns inode, and other namespaces' events ("foreign") are only
counted.  Kernel counters are read once before the SIGINT and once after
the tracer exited; a late reset between the two widens the accepted range
instead of failing the run (when nothing happened, the range is one value).

Output: a figures line, one `PASS name` / `FAIL name: why` line per check,
and last `N passed, N failed`; exit status 0 iff all passed.  Everything
(namespaces, processes, temporary files) is removed at exit, also on
SIGTERM; every loop is bounded in count and time.
"""

import argparse
import collections
import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
WORKER = os.path.join(HERE, "soak", "worker.py")
sys.path.insert(0, os.path.join(HERE, "integration"))

import nslib  # noqa: E402

EVENT_TYPES = ("rst_sent", "rst_received", "listen_overflow", "syn_queue_overflow",
               "firewall_reset")
SCHEMA = 2
ATTACHED = "rsttrace: attached"
TOTALS = "rsttrace: totals"
SUMMARY_SECS = 5
RSS_SLACK_KB = 1024          # second-half max may exceed first-half max by this
RSS_PEAK_KB = 16 * 1024
ATTACH_TIMEOUT = 30
EXIT_TIMEOUT = 20
PUNCH_EVERY = 64 << 20       # free parsed stdout from disk past this much

PORTS = {"closed": 9, "abort": 8101, "linger": 8102, "overflow": 8103,
         "churn_listener": 8104, "conn_churn": 8105}


def log(msg):
    print("soak: " + msg, file=sys.stderr, flush=True)


def mib(kb):
    return "%.1f MiB" % (kb / 1024.0)


# --------------------------------------------------------------------------
# reading the tracer

class StdoutReader:
    """Parses the tracer's stdout file incrementally (complete lines only)
    and keeps counts, not lines: a soak run with foreign traffic on the host
    can write gigabytes.  Once more than PUNCH_EVERY bytes were parsed, the
    parsed part is freed with fallocate(PUNCH_HOLE) (offsets unchanged)."""

    def __init__(self, path, inodes):
        self.path = path
        self.f = open(path, "rb")
        self.inodes = set(inodes)
        self.rest = b""
        self.offset = 0           # bytes parsed (complete lines)
        self.punched = 0
        self.punch_ok = True
        self.lines = 0
        self.bad = []             # (line number, text) of non-JSON lines, first few
        self.bad_count = 0
        self.by_type = collections.Counter()
        self.by_type_netns = collections.Counter()     # (type, netns) -> n
        self.foreign = 0          # event lines of namespaces not ours
        self.foreign_null = 0     # ... of which netns null
        self.mine = collections.Counter()              # signature -> n
        self.examples = {}        # signature -> first line of it
        self.event_records = 0
        self.folded = 0           # events beyond the first of folded records
        self.folded_lines = 0     # records with count > 1
        self.coverage = None
        self.missed_lines = []
        self.unattributed = collections.Counter()  # event type -> kernel-counted, unseen
        self.syn_detector_lines = []  # the SYN detector armed/disarmed on pressure
        self.lost_lines = []
        self.summaries = []       # (monotonic time read, object)
        self.unknown = collections.Counter()

    def _line(self, raw):
        self.lines += 1
        try:
            obj = json.loads(raw)
        except ValueError:
            obj = None
        if not isinstance(obj, dict) or obj.get("schema") != SCHEMA:
            self.bad_count += 1
            if len(self.bad) < 3:
                self.bad.append((self.lines, raw[:300].decode("utf-8", "replace")))
            return
        kind = obj.get("type")
        if kind in EVENT_TYPES:
            # A record stands for 'count' events (a storm folded in the kernel).
            n = obj.get("count", 1)
            self.event_records += 1
            self.by_type[kind] += n
            if n > 1:
                self.folded += n - 1
                self.folded_lines += 1
            netns = obj.get("netns")
            self.by_type_netns[(kind, netns)] += n
            if netns not in self.inodes:
                self.foreign += 1
                self.foreign_null += netns is None
                return
            diag = obj.get("diagnosis") or {}
            sig = (kind, obj.get("reason"), obj.get("cause"), obj.get("path"),
                   diag.get("code"))
            self.mine[sig] += n
            if sig not in self.examples:
                self.examples[sig] = raw.decode("utf-8", "replace")
        elif kind == "coverage":
            self.coverage = obj
        elif kind == "missed":
            self.missed_lines.append(obj)
        elif kind == "unattributed":
            self.unattributed[obj.get("event")] += obj.get("count", 0)
        elif kind == "lost":
            self.lost_lines.append(obj)
        elif kind == "syn_detector":
            self.syn_detector_lines.append(obj)
        elif kind == "summary":
            self.summaries.append((time.monotonic(), obj))
        else:
            self.unknown[kind] += 1

    def poll(self):
        data = self.f.read()
        if not data:
            return
        data = self.rest + data
        end = data.rfind(b"\n")
        if end < 0:
            self.rest = data
            return
        self.rest = data[end + 1:]
        for raw in data[:end].split(b"\n"):
            if raw:
                self._line(raw)
        self.offset += end + 1
        self._punch()

    def _punch(self):
        upto = self.offset & ~0xfff
        if not self.punch_ok or upto - self.punched < PUNCH_EVERY:
            return
        libc = ctypes.CDLL(None, use_errno=True)
        libc.fallocate.argtypes = (ctypes.c_int, ctypes.c_int, ctypes.c_longlong,
                                   ctypes.c_longlong)
        # FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE
        if libc.fallocate(self.f.fileno(), 0x01 | 0x02, 0, upto) == 0:
            self.punched = upto
        else:
            self.punch_ok = False

    def start(self):
        """Parse in a background thread at nice 19 (that thread only), so
        the parsing of a busy host's output does not take CPU from the
        tracer; the main thread keeps sampling once a second."""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        except OSError:
            pass
        while not self._stop.is_set():
            self.poll()
            self._stop.wait(0.25)

    def finish(self):
        """After the tracer exited: parse the rest (at normal priority)."""
        if getattr(self, "_thread", None) is not None:
            self._stop.set()
            self._thread.join()
            self._thread = None
        self.poll()
        if self.rest:
            self._line(self.rest)   # an unterminated last line: parsed, likely bad
            self.rest = b""
        self.f.close()

    def event_lines(self):
        """Events written: the records' counts summed."""
        return sum(self.by_type.values())

    def in_netns(self, kind, inode):
        return self.by_type_netns[(kind, inode)]

    def final_summary(self):
        for _, obj in reversed(self.summaries):
            if obj.get("final") is True:
                return obj
        return None


class Tracer:
    """The one rsttrace process of the run."""

    def __init__(self, binary, workdir):
        self.out_path = os.path.join(workdir, "stdout.ndjson")
        self.argv = [binary, "--json", "--summary=%d" % SUMMARY_SECS]
        self.stderr_lines = []        # (monotonic time, text)
        self.attached_at = None
        self._attached = threading.Event()
        with open(self.out_path, "wb") as out:
            self.proc = nslib.track(subprocess.Popen(
                self.argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.PIPE,
                preexec_fn=nslib.die_with_parent))
        self.pid = self.proc.pid
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    def _drain(self):
        for raw in self.proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            now = time.monotonic()
            self.stderr_lines.append((now, line))
            if line.startswith(ATTACHED) and not self._attached.is_set():
                self.attached_at = now
                self._attached.set()

    def wait_attached(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._attached.wait(0.1):
                return
            if self.proc.poll() is not None:
                self._thread.join(2)
                raise RuntimeError("rsttrace exited with %s before attaching: %s" % (
                    self.proc.returncode, " | ".join(l for _, l in self.stderr_lines)[:600]))
        raise RuntimeError("no '%s' line within %ds" % (ATTACHED, timeout))

    def alive(self):
        return self.proc.poll() is None

    def memory(self):
        """{VmRSS, RssAnon, RssFile} in kB, None once the process is gone."""
        vals = {}
        try:
            with open("/proc/%d/status" % self.pid) as f:
                for line in f:
                    key, _, rest = line.partition(":")
                    if key in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
                        vals[key] = int(rest.split()[0])
        except OSError:
            return None
        return vals if "VmRSS" in vals else None

    def cpu_seconds(self):
        try:
            with open("/proc/%d/stat" % self.pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return None

    def stop(self):
        """SIGINT, wait; -> exit status (None if it had to be killed)."""
        if self.proc.poll() is None:
            os.kill(self.pid, signal.SIGINT)
            try:
                self.proc.wait(timeout=EXIT_TIMEOUT)
            except subprocess.TimeoutExpired:
                nslib.stop_process(self.proc, signal.SIGKILL)
                self._thread.join(2)
                return None
        nslib.stop_process(self.proc)
        self._thread.join(5)
        return self.proc.returncode


# --------------------------------------------------------------------------
# namespaces and traffic

class Topology:
    """client <-veth-> server, client <-veth-> overflow (abort_on_overflow=1)."""

    def __init__(self):
        self.namespaces = []
        self.client = self._ns()
        self.server = self._ns()
        self.overflow = self._ns()
        self.overflow.sysctl({"net.ipv4.tcp_abort_on_overflow": 1})
        self.srv_link = nslib.VethPair(self.client, self.server, 201)
        self.ovf_link = nslib.VethPair(self.client, self.overflow, 202)
        self.names = {self.client.inode: "client", self.server.inode: "server",
                      self.overflow.inode: "overflow"}

    def _ns(self):
        ns = nslib.Netns()
        self.namespaces.append(ns)
        return ns

    def path(self, ns):
        return os.path.join(nslib.NETNS_DIR, ns.name)

    def counters(self):
        return nslib.snapshot(self.namespaces)

    def delete(self):
        for ns in self.namespaces:
            ns.delete()


def worker_configs(topo, seconds):
    srv = [["ipv4", topo.srv_link.server_addr["ipv4"]],
           ["ipv6", topo.srv_link.server_addr["ipv6"]]]
    ovf = [["ipv4", topo.ovf_link.server_addr["ipv4"]],
           ["ipv6", topo.ovf_link.server_addr["ipv6"]]]
    server, overflow = topo.path(topo.server), topo.path(topo.overflow)
    cfgs = [
        {"role": "closed", "rate": 40, "targets": srv},
        {"role": "abort", "rate": 15, "targets": srv, "server_ns": server, "bytes": 100},
        {"role": "linger", "rate": 15, "targets": srv, "server_ns": server},
        {"role": "overflow", "rate": 1, "targets": ovf, "server_ns": overflow,
         "backlog": 2, "burst": 12, "hold": 0.3},
        {"role": "churn_listener", "rate": 25, "targets": srv[:1], "server_ns": server,
         "period": 1.0, "down": 0.25},
        {"role": "conn_churn", "rate": 50, "targets": srv, "server_ns": server,
         "concurrent": 64, "min_life": 0.1, "max_life": 3.0},
    ]
    for cfg in cfgs:
        cfg["port"] = PORTS[cfg["role"]]
        cfg["seconds"] = seconds
        cfg["max_iter"] = int(cfg["rate"] * seconds * 1.2) + 10
    return cfgs


class Worker:
    def __init__(self, ns, cfg):
        self.cfg = cfg
        self.role = cfg["role"]
        self.proc = nslib.track(subprocess.Popen(
            ns.cmd([sys.executable, "-u", WORKER, json.dumps(cfg)]),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            preexec_fn=nslib.die_with_parent))
        self.result = None
        self.problem = None

    def finish(self, timeout):
        try:
            out, err = self.proc.communicate(timeout=max(timeout, 1))
        except subprocess.TimeoutExpired:
            nslib.stop_process(self.proc, signal.SIGKILL)
            self.problem = "did not end within its time (killed)"
            return
        nslib.stop_process(self.proc)
        text = out.decode("utf-8", "replace").strip().splitlines()
        try:
            self.result = json.loads(text[-1]) if text else None
        except ValueError:
            self.result = None
        if self.proc.returncode != 0 or self.result is None:
            self.problem = "exit status %s: %s" % (
                self.proc.returncode, err.decode("utf-8", "replace").strip()[-400:])

    def stats(self):
        return (self.result or {}).get("stats", {})


def counter_sum(snap, key):
    return {inode: vals.get(key, 0) for inode, vals in snap.items()}


def settle(topo, max_seconds=5.0):
    """Wait (bounded) until the namespaces' reset and overflow counters
    stop moving: in-flight handshakes, FINs and retransmissions are over."""
    deadline = time.monotonic() + max_seconds
    prev = topo.counters()
    while time.monotonic() < deadline:
        time.sleep(0.5)
        cur = topo.counters()
        if all(counter_sum(cur, k) == counter_sum(prev, k)
               for k in ("TcpOutRsts", "TcpExtListenOverflows")):
            return cur
        prev = cur
    return prev


# --------------------------------------------------------------------------
# checks

class Report:
    def __init__(self):
        self.results = []   # (name, ok, text)

    def add(self, name, problems, figures):
        ok = not problems
        text = figures if ok else "; ".join(problems) + (" [" + figures + "]" if figures else "")
        self.results.append((name, ok, text))

    def print(self):
        for name, ok, text in self.results:
            print(("PASS %s: %s" if ok else "FAIL %s: %s") % (name, text))
        passed = sum(ok for _, ok, _ in self.results)
        print("%d passed, %d failed" % (passed, len(self.results) - passed))
        return passed == len(self.results)


def check_traffic(rep, run):
    r, topo = run["reader"], run["topo"]
    problems = []
    for w in run["workers"]:
        expect = w.cfg["rate"] * run["seconds"]
        it = w.stats().get("iterations", 0)
        if w.problem:
            problems.append("worker %s %s" % (w.role, w.problem))
        elif it < expect * 0.5:
            problems.append("worker %s ran %d of ~%d iterations" % (w.role, it, expect))
    inode = {"server": topo.server.inode, "client": topo.client.inode,
             "overflow": topo.overflow.inode}

    def seen(pred):
        return sum(n for sig, n in r.mine.items() if pred(*sig))

    wanted = [
        ("NO_SOCKET/no_listener", lambda t, rs, c, p, d: t == "rst_sent" and rs == "NO_SOCKET"
         and d == "no_listener"),
        ("NO_SOCKET/listener_restarting", lambda t, rs, c, p, d: t == "rst_sent"
         and rs == "NO_SOCKET" and d == "listener_restarting"),
        ("TCP_ABORT_ON_CLOSE", lambda t, rs, c, p, d: t == "rst_sent"
         and rs == "TCP_ABORT_ON_CLOSE"),
        ("TCP_STATE", lambda t, rs, c, p, d: t == "rst_sent" and rs == "TCP_STATE"),
        ("listen_overflow", lambda t, rs, c, p, d: t == "listen_overflow"),
        ("INVALID_SYN(listen_overflow)", lambda t, rs, c, p, d: t == "rst_sent"
         and c == "listen_overflow"),
        ("rst_received", lambda t, rs, c, p, d: t == "rst_received"),
    ]
    figs = []
    for label, pred in wanted:
        n = seen(pred)
        figs.append("%s %d" % (label, n))
        if n == 0:
            problems.append("no %s event from our namespaces" % label)
    for name in ("server", "client", "overflow"):
        n = sum(r.in_netns(t, inode[name]) for t in EVENT_TYPES)
        figs.append("%s-ns events %d" % (name, n))
    rep.add("traffic_mix", problems, ", ".join(figs))


def check_clean_exit(rep, run):
    r = run["reader"]
    problems = []
    if run["died_early"]:
        problems.append("rsttrace exited during the run (at %.1f s)" % run["died_early"])
    if run["rc"] != 0:
        problems.append("exit status %s" % ("killed after %ds" % EXIT_TIMEOUT
                                             if run["rc"] is None else run["rc"]))
    bad_err = []
    known_gaps = set()
    for ev in ((r.coverage or {}).get("events") or {}).values():
        known_gaps.update(ev.get("missing") or [])
    if r.coverage is None:
        problems.append("no coverage record first on stdout")
    for _, line in run["stderr"]:
        if not line.strip() or line.startswith("rsttrace: "):
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            obj = None
        if (isinstance(obj, dict) and obj.get("type") == "warning"
                and obj.get("message") in known_gaps):
            continue   # a gap of this kernel, also in the coverage record
        if isinstance(obj, dict) and obj.get("type") in ("error", "warning"):
            bad_err.append(line)
        elif not isinstance(obj, dict) or obj.get("type") != "info":
            bad_err.append(line)   # libbpf chatter or anything else unexpected
    if bad_err:
        problems.append("%d error/warning/unexpected stderr lines, first: %s"
                        % (len(bad_err), bad_err[0][:300]))
    if not any(l.startswith(TOTALS) for _, l in run["stderr"]):
        problems.append("no '%s' line on stderr" % TOTALS)
    if r.bad_count:
        problems.append("%d stdout lines are not JSON objects of schema %d, first: line %d %r"
                        % (r.bad_count, SCHEMA, r.bad[0][0], r.bad[0][1]))
    if r.unknown:
        problems.append("unknown line types %s" % dict(r.unknown))
    if r.final_summary() is None:
        problems.append("no final summary (\"final\": true)")
    rep.add("clean_exit", problems, "status %s, %d stdout lines, %d stderr lines"
            % (run["rc"], r.lines, len(run["stderr"])))


def check_rss(rep, run):
    half = run["seconds"] / 2.0
    samples = run["rss"]
    first = [s for s in samples if s[0] < half]
    second = [s for s in samples if s[0] >= half]
    if not first or not second:
        rep.add("rss_flat", ["too few RSS samples (%d, %d)" % (len(first), len(second))], "")
        return
    max1 = max(s[1]["VmRSS"] for s in first)
    max2 = max(s[1]["VmRSS"] for s in second)
    peak = max(samples, key=lambda s: s[1]["VmRSS"])[1]
    low = min(s[1]["VmRSS"] for s in samples)
    problems = []
    if max2 > max1 + RSS_SLACK_KB:
        problems.append("RSS grew: second-half max %s > first-half max %s + 1 MiB"
                        % (mib(max2), mib(max1)))
    if peak["VmRSS"] > RSS_PEAK_KB:
        problems.append("peak RSS %s > %s" % (mib(peak["VmRSS"]), mib(RSS_PEAK_KB)))
    rep.add("rss_flat", problems,
            "first-half max %s, second-half max %s (%+d kB), min %s, peak %s "
            "(RssAnon %s, RssFile %s), %d samples" % (
                mib(max1), mib(max2), max2 - max1, mib(low), mib(peak["VmRSS"]),
                mib(peak.get("RssAnon", 0)), mib(peak.get("RssFile", 0)), len(samples)))


def summary_time(run, obj):
    """Seconds since traffic start at which the tracer wrote this summary."""
    return run["attached_at"] + obj.get("elapsed_ms", 0) / 1000.0 - run["traffic_start"]


def check_table(rep, run):
    r = run["reader"]
    half = run["seconds"] / 2.0
    interval = [o for _, o in r.summaries if not o.get("final")]
    first = [o for o in interval if summary_time(run, o) < half]
    final = r.final_summary()
    problems = []
    if not first:
        rep.add("socket_table_flat", ["no summary in the first half of the run"],
                "%d summaries" % len(r.summaries))
        return
    max1 = max(o["socket_table"]["entries"] for o in first)
    limit = max1 * 1.5 + 100
    checked = []
    if len(interval) > len(first):
        checked.append(("last interval summary", interval[-1]))
    if final is not None:
        checked.append(("final summary", final))
    if not checked:
        problems.append("no summary after the first half")
    figs = ["first-half max %d (%d summaries)" % (max1, len(first)), "limit %.0f" % limit]
    for label, obj in checked:
        st = obj["socket_table"]
        figs.append("%s %d of %d (evicted %d)" % (label, st["entries"], st["max"],
                                                  st.get("evicted", 0)))
        if st["entries"] > limit:
            problems.append("%s: %d entries > %.0f" % (label, st["entries"], limit))
        if st["entries"] >= st["max"]:
            problems.append("%s: table full (%d of %d)" % (label, st["entries"], st["max"]))
    series = [o["socket_table"]["entries"] for o in interval]
    if len(series) > 12:
        series = series[:6] + ["..."] + series[-5:]
    figs.append("series %s" % ", ".join(str(x) for x in series))
    rep.add("socket_table_flat", problems, ", ".join(figs))


def in_range(value, lo, hi):
    return lo <= value <= hi


def fmt_range(lo, hi):
    return str(lo) if lo == hi else "%d..%d" % (lo, hi)


def check_accounting(rep, run):
    r, topo = run["reader"], run["topo"]
    final = r.final_summary()
    if final is None:
        rep.add("exact_accounting", ["no final summary"], "")
        return
    tot = final["totals"]
    lost = tot.get("lost", 0)
    before, after1, after2 = run["nstat_before"], run["nstat_after1"], run["nstat_after2"]
    problems, figs = [], []

    overflow_by_ns = collections.Counter()
    for lst in final.get("listeners", []):
        ov = lst.get("overflows", {})
        overflow_by_ns[lst.get("netns")] += ov.get("syn", 0) + ov.get("ack", 0) + ov.get("cookie", 0)

    sums = collections.Counter()
    for ns in topo.namespaces:
        name = topo.names[ns.inode]
        d1 = nslib.counter_delta(before[ns.inode], after1[ns.inode], "TcpOutRsts")
        d2 = nslib.counter_delta(before[ns.inode], after2[ns.inode], "TcpOutRsts")
        o1 = nslib.counter_delta(before[ns.inode], after1[ns.inode], "TcpExtListenOverflows")
        o2 = nslib.counter_delta(before[ns.inode], after2[ns.inode], "TcpExtListenOverflows")
        sums["rst1"] += d1
        sums["rst2"] += d2
        sums["ovf1"] += o1
        sums["ovf2"] += o2
        sent = r.in_netns("rst_sent", ns.inode)
        if not in_range(sent, d1 - lost, d2):
            problems.append("%s netns %d: %d rst_sent events, TcpOutRsts delta %s (lost %d)"
                            % (name, ns.inode, sent, fmt_range(d1, d2), lost))
        ovf = overflow_by_ns[ns.inode]
        # Overflows no record could name a listener for (the SYN detector
        # armed on pressure was not attached yet) are unattributed records,
        # which carry no netns: a listener row may be short by at most those.
        if not in_range(ovf, o1 - r.unattributed["listen_overflow"], o2):
            problems.append("%s netns %d: summary listener overflows %d, "
                            "TcpExtListenOverflows delta %s" % (name, ns.inode, ovf,
                                                                fmt_range(o1, o2)))
        figs.append("%s: rst_sent %d/TcpOutRsts %s, overflows %d/ListenOverflows %s"
                    % (name, sent, fmt_range(d1, d2), ovf, fmt_range(o1, o2)))

    if r.foreign == 0:
        if not in_range(tot["rst_sent"], sums["rst1"], sums["rst2"]):
            problems.append("totals.rst_sent %d != sum of TcpOutRsts deltas %s"
                            % (tot["rst_sent"], fmt_range(sums["rst1"], sums["rst2"])))
        if not in_range(tot["listen_overflow"], sums["ovf1"], sums["ovf2"]):
            problems.append("totals.listen_overflow %d != sum of ListenOverflows deltas %s"
                            % (tot["listen_overflow"], fmt_range(sums["ovf1"], sums["ovf2"])))
        ovf_all = sum(overflow_by_ns[ns.inode] for ns in topo.namespaces)
        ovf_all += r.unattributed["listen_overflow"]
        if not in_range(ovf_all, sums["ovf1"], sums["ovf2"]):
            problems.append("summary listener overflows + unattributed %d != sum of "
                            "ListenOverflows deltas %s"
                            % (ovf_all, fmt_range(sums["ovf1"], sums["ovf2"])))
        figs.append("totals rst_sent %d/%s, listen_overflow %d/%s" % (
            tot["rst_sent"], fmt_range(sums["rst1"], sums["rst2"]),
            tot["listen_overflow"], fmt_range(sums["ovf1"], sums["ovf2"])))
    else:
        figs.append("totals not compared: %d events of other namespaces (%d with netns null)"
                    % (r.foreign, r.foreign_null))

    # Everything written is on stdout: the records' counts (folded storms included).
    written = r.event_lines()
    if tot["written"] != written:
        problems.append("totals.written %d != %d events in %d records"
                        % (tot["written"], written, r.event_records))
    figs.append("written %d in %d records (%d folded into %d), lost %d"
                % (written, r.event_records, r.folded, r.folded_lines, lost))
    # Per type, the kernel-side counts vs what was written: exact unless
    # events were lost; overflows the kernel counted and no hook saw are
    # reported as unattributed, in the totals.
    unseen = (tot.get("unattributed") or {})
    for kind in ("rst_sent", "rst_received", "listen_overflow", "syn_queue_overflow"):
        n = r.by_type[kind] + r.unattributed[kind]
        if unseen.get(kind, 0) != r.unattributed[kind]:
            problems.append("totals.unattributed.%s %s but unattributed lines add up to %d"
                            % (kind, unseen.get(kind, 0), r.unattributed[kind]))
        if not in_range(tot[kind], n, n + lost):
            problems.append("final totals.%s %d but %d events written, %d unattributed, lost %d: "
                            "%d events neither written nor reported"
                            % (kind, tot[kind], r.by_type[kind], r.unattributed[kind], lost,
                               tot[kind] - n - lost))
    if r.unattributed:
        figs.append("unattributed %s" % dict(r.unattributed))
    if tot.get("rate_limited", 0):
        problems.append("rate_limited %d without --rate-limit" % tot["rate_limited"])
    # The totals line on stderr comes after the final summary: if the
    # counters moved in between, the programs were still counting events
    # that no drain would see.
    late = stderr_totals(run)
    moved = ["%s %d -> %d" % (k, tot[k], late[k]) for k in ("rst_sent", "rst_received",
                                                            "listen_overflow", "lost")
             if k in late and late[k] != tot.get(k)]
    if moved:
        figs.append("counters moved after the final summary (stderr totals): "
                    + ", ".join(moved))
    rep.add("exact_accounting", problems, "; ".join(figs))


def stderr_totals(run):
    """{name: value} from the 'rsttrace: totals: a=1 b=2' line on stderr."""
    for _, line in run["stderr"]:
        if line.startswith(TOTALS):
            vals = {}
            for word in line[len(TOTALS):].lstrip(":").split():
                key, _, value = word.partition("=")
                if value.isdigit():
                    vals[key] = int(value)
            return vals
    return {}


def check_lost(rep, run):
    r = run["reader"]
    final = r.final_summary()
    if final is None:
        rep.add("no_lost_events", ["no final summary"], "")
        return
    lost = final["totals"].get("lost", 0)
    reported = sum(o.get("count", 0) for o in r.lost_lines)
    last_total = r.lost_lines[-1].get("total") if r.lost_lines else 0
    problems = []
    if lost and (reported != lost or last_total != lost):
        problems.append("totals.lost %d but lost lines add up to %d (last total %s)"
                        % (lost, reported, last_total))
    if not lost and r.lost_lines:
        problems.append("%d lost lines (%d events) but totals.lost 0"
                        % (len(r.lost_lines), reported))
    figs = "lost %d" % lost
    if lost:
        figs += " (all reported in %d lost lines)" % len(r.lost_lines)
    rep.add("no_lost_events", problems, figs)


# --------------------------------------------------------------------------

def find_binary(path):
    if path:
        return os.path.abspath(path)
    binary = os.path.join(REPO, "rsttrace")
    if not os.path.exists(binary):
        log("building rsttrace")
        subprocess.run(["make", "-C", REPO, "rsttrace"], check=True, timeout=600,
                       stdout=sys.stderr)
    return binary


def storm(args, binary, workdir):
    run = {"seconds": float(args.seconds), "rss": [], "died_early": None, "workers": []}
    topo = run["topo"] = Topology()
    inodes = list(topo.names)
    log("namespaces %s" % ", ".join("%s=%s(%d)" % (topo.names[ns.inode], ns.name, ns.inode)
                                    for ns in topo.namespaces))
    tracer = Tracer(binary, workdir)
    reader = run["reader"] = StdoutReader(tracer.out_path, inodes)
    reader.start()
    try:
        tracer.wait_attached(ATTACH_TIMEOUT)
        run["attached_at"] = tracer.attached_at
        run["nstat_before"] = topo.counters()
        run["traffic_start"] = start = time.monotonic()
        run["workers"] = [Worker(topo.client, cfg)
                          for cfg in worker_configs(topo, args.seconds)]
        log("tracer pid %d attached, %d workers, %d s" % (tracer.pid, len(run["workers"]),
                                                          args.seconds))
        end = start + args.seconds
        tick = 0
        while tick <= args.seconds + 1:         # one sample a second, bounded
            tick += 1
            now = time.monotonic()
            mem = tracer.memory()
            if mem is not None:
                run["rss"].append((now - start, mem))
            if not tracer.alive():
                run["died_early"] = now - start
                break
            if args.verbose and tick % 10 == 0:
                log("t=%ds rss %s, %d lines" % (now - start, mib(mem["VmRSS"]) if mem else "?",
                                                reader.lines))
            if now >= end:
                break
            time.sleep(max(0.0, min(start + tick, end) - time.monotonic()))
        run["traffic_seconds"] = time.monotonic() - start
        for w in run["workers"]:
            w.finish(end + 15 - time.monotonic())
        run["cpu"] = tracer.cpu_seconds()
        run["nstat_after1"] = settle(topo)
    finally:
        run["rc"] = tracer.stop()
        if "nstat_before" in run:
            run["nstat_after2"] = topo.counters()
        reader.finish()
        run["stderr"] = list(tracer.stderr_lines)
    return run


def figures_line(run):
    r = run["reader"]
    final = r.final_summary() or {}
    tot = final.get("totals", {})
    mine_sent = sum(r.in_netns("rst_sent", i) for i in run["topo"].names)
    mine = r.event_lines() - r.foreign
    secs = run.get("traffic_seconds") or run["seconds"]
    rss = [s[1]["VmRSS"] for s in run["rss"]] or [0]
    entries = [o["socket_table"]["entries"] for _, o in r.summaries if not o.get("final")]
    table = "max %d, last %d, final %s" % (max(entries), entries[-1], (
        final.get("socket_table") or {}).get("entries", "?")) if entries else "no summaries"
    return ("soak: %.1f s, events %d (ours %d, foreign %d), our RSTs sent %d (%.1f/s), "
            "lost %s, RSS min %s max %s, socket table entries %s, tracer CPU %s s"
            % (secs, r.event_lines(), mine, r.foreign, mine_sent, mine_sent / max(secs, 1e-9),
               tot.get("lost", "?"), mib(min(rss)), mib(max(rss)), table,
               "%.1f" % run["cpu"] if run.get("cpu") is not None else "?"))


def print_details(run):
    print("# workers:")
    for w in run["workers"]:
        print("#   %-15s %s%s" % (w.role, json.dumps(w.stats(), sort_keys=True),
                                  " PROBLEM: " + w.problem if w.problem else ""))
    final = run["reader"].final_summary()
    if final:
        keep = {k: final[k] for k in ("totals", "socket_table", "rst_sent_by_reason",
                                      "rst_received_by_state", "by_diagnosis") if k in final}
        print("# final summary: " + json.dumps(keep, sort_keys=True))
    r = run["reader"]
    print("# our events by (type, reason, cause, path, diagnosis):")
    for sig, n in sorted(r.mine.items(), key=lambda kv: -kv[1]):
        print("#   %6d %s" % (n, "/".join(str(x) for x in sig)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=int, default=600, help="storm length (default 600)")
    ap.add_argument("--bin", help="rsttrace binary (default: ./rsttrace, built if missing)")
    ap.add_argument("--keep", action="store_true", help="keep the tracer's stdout file")
    ap.add_argument("-v", "--verbose", action="store_true", help="details: workers, events")
    args = ap.parse_args()
    # Summaries come every 5 s: below 12 s the first half may have none.
    if args.seconds < 12 or args.seconds > 7 * 24 * 3600:
        ap.error("--seconds must be between 12 and 604800")
    if os.geteuid() != 0:
        print("soak: needs root")
        print("0 passed, 1 failed")
        return 1

    def on_term(signum, frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)
    # Hard bound on the whole run: setup + storm + teardown.
    signal.signal(signal.SIGALRM, lambda s, f: (_ for _ in ()).throw(
        RuntimeError("soak run exceeded its time bound")))
    signal.alarm(args.seconds + 180)

    workdir = tempfile.mkdtemp(prefix="rsttrace-soak-")
    rep = Report()
    run = None
    try:
        binary = find_binary(args.bin)
        try:
            run = storm(args, binary, workdir)
        except (RuntimeError, OSError, subprocess.SubprocessError) as e:
            print("soak: setup or run failed: %s" % e)
            rep.add("soak_run", [str(e)], "")
        if run is not None:
            print(figures_line(run))
            check_traffic(rep, run)
            check_clean_exit(rep, run)
            check_rss(rep, run)
            check_table(rep, run)
            check_accounting(rep, run)
            check_lost(rep, run)
            if args.verbose or not all(ok for _, ok, _ in rep.results):
                print_details(run)
    finally:
        signal.alarm(0)
        if run is not None:
            run["topo"].delete()
        nslib.cleanup()
        if args.keep:
            log("tracer output kept in %s" % workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    ok = rep.print()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
