"""The installed unit run by a real systemd: a container booted with
systemd-nspawn over the host's /usr (where dpkg -i put the package), with an
empty /etc and /var (--volatile=yes), so the log directory must come from
the package's tmpfiles.d entry. unit_check.sh does the work inside and
leaves its findings in a bind-mounted directory."""

import json
import os
import shutil
import subprocess
import tempfile

from common import BINARY, HERE, check, require_installed, run, test

BOOT_TIMEOUT = 100
CAP_BPF = 39
def read_props(path):
    with open(path) as f:
        return dict(line.rstrip("\n").split("=", 1) for line in f if "=" in line)


def root_warnings():
    res = run([BINARY, "--json", "-d", "0.2"])
    return {json.loads(line)["message"] for line in res.stderr.splitlines()
            if line.startswith('{"schema":2,"type":"warning"')}


@test("unit_runs_under_systemd")
def unit_runs_under_systemd():
    require_installed()
    nspawn = shutil.which("systemd-nspawn")
    check(nspawn, "no systemd-nspawn (Debian package systemd-container)")
    with tempfile.TemporaryDirectory(prefix="rtt-boot-") as tmp:
        results = os.path.join(tmp, "results")
        os.mkdir(results)
        target = os.path.join(tmp, "rtt-check.target")
        service = os.path.join(tmp, "rtt-check.service")
        with open(target, "w") as f:
            f.write("[Unit]\nRequires=rtt-check.service\nAfter=rtt-check.service\n")
        with open(service, "w") as f:
            f.write("[Unit]\nAfter=basic.target\n[Service]\nType=oneshot\n"
                    "ExecStart=/bin/sh /rtt/unit_check.sh\n"
                    "ExecStopPost=/bin/systemctl poweroff\n")
        # The container gets what a host has: the capabilities and system
        # calls nspawn withholds by default, and /proc/kallsyms, which it
        # masks; unit_check.sh mounts tracefs as the host's systemd does.
        argv = [nspawn, "-D", "/", "--volatile=yes", "--register=no", "--keep-unit", "-q",
                "--private-network", "--console=pipe",
                "--capability=CAP_BPF,CAP_PERFMON,CAP_SYSLOG",
                "--system-call-filter=bpf perf_event_open",
                "--bind-ro=/proc/kallsyms",
                "--bind-ro=/dev/null:/etc/systemd/system/systemd-firstboot.service",
                "--bind-ro=/etc/default/rsttrace",
                "--bind-ro=%s:/etc/systemd/system/rtt-check.target" % target,
                "--bind-ro=%s:/etc/systemd/system/rtt-check.service" % service,
                "--bind-ro=%s:/rtt" % HERE,
                "--bind=%s:/results" % results,
                "--boot", "--", "--unit=rtt-check.target"]
        try:
            res = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True, timeout=BOOT_TIMEOUT)
            console = res.stdout
        except subprocess.TimeoutExpired as e:
            console = (e.stdout or b"").decode(errors="replace")
        check(os.path.exists(os.path.join(results, "done")),
              "the check in the container did not finish: %s" % console.strip()[-800:])

        state = read_props(os.path.join(results, "before"))
        check(state.get("ActiveState") == "active", "rsttrace.service: %s" % state)
        status = {}
        with open(os.path.join(results, "status")) as f:
            for line in f:
                k, v = line.split(":", 1)
                status[k] = v.split()[0]
        bpf_only = "%016x" % (1 << CAP_BPF)
        for k in ("CapBnd", "CapPrm", "CapEff"):
            check(status.get(k) == bpf_only, "%s %s, expected only CAP_BPF once attached"
                  " (%s): the unit's set minus what rsttrace drops" % (k, status.get(k), bpf_only))
        check(status.get("CapAmb") == "0" * 16, "ambient capabilities %s" % status.get("CapAmb"))
        check(status.get("NoNewPrivs") == "1", "NoNewPrivs %s" % status.get("NoNewPrivs"))
        with open(os.path.join(results, "logdir")) as f:
            check(f.read().startswith("drwxr-x---"), "log directory not 0750")

        restarted = read_props(os.path.join(results, "restarted"))
        check(restarted.get("NRestarts") == "1" and restarted.get("ActiveState") == "active"
              and restarted.get("MainPID") != state.get("MainPID"),
              "after SIGKILL: %s (before: %s), expected a restart" % (restarted, state))
        after = read_props(os.path.join(results, "after"))
        check(after.get("ExecMainStatus") == "0" and after.get("Result") == "success",
              "stopped: %s, expected exit 0" % after)

        with open(os.path.join(results, "netns")) as f:
            netns = int(f.read().strip().split("[")[1].rstrip("]"))
        with open(os.path.join(results, "rsttrace.ndjson")) as f:
            records = [json.loads(line) for line in f if line.strip()]
        runs = [r for r in records if r["type"] == "coverage"]
        check(len(runs) == 2, "%d coverage records, expected 2 (a start and a restart)"
              % len(runs))
        mine = [r for r in records if r.get("netns") == netns and r["type"] == "rst_sent"
                and r["local"]["port"] == 4242]
        check(sum(r["count"] for r in mine) == 3,
              "%d resets to port 4242 in the container's netns, expected 3: %s"
              % (sum(r["count"] for r in mine), mine[:1]))
        with open(os.path.join(results, "journal")) as f:
            journal = f.read()
        check("rsttrace: attached" in journal and "rsttrace: totals:" in journal,
              "stderr not in the journal: %s" % journal[-400:])
        # The unit loses nothing root has: no warning root on this host
        # does not get too (a kernel without kprobes warns for both).
        warned = {json.loads(line)["message"] for line in journal.splitlines()
                  if line.startswith('{"schema":2,"type":"warning"')}
        extra = sorted(warned - root_warnings())
        check(not extra, "warnings under the unit that root does not get: %s" % extra)
        check_journal_mode(results, netns)


def check_journal_mode(results, netns):
    """The second run, with the journal.conf drop-in: records are journal
    entries of rsttrace's stdout, and no file is written."""
    with open(os.path.join(results, "journal.json")) as f:
        entries = [json.loads(line) for line in f if line.strip()]
    records, other = [], []
    for e in entries:
        msg = e.get("MESSAGE")
        if isinstance(msg, str) and msg.startswith('{"schema":2'):
            rec = json.loads(msg)
            if rec["type"] not in ("warning", "error"):
                records.append((e, rec))
                continue
        other.append(msg)
    check(records, "no records in the journal: %s" % other[-5:])
    check(records[0][1]["type"] == "coverage", "first journal record: %s" % records[0][1]["type"])
    check(all(e.get("SYSLOG_IDENTIFIER") == "rsttrace" and e.get("_TRANSPORT") == "stdout"
              for e, _ in records), "journal records not from rsttrace's stdout: %s"
          % records[0][0])
    mine = [r for _, r in records if r.get("netns") == netns and r["type"] == "rst_sent"
            and r["local"]["port"] == 4242]
    check(sum(r["count"] for r in mine) == 3, "journal: %d resets to port 4242, expected 3"
          % sum(r["count"] for r in mine))
    check(any(isinstance(m, str) and m.startswith("rsttrace: totals:") for m in other),
          "journal: no totals line")
    with open(os.path.join(results, "logdir.after_journal")) as f:
        check(f.read().strip() == "", "a file was written in journal mode")
