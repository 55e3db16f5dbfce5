// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "../include/rsttrace.h"
#include "accept_wait.h"
#include "addr.h"
#include "cgroups.h"
#include "hooks.h"
#include "kenums.h"
#include "loader.h"
#include "metrics.h"

#ifndef RSTTRACE_VERSION
#define RSTTRACE_VERSION "0.1.0"
#endif

void metrics_init(struct metrics *m, const struct summary_maps *maps, const struct loader *ld,
		  const struct rt_names *names)
{
	memset(m, 0, sizeof(*m));
	pthread_mutex_init(&m->lock, NULL);
	m->maps = maps;
	m->ld = ld;
	m->names = names;
}

void metrics_note(struct metrics *m, const struct rt_record *r)
{
	uint32_t type = r->ev.type < RT_EV_MAX ? r->ev.type : 0;
	unsigned int i;

	pthread_mutex_lock(&m->lock);
	for (i = 0; i < m->nr_diag; i++)
		if (m->diag[i].type == type && !strcmp(m->diag[i].code, r->diag.code))
			break;
	if (i == m->nr_diag && m->nr_diag < METRICS_MAX_DIAG) {
		m->diag[i].type = type;
		m->diag[i].code = r->diag.code;
		m->nr_diag++;
	}
	if (i < m->nr_diag)
		m->diag[i].count += r->count;
	else
		m->diag_other[type] += r->count;
	reason_tally_note(&m->sent_tally, r);
	pthread_mutex_unlock(&m->lock);
}

static void family(struct strbuf *sb, const char *name, const char *type, const char *help)
{
	sb_printf(sb, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void sample(struct strbuf *sb, const char *name, const char *labels, uint64_t v)
{
	sb_printf(sb, "%s%s%s%s %llu\n", name, labels[0] ? "{" : "", labels, labels[0] ? "}" : "",
		  (unsigned long long)v);
}

/* Label values here are enum names, addresses and numbers; escaped all the same. */
static void label(char *buf, size_t len, const char *name, const char *value)
{
	size_t n = strlen(buf);

	if (n && n + 1 < len)
		buf[n++] = ',';
	n += (size_t)snprintf(buf + n, len > n ? len - n : 0, "%s=\"", name);
	for (; *value && n + 3 < len; value++) {
		if (*value == '\\' || *value == '"')
			buf[n++] = '\\';
		if (*value == '\n') {
			buf[n++] = '\\';
			buf[n++] = 'n';
			continue;
		}
		buf[n++] = *value;
	}
	if (n + 1 < len) {
		buf[n++] = '"';
		buf[n] = '\0';
	}
}

/*
 * Resets sent by the reason their records show: the kernel's where it gives
 * one (counted in BPF, exact when events are lost), else the one rsttrace
 * derives, counted as the records are written.
 */
static void resets(struct strbuf *sb, struct metrics *m, uint32_t type)
{
	struct reason_row rows[REASON_ROWS_MAX];
	struct reason_tally tally;
	char labels[128];
	unsigned int i, nr;

	pthread_mutex_lock(&m->lock);
	tally = m->sent_tally;
	pthread_mutex_unlock(&m->lock);
	nr = reason_rows(m->maps, m->names, type, &tally, rows);
	for (i = 0; i < nr; i++) {
		labels[0] = '\0';
		label(labels, sizeof(labels), type == RT_EV_RST_SENT ? "reason" : "state",
		      rows[i].name);
		sample(sb,
		       type == RT_EV_RST_SENT ? "rsttrace_resets_sent_total"
					      : "rsttrace_resets_received_total",
		       labels, rows[i].count);
	}
}

/* A listener's overflow totals and accept() waits, as one scrape reads them. */
struct lrow {
	struct rt_listener_stats st; /* first: the comparators take a row for its stats */
	struct rt_accept_wait w;
};

static uint64_t listener_total(const struct rt_listener_stats *st)
{
	return st->overflows[RT_PATH_SYN] + st->overflows[RT_PATH_ACK] +
	       st->overflows[RT_PATH_COOKIE] + st->syn_queue_overflows;
}

static int by_overflows(const void *a, const void *b)
{
	uint64_t x = listener_total(a), y = listener_total(b);

	return x < y ? 1 : x > y ? -1 : 0;
}

/* Listeners with the same labels (one restarted: a new socket) are one series. */
static int by_labels(const void *a, const void *b)
{
	const struct rt_listener_stats *x = a, *y = b;

	if (x->netns != y->netns)
		return x->netns < y->netns ? -1 : 1;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return memcmp(x->addr, y->addr, sizeof(x->addr));
}

static void add_into(struct lrow *to, const struct lrow *from)
{
	int p;

	for (p = 0; p < 4; p++)
		to->st.overflows[p] += from->st.overflows[p];
	to->st.syn_queue_overflows += from->st.syn_queue_overflows;
	accept_wait_add(&to->w, &from->w);
}

static unsigned int merge_same_labels(struct lrow *all, unsigned int n)
{
	unsigned int i, out = 0;

	qsort(all, n, sizeof(*all), by_labels);
	for (i = 0; i < n; i++) {
		if (out && !by_labels(&all[out - 1], &all[i]))
			add_into(&all[out - 1], &all[i]);
		else
			all[out++] = all[i];
	}
	return out;
}

static void listener_labels(char *buf, size_t len, const struct rt_listener_stats *st)
{
	char addr[RT_ADDR_LEN], num[16];

	buf[0] = '\0';
	if (!st) {
		label(buf, len, "netns", "other");
		label(buf, len, "addr", "other");
		label(buf, len, "port", "other");
		return;
	}
	snprintf(num, sizeof(num), "%u", st->netns);
	label(buf, len, "netns", num);
	rt_format_addr(st->family, st->addr, addr, sizeof(addr));
	label(buf, len, "addr", addr);
	snprintf(num, sizeof(num), "%u", st->port);
	label(buf, len, "port", num);
}

static const char *const path_names[] = {
    [RT_PATH_SYN] = "syn", [RT_PATH_ACK] = "ack", [RT_PATH_COOKIE] = "cookie"};

enum lfamily { LF_OVERFLOWS, LF_SYNQ, LF_ACCEPTS, LF_WAIT, LF_NR };

/*
 * Upper bounds of the wait histogram, in ns: powers of two, bounds of the
 * kernel's buckets too, so that every count is exact (16 us to 17 s).
 */
static const unsigned int wait_le_shift[] = {14, 17, 20, 23, 25, 27, 29, 30, 31, 32, 34};

static void wait_samples(struct strbuf *sb, const char *labels, const struct rt_accept_wait *w)
{
	char with_le[320];
	unsigned int i;

	for (i = 0; i < sizeof(wait_le_shift) / sizeof(wait_le_shift[0]); i++) {
		uint64_t le = 1ull << wait_le_shift[i];
		char v[32];

		snprintf(v, sizeof(v), "%llu.%09llu", (unsigned long long)(le / 1000000000ull),
			 (unsigned long long)(le % 1000000000ull));
		snprintf(with_le, sizeof(with_le), "%s", labels);
		label(with_le, sizeof(with_le), "le", v);
		sample(sb, "rsttrace_listener_accept_wait_seconds_bucket", with_le,
		       accept_wait_count_le(w, le));
	}
	snprintf(with_le, sizeof(with_le), "%s", labels);
	label(with_le, sizeof(with_le), "le", "+Inf");
	sample(sb, "rsttrace_listener_accept_wait_seconds_bucket", with_le, w->accepted);
	sb_printf(sb, "rsttrace_listener_accept_wait_seconds_sum{%s} %llu.%09llu\n", labels,
		  (unsigned long long)(w->sum_ns / 1000000000ull),
		  (unsigned long long)(w->sum_ns % 1000000000ull));
	sample(sb, "rsttrace_listener_accept_wait_seconds_count", labels, w->accepted);
}

/* One listener's samples of one family; st NULL: the "other" series. */
static void listener_samples(struct strbuf *sb, const struct lrow *r, bool other, enum lfamily f)
{
	char labels[256], with_path[320];
	int p;

	listener_labels(labels, sizeof(labels), other ? NULL : &r->st);
	switch (f) {
	case LF_SYNQ:
		sample(sb, "rsttrace_listener_syn_queue_overflows_total", labels,
		       r->st.syn_queue_overflows);
		break;
	case LF_OVERFLOWS:
		for (p = RT_PATH_ACK; p <= RT_PATH_COOKIE; p++) {
			snprintf(with_path, sizeof(with_path), "%s", labels);
			label(with_path, sizeof(with_path), "path", path_names[p]);
			sample(sb, "rsttrace_listener_overflows_total", with_path,
			       r->st.overflows[p]);
		}
		break;
	case LF_ACCEPTS:
		sample(sb, "rsttrace_listener_accepts_total", labels, r->w.accepted + r->w.unknown);
		break;
	case LF_WAIT:
		wait_samples(sb, labels, &r->w);
		break;
	case LF_NR:
		break;
	}
}

static const struct {
	const char *name, *type, *help;
} lfamilies[LF_NR] = {
    [LF_OVERFLOWS] = {"rsttrace_listener_overflows_total", "counter",
		      "Accept-queue overflows per listener and path (top listeners, the rest as "
		      "other)."},
    [LF_SYNQ] = {"rsttrace_listener_syn_queue_overflows_total", "counter",
		 "SYN-queue overflows per listener (top listeners, the rest as other)."},
    [LF_ACCEPTS] = {"rsttrace_listener_accepts_total", "counter",
		    "Connections accept()ed from the listener (the listeners of "
		    "rsttrace_listener_overflows_total)."},
    [LF_WAIT] = {"rsttrace_listener_accept_wait_seconds", "histogram",
		 "How long accepted connections waited in the accept queue, handshake to "
		 "accept() (the listeners of rsttrace_listener_overflows_total)."},
};

/*
 * Every listener with an overflow is in the map; the scrape shows the
 * METRICS_MAX_LISTENERS with most, and sums the others into one "other".
 */
static void listeners(struct strbuf *sb, const struct metrics *m)
{
	unsigned int n = 0, cap = 64, i;
	struct lrow *all = malloc(cap * sizeof(*all)), *other = calloc(1, sizeof(*other));
	__u64 key, next, *prev = NULL;
	enum lfamily f;

	if (!all || !other)
		goto out;
	while (bpf_map_get_next_key(m->maps->listeners_fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (n == cap) {
			struct lrow *more = realloc(all, 2 * cap * sizeof(*all));

			if (!more)
				break;
			all = more;
			cap *= 2;
		}
		if (bpf_map_lookup_elem(m->maps->listeners_fd, &key, &all[n].st) ||
		    !listener_total(&all[n].st))
			continue;
		if (m->maps->waits_fd < 0 ||
		    bpf_map_lookup_elem(m->maps->waits_fd, &key, &all[n].w))
			memset(&all[n].w, 0, sizeof(all[n].w));
		accept_wait_read(&all[n].w);
		n++;
	}
	n = merge_same_labels(all, n);
	qsort(all, n, sizeof(*all), by_overflows);
	for (i = METRICS_MAX_LISTENERS; i < n; i++)
		add_into(other, &all[i]);
	for (f = 0; f < LF_NR; f++) {
		family(sb, lfamilies[f].name, lfamilies[f].type, lfamilies[f].help);
		for (i = 0; i < n && i < METRICS_MAX_LISTENERS; i++)
			listener_samples(sb, &all[i], false, f);
		if (n > METRICS_MAX_LISTENERS)
			listener_samples(sb, other, true, f);
	}
out:
	free(all);
	free(other);
}

static void diagnoses(struct strbuf *sb, struct metrics *m)
{
	char labels[160];
	unsigned int i;
	uint32_t t;

	family(sb, "rsttrace_events_total", "counter",
	       "Events written, by type and diagnosis code (folded records count every event).");
	pthread_mutex_lock(&m->lock);
	for (i = 0; i < m->nr_diag; i++) {
		labels[0] = '\0';
		label(labels, sizeof(labels), "type", event_type_name(m->diag[i].type));
		label(labels, sizeof(labels), "diagnosis", m->diag[i].code);
		sample(sb, "rsttrace_events_total", labels, m->diag[i].count);
	}
	for (t = 1; t < RT_EV_MAX; t++)
		if (m->diag_other[t]) {
			labels[0] = '\0';
			label(labels, sizeof(labels), "type", event_type_name(t));
			label(labels, sizeof(labels), "diagnosis", "other");
			sample(sb, "rsttrace_events_total", labels, m->diag_other[t]);
		}
	pthread_mutex_unlock(&m->lock);
}

static void missed(struct strbuf *sb, const struct metrics *m)
{
	uint64_t per_hook[LOADER_MAX_HOOKS];
	char labels[128];
	int i;

	family(
	    sb, "rsttrace_missed_runs_total", "counter",
	    "Runs of a hook the kernel skipped (nested in an interrupt): its events, or what it tracks, may be missing.");
	if (!m->ld)
		return;
	loader_recursion_misses(m->ld, per_hook);
	for (i = 0; i < nr_hooks; i++) {
		const struct hook *h = m->ld->choice[i].hook;

		if (!m->ld->attached[i] || !h)
			continue;
		labels[0] = '\0';
		label(labels, sizeof(labels), "hook", h->name);
		sample(sb, "rsttrace_missed_runs_total", labels, per_hook[i]);
	}
}

void metrics_render(void *ctx, struct strbuf *sb)
{
	struct metrics *m = ctx;
	uint64_t t[RT_CNT_MAX] = {};
	struct cg_stats cs;
	char labels[64];
	int p;

	summary_read_counters(m->maps, t);
	family(sb, "rsttrace_build_info", "gauge", "rsttrace's version; always 1.");
	sample(sb, "rsttrace_build_info", "version=\"" RSTTRACE_VERSION "\"", 1);

	family(sb, "rsttrace_resets_sent_total", "counter",
	       "TCP resets sent, by reason (enum sk_rst_reason; before 6.10 the one rsttrace "
	       "derives, as in the events); unattributed: counted by the kernel, seen by no hook.");
	resets(sb, m, RT_EV_RST_SENT);
	family(sb, "rsttrace_resets_received_total", "counter",
	       "TCP resets received, by the state of the socket that received it.");
	resets(sb, m, RT_EV_RST_RECEIVED);
	family(sb, "rsttrace_firewall_resets_total", "counter",
	       "Resets made by netfilter reject rules.");
	sample(sb, "rsttrace_firewall_resets_total", "", t[RT_CNT_FIREWALL_RST]);

	family(
	    sb, "rsttrace_listen_overflows_total", "counter",
	    "Accept-queue overflows by path; unattributed: counted by the kernel, seen by no hook.");
	for (p = RT_PATH_ACK; p <= RT_PATH_COOKIE; p++) {
		static const int cnt[] = {[RT_PATH_SYN] = RT_CNT_OVERFLOW_SYN,
					  [RT_PATH_ACK] = RT_CNT_OVERFLOW_ACK,
					  [RT_PATH_COOKIE] = RT_CNT_OVERFLOW_COOKIE};

		snprintf(labels, sizeof(labels), "path=\"%s\"", path_names[p]);
		sample(sb, "rsttrace_listen_overflows_total", labels, t[cnt[p]]);
	}
	sample(sb, "rsttrace_listen_overflows_total", "path=\"unattributed\"",
	       t[RT_CNT_UNATTRIB_OVERFLOW]);
	family(sb, "rsttrace_syn_queue_overflows_total", "counter",
	       "SYN-queue overflows (unattributed ones included).");
	sample(sb, "rsttrace_syn_queue_overflows_total", "", t[RT_CNT_SYN_QUEUE_OVERFLOW]);
	family(sb, "rsttrace_unattributed_total", "counter",
	       "Events the kernel counted and no hook saw: in the totals, in no record.");
	sample(sb, "rsttrace_unattributed_total", "event=\"listen_overflow\"",
	       t[RT_CNT_UNATTRIB_OVERFLOW]);
	sample(sb, "rsttrace_unattributed_total", "event=\"syn_queue_overflow\"",
	       t[RT_CNT_UNATTRIB_SYNQ]);
	sample(sb, "rsttrace_unattributed_total", "event=\"rst_sent\"", t[RT_CNT_UNATTRIB_RST]);
	family(sb, "rsttrace_syn_detector_disarmed_total", "counter",
	       "Of the unattributed, those counted while the SYN-path detector armed on pressure "
	       "was detached.");
	sample(sb, "rsttrace_syn_detector_disarmed_total", "event=\"listen_overflow\"",
	       t[RT_CNT_DISARMED_OVERFLOW]);
	sample(sb, "rsttrace_syn_detector_disarmed_total", "event=\"syn_queue_overflow\"",
	       t[RT_CNT_DISARMED_SYNQ]);
	listeners(sb, m);

	family(sb, "rsttrace_lost_events_total", "counter",
	       "Events lost because the ring buffer was full.");
	sample(sb, "rsttrace_lost_events_total", "", t[RT_CNT_LOST]);
	family(sb, "rsttrace_folded_events_total", "counter",
	       "Events counted into a folded record instead of streamed one by one.");
	sample(sb, "rsttrace_folded_events_total", "", t[RT_CNT_FOLDED]);
	family(sb, "rsttrace_fold_table_full_total", "counter",
	       "Events streamed unfolded because the fold table was full.");
	sample(sb, "rsttrace_fold_table_full_total", "", t[RT_CNT_FOLD_FULL]);
	missed(sb, m);
	diagnoses(sb, m);

	cgroups_stats(&cs);
	family(sb, "rsttrace_cgroup_cache_entries", "gauge", "cgroups in the resolver's cache.");
	sample(sb, "rsttrace_cgroup_cache_entries", "", cs.entries);
	family(sb, "rsttrace_cgroup_cache_misses_total", "counter",
	       "Owner cgroups not in the cache when an event needed them (path unknown).");
	sample(sb, "rsttrace_cgroup_cache_misses_total", "", cs.misses);
}
