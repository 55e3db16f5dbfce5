"""A real Prometheus for the tests (Debian's `prometheus`): its own config,
storage in a temporary directory, a free loopback port, scraping rsttrace
every second; queried through its HTTP API."""

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request

import nslib


def available():
    for tool in ("prometheus", "promtool"):
        if shutil.which(tool) is None:
            return "%s is not installed (apt-get install prometheus)" % tool
    return None


def free_port():
    """A loopback port nobody listens on now (bound by the kernel, released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read().decode()


class Prometheus:
    def __init__(self, target):
        self.dir = tempfile.mkdtemp(prefix="rtt-prom-")
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        config = os.path.join(self.dir, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    "scrape_configs:\n  - job_name: rsttrace\n    static_configs:\n"
                    "      - targets: ['%s']\n" % target)
        self.log = open(os.path.join(self.dir, "log"), "w")
        self.proc = nslib.track(subprocess.Popen(
            ["prometheus", "--config.file=" + config,
             "--storage.tsdb.path=" + os.path.join(self.dir, "data"),
             "--web.listen-address=127.0.0.1:%d" % self.port],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
            preexec_fn=nslib.die_with_parent))

    def wait_ready(self, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                if http_get(self.url + "/-/ready", 1)[0] == 200:
                    return True
            except OSError:
                pass
            time.sleep(0.2)
        return False

    def query(self, expr):
        """Instant query -> {frozenset(labels.items()): float}."""
        status, body = http_get(self.url + "/api/v1/query?" +
                                urllib.parse.urlencode({"query": expr}))
        data = json.loads(body)
        if data.get("status") != "success":
            raise RuntimeError("query %s: %s" % (expr, body))
        return {frozenset((k, v) for k, v in r["metric"].items() if k != "__name__"):
                float(r["value"][1]) for r in data["data"]["result"]}

    def scalar(self, expr):
        """The value of a query that gives one series, None when none."""
        res = self.query(expr)
        return next(iter(res.values())) if len(res) == 1 else None

    def log_text(self):
        self.log.flush()
        with open(self.log.name, errors="replace") as f:
            return f.read()

    def close(self):
        nslib.stop_process(self.proc)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def parse_exposition(text):
    """{(name, frozenset(labels)): value} of the text format (our output's
    subset: no escaped quotes or commas inside label values)."""
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        series, value = line.rsplit(" ", 1)
        labels = frozenset()
        if "{" in series:
            name, rest = series.split("{", 1)
            pairs = [p.split("=", 1) for p in rest.rstrip("}").split(",") if p]
            labels = frozenset((k, v.strip('"')) for k, v in pairs)
        else:
            name = series
        samples[(name, labels)] = float(value)
    return samples
