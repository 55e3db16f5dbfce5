// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "output.h"

#define OUTPUT_KEEP_BYTES (1u << 20)

void output_init(struct output *o, bool json, int fd, const struct rt_names *names)
{
	memset(o, 0, sizeof(*o));
	o->json = json;
	o->fd = fd;
	o->names = names;
	sb_init(&o->sb);
	rt_clock_init(&o->clock);
}

void output_free(struct output *o)
{
	sb_free(&o->sb);
}

bool output_same_kind(const struct rt_event *a, const struct rt_event *b)
{
	const uint32_t kind_flags = RT_F_OWNER | RT_F_LISTENER | RT_F_ACCEPTQ_FULL | RT_F_LINKED;

	return a->type == b->type && a->reason == b->reason && a->state == b->state &&
	       a->prev_state == b->prev_state && a->path == b->path && a->netns == b->netns &&
	       a->family == b->family && a->lport == b->lport &&
	       (a->flags & kind_flags) == (b->flags & kind_flags) &&
	       a->owner.tgid == b->owner.tgid && a->listener.owner.tgid == b->listener.owner.tgid &&
	       !memcmp(a->laddr, b->laddr, 16) && !memcmp(a->raddr, b->raddr, 16);
}

static void fold_close(struct output *o, uint64_t now_boot_ns)
{
	if (o->fold_count) {
		if (o->json)
			format_json_folded(o, o->fold_count, o->fold_last_ns - o->fold_first_ns,
					   now_boot_ns);
		else
			format_text_folded(o, o->fold_count, o->fold_last_ns - o->fold_first_ns);
	}
	o->fold_count = 0;
	o->fold_have = false;
}

void output_fold_tick(struct output *o, uint64_t now_boot_ns)
{
	if (o->fold_have && now_boot_ns - o->fold_first_ns >= RT_FOLD_NS)
		fold_close(o, now_boot_ns);
}

static void print_event(struct output *o, const struct rt_event *e, uint64_t now_boot_ns)
{
	if (o->json) {
		format_json_event(o, e, now_boot_ns);
		return;
	}
	if (!o->header_done) {
		format_text_header(o);
		o->header_done = true;
	}
	format_text_event(o, e);
}

void output_event(struct output *o, const struct rt_event *e, uint64_t now_boot_ns)
{
	if (o->closed)
		return;
	if (!o->fold) {
		print_event(o, e, now_boot_ns);
		return;
	}
	if (o->fold_have && output_same_kind(&o->fold_last, e)) {
		o->fold_count++;
		o->fold_last_ns = e->ts_ns;
		return;
	}
	fold_close(o, now_boot_ns);
	print_event(o, e, now_boot_ns);
	o->fold_last = *e;
	o->fold_have = true;
	o->fold_first_ns = e->ts_ns;
	o->fold_last_ns = e->ts_ns;
}

void output_lost(struct output *o, uint64_t count, uint64_t total, uint64_t now_boot_ns)
{
	if (o->closed)
		return;
	fold_close(o, now_boot_ns);
	if (o->json)
		format_json_lost(o, count, total, now_boot_ns);
	else
		format_text_lost(o, count, total);
}

void output_finish(struct output *o, uint64_t now_boot_ns)
{
	if (!o->closed)
		fold_close(o, now_boot_ns);
}

int output_flush(struct output *o)
{
	size_t off = 0;

	if (o->closed) {
		sb_reset(&o->sb);
		return -EPIPE;
	}
	while (off < o->sb.len) {
		ssize_t n = write(o->fd, o->sb.buf + off, o->sb.len - off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EPIPE)
				o->closed = true;
			sb_reset(&o->sb);
			return -errno;
		}
		off += (size_t)n;
	}
	sb_reset(&o->sb);
	/* A summary or a burst may have grown it: give the memory back. */
	if (o->sb.cap > OUTPUT_KEEP_BYTES)
		sb_free(&o->sb);
	return 0;
}
