#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Builds .output/rsttrace_VERSION_ARCH.deb with dpkg-deb from the tree that
# 'make install PREFIX=/usr' makes: the .deb and make install cannot differ.
set -eu
cd "$(dirname "$0")/.."

version=$1
arch=$(dpkg --print-architecture)
root=.output/deb/rsttrace_${version}_${arch}
deb=.output/rsttrace_${version}_${arch}.deb

rm -rf "$root"
${MAKE:-make} -s install DESTDIR="$PWD/$root" PREFIX=/usr
mkdir -p "$root/DEBIAN"

# libbpf, libelf and zlib are linked in; only glibc is shared. The newest
# symbol version the binary uses is the glibc it needs.
glibc=$(objdump -T rsttrace | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n 1)

cat > "$root/usr/share/doc/rsttrace/copyright" <<COPYRIGHT
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: rsttrace

Files: *
License: GPL-2.0
 On Debian systems the full text is in /usr/share/common-licenses/GPL-2.
COPYRIGHT

cat > "$root/DEBIAN/control" <<CONTROL
Package: rsttrace
Version: $version
Architecture: $arch
Maintainer: rsttrace developers <rsttrace@localhost>
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

cat > "$root/DEBIAN/postinst" <<'SCRIPT'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
	command -v systemd-tmpfiles >/dev/null && systemd-tmpfiles --create rsttrace.conf || true
	if [ -d /run/systemd/system ]; then
		systemctl daemon-reload || true
	fi
fi
SCRIPT

cat > "$root/DEBIAN/prerm" <<'SCRIPT'
#!/bin/sh
set -e
if [ -d /run/systemd/system ] && [ "$1" = remove ]; then
	systemctl stop rsttrace.service || true
	systemctl disable rsttrace.service || true
fi
SCRIPT

# The log directory is the package's; its contents are removed on purge.
cat > "$root/DEBIAN/postrm" <<'SCRIPT'
#!/bin/sh
set -e
if [ "$1" = purge ]; then
	rm -rf /var/log/rsttrace
fi
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload || true
fi
SCRIPT
chmod 0755 "$root/DEBIAN/postinst" "$root/DEBIAN/prerm" "$root/DEBIAN/postrm"

(cd "$root" && find . -type f ! -path './DEBIAN/*' ! -path './etc/*' -printf '%P\n' | sort |
	xargs md5sum) > "$root/DEBIAN/md5sums"

dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
