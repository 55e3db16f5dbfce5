#!/bin/sh
# Installs the build and test dependencies that are missing, on Debian or
# Ubuntu, as root. Does nothing (and needs no network) when all are present.
set -eu

PKGS="clang llvm libclang-rt-dev cppcheck make gcc libc6-dev libbpf-dev libelf-dev zlib1g-dev bpftool iproute2 python3 procps"
# Real servers the integration tests run in namespaces (tests/integration/cases_limits.py).
TEST_PKGS="nginx-light golang-go"

missing=""
for p in $PKGS $TEST_PKGS; do
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
