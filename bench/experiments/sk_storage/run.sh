#!/bin/sh
# Measures socket_state.bpf.c's two variants under healthy connection churn
# (bench/rstgen churn against its echo server) in a namespace of its own:
#   sh bench/experiments/sk_storage/run.sh [ROUNDS]   (as root; default 3)
# Builds into a temporary directory, enables kernel.bpf_stats_enabled for
# the rounds and puts back the value it found, removes what it made.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
rounds=${1:-3}
[ "$(id -u)" = 0 ] || { echo "run.sh: needs root (BPF, namespaces)" >&2; exit 1; }
w=$(mktemp -d /tmp/rstsks.XXXXXX)
ns=rstsks$$
server=
stats=$(sysctl -n kernel.bpf_stats_enabled)
cleanup() {
	[ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	sysctl -qw kernel.bpf_stats_enabled="$stats"
	rm -rf "$w"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

clang -g -O2 -target bpf -D__TARGET_ARCH_x86 -I"$repo/vmlinux" \
	-c "$here/socket_state.bpf.c" -o "$w/socket_state.bpf.o"
bpftool gen skeleton "$w/socket_state.bpf.o" name socket_state_bpf >"$w/socket_state.skel.h"
cc -O2 -Wall -I"$w" "$here/measure.c" -o "$w/measure" -lbpf
cc -O2 -Wall -pthread -o "$w/rstgen" "$repo"/bench/rstgen/*.c

ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" addr add 127.77.0.1/8 dev lo
ip netns exec "$ns" sysctl -qw net.ipv4.ip_local_port_range="1024 65000"
ip netns exec "$ns" "$w/rstgen" server -l 0.0.0.0 -p 7000 -w 1 -t 600 >"$w/server.out" 2>&1 &
server=$!
sleep 0.5
sysctl -qw kernel.bpf_stats_enabled=1
echo "$(uname -r), $(nproc) CPUs, $rounds rounds of 3.5 s churn"
i=0
while [ $i -lt "$rounds" ]; do
	"$w/measure" 5 >"$w/measure.out" &
	m=$!
	until grep -q attached "$w/measure.out" 2>/dev/null; do
		kill -0 $m 2>/dev/null || { echo "run.sh: measure failed: $(cat "$w/measure.out")" >&2; exit 1; }
		sleep 0.1
	done
	ip netns exec "$ns" "$w/rstgen" churn -d 127.77.0.1 -p 7000 -n 10000000 -w 2 -i 16 -t 3.5 |
		grep '^mode='
	wait $m
	grep -v attached "$w/measure.out"
	i=$((i + 1))
done
