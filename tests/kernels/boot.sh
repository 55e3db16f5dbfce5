#!/bin/sh
# Boots one extracted Debian kernel (fetch.sh's directory) under QEMU TCG
# with the host's root shared read-only over 9p and runs a job in it:
#   boot.sh KDIR OUTDIR JOB
# JOB is a shell script run as root in a chroot of the host's root inside
# the guest, with OUTDIR (writable, shared) at /run/rsttrace-out.  The
# guest's console goes to OUTDIR/console.log; JOB's exit code to OUTDIR/rc.
# KVM cannot boot stock kernels on the project's machines (PVM), hence TCG;
# -smp 1 by default, see docs/kernels.md.
#   RSTTRACE_GUEST_TIMEOUT=S          kill the guest after S seconds (3600)
#   RSTTRACE_GUEST_SMP=N              vCPUs (default 1)
#   RSTTRACE_GUEST_TCG_THREAD=single|multi
#                                     TCG threading (-accel tcg,thread=...);
#                                     unset: QEMU's default (multi for an x86
#                                     guest on an x86 host).  With more than
#                                     one vCPU use single: multi-threaded TCG
#                                     oopses guests on static-key patching
#                                     (docs/kernels.md, "Why -smp 1")
set -eu
kdir=$1
out=$2
job=$3
timeout_s=${RSTTRACE_GUEST_TIMEOUT:-3600}
smp=${RSTTRACE_GUEST_SMP:-1}
accel=tcg
case ${RSTTRACE_GUEST_TCG_THREAD:-} in
'') ;;
single | multi) accel=tcg,thread=$RSTTRACE_GUEST_TCG_THREAD ;;
*)
	echo "boot.sh: RSTTRACE_GUEST_TCG_THREAD must be single or multi" >&2
	exit 2
	;;
esac
case $smp in
'' | *[!0-9]* | 0)
	echo "boot.sh: RSTTRACE_GUEST_SMP must be a positive number" >&2
	exit 2
	;;
esac

vmlinuz=$(ls "$kdir"/boot/vmlinuz-* | head -n 1)
kver=${vmlinuz##*/vmlinuz-}
work=$(mktemp -d "${TMPDIR:-/tmp}/rsttrace-initrd.XXXXXX")
trap 'rm -rf "$work"' EXIT

# initramfs: static busybox, the modules for 9p over virtio (dependency
# order from modprobe against the extracted tree), and /init.
root=$work/root
mkdir -p "$root/bin" "$root/mods" "$root/proc" "$root/sys" "$root/dev" "$root/host"
cp /bin/busybox "$root/bin/busybox"
: >"$root/mods/order"
for m in virtio_pci 9pnet_virtio 9p; do
	modprobe -d "$kdir" -S "$kver" --show-depends "$m" | while read -r verb path _; do
		[ "$verb" = insmod ] || continue
		name=$(basename "$path")
		name=${name%.xz}
		grep -qx "$name" "$root/mods/order" && continue
		case $path in
		*.xz) xz -dc "$path" >"$root/mods/$name" ;;
		*) cp "$path" "$root/mods/$name" ;;
		esac
		echo "$name" >>"$root/mods/order"
	done
done
cp "$job" "$out/job.sh"
echo "$kdir $kver" >"$out/kernel"
echo "-accel $accel -smp $smp" >"$out/qemu.args"
rm -f "$out/rc"
cat >"$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /mods/order); do insmod /mods/$m || echo "init: insmod $m failed"; done
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144 hostroot /host || echo "init: no host root"
h=/host
mount -t proc proc $h/proc
mount -t sysfs sys $h/sys
mount -t devtmpfs dev $h/dev
mkdir -p $h/dev/shm; mount -t tmpfs tmpfs $h/dev/shm
mount -t devpts devpts $h/dev/pts 2>/dev/null
mount -t tmpfs tmpfs $h/tmp
mount -t tmpfs tmpfs $h/run
mount -t tmpfs tmpfs $h/var/tmp
mount -t bpf bpf $h/sys/fs/bpf
mount -t tracefs tracefs $h/sys/kernel/tracing
mount -t debugfs debugfs $h/sys/kernel/debug
mount -t cgroup2 cgroup2 $h/sys/fs/cgroup
mkdir -p $h/run/rsttrace-out
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 out $h/run/rsttrace-out
echo "init: running job"
chroot $h /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	HOME=/root TERM=dumb /bin/sh /run/rsttrace-out/job.sh
echo "init: job exit $?"
sync
umount $h/run/rsttrace-out
poweroff -f
INIT
chmod +x "$root/init"
(cd "$root" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1) >"$work/initrd.gz"

timeout "$timeout_s" qemu-system-x86_64 -accel "$accel" -cpu max -smp "$smp" -m 2048 \
	-display none -monitor none -no-reboot \
	-serial "file:$out/console.log" \
	-kernel "$vmlinuz" -initrd "$work/initrd.gz" \
	-append "console=ttyS0 loglevel=4 panic=-1 rdinit=/init" \
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
	-virtfs "local,path=$out,mount_tag=out,security_model=none,multidevs=remap" \
	</dev/null >"$out/qemu.log" 2>&1 || echo "boot: qemu exit $? (timeout ${timeout_s}s?)" >>"$out/qemu.log"
