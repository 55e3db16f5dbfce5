// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <unistd.h>
#include "output.h"

void output_init(struct output *o, bool json, int fd, const struct rt_names *names)
{
	o->json = json;
	o->header_done = false;
	o->closed = false;
	o->fd = fd;
	o->names = names;
	sb_init(&o->sb);
	rt_clock_init(&o->clock);
}

void output_free(struct output *o)
{
	sb_free(&o->sb);
}

void output_event(struct output *o, const struct rt_event *e, uint64_t now_boot_ns)
{
	if (o->closed)
		return;
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

void output_lost(struct output *o, uint64_t count, uint64_t total, uint64_t now_boot_ns)
{
	if (o->closed)
		return;
	if (o->json)
		format_json_lost(o, count, total, now_boot_ns);
	else
		format_text_lost(o, count, total);
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
	return 0;
}
