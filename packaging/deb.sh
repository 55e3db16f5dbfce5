#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Builds .output/rsttrace_VERSION_ARCH.deb with dpkg-deb from the tree that
# 'make install PREFIX=/usr' makes: the .deb and make install cannot differ.
set -eu
cd "$(dirname "$0")/.."

version=$1
# Set DEB_MAINTAINER for a package that leaves this machine.
maintainer=${DEB_MAINTAINER:-rsttrace developers <rsttrace@localhost>}
arch=$(dpkg --print-architecture)
root=.output/deb/rsttrace_${version}_${arch}
deb=.output/rsttrace_${version}_${arch}.deb

rm -rf "$root"
${MAKE:-make} -s install DESTDIR="$PWD/$root" PREFIX=/usr
mkdir -p "$root/DEBIAN"

# libbpf, libelf and zlib are linked in; only glibc is shared. The newest
# symbol version the binary uses is the glibc it needs.
glibc=$(objdump -T rsttrace | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n 1)

# Debian wants binaries stripped; debugging keeps the unstripped ./rsttrace.
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/usr/sbin/rsttrace"

cat > "$root/usr/share/doc/rsttrace/copyright" <<COPYRIGHT
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: rsttrace

Files: *
Copyright: 2026 rsttrace developers
License: GPL-2.0
 On Debian systems the full text is in /usr/share/common-licenses/GPL-2.
COPYRIGHT

# A native package's changelog: this version, dated by the last commit so
# that two builds of one tree give the same package.
when=$(git log -1 --format=%cD 2>/dev/null || date -R)
printf 'rsttrace (%s) unstable; urgency=medium\n\n  * Release %s.\n\n -- %s  %s\n' \
	"$version" "$version" "$maintainer" "$when" | gzip -9n > "$root/usr/share/doc/rsttrace/changelog.gz"

# What lintian flags on purpose, with why.
mkdir -p "$root/usr/share/lintian/overrides"
cat > "$root/usr/share/lintian/overrides/rsttrace" <<'OVERRIDES'
# libbpf, libelf and zlib are linked statically on purpose: one binary that
# runs wherever glibc does (README, "How it works"; Makefile LIBS_STATIC).
rsttrace: embedded-library zlib [usr/sbin/rsttrace]
# The records name processes and addresses: not for every local user.
rsttrace: non-standard-dir-perm 0750 != 0755 [var/log/rsttrace/]
OVERRIDES

cat > "$root/DEBIAN/control" <<CONTROL
Package: rsttrace
Version: $version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: libc6 (>= $glibc)
Suggests: logrotate
Section: net
Priority: optional
Description: explain TCP resets and accept-queue overflows with eBPF
 rsttrace reports every TCP RST the kernel sends or receives, with the
 kernel's reason, the socket's state, 4-tuple and owning process, and every
 accept-queue and SYN-queue overflow, each with a diagnosis. Text for
 incidents, NDJSON for log pipelines; a systemd unit runs it always on.
CONTROL

printf '/etc/default/rsttrace\n/etc/logrotate.d/rsttrace\n' > "$root/DEBIAN/conffiles"

# The maintainer scripts do what debhelper's would for a unit that is not
# enabled at install: reload, stop on removal, forget its state on purge.
cat > "$root/DEBIAN/postinst" <<'SCRIPT'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
	if command -v systemd-tmpfiles >/dev/null; then
		systemd-tmpfiles --create rsttrace.conf || true
	fi
	if [ -d /run/systemd/system ]; then
		systemctl --system daemon-reload >/dev/null || true
	fi
fi
SCRIPT

cat > "$root/DEBIAN/prerm" <<'SCRIPT'
#!/bin/sh
set -e
if [ -d /run/systemd/system ] && [ "$1" = remove ]; then
	deb-systemd-invoke stop rsttrace.service >/dev/null || true
fi
SCRIPT

# The log directory is the package's; its contents are removed on purge.
cat > "$root/DEBIAN/postrm" <<'SCRIPT'
#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then
	systemctl --system daemon-reload >/dev/null || true
fi
if [ "$1" = remove ] && command -v deb-systemd-helper >/dev/null; then
	deb-systemd-helper mask rsttrace.service >/dev/null || true
fi
if [ "$1" = purge ]; then
	rm -rf /var/log/rsttrace
	if command -v deb-systemd-helper >/dev/null; then
		deb-systemd-helper purge rsttrace.service >/dev/null || true
		deb-systemd-helper unmask rsttrace.service >/dev/null || true
	fi
fi
SCRIPT
chmod 0755 "$root/DEBIAN/postinst" "$root/DEBIAN/prerm" "$root/DEBIAN/postrm"

(cd "$root" && find . -type f ! -path './DEBIAN/*' ! -path './etc/*' -printf '%P\n' | sort |
	xargs md5sum) > "$root/DEBIAN/md5sums"

dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
