#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# BPF cost of two rsttrace builds on the same events: both attached at once
# (which one first alternates by round), one load per round; each one's BPF
# run time (kernel.bpf_stats_enabled, restored at exit) per unit of load and
# per program. Running both on every event cancels the load swings of a
# shared machine that separate runs suffer from.
#
#   sh bench/ab.sh OLD NEW [SCENARIO] [ROUNDS]
#   SCENARIO: storm, storm1, churn (default) or keepalive
set -u
OLD=$1 NEW=$2 SC=${3:-churn} ROUNDS=${4:-5}
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
LOAD_SECS=${LOAD_SECS:-2.5}
[ "$(id -u)" = 0 ] || { echo "ab: must run as root" >&2; exit 1; }
W=$(mktemp -d /tmp/rstab.XXXXXX)
NS="${NETNS_PREFIX:-rsta}$$" # runs that share a machine use their own prefix
PIDS=""
SERVER=""
STATS_PREV=$(cat /proc/sys/kernel/bpf_stats_enabled)
cleanup() {
	for p in $PIDS; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	ip netns del "$NS" 2>/dev/null
	echo "$STATS_PREV" >/proc/sys/kernel/bpf_stats_enabled
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
echo 1 >/proc/sys/kernel/bpf_stats_enabled
cc -O2 -pthread -o "$W/rstgen" "$BENCH_DIR"/rstgen/*.c || exit 1
ip netns add "$NS" && ip -n "$NS" link set lo up
ip -n "$NS" addr add 127.77.0.1/8 dev lo
ip netns exec "$NS" sysctl -qw net.ipv4.ip_local_port_range="1024 65000"
SRCS=127.77.1.1,127.77.1.2,127.77.1.3,127.77.1.4,127.77.1.5,127.77.1.6,127.77.1.7,127.77.1.8
if [ "$SC" = churn ] || [ "$SC" = keepalive ]; then
	ip netns exec "$NS" "$W/rstgen" server -l 0.0.0.0 -p 7000 -w 1 -t 600 >"$W/server.out" 2>&1 &
	SERVER=$!
	PIDS=$SERVER
	sleep 0.5
fi

progs() { # pid -> "name runs ns" lines
	for f in /proc/"$1"/fdinfo/*; do
		awk '/^prog_id:/ { id = $2 } /^run_time_ns:/ { ns = $2 } /^run_cnt:/ { n = $2 }
			END { if (id) print id, n, ns }' "$f" 2>/dev/null
	done | sort -un -k1,1 | while read -r id n ns; do
		echo "$(bpftool prog show id "$id" | sed -n '1s/.* name \([^ ]*\) .*/\1/p') $n $ns"
	done
}
start() { # binary tag
	"$1" --json >"$W/$2.out" 2>"$W/$2.err" &
	_p=$!
	PIDS="$PIDS $_p"
	i=0
	until grep -q 'rsttrace: attached' "$W/$2.err"; do
		i=$((i + 1))
		[ $i -lt 3000 ] && kill -0 $_p 2>/dev/null || { echo "ab: $1 did not attach" >&2; exit 1; }
		sleep 0.02
	done
	eval "PID_$2=$_p"
}

r=1
while [ $r -le "$ROUNDS" ]; do
	if [ $((r % 2)) = 1 ]; then start "$OLD" old; start "$NEW" new; else start "$NEW" new; start "$OLD" old; fi
	progs "$PID_old" >"$W/old0"
	progs "$PID_new" >"$W/new0"
	case $SC in
	storm) set -- closed -d 127.77.0.1 -p 5999 -n 100000 -w 2 -i 16 -t 60 ;;
	storm1) set -- closed -d 127.77.0.1 -p 5999 -P 40999 -n 20000 -w 1 -i 1 -t 60 ;;
	churn) set -- churn -d 127.77.0.1 -p 7000 -S $SRCS -n 1000000 -w 2 -i 16 -t "$LOAD_SECS" ;;
	keepalive) set -- echo -d 127.77.0.1 -p 7000 -w 1 -c 32 -n 10000000 -t "$LOAD_SECS" ;;
	esac
	line=$(ip netns exec "$NS" "$W/rstgen" "$@" | tail -n 1)
	units=$(echo "$line" | tr ' ' '\n' | sed -n 's/^\(refused\|requests\)=//p' | head -n 1)
	progs "$PID_old" >"$W/old1"
	progs "$PID_new" >"$W/new1"
	for t in old new; do
		eval "p=\$PID_$t"
		kill -INT "$p"
		wait "$p" 2>/dev/null
		awk -v r=$r -v t=$t -v u="$units" 'NR == FNR { n0[$1] = $2; t0[$1] = $3; next }
			{ dn = $2 - n0[$1]; dt = $3 - t0[$1]; if (dn > 0) printf "round=%d build=%s units=%s prog=%s runs=%d ns=%d\n", r, t, u, $1, dn, dt }' \
			"$W/${t}0" "$W/${t}1" >>"$W/results"
	done
	PIDS=$SERVER # the tracers are reaped
	echo "ab: round $r: $line" >&2
	r=$((r + 1))
done
python3 - "$W/results" "$SC" <<'EOF'
import statistics, sys
rows = [dict(t.split("=", 1) for t in l.split()) for l in open(sys.argv[1])]
unit = {"storm": "RST", "storm1": "RST", "churn": "conn", "keepalive": "req"}[sys.argv[2]]
def med(xs): return statistics.median(xs) if xs else 0
progs = sorted({r["prog"] for r in rows})
rounds = sorted({int(r["round"]) for r in rows})
print(f"{sys.argv[2]}: both builds attached at once, {len(rounds)} rounds; medians over rounds")
print(f"  {'program':20} {'old runs/' + unit:>13} {'old ns/run':>10} {'new runs/' + unit:>13} {'new ns/run':>10}  new/old ns per {unit}")
tot = {"old": [], "new": []}
for b in ("old", "new"):
    for rd in rounds:
        rs = [r for r in rows if r["build"] == b and int(r["round"]) == rd]
        if rs and int(rs[0]["units"] or 0):
            tot[b].append(sum(int(r["ns"]) for r in rs) / int(rs[0]["units"]))
for p in progs:
    f = {}
    for b in ("old", "new"):
        rs = [r for r in rows if r["build"] == b and r["prog"] == p and int(r["units"] or 0)]
        f[b] = (med([int(r["runs"]) / int(r["units"]) for r in rs]), med([int(r["ns"]) / int(r["runs"]) for r in rs]),
                med([int(r["ns"]) / int(r["units"]) for r in rs]))
    ratio = f["new"][2] / f["old"][2] if f["old"][2] else float("nan")
    print(f"  {p:20} {f['old'][0]:13.2f} {f['old'][1]:10.0f} {f['new'][0]:13.2f} {f['new'][1]:10.0f}  {ratio:.2f}")
paired = [n / o for o, n in zip(tot["old"], tot["new"]) if o]
print(f"  all programs: old {med(tot['old']):.0f} ns/{unit}, new {med(tot['new']):.0f} ns/{unit}, "
      f"paired new/old {med(paired):.3f} (rounds: {', '.join(f'{x:.3f}' for x in paired)})")
EOF
