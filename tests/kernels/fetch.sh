#!/bin/sh
# Prints the directory holding Debian's newest kernel of one series,
# extracted (never installed): boot/vmlinuz-* and lib/modules/<version>
# with a modules.dep made by depmod.  Downloads with apt-get only when the
# cache has no such package yet, so repeated runs are offline.
#   fetch.sh 6.1|6.12 [cache dir]
set -eu
series=$1
cache=${2:-${RSTTRACE_KERNEL_CACHE:-/var/cache/rsttrace-kernels}}

case $series in
6.1) pattern='^linux-image-6\.1\.0-[0-9]+-amd64$' ;;
# 6.12 comes from bookworm-security; the newest build may exist only unsigned.
6.12) pattern='^linux-image-6\.12\.[0-9]+\+deb[0-9]+-amd64(-unsigned)?$' ;;
*) echo "fetch: unknown series $series" >&2; exit 2 ;;
esac

mkdir -p "$cache"
pkg=$(apt-cache search --names-only "$pattern" 2>/dev/null | cut -d' ' -f1 | sort -V | tail -n 1)
if [ -z "$pkg" ]; then
	# No package lists (a fresh container): use what the cache already has.
	dir=$(ls -d "$cache"/linux-image-"$series"[.-]*/ 2>/dev/null | sort -V | tail -n 1)
	[ -n "$dir" ] && { echo "${dir%/}"; exit 0; }
	echo "fetch: no package matches $pattern (apt-get update?)" >&2
	exit 1
fi
dir=$cache/$pkg
if [ ! -f "$dir/.complete" ]; then
	tmp=$(mktemp -d "$cache/.dl.XXXXXX")
	chmod 755 "$tmp"
	(cd "$tmp" && apt-get download -q "$pkg" >&2) || { rm -rf "$tmp"; exit 1; }
	rm -rf "$dir"
	mkdir -p "$dir"
	dpkg-deb -x "$tmp"/*.deb "$dir"
	rm -rf "$tmp"
	# Debian 13-style packages ship usr/lib/modules; older ones lib/modules.
	mods=$(ls -d "$dir"/lib/modules/* "$dir"/usr/lib/modules/* 2>/dev/null | head -n 1)
	kver=$(basename "$mods")
	[ -d "$dir/lib/modules" ] || { mkdir -p "$dir/lib"; ln -s ../usr/lib/modules "$dir/lib/modules"; }
	depmod -b "$dir" "$kver"
	touch "$dir/.complete"
fi
echo "$dir"
