"""Environment and robustness: privileges, capabilities after attach, loss
reported in the stream when the reader stalls, and storms folded exactly."""

import os
import signal
import subprocess
import time

from harness import TestFailure, test
from nslib import Netns, counter_delta
from tracer import Tracer

CAP_BPF = 39
STORM_PORT = 4343


def storm(ns, count):
    """`count` connects to a closed port from inside ns: each is answered by
    one RST (NO_SOCKET) and refused (one rst_received)."""
    code = ("import socket\n"
            "for i in range(%d):\n"
            "    s = socket.socket()\n"
            "    try:\n"
            "        s.connect(('127.0.0.1', %d))\n"
            "    except OSError:\n"
            "        pass\n"
            "    s.close()\n" % (count, STORM_PORT))
    ns.exec(["python3", "-c", code], timeout=60)


def status_field(pid, name):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(name + ":"):
                return line.split()[1]
    return None


@test("env_not_root", tracer_only=True)
def t_not_root(ctx, check):
    """Without privileges: one line that says what is missing, status 1."""
    res = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                          "--inh-caps=-all", "--bounding-set=-all", ctx.binary],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, timeout=10)
    lines = [l for l in res.stderr.splitlines() if l.strip()]
    check.that(res.returncode == 1, "exit status %d, expected 1" % res.returncode)
    check.that(len(lines) == 1, "stderr has %d lines: %r" % (len(lines), lines[:3]))
    check.that(lines and "privilege" in lines[0] and "root" in lines[0],
               "stderr does not say what is missing: %r" % lines[:1])
    check.that(res.stdout == "", "something on stdout: %r" % res.stdout[:200])


@test("env_capabilities_dropped", tracer_only=True)
def t_caps_dropped(ctx, check):
    """Once attached only CAP_BPF remains, and no network socket is open."""
    tracer = Tracer(ctx.binary, ["--netns", "1"])
    tracer.wait_attached()
    eff = int(status_field(tracer.pid, "CapEff"), 16)
    bnd = int(status_field(tracer.pid, "CapBnd"), 16)
    check.that(eff == 1 << CAP_BPF, "CapEff %#x, expected only CAP_BPF" % eff)
    check.that(bnd == 1 << CAP_BPF, "CapBnd %#x, expected only CAP_BPF" % bnd)
    fds = os.listdir("/proc/%d/fd" % tracer.pid)
    sockets = [os.readlink("/proc/%d/fd/%s" % (tracer.pid, fd)) for fd in fds]
    sockets = [s for s in sockets if s.startswith("socket:")]
    check.that(not sockets, "network sockets open: %r" % sockets)
    run = tracer.stop()
    check.that(run.rc == 0, "exit status %s" % run.rc)


@test("loss_reported_in_stream", tracer_only=True)
def t_loss_reported(ctx, check):
    """A reader that stops (SIGSTOP) must not block the kernel: events are
    counted lost, reported in `lost` lines once it resumes, and every RST
    is either written or counted lost."""
    ns = Netns()
    tracer = Tracer(ctx.binary, ["--netns", str(ns.inode), "--ring-size", "16K"])
    tracer.wait_attached()
    before = ns.counters()
    os.kill(tracer.pid, signal.SIGSTOP)
    try:
        storm(ns, 400)
    finally:
        os.kill(tracer.pid, signal.SIGCONT)
    after = ns.counters()
    run = tracer.stop(settle=1.0)
    check.run_ok(run, [ns])
    rsts = after.get("TcpOutRsts", 0) - before.get("TcpOutRsts", 0)
    if rsts != 400:
        raise TestFailure("scenario: %d RSTs instead of 400" % rsts)
    lost_total = sum(l["count"] for l in run.lost)
    check.that(run.lost, "no lost line although the reader was stopped for 400 RSTs")
    check.that(not run.lost or run.lost[-1]["total"] == lost_total,
               "lost counts %d do not add up to the last total %s"
               % (lost_total, run.lost[-1]["total"] if run.lost else None))
    events = len(run.in_netns([ns], "rst_sent")) + len(run.in_netns([ns], "rst_received"))
    # Every connect gave one rst_sent and one rst_received.
    check.that(events + lost_total == 2 * rsts,
               "written %d + lost %d != %d events that happened"
               % (events, lost_total, 2 * rsts))
    check.finish()


@test("fold_storm_exact", tracer_only=True)
def t_fold_storm(ctx, check):
    """The default mode folds a storm in the kernel: the first events of it
    are streamed, the rest come as records with a count, once a second; the
    counts add up to the kernel's TcpOutRsts exactly, and the stream stays
    a handful of lines however long the storm."""
    ns = Netns()
    tracer = Tracer(ctx.binary, ["--netns", str(ns.inode), "--events", "sent", "--summary"],
                    fold=True)
    tracer.wait_attached()
    before = ns.counters()
    storm(ns, 2000)
    time.sleep(1.5)  # one epoch closes after the storm
    after = ns.counters()
    run = tracer.stop()
    check.run_ok(run, [ns])
    sent = run.in_netns([ns], "rst_sent")
    rsts = counter_delta(before, after, "TcpOutRsts")
    check.that(rsts == 2000, "scenario: TcpOutRsts delta %d, expected 2000" % rsts)
    total = sum(e["count"] for e in sent)
    check.that(total == rsts, "rst_sent counts sum to %d, TcpOutRsts delta %d" % (total, rsts))
    single = [e for e in sent if e["count"] == 1]
    folded = [e for e in sent if e["count"] > 1]
    check.that(len(single) == 3, "%d events streamed one by one, expected the first 3"
               % len(single), *single[:5])
    check.that(1 <= len(folded) <= 15, "%d folded records for one storm of a few seconds"
               % len(folded), *folded[:3])
    for ev in folded:
        check.fields(ev, {"reason": "NO_SOCKET", "diagnosis.code": "no_listener",
                          "local.port": STORM_PORT}, "folded rst_sent")
        f = ev.get("folded") or {}
        check.that(isinstance(f.get("span_ms"), int) and f["span_ms"] <= 1500
                   and f.get("first_time", "") <= f.get("last_time", ""),
                   "folded span %r" % f, ev)
    check.that(run.totals().get("rst_sent") == 2000, "totals %r" % run.totals())
    # the summary counts the storm's events, not its records
    finals = [x for x in run.summaries if x.get("final") is True]
    peers = finals[-1].get("top_peers", []) if finals else []
    check.that(sum(p.get("resets", 0) for p in peers) == rsts,
               "summary top_peers %r, TcpOutRsts delta %d" % (peers, rsts))
    codes = finals[-1].get("by_diagnosis", {}) if finals else {}
    check.that(codes.get("no_listener") == rsts, "summary diagnoses %r, TcpOutRsts delta %d"
               % (codes, rsts))
    check.finish()
