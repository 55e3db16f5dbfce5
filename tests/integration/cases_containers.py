"""Container identity from real containers (runc, busybox rootfs): a reset
on a socket a container's process owns names that container, its cgroup
path and its Kubernetes pod, field by field, in JSON and in text; a
listener in a frozen container is named as the owner of its overflows;
--cgroup keeps only the container's sockets."""

import os
import signal
import subprocess
import tempfile
import time
import uuid

import nslib
import runc_lib
from cases_explain import ScriptPeer
from harness import CLOSED_PORT, Session, connect, dig, of_type, parse_kv, test
from nslib import Netns

runc_lib.remove_stale_cgroups()

# The container's process: a shell that runs `nc` to the port it reads,
# in the container's own cgroup and our network namespace.
# "listen PORT" starts a busybox nc listener in the background instead.
SCRIPT = ("echo ready; while read cmd port; do if [ $cmd = listen ]; then "
          "nc -l -p $port </dev/null >/dev/null 2>&1 & echo listening; else "
          "nc 127.0.0.1 $port </dev/null; echo done $?; fi; done")


# cgroup layouts of real runtimes, each under a top directory of ours so
# that parallel runs never meet: (name, path below the top, runtime, pod?)
LAYOUTS = (
    ("kubelet cgroupfs", "kubepods/besteffort/pod{pod}/{cid}", "cri", True),
    ("docker systemd", "system.slice/docker-{cid}.scope", "docker", False),
    ("podman", "machine.slice/libpod-{cid}.scope", "podman", False),
)


def start_container(ns, layout=LAYOUTS[0]):
    """-> (container, expected owner fields without cgroup_id)."""
    _, below, runtime, with_pod = layout
    cid = uuid.uuid4().hex + uuid.uuid4().hex
    pod = str(uuid.uuid4())
    path = "/rtt-%d-%s/" % (os.getpid(), cid[:6]) + below.format(pod=pod, cid=cid)
    ctr = runc_lib.Container(ns, path, cid, SCRIPT)
    return ctr, {"owner.comm": "nc", "owner.cgroup": path, "owner.container.id": cid,
                 "owner.container.runtime": runtime,
                 "owner.container.pod_uid": pod if with_pod else None,
                 "owner.source": "connect"}


@test("container_identity", tracer_only=True)
def t_container_identity(ctx, check):
    """Tracer first, containers after: the resolver learns each new cgroup
    as runc makes it, before the reset needs it. One container per layout."""
    why = runc_lib.available()
    check.that(why is None, "cannot run containers: %s" % why)
    if why:
        return
    ns = Netns()
    host = ns.peer()
    started = []
    with Session(ctx, check, [ns]) as s:
        try:
            for layout in LAYOUTS:
                ctr, fields = start_container(ns, layout)
                started.append((layout[0], ctr, fields))
                check.that(ctr.read_line() == "ready", "%s: container did not start" % layout[0])
                fields["owner.cgroup_id"] = ctr.cgroup_id
                answer = ctr.call("connect %d" % CLOSED_PORT)
                check.that(answer == "done 1", "%s: nc gave %r, expected refused (done 1)"
                           % (layout[0], answer))
            # The same reset from a process outside any container.
            result, _ = connect(host, "H", "ipv4", "127.0.0.1", CLOSED_PORT)
            s.finish_scenario(host, expect=2 * (len(LAYOUTS) + 1))
        finally:
            for _, ctr, _ in started:
                ctr.close()
    check.that(result == "ECONNREFUSED", "host connect: %s" % result)
    check.that(s.delta("TcpOutRsts") == len(LAYOUTS) + 1, "TcpOutRsts delta %d, expected %d"
               % (s.delta("TcpOutRsts"), len(LAYOUTS) + 1))
    s.check_rst_count()
    received = of_type(s.events(), "rst_received")
    for name, ctr, fields in started:
        mine = [e for e in received if dig(e, "owner.cgroup_id") == fields["owner.cgroup_id"]]
        ev = check.one(mine, "%s: rst_received owned by the container" % name)
        if ev:
            check.fields(ev, dict(fields, **{"remote.port": CLOSED_PORT, "state": "SYN_SENT"}),
                         name)
    other = check.one(of_type(s.events(), "rst_received", owner__pid=host.pid),
                      "rst_received owned by the host peer")
    if other:
        check.fields(other, {"owner.cgroup_id": host.cgroup_id, "owner.container": None},
                     "host peer's reset")
        check.that(isinstance(dig(other, "owner.cgroup"), str),
                   "host peer's cgroup path unknown", other)


@test("container_cgroup_filter", tracer_only=True)
def t_container_cgroup_filter(ctx, check):
    """--cgroup PATH: only the container's sockets, filtered in the kernel,
    while a host process in the same namespace gets the same resets."""
    why = runc_lib.available()
    check.that(why is None, "cannot run containers: %s" % why)
    if why:
        return
    ns = Netns()
    host = ns.peer()
    ctr, fields = start_container(ns)
    path = fields["owner.cgroup"]
    try:
        check.that(ctr.read_line() == "ready", "container did not start")
        ctr_id = ctr.cgroup_id
        with Session(ctx, check, [ns], ["--cgroup", path]) as s:
            answers = [ctr.call("connect %d" % CLOSED_PORT) for _ in range(2)]
            results = [connect(host, "H%d" % i, "ipv4", "127.0.0.1", CLOSED_PORT)[0]
                       for i in range(2)]
            s.finish_scenario(host, expect=2)
    finally:
        ctr.close()
    check.that(answers == ["done 1"] * 2, "container's nc: %s" % answers)
    check.that(results == ["ECONNREFUSED"] * 2, "host connects: %s" % results)
    check.that(s.delta("TcpOutRsts") == 4, "TcpOutRsts delta %d, expected 4"
               % s.delta("TcpOutRsts"))
    if not s.traced:
        return
    # The filter applies everywhere: every event of the run is the container's.
    for ev in s.run.events:
        check.that(dig(ev, "owner.cgroup_id") == ctr_id or
                   dig(ev, "listener.owner.cgroup_id") == ctr_id,
                   "event of another cgroup passed --cgroup", ev)
    mine = of_type(s.events(), "rst_received")
    check.that(len(mine) == 2, "%d rst_received of the container, expected 2" % len(mine),
               *mine)
    for ev in mine:
        check.fields(ev, dict(fields, **{"owner.cgroup_id": ctr_id}), "filtered reset")
    check.that(not of_type(s.events(), "rst_sent"),
               "rst_sent without an owner passed --cgroup", *of_type(s.events(), "rst_sent"))


@test("container_listener_overflow", tracer_only=True)
def t_container_listener_overflow(ctx, check):
    """A listener in a container (busybox nc -l), the container frozen
    (runc pause) so that nothing accepts, a burst of connects from the
    host: the overflows name the container as the listener's owner."""
    why = runc_lib.available()
    check.that(why is None, "cannot run containers: %s" % why)
    if why:
        return
    ns = Netns()
    ns.sysctl({"net.ipv4.tcp_syncookies": 0})
    client = ScriptPeer(ns)
    port = 20121
    with Session(ctx, check, [ns]) as s:
        ctr, fields = start_container(ns)
        try:
            check.that(ctr.read_line() == "ready", "container did not start")
            fields["owner.cgroup_id"] = ctr.cgroup_id
            check.that(ctr.call("listen %d" % port) == "listening", "nc -l did not start")
            # nc must be in accept() before the freeze: wait for its listener.
            deadline = time.time() + 5
            while time.time() < deadline and ":%d " % port not in ns.exec(
                    ["ss", "-Hltn"]).stdout:
                time.sleep(0.05)
            ctr.runc("pause")
            burst = parse_kv(client.call("burst G 4 127.0.0.1 %d 8 1.2" % port, timeout=15))
            client.close()
            ctr.runc("resume")
        finally:
            ctr.close()
        s.finish_scenario()
    overflows = s.delta("TcpExtListenOverflows")
    # 2 fill the queue of listen(1); in a guest under TCG a third may count
    # as connected too: a SYN taken while a handshake was still in progress,
    # whose ACK then overflowed on the ACK path (the client cannot tell).
    check.that(int(burst.get("connected", 0)) >= 2 and overflows > 0,
               "scenario: burst gave %s, ListenOverflows delta %d" % (burst, overflows))
    if not s.traced:
        return
    drops = of_type(s.events(), "listen_overflow", local__port=port)
    check.that(sum(e["count"] for e in drops) + s.unattributed("listen_overflow") == overflows,
               "%d listen_overflow events (+%d unattributed), ListenOverflows delta %d"
               % (sum(e["count"] for e in drops), s.unattributed("listen_overflow"), overflows))
    check.that(len(drops) > 0, "no listen_overflow event")
    for ev in drops:
        want = {k.replace("owner.", "listener.owner.", 1): v for k, v in fields.items()}
        want.update({"listener.owner.comm": "nc", "listener.owner.source": "listen"})
        check.fields(ev, want, "overflow of the container's listener")


@test("container_text", tracer_only=True)
def t_container_text(ctx, check):
    """The text output names the container and pod at the end of the line."""
    why = runc_lib.available()
    check.that(why is None, "cannot run containers: %s" % why)
    if why:
        return
    ns = Netns()
    out = tempfile.NamedTemporaryFile(mode="w+", prefix="rtt-text-")
    tracer = nslib.track(subprocess.Popen(
        [ctx.binary, "--wide", "--every-event", "--netns", str(ns.inode)],
        stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.PIPE, text=True,
        preexec_fn=nslib.die_with_parent))
    attached = False
    for line in tracer.stderr:
        if "attached:" in line:
            attached = True
            break
    check.that(attached, "text tracer did not attach")
    ctr, fields = start_container(ns)
    try:
        check.that(ctr.read_line() == "ready", "container did not start")
        check.that(ctr.call("connect %d" % CLOSED_PORT) == "done 1", "nc was not refused")
        time.sleep(0.5)
    finally:
        ctr.close()
        tracer.send_signal(signal.SIGINT)
        tracer.wait(timeout=10)
        nslib.stop_process(tracer)
    out.seek(0)
    lines = [l for l in out.read().splitlines() if " rst_received " in l]
    want = " [container cri:%s pod %s]" % (fields["owner.container.id"][:12],
                                          fields["owner.container.pod_uid"])
    line = lines[0] if len(lines) == 1 else None
    check.that(line is not None, "%d rst_received lines, expected 1: %s" % (len(lines), lines))
    if line:
        check.that(line.endswith(want), "text line does not end with %r: %s" % (want, line))
        check.that(" nc " in line, "text line does not name nc: %s" % line)
    out.close()
