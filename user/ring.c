// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <bpf/libbpf.h>
#include "ring.h"

static void emit(void *ctx, const struct rt_event *e)
{
	struct ring *r = ctx;

	pipeline_event(r->pl, e, r->now_ns);
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct ring *r = ctx;
	const struct rt_event *e = data;

	if (size < sizeof(*e) || e->type == 0 || e->type >= RT_EV_MAX) {
		r->malformed++;
		return 0;
	}
	/* Held events go out before anything much newer, keeping the order. */
	if (e->ts_ns > HOLD_NS)
		hold_release(&r->hold, e->ts_ns - HOLD_NS);
	if (e->type == RT_EV_RST_RECEIVED) {
		hold_push(&r->hold, e);
		return 0;
	}
	if (e->flags & RT_F_LOCAL_ABORT)
		hold_cancel(&r->hold, e->sk);
	pipeline_event(r->pl, e, r->now_ns);
	/* A long batch must not grow the buffer without bound: write as it fills. */
	if (r->pl->out->sb.len >= (128u << 10))
		output_flush(r->pl->out);
	return 0;
}

int ring_open(struct ring *r, int map_fd, struct pipeline *pl)
{
	r->pl = pl;
	r->malformed = 0;
	hold_init(&r->hold, emit, r);
	r->rb = ring_buffer__new(map_fd, on_record, r, NULL);
	return r->rb ? 0 : -errno;
}

void ring_close(struct ring *r)
{
	ring_buffer__free(r->rb);
	r->rb = NULL;
}

int ring_poll(struct ring *r, int timeout_ms, uint64_t now_ns)
{
	int err;

	r->now_ns = now_ns;
	err = ring_buffer__poll(r->rb, timeout_ms);
	if (err < 0 && err != -EINTR)
		return err;
	/* The kernel skips wakeups for small batches: read them on the timer. */
	err = ring_buffer__consume(r->rb);
	return err < 0 && err != -EINTR ? err : 0;
}

void ring_release(struct ring *r, uint64_t now_ns)
{
	r->now_ns = now_ns;
	hold_release(&r->hold, now_ns - HOLD_NS);
}

int ring_drain(struct ring *r, uint64_t now_ns)
{
	int err;

	r->now_ns = now_ns;
	err = ring_buffer__consume(r->rb);
	hold_release(&r->hold, UINT64_MAX);
	return err < 0 ? err : 0;
}
