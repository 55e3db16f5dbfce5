"""Command line, start-up, shutdown and output plumbing."""

import difflib
import json
import re
import os
import signal
import subprocess
import shutil
import tempfile
import time

import nslib
from harness import CLOSED_PORT, TestFailure, connect, of_type, test
from nslib import Netns
from tracer import TOTALS, Tracer


def run_cli(ctx, args, timeout=10):
    """Run the binary to completion; a tracer that starts tracing instead of
    rejecting its arguments is killed after `timeout`."""
    try:
        return subprocess.run([ctx.binary] + args, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, timeout=timeout * nslib.TIME_SCALE)
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


@test("cli_error_json", tracer_only=True)
def t_cli_error_json(ctx, check):
    """With --json the error is one JSON object on stderr."""
    res = run_cli(ctx, ["--json", "-P", "70000"])
    lines = [l for l in res.stderr.splitlines() if l.strip()]
    check.that(res.returncode == 2, "exit status %d, expected 2" % res.returncode)
    objs = []
    for line in lines:
        try:
            objs.append(json.loads(line))
        except ValueError:
            pass
    errors = [o for o in objs if isinstance(o, dict) and o.get("type") == "error"]
    check.that(len(errors) == 1, "%d JSON error objects on stderr: %r" % (len(errors), res.stderr[:300]))
    check.that(all("70000" in json.dumps(o) for o in errors), "JSON error does not mention 70000")


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


@test("readme_usage", tracer_only=True)
def t_readme_usage(ctx, check):
    """The README's usage block is what --help prints, so the two cannot
    drift apart."""
    readme = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))), "README.md")
    with open(readme) as f:
        text = f.read()
    m = re.search(r"<!-- usage:[^>]*-->\n```\n(.*?)\n```\n<!-- /usage -->", text, re.S)
    check.that(m is not None, "no usage block between <!-- usage --> markers in README.md")
    res = run_cli(ctx, ["--help"])
    if m:
        want = res.stdout.rstrip("\n").splitlines()
        got = m.group(1).splitlines()
        diff = [l for l in difflib.unified_diff(got, want, "README.md", "--help", lineterm="")]
        check.that(not diff, "README usage differs from --help:\n" + "\n".join(diff[:30]))


# --------------------------------------------------------------------------
# lifecycle

def bpf_programs():
    """Ids of all loaded BPF programs."""
    res = nslib.run(["bpftool", "-j", "prog", "show"])
    return {p["id"] for p in json.loads(res.stdout or "[]")}


def tracer_programs(pid):
    """Ids of the programs a process holds, from the prog_id lines of its
    fds (program and link fds both have one).  Unlike a before/after diff
    of `bpftool prog show`, this ignores programs others load meanwhile."""
    ids = set()
    fdinfo = "/proc/%d/fdinfo" % pid
    for fd in os.listdir(fdinfo):
        try:
            with open(os.path.join(fdinfo, fd)) as f:
                ids |= {int(l.split()[1]) for l in f if l.startswith("prog_id:")}
        except OSError:
            pass  # fd closed meanwhile
    return ids


def check_programs_gone(check, progs):
    """Programs are freed when the last fd closes; allow a moment."""
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        left = progs & bpf_programs()
        if not left:
            return
        time.sleep(0.1)
    check.that(False, "BPF programs %s still loaded after exit" % sorted(left))


@test("lifecycle_sigterm", tracer_only=True)
def t_lifecycle_sigterm(ctx, check):
    ns = Netns()
    client = ns.peer()
    tracer = Tracer(ctx.binary)
    tracer.wait_attached()
    progs = tracer_programs(tracer.pid)
    check.that(progs, "no BPF program loaded by the tracer")
    connect(client, "C", "ipv4", "127.0.0.1", CLOSED_PORT)
    run = tracer.stop(signal.SIGTERM)
    check.run_ok(run, [ns])   # exit status 0, totals, valid JSON
    check.that(len(run.in_netns([ns], "rst_sent")) == 1, "RST before SIGTERM not reported")
    check_programs_gone(check, progs)


@test("lifecycle_stdout_closed", tracer_only=True)
def t_lifecycle_stdout_closed(ctx, check):
    """`rsttrace --json | head -1`: the reader goes away after one line; the
    next write fails and the tracer must exit 0 on its own, without a
    complaint (Popen restores the default SIGPIPE disposition, as a shell
    would).  --netns keeps other namespaces' events out of the pipe."""
    ns = Netns()
    client = ns.peer()
    tracer = Tracer(ctx.binary, ["--netns", str(ns.inode)], stdout_pipe=True)
    tracer.wait_attached()
    progs = tracer_programs(tracer.pid)
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
    # The totals line names the connect_failed events: not a complaint.
    noisy = [l for l in tracer.stderr().splitlines() if not l.startswith(TOTALS)
             and any(w in l.lower() for w in ("error", "broken pipe", "epipe", "fail"))]
    check.that(not noisy, "complaints on stderr: %r" % noisy[:3])
    check_programs_gone(check, progs)


@test("lifecycle_duration", tracer_only=True)
def t_lifecycle_duration(ctx, check):
    tracer = Tracer(ctx.binary, ["-d", "0.5"])
    tracer.wait_attached()
    if not tracer.wait_exit(5):
        tracer.kill()
        raise TestFailure("still running 5s after attaching with -d 0.5")
    check.run_ok(tracer.result(), [])   # exit status 0, totals


@test("output_flushed_per_batch", tracer_only=True)
def t_output_flushed(ctx, check):
    """Events must reach stdout (here a file) while the tracer runs, not at
    exit: the schema promises a flush after every ring-buffer batch.
    --netns keeps other namespaces' traffic out: a busy ring buffer would
    wake the reader and hide a reader that only wakes when it is busy."""
    ns = Netns()
    client = ns.peer()
    tracer = Tracer(ctx.binary, ["--netns", str(ns.inode)])
    tracer.wait_attached()
    connect(client, "C", "ipv4", "127.0.0.1", CLOSED_PORT)
    deadline = time.monotonic() + 1.0
    while os.path.getsize(tracer.out_path) == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    check.that(os.path.getsize(tracer.out_path) > 0,
               "nothing written to stdout within 1s of an RST (written only at exit?)")
    check.run_ok(tracer.stop(), [ns])


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
    check.run_ok(run, [ns])
    check.that(len(of_type(run.in_netns([ns]), "rst_sent", remote__port=int(lport))) == 1,
               "rst_sent of the last RST missing from the output")
    check.that(len(of_type(run.in_netns([ns]), "rst_received", local__port=int(lport))) == 1,
               "rst_received of the last RST missing from the output")


def ready_file_state(path, tracer, timeout):
    """Wait until `path` exists (or the tracer exits); -> exists."""
    deadline = time.monotonic() + timeout * nslib.TIME_SCALE
    while time.monotonic() < deadline and tracer.proc.poll() is None:
        if os.path.exists(path):
            return True
        time.sleep(0.02)
    return os.path.exists(path)


@test("ready_file", tracer_only=True)
def t_ready_file(ctx, check):
    """--ready-file: absent before "attached", there (holding the pid) once
    attached, gone after a clean exit; a missing directory is a usage error."""
    tmp = tempfile.mkdtemp(prefix="rtt-ready-")
    path = os.path.join(tmp, "ready")
    try:
        tracer = Tracer(ctx.binary, ["--ready-file", path])
        # Attaching takes tens of ms: poll both, the file must never come first.
        early = False
        deadline = time.monotonic() + 20 * nslib.TIME_SCALE
        while time.monotonic() < deadline and tracer.proc.poll() is None:
            attached = any(l.startswith("rsttrace: attached")
                           for l in tracer.stderr().splitlines())
            exists = os.path.exists(path)
            if exists and not attached:
                # The line is printed before the file is created: re-read it.
                attached = any(l.startswith("rsttrace: attached")
                               for l in tracer.stderr().splitlines())
                early = early or not attached
            if attached:
                break
            time.sleep(0.005)
        check.that(not early, "ready file created before the attached line")
        tracer.wait_attached()
        check.that(ready_file_state(path, tracer, 2), "no ready file 2s after attached")
        with open(path) as f:
            content = f.read().strip()
        check.that(content == str(tracer.pid), "ready file holds %r, expected the pid %d"
                   % (content, tracer.pid))
        run = tracer.stop(signal.SIGTERM)
        check.that(run.rc == 0, "exit status %s" % run.rc)
        check.that(not os.path.exists(path), "ready file still there after exit")
        res = run_cli(ctx, ["--ready-file", os.path.join(tmp, "nodir", "ready")])
        lines = [l for l in res.stderr.splitlines() if l.strip()]
        check.that(res.returncode == 2, "missing directory: exit status %d, expected 2"
                   % res.returncode)
        check.that(len(lines) == 1 and "nodir" in lines[0],
                   "missing directory: expected one error line naming it: %r" % res.stderr[:300])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


NODE_ENV = {"RSTTRACE_NODE_NAME": "node-a", "RSTTRACE_POD_NAME": "rsttrace-x1",
            "RSTTRACE_POD_NAMESPACE": "kube-system"}


@test("node_identity", tracer_only=True)
def t_node_identity(ctx, check):
    """The RSTTRACE_NODE_*/POD_* variables put a "node" object in every JSON
    record (coverage, events, summary) and every JSON message on stderr;
    without them, no record has the key."""
    ns = Netns()
    client = ns.peer()
    saved = {k: os.environ.get(k) for k in NODE_ENV}
    os.environ.update(NODE_ENV)
    try:
        tracer = Tracer(ctx.binary, ["--netns", str(ns.inode), "--summary"])
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    tracer.wait_attached()
    connect(client, "C", "ipv4", "127.0.0.1", CLOSED_PORT)
    tracer.wait_events([ns.inode], 2)
    run = tracer.stop()
    check.run_ok(run, [ns])
    want = {"name": "node-a", "pod": "rsttrace-x1", "namespace": "kube-system"}
    records = run.coverage + run.in_netns([ns]) + run.summaries
    check.that(len(run.in_netns([ns], "rst_sent")) == 1, "expected 1 rst_sent in the namespace")
    check.that(run.coverage and run.summaries, "no coverage or summary record")
    for r in records:
        check.that(r.get("node") == want, "%s record: node %r, expected %r"
                   % (r.get("type"), r.get("node"), want))
    for line in run.stderr_lines():
        if line.startswith("{"):
            obj = json.loads(line)
            check.that(obj.get("node") == want, "stderr %s: node %r" % (obj.get("type"),
                                                                        obj.get("node")))
    # Unset: the key is absent (deployment metadata, docs/schema.md).
    for k in NODE_ENV:
        check.that(k not in os.environ, "%s set in the test environment" % k)
    plain = Tracer(ctx.binary, ["--netns", str(ns.inode), "-d", "0.3"])
    plain.wait_attached()
    plain.wait_exit(5)
    run = plain.result()
    check.that(run.coverage and all("node" not in r for r in run.coverage + run.events),
               "a record has \"node\" without the variables")
