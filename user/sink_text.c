// SPDX-License-Identifier: GPL-2.0
/*
 * Text for people. Two layouts of the same fields:
 * - wide (-w, and whenever stdout is not a terminal): one line per event,
 *   in columns, for grep and pipes, as ss and the bcc tools do;
 * - terminal: a block per event that fits the terminal's width: the facts
 *   on the first line, the diagnosis on indented lines wrapped at the width.
 */
#include <stdio.h>
#include <string.h>
#include "addr.h"
#include "diagnose.h"
#include "output.h"
#include "record.h"
#include "sink.h"
#include "syn_arm.h"
#include "utf8.h"

/* Column widths fit IPv4 tuples; longer values push the line, never cut it. */
#define W_TIME	   16
#define W_EVENT	   16
#define W_PID	   8
#define W_COMM	   16
#define W_ENDPOINT 22
#define W_STATE	   12
#define W_REASON   26
#define W_QUEUE	   7
#define INDENT	   4

/* The fields of a record as text, shared by both layouts. */
struct text_fields {
	char time[24];
	char event[48];
	char pid[16];
	char comm[4 * RT_COMM_LEN + 1]; /* UTF-8 passes through */
	char local[RT_ENDPOINT_LEN];
	char remote[RT_ENDPOINT_LEN];
	char state[40];
	char reason[96];
	char queue[24];
	char folded[96]; /* for a folded storm: what the line stands for */
	char where[96];	 /* the owner's container and pod, or its cgroup: "" when unknown */
};

/* "container docker:3f6b1c2d9e8a pod 0b5e...", else "cgroup /path" (not the root). */
static void where_of(const struct cg_info *cg, char *buf, size_t len)
{
	const struct cg_identity *id = &cg->ident;

	buf[0] = '\0';
	if (!cg->known)
		return;
	if (id->runtime && id->pod_uid[0])
		snprintf(buf, len, "container %s:%.12s pod %s", id->runtime, id->container_id,
			 id->pod_uid);
	else if (id->runtime)
		snprintf(buf, len, "container %s:%.12s", id->runtime, id->container_id);
	else if (id->pod_uid[0])
		snprintf(buf, len, "pod %s", id->pod_uid);
	else if (strcmp(cg->path, "/"))
		snprintf(buf, len, "cgroup %.80s", cg->path);
}

/* Pads to 'width' display columns (UTF-8 aware) and adds the column gap. */
static void column(struct strbuf *sb, const char *s, size_t width)
{
	size_t w = utf8_width(s);

	sb_puts(sb, s);
	while (w++ < width)
		sb_putc(sb, ' ');
	sb_putc(sb, ' ');
}

void sink_text_header(struct output *o)
{
	struct strbuf *sb = &o->sb;

	/* The terminal layout labels its fields; only columns need a header. */
	if (o->width)
		return;
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
static const struct rt_owner *shown_owner(const struct rt_record *r)
{
	const struct rt_event *e = &r->ev;

	if (e->flags & RT_F_OWNER)
		return &e->owner;
	if ((e->flags & RT_F_LISTENER) && (r->listener.flags & RT_LF_OWNER))
		return &r->listener.owner;
	return NULL;
}

static void fields_of(struct output *o, const struct rt_record *r, struct text_fields *f)
{
	const struct rt_event *e = &r->ev;
	const struct rt_owner *ow = shown_owner(r);
	const char *state = tcp_state_name(e->state);
	size_t n;

	rt_clock_short(&o->clock, r->count > 1 ? r->last_ns : e->ts_ns, f->time, sizeof(f->time));
	if (e->type == RT_EV_LISTEN_OVERFLOW)
		snprintf(f->event, sizeof(f->event), "overflow/%s", overflow_path_name(e->path));
	else if (e->type == RT_EV_SYN_QUEUE_OVERFLOW)
		snprintf(f->event, sizeof(f->event), "synq_overflow");
	else
		snprintf(f->event, sizeof(f->event), "%s", r->type_name);
	/*
	 * A folded storm: how many events this line stands for, and that its
	 * peer, owner and diagnosis are the first folded event's.
	 */
	f->folded[0] = '\0';
	if (r->count > 1) {
		char span[32];

		n = strlen(f->event);
		snprintf(f->event + n, sizeof(f->event) - n, " x%llu",
			 (unsigned long long)r->count);
		snprintf(span, sizeof(span), "%llu.%03llu s",
			 (unsigned long long)((r->last_ns - r->first_ns) / 1000000000ull),
			 (unsigned long long)((r->last_ns - r->first_ns) / 1000000ull % 1000));
		snprintf(f->folded, sizeof(f->folded), "[%llu events in %s; the first:]",
			 (unsigned long long)r->count, span);
	}
	f->where[0] = '\0';
	if (ow)
		where_of(ow == &e->owner ? &r->owner_cg : &r->listener_cg, f->where,
			 sizeof(f->where));
	if (ow) {
		snprintf(f->pid, sizeof(f->pid), "%u", ow->tgid);
		utf8_sanitize(f->comm, sizeof(f->comm), ow->comm, RT_COMM_LEN);
	} else {
		snprintf(f->pid, sizeof(f->pid), "-");
		snprintf(f->comm, sizeof(f->comm), "-");
	}
	rt_format_endpoint(e->family, e->laddr, e->lport, f->local, sizeof(f->local));
	rt_format_endpoint(e->family, e->raddr, e->rport, f->remote, sizeof(f->remote));
	if (!state)
		state = "-";
	if (e->flags & RT_F_PREV_STATE) {
		const char *prev = tcp_state_name(e->prev_state);

		snprintf(f->state, sizeof(f->state), "%s<-%s", state, prev ? prev : "?");
	} else {
		snprintf(f->state, sizeof(f->state), "%s", state);
	}
	/* Kernels before 6.10 give no reason, yet the cause may be known. */
	if (r->cause)
		snprintf(f->reason, sizeof(f->reason), "%s(%s)", r->reason ? r->reason : "",
			 r->cause);
	else
		snprintf(f->reason, sizeof(f->reason), "%s", r->reason ? r->reason : "-");
	if (e->flags & RT_F_LISTENER)
		snprintf(f->queue, sizeof(f->queue), "%u/%u", r->listener.accept_qlen,
			 r->listener.accept_qmax);
	else
		snprintf(f->queue, sizeof(f->queue), "-");
}

static void wide_line(struct strbuf *sb, const struct text_fields *f, const struct diagnosis *d,
		      const char *limits)
{
	column(sb, f->time, W_TIME);
	column(sb, f->event, W_EVENT);
	column(sb, f->pid, W_PID);
	column(sb, f->comm, W_COMM);
	column(sb, f->local, W_ENDPOINT);
	column(sb, f->remote, W_ENDPOINT);
	column(sb, f->state, W_STATE);
	column(sb, f->reason, W_REASON);
	column(sb, f->queue, W_QUEUE);
	sb_puts(sb, d->code);
	if (f->folded[0]) {
		sb_puts(sb, ": ");
		sb_puts(sb, f->folded);
	}
	if (d->text[0]) {
		sb_puts(sb, f->folded[0] ? " " : ": ");
		sb_puts(sb, d->text);
	}
	if (limits[0]) {
		sb_puts(sb, "; ");
		sb_puts(sb, limits);
	}
	if (f->where[0]) {
		sb_puts(sb, " [");
		sb_puts(sb, f->where);
		sb_putc(sb, ']');
	}
	sb_putc(sb, '\n');
}

/*
 * Appends words to the current line while they fit, else starts an indented
 * line; a word longer than a whole line is cut where the line ends. *col is
 * the display column the current line has reached.
 */
static void wrap_words(struct strbuf *sb, const char *text, size_t width, size_t *col)
{
	const char *p = text;

	while (*p) {
		size_t len = strcspn(p, " "), w;
		char word[512];

		if (len >= sizeof(word))
			len = sizeof(word) - 1;
		memcpy(word, p, len);
		word[len] = '\0';
		w = utf8_width(word);
		if (*col > INDENT && *col + 1 + w > width) {
			sb_putc(sb, '\n');
			sb_pad(sb, sb->len, INDENT);
			*col = INDENT;
		} else if (*col > INDENT) {
			sb_putc(sb, ' ');
			(*col)++;
		}
		sb_append(sb, word, len);
		*col += w;
		p += len;
		while (*p == ' ')
			p++;
	}
}

/* One piece of the first line; the line wraps before a piece that does not fit. */
static void piece(struct strbuf *sb, const char *s, size_t width, size_t *col)
{
	size_t w = utf8_width(s);

	if (*col && *col + 2 + w > width) {
		sb_putc(sb, '\n');
		sb_pad(sb, sb->len, INDENT);
		*col = INDENT;
	} else if (*col) {
		sb_append(sb, "  ", 2);
		*col += 2;
	}
	sb_puts(sb, s);
	*col += w;
}

static void block(struct strbuf *sb, const struct text_fields *f, const struct diagnosis *d,
		  const char *limits, size_t width)
{
	char buf[160];
	size_t col = 0;

	piece(sb, f->time, width, &col);
	piece(sb, f->event, width, &col);
	if (strcmp(f->pid, "-")) {
		snprintf(buf, sizeof(buf), "pid %s %s", f->pid, f->comm);
		piece(sb, buf, width, &col);
	}
	if (f->where[0])
		piece(sb, f->where, width, &col);
	snprintf(buf, sizeof(buf), "%s <- %s", f->local, f->remote);
	piece(sb, buf, width, &col);
	piece(sb, f->state, width, &col);
	if (strcmp(f->reason, "-"))
		piece(sb, f->reason, width, &col);
	if (strcmp(f->queue, "-")) {
		snprintf(buf, sizeof(buf), "queue %s", f->queue);
		piece(sb, buf, width, &col);
	}
	sb_putc(sb, '\n');
	sb_pad(sb, sb->len, INDENT);
	col = INDENT;
	snprintf(buf, sizeof(buf), "%s:", d->code);
	sb_puts(sb, buf);
	col += strlen(buf);
	if (f->folded[0])
		wrap_words(sb, f->folded, width, &col);
	if (d->text[0])
		wrap_words(sb, d->text, width, &col);
	if (limits[0]) {
		/* What to change, on a paragraph of its own. */
		sb_putc(sb, '\n');
		sb_pad(sb, sb->len, INDENT);
		col = INDENT;
		sb_puts(sb, "fix:");
		col += 4;
		wrap_words(sb, limits, width, &col);
	}
	sb_putc(sb, '\n');
}

void sink_text_record(struct output *o, const struct rt_record *r)
{
	struct text_fields f;
	char limits[1280];

	fields_of(o, r, &f);
	/* Which limit binds the listener and what to set (listen_limits.c). */
	limits_text(&r->limits, limits, sizeof(limits));
	if (o->width)
		block(&o->sb, &f, &r->diag, limits, o->width);
	else
		wide_line(&o->sb, &f, &r->diag, limits);
}

void sink_text_missed(struct output *o, const char *hook, uint32_t events, uint64_t count,
		      uint64_t total)
{
	uint32_t t;

	sb_printf(
	    &o->sb,
	    "WARNING: the kernel skipped %llu runs (%llu in total) of the %s hook, nested in an interrupt; events that may be missing:",
	    (unsigned long long)count, (unsigned long long)total, hook);
	for (t = 1; t < RT_EV_MAX; t++)
		if (events & RT_EVM(t))
			sb_printf(&o->sb, " %s", event_type_name(t));
	sb_putc(&o->sb, '\n');
}

void sink_text_unattributed(struct output *o, uint32_t type, uint64_t count, uint64_t total)
{
	sb_printf(
	    &o->sb,
	    "WARNING: the kernel counted %llu %s (%llu in total) that no hook saw: in the totals, with no record\n",
	    (unsigned long long)count, event_type_name(type), (unsigned long long)total);
}

void sink_text_lost(struct output *o, uint64_t count, uint64_t total)
{
	sb_printf(&o->sb, "WARNING: %llu events lost (%llu in total): the reader fell behind\n",
		  (unsigned long long)count, (unsigned long long)total);
}

void sink_text_syn_detector(struct output *o, bool armed, const char *why,
			    const uint64_t disarmed[2])
{
	if (armed)
		sb_printf(
		    &o->sb,
		    "NOTE: SYN-path detector armed (%s): %llu accept-queue and %llu SYN-queue overflows counted while it was disarmed (in the totals, in no line)\n",
		    strcmp(why, "accept_queue") ? "overflows counted"
						: "an accept queue at half its limit",
		    (unsigned long long)disarmed[0], (unsigned long long)disarmed[1]);
	else
		sb_printf(&o->sb,
			  "NOTE: SYN-path detector disarmed: no listener under pressure for %d s\n",
			  SYN_ARM_QUIET_MS / 1000);
}
