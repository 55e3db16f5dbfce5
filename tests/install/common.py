"""What the install and shipping tests share: the registry, the package's
expected tree, dpkg with a wait for its lock, and a tracer started from the
installed binary."""

import glob
import json
import os
import re
import signal
import subprocess
import time

import nslib

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
TESTS = []
PACKAGE = "rsttrace"
BINARY = "/usr/sbin/rsttrace"
UNIT = "/usr/lib/systemd/system/rsttrace.service"
MANPAGE = "/usr/share/man/man8/rsttrace.8.gz"
COMPLETION = "/usr/share/bash-completion/completions/rsttrace"
SCENARIO = os.path.join(HERE, "scenario.py")
ATTACHED = "rsttrace: attached"
DPKG_LOCK_WAIT = 300  # seconds: another apt/dpkg on this machine may hold the lock

_processes = []


def test(name):
    def register(fn):
        TESTS.append((name, fn))
        return fn
    return register


class Failure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def run(cmd, timeout=120, env=None, check_rc=True, input=None):
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         timeout=timeout, env=env, input=input)
    if check_rc and res.returncode != 0:
        raise Failure("%s: exit %d: %s" % (" ".join(cmd), res.returncode,
                                           (res.stderr or res.stdout).strip()[-600:]))
    return res


def version():
    with open(os.path.join(REPO, "Makefile")) as f:
        return re.search(r"^VERSION := (\S+)$", f.read(), re.M).group(1)


def deb_path():
    arch = run(["dpkg", "--print-architecture"]).stdout.strip()
    return os.path.join(REPO, ".output", "%s_%s_%s.deb" % (PACKAGE, version(), arch))


def expected_tree(prefix):
    """The files (and the one directory) make install puts under DESTDIR,
    as docs/operations.md lists them, for a given PREFIX."""
    p = prefix.lstrip("/")
    files = {
        p + "/sbin/rsttrace",
        p + "/share/man/man8/rsttrace.8.gz",
        p + "/share/bash-completion/completions/rsttrace",
        p + "/lib/systemd/system/rsttrace.service",
        p + "/lib/tmpfiles.d/rsttrace.conf",
        "etc/default/rsttrace",
        "etc/logrotate.d/rsttrace",
        "var/log/rsttrace/",
    }
    for doc in ("schema.md", "diagnosis.md", "operations.md", "metrics.md", "kubernetes.md"):
        files.add(p + "/share/doc/rsttrace/" + doc)
    files.add(p + "/share/doc/rsttrace/examples/journal.conf")
    files.add(p + "/share/doc/rsttrace/examples/daemonset.yaml")
    for sub in ("shipping", "prometheus"):
        for name in os.listdir(os.path.join(REPO, "deploy", sub)):
            files.add(p + "/share/doc/rsttrace/examples/" + name)
    return files


def tree_of(root):
    """Files under root, and directories that are empty, relative."""
    found = set()
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        for f in filenames:
            found.add(os.path.normpath(os.path.join(rel, f)))
        if not dirnames and not filenames and rel != ".":
            found.add(rel + "/")
    return found


def dpkg(args):
    """dpkg, waiting for its lock while another package manager runs."""
    deadline = time.monotonic() + DPKG_LOCK_WAIT
    while True:
        res = run(["dpkg"] + args, timeout=DPKG_LOCK_WAIT, check_rc=False)
        locked = "lock" in res.stderr and res.returncode != 0
        if not locked or time.monotonic() > deadline:
            break
        time.sleep(2)
    if res.returncode != 0:
        raise Failure("dpkg %s: exit %d: %s" % (" ".join(args), res.returncode,
                                                res.stderr.strip()[-600:]))
    return res


def package_installed():
    res = run(["dpkg-query", "-W", "-f=${Status}", PACKAGE], check_rc=False)
    return res.returncode == 0 and res.stdout.endswith("ok installed")


def installed_files():
    """Paths dpkg says the installed package owns (files only)."""
    out = run(["dpkg-query", "-L", PACKAGE]).stdout.split("\n")
    return [p for p in out if p and os.path.isfile(p)]


def require_installed():
    check(package_installed(), "the package is not installed (dpkg_install failed?)")


def unit_capabilities(unit=UNIT):
    """CAP_* names of the unit's CapabilityBoundingSet=."""
    with open(unit) as f:
        m = re.search(r"^CapabilityBoundingSet=(.*)$", f.read(), re.M)
    check(m, "%s has no CapabilityBoundingSet=" % unit)
    return m.group(1).split()


def help_options(binary):
    """Every -x and --long option --help names in its Options section."""
    text = run([binary, "--help"]).stdout
    section = text.split("Options:", 1)[1].split("Examples:", 1)[0]
    return sorted(set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*|-[A-Za-z0-9])(?![\w])", section)))


# --------------------------------------------------------------------------
# a tracer from the installed binary, and a scenario in a namespace

class Tracer:
    """rsttrace started with argv (a prefix such as setpriv allowed), its
    stdout into a file, stderr kept; stop() sends SIGTERM and waits."""

    def __init__(self, argv, stdout_path, attach_timeout=30):
        self.stdout_path = stdout_path
        self.stderr_path = stdout_path + ".stderr"
        with open(stdout_path, "ab") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(argv, stdout=out, stderr=err,
                                         preexec_fn=nslib.die_with_parent)
        _processes.append(self.proc)
        deadline = time.monotonic() + attach_timeout
        while ATTACHED not in self.stderr():
            if self.proc.poll() is not None:
                raise Failure("rsttrace exited %d before attaching: %s"
                              % (self.proc.returncode, self.stderr().strip()[-600:]))
            if time.monotonic() > deadline:
                raise Failure("rsttrace did not attach within %ds" % attach_timeout)
            time.sleep(0.05)

    def stderr(self):
        with open(self.stderr_path, errors="replace") as f:
            return f.read()

    def stop(self):
        """SIGTERM rsttrace itself: under a wrapper that forks (strace),
        that is the wrapper's child, and strace, signalled instead, would
        detach and leave rsttrace running. The wrapper exits with it."""
        for pid in descendants(self.proc.pid) or [self.proc.pid]:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        stop_tree(self.proc)
        return self.proc.returncode

    def records(self):
        with open(self.stdout_path) as f:
            return [json.loads(line) for line in f if line.strip()]


def as_under_systemd(argv):
    """argv run with the mounts a service has under systemd, which mounts
    tracefs at boot (sys-kernel-tracing.mount); a bare machine may lack it,
    and the unit's capabilities cannot mount it. Where missing, it is
    mounted in a private mount namespace: the machine's mounts stay as found."""
    if os.path.ismount("/sys/kernel/tracing"):
        return argv
    return ["unshare", "-m", "--propagation", "private", "sh", "-c",
            'mount -t tracefs nodev /sys/kernel/tracing && exec "$@"', "sh"] + list(argv)


def scenario_namespace():
    """A namespace where the scenario's listener overflows into resets."""
    ns = nslib.Netns()
    ns.sysctl({"net.ipv4.tcp_abort_on_overflow": 1})
    return ns


def run_scenario(ns):
    res = ns.exec(["python3", SCENARIO], timeout=30)
    check(res.stdout.strip() == "done", "scenario: %s" % res.stderr.strip())


def descendants(pid):
    """Pids of a process's children, grandchildren, ... (deepest last)."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            with open("/proc/%d/task/%d/children" % (p, p)) as f:
                kids = [int(k) for k in f.read().split()]
        except OSError:
            kids = []
        found.extend(kids)
        todo.extend(kids)
    return found


def stop_tree(proc, sig=signal.SIGTERM):
    """Stop a process we started and whatever it started, by pid."""
    for pid in reversed(descendants(proc.pid)):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    nslib.stop_process(proc, sig)
    if proc in _processes:
        _processes.remove(proc)


def stop_all():
    for proc in list(_processes):
        stop_tree(proc, signal.SIGKILL)


# man-db (dpkg's trigger running mandb as the man page comes and goes, or
# the docs tests' `man`) can leave an 8 KB database temp file in /tmp: seen
# after every full run of this suite, never after subsets. The ones that
# were not there when the suite started are removed with the package.
MANDB_TEMP = "/tmp/mldbm-elf-*"
_mandb_temp_before = set(glob.glob(MANDB_TEMP))


def leave_clean():
    """Whatever failed, the machine does not keep the package, nor the
    temp files its man page's triggers left."""
    res = subprocess.run(["dpkg-query", "-W", "-f=${Status}", PACKAGE],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    if res.returncode == 0 and "not-installed" not in res.stdout:
        try:
            dpkg(["-P", PACKAGE])
        except Failure as e:
            print("cleanup: %s" % e)
    for path in set(glob.glob(MANDB_TEMP)) - _mandb_temp_before:
        try:
            os.unlink(path)
        except OSError as e:
            print("cleanup: %s" % e)
