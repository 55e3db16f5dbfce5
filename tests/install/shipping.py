"""Log shipping through a real rsyslog (Debian's rsyslogd, started here with
its own configuration, pid file and work directory, never the system's),
configured by deploy/shipping/rsyslog.conf itself: imfile follows the
NDJSON file rsttrace appends to, as the systemd unit does, mmjsonparse
parses each line, omfile writes the parsed tree back out ($!all-json).
Every record must arrive, in order, with the same keys, values and JSON
types. Then the Vector, Fluent Bit and Promtail examples are checked
against those records: every field they map exists, and only
low-cardinality fields become labels."""

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import tomllib

import yaml

import nslib
from common import (BINARY, REPO, Failure, Tracer, _processes, check, package_installed, run,
                    stop_tree,
                    run_scenario, scenario_namespace, test)

DEPLOYED_CONF = os.path.join(REPO, "deploy", "shipping", "rsyslog.conf")
# What /etc/rsyslog.conf must hold before the drop-in (its header says so).
MAIN_CONF = """global(workDirectory="{work}" maxMessageSize="64k")
include(file="{dropin}")
"""
# The records the shipping test saw, for the configuration checks after it.
SHIPPED = []
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
    dropin = os.path.join(tmp, "rsttrace.conf")
    with open(DEPLOYED_CONF) as f:
        text = f.read()
    for path, moved in (("/var/log/rsttrace/rsttrace.ndjson", src),
                        ("/var/log/rsttrace/shipped.ndjson", dst),
                        ("/var/log/rsttrace/unparsed.log", bad)):
        check(path in text, "%s no longer names %s" % (DEPLOYED_CONF, path))
        text = text.replace(path, moved)
    with open(dropin, "w") as f:
        f.write(text)
    with open(conf, "w") as f:
        f.write(MAIN_CONF.format(work=work, dropin=dropin))
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
        stop_tree(rsyslog)
        got = read_lines(dst)
        check(not os.path.exists(bad), "rsyslog could not parse: %s" % read_lines(bad)[:2])
        check(len(got) == len(sent), "rsttrace wrote %d records, rsyslog shipped %d"
              % (len(sent), len(got)))
        types = {}
        for i, (a, b) in enumerate(zip(sent, got)):
            ra = json.loads(a)
            try:
                rb = json.loads(b)
            except ValueError as e:
                raise Failure("record %d (%s) shipped as no JSON (%s): %s"
                              % (i + 1, ra.get("type"), e, b[:200]))
            d = same(ra, rb)
            check(d is None, "record %d (%s): %s" % (i + 1, ra.get("type"), d))
            types[ra["type"]] = types.get(ra["type"], 0) + 1
    # The stream must exercise what could break: nested objects, nulls,
    # booleans, 64-bit integers, arrays, a folded storm.
    for t in ("coverage", "rst_sent", "rst_received", "listen_overflow", "summary"):
        check(types.get(t), "no %s record in the stream (%s)" % (t, types))
    records = [json.loads(line) for line in sent]
    SHIPPED[:] = records
    check(any(r.get("folded") for r in records), "no folded record in the stream")
    check(any(isinstance(r.get("ts_ns"), int) and r["ts_ns"] > 2 ** 31 for r in records),
          "no 64-bit integer in the stream")


# --------------------------------------------------------------------------
# the examples for shippers not packaged in Debian: checked against the
# records the real stream above carried

SHIPPING_DIR = os.path.join(REPO, "deploy", "shipping")
UNIT_IN = os.path.join(REPO, "packaging", "rsttrace.service.in")
# Fields whose values are few and fixed: the only ones fit to be labels.
# Never addresses, ports, pids, comm, sk, netns or times (docs/operations.md).
LABEL_FIELDS = {"type", "diagnosis.code", "reason", "family"}
STATIC_LABELS = {"job", "host"}


def has_path(record, path):
    for key in path.split("."):
        if not isinstance(record, dict) or key not in record:
            return False
        record = record[key]
    return True


def unit_log_path():
    with open(UNIT_IN) as f:
        m = re.search(r"^StandardOutput=append:(\S+)$", f.read(), re.M)
    return m.group(1)


def vector_mapping():
    """-> (input paths, {label: record field or None for a static one})."""
    with open(os.path.join(SHIPPING_DIR, "vector.toml"), "rb") as f:
        conf = tomllib.load(f)
    paths = conf["sources"]["rsttrace"]["include"]
    source = conf["transforms"]["rsttrace_fields"]["source"]
    derived = dict(re.findall(r"^\.([a-z_]+) = string\(\.rsttrace((?:\.[a-z_]+)+)\)",
                              source, re.M))
    derived = {k: v.lstrip(".") for k, v in derived.items()}
    labels = {}
    for name, value in conf["sinks"]["loki"]["labels"].items():
        m = re.match(r"^\{\{ ([a-z_]+) \}\}$", value)
        labels[name] = derived.get(m.group(1), m.group(1)) if m else None
    used = [p.lstrip(".") for p in re.findall(r"\.rsttrace((?:\.[a-z_]+)+)", source)]
    return paths, labels, used


def promtail_mapping():
    with open(os.path.join(SHIPPING_DIR, "promtail.yaml")) as f:
        conf = yaml.safe_load(f)
    job = conf["scrape_configs"][0]
    paths = [sc["labels"]["__path__"] for sc in job["static_configs"]]
    stages = {list(s)[0]: list(s.values())[0] for s in job["pipeline_stages"]}
    expr = stages["json"]["expressions"]
    check(stages["timestamp"]["source"] in expr and
          expr[stages["timestamp"]["source"]] == "time" and
          stages["timestamp"]["format"] == "RFC3339Nano", "promtail: timestamp not from time")
    labels = {name: expr.get(name, "?undefined") for name in stages["labels"]}
    for sc in job["static_configs"]:
        labels.update({k: None for k in sc["labels"] if not k.startswith("__")})
    return paths, labels, list(expr.values())


def fluent_bit_mapping():
    def sections(name):
        out, cur = [], None
        with open(os.path.join(SHIPPING_DIR, name)) as f:
            for line in f:
                line = line.strip()
                if line.startswith("["):
                    cur = {"": line.strip("[]")}
                    out.append(cur)
                elif line and not line.startswith("#") and cur is not None:
                    k, v = line.split(None, 1)
                    cur[k] = v
        return out
    conf = sections("fluent-bit.conf")
    inp = next(s for s in conf if s[""] == "INPUT")
    out = next(s for s in conf if s[""] == "OUTPUT")
    service = next(s for s in conf if s[""] == "SERVICE")
    parsers = sections(service["Parsers_File"])
    parser = next(p for p in parsers if p["Name"] == inp["Parser"])
    labels, used = {}, []
    for item in out["Labels"].split(","):
        name, value = item.strip().split("=", 1)
        m = re.match(r"^\$([a-z_]+)((?:\['[a-z_]+'\])*)$", value)
        if m:
            path = ".".join([m.group(1)] + re.findall(r"\['([a-z_]+)'\]", m.group(2)))
            labels[name] = path
            used.append(path)
        else:
            labels[name] = None
    used.append(parser["Time_Key"])
    fmt = re.escape(parser["Time_Format"])
    for conv, rx in (("%Y", r"\d{4}"), ("%m", r"\d\d"), ("%d", r"\d\d"), ("%H", r"\d\d"),
                     ("%M", r"\d\d"), ("%S", r"\d\d"), ("%L", r"\d+")):
        fmt = fmt.replace(re.escape(conv), rx)
    return [inp["Path"]], labels, used, (parser["Time_Key"], "^%s$" % fmt)


@test("shipper_examples_map_real_fields_to_few_labels")
def shipper_examples():
    if not SHIPPED:  # run alone (-k): the records come from the shipping test
        shipping_rsyslog()
    events = [r for r in SHIPPED if isinstance(r.get("diagnosis"), dict)]
    check(events, "no event records")
    log = unit_log_path()
    with open(DEPLOYED_CONF) as f:
        check('file="%s"' % log in f.read(), "rsyslog.conf does not follow %s" % log)
    fb_paths, fb_labels, fb_used, (time_key, time_rx) = fluent_bit_mapping()
    for name, (paths, labels, used) in (("vector", vector_mapping()),
                                        ("promtail", promtail_mapping()),
                                        ("fluent-bit", (fb_paths, fb_labels, fb_used))):
        check(paths == [log], "%s reads %s, the unit writes %s" % (name, paths, log))
        missing = sorted(p for p in set(used) if not any(has_path(r, p) for r in events))
        check(not missing, "%s maps fields no record has: %s" % (name, missing))
        for label, field in labels.items():
            if field is None or field == "host":
                check(label in STATIC_LABELS, "%s: label %s is not a record field"
                      % (name, label))
            else:
                check(field in LABEL_FIELDS, "%s: label %s from %s, not a low-cardinality field"
                      % (name, label, field))
        check({"type", "diagnosis.code"} <= set(labels.values()),
              "%s: no type or diagnosis label" % name)
    bad = [r[time_key] for r in SHIPPED if time_key in r and not re.match(time_rx, r[time_key])]
    check(not bad, "fluent-bit Time_Format does not read %s" % bad[:2])
