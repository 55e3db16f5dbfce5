"""Real containers for the tests: Debian's runc, a root filesystem of
busybox (static), the cgroupfs driver, and the network namespace of one of
our Netns objects. No image, no registry, no daemon."""

import json
import os
import re
import select
import shutil
import subprocess
import tempfile

import nslib

BUSYBOX = "/bin/busybox"
APPLETS = ("sh", "nc", "sleep", "cat", "echo")
CGROUP_ROOT = "/sys/fs/cgroup"
_counter = [0]


def available():
    """None when runc and a static busybox are here, else why not."""
    if shutil.which("runc") is None:
        return "runc is not installed (apt-get install runc)"
    if not os.path.exists(BUSYBOX):
        return "no %s (apt-get install busybox-static)" % BUSYBOX
    if nslib.cgroup2_mount() is None:
        return "no cgroup v2 mount"
    return None


def remove_cgroup_tree(top):
    """rmdir /<top> and below in every hierarchy: runc removes only the
    container's own cgroup, not the parents it made."""
    for hier in os.listdir(CGROUP_ROOT):
        base = os.path.join(CGROUP_ROOT, hier, top.strip("/"))
        if not os.path.isdir(base):
            continue
        for dirpath, dirnames, _ in sorted(os.walk(base), key=lambda w: -len(w[0])):
            try:
                os.rmdir(dirpath)
            except OSError:
                pass


def remove_stale_cgroups():
    """Top directories rtt-PID-* left by a test runner that was killed."""
    if not os.path.isdir(CGROUP_ROOT):
        return
    for hier in os.listdir(CGROUP_ROOT):
        try:
            names = os.listdir(os.path.join(CGROUP_ROOT, hier))
        except OSError:
            continue
        for name in names:
            m = re.match(r"rtt-(\d+)-[0-9a-f]+$", name)
            if m and not os.path.exists("/proc/%s" % m.group(1)):
                remove_cgroup_tree(name)


class Container:
    """`runc run` in the foreground: its stdin and stdout are the container
    process's, so the test talks to the shell loop inside by lines."""

    def __init__(self, netns, cgroups_path, cid, script):
        _counter[0] += 1
        self.cid, self.cgroups_path = cid, cgroups_path
        self._cgroup_id = None
        self.top = cgroups_path.strip("/").split("/")[0]
        self.dir = tempfile.mkdtemp(prefix="rtt-ctr-")
        self.state = os.path.join(self.dir, "state")
        rootfs = os.path.join(self.dir, "rootfs")
        for d in ("bin", "proc", "dev", "sys", "tmp"):
            os.makedirs(os.path.join(rootfs, d))
        shutil.copy(BUSYBOX, os.path.join(rootfs, "bin", "busybox"))
        for a in APPLETS:
            os.symlink("busybox", os.path.join(rootfs, "bin", a))
        nslib.run(["runc", "spec", "--bundle", self.dir])
        path = os.path.join(self.dir, "config.json")
        with open(path) as f:
            cfg = json.load(f)
        cfg["process"]["terminal"] = False
        cfg["process"]["args"] = ["sh", "-c", script]
        cfg["linux"]["cgroupsPath"] = cgroups_path
        spaces = [n for n in cfg["linux"]["namespaces"] if n["type"] != "network"]
        spaces.append({"type": "network", "path": os.path.join(nslib.NETNS_DIR, netns.name)})
        cfg["linux"]["namespaces"] = spaces
        with open(path, "w") as f:
            json.dump(cfg, f)
        self.proc = nslib.track(subprocess.Popen(
            ["runc", "--root", self.state, "run", "--bundle", self.dir, cid],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, bufsize=1, preexec_fn=nslib.die_with_parent))

    @property
    def cgroup_id(self):
        """Inode of its cgroup v2 directory, read while it runs and kept."""
        if self._cgroup_id is None:
            self._cgroup_id = os.stat(nslib.cgroup2_mount() + self.cgroups_path).st_ino
        return self._cgroup_id

    def read_line(self, timeout=10):
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            raise nslib.PeerError("container %s: no answer in %ds" % (self.cid[:12], timeout))
        line = self.proc.stdout.readline()
        if not line:
            raise nslib.PeerError("container %s exited: %s" % (
                self.cid[:12], self.proc.stderr.read().strip()))
        return line.rstrip("\n")

    def call(self, line, timeout=10):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self.read_line(timeout)

    def runc(self, *args):
        """runc pause / resume / ... of this container."""
        nslib.run(["runc", "--root", self.state] + list(args) + [self.cid])

    def close(self):
        """End of input ends the loop, the container, and `runc run`."""
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=5)
        except (subprocess.TimeoutExpired, OSError):
            subprocess.run(["runc", "--root", self.state, "kill", self.cid, "KILL"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10)
        nslib.stop_process(self.proc)
        subprocess.run(["runc", "--root", self.state, "delete", "-f", self.cid],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10)
        remove_cgroup_tree(self.top)
        shutil.rmtree(self.dir, ignore_errors=True)
