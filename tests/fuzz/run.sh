#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Builds the libFuzzer harnesses into tests/fuzz/.build and runs each for
# SECONDS (default 10). Prints "fuzz: NAME ok" per harness; exits non-zero
# when one crashes (the input is kept as tests/fuzz/.build/crash-NAME-*).
# Needs clang with its fuzzer runtime (Debian: libclang-rt-14-dev) and
# .output/rsttrace.skel.h (make rsttrace).
set -eu

SECS=${1:-10}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$ROOT/tests/fuzz/.build
CC=${CLANG:-clang}
HARNESSES="cli procinfo kallsyms format metrics"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all"
CFLAGS="-Wall -Wextra -g -O1 -fno-omit-frame-pointer -std=gnu11"
CFLAGS="$CFLAGS -I$ROOT/.output -I$ROOT/include -I$ROOT/user -I$ROOT/tests/unit"
# The version the build stamps (Makefile VERSION), for coverage.c.
CFLAGS="$CFLAGS -DRSTTRACE_VERSION=\"$(sed -n 's/^VERSION := //p' "$ROOT/Makefile")\""
LIBS="-Wl,-Bstatic -lbpf -lelf -lz -Wl,-Bdynamic"

case $SECS in
''|*[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;;
esac
if [ ! -f "$ROOT/.output/rsttrace.skel.h" ]; then
	echo "fuzz: $ROOT/.output/rsttrace.skel.h is missing: run make rsttrace first" >&2
	exit 1
fi
mkdir -p "$OUT/obj"

# A missing fuzzer runtime fails at link time with a confusing message: say so up front.
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }\n' \
	> "$OUT/probe.c"
if ! $CC -fsanitize=fuzzer "$OUT/probe.c" -o "$OUT/probe" 2>"$OUT/probe.log"; then
	echo "fuzz: $CC cannot link -fsanitize=fuzzer; install clang's runtime" \
		"(Debian: apt-get install libclang-rt-14-dev)" >&2
	cat "$OUT/probe.log" >&2
	exit 1
fi

# The product code, once, instrumented for coverage; all but main() like the unit tests.
OBJS=""
for src in "$ROOT"/user/*.c "$ROOT/tests/unit/fixtures.c" "$ROOT/tests/unit/minijson.c"; do
	case $src in */user/rsttrace.c) continue ;; esac
	obj=$OUT/obj/$(basename "$src" .c).o
	# shellcheck disable=SC2086
	$CC $CFLAGS $SAN -fsanitize=fuzzer-no-link -c "$src" -o "$obj"
	OBJS="$OBJS $obj"
done

seed() {
	# seed NAME FILE: writes stdin as one seed input
	mkdir -p "$OUT/corpus/$1"
	cat > "$OUT/corpus/$1/$2"
}

seeds() {
	seed cli port </dev/null && printf '8080' | seed cli port
	printf -- '-P\0008080\000-j\000--events=sent,overflow' | seed cli argv
	printf -- '--ring-size\0008M\000-d\0001.5\000-4\000--netns\000/proc/self/ns/net' |
		seed cli argv2
	printf -- '-s5\000--no-fold\000-p\0001\000-hj' | seed cli argv3
	printf '1234 (a) b) S 1 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 98765 1000\n' |
		seed procinfo stat
	printf '1 (x)\n' | seed procinfo short
	printf 'ffffffff81a00000 T tcp_rcv_state_process\nffffffff81a00400 t tcp_v4_rcv\n' |
		seed kallsyms two
	printf '0000000000000000 T tcp_rcv_state_process\n' | seed kallsyms zero
	head -c 400 /dev/zero | seed format zero
	# type 1 (rst_sent), flags OWNER|LISTENER|ACCEPTQ_FULL, reason 10, family AF_INET
	{ printf '\173\000\000\000\000\000\000\000'; head -c 8 /dev/zero
	  printf '\001\000\000\000\023\000\000\000\000\000\000\000\012\000\000\000'
	  head -c 32 /dev/zero; printf '\220\037\100\234\002\012\000\000'
	  head -c 400 /dev/urandom; } | seed format invalid_syn
	head -c 400 /dev/urandom | seed format random
	# metrics: the first byte picks the parser (0 request, 1 address, 2 cgroup path)
	printf '\000GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n' | seed metrics get
	printf '\001[::1]:9464' | seed metrics addr6
	printf '\0010.0.0.0:9464' | seed metrics addr4
	printf '\002/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod0b5e0f3a_7c1d_4e2f_9a8b_112233445566.slice/cri-containerd-3f6b1c2d9e8a7f605142332415f6e7d8c9b0a1f2e3d4c5b6a798897a6b5c4d3e.scope' |
		seed metrics kubepods
	printf '\002/system.slice/docker-3f6b1c2d9e8a7f605142332415f6e7d8c9b0a1f2e3d4c5b6a798897a6b5c4d3e.scope' |
		seed metrics docker
}
[ -d "$OUT/corpus/metrics" ] || seeds

failed=0
for name in $HARNESSES; do
	bin=$OUT/fuzz_$name
	# shellcheck disable=SC2086
	$CC $CFLAGS $SAN -fsanitize=fuzzer "$ROOT/tests/fuzz/fuzz_$name.c" $OBJS $LIBS -o "$bin"
	mkdir -p "$OUT/corpus/$name"
	log=$OUT/$name.log
	if "$bin" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$OUT/crash-$name-" "$OUT/corpus/$name" >"$log" 2>&1; then
		echo "fuzz: $name ok"
	else
		echo "fuzz: $name FAILED (log: $log)"
		grep -E 'ERROR|runtime error|SUMMARY|Test unit written|fuzz_.*\.c:' "$log" |
			head -n 8 | sed 's/^/    /'
		failed=1
	fi
done
exit $failed
