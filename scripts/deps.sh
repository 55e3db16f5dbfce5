#!/bin/sh
# Installs the build and test dependencies that are missing, on Debian or
# Ubuntu, as root. Does nothing (and needs no network) when all are present.
set -eu

# What building and running rsttrace needs.
PKGS="clang llvm make gcc libc6-dev libbpf-dev libelf-dev zlib1g-dev bpftool iproute2 procps"

# What the tests need on top ("deps.sh test"):
# static analysis, formatting and sanitizers;
# make install/deb and tests/install: the package (dpkg-deb, gzip, objdump,
# strip; lintian checks it), the unit (systemd-analyze, setpriv, strace, and
# systemd-nspawn to boot a real systemd that runs it), the man page (man-db,
# groff, mandoc), bash completion, a real log shipper (rsyslog), and
# python3-yaml to read the Promtail example;
# the container and metrics tests: real containers (runc, a busybox rootfs)
# and a real Prometheus with promtool.
TEST_PKGS="clang-format cppcheck libclang-rt-dev python3"
TEST_PKGS="$TEST_PKGS dpkg gzip binutils lintian systemd systemd-container util-linux strace man-db groff-base mandoc bash-completion rsyslog python3-yaml nodejs npm"
TEST_PKGS="$TEST_PKGS runc busybox-static prometheus"
# golang-go: the Go net/http client of tests/integration/cases_client.py.
TEST_PKGS="$TEST_PKGS golang-go"
# Real servers the integration tests run in namespaces (tests/integration/cases_limits.py).
TEST_PKGS="$TEST_PKGS nginx-light"

[ "${1:-}" = test ] && PKGS="$PKGS $TEST_PKGS"
# `deps.sh kernels`: also what make test-kernels needs (QEMU guests, tests/kernels).
KERNEL_PKGS="qemu-system-x86 busybox-static kmod xz-utils iptables nftables"
# The test suite runs a smoke set inside those kernels too.
[ "${1:-}" = kernels ] || [ "${1:-}" = test ] && PKGS="$PKGS $KERNEL_PKGS"

missing=""
for p in $PKGS; do
	# Node.js and npm installed outside Debian's packages serve as well
	# (Debian's npm cannot be installed beside them).
	case $p in
	nodejs) command -v node >/dev/null 2>&1 && continue ;;
	npm) command -v npm >/dev/null 2>&1 && continue ;;
	esac
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing; run as root (sudo make ...) to install them" >&2
	exit 1
fi
echo "deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
