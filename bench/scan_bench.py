#!/usr/bin/env python3
"""Start-up scan cost of rsttrace.

    python3 bench/scan_bench.py [--connections N] [--processes P] [--runs R]
                                [--rsttrace PATH]

Builds, in a network namespace of its own (rstscan<PID>), N TCP connections
over loopback (2N sockets) plus their listener, and hands the 2N connection
sockets out to P processes that hold them and sleep (each one keeps a
contiguous share and closes every other descriptor, so every socket is held
by exactly one process; the listener stays with the builder).  Then it runs
`rsttrace --json -d 1` R times, once before the sockets exist too
(baseline), and reads from its stderr

    rsttrace: scan: N TCP sockets (M listening) held by P processes in K netns, X.YYY ms

and the time from starting the tracer to its `rsttrace: attached` line.  The
scan covers every process and namespace of the host, so its counts include
whatever else runs on the machine (the baseline row shows how much).

Output: a table, then as the last line one JSON object
    {"scan_ms_median": ..., "attach_ms_median": ..., "sockets": ...,
     "processes": ..., ...}
(medians over the R loaded runs; sockets/processes as the tracer counted
them).  Progress goes to stderr.

Needs root.  Everything it starts is stopped by pid (the sleepers also die
with their builder: PR_SET_PDEATHSIG) and the namespace is deleted on exit;
no setting outside the namespace is changed.  Defaults (10,000 connections,
2,000 processes, 5 runs) take well under a minute on a 2-core machine.
"""

import argparse
import ctypes
import json
import os
import re
import resource
import select
import signal
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SCAN_RE = re.compile(r"^rsttrace: scan: (\d+) TCP sockets \((\d+) listening\) held by (\d+) "
                     r"processes in (\d+) netns, (\d+)\.(\d{3}) ms$")
ATTACHED = "rsttrace: attached"
PR_SET_PDEATHSIG = 1
RUN_TIMEOUT = 30        # seconds for one tracer run (-d 1)
BUILD_TIMEOUT = 90      # seconds for building the sockets and processes


def log(msg):
    print("scan_bench: " + msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# the holder: runs inside the namespace (ip netns exec NS python3 THIS --hold)

def connect_pairs(listener, count):
    """count connections to the listener, both ends: -> [sockets], in the
    order client, server, client, server ..."""
    addr = listener.getsockname()
    socks = []
    for _ in range(count):
        client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        client.connect(addr)             # loopback: complete inside connect()
        server, _ = listener.accept()
        socks += [client, server]
    return socks


def spawn_sleeper(fds, ready_w, libc):
    """fork a process that keeps only `fds` (a contiguous range) and execs
    `sleep`; -> pid"""
    pid = os.fork()
    if pid != 0:
        return pid
    try:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(devnull, 0)
        os.dup2(devnull, 1)
        lo, hi = fds[0], fds[-1] + 1
        # every other descriptor goes (close_range() calls) but ready_w,
        # which is below the sockets and closes itself at exec (CLOEXEC)
        os.closerange(3, ready_w)
        os.closerange(ready_w + 1, lo)
        os.closerange(hi, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
        for fd in fds:
            os.set_inheritable(fd, True)
        os.write(ready_w, b"x")
        os.execv("/bin/sleep", ["sleep", "600"])
    finally:
        os._exit(127)


def hold(connections, processes):
    """Build the connections a share at a time: each share is handed to a
    new sleeper and closed here, so this process never holds more than one
    share (RLIMIT_NOFILE's hard limit cannot be raised in a container).
    Report, wait for stdin to close, stop the sleepers."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)     # die with the bench
    ready_r, ready_w = os.pipe()         # below the sockets, not inherited by exec
    t0 = time.monotonic()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1024)
    share, extra = divmod(connections, processes)
    pids, sockets = [], 0
    try:
        for i in range(processes):
            count = share + (1 if i < extra else 0)
            if count == 0:
                break
            socks = connect_pairs(listener, count)
            fds = [s.fileno() for s in socks]
            if fds != list(range(fds[0], fds[0] + len(fds))) or fds[0] <= ready_w:
                raise SystemExit("socket descriptors %s are not contiguous" % fds)
            pids.append(spawn_sleeper(fds, ready_w, libc))
            sockets += len(socks)
            for s in socks:              # the sleeper holds them now
                s.close()
        os.close(ready_w)
        got = 0
        deadline = time.monotonic() + BUILD_TIMEOUT
        while got < len(pids) and time.monotonic() < deadline:
            ready, _, _ = select.select([ready_r], [], [], 1)
            if ready:
                chunk = os.read(ready_r, 65536)
                if not chunk:
                    break
                got += len(chunk)
        if got < len(pids):
            raise SystemExit("only %d of %d sleepers ready" % (got, len(pids)))
        print("ready sockets=%d listeners=1 processes=%d build_s=%.3f"
              % (sockets, len(pids), time.monotonic() - t0), flush=True)
        sys.stdin.read()                 # until the bench closes our stdin
    finally:
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for pid in pids:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        listener.close()


# --------------------------------------------------------------------------
# the bench

def run(cmd, check=True):
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         timeout=30)
    if check and res.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(cmd), res.stderr.strip()))
    return res


def trace_once(binary):
    """One `rsttrace --json -d 1`: -> dict with the scan figures and the
    time to attach."""
    t0 = time.monotonic()
    proc = subprocess.Popen([binary, "--json", "-d", "1"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    result = {"attach_ms": None, "scan": None, "rc": None}
    deadline = t0 + RUN_TIMEOUT
    lines = []
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stderr], [], [], 1)
            if not ready:
                continue
            line = proc.stderr.readline()
            if not line:
                break
            now = time.monotonic()
            line = line.rstrip("\n")
            lines.append(line)
            m = SCAN_RE.match(line)
            if m:
                result["scan"] = [int(x) for x in m.groups()[:4]] + \
                    [int(m.group(5)) + int(m.group(6)) / 1000.0]
            if line.startswith(ATTACHED) and result["attach_ms"] is None:
                result["attach_ms"] = (now - t0) * 1000.0
        proc.wait(timeout=max(1, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    result["rc"] = proc.returncode
    if result["scan"] is None or result["attach_ms"] is None or result["rc"] != 0:
        raise RuntimeError("tracer run: exit %s, stderr %r" % (result["rc"], lines[-5:]))
    return result


def row(label, r):
    sockets, listening, procs, netns, scan_ms = r["scan"]
    return "%-10s %9d %9d %9d %6d %10.3f %10.1f" % (label, sockets, listening, procs, netns,
                                                    scan_ms, r["attach_ms"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--connections", type=int, default=10000)
    parser.add_argument("--processes", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rsttrace", default=os.path.join(REPO, "rsttrace"))
    parser.add_argument("--hold", nargs=2, type=int, help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.hold:
        hold(*opts.hold)
        return 0
    if os.geteuid() != 0:
        log("needs root")
        return 1
    if not os.access(opts.rsttrace, os.X_OK):
        log("no executable %s (make rsttrace)" % opts.rsttrace)
        return 1
    if opts.processes < 1 or opts.connections < 1 or opts.runs < 1:
        log("counts must be positive")
        return 2

    ns = "rstscan%d" % os.getpid()
    holder = None
    started = time.monotonic()
    try:
        run(["ip", "netns", "add", ns])
        run(["ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"])
        log("baseline run (before the sockets exist)")
        baseline = trace_once(opts.rsttrace)
        log("building %d connections held by %d processes in netns %s"
            % (opts.connections, opts.processes, ns))
        holder = subprocess.Popen(
            ["ip", "netns", "exec", ns, sys.executable, os.path.abspath(__file__), "--hold",
             str(opts.connections), str(opts.processes)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        ready, _, _ = select.select([holder.stdout], [], [], BUILD_TIMEOUT)
        line = holder.stdout.readline().strip() if ready else ""
        if not line.startswith("ready "):
            raise RuntimeError("holder did not get ready: %r (exit %s)" % (line, holder.poll()))
        built = dict(kv.split("=") for kv in line.split()[1:])
        log("built: %s" % line)
        results = []
        for i in range(opts.runs):
            results.append(trace_once(opts.rsttrace))
            log("run %d: %s" % (i + 1, results[-1]))
    finally:
        if holder is not None:
            try:
                holder.stdin.close()     # the holder stops its sleepers and exits
                holder.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                holder.kill()            # its sleepers die with it (PDEATHSIG)
                holder.wait()
        run(["ip", "netns", "del", ns], check=False)

    print("%d connections (%s sockets + 1 listener) held by %s sleeping processes, netns %s"
          % (opts.connections, built["sockets"], built["processes"], ns))
    print("%-10s %9s %9s %9s %6s %10s %10s" % ("run", "sockets", "listening", "processes",
                                              "netns", "scan_ms", "attach_ms"))
    print(row("baseline", baseline))
    for i, r in enumerate(results):
        print(row("run %d" % (i + 1), r))
    scan_ms = statistics.median(r["scan"][4] for r in results)
    attach_ms = statistics.median(r["attach_ms"] for r in results)
    print("median     %9s %9s %9s %6s %10.3f %10.1f" % ("", "", "", "", scan_ms, attach_ms))
    summary = {
        "scan_ms_median": round(scan_ms, 3), "attach_ms_median": round(attach_ms, 1),
        "sockets": int(statistics.median(r["scan"][0] for r in results)),
        "processes": int(statistics.median(r["scan"][2] for r in results)),
        "listening": int(statistics.median(r["scan"][1] for r in results)),
        "netns": int(statistics.median(r["scan"][3] for r in results)),
        "scan_ms_min": min(r["scan"][4] for r in results),
        "scan_ms_max": max(r["scan"][4] for r in results),
        "baseline_scan_ms": baseline["scan"][4], "baseline_attach_ms": round(baseline["attach_ms"], 1),
        "baseline_sockets": baseline["scan"][0], "baseline_processes": baseline["scan"][2],
        "built_sockets": int(built["sockets"]) + 1, "built_processes": int(built["processes"]),
        "runs": len(results), "elapsed_s": round(time.monotonic() - started, 1),
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
