// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "listen_limits.h"

#define NSEC_PER_SEC 1000000000ull

uint32_t limits_round_up(uint32_t n)
{
	uint32_t p = 1;

	while (p < n && p < (1u << 31))
		p <<= 1;
	return p;
}

/* What binds, from what listen() asked (when seen) and somaxconn now. */
static enum limit_source judge_source(const struct limit_facts *f, struct limit_verdict *v)
{
	if (v->call_seen) {
		/* __sys_listen_socket(): if ((unsigned int)backlog > somaxconn) backlog = somaxconn
		 */
		if ((uint32_t)v->backlog < v->call_somaxconn ||
		    ((uint32_t)v->backlog == v->call_somaxconn && !f->is_go))
			return LIMIT_BACKLOG;
		return v->call_somaxconn == f->somaxconn ? LIMIT_SOMAXCONN : LIMIT_SOMAXCONN_THEN;
	}
	if (f->limit < f->somaxconn)
		return LIMIT_BACKLOG_OR_SOMAXCONN;
	if (f->limit == f->somaxconn)
		return LIMIT_UNSEEN_AT_SOMAXCONN;
	return LIMIT_UNSEEN_ABOVE;
}

static void judge_burst(const struct rt_burst *b, struct limit_verdict *v)
{
	uint64_t ms;

	v->has_burst = true;
	v->peak = b->peak;
	v->overflowed = b->overflowed;
	v->queued = b->queued;
	v->accepted = b->accepted;
	v->bursts = b->nr;
	v->duration_ns = b->end_ns > b->start_ns ? b->end_ns - b->start_ns : 0;
	/* The queue holds limit + 1 (full is "more than the limit"): peak - 1 would do. */
	v->recommended = limits_round_up(b->peak > v->limit + 1 ? b->peak : v->limit + 2);
	v->raise_somaxconn = v->recommended > v->somaxconn;
	v->arrived = b->arrived;
	/* Rates while new connections kept coming, from the first overflow on. */
	v->arrival_ns = b->arrive_ns > b->start_ns ? b->arrive_ns - b->start_ns : 0;
	ms = v->arrival_ns / 1000000;
	v->rates_known = ms >= 100;
	if (v->rates_known) {
		v->arrival_per_s = (uint32_t)((uint64_t)b->arrived * 1000 / ms);
		v->accept_per_s = (uint32_t)((uint64_t)b->arrive_accepted * 1000 / ms);
	}
	ms = v->duration_ns / 1000000;
	if (v->duration_ns < LIMIT_PACE_NS)
		v->pace = PACE_UNKNOWN;
	else if (!b->accepted)
		v->pace = PACE_NOT_ACCEPTING;
	/* Draining the peak takes more than a second: a longer queue only delays the drops. */
	else if (v->rates_known && v->arrival_per_s > v->accept_per_s &&
		 (uint64_t)v->peak * ms > (uint64_t)b->accepted * 1000)
		v->pace = PACE_TOO_SLOW;
	else
		v->pace = PACE_BURST;
}

void limits_judge(const struct limit_facts *f, struct limit_verdict *v)
{
	unsigned int i;

	memset(v, 0, sizeof(*v));
	v->limit = f->limit;
	v->somaxconn = f->somaxconn;
	v->tgid = f->tgid;
	if (f->comm) {
		/* Goes to terminals: no control bytes from a process name. */
		for (i = 0; i < RT_COMM_LEN && f->comm[i]; i++)
			v->comm[i] = (unsigned char)f->comm[i] < 0x20 || f->comm[i] == 0x7f
					 ? '?'
					 : f->comm[i];
		v->comm[i] = '\0';
	}
	v->server = f->is_go ? server_go() : f->comm ? server_by_comm(f->comm, RT_COMM_LEN) : NULL;
	if (f->call && f->call->ts_ns) {
		v->call_seen = true;
		v->backlog = f->call->backlog;
		v->call_somaxconn = f->call->somaxconn;
	}
	v->source = judge_source(f, v);
	v->restart = v->source == LIMIT_SOMAXCONN || v->source == LIMIT_SOMAXCONN_THEN ||
		     v->source == LIMIT_UNSEEN_ABOVE;
	if (f->burst && f->burst->start_ns)
		judge_burst(f->burst, v);
	accept_wait_stats(f->wait, &v->wait);
}

const char *limit_source_name(enum limit_source s)
{
	static const char *const names[] = {
	    [LIMIT_NONE] = "none",
	    [LIMIT_BACKLOG] = "listen_backlog",
	    [LIMIT_SOMAXCONN] = "somaxconn",
	    [LIMIT_SOMAXCONN_THEN] = "somaxconn_at_listen",
	    [LIMIT_BACKLOG_OR_SOMAXCONN] = "listen_backlog_or_older_somaxconn",
	    [LIMIT_UNSEEN_AT_SOMAXCONN] = "somaxconn_or_listen_backlog",
	    [LIMIT_UNSEEN_ABOVE] = "older_somaxconn",
	};

	return (unsigned int)s < sizeof(names) / sizeof(names[0]) ? names[s] : "none";
}

const char *limit_pace_name(enum limit_pace p)
{
	static const char *const names[] = {
	    [PACE_UNKNOWN] = "unknown",
	    [PACE_BURST] = "burst",
	    [PACE_TOO_SLOW] = "too_slow",
	    [PACE_NOT_ACCEPTING] = "not_accepting",
	};

	return (unsigned int)p < sizeof(names) / sizeof(names[0]) ? names[p] : "unknown";
}

struct text {
	char *buf;
	size_t len, at;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->at >= t->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->at, t->len - t->at, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->at = t->at + (size_t)n < t->len ? t->at + (size_t)n : t->len;
}

/* The server's own setting, with the value; the format comes from servers.def. */
static void put_setting(struct text *t, const struct server_setting *s, uint32_t value)
{
	char one[256];

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	snprintf(one, sizeof(one), s->setting, value);
#pragma GCC diagnostic pop
	put(t, "%s", one);
}

static void put_who(struct text *t, const struct limit_verdict *v)
{
	if (v->tgid)
		put(t, "pid %u (%s)", v->tgid, v->comm);
	else
		put(t, "the application");
}

static const char *app_name(const struct limit_verdict *v)
{
	return v->server && !(v->server->flags & SRV_SOMAXCONN_ONCE) ? v->server->name
								     : "the application";
}

static void put_binding(struct text *t, const struct limit_verdict *v)
{
	static const char unseen[] =
	    "(the listener is older than rsttrace: its listen() backlog is unknown)";

	switch (v->source) {
	case LIMIT_BACKLOG:
		if (v->somaxconn > v->limit)
			put(t,
			    "limit %u = %s's listen backlog (listen(fd, %d); net.core.somaxconn (%u in that netns) is higher)",
			    v->limit, app_name(v), v->backlog, v->somaxconn);
		else
			/* somaxconn was lowered since: the listener keeps what it got. */
			put(t,
			    "limit %u = %s's listen backlog (listen(fd, %d), when net.core.somaxconn was %u; it is %u in that netns now)",
			    v->limit, app_name(v), v->backlog, v->call_somaxconn, v->somaxconn);
		break;
	case LIMIT_SOMAXCONN:
		put(t, "limit %u = somaxconn: net.core.somaxconn (%u in that netns) is below the ",
		    v->limit, v->somaxconn);
		if (v->backlog < 0)
			put(t, "unbounded backlog (%d) ", v->backlog);
		else
			put(t, "%d ", v->backlog);
		put_who(t, v);
		put(t, " asked for in listen()");
		break;
	case LIMIT_SOMAXCONN_THEN:
		put(t, "limit %u = somaxconn at the time ", v->limit);
		put_who(t, v);
		put(t,
		    " called listen(fd, %d); net.core.somaxconn is now %u in that netns, but this listener keeps its limit of %u until it calls listen() again",
		    v->backlog, v->somaxconn, v->limit);
		break;
	case LIMIT_BACKLOG_OR_SOMAXCONN:
		put(t,
		    "limit %u is below net.core.somaxconn (%u in that netns): the application's listen backlog or an older somaxconn binds %s",
		    v->limit, v->somaxconn, unseen);
		break;
	case LIMIT_UNSEEN_AT_SOMAXCONN:
		put(t,
		    "limit %u = net.core.somaxconn (%u in that netns), or a listen backlog of exactly that %s",
		    v->limit, v->somaxconn, unseen);
		break;
	case LIMIT_UNSEEN_ABOVE:
		put(t,
		    "limit %u is above net.core.somaxconn (%u in that netns): somaxconn was lowered after listen() %s",
		    v->limit, v->somaxconn, unseen);
		break;
	case LIMIT_NONE:
		break;
	}
}

static void put_backlog_change(struct text *t, const struct limit_verdict *v, uint32_t value)
{
	if (v->server && !(v->server->flags & SRV_SOMAXCONN_ONCE))
		put_setting(t, v->server, value);
	else
		put(t, "the backlog the application passes to listen() to %u", value);
}

static const char somaxconn_note[] =
    " (a new somaxconn applies only to listeners created after the change)";

/* What to change, to what value: the binding limit first. */
static void put_fix(struct text *t, const struct limit_verdict *v)
{
	uint32_t value = v->recommended;
	bool go = v->server && (v->server->flags & SRV_SOMAXCONN_ONCE);

	if (v->has_burst) {
		put(t, "; a limit of %u would have absorbed it: ", value);
	} else {
		/* No burst measured (a reset linked to an old overflow): a value to start from. */
		value = limits_round_up(2 * v->limit + 2);
		put(t, "; to raise it (to %u, say): ", value);
	}
	if (go) {
		if (v->raise_somaxconn || v->source != LIMIT_SOMAXCONN_THEN)
			put(t, "raise net.core.somaxconn to %u in that netns and ", value);
		put(t, "restart ");
		put_who(t, v);
		put(t, " (Go reads somaxconn once per process and passes it as its backlog)");
		return;
	}
	switch (v->source) {
	case LIMIT_BACKLOG:
	case LIMIT_BACKLOG_OR_SOMAXCONN:
		put(t, "set ");
		put_backlog_change(t, v, value);
		if (v->raise_somaxconn)
			put(t, ", and net.core.somaxconn to %u in that netns", value);
		break;
	case LIMIT_UNSEEN_AT_SOMAXCONN:
		put(t, "raise net.core.somaxconn to %u in that netns and set ", value);
		put_backlog_change(t, v, value);
		put(t, ", then restart it%s", somaxconn_note);
		break;
	case LIMIT_SOMAXCONN:
		put(t, "raise net.core.somaxconn to %u in that netns", value);
		if (v->backlog >= 0 && (uint32_t)v->backlog < value) {
			put(t, " and set ");
			put_backlog_change(t, v, value);
		}
		put(t, ", then restart ");
		put_who(t, v);
		put(t, "%s", somaxconn_note);
		break;
	case LIMIT_SOMAXCONN_THEN:
		if (v->raise_somaxconn)
			put(t, "raise net.core.somaxconn to %u in that netns, then ", value);
		put(t, "restart ");
		put_who(t, v);
		put(t, " so that it calls listen() again");
		if (v->backlog >= 0 && (uint32_t)v->backlog < value) {
			put(t, ", with ");
			put_backlog_change(t, v, value);
		}
		break;
	case LIMIT_UNSEEN_ABOVE:
		put(t, "raise net.core.somaxconn to %u in that netns and set ", value);
		put_backlog_change(t, v, value);
		put(t, ", then restart it");
		break;
	case LIMIT_NONE:
		break;
	}
}

static void put_secs(struct text *t, uint64_t ns)
{
	put(t, "%llu.%01llu s", (unsigned long long)(ns / NSEC_PER_SEC),
	    (unsigned long long)(ns / (NSEC_PER_SEC / 10) % 10));
}

/* How long accepted connections waited in the queue, when known. */
static void put_waits(struct text *t, const struct limit_verdict *v)
{
	char p50[24], p99[24], max[24];

	if (!v->wait.waits)
		return;
	accept_wait_human(v->wait.p50_ns, p50, sizeof(p50));
	accept_wait_human(v->wait.p99_ns, p99, sizeof(p99));
	accept_wait_human(v->wait.max_ns, max, sizeof(max));
	put(t, "; accepted connections waited %s (p50), %s (p99), %s (max) in the queue", p50, p99,
	    max);
}

static void put_pace(struct text *t, const struct limit_verdict *v)
{
	uint32_t backlog = v->recommended;

	switch (v->pace) {
	case PACE_TOO_SLOW:
		put(t, "; but ");
		put_who(t, v);
		put(t, " accepted %u/s while %u/s arrived for ", v->accept_per_s, v->arrival_per_s);
		put_secs(t, v->arrival_ns);
		put(t, ": the application is too slow to accept");
		put_waits(t, v);
		if (backlog && v->accept_per_s) {
			/* The last of a queue that long waits backlog / accept rate. */
			put(t,
			    "; a backlog of %u would only delay the drops (its last connection would wait ",
			    backlog);
			put_secs(t, (uint64_t)backlog * NSEC_PER_SEC / v->accept_per_s);
			put(t, ")");
		} else {
			put(t, "; a bigger backlog would only delay the drops");
		}
		put(t, "; accept faster or add workers");
		break;
	case PACE_NOT_ACCEPTING:
		put(t, "; but ");
		put_who(t, v);
		put(t, " accepted no connection in ");
		put_secs(t, v->duration_ns);
		put(t,
		    " of the burst: it is not accepting (blocked or stuck), and no backlog helps until it does");
		break;
	case PACE_BURST:
	case PACE_UNKNOWN:
		break;
	}
}

void limits_text(const struct limit_verdict *v, char *buf, size_t len)
{
	struct text t = {.buf = buf, .len = len, .at = 0};

	if (len)
		buf[0] = '\0';
	if (v->source == LIMIT_NONE)
		return;
	put_binding(&t, v);
	if (v->has_burst)
		put(&t,
		    "; the burst needed %u (connections waiting or dropped at once, %u of them overflowed)",
		    v->peak, v->overflowed);
	put_fix(&t, v);
	put_pace(&t, v);
}

void limits_setting(const struct limit_verdict *v, char *buf, size_t len)
{
	struct text t = {.buf = buf, .len = len, .at = 0};

	if (len)
		buf[0] = '\0';
	if (v->server && v->recommended)
		put_setting(&t, v->server, v->recommended);
}
