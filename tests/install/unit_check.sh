#!/bin/sh
# Runs as a oneshot service inside the container that cases_systemd.py boots
# (systemd as PID 1 over the host's /usr, where the .deb is installed):
# starts rsttrace.service as systemd runs it, provokes resets, kills it once
# to see Restart=on-failure, stops it, and leaves what it saw in /results
# for the test to judge. Then powers the container off.
set -u
out=/results
state() { systemctl show rsttrace.service -p ActiveState -p SubState -p MainPID \
	-p NRestarts -p ExecMainStatus -p Result > "$out/$1"; }
wait_records() {
	i=0
	while [ "$i" -lt 100 ] && [ "$(wc -l < /var/log/rsttrace/rsttrace.ndjson 2>/dev/null || echo 0)" -lt "$1" ]; do
		sleep 0.1
		i=$((i + 1))
	done
}
refuse() {
	python3 -c '
import socket
for _ in range(3):
    s = socket.socket()
    try:
        s.connect(("127.0.0.1", 4242))
    except ConnectionRefusedError:
        pass
    s.close()'
}

ip link set lo up
# As the host's systemd does at boot (sys-kernel-tracing.mount, skipped in
# containers): the accept() tracepoints are found through tracefs.
[ -d /sys/kernel/tracing/events ] || mount -t tracefs nodev /sys/kernel/tracing
readlink /proc/self/ns/net > "$out/netns"
systemctl start rsttrace.service
wait_records 1
refuse
wait_records 7
state before
pid=$(systemctl show -p MainPID --value rsttrace.service)
if [ "$pid" = 0 ]; then
	journalctl -u rsttrace.service --no-pager -o cat > "$out/journal"
	systemctl poweroff
	exit 1
fi
grep -E '^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Uid):' "/proc/$pid/status" > "$out/status"
ls -ld /var/log/rsttrace > "$out/logdir"

# A crash: systemd restarts it after RestartSec=5s.
kill -KILL "$pid"
i=0
while [ "$i" -lt 150 ] && [ "$(systemctl show -p NRestarts --value rsttrace.service)" = 0 ]; do
	sleep 0.1
	i=$((i + 1))
done
lines=$(wc -l < /var/log/rsttrace/rsttrace.ndjson)
wait_records $((lines + 1))
state restarted

systemctl stop rsttrace.service
state after
cp /var/log/rsttrace/rsttrace.ndjson "$out/"
journalctl -u rsttrace.service --no-pager -o cat > "$out/journal"

# The journal instead of the file: the drop-in the package ships.
mkdir -p /run/systemd/system/rsttrace.service.d
cp /usr/share/doc/rsttrace/examples/journal.conf /run/systemd/system/rsttrace.service.d/
systemctl daemon-reload
rm /var/log/rsttrace/rsttrace.ndjson
journal_lines() { journalctl -u rsttrace.service --no-pager -o cat | wc -l; }
base=$(journal_lines)
systemctl start rsttrace.service
i=0
while [ "$i" -lt 100 ] && ! journalctl -u rsttrace.service --no-pager -o cat | tail -n +$((base + 1)) | grep -q '"type":"coverage"'; do
	sleep 0.1
	i=$((i + 1))
done
refuse
sleep 1
systemctl stop rsttrace.service
journalctl -u rsttrace.service --no-pager -o json | tail -n +$((base + 1)) > "$out/journal.json"
ls /var/log/rsttrace > "$out/logdir.after_journal"
echo finished > "$out/done"
systemctl poweroff
