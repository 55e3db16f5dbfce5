// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "addr.h"
#include "diagnose.h"
#include "json_writer.h"
#include "node_identity.h"
#include "goexe.h"
#include "kenums.h"
#include "limits_json.h"
#include "summary.h"
#include "summary_client.h"

void summary_init(struct summary *s, const struct rt_names *names, uint64_t start_ns)
{
	memset(s, 0, sizeof(*s));
	s->names = names;
	s->start_ns = start_ns;
}

static void note_code(struct summary *s, const char *code, uint64_t count)
{
	unsigned int i;

	for (i = 0; i < SUMMARY_MAX_CODES && s->codes[i]; i++)
		if (strcmp(s->codes[i], code) == 0)
			break;
	if (i == SUMMARY_MAX_CODES)
		return;
	/* Codes are string literals: keeping the pointer is safe. */
	s->codes[i] = code;
	s->code_counts[i] += count;
}

/* count: the kernel events a (folded) record stands for, not the record. */
static void note_peer(struct summary *s, const struct rt_event *e, uint64_t count)
{
	unsigned int i;

	for (i = 0; i < s->nr_peers; i++)
		if (s->peers[i].family == e->family && !memcmp(s->peers[i].addr, e->raddr, 16)) {
			s->peers[i].resets += count;
			return;
		}
	if (s->nr_peers == SUMMARY_MAX_PEERS) {
		s->peers_untracked += count;
		return;
	}
	memcpy(s->peers[s->nr_peers].addr, e->raddr, 16);
	s->peers[s->nr_peers].family = e->family;
	s->peers[s->nr_peers].resets = count;
	s->nr_peers++;
}

void reason_tally_note(struct reason_tally *t, const struct rt_record *r)
{
	unsigned int i;

	if (r->ev.type != RT_EV_RST_SENT || !(r->ev.flags & RT_F_NO_REASON))
		return;
	for (i = 0; i < t->n; i++)
		if (t->name[i] == r->reason ||
		    (t->name[i] && r->reason && !strcmp(t->name[i], r->reason)))
			break;
	if (i == t->n) {
		/* Full (never with the reasons derive_reset_reason() gives): unknown. */
		if (t->n == REASON_TALLY_MAX)
			return;
		t->name[i] = r->reason;
		t->count[i] = 0;
		t->n++;
	}
	t->count[i] += r->count;
}

void summary_note(struct summary *s, const struct rt_record *r)
{
	note_code(s, r->diag.code, r->count);
	reason_tally_note(&s->sent_tally, r);
	if (r->ev.type == RT_EV_RST_SENT || r->ev.type == RT_EV_RST_RECEIVED)
		note_peer(s, &r->ev, r->count);
}

static int sum_percpu(int fd, uint32_t key, int ncpus, uint64_t *out)
{
	uint64_t vals[ncpus];
	int c;

	*out = 0;
	if (bpf_map_lookup_elem(fd, &key, vals))
		return -errno;
	for (c = 0; c < ncpus; c++)
		*out += vals[c];
	return 0;
}

int summary_read_counters(const struct summary_maps *m, uint64_t totals[RT_CNT_MAX])
{
	uint32_t i;
	int err;

	for (i = 0; i < RT_CNT_MAX; i++) {
		err = sum_percpu(m->counters_fd, i, m->ncpus, &totals[i]);
		if (err)
			return err;
	}
	return 0;
}

/* Entries in the socket table and how many the LRU pushed out to make room. */
static void socket_table(const struct summary_maps *m, const uint64_t t[RT_CNT_MAX],
			 uint64_t *entries, uint64_t *evicted)
{
	uint64_t key, next, *prev = NULL, added_live;

	*entries = 0;
	while (bpf_map_get_next_key(m->socks_fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		(*entries)++;
	}
	added_live = t[RT_CNT_SOCKS_ADDED] - t[RT_CNT_SOCKS_REMOVED];
	*evicted = added_live > *entries ? added_live - *entries : 0;
}

/* The top peers by resets, most first. */
static int peer_cmp(const void *a, const void *b)
{
	const struct summary_peer *pa = a, *pb = b;

	return pa->resets < pb->resets ? 1 : pa->resets > pb->resets ? -1 : 0;
}

static const char *reason_name(const struct rt_names *n, uint32_t type, uint32_t r)
{
	if (type == RT_EV_RST_SENT)
		return kenum_name(&n->rst_reasons, r);
	if (type == RT_EV_RST_RECEIVED)
		return tcp_state_name(r);
	return NULL;
}

static void add_row(struct reason_row *rows, unsigned int *nr, const char *name, uint64_t v)
{
	unsigned int i;

	for (i = 0; i < *nr; i++)
		if (!strcmp(rows[i].name, name)) {
			rows[i].count += v;
			return;
		}
	if (*nr == REASON_ROWS_MAX)
		return;
	rows[*nr].name = name;
	rows[*nr].count = v;
	(*nr)++;
}

unsigned int reason_rows(const struct summary_maps *m, const struct rt_names *n, uint32_t type,
			 const struct reason_tally *t, struct reason_row *rows)
{
	uint64_t c[RT_CNT_MAX];
	unsigned int nr = 0, i;
	uint32_t r;
	uint64_t v;

	for (r = 0; r < RT_MAX_REASONS; r++) {
		const char *name;

		/* Resets without a kernel reason: by their records' reason, below. */
		if (type == RT_EV_RST_SENT && r == RT_REASON_NONE)
			continue;
		if (sum_percpu(m->reasons_fd, type * RT_MAX_REASONS + r, m->ncpus, &v) || !v)
			continue;
		name = reason_name(n, type, r);
		if (!name) {
			snprintf(rows[nr].num, sizeof(rows[nr].num), "%u", r);
			name = rows[nr].num;
		}
		add_row(rows, &nr, name, v);
	}
	if (type != RT_EV_RST_SENT)
		return nr;
	for (i = 0; t && i < t->n; i++)
		if (t->count[i])
			add_row(rows, &nr, t->name[i] ? t->name[i] : "unknown", t->count[i]);
	/* Counted by the kernel, seen by no hook: no reason known, yet in the total. */
	if (!summary_read_counters(m, c) && c[RT_CNT_UNATTRIB_RST])
		add_row(rows, &nr, "unattributed", c[RT_CNT_UNATTRIB_RST]);
	return nr;
}

static void reasons_json(struct json_writer *jw, const struct reason_row *rows, unsigned int nr,
			 const char *key)
{
	unsigned int i;

	jw_name(jw, key);
	jw_start_object(jw);
	for (i = 0; i < nr; i++)
		jw_uint_field(jw, rows[i].name, rows[i].count);
	jw_end_object(jw);
}

typedef void (*listener_fn)(void *ctx, const struct rt_listener_stats *st,
			    const struct limit_verdict *v);

/*
 * Which limit binds each listener and what its largest burst needed: judged
 * here, from the same tables, so the summary holds even when events were lost.
 */
static void judge_listener(const struct summary_maps *m, __u64 key,
			   const struct rt_listener_stats *st, struct limit_verdict *v)
{
	struct limit_facts f = {0};
	struct rt_listener_limits lim;
	struct rt_accept_wait w;
	uint64_t accept_overflows =
	    st->overflows[RT_PATH_SYN] + st->overflows[RT_PATH_ACK] + st->overflows[RT_PATH_COOKIE];

	if (m->waits_fd >= 0 && bpf_map_lookup_elem(m->waits_fd, &key, &w) == 0) {
		accept_wait_read(&w);
		f.wait = &w;
	}
	if (!accept_overflows || bpf_map_lookup_elem(m->limits_fd, &key, &lim) ||
	    !lim.worst.start_ns) {
		memset(v, 0, sizeof(*v));
		v->source = LIMIT_NONE;
		/* A listener with SYN-queue overflows alone still tells how it accepts. */
		accept_wait_stats(f.wait, &v->wait);
		return;
	}
	f.limit = lim.worst.limit;
	f.somaxconn = lim.worst.somaxconn;
	f.call = &lim.call;
	f.burst = &lim.worst;
	f.comm = st->owner_comm;
	f.tgid = st->owner_tgid;
	f.is_go = goexe_is_go(st->owner_tgid, 0);
	limits_judge(&f, v);
}

static void for_each_listener(const struct summary_maps *m, listener_fn fn, void *ctx)
{
	__u64 key, next, *prev = NULL;
	struct rt_listener_stats st;
	struct limit_verdict v;

	while (bpf_map_get_next_key(m->listeners_fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(m->listeners_fd, &key, &st) == 0) {
			judge_listener(m, key, &st, &v);
			fn(ctx, &st, &v);
		}
	}
}

static void listener_json(void *ctx, const struct rt_listener_stats *st,
			  const struct limit_verdict *v)
{
	struct json_writer *jw = ctx;
	char addr[RT_ADDR_LEN];

	rt_format_addr(st->family, st->addr, addr, sizeof(addr));
	jw_start_object(jw);
	jw_uint_field(jw, "netns", st->netns);
	jw_string_field(jw, "addr", addr);
	jw_uint_field(jw, "port", st->port);
	jw_name(jw, "overflows");
	jw_start_object(jw);
	jw_uint_field(jw, "syn", st->overflows[RT_PATH_SYN]);
	jw_uint_field(jw, "ack", st->overflows[RT_PATH_ACK]);
	jw_uint_field(jw, "cookie", st->overflows[RT_PATH_COOKIE]);
	jw_end_object(jw);
	jw_uint_field(jw, "syn_queue_overflows", st->syn_queue_overflows);
	jw_uint_field(jw, "max_accept_queue", st->max_accept_qlen);
	jw_uint_field(jw, "accept_queue_max", st->accept_qmax);
	jw_name(jw, "owner");
	if (st->owner_tgid) {
		jw_start_object(jw);
		jw_uint_field(jw, "pid", st->owner_tgid);
		jw_name(jw, "comm");
		jw_string_n(jw, st->owner_comm, RT_COMM_LEN);
		jw_end_object(jw);
	} else {
		jw_null(jw);
	}
	limits_json(jw, v);
	jw_end_object(jw);
}

/* The sentence, word-wrapped under the listener's lines (80 columns). */
static void wrap_text(struct strbuf *sb, const char *text)
{
	const int indent = 13, width = 79;
	const char *p = text, *end, *brk;
	int room = width - indent;

	while (*p) {
		end = p + strlen(p);
		if (end - p > room) {
			/* The last space that fits; a word longer than a line is cut. */
			for (brk = p + room; brk > p && *brk != ' '; brk--)
				;
			end = brk > p ? brk : p + room;
		}
		sb_printf(sb, "%*s%.*s\n", indent, "", (int)(end - p), p);
		p = end;
		while (*p == ' ')
			p++;
	}
}

static void listener_text(void *ctx, const struct rt_listener_stats *st,
			  const struct limit_verdict *v)
{
	struct strbuf *sb = ctx;
	char addr[RT_ADDR_LEN], sentence[1280];

	rt_format_addr(st->family, st->addr, addr, sizeof(addr));
	/* Two lines, so that a terminal of 80 columns shows them whole. */
	sb_printf(sb, "  listener   %s:%u  netns %u  pid %u (%.*s)\n", addr, st->port, st->netns,
		  st->owner_tgid, RT_COMM_LEN, st->owner_comm);
	sb_printf(
	    sb,
	    "             overflows syn %llu ack %llu cookie %llu, SYN queue %llu, max queue %u/%u\n",
	    (unsigned long long)st->overflows[RT_PATH_SYN],
	    (unsigned long long)st->overflows[RT_PATH_ACK],
	    (unsigned long long)st->overflows[RT_PATH_COOKIE],
	    (unsigned long long)st->syn_queue_overflows, st->max_accept_qlen, st->accept_qmax);
	if (v->wait.known) {
		char rate[32] = "", p50[24], p99[24], max[24];

		if (v->wait.rate_known)
			snprintf(rate, sizeof(rate), ", %u/s", v->wait.accept_per_s);
		sb_printf(sb, "             accepted %llu%s", (unsigned long long)v->wait.accepted,
			  rate);
		if (v->wait.waits) {
			accept_wait_human(v->wait.p50_ns, p50, sizeof(p50));
			accept_wait_human(v->wait.p99_ns, p99, sizeof(p99));
			accept_wait_human(v->wait.max_ns, max, sizeof(max));
			sb_printf(sb, "; queue wait p50 %s, p99 %s, max %s", p50, p99, max);
		}
		sb_putc(sb, '\n');
	}
	if (v->source == LIMIT_NONE)
		return;
	if (v->rates_known)
		sb_printf(sb,
			  "             worst burst: %u/s arrived, %u/s accepted, for %llu ms\n",
			  v->arrival_per_s, v->accept_per_s,
			  (unsigned long long)(v->arrival_ns / 1000000));
	limits_text(v, sentence, sizeof(sentence));
	wrap_text(sb, sentence);
}

static uint64_t missed_total(const struct summary *s)
{
	uint64_t n = 0;
	unsigned int i;

	for (i = 0; i < s->nr_hooks; i++)
		n += s->missed[i];
	return n;
}

static void print_json(struct summary *s, const struct summary_maps *m, struct output *o,
		       const uint64_t t[RT_CNT_MAX], uint64_t written, uint64_t now_ns, bool final)
{
	struct reason_row rows[REASON_ROWS_MAX];
	struct json_writer jw;
	char when[40], addr[RT_ADDR_LEN];
	uint64_t entries, evicted;
	unsigned int i, nr;

	jw_init(&jw, &o->sb);
	jw_start_object(&jw);
	jw_uint_field(&jw, "schema", RT_SCHEMA_VERSION);
	jw_string_field(&jw, "type", "summary");
	rt_clock_rfc3339(&o->clock, now_ns, when, sizeof(when));
	jw_string_field(&jw, "time", when);
	node_identity_json(&jw);
	jw_name(&jw, "final");
	jw_bool(&jw, final);
	jw_uint_field(&jw, "elapsed_ms", (now_ns - s->start_ns) / 1000000);
	jw_name(&jw, "totals");
	jw_start_object(&jw);
	jw_uint_field(&jw, "rst_sent", t[RT_CNT_RST_SENT]);
	jw_uint_field(&jw, "rst_received", t[RT_CNT_RST_RECEIVED]);
	jw_uint_field(&jw, "listen_overflow", t[RT_CNT_LISTEN_OVERFLOW]);
	jw_uint_field(&jw, "listen_overflow_syn", t[RT_CNT_OVERFLOW_SYN]);
	jw_uint_field(&jw, "listen_overflow_ack", t[RT_CNT_OVERFLOW_ACK]);
	jw_uint_field(&jw, "listen_overflow_cookie", t[RT_CNT_OVERFLOW_COOKIE]);
	jw_uint_field(&jw, "syn_queue_overflow", t[RT_CNT_SYN_QUEUE_OVERFLOW]);
	jw_uint_field(&jw, "firewall_reset", t[RT_CNT_FIREWALL_RST]);
	jw_uint_field(&jw, "connect_retry", t[RT_CNT_CONNECT_RETRY]);
	jw_uint_field(&jw, "connect_failed", t[RT_CNT_CONNECT_FAILED]);
	jw_uint_field(&jw, "request_stalled", t[RT_CNT_REQUEST_STALLED]);
	jw_uint_field(&jw, "syn_retrans", t[RT_CNT_SYN_RETRANS]);
	jw_uint_field(&jw, "client_table_full", t[RT_CNT_CLIENT_TABLE_FULL]);
	jw_uint_field(&jw, "lost", t[RT_CNT_LOST]);
	jw_uint_field(&jw, "folded", t[RT_CNT_FOLDED]);
	jw_uint_field(&jw, "fold_full", t[RT_CNT_FOLD_FULL]);
	jw_uint_field(&jw, "written", written);
	jw_uint_field(&jw, "missed", missed_total(s));
	/* Counted by the kernel, seen by no hook: part of the totals above. */
	jw_name(&jw, "unattributed");
	jw_start_object(&jw);
	jw_uint_field(&jw, "listen_overflow", t[RT_CNT_UNATTRIB_OVERFLOW]);
	jw_uint_field(&jw, "syn_queue_overflow", t[RT_CNT_UNATTRIB_SYNQ]);
	jw_uint_field(&jw, "rst_sent", t[RT_CNT_UNATTRIB_RST]);
	jw_end_object(&jw);
	/* Of those, found while the SYN detector armed on pressure was not attached. */
	jw_name(&jw, "syn_detector_disarmed");
	jw_start_object(&jw);
	jw_uint_field(&jw, "listen_overflow", t[RT_CNT_DISARMED_OVERFLOW]);
	jw_uint_field(&jw, "syn_queue_overflow", t[RT_CNT_DISARMED_SYNQ]);
	jw_end_object(&jw);
	jw_end_object(&jw);
	socket_table(m, t, &entries, &evicted);
	jw_name(&jw, "socket_table");
	jw_start_object(&jw);
	jw_uint_field(&jw, "entries", entries);
	jw_uint_field(&jw, "max", m->socks_max);
	jw_uint_field(&jw, "evicted", evicted);
	jw_end_object(&jw);
	nr = reason_rows(m, s->names, RT_EV_RST_SENT, &s->sent_tally, rows);
	reasons_json(&jw, rows, nr, "rst_sent_by_reason");
	nr = reason_rows(m, s->names, RT_EV_RST_RECEIVED, NULL, rows);
	reasons_json(&jw, rows, nr, "rst_received_by_state");
	/* Every event hook, 0 included: a reader must know what could be missing. */
	jw_name(&jw, "missed");
	jw_start_object(&jw);
	for (i = 0; i < s->nr_hooks; i++)
		jw_uint_field(&jw, s->missed_hook[i], s->missed[i]);
	jw_end_object(&jw);
	jw_name(&jw, "by_diagnosis");
	jw_start_object(&jw);
	for (i = 0; i < SUMMARY_MAX_CODES && s->codes[i]; i++)
		jw_uint_field(&jw, s->codes[i], s->code_counts[i]);
	jw_end_object(&jw);
	jw_name(&jw, "listeners");
	jw_start_array(&jw);
	for_each_listener(m, listener_json, &jw);
	jw_end_array(&jw);
	summary_endpoints_json(&jw, m->endpoints_fd);
	qsort(s->peers, s->nr_peers, sizeof(s->peers[0]), peer_cmp);
	jw_name(&jw, "top_peers");
	jw_start_array(&jw);
	for (i = 0; i < s->nr_peers && i < SUMMARY_TOP; i++) {
		rt_format_addr(s->peers[i].family, s->peers[i].addr, addr, sizeof(addr));
		jw_start_object(&jw);
		jw_string_field(&jw, "addr", addr);
		jw_uint_field(&jw, "resets", s->peers[i].resets);
		jw_end_object(&jw);
	}
	jw_end_array(&jw);
	jw_end_object(&jw);
	sb_putc(&o->sb, '\n');
}

static void print_text(struct summary *s, const struct summary_maps *m, struct output *o,
		       const uint64_t t[RT_CNT_MAX], uint64_t written, uint64_t now_ns, bool final)
{
	struct reason_row rows[REASON_ROWS_MAX];
	struct strbuf *sb = &o->sb;
	char addr[RT_ADDR_LEN];
	uint64_t entries, evicted;
	unsigned int i, nr;

	sb_printf(sb, "--- %s summary after %llu s ---\n", final ? "final" : "interval",
		  (unsigned long long)((now_ns - s->start_ns) / 1000000000ull));
	/* Short lines: the summary must read whole in an 80-column terminal. */
	sb_printf(sb, "  resets     sent %llu, received %llu, by firewall rules %llu\n",
		  (unsigned long long)t[RT_CNT_RST_SENT],
		  (unsigned long long)t[RT_CNT_RST_RECEIVED],
		  (unsigned long long)t[RT_CNT_FIREWALL_RST]);
	sb_printf(
	    sb,
	    "  overflows  accept queue %llu (syn %llu, ack %llu, cookie %llu), SYN queue %llu\n",
	    (unsigned long long)t[RT_CNT_LISTEN_OVERFLOW],
	    (unsigned long long)t[RT_CNT_OVERFLOW_SYN], (unsigned long long)t[RT_CNT_OVERFLOW_ACK],
	    (unsigned long long)t[RT_CNT_OVERFLOW_COOKIE],
	    (unsigned long long)t[RT_CNT_SYN_QUEUE_OVERFLOW]);
	if (t[RT_CNT_CONNECT_RETRY] || t[RT_CNT_CONNECT_FAILED] || t[RT_CNT_REQUEST_STALLED])
		sb_printf(
		    sb,
		    "  client     connect_retry %llu (SYN retries %llu), connect_failed %llu,\n"
		    "             request_stalled %llu\n",
		    (unsigned long long)t[RT_CNT_CONNECT_RETRY],
		    (unsigned long long)t[RT_CNT_SYN_RETRANS],
		    (unsigned long long)t[RT_CNT_CONNECT_FAILED],
		    (unsigned long long)t[RT_CNT_REQUEST_STALLED]);
	sb_printf(sb,
		  "  events     written %llu (%llu of them folded into counted lines), lost %llu\n",
		  (unsigned long long)written, (unsigned long long)t[RT_CNT_FOLDED],
		  (unsigned long long)t[RT_CNT_LOST]);
	if (t[RT_CNT_UNATTRIB_OVERFLOW] || t[RT_CNT_UNATTRIB_SYNQ])
		sb_printf(
		    sb,
		    "  unseen     %llu accept-queue, %llu SYN-queue overflows the kernel counted\n"
		    "             and no hook saw (in the totals above, in no line)\n",
		    (unsigned long long)t[RT_CNT_UNATTRIB_OVERFLOW],
		    (unsigned long long)t[RT_CNT_UNATTRIB_SYNQ]);
	if (t[RT_CNT_UNATTRIB_RST])
		sb_printf(sb,
			  "  unseen     %llu resets sent the kernel counted and no hook saw\n"
			  "             (in the totals above, in no line)\n",
			  (unsigned long long)t[RT_CNT_UNATTRIB_RST]);
	if (t[RT_CNT_DISARMED_OVERFLOW] || t[RT_CNT_DISARMED_SYNQ])
		sb_printf(
		    sb,
		    "             of them %llu and %llu while the SYN-path detector was disarmed\n"
		    "             (no listener under pressure: --syn-detector)\n",
		    (unsigned long long)t[RT_CNT_DISARMED_OVERFLOW],
		    (unsigned long long)t[RT_CNT_DISARMED_SYNQ]);
	for (i = 0; i < s->nr_hooks; i++)
		if (s->missed[i])
			sb_printf(
			    sb,
			    "  missed     %llu runs of the %s hook, skipped by the kernel\n"
			    "             (nested in an interrupt): what it sees may be missing\n",
			    (unsigned long long)s->missed[i], s->missed_hook[i]);
	socket_table(m, t, &entries, &evicted);
	sb_printf(sb, "  sockets    %llu of %u table entries, %llu evicted\n",
		  (unsigned long long)entries, m->socks_max, (unsigned long long)evicted);
	nr = reason_rows(m, s->names, RT_EV_RST_SENT, &s->sent_tally, rows);
	for (i = 0; i < nr; i++)
		sb_printf(sb, "  sent       %-30s %llu\n", rows[i].name,
			  (unsigned long long)rows[i].count);
	nr = reason_rows(m, s->names, RT_EV_RST_RECEIVED, NULL, rows);
	for (i = 0; i < nr; i++)
		sb_printf(sb, "  received   in %-27s %llu\n", rows[i].name,
			  (unsigned long long)rows[i].count);
	for (i = 0; i < SUMMARY_MAX_CODES && s->codes[i]; i++)
		sb_printf(sb, "  diagnosis  %-30s %llu\n", s->codes[i],
			  (unsigned long long)s->code_counts[i]);
	for_each_listener(m, listener_text, sb);
	summary_endpoints_text(sb, m->endpoints_fd);
	qsort(s->peers, s->nr_peers, sizeof(s->peers[0]), peer_cmp);
	for (i = 0; i < s->nr_peers && i < SUMMARY_TOP; i++) {
		rt_format_addr(s->peers[i].family, s->peers[i].addr, addr, sizeof(addr));
		sb_printf(sb, "  peer       %-30s %llu resets\n", addr,
			  (unsigned long long)s->peers[i].resets);
	}
}

void summary_print(struct summary *s, const struct summary_maps *m, struct output *o,
		   uint64_t written, uint64_t now_ns, bool final)
{
	uint64_t t[RT_CNT_MAX] = {};

	if (o->closed)
		return;
	summary_read_counters(m, t);
	if (o->json)
		print_json(s, m, o, t, written, now_ns, final);
	else
		print_text(s, m, o, t, written, now_ns, final);
}
