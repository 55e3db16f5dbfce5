"""Run rsttrace as a subprocess and check its NDJSON output against
docs/schema.md (version 1)."""

import calendar
import ipaddress
import json
import os
import re
import select
import signal
import subprocess
import tempfile
import time

import nslib

ATTACHED = "rsttrace: attached"
TOTALS = "rsttrace: totals"

TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$")
SK_RE = re.compile(r"^0x[0-9a-f]+$")
SCHEMA = 2
COMMON_KEYS = ("schema", "type", "time", "ts_ns", "count", "folded", "netns", "family", "local",
               "remote", "addr_source", "state", "prev_state", "reason",
               "reason_code", "reason_source", "cause", "owner", "listener", "context", "sk",
               "diagnosis")
EVENT_TYPES = ("rst_sent", "rst_received", "listen_overflow", "syn_queue_overflow",
               "firewall_reset", "connect_retry", "connect_failed", "request_stalled")
OWNER_SOURCES = ("listen", "connect", "accept", "listener", "scan")
OVERFLOW_PATHS = ("ack", "syn", "cookie")
DIAGNOSIS_CODES = ("listen_overflow", "syn_queue_overflow", "listener_restarting",
                   "no_listener", "unread_data_on_close", "abortive_close", "killed",
                   "fin_timeout", "data_after_close", "stale_keepalive", "timewait",
                   "keepalive_timeout", "invalid_segment", "memory_pressure",
                   "peer_reset", "firewall_reject", "unknown",
                   # client side (-e client)
                   "remote_syn_drops_suspected", "remote_accept_queue_overflow_suspected",
                   "remote_closed_with_unread_data", "connection_refused", "connect_abandoned",
                   "remote_unreachable")


class TracerError(Exception):
    pass


def boottime_ns():
    return time.clock_gettime_ns(time.CLOCK_BOOTTIME)


class Run:
    """What one tracer run produced."""

    def __init__(self, rc, stdout, stderr, window, stdout_closed=False):
        self.rc = rc
        self.stdout_closed = stdout_closed  # the reader went away: the stream is partial
        self.stdout = stdout
        self.stderr = stderr
        self.events = []        # parsed event objects (rst_*, listen_overflow)
        self.lost = []          # "lost" records
        self.summaries = []     # "summary" records
        self.coverage = []      # "coverage" records (the first line)
        self.missed = []        # "missed" records: runs the kernel skipped
        self.unattributed = []  # "unattributed" records: counted by the kernel, seen by no hook
        self.syn_detector = []  # "syn_detector" records: armed on pressure, or disarmed
        self.bad_lines = []     # stdout lines that are not JSON objects
        for line in stdout.splitlines():
            try:
                obj = json.loads(line)
            except ValueError:
                self.bad_lines.append(line)
                continue
            if not isinstance(obj, dict):
                self.bad_lines.append(line)
            elif obj.get("type") == "lost":
                self.lost.append(obj)
            elif obj.get("type") == "summary":
                self.summaries.append(obj)
            elif obj.get("type") == "coverage":
                self.coverage.append(obj)
            elif obj.get("type") == "unattributed":
                self.unattributed.append(obj)
            elif obj.get("type") == "missed":
                self.missed.append(obj)
            elif obj.get("type") == "syn_detector":
                self.syn_detector.append(obj)
            else:
                self.events.append(obj)
        self.window = window

    def unseen(self, type):
        """Events of this type the tracer said it could not show, as
        (count, cause): lost records (no type: all of them count), the
        kernel's skipped runs of the hooks that produce the type (recursion
        protection: a hook nested on one CPU is not run), and the type's
        unattributed records (counted by the kernel, seen by no hook). None
        carries a netns, so this bounds a namespace's shortfall from above."""
        lost = sum(l.get("count", 0) for l in self.lost)
        missed = {}
        for m in self.missed:
            if type in (m.get("events") or []):
                missed[m.get("hook")] = missed.get(m.get("hook"), 0) + m.get("count", 0)
        unattributed = sum(u.get("count", 0) for u in self.unattributed
                           if u.get("event") == type)
        parts = (["%d lost" % lost] if lost else []) + \
            ["%d missed runs of %s" % (n, h) for h, n in sorted(missed.items()) if n] + \
            (["%d unattributed" % unattributed] if unattributed else [])
        return lost + sum(missed.values()) + unattributed, ", ".join(parts)

    def stderr_lines(self):
        return [l for l in self.stderr.splitlines() if l.strip()]

    def has_totals(self):
        return any(l.startswith(TOTALS) for l in self.stderr_lines())

    def problems(self, namespaces):
        """Everything wrong with the run as a whole: exit status, totals,
        unparsable lines, and departures from docs/schema.md of the events
        of these namespaces (other namespaces' traffic belongs to whoever
        else uses the machine; a test should not fail because of it)."""
        problems = []   # (message, offending event or None)
        if self.rc != 0:
            problems.append(("tracer exit status %s" % self.rc, None))
        if not self.has_totals():
            problems.append(("no '%s' line on stderr" % TOTALS, None))
        for line in self.bad_lines[:3]:
            problems.append(("non-JSON stdout line %r" % line[:200], None))
        first = self.stdout.split("\n", 1)[0]
        if len(self.coverage) != 1 or '"type":"coverage"' not in first:
            problems.append(("%d coverage records; the stream must start with exactly one"
                             % len(self.coverage), None))
        for ev in self.in_netns(namespaces) + self.lost:
            problems += [("schema: " + p, ev) for p in schema_problems(ev, self.window)]
        problems += [(p, None) for p in self.count_problems()]
        return problems

    def totals(self):
        """The fields of the 'rsttrace: totals:' line, as ints ({} if none)."""
        lines = [l for l in self.stderr_lines() if l.startswith(TOTALS)]
        if not lines:
            return {}
        return {k: int(v) for k, v in
                (kv.split("=", 1) for kv in lines[-1].split(":", 2)[2].split())}

    def count_problems(self):
        """Every event the kernel counted is in one record's count, a lost
        record or an unattributed record: they sum to the totals."""
        t = self.totals()
        if not t or self.stdout_closed:
            return []
        problems = []
        lost = sum(l.get("count", 0) for l in self.lost)
        written = 0
        for typ in EVENT_TYPES:
            n = sum(e.get("count", 0) for e in self.events if e.get("type") == typ)
            written += n
        if written != t.get("written"):
            problems.append("records' counts sum to %d, totals say written=%s"
                            % (written, t.get("written")))
        if lost != t.get("lost"):
            problems.append("lost records sum to %d, totals say lost=%s" % (lost, t.get("lost")))
        unattributed = sum(u.get("count", 0) for u in self.unattributed)
        # The stderr totals line has one figure; a summary's totals one per type.
        in_summary = t.get("unattributed", 0)
        if isinstance(in_summary, dict):
            in_summary = sum(in_summary.values())
        if unattributed != in_summary:
            problems.append("unattributed records sum to %d, totals say %d"
                            % (unattributed, in_summary))
        counted = sum(t.get(k, 0) for k in EVENT_TYPES)
        if written + lost + unattributed != counted:
            problems.append("written %d + lost %d + unattributed %d != %d counted in the kernel (%s)"
                            % (written, lost, unattributed, counted, t))
        return problems

    def in_netns(self, namespaces, type=None):
        inodes = {ns.inode for ns in namespaces}
        return [e for e in self.events if e.get("netns") in inodes
                and (type is None or e.get("type") == type)]


class Tracer:
    """rsttrace --json [args] with stdout and stderr in temporary files
    (or stdout on a pipe), stopped by signal and parsed."""

    def __init__(self, binary, args=(), stdout_pipe=False, fold=False, env=None):
        """fold=False adds --every-event, so that tests can match events one
        by one; tests of folding itself pass fold=True (the default mode)."""
        self.tmp = tempfile.TemporaryDirectory(prefix="rtt-tracer-")
        self.err_path = os.path.join(self.tmp.name, "stderr")
        self.out_path = os.path.join(self.tmp.name, "stdout")
        args = list(args)
        if not fold and "--fold-after" not in args:
            args = ["--every-event"] + args
        self.argv = [binary, "--json"] + args
        self.stdout_pipe = stdout_pipe
        self.window = (time.time(), boottime_ns())
        with open(self.err_path, "w") as err:
            out = subprocess.PIPE if stdout_pipe else open(self.out_path, "w")
            try:
                self.proc = nslib.track(subprocess.Popen(
                    self.argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                    env=dict(os.environ, **env) if env else None,
                    preexec_fn=nslib.die_with_parent))
            finally:
                if not stdout_pipe:
                    out.close()
        self.pid = self.proc.pid

    def stderr(self):
        with open(self.err_path, errors="replace") as f:
            return f.read()

    def wait_attached(self, timeout=20):
        """Block until stderr has the ready line; the BPF programs are then
        attached, so events from now on must be seen."""
        timeout *= nslib.TIME_SCALE
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(l.startswith(ATTACHED) for l in self.stderr().splitlines()):
                return
            if self.proc.poll() is not None:
                raise TracerError("tracer exited with %s before attaching: %s"
                                  % (self.proc.returncode, self.stderr().strip()[:500]))
            time.sleep(0.02)
        self.kill()
        raise TracerError("no '%s' line within %ss: %s"
                          % (ATTACHED, timeout, self.stderr().strip()[:500]))

    def wait_events(self, inodes, count, timeout=5):
        """Wait until stdout holds `count` events of these namespaces;
        -> how many it holds."""
        deadline = time.monotonic() + timeout * nslib.TIME_SCALE
        while True:
            with open(self.out_path, errors="replace") as f:
                lines = f.read().split("\n")[:-1]   # complete lines only
            seen = 0
            for line in lines:
                try:
                    seen += json.loads(line).get("netns") in inodes
                except (ValueError, AttributeError):
                    pass
            if seen >= count or time.monotonic() > deadline:
                return seen
            time.sleep(0.02)

    def read_line(self, timeout):
        """One stdout line (stdout_pipe mode), or None on timeout."""
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        return self.proc.stdout.readline() if ready else None

    def wait_exit(self, timeout):
        try:
            self.proc.wait(timeout=timeout)
            return True
        except subprocess.TimeoutExpired:
            return False

    def kill(self):
        nslib.stop_process(self.proc, signal.SIGKILL)

    def stop(self, sig=signal.SIGINT, settle=0.5, timeout=10):
        """Let in-flight events arrive, signal the tracer, collect output."""
        if self.proc.poll() is None:
            time.sleep(settle)
            os.kill(self.pid, sig)
            timeout *= nslib.TIME_SCALE
            if not self.wait_exit(timeout):
                self.kill()
                raise TracerError("tracer did not exit within %ss of signal %d"
                                  % (timeout, sig))
        return self.result()

    def result(self):
        nslib.stop_process(self.proc)
        stdout = ""
        if os.path.exists(self.out_path):
            with open(self.out_path, errors="replace") as f:
                stdout = f.read()
        window = (self.window, (time.time(), boottime_ns()))
        run = Run(self.proc.returncode, stdout, self.stderr(), window,
                  stdout_closed=self.stdout_pipe)
        self.tmp.cleanup()
        return run


# --------------------------------------------------------------------------
# schema checks (docs/schema.md)

def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def addr_problems(obj, family, what):
    if not isinstance(obj, dict) or set(obj) < {"addr", "port"}:
        return ["%s is not {addr, port}" % what]
    problems = []
    if not is_int(obj["port"]) or not 0 <= obj["port"] <= 65535:
        problems.append("%s.port %r" % (what, obj["port"]))
    try:
        ip = ipaddress.ip_address(obj["addr"])
    except (ValueError, TypeError):
        return problems + ["%s.addr %r is not an address" % (what, obj["addr"])]
    want = 4 if family == "ipv4" else 6
    if ip.version != want:
        problems.append("%s.addr %s is not %s" % (what, obj["addr"], family))
    elif want == 6 and ip.ipv4_mapped:
        problems.append("%s.addr %s is v4-mapped: must be ipv4" % (what, obj["addr"]))
    return problems


def owner_problems(owner, what):
    if owner is None:
        return []
    if not isinstance(owner, dict):
        return ["%s is not an object" % what]
    problems = []
    # Every key on every line (issue 14: shared_by was sometimes absent).
    for key in ("pid", "tid", "comm", "cgroup_id", "source", "shared_by", "alive", "closed"):
        if key not in owner:
            problems.append("%s.%s missing" % (what, key))
    if problems:
        return problems
    if not (is_int(owner["pid"]) and is_int(owner["tid"]) and owner["pid"] > 0):
        problems.append("%s pid/tid not positive ints" % what)
    if not isinstance(owner["comm"], str):
        problems.append("%s.comm not a string" % what)
    if owner["cgroup_id"] is not None and not is_int(owner["cgroup_id"]):
        problems.append("%s.cgroup_id %r" % (what, owner["cgroup_id"]))
    if owner["source"] not in OWNER_SOURCES:
        problems.append("%s.source %r" % (what, owner["source"]))
    if not isinstance(owner["alive"], bool):
        problems.append("%s.alive %r" % (what, owner["alive"]))
    return problems


def listener_problems(lst):
    if lst is None:
        return []
    if not isinstance(lst, dict):
        return ["listener is not an object"]
    keys = ("addr", "port", "accept_queue", "accept_queue_max", "syn_queue",
            "drops", "matched_by", "owner")
    problems = ["listener.%s missing" % k for k in keys if k not in lst]
    if problems:
        return problems
    for k in ("port", "accept_queue", "accept_queue_max", "syn_queue", "drops"):
        if not is_int(lst[k]):
            problems.append("listener.%s %r" % (k, lst[k]))
    try:
        ipaddress.ip_address(lst["addr"])
    except (ValueError, TypeError):
        problems.append("listener.addr %r" % lst["addr"])
    if lst["matched_by"] not in ("socket", "port"):
        problems.append("listener.matched_by %r" % lst["matched_by"])
    return problems + owner_problems(lst["owner"], "listener.owner")


def time_problems(ev, window):
    """time and ts_ns must fall inside the run (catches clock conversions)."""
    (wall0, boot0), (wall1, boot1) = window
    problems = []
    t = ev.get("time")
    if not isinstance(t, str) or not TIME_RE.match(t):
        return ["time %r is not RFC 3339 UTC with nanoseconds" % t]
    secs = calendar.timegm(time.strptime(t[:19], "%Y-%m-%dT%H:%M:%S"))
    if not wall0 - 2 <= secs <= wall1 + 2:
        problems.append("time %s outside the run" % t)
    if "ts_ns" in ev:
        if not is_int(ev["ts_ns"]) or not boot0 - 10**9 <= ev["ts_ns"] <= boot1 + 10**9:
            problems.append("ts_ns %r is not CLOCK_BOOTTIME during the run" % ev["ts_ns"])
    return problems


def schema_problems(ev, window):
    if ev.get("schema") != SCHEMA:
        return ["schema %r != %d" % (ev.get("schema"), SCHEMA)]
    if ev.get("type") == "lost":
        missing = [k for k in ("time", "count", "total") if k not in ev]
        return ["lost record lacks %s" % missing] if missing else []
    if ev.get("type") not in EVENT_TYPES:
        return ["unknown type %r" % ev.get("type")]
    missing = [k for k in COMMON_KEYS if k not in ev]
    if ev["type"] == "listen_overflow" and "path" not in ev:
        missing.append("path")
    if missing:
        return ["missing keys %s" % missing]
    problems = time_problems(ev, window)
    if ev["type"] == "listen_overflow" and ev["path"] not in OVERFLOW_PATHS:
        problems.append("listen_overflow path %r" % ev["path"])
    if ev["type"] == "syn_queue_overflow" and not isinstance(ev.get("syncookies"), bool):
        problems.append("syn_queue_overflow syncookies %r" % ev.get("syncookies"))
    diag = ev["diagnosis"]
    if not isinstance(diag, dict) or diag.get("code") not in DIAGNOSIS_CODES:
        problems.append("diagnosis %r" % diag)
    if ev["netns"] is not None and not is_int(ev["netns"]):
        problems.append("netns %r" % ev["netns"])
    if ev["family"] not in ("ipv4", "ipv6"):
        problems.append("family %r" % ev["family"])
    else:
        problems += addr_problems(ev["local"], ev["family"], "local")
        problems += addr_problems(ev["remote"], ev["family"], "remote")
    if ev["addr_source"] not in ("socket", "packet"):
        problems.append("addr_source %r" % ev["addr_source"])
    for k in ("state", "prev_state", "reason", "cause"):
        if ev[k] is not None and not isinstance(ev[k], str):
            problems.append("%s %r" % (k, ev[k]))
    if ev["reason_code"] is not None and not is_int(ev["reason_code"]):
        problems.append("reason_code %r" % ev["reason_code"])
    if ev.get("reason_source") not in ("kernel", "derived", None):
        problems.append("reason_source %r" % ev.get("reason_source"))
    if (ev["reason_source"] == "kernel") != (ev["reason_code"] is not None):
        problems.append("reason_code %r with reason_source %r"
                        % (ev["reason_code"], ev["reason_source"]))
    if (ev["reason"] is None) != (ev["reason_source"] is None):
        problems.append("reason and reason_source disagree on null")
    if ev["type"] == "rst_received" and ev["reason"] is not None:
        problems.append("rst_received with a reason")
    if ev["sk"] is not None and not (isinstance(ev["sk"], str) and SK_RE.match(ev["sk"])):
        problems.append("sk %r" % ev["sk"])
    ctx = ev["context"]
    if ctx is not None and not (isinstance(ctx, dict) and is_int(ctx.get("pid"))
                                and is_int(ctx.get("tid")) and isinstance(ctx.get("comm"), str)):
        problems.append("context %r" % ctx)
    return problems + owner_problems(ev["owner"], "owner") + listener_problems(ev["listener"])
