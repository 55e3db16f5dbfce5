#!/bin/sh
# Runs inside a guest booted by boot.sh, chrooted into the host's root
# (read-only): loads the modules the suite needs (nothing autoloads them in
# a bare guest), records `rsttrace --probe`, runs the integration suite
# with the host-built binary.  Results go to /run/rsttrace-out.
#   guest.sh REPO [run.py arguments...]
repo=$1
shift
out=/run/rsttrace-out
read -r kdir kver <"$out/kernel"

# inet_diag/tcp_diag: without them ss shows Send-Q 0 for listeners.
# Netfilter: crc32c_generic before libcrc32c, then the reject targets.
for m in inet_diag tcp_diag veth crc32c_generic libcrc32c nf_tables nft_reject \
	nft_reject_inet nf_reject_ipv4 nf_reject_ipv6 ipt_REJECT ip6t_REJECT \
	iptable_filter ip6table_filter nft_compat xt_tcpudp sch_tbf sch_netem; do
	modprobe -d "$kdir" -S "$kver" "$m" 2>>"$out/modules.err" || echo "$m" >>"$out/modules.missing"
done
ip link set lo up
uname -r >"$out/uname"
"$repo/rsttrace" --probe >"$out/probe.txt" 2>&1
"$repo/rsttrace" --probe --json >"$out/probe.json" 2>&1

# TCG runs the guest ~5x slower; loading rsttrace's BPF takes 35-55 s on
# 6.1 (its verifier explores far more states than 6.12's) on a loaded host.
case $kver in
6.1.*) default_scale=10 ;;
*) default_scale=5 ;;
esac
export RSTTRACE_TIME_SCALE=${RSTTRACE_TIME_SCALE:-$default_scale}
start=$(date +%s)
python3 "$repo/tests/integration/run.py" --bin "$repo/rsttrace" -v "$@" \
	>"$out/suite.log" 2>"$out/suite.err"
rc=$?
echo $(($(date +%s) - start)) >"$out/suite.seconds"
echo $rc >"$out/rc"
