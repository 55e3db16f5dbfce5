"""Container identity from real containers (runc, busybox rootfs): a reset
on a socket a container's process owns names that container, its cgroup
path and its Kubernetes pod, field by field; --cgroup keeps only it."""

import os
import uuid

import runc_lib
from harness import CLOSED_PORT, Session, connect, dig, of_type, test
from nslib import Netns

# The container's process: a shell that runs `nc` to the port it reads,
# in the container's own cgroup and our network namespace.
SCRIPT = ("echo ready; while read port; do nc 127.0.0.1 $port </dev/null; "
          "echo done $?; done")


def kubepods_container(ns):
    """A container laid out as kubelet's cgroupfs driver does it (under a
    top directory of ours, so parallel runs never meet)."""
    cid = uuid.uuid4().hex + uuid.uuid4().hex
    pod = str(uuid.uuid4())
    path = "/rtt-%d-%s/kubepods/besteffort/pod%s/%s" % (os.getpid(), cid[:6], pod, cid)
    return runc_lib.Container(ns, path, cid, SCRIPT), cid, pod, path


def container_fields(prefix, ctr, cid, pod, path):
    return {prefix + ".comm": "nc", prefix + ".cgroup_id": ctr.cgroup_id,
            prefix + ".cgroup": path, prefix + ".container.id": cid,
            prefix + ".container.runtime": "cri", prefix + ".container.pod_uid": pod,
            prefix + ".source": "connect"}


@test("container_identity", tracer_only=True)
def t_container_identity(ctx, check):
    """Tracer first, container after: the resolver learns the new cgroup
    as runc makes it, before the reset needs it."""
    why = runc_lib.available()
    check.that(why is None, "cannot run containers: %s" % why)
    if why:
        return
    ns = Netns()
    host = ns.peer()
    with Session(ctx, check, [ns]) as s:
        ctr, cid, pod, path = kubepods_container(ns)
        try:
            check.that(ctr.read_line() == "ready", "container did not start")
            ctr_id = ctr.cgroup_id
            answer = ctr.call(str(CLOSED_PORT))
            # The same reset from a process outside any container.
            result, _ = connect(host, "H", "ipv4", "127.0.0.1", CLOSED_PORT)
            s.finish_scenario(host, expect=4)
        finally:
            ctr.close()
    check.that(answer == "done 1", "container's nc: %r, expected refused (done 1)" % answer)
    check.that(result == "ECONNREFUSED", "host connect: %s" % result)
    check.that(s.delta("TcpOutRsts") == 2, "TcpOutRsts delta %d, expected 2"
               % s.delta("TcpOutRsts"))
    s.check_rst_count()
    received = of_type(s.events(), "rst_received")
    mine = [e for e in received if dig(e, "owner.cgroup_id") == ctr_id]
    ev = check.one(mine, "rst_received owned by the container")
    if ev:
        check.fields(ev, dict(container_fields("owner", ctr, cid, pod, path),
                              **{"owner.cgroup_id": ctr_id, "remote.port": CLOSED_PORT,
                                 "state": "SYN_SENT"}), "container's reset")
    others = [e for e in received if e not in mine]
    other = check.one(others, "rst_received owned by the host peer")
    if other:
        check.fields(other, {"owner.pid": host.pid, "owner.cgroup_id": host.cgroup_id,
                             "owner.container": None}, "host peer's reset")
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
    ctr, cid, pod, path = kubepods_container(ns)
    try:
        check.that(ctr.read_line() == "ready", "container did not start")
        ctr_id = ctr.cgroup_id
        with Session(ctx, check, [ns], ["--cgroup", path]) as s:
            answers = [ctr.call(str(CLOSED_PORT)) for _ in range(2)]
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
        check.fields(ev, container_fields("owner", ctr, cid, pod, path), "filtered reset")
    check.that(not of_type(s.events(), "rst_sent"),
               "rst_sent without an owner passed --cgroup", *of_type(s.events(), "rst_sent"))
