// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
#include "addr.h"
#include "diagnose.h"
#include "output.h"
#include "record.h"
#include "sink.h"

/* Column widths fit IPv4 tuples; longer values push the line, never cut it. */
#define W_TIME	   16
#define W_EVENT	   16
#define W_PID	   8
#define W_COMM	   16
#define W_ENDPOINT 22
#define W_STATE	   12
#define W_REASON   26
#define W_QUEUE	   7

static void column(struct strbuf *sb, const char *s, size_t width)
{
	size_t from = sb->len;

	sb_puts(sb, s);
	sb_pad(sb, from, width);
	sb_putc(sb, ' ');
}

void sink_text_header(struct output *o)
{
	struct strbuf *sb = &o->sb;

	column(sb, "TIME", W_TIME);
	column(sb, "EVENT", W_EVENT);
	column(sb, "PID", W_PID);
	column(sb, "COMM", W_COMM);
	column(sb, "LOCAL", W_ENDPOINT);
	column(sb, "REMOTE", W_ENDPOINT);
	column(sb, "STATE", W_STATE);
	column(sb, "REASON", W_REASON);
	column(sb, "QUEUE", W_QUEUE);
	sb_puts(sb, "DIAGNOSIS\n");
}

/* The process to name: the socket's owner, else the listener's. */
static const struct rt_owner *shown_owner(const struct rt_event *e)
{
	if (e->flags & RT_F_OWNER)
		return &e->owner;
	if ((e->flags & RT_F_LISTENER) && (e->listener.flags & RT_LF_OWNER))
		return &e->listener.owner;
	return NULL;
}

static void state_column(struct strbuf *sb, const struct rt_event *e)
{
	const char *state = tcp_state_name(e->state);
	char buf[40];

	if (!state)
		state = "-";
	if (e->flags & RT_F_PREV_STATE) {
		const char *prev = tcp_state_name(e->prev_state);

		snprintf(buf, sizeof(buf), "%s<-%s", state, prev ? prev : "?");
		column(sb, buf, W_STATE);
		return;
	}
	column(sb, state, W_STATE);
}

void sink_text_record(struct output *o, const struct rt_record *r)
{
	const struct rt_event *e = &r->ev;
	const struct rt_owner *ow = shown_owner(e);
	const char *reason = r->reason;
	const char *cause = r->cause;
	const struct diagnosis *d = &r->diag;
	struct strbuf *sb = &o->sb;
	char buf[RT_ENDPOINT_LEN + 16];
	char comm[RT_COMM_LEN + 1];

	rt_clock_short(&o->clock, e->ts_ns, buf, sizeof(buf));
	column(sb, buf, W_TIME);
	if (e->type == RT_EV_LISTEN_OVERFLOW)
		snprintf(buf, sizeof(buf), "overflow/%s", overflow_path_name(e->path));
	else if (e->type == RT_EV_SYN_QUEUE_OVERFLOW)
		snprintf(buf, sizeof(buf), "synq_overflow");
	else
		snprintf(buf, sizeof(buf), "%s", r->type_name);
	column(sb, buf, W_EVENT);
	if (ow) {
		snprintf(buf, sizeof(buf), "%u", ow->tgid);
		memcpy(comm, ow->comm, RT_COMM_LEN);
		comm[RT_COMM_LEN] = '\0';
		for (char *p = comm; *p; p++)
			if (*p < 0x20 || *p == 0x7f)
				*p = '?';
	} else {
		snprintf(buf, sizeof(buf), "-");
		snprintf(comm, sizeof(comm), "-");
	}
	column(sb, buf, W_PID);
	column(sb, comm, W_COMM);
	rt_format_endpoint(e->family, e->laddr, e->lport, buf, sizeof(buf));
	column(sb, buf, W_ENDPOINT);
	rt_format_endpoint(e->family, e->raddr, e->rport, buf, sizeof(buf));
	column(sb, buf, W_ENDPOINT);
	state_column(sb, e);
	/* Kernels before 6.10 give no reason, yet the cause may be known. */
	if (cause)
		snprintf(buf, sizeof(buf), "%s(%s)", reason ? reason : "", cause);
	else
		snprintf(buf, sizeof(buf), "%s", reason ? reason : "-");
	column(sb, buf, W_REASON);
	if (e->flags & RT_F_LISTENER)
		snprintf(buf, sizeof(buf), "%u/%u", e->listener.accept_qlen,
			 e->listener.accept_qmax);
	else
		snprintf(buf, sizeof(buf), "-");
	column(sb, buf, W_QUEUE);
	sb_puts(sb, d->code);
	if (d->text[0]) {
		sb_puts(sb, ": ");
		sb_puts(sb, d->text);
	}
	sb_putc(sb, '\n');
}

void sink_text_lost(struct output *o, uint64_t count, uint64_t total)
{
	sb_printf(&o->sb, "WARNING: %llu events lost (%llu in total): the reader fell behind\n",
		  (unsigned long long)count, (unsigned long long)total);
}

void sink_text_folded(struct output *o, const struct rt_record *r)
{
	uint64_t count = r->count, span_ns = r->span_ns;

	sb_printf(&o->sb, "... %llu more like this in %llu.%03llu s\n", (unsigned long long)count,
		  (unsigned long long)(span_ns / 1000000000ull),
		  (unsigned long long)(span_ns / 1000000 % 1000));
}
