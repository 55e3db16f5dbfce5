#!/bin/sh
# Guest job for the -smp 2 experiment of docs/kernels.md ("Why -smp 1"):
# attaches and detaches syscall tracepoints in a loop while other processes
# run the patched syscall paths on every vCPU, then counts oopses.
#   attach_loop.sh REPO MODE MAX_CYCLES MAX_SECONDS
# MODE perf: perf_event_open() on syscalls/sys_exit_accept4 and
#   sys_enter_listen on every CPU, then close (what bpftrace does before
#   attaching its program; the attach is what flips the static keys);
# MODE rsttrace: `rsttrace -d 1`, which attaches those tracepoints too.
# Results in /run/rsttrace-out: attach.log (one line per cycle),
# dmesg.txt, oops.count (if the guest survives).
repo=$1
mode=$2
max_cycles=$3
max_s=$4
out=/run/rsttrace-out
ncpu=$(nproc)
echo "mode $mode, $ncpu cpus, up to $max_cycles cycles or ${max_s}s" >"$out/attach.log"
uname -r >"$out/uname"

# Syscall load on every vCPU: accept4() on a non-blocking listener (EAGAIN:
# sys_enter/sys_exit_accept4 every time) and getppid(), forever.
load_pids=
cpu=0
while [ "$cpu" -lt "$ncpu" ]; do
	/usr/bin/python3 -c '
import os, socket, sys
os.sched_setaffinity(0, {int(sys.argv[1])})
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(1)
s.setblocking(False)
while True:
    try:
        s.accept()
    except BlockingIOError:
        pass
    os.getppid()
' "$cpu" &
	load_pids="$load_pids $!"
	cpu=$((cpu + 1))
done

# A guest oops here is fatal ("Fatal exception in interrupt", panic=-1 and
# -no-reboot end the guest): the console (console.log) has it, and the last
# cycle line of attach.log says how far the loop got.
start=$(date +%s)
case $mode in
perf)
	# One process for every cycle: starting python3 takes seconds under TCG.
	/usr/bin/python3 - "$ncpu" "$max_cycles" "$max_s" "$out/attach.log" <<'PY'
import ctypes, os, struct, sys, time
libc = ctypes.CDLL(None, use_errno=True)
ncpu, max_cycles, max_s = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
log = open(sys.argv[4], "a", buffering=1)
attrs = []
for ev in ("sys_exit_accept4", "sys_enter_listen"):
    tid = int(open("/sys/kernel/tracing/events/syscalls/%s/id" % ev).read())
    # struct perf_event_attr, PERF_ATTR_SIZE_VER5 (112 bytes): type 2
    # (tracepoint), config = id, sample_period 1, sample_type RAW, enabled.
    attr = struct.pack("IIQQQQ", 2, 112, tid, 1, 1 << 10, 0).ljust(112, b"\0")
    attrs.append((ev, ctypes.create_string_buffer(attr, 112)))
start = time.monotonic()
i = 0
while i < max_cycles and time.monotonic() - start < max_s:
    i += 1
    fds = []
    for ev, buf in attrs:
        for cpu in range(ncpu):
            fd = libc.syscall(298, buf, -1, cpu, -1, 0)
            if fd < 0:
                sys.exit("perf_event_open %s cpu %d: %s" % (ev, cpu, os.strerror(ctypes.get_errno())))
            fds.append(fd)
    time.sleep(0.05)
    for fd in fds:
        os.close(fd)
    time.sleep(0.05)
    log.write("cycle %d %.1fs\n" % (i, time.monotonic() - start))
PY
	;;
rsttrace)
	i=0
	while [ "$i" -lt "$max_cycles" ] && [ $(($(date +%s) - start)) -lt "$max_s" ]; do
		i=$((i + 1))
		t0=$(date +%s)
		"$repo/rsttrace" -d 1 >/dev/null 2>"$out/cycle.err"
		rc=$?
		echo "cycle $i rc $rc $(($(date +%s) - t0))s $(head -c 200 "$out/cycle.err" | tr '\n' ' ')" >>"$out/attach.log"
	done
	;;
esac
for p in $load_pids; do kill "$p"; done
wait
dmesg >"$out/dmesg.txt"
oops=$(grep -cE 'Oops|BUG:|general protection' "$out/dmesg.txt")
echo "$oops" >"$out/oops.count"
echo "done: $(($(date +%s) - start))s, oops lines $oops" >>"$out/attach.log"
echo 0 >"$out/rc"
