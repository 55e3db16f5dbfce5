#!/bin/sh
# make test-kernels: the integration suite, unchanged, inside Debian's own
# 6.1 and 6.12 kernels under QEMU TCG (docs/kernels.md).  Prints each
# kernel's hooks (rsttrace --probe) and result, then one
# "N passed, N failed" line over all kernels.  A guest that gives no
# summary (did not boot, oopsed, timed out) counts as one failure.
#   RSTTRACE_KERNELS="6.1 6.12"      series to run
#   RSTTRACE_KERNEL_CACHE=DIR        downloaded kernels (default /var/cache/rsttrace-kernels)
#   RSTTRACE_KERNELS_OUT=DIR         logs (default: a fresh directory under /tmp)
#   RSTTRACE_KERNELS_PARALLEL=1      boot the guests at once (one core each)
#   RSTTRACE_KERNEL_SHARDS=N         split each kernel's suite over N guests
#                                    (run at once; each guest runs -smp 1)
#   RSTTRACE_KERNELS_HOST=0          skip the host's run of the suite (first,
#                                    alone; tests/run_all.sh has run it)
#   extra arguments go to run.py (e.g. -k overflow)
set -u
cd "$(dirname "$0")/../.."
repo=$(pwd)
series_list=${RSTTRACE_KERNELS:-6.1 6.12}
out_root=${RSTTRACE_KERNELS_OUT:-$(mktemp -d /tmp/rsttrace-kernels.XXXXXX)}
mkdir -p "$out_root"

if [ ! -x ./rsttrace ]; then
	echo "test-kernels: build rsttrace first (make)"
	echo "0 passed, 1 failed"
	exit 1
fi
for tool in qemu-system-x86_64 modprobe busybox; do
	if ! command -v $tool >/dev/null; then
		echo "test-kernels: $tool missing (sh scripts/deps.sh kernels)"
		echo "0 passed, 1 failed"
		exit 1
	fi
done

# The guest mounts fresh tmpfs on /tmp, /var/tmp, /run and /dev/shm of the
# host's root it sees: a checkout under one of them (a CI clone in /tmp) is
# invisible there, so a copy on the root filesystem is run instead.
case $repo/ in
/tmp/* | /var/tmp/* | /run/* | /dev/shm/*)
	stage_root=${RSTTRACE_KERNEL_CACHE:-/var/cache/rsttrace-kernels}
	mkdir -p "$stage_root"
	stage=$(mktemp -d "$stage_root/repo.XXXXXX")
	trap 'rm -rf "$stage"' EXIT
	cp -a "$repo/." "$stage/"
	repo=$stage
	;;
esac

shards=${RSTTRACE_KERNEL_SHARDS:-1}

# One guest: kernel series $1, shard $2 of $shards.
run_one() {
	series=$1
	shard=$2
	shift 2
	out=$out_root/$series.$shard
	rm -rf "$out"
	mkdir -p "$out"
	if ! kdir=$(sh tests/kernels/fetch.sh "$series" 2>"$out/fetch.err"); then
		cat "$out/fetch.err"
		return
	fi
	{
		echo "#!/bin/sh"
		printf 'exec /bin/sh %s/tests/kernels/guest.sh %s --shard %s/%s' "$repo" "$repo" \
			"$shard" "$shards"
		for a in "$@"; do printf " '%s'" "$a"; done
		echo
	} >"$out/job.in"
	start=$(date +%s)
	sh tests/kernels/boot.sh "$kdir" "$out" "$out/job.in"
	echo $(($(date +%s) - start)) >"$out/wall.seconds"
}

# Downloads first, one at a time (apt's cache is shared).
for s in $series_list; do sh tests/kernels/fetch.sh "$s" >/dev/null || true; done

run_kernel() {
	series=$1
	shift
	i=0
	while [ "$i" -lt "$shards" ]; do
		run_one "$series" "$i" "$@" &
		i=$((i + 1))
	done
	wait
}

start=$(date +%s)
# The host's run before the guests, which would slow it down.
if [ "${RSTTRACE_KERNELS_HOST:-1}" = 1 ]; then
	python3 tests/integration/run.py -v "$@" >"$out_root/host.log" 2>"$out_root/host.err"
fi
if [ "${RSTTRACE_KERNELS_PARALLEL:-0}" = 1 ]; then
	for s in $series_list; do run_kernel "$s" "$@" & done
	wait
else
	for s in $series_list; do run_kernel "$s" "$@"; done
fi

passed=0
failed=0
# "N passed, N failed[, N skipped]" -> "N N N"
tally() {
	echo "$1" | sed -E 's/^([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?.*/\1 \2 \3/'
}
if [ -f "$out_root/host.log" ]; then
	grep -E '^(FAIL|SKIP|KERNEL|RERUN|UNSEEN)' "$out_root/host.log" | sed 's/^/   /'
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out_root/host.log" | tail -n 1)
	set -- $(tally "${line:-0 passed, 1 failed}")
	echo "host $(uname -r): $1 passed, $2 failed, ${3:-0} skipped"
	passed=$((passed + $1))
	failed=$((failed + $2))
fi
for s in $series_list; do
	kp=0
	kf=0
	ks=0
	kver=
	secs=
	i=0
	while [ "$i" -lt "$shards" ]; do
		out=$out_root/$s.$i
		i=$((i + 1))
		[ -n "$kver" ] || kver=$(cat "$out/uname" 2>/dev/null)
		if [ "$i" = 1 ]; then
			echo "== kernel ${kver:-$s (did not boot)}: rsttrace --probe"
			sed 's/^/   /' "$out/probe.txt" 2>/dev/null
		fi
		grep -E '^(FAIL|SKIP|KERNEL|RERUN|UNSEEN)' "$out/suite.log" 2>/dev/null | sed 's/^/   /'
		if grep -qE 'Oops|BUG:|general protection|RIP:' "$out/console.log" 2>/dev/null; then
			echo "   guest kernel oops, see $out/console.log"
			kf=$((kf + 1))
		fi
		line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out/suite.log" 2>/dev/null | tail -n 1)
		if [ -z "$line" ]; then
			echo "   guest $s.$((i - 1)): no summary (see $out/console.log, $out/qemu.log)"
			kf=$((kf + 1))
			continue
		fi
		kp=$((kp + $(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')))
		kf=$((kf + $(echo "$line" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')))
		case $line in
		*skipped*) ks=$((ks + $(echo "$line" | sed -E 's/.*, ([0-9]+) skipped.*/\1/'))) ;;
		esac
		secs="$secs $(cat "$out/suite.seconds" 2>/dev/null)s/$(cat "$out/wall.seconds" 2>/dev/null)s"
	done
	echo "kernel ${kver:-$s}: $kp passed, $kf failed, $ks skipped (suite/guest wall per shard:$secs)"
	passed=$((passed + kp))
	failed=$((failed + kf))
done
echo "test-kernels: logs in $out_root, wall $(($(date +%s) - start))s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
