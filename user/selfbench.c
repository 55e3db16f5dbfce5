// SPDX-License-Identifier: GPL-2.0
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <bpf/btf.h>
#include "clock.h"
#include "decode.h"
#include "output.h"
#include "pipeline.h"
#include "ring.h"
#include "selfbench.h"

/* The three shapes of a storm: closed port, abort-on-overflow, keep-alive race. */
/* Reason numbers differ between kernels: take them from the names. */
static uint32_t reason_of(const struct rt_names *names, const char *name)
{
	int64_t v = kenum_value(&names->rst_reasons, name);

	return v < 0 ? 0 : (uint32_t)v;
}

static void make_events(struct rt_kevent kev[3], const struct rt_names *names)
{
	uint32_t me = (uint32_t)getpid();
	struct rt_event *ev[3] = {&kev[0].ev, &kev[1].ev, &kev[2].ev};
	int i;

	memset(kev, 0, 3 * sizeof(kev[0]));
	for (i = 0; i < 3; i++) {
		ev[i]->family = AF_INET;
		ev[i]->netns = 4026531840u;
		memcpy(ev[i]->laddr, "\x0a\x00\x00\x01", 4);
		memcpy(ev[i]->raddr, "\x0a\x00\x00\x02", 4);
		ev[i]->lport = 8080;
		ev[i]->rport = (uint16_t)(40000 + i);
		ev[i]->sk = 0xffff888100000000ull + (uint64_t)i * 0x1000;
	}
	ev[0]->type = RT_EV_RST_SENT;
	ev[0]->reason = reason_of(names, "NO_SOCKET");
	ev[0]->flags = RT_F_ADDR_FROM_SKB;
	ev[0]->sk = 0;

	ev[1]->type = RT_EV_RST_SENT;
	ev[1]->reason = reason_of(names, "INVALID_SYN");
	ev[1]->state = 10;
	ev[1]->flags = RT_F_ADDR_FROM_SKB | RT_F_OWNER | RT_F_LISTENER | RT_F_ACCEPTQ_FULL;
	ev[1]->owner.tgid = me;
	ev[1]->owner.pid = me;
	memcpy(ev[1]->owner.comm, "server", 7);
	kev[1].listener.accept_qlen = 3;
	kev[1].listener.accept_qmax = 2;
	kev[1].listener.port = 8080;
	kev[1].listener.family = AF_INET;
	kev[1].listener.flags = RT_LF_OWNER;
	kev[1].listener.owner = ev[1]->owner;

	ev[2]->type = RT_EV_RST_RECEIVED;
	ev[2]->state = 8;
	ev[2]->flags = RT_F_OWNER | RT_F_NO_REASON | RT_F_STATE_AGE;
	ev[2]->owner.tgid = me;
	memcpy(ev[2]->owner.comm, "crawler", 8);
	ev[2]->state_age_ns = 1500000000ull;
}

static double run(bool json, const struct rt_names *names, uint64_t n, int fd)
{
	struct rt_kevent kev[3];
	char wire[3][RT_SZ_MAX];
	size_t size[3];
	struct pipeline pl;
	struct ring ring;
	struct output o;
	uint64_t i, t0, t1;

	make_events(kev, names);
	output_init(&o, json, fd);
	pipeline_init(&pl, names, &o, NULL);
	ring_open(&ring, -1, -1, &pl);
	t0 = rt_clock_boot_now_ns();
	for (i = 0; i < n; i++) {
		kev[i % 3].ev.ts_ns = t0 + i * 1000;
		size[i % 3] = kevent_pack(&kev[i % 3], wire[i % 3]);
		ring.now_ns = t0;
		/* The whole userspace path of a record: unpack, decode, ..., format. */
		ring_record(&ring, wire[i % 3], size[i % 3]);
		/* The tracer writes once per ring-buffer batch; a batch is ~this size. */
		if (o.sb.len > (64 << 10))
			output_flush(&o);
	}
	output_flush(&o);
	t1 = rt_clock_boot_now_ns();
	output_free(&o);
	return (double)n * 1e9 / (double)(t1 - t0 ? t1 - t0 : 1);
}

int selfbench_run(uint64_t n)
{
	struct rt_names names = {};
	struct btf *btf = btf__load_vmlinux_btf();
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	double json, text;

	if (fd < 0)
		return 1;
	if (btf) {
		kenum_load(&names.rst_reasons, btf, "sk_rst_reason", "SK_RST_REASON_");
		kenum_load(&names.drop_reasons, btf, "skb_drop_reason", "SKB_DROP_REASON_");
	}
	json = run(true, &names, n, fd);
	text = run(false, &names, n, fd);
	printf(
	    "{\"type\":\"bench_format\",\"events\":%llu,\"json_events_per_s\":%.0f,\"text_events_per_s\":%.0f}\n",
	    (unsigned long long)n, json, text);
	close(fd);
	kenum_free(&names.rst_reasons);
	kenum_free(&names.drop_reasons);
	btf__free(btf);
	return 0;
}
