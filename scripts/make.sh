#!/bin/sh
# `make` for a fresh Debian/Ubuntu machine: installs make itself when it is
# missing (the Makefile installs everything else), then runs it.
set -eu
cd "$(dirname "$0")/.."
if ! command -v make >/dev/null 2>&1; then
	if [ "$(id -u)" != 0 ]; then
		echo "make is not installed; run as root (sudo) to install it" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends make >/dev/null
fi
exec make "$@"
