#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turns bench/run.sh's raw results into a table and one JSON line.

  summarize.py pick-topology RESULTS      -> prints lo or veth (higher median rate)
  summarize.py report RESULTS META NOTES  -> table, then the JSON object as last line
"""
import json
import os
import statistics
import sys

NAMES = {
    "a": "no tracer",
    "b": "rsttrace --json > file",
    "c": "rsttrace (text) > /dev/null",
    "d": "bpftrace printf per event",
    "e": "tcpdump -w, RST filter",
}


def parse_line(line):
    d = {}
    for tok in line.split():
        if "=" in tok:
            k, v = tok.split("=", 1)
            d[k] = v
    return d


def num(v):
    if v is None or v == "":
        return None
    try:
        return int(v)
    except ValueError:
        try:
            return float(v)
        except ValueError:
            return v


def load(path):
    rows = []
    with open(path) as f:
        for line in f:
            if line.strip():
                r = {k: num(v) for k, v in parse_line(line).items()}
                # A run whose load generator died has no rate: count it as failed.
                if r.get("phase") in ("storm", "echo", "topo") and not isinstance(r.get("rate"), (int, float)):
                    r["failed"] = 1
                rows.append(r)
    return rows


def clean(r):
    """No other rsttrace/bpftrace was running before or at the end of this run."""
    return not r.get("foreign") and not r.get("foreign_after")


def paired(rows, v, base="a", only_clean=False):
    """Median over rounds of rate(v)/rate(base) within the same round: robust to slow drift."""
    by = {}
    for r in rows:
        if not r.get("failed") and (clean(r) or not only_clean):
            by.setdefault(r.get("round"), {})[r.get("variant")] = r.get("rate")
    rs = [d[v] / d[base] for d in by.values() if d.get(v) and d.get(base)]
    return round(statistics.median(rs), 3) if rs else None


def med(xs):
    xs = [x for x in xs if isinstance(x, (int, float))]
    return statistics.median(xs) if xs else None


def pick_topology(path):
    rows = [r for r in load(path) if r.get("phase") == "topo"]
    rates = {t: med([r.get("rate") for r in rows if r.get("topo") == t and not r.get("failed")])
             for t in ("lo", "veth")}
    lo, veth = rates["lo"] or 0, rates["veth"] or 0
    print("lo" if lo >= veth else "veth")


def fmt(x, nd=0):
    if x is None:
        return "-"
    if isinstance(x, float) and nd:
        return f"{x:,.{nd}f}"
    return f"{x:,.0f}"


def ratio(x, base):
    if x is None or not base:
        return None
    return round(x / base, 3)


def read_progs(path):
    """bpftool prog show -j, restricted to the prog ids rsttrace held open."""
    with open(path) as f:
        first = f.readline()
        rest = f.read()
    ids = {int(x) for x in first.split(":", 1)[1].split()}
    try:
        progs = json.loads(rest) if rest.strip() else []
    except json.JSONDecodeError:
        progs = []
    out = {}
    for p in progs:
        if p.get("id") in ids:
            name = p.get("name", "id%d" % p["id"])
            out[name] = (p.get("run_time_ns", 0), p.get("run_cnt", 0))
    return out


def prog_delta(a, b):
    res = {}
    for name, (t1, c1) in b.items():
        t0, c0 = a.get(name, (0, 0))
        dt, dc = t1 - t0, c1 - c0
        res[name] = {"run_cnt": dc, "run_time_ns": dt, "ns_per_run": round(dt / dc, 1) if dc else None}
    return res


def read_decode(dec):
    res = {"option": dec.get("opt"), "n": dec.get("n"), "rc": dec.get("rc"), "result": None, "output": None}
    try:
        with open(dec.get("file")) as f:
            lines = [x for x in f.read().splitlines() if x.strip()]
    except (OSError, TypeError):
        return res
    last = lines[-1] if lines else ""
    try:
        res["result"] = json.loads(last)
    except ValueError:
        res["output"] = last
    return res


def report(path, meta_path, notes_path):
    rows = load(path)
    meta = {}
    with open(meta_path) as f:
        for line in f:
            meta.update({k: num(v) for k, v in parse_line(line).items()})
    with open(notes_path) as f:
        notes = [n for n in f.read().splitlines() if n.strip()]
    out = []
    p = out.append
    J = {"schema": "rsttrace-bench/1", "machine": {}, "config": {}}
    J["machine"] = {
        "kernel": meta.get("kernel"),
        "cpus": meta.get("cpus"),
        "loadavg_start": meta.get("load_start"),
        "loadavg_end": meta.get("load_end"),
        "other_rsttrace_at_start": meta.get("other_rsttrace"),
        "rsttrace_version": str(meta.get("version", "")).replace("_", " "),
        "rsttrace_git": meta.get("git"),
        "rsttrace_binary_mtime": meta.get("binary_mtime"),
    }
    J["config"] = {k: meta.get(k) for k in ("rounds", "storm_n", "echo_secs", "workers", "inflight", "quick")}

    # Topology probe.
    topo = [r for r in rows if r.get("phase") == "topo"]
    tp = {t: med([r.get("rate") for r in topo if r.get("topo") == t and not r.get("failed")])
          for t in ("lo", "veth")}
    J["topology"] = {
        "chosen": meta.get("topology"),
        "chosen_by": str(meta.get("chosen_by")).replace("_", " "),
        "probe_rsts_per_s": {"lo": tp["lo"], "veth": tp["veth"]} if topo else None,
    }
    p(f"rsttrace benchmark: Linux {meta.get('kernel')}, {meta.get('cpus')} CPUs, "
      f"{meta.get('rounds')} rounds, {fmt(meta.get('storm_n'))} connections per storm run, "
      f"{meta.get('workers')} load threads")
    p(f"rsttrace: {J['machine']['rsttrace_version']}, source {meta.get('git')}, binary built {meta.get('binary_mtime')}")
    if topo:
        p(f"topology: {meta.get('topology')} (probe medians: loopback in one netns {fmt(tp['lo'])} RSTs/s, "
          f"veth between two netns {fmt(tp['veth'])} RSTs/s; the faster is used)")
    else:
        p(f"topology: {meta.get('topology')} (set by {J['topology']['chosen_by']})")
    p("")

    # Storm.
    storm = [r for r in rows if r.get("phase") == "storm"]
    variants = [v for v in "abcde" if any(r.get("variant") == v for r in storm)]
    base = med([r.get("rate") for r in storm if r.get("variant") == "a" and not r.get("failed")])
    J["storm"] = {}
    p("RST storm: connect() to a closed port in the server netns, every connect answered by a RST (NO_SOCKET)")
    cbase = med([r.get("rate") for r in storm if r.get("variant") == "a" and not r.get("failed") and clean(r)])
    p(f"  {'':<34} {'---------- all runs ----------':>44} {'---- clean runs ----':>30}")
    p(f"  {'variant':<34} {'RSTs/s median':>14} {'min':>10} {'max':>10} {'vs (a)':>7} {'paired':>7}"
      f"  {'n':>3} {'median':>9} {'vs (a)':>7} {'paired':>7}")
    for v in variants:
        rs = [r for r in storm if r.get("variant") == v]
        ok = [r for r in rs if not r.get("failed")]
        rates = [r.get("rate") for r in ok]
        m = med(rates)
        entry = {
            "name": NAMES[v],
            "rsts_per_s_median": m,
            "ratio_to_a": ratio(m, base),
            "paired_ratio_median": paired(storm, v),
            "clean_runs": sum(1 for r in ok if clean(r)),
            "clean_rsts_per_s_median": med([r.get("rate") for r in ok if clean(r)]),
            "clean_ratio_to_a": ratio(med([r.get("rate") for r in ok if clean(r)]), cbase),
            "clean_paired_ratio_median": paired(storm, v, only_clean=True),
            "foreign_tracers_runs": [max(r.get("foreign") or 0, r.get("foreign_after") or 0) for r in ok],
            "rsts_per_s_runs": rates,
            "failed_runs": len(rs) - len(ok),
            "tcp_out_rsts_runs": [r.get("outrsts") for r in ok],
            "refused_runs": [r.get("refused") for r in ok],
        }
        if ok:
            p(f"  ({v}) {NAMES[v]:<30} {fmt(m):>14} {fmt(min(rates)):>10} {fmt(max(rates)):>10} "
              f"{(str(ratio(m, base)) + 'x') if base else '-':>7} "
              f"{(str(paired(storm, v)) + 'x') if paired(storm, v) else '-':>7}"
              f"  {entry['clean_runs']:>3} {fmt(entry['clean_rsts_per_s_median']):>9} "
              f"{(str(entry['clean_ratio_to_a']) + 'x') if entry['clean_ratio_to_a'] else '-':>7} "
              f"{(str(entry['clean_paired_ratio_median']) + 'x') if entry['clean_paired_ratio_median'] else '-':>7}"
              + (f"  ({len(rs) - len(ok)} failed)" if len(rs) != len(ok) else ""))
        else:
            p(f"  ({v}) {NAMES[v]:<30} {'failed':>14}")
        if v in ("b", "c"):
            entry["lost_runs"] = [r.get("lost") for r in ok]
            entry["written_runs"] = [r.get("written") for r in ok]
            entry["totals_rst_sent_runs"] = [r.get("rst_sent") for r in ok]
            entry["peak_rss_kb_runs"] = [r.get("hwm_kb") for r in ok]
            entry["attach_ms_runs"] = [r.get("attach_ms") for r in ok]
            entry["exit_codes"] = [r.get("exit") for r in ok]
        if v == "b":
            entry["rst_sent_in_netns_runs"] = [r.get("rst_sent_ns") for r in ok]
            entry["rst_received_in_netns_runs"] = [r.get("rst_received_ns") for r in ok]
            entry["lost_lines_runs"] = [r.get("lost_lines") for r in ok]
        if v == "d":
            entry["events_runs"] = [r.get("events") for r in ok]
            entry["lost_runs"] = [r.get("bt_lost") for r in ok]
        if v == "e":
            entry["captured_runs"] = [r.get("captured") for r in ok]
            entry["dropped_runs"] = [r.get("dropped") for r in ok]
        J["storm"][v] = entry
    p(f"  {len(J['storm'].get('a', {}).get('rsts_per_s_runs', []))} runs per variant; vs (a): ratio of medians; "
      "paired: median over rounds of the ratio to (a) in the same round;")
    p("  clean: runs during which no other rsttrace/bpftrace process was running on the machine")
    cpr = {}
    for v in variants:
        xs = []
        for r in storm:
            if r.get("variant") == v and not r.get("failed") and r.get("refused"):
                xs.append(((r.get("cpu_ms") or 0) + (r.get("tcpu_ms") or 0)) * 1000.0 / r["refused"])
        cpr[v] = round(med(xs), 2) if xs else None
        if v in J["storm"]:
            J["storm"][v]["cpu_us_per_rst_median"] = cpr[v]
            J["storm"][v]["cpu_per_rst_ratio_to_a"] = ratio(cpr[v], cpr.get("a"))
    if any(cpr.values()):
        p("  CPU per RST (load generator incl. the softirq work in its context + tracer process), median:")
        p("    " + ", ".join(f"({v}) {cpr[v]} us" + (f" = {ratio(cpr[v], cpr['a'])}x" if cpr.get('a') and v != 'a' else "")
                            for v in variants if cpr[v] is not None))
        p("    (BPF programs run inside that softirq work; kernel threads such as ksoftirqd are not counted)")
    p("")

    # Accounting.
    acc = []
    bruns = [r for r in storm if r.get("variant") == "b" and not r.get("failed")]
    if bruns:
        p("Event accounting, (b) rsttrace --json, per run (rst_sent lines in the server netns vs the kernel):")
        p(f"  {'round':>5} {'TcpOutRsts +':>13} {'rst_sent lines':>15} {'lost':>6} {'sent+lost':>10}  "
          f"{'rst_received':>12} {'written':>9}  verdict")
        for r in bruns:
            k, s, lost = r.get("outrsts"), r.get("rst_sent_ns"), r.get("lost") or 0
            if s == k:
                verdict = "exact"
            elif isinstance(s, int) and isinstance(k, int) and s < k <= s + lost:
                verdict = "short by %d, covered by lost" % (k - s)
            else:
                verdict = "MISMATCH"
            acc.append({"round": r.get("round"), "tcp_out_rsts": k, "rst_sent_in_netns": s, "lost": lost,
                        "written": r.get("written"), "rst_received_in_netns": r.get("rst_received_ns"),
                        "verdict": verdict})
            p(f"  {r.get('round'):>5} {fmt(k):>13} {fmt(s):>15} {fmt(lost):>6} "
              f"{fmt((s or 0) + lost):>10}  {fmt(r.get('rst_received_ns')):>12} {fmt(r.get('written')):>9}  {verdict}")
        p("  (written counts every event rsttrace printed, all netns, rst_received included: 2 per connection)")
    J["accounting"] = {"runs": acc,
                       "all_exact": bool(acc) and all(a["verdict"] == "exact" for a in acc),
                       "total_lost": sum(a["lost"] for a in acc) if acc else None}
    for v, label in (("c", "rsttrace text"), ("d", "bpftrace"), ("e", "tcpdump")):
        rs = [r for r in storm if r.get("variant") == v and not r.get("failed")]
        if not rs:
            continue
        if v == "c":
            parts = [f"rst_sent={r.get('rst_sent')} lost={r.get('lost')}" for r in rs]
        elif v == "d":
            parts = [f"{r.get('events')}/{r.get('outrsts')} lost={r.get('bt_lost')}" for r in rs]
        else:
            parts = [f"{r.get('captured')}/{r.get('outrsts')} dropped={r.get('dropped')}" for r in rs]
        p(f"  {label}: " + "; ".join(parts))
    p("")

    # Echo.
    echo = [r for r in rows if r.get("phase") == "echo"]
    if echo:
        ea = med([r.get("rate") for r in echo if r.get("variant") == "a" and not r.get("failed")])
        eb_rows = [r for r in echo if r.get("variant") == "b" and not r.get("failed")]
        eb = med([r.get("rate") for r in eb_rows])
        J["echo"] = {
            "requests_per_s_median": {"a": ea, "b": eb},
            "ratio_b_to_a": ratio(eb, ea),
            "paired_ratio_median": paired(echo, "b"),
            "runs": {v: [r.get("rate") for r in echo if r.get("variant") == v and not r.get("failed")]
                     for v in ("a", "b")},
            "tcp_out_rsts": sum(r.get("outrsts") or 0 for r in echo),
            "errors": sum(r.get("errors") or 0 for r in echo),
            "rst_sent_in_netns_b": sum(r.get("rst_sent_ns") or 0 for r in eb_rows),
        }
        p("Healthy traffic: keep-alive echo, 32 connections x 64-byte request/response, no resets")
        p(f"  (a) no tracer              {fmt(ea):>10} requests/s   runs: "
          + ", ".join(fmt(x) for x in J["echo"]["runs"]["a"]))
        p(f"  (b) rsttrace --json > file {fmt(eb):>10} requests/s   runs: "
          + ", ".join(fmt(x) for x in J["echo"]["runs"]["b"]))
        ca = med([r.get("rate") for r in echo if r.get("variant") == "a" and not r.get("failed") and clean(r)])
        cb = med([r.get("rate") for r in eb_rows if clean(r)])
        J["echo"]["clean_runs"] = {v: sum(1 for r in echo if r.get("variant") == v and not r.get("failed") and clean(r))
                                   for v in ("a", "b")}
        J["echo"]["clean_ratio_b_to_a"] = ratio(cb, ca)
        J["echo"]["clean_paired_ratio_median"] = paired(echo, "b", only_clean=True)
        cr, cp = ratio(cb, ca), J["echo"]["clean_paired_ratio_median"]
        p(f"  clean runs only: (a) {fmt(ca)} ({J['echo']['clean_runs']['a']} runs), (b) {fmt(cb)} "
          f"({J['echo']['clean_runs']['b']} runs): {str(cr) + 'x' if cr else '-'}, "
          f"paired {str(cp) + 'x' if cp else '-'}")
        p(f"  ratio (b)/(a): {ratio(eb, ea)}x, paired per round {paired(echo, 'b')}x   (TcpOutRsts during echo: {J['echo']['tcp_out_rsts']}, "
          f"client errors: {J['echo']['errors']})")
        p("")

    # BPF cost.
    cost = [r for r in rows if r.get("phase") == "bpfcost"]
    if cost:
        c = cost[-1]
        try:
            p0, p1, p2 = (read_progs(c[k]) for k in ("progs0", "progs1", "progs2"))
            storm_d, echo_d = prog_delta(p0, p1), prog_delta(p1, p2)
        except (OSError, ValueError, KeyError):
            storm_d = echo_d = {}
        bs = next((r for r in rows if r.get("phase") == "bpfstorm"), {})
        be = next((r for r in rows if r.get("phase") == "bpfecho"), {})
        tot_storm = sum(x["run_time_ns"] for x in storm_d.values())
        rsts = bs.get("outrsts")
        reqs = be.get("requests")
        tot_echo = sum(x["run_time_ns"] for x in echo_d.values())
        J["bpf_cost"] = {
            "storm": storm_d, "echo": echo_d,
            "storm_rsts": rsts, "storm_rsts_per_s_with_stats": bs.get("rate"),
            "storm_bpf_ns_per_rst": round(tot_storm / rsts, 1) if rsts else None,
            "echo_requests": reqs,
            "echo_bpf_ns_per_request": round(tot_echo / reqs, 2) if reqs else None,
        }
        p("BPF cost per program (kernel.bpf_stats_enabled=1, rsttrace --json running)")
        p(f"  {'program':<22} {'storm runs':>11} {'ns/run':>8}   {'echo runs':>11} {'ns/run':>8}")
        for name in sorted(set(storm_d) | set(echo_d)):
            s, e = storm_d.get(name, {}), echo_d.get(name, {})
            p(f"  {name:<22} {fmt(s.get('run_cnt')):>11} {fmt(s.get('ns_per_run'), 1):>8}   "
              f"{fmt(e.get('run_cnt')):>11} {fmt(e.get('ns_per_run'), 1):>8}")
        p(f"  storm: {fmt(rsts)} RSTs, all programs together {J['bpf_cost']['storm_bpf_ns_per_rst']} ns of BPF per RST; "
          f"echo: {fmt(reqs)} requests, {J['bpf_cost']['echo_bpf_ns_per_request']} ns of BPF per request")
        p("")

    # Userspace.
    allb = [r for r in rows if r.get("variant") in ("b", "c") and r.get("phase") in ("storm", "echo")
            and not r.get("failed")]
    hwm_storm = [r.get("hwm_kb") for r in storm if r.get("variant") == "b" and r.get("hwm_kb")]
    hwm_text = [r.get("hwm_kb") for r in storm if r.get("variant") == "c" and r.get("hwm_kb")]
    hwm_echo = [r.get("hwm_kb") for r in echo if r.get("variant") == "b" and r.get("hwm_kb")] if echo else []
    att = [r.get("attach_ms") for r in allb if r.get("attach_ms") is not None]
    dec = next((r for r in rows if r.get("phase") == "decode"), {})
    # Userspace events/s during the storm: events written / storm duration.
    evs = [(r.get("written") or 0) / r["secs"] for r in bruns if r.get("secs")]
    J["userspace"] = {
        "peak_rss_kb_json_storm_median": med(hwm_storm),
        "peak_rss_kb_json_storm_max": max(hwm_storm) if hwm_storm else None,
        "peak_rss_kb_text_storm_median": med(hwm_text),
        "peak_rss_kb_json_echo_median": med(hwm_echo),
        "attach_ms_median": med(att), "attach_ms_max": max(att) if att else None,
        "json_events_written_per_s_in_storm_median": round(med(evs)) if evs else None,
        "bench_decode": None if dec.get("unsupported") or not dec else read_decode(dec),
    }
    p("rsttrace userspace")
    p(f"  peak RSS (VmHWM): --json storm median {fmt(med(hwm_storm))} kB (max {fmt(J['userspace']['peak_rss_kb_json_storm_max'])}), "
      f"text storm {fmt(med(hwm_text))} kB, echo {fmt(med(hwm_echo))} kB")
    p(f"  start to 'rsttrace: attached': median {fmt(med(att))} ms, max {fmt(J['userspace']['attach_ms_max'])} ms")
    p(f"  JSON events written per second during the storm (sent + received): median "
      f"{fmt(J['userspace']['json_events_written_per_s_in_storm_median'])}")
    bd = J["userspace"]["bench_decode"]
    if bd is None:
        p("  --bench-decode / --bench-format: not supported by this build (column skipped)")
    elif isinstance(bd.get("result"), dict):
        r = bd["result"]
        parts = [f"{k.replace('_events_per_s', '')} {fmt(v)} events/s" for k, v in r.items()
                 if k.endswith("_events_per_s")]
        p(f"  {bd['option']} {fmt(bd['n'])} (formatting only, no BPF): " + ", ".join(parts))
    else:
        p(f"  {bd['option']} {fmt(bd['n'])}: rc={bd['rc']} {bd.get('output')}")
    cpu = {v: med([r.get("tcpu_ms") for r in storm if r.get("variant") == v and r.get("tcpu_ms") is not None])
           for v in "bcde"}
    J["userspace"]["tracer_cpu_ms_per_storm_run_median"] = cpu
    p("  tracer process CPU (user+sys) per storm run, median: " + ", ".join(
        f"({v}) {fmt(cpu[v])} ms" for v in "bcde" if cpu[v] is not None))
    p("")

    # Overflow.
    ov = next((r for r in rows if r.get("phase") == "overflow"), None)
    if ov:
        J["overflow"] = {
            "connections": ov.get("conns"), "client_connected": ov.get("connected"),
            "client_timed_out": ov.get("timedout"), "client_reset": ov.get("reset"),
            "listen_overflows": ov.get("listenoverflows"), "listen_overflow_events_in_netns": ov.get("ovf_events_ns"),
            "tcp_out_rsts": ov.get("outrsts"), "rst_sent_in_netns": ov.get("rst_sent_ns"), "lost": ov.get("lost"),
            "exact": ov.get("listenoverflows") == ov.get("ovf_events_ns") and ov.get("outrsts") == ov.get("rst_sent_ns"),
        }
        p(f"Accept-queue overflow ({OVF_DESC}): {ov.get('conns')} connects, "
          f"{ov.get('connected')} connected, {ov.get('timedout')} timed out, {ov.get('reset')} reset")
        p(f"  ListenOverflows +{ov.get('listenoverflows')}, rsttrace listen_overflow events {ov.get('ovf_events_ns')}; "
          f"TcpOutRsts +{ov.get('outrsts')}, rsttrace rst_sent {ov.get('rst_sent_ns')}; lost {ov.get('lost')}"
          f"  -> {'exact' if J['overflow']['exact'] else 'MISMATCH'}")
        p("")

    # Start-up scan (bench/scan_bench.py): its table, and its JSON line.
    sc = next((r for r in rows if r.get("phase") == "scan"), None)
    if sc and sc.get("file") and os.path.exists(sc["file"]):
        with open(sc["file"]) as f:
            lines = [l.rstrip("\n") for l in f if l.strip()]
        try:
            J["scan"] = json.loads(lines[-1]) if lines else None
        except ValueError:
            J["scan"] = None
        p("Start-up scan of existing sockets (bench/scan_bench.py)")
        for l in lines[:-1]:
            p("  " + l)
        if J["scan"]:
            p(f"  scan median {J['scan'].get('scan_ms_median')} ms for {fmt(J['scan'].get('sockets'))} sockets "
              f"held by {fmt(J['scan'].get('processes'))} processes; start to attached "
              f"{J['scan'].get('attach_ms_median')} ms")
        p("")

    arates = [r.get("rate") for r in storm if r.get("variant") == "a" and not r.get("failed")]
    if len(arates) >= 2 and min(arates) > 0 and max(arates) / min(arates) > 1.3:
        notes.append("the no-tracer storm varied %.2fx between rounds (%s..%s RSTs/s): other load on the "
                     "machine; read the ratios with that uncertainty (loadavg %s at start, %s at end)"
                     % (max(arates) / min(arates), fmt(min(arates)), fmt(max(arates)),
                        meta.get("load_start"), meta.get("load_end")))
    if meta.get("other_rsttrace"):
        notes.insert(0, "%s other rsttrace/bpftrace process(es) were running at start; waited %s s for quiet "
                     "in all (budget QUIET_BUDGET); runs with one running are not 'clean'"
                     % (meta.get("other_rsttrace"), meta.get("quiet_wait_s")))
    J["machine"]["quiet_wait_s"] = meta.get("quiet_wait_s")
    J["notes"] = notes
    if notes:
        p("Notes:")
        for n in notes:
            p("  - " + n)
        p("")
    print("\n".join(out))
    print(json.dumps(J, separators=(",", ":")))


OVF_DESC = "16 listeners, backlog 8, never accept; tcp_abort_on_overflow=1; bursts of 256 connects"

if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "pick-topology":
        pick_topology(sys.argv[2])
    elif len(sys.argv) >= 5 and sys.argv[1] == "report":
        report(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(__doc__)
