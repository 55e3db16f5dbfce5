#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# rsttrace benchmark (`make bench`). Prints figures; asserts nothing about time.
#
# Measures, in network namespaces it creates (and always deletes):
#   - a connect()-to-a-closed-port RST storm with no tracer, rsttrace --json,
#     rsttrace text, a bpftrace one-liner and tcpdump -w, alternated per round;
#   - rsttrace's event accounting against the kernel's TcpOutRsts;
#   - keep-alive echo traffic (no resets) with and without rsttrace;
#   - the cost per run of each BPF program (kernel.bpf_stats_enabled);
#   - rsttrace's peak RSS and start-up time; accept-queue overflow accounting.
# The readable table goes to stdout, then, as the last line, one JSON object.
# Progress goes to stderr.
#
# Knobs (environment):
#   ROUNDS=5         rounds; every round runs each variant once, in rotated order
#   STORM_N=300000   connections per storm run (~2.5 s with no tracer here)
#   ECHO_SECS=2.5    seconds per echo run (also bounded by ECHO_N requests)
#   ECHO_N=5000000
#   TOPOLOGY=auto    lo (one namespace, loopback), veth (client + server
#                    namespaces), or auto: measure both briefly, keep the faster
#   WORKERS=2        load-generator threads; INFLIGHT=16 connects in flight each
#   OVERFLOW=1       0 skips the accept-queue overflow check
#   QUICK=1          smoke test: 2 rounds, small runs
#   KEEP=1           keep the work directory (event files, captures)
#   RSTTRACE=path    binary to measure (default ./rsttrace)
set -u

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
RSTTRACE=${RSTTRACE:-$ROOT/rsttrace}
QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then
	ROUNDS=${ROUNDS:-2}
	STORM_N=${STORM_N:-40000}
	ECHO_SECS=${ECHO_SECS:-1}
else
	ROUNDS=${ROUNDS:-5}
	STORM_N=${STORM_N:-300000}
	ECHO_SECS=${ECHO_SECS:-2.5}
fi
ECHO_N=${ECHO_N:-5000000}
TOPOLOGY=${TOPOLOGY:-auto}
WORKERS=${WORKERS:-2}
INFLIGHT=${INFLIGHT:-16}
OVERFLOW=${OVERFLOW:-1}
KEEP=${KEEP:-0}
STORM_MAX_SECS=60 # hard bound of one storm run, however slow the tracer makes it

CLOSED_PORT=9
ECHO_PORT=7000
OVF_PORT=8000
OVF_PORTS=16
BPFTRACE_PROG='tracepoint:tcp:tcp_send_reset { printf("rst %d %d %d\n", pid, args->state, args->reason); }'
TCPDUMP_FILTER='tcp[tcpflags] & tcp-rst != 0'

log() { echo "bench: $*" >&2; }
die() {
	log "error: $*"
	exit 1
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }

[ "$(id -u)" = 0 ] || die "must run as root (network namespaces, BPF)"
[ -x "$RSTTRACE" ] || die "$RSTTRACE not found: run 'make rsttrace' first"
for t in ip nstat python3 cc bpftool; do
	command -v $t >/dev/null 2>&1 || die "'$t' is required"
done

# ---------------------------------------------------------------- cleanup
# (Named so that a "pkill -f rsttrace" elsewhere cannot hit the load generator.)
W=$(mktemp -d /tmp/rstbench.XXXXXX) || die "mktemp failed"
NSP="rstb$$"
NS_LO="${NSP}l"
NS_CLI="${NSP}c"
NS_SRV="${NSP}s"
PIDS=""
STATS_PREV=""

track() { PIDS="$PIDS $1"; }
untrack() { PIDS=$(echo " $PIDS " | sed "s/ $1 / /g"); }

# Stops one process we started: signal, bounded wait, then SIGKILL; reaps it.
stop_pid() { # pid signal timeout_s
	_p=$1
	kill -"$2" "$_p" 2>/dev/null
	_i=0
	while kill -0 "$_p" 2>/dev/null && [ $_i -lt $(($3 * 20)) ]; do
		sleep 0.05
		_i=$((_i + 1))
	done
	if kill -0 "$_p" 2>/dev/null; then
		log "warning: pid $_p ignored SIG$2 for $3 s; killing it"
		kill -KILL "$_p" 2>/dev/null
	fi
	wait "$_p" 2>/dev/null
	STOP_RC=$?
	untrack "$_p"
	return 0
}

cleanup() {
	for p in $PIDS; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	for n in "$NS_LO" "$NS_CLI" "$NS_SRV"; do
		ip netns del "$n" 2>/dev/null
	done
	if [ -n "$STATS_PREV" ]; then
		echo "$STATS_PREV" >/proc/sys/kernel/bpf_stats_enabled 2>/dev/null
	fi
	if [ "$KEEP" = 1 ]; then
		log "kept work directory $W"
	else
		rm -rf "$W"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# ---------------------------------------------------------------- tools
RSTGEN="$W/rstgen"
cc -O2 -Wall -pthread -o "$RSTGEN" "$BENCH_DIR/rstgen.c" || die "cannot build bench/rstgen.c"

NOTES=""
note() {
	NOTES="$NOTES$*
"
	log "note: $*"
}

# Optional tools: installed with apt-get when missing; their column is skipped otherwise.
ensure_tool() { # command package
	command -v "$1" >/dev/null 2>&1 && return 0
	log "installing $2 (apt-get)"
	if command -v apt-get >/dev/null 2>&1; then
		DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y -qq "$2" >"$W/apt-$2.log" 2>&1 ||
			{ timeout 300 apt-get update -qq >/dev/null 2>&1 &&
				DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y -qq "$2" >"$W/apt-$2.log" 2>&1; }
	fi
	command -v "$1" >/dev/null 2>&1
}
HAVE_BPFTRACE=1
HAVE_TCPDUMP=1
ensure_tool bpftrace bpftrace || { HAVE_BPFTRACE=0; note "bpftrace unavailable (install failed): column d skipped"; }
ensure_tool tcpdump tcpdump || { HAVE_TCPDUMP=0; note "tcpdump unavailable (install failed): column e skipped"; }

OTHERS=$(pgrep -x 'rsttrace|bpftrace' 2>/dev/null | wc -l)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

R="$W/results.txt"
: >"$R"
record() { echo "$*" >>"$R"; }

# ---------------------------------------------------------------- namespaces
ip netns add "$NS_LO" || die "ip netns add failed"
ip -n "$NS_LO" link set lo up
ip netns add "$NS_CLI" || die "ip netns add failed"
ip netns add "$NS_SRV" || die "ip netns add failed"
ip link add "${NSP}v0" netns "$NS_CLI" type veth peer name "${NSP}v1" netns "$NS_SRV" ||
	die "cannot create the veth pair"
ip -n "$NS_CLI" addr add 10.77.251.1/24 dev "${NSP}v0"
ip -n "$NS_SRV" addr add 10.77.251.2/24 dev "${NSP}v1"
for n in "$NS_CLI" "$NS_SRV"; do ip -n "$n" link set lo up; done
ip -n "$NS_CLI" link set "${NSP}v0" up
ip -n "$NS_SRV" link set "${NSP}v1" up
# Wait (bounded) for the veth carrier.
i=0
while [ $i -lt 50 ] && ! ip -n "$NS_CLI" link show "${NSP}v0" | grep -q 'state UP'; do
	sleep 0.05
	i=$((i + 1))
done

use_topology() {
	TOPO=$1
	if [ "$1" = lo ]; then
		CNS=$NS_LO SNS=$NS_LO DST=127.0.0.1 CAPIF=lo
	else
		CNS=$NS_CLI SNS=$NS_SRV DST=10.77.251.2 CAPIF="${NSP}v1"
	fi
	SNS_INO=$(stat -L -c %i "/var/run/netns/$SNS")
	CNS_INO=$(stat -L -c %i "/var/run/netns/$CNS")
}

nstat_get() { # ns counter -> absolute value
	ip netns exec "$1" env NSTAT_HISTORY=/dev/null nstat -asz "$2" 2>/dev/null |
		awk -v c="$2" '$1 == c { print $2; f = 1 } END { if (!f) print 0 }'
}

kv() { # key line -> value of key=value in line
	echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1
}

storm() { # n -> sets STORM_LINE (rstgen's result, or gen_failed=1 with its exit status)
	ip netns exec "$CNS" "$RSTGEN" closed -d "$DST" -p $CLOSED_PORT -n "$1" \
		-w "$WORKERS" -i "$INFLIGHT" -t $STORM_MAX_SECS >"$W/gen.out" 2>&1
	_rc=$?
	STORM_LINE=$(grep '^mode=' "$W/gen.out" | tail -n 1)
	if [ $_rc != 0 ] || [ -z "$STORM_LINE" ]; then
		log "warning: load generator failed (exit status $_rc): $(tr '\n' ' ' <"$W/gen.out")"
		STORM_LINE="gen_failed=1 gen_rc=$_rc"
	fi
}

# Waits (bounded) until a file contains a pattern; fails if the process died.
wait_line() { # file pattern timeout_s pid
	_i=0
	while [ $_i -lt $(($3 * 50)) ]; do
		grep -q "$2" "$1" 2>/dev/null && return 0
		kill -0 "$4" 2>/dev/null || return 1
		sleep 0.02
		_i=$((_i + 1))
	done
	return 1
}

# ---------------------------------------------------------------- foreign tracers
# Another rsttrace or bpftrace on the machine (a test suite, a colleague) runs
# its BPF programs on our storm too, so "no tracer" would not be: before each
# run wait for them to go, within a budget, and record how many were there.
QUIET_WAIT=${QUIET_WAIT:-10}        # seconds per run
QUIET_BUDGET=${QUIET_BUDGET:-120}   # seconds for the whole benchmark
QUIET_SPENT=0
foreign_tracers() {
	_n=0
	for _p in $(pgrep -x 'rsttrace|bpftrace' 2>/dev/null); do
		case " $PIDS " in *" $_p "*) ;; *) _n=$((_n + 1)) ;; esac
	done
	echo $_n
}
wait_quiet() { # -> sets FOREIGN (count left when the run starts)
	FOREIGN=$(foreign_tracers)
	_w=0
	while [ "$FOREIGN" -gt 0 ] && [ $_w -lt $((QUIET_WAIT * 4)) ] && [ $QUIET_SPENT -lt $((QUIET_BUDGET * 4)) ]; do
		sleep 0.25
		_w=$((_w + 1))
		QUIET_SPENT=$((QUIET_SPENT + 1))
		FOREIGN=$(foreign_tracers)
	done
}

# ---------------------------------------------------------------- tracers
TICK=$(getconf CLK_TCK 2>/dev/null || echo 100)
# start_tracer VARIANT TAG: sets TPID (empty for none), TOUT, TERR, ATTACH_MS.
start_tracer() {
	TPID="" TOUT="$W/$2.out" TERR="$W/$2.err" ATTACH_MS="" CPU0=""
	: >"$TOUT"
	: >"$TERR"
	_t0=$(now_ms)
	case $1 in
	a) return 0 ;;
	b) "$RSTTRACE" --json >"$TOUT" 2>"$TERR" & ;;
	c) "$RSTTRACE" >/dev/null 2>"$TERR" & ;;
	d) bpftrace -e "$BPFTRACE_PROG" >"$TOUT" 2>"$TERR" & ;;
	e) ip netns exec "$SNS" tcpdump -Z root -i "$CAPIF" -n -w "$TOUT" "$TCPDUMP_FILTER" 2>"$TERR" & ;;
	esac
	TPID=$!
	track $TPID
	case $1 in
	b | c) wait_line "$TERR" 'rsttrace: attached' 30 $TPID || { tracer_failed "$1"; return 1; } ;;
	d)
		wait_line "$TOUT" 'Attaching' 60 $TPID || { tracer_failed "$1"; return 1; }
		# bpftrace prints "Attaching" just before it attaches.
		sleep 1
		;;
	e) wait_line "$TERR" 'listening on' 30 $TPID || { tracer_failed "$1"; return 1; } ;;
	esac
	ATTACH_MS=$(($(now_ms) - _t0))
	CPU0=$(proc_cpu_ms $TPID)
	return 0
}

proc_cpu_ms() { # pid -> user + system CPU time so far, ms (fields 14, 15 of stat)
	awk -v t="$TICK" '{ printf "%d", ($14 + $15) * 1000 / t }' "/proc/$1/stat" 2>/dev/null
}

tracer_failed() {
	log "warning: tracer $1 did not become ready; its stderr:"
	sed 's/^/    /' "$TERR" >&2
	stop_pid "$TPID" KILL 5
	TPID=""
}

# stop_tracer VARIANT: SIGINT, bounded wait. Reads first HWM_KB (peak RSS)
# and CPU_MS (user + system CPU time of the tracer process so far).
stop_tracer() {
	HWM_KB="" CPU_MS=""
	[ -n "$TPID" ] || return 0
	HWM_KB=$(awk '/^VmHWM:/ { print $2 }' "/proc/$TPID/status" 2>/dev/null)
	CPU_MS=$(proc_cpu_ms $TPID)
	[ -n "$CPU_MS" ] && [ -n "$CPU0" ] && CPU_MS=$((CPU_MS - CPU0))
	# bpftrace and tcpdump do not drain their buffers on SIGINT: give them
	# a moment (tcpdump hands over a block at most every second).
	case $1 in d | e) sleep 1.2 ;; esac
	stop_pid "$TPID" INT 30
	TPID=""
}

rsttrace_totals() { # errfile -> "rst_sent=.. rst_received=.. listen_overflow=.. lost=.. written=.."
	sed -n 's/^rsttrace: totals: //p' "$1" | tail -n 1
}

# Counts of one rsttrace --json file for one of our namespaces.
count_json() { # file type [netns inode] -> count of events of that type there
	grep -F "\"type\":\"$2\"" "$1" | grep -cF "\"netns\":${3:-$SNS_INO},"
}

# ---------------------------------------------------------------- topology
if [ "$QUICK" = 1 ]; then PROBE_ROUNDS=1; else PROBE_ROUNDS=3; fi
PROBE_N=$((STORM_N / 3))
[ $PROBE_N -lt 20000 ] && PROBE_N=20000
if [ "$TOPOLOGY" = auto ]; then
	log "topology probe: $PROBE_ROUNDS x $PROBE_N connections on loopback and on veth"
	r=1
	while [ $r -le $PROBE_ROUNDS ]; do
		if [ $((r % 2)) = 1 ]; then order="lo veth"; else order="veth lo"; fi
		for t in $order; do
			use_topology "$t"
			wait_quiet
			storm $PROBE_N
			record "phase=topo topo=$t round=$r $STORM_LINE"
		done
		r=$((r + 1))
	done
	TOPOLOGY=$(python3 "$BENCH_DIR/summarize.py" pick-topology "$R")
	CHOSEN_BY="probe"
else
	CHOSEN_BY="TOPOLOGY=$TOPOLOGY"
fi
case $TOPOLOGY in lo | veth) ;; *) die "TOPOLOGY must be lo, veth or auto" ;; esac
use_topology "$TOPOLOGY"
log "topology: $TOPO ($CHOSEN_BY); client ns $CNS, server ns $SNS (inode $SNS_INO)"

# ---------------------------------------------------------------- storm
VARIANTS="a b c"
[ $HAVE_BPFTRACE = 1 ] && VARIANTS="$VARIANTS d"
[ $HAVE_TCPDUMP = 1 ] && VARIANTS="$VARIANTS e"

rotate() { # k list... -> the list rotated left by k
	_k=$1
	shift
	_n=$#
	_k=$((_k % _n))
	_out=""
	_j=0
	for _x in "$@"; do
		[ $_j -ge $_k ] && _out="$_out $_x"
		_j=$((_j + 1))
	done
	_j=0
	for _x in "$@"; do
		[ $_j -lt $_k ] && _out="$_out $_x"
		_j=$((_j + 1))
	done
	echo "$_out"
}

storm_run() { # variant round
	v=$1
	tag="storm-$v-$2"
	wait_quiet
	start_tracer "$v" "$tag" || {
		record "phase=storm variant=$v round=$2 failed=1"
		return
	}
	before=$(nstat_get "$SNS" TcpOutRsts)
	storm "$STORM_N"
	after=$(nstat_get "$SNS" TcpOutRsts)
	foreign_after=$(foreign_tracers)
	stop_tracer "$v"
	extra="foreign=$FOREIGN foreign_after=$foreign_after"
	case $v in
	b)
		extra="$extra rst_sent_ns=$(count_json "$TOUT" rst_sent) rst_received_ns=$(count_json "$TOUT" rst_received "$CNS_INO")"
		extra="$extra lost_lines=$(grep -c '"type":"lost"' "$TOUT") $(rsttrace_totals "$TERR")"
		extra="$extra exit=$STOP_RC"
		;;
	c) extra="$extra $(rsttrace_totals "$TERR") exit=$STOP_RC" ;;
	d)
		extra="$extra events=$(grep -c '^rst ' "$TOUT")"
		extra="$extra bt_lost=$(grep -ho 'Lost [0-9]* events' "$TOUT" "$TERR" | awk '{ s += $2 } END { print s + 0 }')"
		;;
	e)
		extra="$extra captured=$(sed -n 's/^\([0-9]*\) packets\{0,1\} captured.*/\1/p' "$TERR")"
		extra="$extra dropped=$(sed -n 's/^\([0-9]*\) packets\{0,1\} dropped by kernel.*/\1/p' "$TERR")"
		;;
	esac
	[ -n "$HWM_KB" ] && extra="$extra hwm_kb=$HWM_KB"
	[ -n "$CPU_MS" ] && extra="$extra tcpu_ms=$CPU_MS"
	[ -n "$ATTACH_MS" ] && extra="$extra attach_ms=$ATTACH_MS"
	record "phase=storm variant=$v round=$2 $STORM_LINE outrsts=$((after - before)) $extra"
	log "storm round $2 $v: $(kv rate "$STORM_LINE") RSTs/s, TcpOutRsts +$((after - before)) $extra"
	[ "$KEEP" = 1 ] || rm -f "$TOUT"
}

log "storm: $ROUNDS rounds x {$VARIANTS}, $STORM_N connections each, $WORKERS workers"
r=1
while [ $r -le "$ROUNDS" ]; do
	for v in $(rotate $((r - 1)) $VARIANTS); do
		storm_run "$v" "$r"
	done
	r=$((r + 1))
done

# ---------------------------------------------------------------- echo
ip netns exec "$SNS" "$RSTGEN" server -l "$DST" -p $ECHO_PORT -w 1 -t 600 >"$W/server.out" 2>&1 &
SERVER_PID=$!
track $SERVER_PID
wait_line "$W/server.out" ready 10 $SERVER_PID || die "echo server did not start: $(cat "$W/server.out")"

echo_load() { # -> sets ECHO_LINE
	ip netns exec "$CNS" "$RSTGEN" echo -d "$DST" -p $ECHO_PORT -w 1 -c 32 -n "$ECHO_N" \
		-t "$ECHO_SECS" >"$W/gen.out" 2>&1
	_rc=$?
	ECHO_LINE=$(grep '^mode=' "$W/gen.out" | tail -n 1)
	if [ $_rc != 0 ] || [ -z "$ECHO_LINE" ]; then
		log "warning: echo client failed (exit status $_rc): $(tr '\n' ' ' <"$W/gen.out")"
		ECHO_LINE="gen_failed=1 gen_rc=$_rc"
	fi
}

echo_run() { # variant round
	v=$1
	tag="echo-$v-$2"
	wait_quiet
	start_tracer "$v" "$tag" || {
		record "phase=echo variant=$v round=$2 failed=1"
		return
	}
	before=$(nstat_get "$SNS" TcpOutRsts)
	echo_load
	line=$ECHO_LINE
	after=$(nstat_get "$SNS" TcpOutRsts)
	foreign_after=$(foreign_tracers)
	stop_tracer "$v"
	extra="foreign=$FOREIGN foreign_after=$foreign_after"
	if [ "$v" = b ]; then
		extra="$extra rst_sent_ns=$(count_json "$TOUT" rst_sent) $(rsttrace_totals "$TERR") hwm_kb=$HWM_KB"
		extra="$extra tcpu_ms=$CPU_MS attach_ms=$ATTACH_MS exit=$STOP_RC"
	fi
	record "phase=echo variant=$v round=$2 $line outrsts=$((after - before)) $extra"
	log "echo round $2 $v: $(kv rate "$line") requests/s $extra"
	[ "$KEEP" = 1 ] || rm -f "$TOUT"
}

log "echo: $ROUNDS rounds x {a b}, $ECHO_SECS s each"
r=1
while [ $r -le "$ROUNDS" ]; do
	for v in $(rotate $((r - 1)) a b); do
		echo_run "$v" "$r"
	done
	r=$((r + 1))
done

# ---------------------------------------------------------------- BPF cost
# Run time per program, from kernel.bpf_stats_enabled (global; restored at exit).
prog_snapshot() { # pid file
	_ids=$(grep -h '^prog_id:' /proc/"$1"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -un | tr '\n' ' ')
	{
		echo "ids: $_ids"
		bpftool prog show -j 2>/dev/null
		echo
	} >"$2"
}

STATS_PREV=$(cat /proc/sys/kernel/bpf_stats_enabled 2>/dev/null || echo "")
if [ -n "$STATS_PREV" ] && echo 1 >/proc/sys/kernel/bpf_stats_enabled 2>/dev/null; then
	log "BPF cost: kernel.bpf_stats_enabled=1 (was $STATS_PREV)"
	if start_tracer b bpfcost; then
		prog_snapshot "$TPID" "$W/progs0.json"
		before=$(nstat_get "$SNS" TcpOutRsts)
		storm "$STORM_N"
		after=$(nstat_get "$SNS" TcpOutRsts)
		prog_snapshot "$TPID" "$W/progs1.json"
		record "phase=bpfstorm $STORM_LINE outrsts=$((after - before))"
		echo_load
		line=$ECHO_LINE
		prog_snapshot "$TPID" "$W/progs2.json"
		record "phase=bpfecho $line"
		stop_tracer b
		record "phase=bpfcost progs0=$W/progs0.json progs1=$W/progs1.json progs2=$W/progs2.json"
	fi
	echo "$STATS_PREV" >/proc/sys/kernel/bpf_stats_enabled
	STATS_PREV=""
else
	note "cannot set kernel.bpf_stats_enabled: BPF cost skipped"
fi
stop_pid $SERVER_PID TERM 5

# ---------------------------------------------------------------- overflow
# A listener that never accepts, tcp_abort_on_overflow=1 in the server namespace.
if [ "$OVERFLOW" = 1 ]; then
	if [ "$QUICK" = 1 ]; then OVF_N=1024; else OVF_N=4096; fi
	ip netns exec "$SNS" sysctl -qw net.ipv4.tcp_abort_on_overflow=1
	if start_tracer b overflow; then
		ip netns exec "$SNS" "$RSTGEN" listen -l "$DST" -p $OVF_PORT -k $OVF_PORTS -b 8 -t 60 \
			>"$W/listen.out" 2>&1 &
		LPID=$!
		track $LPID
		if wait_line "$W/listen.out" ready 10 $LPID; then
			o0=$(nstat_get "$SNS" TcpOutRsts)
			l0=$(nstat_get "$SNS" TcpExtListenOverflows)
			line=$(ip netns exec "$CNS" "$RSTGEN" overflow -d "$DST" -p $OVF_PORT -k $OVF_PORTS \
				-n $OVF_N -i 256 -T 200 -t 20 2>&1 | tail -n 1)
			l1=$(nstat_get "$SNS" TcpExtListenOverflows)
			# Closing the listeners resets their queued connections (TCP_STATE).
			stop_pid $LPID TERM 5
			sleep 0.2
			o1=$(nstat_get "$SNS" TcpOutRsts)
			stop_tracer b
			record "phase=overflow $line outrsts=$((o1 - o0)) listenoverflows=$((l1 - l0))" \
				"ovf_events_ns=$(count_json "$TOUT" listen_overflow)" \
				"rst_sent_ns=$(count_json "$TOUT" rst_sent) $(rsttrace_totals "$TERR") exit=$STOP_RC"
		else
			note "overflow listener did not start: $(cat "$W/listen.out")"
			stop_pid $LPID KILL 5
			stop_tracer b
		fi
		[ "$KEEP" = 1 ] || rm -f "$TOUT"
	fi
fi

# ---------------------------------------------------------------- userspace decode
# rsttrace's own userspace benchmark, when this build has one (--bench-decode
# or --bench-format N: events formatted per second, no BPF involved).
DECODE_OPT=""
for opt in --bench-decode --bench-format; do
	if timeout 30 "$RSTTRACE" $opt 1000 >/dev/null 2>&1; then
		DECODE_OPT=$opt
		break
	fi
done
if [ -n "$DECODE_OPT" ]; then
	if [ "$QUICK" = 1 ]; then DN=100000; else DN=1000000; fi
	log "userspace: $RSTTRACE $DECODE_OPT $DN"
	timeout 120 "$RSTTRACE" $DECODE_OPT $DN >"$W/decode.out" 2>&1
	record "phase=decode opt=$DECODE_OPT n=$DN rc=$? file=$W/decode.out"
else
	record "phase=decode unsupported=1"
fi

# ---------------------------------------------------------------- start-up scan
# Cost of the scan of existing sockets: 20,000 sockets held by 2,000 processes.
if [ "$QUICK" = 1 ]; then SCAN_ARGS="--connections 1000 --processes 200 --runs 2"; else SCAN_ARGS=""; fi
log "start-up scan: bench/scan_bench.py $SCAN_ARGS"
# shellcheck disable=SC2086
timeout 300 python3 "$BENCH_DIR/scan_bench.py" --rsttrace "$RSTTRACE" $SCAN_ARGS >"$W/scan.out" 2>&1
record "phase=scan rc=$? file=$W/scan.out"

LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
{
	echo "kernel=$(uname -r) cpus=$(nproc) topology=$TOPO chosen_by=$(echo "$CHOSEN_BY" | tr ' ' '_')"
	echo "rounds=$ROUNDS storm_n=$STORM_N echo_secs=$ECHO_SECS workers=$WORKERS inflight=$INFLIGHT quick=$QUICK"
	echo "load_start=$(echo "$LOAD_START" | tr ' ' ,) load_end=$(echo "$LOAD_END" | tr ' ' ,) other_rsttrace=$OTHERS" \
		"quiet_wait_s=$((QUIET_SPENT / 4))"
	echo "rsttrace=$RSTTRACE version=$("$RSTTRACE" --version 2>/dev/null | tr ' ' '_')" \
		"git=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet HEAD -- user bpf include 2>/dev/null || echo +dirty)" \
		"binary_mtime=$(date -u -r "$RSTTRACE" +%Y-%m-%dT%H:%M:%SZ)"
} >"$W/meta.txt"
printf '%s' "$NOTES" >"$W/notes.txt"
python3 "$BENCH_DIR/summarize.py" report "$R" "$W/meta.txt" "$W/notes.txt"
