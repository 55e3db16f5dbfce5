// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <bpf/btf.h>
#include "fixtures.h"

static const char *const rst_reasons[] = {
    "SK_RST_REASON_NOT_SPECIFIED",
    "SK_RST_REASON_NO_SOCKET",
    "SK_RST_REASON_TCP_INVALID_ACK_SEQUENCE",
    "SK_RST_REASON_TCP_RFC7323_PAWS",
    "SK_RST_REASON_TCP_TOO_OLD_ACK",
    "SK_RST_REASON_TCP_ACK_UNSENT_DATA",
    "SK_RST_REASON_TCP_FLAGS",
    "SK_RST_REASON_TCP_OLD_ACK",
    "SK_RST_REASON_TCP_ABORT_ON_DATA",
    "SK_RST_REASON_TCP_TIMEWAIT_SOCKET",
    "SK_RST_REASON_INVALID_SYN",
    "SK_RST_REASON_TCP_ABORT_ON_CLOSE",
    "SK_RST_REASON_TCP_ABORT_ON_LINGER",
    "SK_RST_REASON_TCP_ABORT_ON_MEMORY",
    "SK_RST_REASON_TCP_STATE",
    "SK_RST_REASON_TCP_KEEPALIVE_TIMEOUT",
    "SK_RST_REASON_TCP_DISCONNECT_WITH_DATA",
};

int fixture_names(struct rt_names *n)
{
	struct btf *btf = btf__new_empty();
	size_t i;
	int err;

	memset(n, 0, sizeof(*n));
	if (!btf)
		return -ENOMEM;
	err = btf__add_enum(btf, "sk_rst_reason", 4);
	for (i = 0; err >= 0 && i < sizeof(rst_reasons) / sizeof(rst_reasons[0]); i++)
		err = btf__add_enum_value(btf, rst_reasons[i], (int64_t)i);
	if (err >= 0)
		err = btf__add_enum(btf, "skb_drop_reason", 4);
	if (err >= 0)
		err = btf__add_enum_value(btf, "SKB_DROP_REASON_NOT_SPECIFIED", 2);
	if (err >= 0)
		err = btf__add_enum_value(btf, "SKB_DROP_REASON_NO_SOCKET", 3);
	if (err >= 0)
		err = btf__add_enum_value(btf, "SKB_DROP_REASON_TCP_LISTEN_OVERFLOW", 40);
	if (err >= 0)
		err = kenum_load(&n->rst_reasons, btf, "sk_rst_reason", "SK_RST_REASON_");
	if (err >= 0)
		err = kenum_load(&n->drop_reasons, btf, "skb_drop_reason", "SKB_DROP_REASON_");
	btf__free(btf);
	return err < 0 ? err : 0;
}

void fixture_names_free(struct rt_names *n)
{
	kenum_free(&n->rst_reasons);
	kenum_free(&n->drop_reasons);
}

/* Independent of procinfo.c: field 22 per proc(5), after state and 18 numbers. */
#define SKIP6 " %*s %*s %*s %*s %*s %*s"
uint64_t fixture_start_ns(int pid)
{
	long hz = sysconf(_SC_CLK_TCK);
	char path[64], buf[1024];
	unsigned long long ticks;
	const char *p;
	size_t len;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[len] = '\0';
	p = strrchr(buf, ')');
	if (!p || hz <= 0 || sscanf(p + 1, " %*c" SKIP6 SKIP6 SKIP6 " %llu", &ticks) != 1)
		return 0;
	return ticks * (1000000000ull / (uint64_t)hz);
}

void fixture_addr(uint8_t addr[16], int family, const char *text)
{
	memset(addr, 0, 16);
	if (inet_pton(family, text, addr) != 1)
		fprintf(stderr, "fixture_addr: bad address %s\n", text);
}

static void fill_owner(struct rt_owner *ow, uint32_t tgid, const char *comm, uint8_t source)
{
	memset(ow, 0, sizeof(*ow));
	ow->tgid = tgid;
	ow->pid = tgid;
	ow->cgroup_id = 1;
	ow->source = source;
	ow->sharers = 1;
	strncpy(ow->comm, comm, sizeof(ow->comm));
}

static void base(struct rt_kevent *e, uint32_t type, uint32_t flags)
{
	memset(e, 0, sizeof(*e));
	e->ev.ts_ns = 123;
	e->ev.type = type;
	e->ev.flags = flags;
	e->ev.netns = FIXTURE_NETNS;
	e->ev.family = AF_INET;
	fixture_addr(e->ev.laddr, AF_INET, "10.0.0.1");
	fixture_addr(e->ev.raddr, AF_INET, "10.0.0.2");
	e->ev.lport = 8080;
	e->ev.rport = 40000;
}

void fixture_ev_no_socket(struct rt_kevent *e)
{
	base(e, RT_EV_RST_SENT, RT_F_ADDR_FROM_SKB);
	e->ev.reason = 1;
}

void fixture_ev_invalid_syn(struct rt_kevent *e)
{
	struct rt_listener *l = &e->listener;

	base(e, RT_EV_RST_SENT,
	     RT_F_ADDR_FROM_SKB | RT_F_OWNER | RT_F_LISTENER | RT_F_ACCEPTQ_FULL);
	e->ev.sk = FIXTURE_SK;
	e->ev.reason = 10;
	e->ev.state = 10;
	fill_owner(&e->ev.owner, (uint32_t)getpid(), "server", RT_OWN_LISTEN);
	e->ev.owner.start_ns = fixture_start_ns(getpid());
	l->family = AF_INET;
	l->port = 8080;
	l->accept_qlen = 3;
	l->accept_qmax = 2;
	l->syn_qlen = 0;
	l->drops = 5;
	l->flags = RT_LF_OWNER;
	l->owner = e->ev.owner;
}

void fixture_ev_received(struct rt_kevent *e)
{
	base(e, RT_EV_RST_RECEIVED, RT_F_NO_REASON | RT_F_OWNER);
	e->ev.sk = FIXTURE_SK + 0x100;
	e->ev.state = 1;
	fill_owner(&e->ev.owner, FIXTURE_DEAD_PID, "client", RT_OWN_CONNECT);
	e->ev.owner.cgroup_id = 0;
	e->ev.owner.pid = FIXTURE_DEAD_PID + 1;
}

void fixture_ev_overflow(struct rt_kevent *e)
{
	fixture_ev_invalid_syn(e);
	e->ev.type = RT_EV_LISTEN_OVERFLOW;
	e->ev.flags &= ~RT_F_OWNER;
	memset(&e->ev.owner, 0, sizeof(e->ev.owner));
	e->ev.reason = 40;
	e->ev.path = RT_PATH_ACK;
	e->listener.accept_qlen = 129;
	e->listener.accept_qmax = 128;
	e->listener.owner.tgid = FIXTURE_DEAD_PID;
}

void fixture_ev_ipv6_active(struct rt_kevent *e)
{
	base(e, RT_EV_RST_SENT, RT_F_OWNER | RT_F_ACTIVE | RT_F_CONTEXT | RT_F_PREV_STATE);
	e->ev.family = AF_INET6;
	fixture_addr(e->ev.laddr, AF_INET6, "fd77::1");
	fixture_addr(e->ev.raddr, AF_INET6, "fd77::2");
	e->ev.lport = 443;
	e->ev.rport = 50000;
	e->ev.sk = FIXTURE_SK + 0x200;
	e->ev.reason = 11;
	e->ev.state = 7;
	e->ev.prev_state = 1;
	fill_owner(&e->ev.owner, FIXTURE_DEAD_PID, "curl", RT_OWN_CONNECT);
	e->ev.ctx_tgid = 4242;
	e->ev.ctx_pid = 4243;
	strncpy(e->ev.ctx_comm, "curl", sizeof(e->ev.ctx_comm));
}

void fixture_ev_synq(struct rt_kevent *e)
{
	fixture_ev_overflow(e);
	e->ev.type = RT_EV_SYN_QUEUE_OVERFLOW;
	e->ev.flags |= RT_F_SYNCOOKIES;
	e->ev.reason = 0;
	e->ev.path = 0;
	e->listener.syn_qlen = 7;
}

/* Found from this file's own path, so that it works from any working directory. */
char *fixture_read_doc(const char *name)
{
	const char *self = __FILE__, *tail = "tests/unit/fixtures.c";
	size_t prefix = strlen(self) - strlen(tail);
	char path[4096], *text;
	long len;
	FILE *f;

	if (strlen(self) < strlen(tail) || strcmp(self + prefix, tail))
		return NULL;
	snprintf(path, sizeof(path), "%.*sdocs/%s", (int)prefix, self, name);
	f = fopen(path, "r");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	text = len >= 0 ? malloc((size_t)len + 1) : NULL;
	if (text && fread(text, 1, (size_t)len, f) != (size_t)len) {
		free(text);
		text = NULL;
	}
	if (text)
		text[len] = '\0';
	fclose(f);
	return text;
}
