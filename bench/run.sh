#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# rsttrace benchmark (`make bench`). Prints figures; asserts nothing about time.
#
# Four scenarios, each run as interleaved rounds of every variant (no tracer,
# rsttrace --json, text, --every-event, tcpdump -w, a bpftrace count, ...),
# in network namespaces it creates and always deletes:
#   storm      connect()s to a closed port, distinct client ports (one RST each)
#   storm1     the same from one fixed client port: one flow, identical events
#   churn      a new connection per request to an echo server (healthy)
#   keepalive  keep-alive request/response on 32 connections (healthy)
# For every run: the load's rate, the tracer's cost as a share of the CPU the
# machine was busy (its BPF run time from kernel.bpf_stats_enabled plus its
# own CPU time), and for the storms the exact-accounting check (the tracer's
# count against the kernel's TcpOutRsts delta in the namespace).
# The report goes to stdout and to bench/results.md (RESULTS=path to change,
# RESULTS= to skip); the last stdout line is one JSON object. Progress: stderr.
#
# Knobs (environment):
#   ROUNDS=5            rounds; each runs every variant once, order rotated
#   SCENARIOS="storm storm1 churn keepalive"
#   STORM_N=300000      connections per storm run (storm1: STORM1_N=60000)
#   CHURN_N=1000000     connections per churn run, bounded by LOAD_SECS
#   LOAD_SECS=2.5       length of one churn / keep-alive run
#   WORKERS=2 INFLIGHT=16
#   BPFTRACE_PRINTF=0   1 adds bpftrace printing every event to the storm
#   VARIANTS="a b x"    run only these variants (letters: bench/README.md)
#   COMPARE=path        a second rsttrace binary, run as variant x (--json),
#                       interleaved with the others: before/after figures
#   OVERFLOW=1          0 skips the accept-queue overflow accounting check
#   QUICK=1             smoke test: 2 rounds, small runs
#   KEEP=1              keep the work directory
#   RSTTRACE=path       binary to measure (default ./rsttrace)
set -u

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
RSTTRACE=${RSTTRACE:-$ROOT/rsttrace}
QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then
	ROUNDS=${ROUNDS:-2}
	STORM_N=${STORM_N:-40000}
	STORM1_N=${STORM1_N:-10000}
	LOAD_SECS=${LOAD_SECS:-1}
else
	ROUNDS=${ROUNDS:-5}
	STORM_N=${STORM_N:-300000}
	STORM1_N=${STORM1_N:-60000}
	LOAD_SECS=${LOAD_SECS:-2.5}
fi
SCENARIOS=${SCENARIOS:-storm storm1 churn keepalive}
CHURN_N=${CHURN_N:-1000000}
ECHO_N=${ECHO_N:-10000000}
WORKERS=${WORKERS:-2}
INFLIGHT=${INFLIGHT:-16}
BPFTRACE_PRINTF=${BPFTRACE_PRINTF:-0}
COMPARE=${COMPARE:-}
OVERFLOW=${OVERFLOW:-1}
KEEP=${KEEP:-0}
RESULTS=${RESULTS-$BENCH_DIR/results.md}
STORM_MAX_SECS=60 # hard bound of one storm run, however slow the tracer makes it

# A destination address and port nothing else on the machine uses, so that
# text output and a bpftrace filter can pick our events out of everyone's.
DST=127.77.0.1
SRCS=127.77.1.1,127.77.1.2,127.77.1.3,127.77.1.4,127.77.1.5,127.77.1.6,127.77.1.7,127.77.1.8
CLOSED_PORT=5999
ONEFLOW_SPORT=40999
ECHO_PORT=7000
OVF_PORT=8000
OVF_PORTS=16
# sport == 5999 (bytes 2-3 of the sockaddr the tracepoint carries)
BT_FILTER="/args->saddr[2] == $((CLOSED_PORT / 256)) && args->saddr[3] == $((CLOSED_PORT % 256))/"
BT_COUNT="tracepoint:tcp:tcp_send_reset $BT_FILTER { @n = count(); }"
BT_PRINTF="tracepoint:tcp:tcp_send_reset $BT_FILTER { printf(\"rst %d %d %d\\n\", pid, args->state, args->reason); }"
TCPDUMP_FILTER='tcp[tcpflags] & tcp-rst != 0'

log() { echo "bench: $*" >&2; }
die() {
	log "error: $*"
	exit 1
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }

[ "$(id -u)" = 0 ] || die "must run as root (network namespaces, BPF)"
[ -x "$RSTTRACE" ] || die "$RSTTRACE not found: run 'make rsttrace' first"
[ -z "$COMPARE" ] || [ -x "$COMPARE" ] || die "COMPARE=$COMPARE is not an executable"
for t in ip nstat python3 cc; do
	command -v $t >/dev/null 2>&1 || die "'$t' is required"
done

# ---------------------------------------------------------------- cleanup
W=$(mktemp -d /tmp/rstbench.XXXXXX) || die "mktemp failed"
NS="rstb$$"
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
	ip netns del "$NS" 2>/dev/null
	# kernel.bpf_stats_enabled is global: put back what it was.
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
cc -O2 -Wall -pthread -o "$RSTGEN" "$BENCH_DIR"/rstgen/*.c || die "cannot build bench/rstgen"

NOTES=""
note() {
	NOTES="$NOTES$*
"
	log "note: $*"
}

# Optional tools: installed with apt-get when missing; their variant is skipped otherwise.
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
ensure_tool bpftrace bpftrace || { HAVE_BPFTRACE=0; note "bpftrace unavailable (install failed): its variants skipped"; }
ensure_tool tcpdump tcpdump || { HAVE_TCPDUMP=0; note "tcpdump unavailable (install failed): its variant skipped"; }

R="$W/results.txt"
: >"$R"
record() { echo "$*" >>"$R"; }

# ---------------------------------------------------------------- namespace
# One namespace, loopback: client and server share it, so the kernel's
# counters there are ours alone.
ip netns add "$NS" || die "ip netns add failed"
ip -n "$NS" link set lo up
ip -n "$NS" addr add "$DST/8" dev lo 2>/dev/null
ip netns exec "$NS" sysctl -qw net.ipv4.ip_local_port_range="1024 65000"
NS_INO=$(stat -L -c %i "/var/run/netns/$NS")
# Extra options of variant (b) (the overflow check traces our namespace only).
B_ARGS=""

nstat_get() { # counter -> absolute value in our namespace
	ip netns exec "$NS" env NSTAT_HISTORY=/dev/null nstat -asz "$1" 2>/dev/null |
		awk -v c="$1" '$1 == c { print $2; f = 1 } END { if (!f) print 0 }'
}

kv() { # key line -> value of key=value in line
	echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1
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

# ---------------------------------------------------------------- CPU accounting
TICK=$(getconf CLK_TCK 2>/dev/null || echo 100)
proc_cpu_ms() { # pid -> user + system CPU time so far, ms
	awk -v t="$TICK" '{ printf "%d", ($14 + $15) * 1000 / t }' "/proc/$1/stat" 2>/dev/null
}
busy_ms() { # CPU time all CPUs were busy so far (all but idle and iowait), ms
	awk -v t="$TICK" '$1 == "cpu" { printf "%d", ($2 + $3 + $4 + $7 + $8 + $9) * 1000 / t }' /proc/stat
}
# BPF programs of one process (its prog fds): "runs run_time_ns" summed.
bpf_run() { # pid
	[ -n "$1" ] || { echo "0 0"; return; }
	cat /proc/"$1"/fdinfo/* 2>/dev/null | awk '
		/^prog_id:/ { id = $2 } /^run_time_ns:/ { ns[id] = $2 } /^run_cnt:/ { n[id] = $2 }
		END { for (i in ns) { a += ns[i]; b += n[i] } printf "%d %d", b, a }'
}
# Per program of one process: "name:runs:ns,..." (names from bpftool when present).
bpf_progs() { # pid
	[ -n "$1" ] || return
	for _f in /proc/"$1"/fdinfo/*; do
		awk '/^prog_id:/ { id = $2 } /^run_time_ns:/ { ns = $2 } /^run_cnt:/ { n = $2 }
			END { if (id) print id, n, ns }' "$_f" 2>/dev/null
	done | sort -un -k1,1 | while read -r _id _n _ns; do
		_name=$(bpftool prog show id "$_id" 2>/dev/null | sed -n '1s/.* name \([^ ]*\) .*/\1/p')
		printf '%s:%s:%s,' "${_name:-id$_id}" "$_n" "$_ns"
	done
}

STATS_PREV=$(cat /proc/sys/kernel/bpf_stats_enabled 2>/dev/null || echo "")
HAVE_STATS=0
if [ -n "$STATS_PREV" ] && echo 1 >/proc/sys/kernel/bpf_stats_enabled 2>/dev/null; then
	HAVE_STATS=1
	log "kernel.bpf_stats_enabled=1 for the benchmark (was $STATS_PREV; restored at exit)"
else
	STATS_PREV=""
	note "cannot set kernel.bpf_stats_enabled: no BPF run time, CPU shares count userspace only"
fi

# Other tracers on the machine (test suites of colleagues) run their BPF
# programs on our load too: counted per run, reported, never waited for long.
foreign_tracers() {
	_n=0
	for _p in $(pgrep -x 'rsttrace|bpftrace' 2>/dev/null); do
		case " $PIDS " in *" $_p "*) ;; *) _n=$((_n + 1)) ;; esac
	done
	echo $_n
}

# ---------------------------------------------------------------- tracers
# start_tracer VARIANT TAG: sets TPID (empty for none), TOUT, TERR, ATTACH_MS.
start_tracer() {
	TPID="" TOUT="$W/$2.out" TERR="$W/$2.err" ATTACH_MS=""
	: >"$TOUT"
	: >"$TERR"
	_t0=$(now_ms)
	case $1 in
	a) return 0 ;;
	b) "$RSTTRACE" --json $B_ARGS >"$TOUT" 2>"$TERR" & ;;
	c) "$RSTTRACE" --wide >"$TOUT" 2>"$TERR" & ;;
	d) "$RSTTRACE" --json --every-event >"$TOUT" 2>"$TERR" & ;;
	x) "$COMPARE" --json >"$TOUT" 2>"$TERR" & ;;
	e) ip netns exec "$NS" tcpdump -Z root -i lo -n -w "$TOUT" "$TCPDUMP_FILTER" 2>"$TERR" & ;;
	f) bpftrace -e "$BT_COUNT" >"$TOUT" 2>"$TERR" & ;;
	g) bpftrace -e "$BT_PRINTF" >"$TOUT" 2>"$TERR" & ;;
	esac
	TPID=$!
	track $TPID
	case $1 in
	b | c | d | x) wait_line "$TERR" 'rsttrace: attached' 60 $TPID || { tracer_failed "$1"; return 1; } ;;
	f | g)
		wait_line "$TOUT" 'Attaching' 60 $TPID || { tracer_failed "$1"; return 1; }
		sleep 1 # bpftrace prints "Attaching" just before it attaches
		;;
	e) wait_line "$TERR" 'listening on' 30 $TPID || { tracer_failed "$1"; return 1; } ;;
	esac
	ATTACH_MS=$(($(now_ms) - _t0))
	return 0
}

tracer_failed() {
	log "warning: tracer $1 did not become ready; its stderr:"
	sed 's/^/    /' "$TERR" "$TOUT" >&2
	stop_pid "$TPID" KILL 5
	TPID=""
}

stop_tracer() { # variant -> HWM_KB
	HWM_KB=""
	[ -n "$TPID" ] || return 0
	HWM_KB=$(awk '/^VmHWM:/ { print $2 }' "/proc/$TPID/status" 2>/dev/null)
	# tcpdump hands over a buffer block at most once a second; bpftrace
	# drains its perf buffers on its own schedule.
	case $1 in e | f | g) sleep 1.2 ;; esac
	stop_pid "$TPID" INT 30
	TPID=""
}

# What a tracer counted of our resets, from its output: sets GOT and LOST.
tracer_count() { # variant
	GOT="" LOST=""
	case $1 in
	b | d | x)
		eval "$(python3 "$BENCH_DIR/summarize.py" count-json "$TOUT" "$NS_INO")"
		;;
	c) eval "$(python3 "$BENCH_DIR/summarize.py" count-text "$TOUT" "$DST:$CLOSED_PORT" "$TERR")" ;;
	e)
		GOT=$(sed -n 's/^\([0-9]*\) packets\{0,1\} captured.*/\1/p' "$TERR")
		LOST=$(sed -n 's/^\([0-9]*\) packets\{0,1\} dropped by kernel.*/\1/p' "$TERR")
		;;
	f)
		GOT=$(sed -n 's/^@n: //p' "$TOUT")
		LOST=$(grep -ho 'Lost [0-9]* events' "$TOUT" "$TERR" | awk '{ s += $2 } END { print s + 0 }')
		;;
	g)
		GOT=$(grep -c '^rst ' "$TOUT")
		LOST=$(grep -ho 'Lost [0-9]* events' "$TOUT" "$TERR" | awk '{ s += $2 } END { print s + 0 }')
		;;
	esac
	GOT=${GOT:-0} LOST=${LOST:-0}
}

# ---------------------------------------------------------------- loads
SERVER_PID=""
start_server() {
	[ -n "$SERVER_PID" ] && return 0
	ip netns exec "$NS" "$RSTGEN" server -l 0.0.0.0 -p $ECHO_PORT -w 1 -t 600 >"$W/server.out" 2>&1 &
	SERVER_PID=$!
	track $SERVER_PID
	wait_line "$W/server.out" ready 10 $SERVER_PID || die "echo server did not start: $(cat "$W/server.out")"
}

load() { # scenario -> LINE (rstgen's result line, or gen_failed=1)
	case $1 in
	storm) set -- closed -d $DST -p $CLOSED_PORT -n "$STORM_N" -w "$WORKERS" -i "$INFLIGHT" -t $STORM_MAX_SECS ;;
	storm1) set -- closed -d $DST -p $CLOSED_PORT -P $ONEFLOW_SPORT -n "$STORM1_N" -w 1 -i 1 -t $STORM_MAX_SECS ;;
	churn) set -- churn -d $DST -p $ECHO_PORT -S $SRCS -n "$CHURN_N" -w "$WORKERS" -i "$INFLIGHT" -t "$LOAD_SECS" ;;
	keepalive) set -- echo -d $DST -p $ECHO_PORT -w 1 -c 32 -n "$ECHO_N" -t "$LOAD_SECS" ;;
	esac
	ip netns exec "$NS" "$RSTGEN" "$@" >"$W/gen.out" 2>&1
	_rc=$?
	LINE=$(grep '^mode=' "$W/gen.out" | tail -n 1)
	if [ $_rc != 0 ] || [ -z "$LINE" ]; then
		log "warning: load generator failed (exit status $_rc): $(tr '\n' ' ' <"$W/gen.out")"
		LINE="gen_failed=1 gen_rc=$_rc"
	fi
}

run_one() { # scenario variant round
	s=$1 v=$2 rd=$3
	tag="$s-$v-$rd"
	foreign=$(foreign_tracers)
	start_tracer "$v" "$tag" || {
		record "phase=$s variant=$v round=$rd failed=1"
		return
	}
	progs=""
	case $v in b | d | x) progs=$(bpf_progs "$TPID") ;; esac
	rsts0=$(nstat_get TcpOutRsts)
	set -- $(bpf_run "$TPID")
	bruns0=$1 bns0=$2
	tcpu0=0
	[ -n "$TPID" ] && tcpu0=$(proc_cpu_ms "$TPID")
	busy0=$(busy_ms)
	load "$s"
	busy1=$(busy_ms)
	# The tracer's CPU until it has written what the load caused.
	case $v in b | c | d | x) sleep 0.3 ;; esac
	tcpu1=0
	[ -n "$TPID" ] && tcpu1=$(proc_cpu_ms "$TPID")
	set -- $(bpf_run "$TPID")
	bruns1=$1 bns1=$2
	rsts1=$(nstat_get TcpOutRsts)
	[ -n "$progs" ] && progs="$progs;$(bpf_progs "$TPID")"
	stop_tracer "$v"
	extra="foreign=$foreign busy_ms=$((busy1 - busy0)) tcpu_ms=$((tcpu1 - tcpu0))"
	extra="$extra bpf_runs=$((bruns1 - bruns0)) bpf_ns=$((bns1 - bns0)) outrsts=$((rsts1 - rsts0))"
	if [ "$v" != a ]; then
		tracer_count "$v"
		extra="$extra got=$GOT lost=$LOST hwm_kb=${HWM_KB:-0} attach_ms=$ATTACH_MS"
	fi
	[ -n "$progs" ] && extra="$extra progs=$(echo "$progs" | tr -d ' ')"
	record "phase=$s variant=$v round=$rd $LINE $extra"
	log "$s round $rd $v: $(kv rate "$LINE")/s $extra"
	[ "$KEEP" = 1 ] || rm -f "$TOUT" "$TERR"
}

rotate() { # k list... -> the list rotated left by k
	_k=$1
	shift
	_k=$((_k % $#))
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

variants_of() { # scenario -> the variants run in it (VARIANTS overrides)
	[ -n "${VARIANTS:-}" ] && { echo "$VARIANTS"; return; }
	# Text and --every-event differ from (b) only where there are events.
	_v="a b"
	case $1 in storm) _v="$_v c d" ;; storm1) _v="$_v d" ;; esac
	[ -n "$COMPARE" ] && _v="$_v x"
	[ $HAVE_TCPDUMP = 1 ] && _v="$_v e"
	[ $HAVE_BPFTRACE = 1 ] && _v="$_v f"
	[ $HAVE_BPFTRACE = 1 ] && [ "$1" = storm ] && [ "$BPFTRACE_PRINTF" = 1 ] && _v="$_v g"
	echo "$_v"
}

OTHERS=$(foreign_tracers)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
for s in $SCENARIOS; do
	case $s in storm | storm1 | churn | keepalive) ;; *) die "unknown scenario $s" ;; esac
	case $s in churn | keepalive) start_server ;; esac
	V=$(variants_of "$s")
	log "$s: $ROUNDS rounds x {$V}"
	r=1
	while [ $r -le "$ROUNDS" ]; do
		for v in $(rotate $((r - 1)) $V); do
			run_one "$s" "$v" "$r"
		done
		r=$((r + 1))
	done
	# One server per scenario: it lives at most 600 s.
	[ -n "$SERVER_PID" ] && stop_pid "$SERVER_PID" TERM 5
	SERVER_PID=""
done

# ---------------------------------------------------------------- overflow
# Listeners that never accept, tcp_abort_on_overflow=1 in our namespace:
# ListenOverflows against rsttrace's listen_overflow counts.
if [ "$OVERFLOW" = 1 ]; then
	if [ "$QUICK" = 1 ]; then OVF_N=1024; else OVF_N=4096; fi
	ip netns exec "$NS" sysctl -qw net.ipv4.tcp_abort_on_overflow=1
	# Our namespace only: its unattributed counts (no netns of their own) are then ours.
	B_ARGS="--netns $NS_INO"
	if start_tracer b overflow; then
		ip netns exec "$NS" "$RSTGEN" listen -l $DST -p $OVF_PORT -k $OVF_PORTS -b 8 -t 60 \
			>"$W/listen.out" 2>&1 &
		LPID=$!
		track $LPID
		if wait_line "$W/listen.out" ready 10 $LPID; then
			o0=$(nstat_get TcpOutRsts)
			l0=$(nstat_get TcpExtListenOverflows)
			line=$(ip netns exec "$NS" "$RSTGEN" overflow -d $DST -p $OVF_PORT -k $OVF_PORTS \
				-n $OVF_N -i 256 -T 200 -t 20 2>&1 | tail -n 1)
			stop_pid $LPID TERM 5
			sleep 0.3
			l1=$(nstat_get TcpExtListenOverflows)
			o1=$(nstat_get TcpOutRsts)
			stop_tracer b
			eval "$(python3 "$BENCH_DIR/summarize.py" count-json "$TOUT" "$NS_INO" listen_overflow OVF_)"
			eval "$(python3 "$BENCH_DIR/summarize.py" count-json "$TOUT" "$NS_INO")"
			OVF_DISARMED=$(sed -n 's/.*syn_detector_disarmed=\([0-9]*\).*/\1/p' "$TERR" | tail -n 1)
			record "phase=overflow $line outrsts=$((o1 - o0)) listenoverflows=$((l1 - l0))" \
				"ovf_got=$OVF_GOT ovf_lost=$OVF_LOST ovf_unattributed=$OVF_UNATTRIB" \
				"ovf_disarmed=${OVF_DISARMED:-0} got=$GOT lost=$LOST exit=$STOP_RC"
		else
			note "overflow listener did not start: $(cat "$W/listen.out")"
			stop_pid $LPID KILL 5
			stop_tracer b
		fi
		[ "$KEEP" = 1 ] || rm -f "$TOUT"
	fi
fi

# ---------------------------------------------------------------- formatter
# rsttrace's own userspace benchmark (formatting only, no BPF).
if [ "$QUICK" = 1 ]; then DN=100000; else DN=1000000; fi
if timeout 30 "$RSTTRACE" --bench-format 1000 >/dev/null 2>&1; then
	timeout 120 "$RSTTRACE" --bench-format $DN >"$W/format.out" 2>&1
	record "phase=format n=$DN rc=$? $(tr '\n' ' ' <"$W/format.out" | tr -s ' ')"
fi

if [ $HAVE_STATS = 1 ]; then
	echo "$STATS_PREV" >/proc/sys/kernel/bpf_stats_enabled
	STATS_PREV=""
fi
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
{
	echo "kernel=$(uname -r) cpus=$(nproc) bpf_stats=$HAVE_STATS"
	echo "rounds=$ROUNDS storm_n=$STORM_N storm1_n=$STORM1_N load_secs=$LOAD_SECS workers=$WORKERS inflight=$INFLIGHT quick=$QUICK"
	echo "load_start=$(echo "$LOAD_START" | tr ' ' ,) load_end=$(echo "$LOAD_END" | tr ' ' ,) other_tracers=$OTHERS"
	echo "rsttrace=$RSTTRACE compare=${COMPARE:-none}" \
		"git=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet HEAD -- user bpf include 2>/dev/null || echo +dirty)" \
		"binary_mtime=$(date -u -r "$RSTTRACE" +%Y-%m-%dT%H:%M:%SZ)"
} >"$W/meta.txt"
printf '%s' "$NOTES" >"$W/notes.txt"
python3 "$BENCH_DIR/summarize.py" report "$R" "$W/meta.txt" "$W/notes.txt" >"$W/report.txt"
cat "$W/report.txt"
if [ -n "$RESULTS" ]; then
	{
		echo "# rsttrace benchmark results"
		echo
		echo "Written by \`make bench\` ($(date -u +%Y-%m-%dT%H:%M:%SZ)); see bench/README.md for what is measured."
		echo
		echo '```'
		sed '$d' "$W/report.txt"
		echo '```'
	} >"$RESULTS"
	log "report written to $RESULTS"
fi
