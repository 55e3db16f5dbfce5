// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "kenums.h"
#include "ring.h"

/*
 * Only a socket past a FIN may answer data with a reset after a tcp_reset()
 * of its own (aborts_on_data() in bpf/local_abort.bpf.h).
 */
static bool may_be_taken_back(const struct rt_event *e)
{
	return e->type == RT_EV_RST_RECEIVED &&
	       (e->state == TCPS_FIN_WAIT1 || e->state == TCPS_FIN_WAIT2 ||
		e->state == TCPS_CLOSE_WAIT || e->state == TCPS_CLOSING ||
		e->state == TCPS_LAST_ACK);
}

/*
 * A reset received on an established connection waits as well: when the
 * other end is traced too, the reset it sent is reported after this one
 * (tcp_send_active_reset() fires its tracepoint after transmitting, and on
 * loopback the peer has received it by then), and that record is what
 * explains this one (user/peer_link.h).
 */
static bool held(const struct rt_event *e)
{
	return may_be_taken_back(e) ||
	       (e->type == RT_EV_RST_RECEIVED && e->state == TCPS_ESTABLISHED);
}

/*
 * A held reset goes on unless BPF marked its socket: then it was the
 * kernel's own tcp_reset() before answering data after close, even when
 * the reset sent in reply never reached us (lost, or folded).
 */
static void emit(void *ctx, const struct rt_kevent *k)
{
	struct ring *r = ctx;
	__u64 key = k->ev.sk, ts;

	if (may_be_taken_back(&k->ev) && r->aborted_fd >= 0 &&
	    bpf_map_lookup_elem(r->aborted_fd, &key, &ts) == 0 && ts >= k->ev.ts_ns) {
		bpf_map_delete_elem(r->aborted_fd, &key);
		r->taken_back++;
		return;
	}
	pipeline_event(r->pl, k, r->now_ns);
}

int ring_record(struct ring *r, const void *data, size_t size)
{
	struct rt_kevent k;

	if (kevent_unpack(&k, data, size)) {
		r->malformed++;
		return 0;
	}
	/* Held events go out before anything much newer, keeping the order. */
	if (k.ev.ts_ns > HOLD_NS)
		hold_release(&r->hold, k.ev.ts_ns - HOLD_NS);
	if (held(&k.ev)) {
		hold_push(&r->hold, &k);
		return 0;
	}
	if (k.ev.flags & RT_F_LOCAL_ABORT && hold_cancel(&r->hold, k.ev.sk))
		r->taken_back++;
	pipeline_event(r->pl, &k, r->now_ns);
	/* A long batch must not grow the buffer without bound: write as it fills. */
	if (r->pl->out->sb.len >= (128u << 10))
		output_flush(r->pl->out);
	return 0;
}

static int on_record(void *ctx, void *data, size_t size)
{
	return ring_record(ctx, data, size);
}

int ring_open(struct ring *r, int map_fd, int aborted_fd, struct pipeline *pl)
{
	r->pl = pl;
	r->aborted_fd = aborted_fd;
	r->malformed = 0;
	r->taken_back = 0;
	r->now_ns = 0;
	hold_init(&r->hold, emit, r);
	if (map_fd < 0) {
		r->rb = NULL;
		return 0;
	}
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
