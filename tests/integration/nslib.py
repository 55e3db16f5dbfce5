"""Network-namespace helpers for the rsttrace integration tests.

Everything here touches only namespaces this process created (named
rtt-<pid>-<n>); sysctls are set inside them, never in the root namespace.
Every namespace and every process started through this module is
registered for cleanup, so an atexit hook can remove leftovers even when a
test dies half-way.
"""

import atexit
import ctypes
import os
import select
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PEER = os.path.join(HERE, "peer.py")
NETNS_DIR = "/var/run/netns"

_namespaces = []   # names still to delete
_processes = []    # Popen objects still to stop
_counter = [0]

# Deadlines (never scenario timing) are multiplied by this: a guest kernel
# under QEMU TCG runs about 5x slower (tests/kernels, docs/kernels.md).
TIME_SCALE = float(os.environ.get("RSTTRACE_TIME_SCALE", "1"))
# Namespace names start with this (runs that share a machine use their own).
NETNS_PREFIX = os.environ.get("RSTTRACE_NETNS_PREFIX", "rtt")


def run(cmd, check=True, timeout=10):
    """Run a short command; raise with its stderr when it fails."""
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, timeout=timeout * TIME_SCALE)
    if check and res.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd), res.returncode,
                                                   res.stderr.strip()))
    return res


# --------------------------------------------------------------------------
# process bookkeeping

def die_with_parent():
    """preexec_fn: SIGTERM this child if the test runner dies, even by
    SIGKILL, so no tracer or peer outlives it (survives exec)."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def track(proc):
    """Register a Popen so cleanup() stops it if the test does not."""
    _processes.append(proc)
    return proc


def stop_process(proc, sig=signal.SIGTERM, timeout=5):
    """Stop one process we started, by its pid; escalate to SIGKILL."""
    if proc.poll() is None:
        try:
            os.kill(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=timeout * TIME_SCALE)
        except subprocess.TimeoutExpired:
            try:
                os.kill(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=timeout)
    if proc in _processes:
        _processes.remove(proc)


# --------------------------------------------------------------------------
# namespaces

class Netns:
    """A throw-away network namespace with lo up."""

    def __init__(self):
        _counter[0] += 1
        self.name = "%s-%d-%d" % (NETNS_PREFIX, os.getpid(), _counter[0])
        run(["ip", "netns", "add", self.name])
        _namespaces.append(self.name)
        self.exec(["ip", "link", "set", "lo", "up"])
        self.inode = os.stat(os.path.join(NETNS_DIR, self.name)).st_ino

    def cmd(self, argv):
        return ["ip", "netns", "exec", self.name] + list(argv)

    def exec(self, argv, check=True, timeout=10):
        return run(self.cmd(argv), check=check, timeout=timeout)

    def sysctl(self, settings):
        """Set {"net.ipv4.tcp_syncookies": 0, ...} inside this namespace."""
        args = ["%s=%s" % kv for kv in settings.items()]
        self.exec(["sysctl", "-q", "-w"] + args)

    def counters(self):
        """Absolute SNMP/netstat counters of this namespace as a dict.

        nstat normally diffs against a per-user history file; -a asks for
        absolute values and -s for not updating the history, and
        NSTAT_HISTORY points at a scratch file so a user's own nstat
        history is never read or written.
        """
        with tempfile.NamedTemporaryFile(prefix="rtt-nstat-") as hist:
            env = dict(os.environ, NSTAT_HISTORY=hist.name)
            res = subprocess.run(self.cmd(["nstat", "-asz"]), env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True, timeout=10 * TIME_SCALE)
        if res.returncode != 0:
            raise RuntimeError("nstat in %s: %s" % (self.name, res.stderr.strip()))
        values = {}
        for line in res.stdout.splitlines():
            fields = line.split()
            if len(fields) >= 2 and not line.startswith("#"):
                values[fields[0]] = int(fields[1])
        return values

    def peer(self):
        """Start a peer.py command server inside this namespace."""
        return Peer(self)

    def delete(self):
        if self.name in _namespaces:
            _namespaces.remove(self.name)
            run(["ip", "netns", "del", self.name], check=False)


class VethPair:
    """A veth pair between a client and a server namespace.

    The client end gets 10.77.<subnet>.1 and fd77:<subnet>::1, the server
    end .2 and ::2.  nodad makes the IPv6 addresses usable at once instead
    of after duplicate address detection.
    """

    def __init__(self, client, server, subnet):
        self.client_dev, self.server_dev = "rttc%d" % subnet, "rtts%d" % subnet
        self.client_addr = {"ipv4": "10.77.%d.1" % subnet, "ipv6": "fd77:%x::1" % subnet}
        self.server_addr = {"ipv4": "10.77.%d.2" % subnet, "ipv6": "fd77:%x::2" % subnet}
        client.exec(["ip", "link", "add", self.client_dev, "type", "veth",
                     "peer", "name", self.server_dev])
        client.exec(["ip", "link", "set", self.server_dev, "netns", server.name])
        for ns, dev, addr in ((client, self.client_dev, self.client_addr),
                              (server, self.server_dev, self.server_addr)):
            ns.exec(["ip", "addr", "add", addr["ipv4"] + "/24", "dev", dev])
            ns.exec(["ip", "-6", "addr", "add", addr["ipv6"] + "/64", "dev", dev, "nodad"])
            ns.exec(["ip", "link", "set", dev, "up"])


def counter_delta(before, after, name):
    return after.get(name, 0) - before.get(name, 0)


def snapshot(namespaces):
    """{ns.inode: counters} snapshot of several namespaces."""
    return {ns.inode: ns.counters() for ns in namespaces}


def sum_delta(before, after, name):
    """Sum of one counter's change over the namespaces of two snapshots."""
    return sum(counter_delta(before[k], after[k], name) for k in before)


# --------------------------------------------------------------------------
# what rsttrace should report about a process

def process_comm(pid):
    with open("/proc/%d/comm" % pid) as f:
        return f.read().rstrip("\n")


def cgroup2_mount():
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            fstype = fields[fields.index("-") + 1]
            if fstype == "cgroup2":
                return fields[4]
    return None


def process_cgroup_id(pid):
    """Inode of the process's cgroup v2 directory; None without cgroup v2."""
    mount = cgroup2_mount()
    if mount is None:
        return None
    with open("/proc/%d/cgroup" % pid) as f:
        for line in f:
            if line.startswith("0::"):
                return os.stat(mount + line[3:].rstrip("\n")).st_ino
    return None


# --------------------------------------------------------------------------
# scenario peers

class PeerError(Exception):
    pass


class Peer:
    """A peer.py process in a namespace, driven line by line over pipes.

    `ip netns exec NS cmd` setns()es and then execs cmd without forking, so
    Popen.pid is the pid of the python process that owns the sockets; the
    peer reports its own pid on start-up and we check they agree.
    """

    def __init__(self, ns):
        self.ns = ns
        self.proc = track(subprocess.Popen(
            ns.cmd([sys.executable, "-u", PEER]),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, bufsize=1, preexec_fn=die_with_parent))
        hello = self._read_line(10)
        if not hello.startswith("hello pid="):
            raise PeerError("peer did not start: %r %s" % (hello, self._stderr()))
        self.pid = int(hello.split("=", 1)[1])
        if self.pid != self.proc.pid:
            raise PeerError("ip netns exec forked: Popen pid %d, peer pid %d"
                            % (self.proc.pid, self.pid))
        self.comm = process_comm(self.pid)
        self.cgroup_id = process_cgroup_id(self.pid)

    def _stderr(self):
        if self.proc.poll() is None:
            return ""
        return self.proc.stderr.read().strip()

    def _read_line(self, timeout):
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout * TIME_SCALE)
        if not ready:
            raise PeerError("peer %d: no answer within %ss" % (self.proc.pid, timeout))
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait(timeout=5)
            raise PeerError("peer %d exited: %s" % (self.proc.pid, self._stderr()))
        return line.rstrip("\n")

    def send(self, command):
        """Send a command without waiting for its answer."""
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()

    def answer(self, timeout=10):
        """Read the answer to a command sent earlier: the words after 'ok'."""
        line = self._read_line(timeout)
        words = line.split()
        if not words or words[0] != "ok":
            raise PeerError("peer %d: %s" % (self.proc.pid, line))
        return words[1:]

    def call(self, command, timeout=10):
        self.send(command)
        return self.answer(timeout)

    def close(self):
        """Ask the peer to exit (closing its sockets), then make sure it did."""
        if self.proc.poll() is None:
            try:
                self.send("exit")
                self.proc.wait(timeout=5)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                pass
        stop_process(self.proc)
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                f.close()
            except OSError:
                pass


# --------------------------------------------------------------------------
# cleanup

def cleanup():
    """Stop every tracked process and delete every namespace we made."""
    for proc in list(_processes):
        try:
            stop_process(proc, signal.SIGKILL)
        except Exception:
            pass
    for name in list(_namespaces):
        run(["ip", "netns", "del", name], check=False)
        _namespaces.remove(name)


def remove_stale_namespaces():
    """Delete rtt-<pid>-<n> namespaces left by a runner that was killed
    (SIGKILL skips atexit); only those whose runner pid is gone."""
    if not os.path.isdir(NETNS_DIR):
        return
    for name in os.listdir(NETNS_DIR):
        parts = name.split("-")
        if len(parts) == 3 and parts[0] == "rtt" and parts[1].isdigit():
            if not os.path.exists("/proc/%s" % parts[1]):
                run(["ip", "netns", "del", name], check=False)


atexit.register(cleanup)
