// SPDX-License-Identifier: GPL-2.0
/* The limits stage: judges the listener of an overflow record (listen_limits.c). */
#include <string.h>
#include <bpf/bpf.h>
#include "clock.h"
#include "goexe.h"
#include "limits_stage.h"

static int waits_fd = -1;

void limits_stage_waits(int fd)
{
	waits_fd = fd;
}

/* Re-read a listener's row at most this often: a storm of records reads it once. */
#define WAITS_REREAD_NS (50ull * 1000000)

/* The listener's accept() waits so far, NULL when unknown. */
static const struct rt_accept_wait *listener_waits(uint64_t sk)
{
	static struct rt_accept_wait row;
	static uint64_t row_sk, row_read_ns;
	static bool row_ok;
	uint64_t now;

	if (waits_fd < 0 || !sk)
		return NULL;
	now = rt_clock_boot_now_ns();
	if (sk != row_sk || now - row_read_ns >= WAITS_REREAD_NS) {
		row_ok = bpf_map_lookup_elem(waits_fd, &sk, &row) == 0;
		if (row_ok)
			accept_wait_read(&row);
		row_sk = sk;
		row_read_ns = now;
	}
	return row_ok ? &row : NULL;
}

void limits_stage(struct rt_record *r)
{
	const struct rt_listener *l = &r->listener;
	struct limit_facts f = {0};

	/* Only where the listener's queue is the story: its overflows and what they explain. */
	if (!(r->ev.flags & RT_F_LISTENER) ||
	    (r->ev.type != RT_EV_LISTEN_OVERFLOW && !(r->ev.flags & RT_F_LINKED) && !r->cause)) {
		memset(&r->limits, 0, sizeof(r->limits));
		r->limits.source = LIMIT_NONE;
		return;
	}
	f.limit = l->accept_qmax;
	f.somaxconn = l->somaxconn;
	f.call = &l->call;
	f.burst = &l->burst;
	if (l->flags & RT_LF_OWNER) {
		f.comm = l->owner.comm;
		f.tgid = l->owner.tgid;
		/* A Go program has no name of its own: its executable tells. */
		f.is_go = r->listener_owner_alive && goexe_is_go(l->owner.tgid, l->owner.start_ns);
	}
	f.wait = listener_waits(l->sk);
	limits_judge(&f, &r->limits);
}
