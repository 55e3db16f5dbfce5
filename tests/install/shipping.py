"""Log shipping through a real rsyslog (Debian's rsyslogd, started here with
its own configuration, pid file and work directory, never the system's):
imfile follows the NDJSON file rsttrace appends to, as the systemd unit
does, mmjsonparse parses each line, omfile writes the parsed tree back out
($!all-json). Every record must arrive, in order, with the same keys,
values and JSON types."""

import json
import os
import shutil
import subprocess
import tempfile
import time

import nslib
from common import (BINARY, REPO, Tracer, _processes, check, package_installed, run,
                    run_scenario, scenario_namespace, test)

# deploy/shipping/rsyslog.conf with the paths of one test run.
RSYSLOG_CONF = """
global(workDirectory="{work}" maxMessageSize="64k")
module(load="imfile" mode="inotify")
module(load="mmjsonparse")
template(name="rsttrace_all_json" type="list") {{
  property(name="$!all-json")
  constant(value="\\n")
}}
input(type="imfile" file="{src}" tag="rsttrace" ruleset="rsttrace"
      addMetadata="off" reopenOnTruncate="on")
ruleset(name="rsttrace") {{
  action(type="mmjsonparse" cookie="" useRawMsg="on")
  if $parsesuccess == "OK" then {{
    action(type="omfile" file="{dst}" template="rsttrace_all_json")
  }} else {{
    action(type="omfile" file="{bad}")
  }}
}}
"""
ARRIVAL_TIMEOUT = 30


def same(a, b, path="$"):
    """First difference of value or JSON type between two parsed records."""
    if type(a) is not type(b):
        return "%s: %s %r became %s %r" % (path, type(a).__name__, a, type(b).__name__, b)
    if isinstance(a, dict):
        if list(a) != list(b):
            return "%s: keys %s became %s" % (path, list(a), list(b))
        for k in a:
            d = same(a[k], b[k], path + "." + k)
            if d:
                return d
    elif isinstance(a, list):
        if len(a) != len(b):
            return "%s: %d items became %d" % (path, len(a), len(b))
        for i, (x, y) in enumerate(zip(a, b)):
            d = same(x, y, "%s[%d]" % (path, i))
            if d:
                return d
    elif a != b:
        return "%s: %r became %r" % (path, a, b)
    return None


def read_lines(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [line for line in f.read().split("\n") if line]


def start_rsyslog(tmp, src, dst, bad):
    work = os.path.join(tmp, "work")
    os.mkdir(work)
    conf = os.path.join(tmp, "rsyslog.conf")
    with open(conf, "w") as f:
        f.write(RSYSLOG_CONF.format(work=work, src=src, dst=dst, bad=bad))
    rsyslogd = shutil.which("rsyslogd") or "/usr/sbin/rsyslogd"
    check(os.path.exists(rsyslogd), "no rsyslogd (Debian package rsyslog)")
    run([rsyslogd, "-N1", "-f", conf])
    pidfile = os.path.join(tmp, "rsyslogd.pid")
    log = open(os.path.join(tmp, "rsyslogd.out"), "w")
    proc = subprocess.Popen([rsyslogd, "-n", "-f", conf, "-i", pidfile], stdout=log,
                            stderr=subprocess.STDOUT, preexec_fn=nslib.die_with_parent)
    _processes.append(proc)
    deadline = time.monotonic() + 10
    while not os.path.exists(pidfile):
        check(proc.poll() is None, "rsyslogd exited %s" % proc.returncode)
        check(time.monotonic() < deadline, "rsyslogd wrote no pid file in 10 s")
        time.sleep(0.05)
    return proc


@test("shipping_rsyslog_imfile_mmjsonparse")
def shipping_rsyslog():
    binary = BINARY if package_installed() else os.path.join(REPO, "rsttrace")
    ns = scenario_namespace()
    with tempfile.TemporaryDirectory(prefix="rtt-ship-") as tmp:
        src = os.path.join(tmp, "rsttrace.ndjson")
        dst = os.path.join(tmp, "shipped.ndjson")
        bad = os.path.join(tmp, "unparsed.log")
        rsyslog = start_rsyslog(tmp, src, dst, bad)
        tr = Tracer([binary, "--json", "--summary", "--netns", ns.name], src)
        run_scenario(ns)
        rc = tr.stop()
        check(rc == 0, "rsttrace exit %d: %s" % (rc, tr.stderr()[-400:]))
        sent = read_lines(src)
        deadline = time.monotonic() + ARRIVAL_TIMEOUT
        while len(read_lines(dst)) < len(sent) and time.monotonic() < deadline:
            check(rsyslog.poll() is None, "rsyslogd died")
            time.sleep(0.1)
        nslib.stop_process(rsyslog)
        _processes.remove(rsyslog)
        got = read_lines(dst)
        check(not os.path.exists(bad), "rsyslog could not parse: %s" % read_lines(bad)[:2])
        check(len(got) == len(sent), "rsttrace wrote %d records, rsyslog shipped %d"
              % (len(sent), len(got)))
        types = {}
        for i, (a, b) in enumerate(zip(sent, got)):
            ra, rb = json.loads(a), json.loads(b)
            d = same(ra, rb)
            check(d is None, "record %d (%s): %s" % (i + 1, ra.get("type"), d))
            types[ra["type"]] = types.get(ra["type"], 0) + 1
    # The stream must exercise what could break: nested objects, nulls,
    # booleans, 64-bit integers, arrays, a folded storm.
    for t in ("coverage", "rst_sent", "rst_received", "listen_overflow", "summary"):
        check(types.get(t), "no %s record in the stream (%s)" % (t, types))
    records = [json.loads(line) for line in sent]
    check(any(r.get("folded") for r in records), "no folded record in the stream")
    check(any(isinstance(r.get("ts_ns"), int) and r["ts_ns"] > 2 ** 31 for r in records),
          "no 64-bit integer in the stream")
