// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <sys/socket.h>
#include "addr.h"
#include "conn.h"
#include "diagnose.h"
#include "json_writer.h"
#include "limits_json.h"
#include "node_identity.h"
#include "output.h"
#include "sink.h"
#include "record.h"

static void start_line(struct output *o, struct json_writer *jw, const char *type, uint64_t ts_ns)
{
	char when[40];

	jw_init(jw, &o->sb);
	jw_start_object(jw);
	jw_uint_field(jw, "schema", RT_SCHEMA_VERSION);
	jw_string_field(jw, "type", type);
	rt_clock_rfc3339(&o->clock, ts_ns, when, sizeof(when));
	jw_string_field(jw, "time", when);
	node_identity_json(jw);
}

static void end_line(struct output *o, struct json_writer *jw)
{
	jw_end_object(jw);
	sb_putc(&o->sb, '\n');
}

/* Schema 2 additions: the cgroup path and the container it names (docs/schema.md). */
static void cgroup_fields(struct json_writer *jw, const struct cg_info *cg)
{
	const struct cg_identity *id = &cg->ident;

	jw_string_field(jw, "cgroup", cg->known ? cg->path : NULL);
	jw_name(jw, "container");
	if (!cg->known || (!id->runtime && !id->pod_uid[0])) {
		jw_null(jw);
		return;
	}
	jw_start_object(jw);
	jw_string_field(jw, "id", id->runtime ? id->container_id : NULL);
	jw_string_field(jw, "runtime", id->runtime);
	jw_string_field(jw, "pod_uid", id->pod_uid[0] ? id->pod_uid : NULL);
	jw_end_object(jw);
}

static void owner_object(struct json_writer *jw, const char *name, const struct rt_owner *ow,
			 bool valid, bool closed, bool alive, const struct cg_info *cg)
{
	jw_name(jw, name);
	if (!valid) {
		jw_null(jw);
		return;
	}
	jw_start_object(jw);
	jw_uint_field(jw, "pid", ow->tgid);
	jw_uint_field(jw, "tid", ow->pid);
	jw_name(jw, "comm");
	jw_string_n(jw, ow->comm, sizeof(ow->comm));
	jw_name(jw, "cgroup_id");
	if (ow->cgroup_id)
		jw_uint(jw, ow->cgroup_id);
	else
		jw_null(jw);
	jw_string_field(jw, "source", owner_source_name(ow->source));
	/* Every key on every line: 1 unless the scan found several holders. */
	jw_uint_field(jw, "shared_by", ow->sharers > 1 ? ow->sharers : 1);
	jw_name(jw, "alive");
	jw_bool(jw, alive);
	jw_name(jw, "closed");
	jw_bool(jw, closed);
	cgroup_fields(jw, cg);
	jw_end_object(jw);
}

static void endpoint_object(struct json_writer *jw, const char *name, int family,
			    const uint8_t *addr, uint16_t port)
{
	char a[RT_ADDR_LEN];

	rt_format_addr(family, addr, a, sizeof(a));
	jw_name(jw, name);
	jw_start_object(jw);
	jw_string_field(jw, "addr", a);
	jw_uint_field(jw, "port", port);
	jw_end_object(jw);
}

static void format_hex(char *buf, size_t len, uint64_t v);

static void listener_object(struct json_writer *jw, const struct rt_record *r)
{
	const struct rt_event *e = &r->ev;
	const struct rt_listener *l = &r->listener;
	char a[RT_ADDR_LEN], sk[24];

	jw_name(jw, "listener");
	if (!(e->flags & RT_F_LISTENER)) {
		jw_null(jw);
		return;
	}
	rt_format_addr(l->family, l->addr, a, sizeof(a));
	jw_start_object(jw);
	jw_string_field(jw, "addr", a);
	jw_uint_field(jw, "port", l->port);
	jw_uint_field(jw, "accept_queue", l->accept_qlen);
	jw_uint_field(jw, "accept_queue_max", l->accept_qmax);
	jw_uint_field(jw, "syn_queue", l->syn_qlen);
	jw_uint_field(jw, "drops", l->drops);
	jw_string_field(jw, "matched_by", e->flags & RT_F_LISTENER_BY_PORT ? "port" : "socket");
	/* Several listeners (SO_REUSEPORT) could have been meant: this is one of them. */
	jw_name(jw, "ambiguous");
	jw_bool(jw, e->flags & RT_F_LISTENER_AMBIG);
	format_hex(sk, sizeof(sk), l->sk);
	jw_string_field(jw, "sk", sk);
	jw_uint_field(jw, "somaxconn", l->somaxconn);
	jw_uint_field(jw, "abort_on_overflow", l->abort_on_overflow);
	jw_uint_field(jw, "syncookies", l->syncookies);
	owner_object(jw, "owner", &l->owner, l->flags & RT_LF_OWNER, false, r->listener_owner_alive,
		     &r->listener_cg);
	limits_json(jw, &r->limits);
	jw_end_object(jw);
}

static void short_owner(struct json_writer *jw, const char *name, uint32_t tgid, const char *comm)
{
	jw_name(jw, name);
	if (!tgid) {
		jw_null(jw);
		return;
	}
	jw_start_object(jw);
	jw_uint_field(jw, "pid", tgid);
	jw_name(jw, "comm");
	jw_string_n(jw, comm, RT_COMM_LEN);
	jw_end_object(jw);
}

static void overflow_object(struct output *o, struct json_writer *jw, const struct rt_record *r)
{
	const struct rt_event *e = &r->ev;
	const struct rt_link *l = &r->link;
	char when[40];

	jw_name(jw, "overflow");
	if (!(e->flags & RT_F_LINKED)) {
		jw_null(jw);
		return;
	}
	rt_clock_rfc3339(&o->clock, l->ts_ns, when, sizeof(when));
	jw_start_object(jw);
	jw_string_field(jw, "time", when);
	jw_uint_field(jw, "ago_ms", e->ts_ns > l->ts_ns ? (e->ts_ns - l->ts_ns) / 1000000 : 0);
	jw_string_field(jw, "path", overflow_path_name(l->path));
	jw_uint_field(jw, "accept_queue", l->accept_qlen);
	jw_uint_field(jw, "accept_queue_max", l->accept_qmax);
	jw_uint_field(jw, "count", l->count);
	jw_uint_field(jw, "listener_port", l->listener_port);
	short_owner(jw, "listener_owner", l->listener_tgid, l->listener_comm);
	jw_end_object(jw);
}

static void closed_listener_object(struct json_writer *jw, const struct rt_record *r)
{
	const struct rt_event *e = &r->ev;
	const struct rt_closed *c = &r->closed;
	char a[RT_ADDR_LEN];

	jw_name(jw, "closed_listener");
	if (!(e->flags & RT_F_CLOSED_LISTENER)) {
		jw_null(jw);
		return;
	}
	rt_format_addr(c->family, c->addr, a, sizeof(a));
	jw_start_object(jw);
	jw_string_field(jw, "addr", a);
	jw_uint_field(jw, "port", c->port);
	jw_uint_field(jw, "closed_ago_ms",
		      e->ts_ns > c->closed_ns ? (e->ts_ns - c->closed_ns) / 1000000 : 0);
	short_owner(jw, "owner", c->owner_tgid, c->owner_comm);
	jw_end_object(jw);
}

static void optional_uint(struct json_writer *jw, const char *name, bool valid, uint64_t v);

/* A client connection: what it carried and the errno its application saw. */
static void connection_object(struct json_writer *jw, const struct rt_record *r)
{
	const struct rt_conn *c = &r->conn;
	long long age = conn_age_ms(c, r->ev.ts_ns);

	jw_name(jw, "connection");
	if (!(r->ev.flags & RT_F_CONN)) {
		jw_null(jw);
		return;
	}
	jw_start_object(jw);
	jw_string_field(jw, "outcome", conn_outcome_name(c->outcome));
	jw_string_field(jw, "errno", errno_name(c->err));
	optional_uint(jw, "errno_code", c->err > 0, (uint64_t)c->err);
	jw_string_field(jw, "error_text", errno_text(c->err));
	optional_uint(jw, "age_ms", age >= 0, (uint64_t)age);
	jw_uint_field(jw, "syn_retries", c->syn_retries);
	jw_uint_field(jw, "data_retries", c->data_retries);
	jw_uint_field(jw, "retransmits", c->total_retrans);
	optional_uint(jw, "srtt_us", c->srtt_us, c->srtt_us);
	optional_uint(jw, "first_retransmit_ago_ms",
		      c->first_retrans_ns && r->ev.ts_ns >= c->first_retrans_ns,
		      (r->ev.ts_ns - c->first_retrans_ns) / 1000000);
	jw_uint_field(jw, "bytes_sent", c->bytes_sent);
	jw_uint_field(jw, "bytes_acked", conn_data_acked(c));
	jw_uint_field(jw, "bytes_received", c->bytes_received);
	optional_uint(jw, "last_send_ms", c->flags & RT_CF_LAST_SEND, c->last_send_ms);
	optional_uint(jw, "last_recv_ms", c->flags & RT_CF_LAST_RECV, c->last_recv_ms);
	jw_name(jw, "fin_received");
	jw_bool(jw, c->fin_received);
	jw_name(jw, "app_closed");
	jw_bool(jw, c->flags & RT_CF_APP_CLOSED);
	jw_end_object(jw);
}

/* The reset the peer was seen sending (both ends traced), or null. */
static void sent_by_object(struct json_writer *jw, const struct peer_sent *p)
{
	jw_name(jw, "sent_by");
	if (!p->found) {
		jw_null(jw);
		return;
	}
	jw_start_object(jw);
	jw_name(jw, "pid");
	if (p->tgid)
		jw_uint(jw, p->tgid);
	else
		jw_null(jw);
	jw_string_field(jw, "comm", p->tgid ? p->comm : NULL);
	jw_string_field(jw, "code", p->code);
	jw_end_object(jw);
}

static void diagnosis_object(struct json_writer *jw, const struct rt_record *r)
{
	const struct diagnosis *d = &r->diag;

	jw_name(jw, "diagnosis");
	jw_start_object(jw);
	jw_string_field(jw, "code", d->code);
	jw_string_field(jw, "confidence", d->confidence);
	jw_string_field(jw, "text", d->text[0] ? d->text : NULL);
	jw_string_field(jw, "hint", d->hint[0] ? d->hint : NULL);
	sent_by_object(jw, &r->peer);
	jw_end_object(jw);
}

/* A folded storm: its span; the fields of the record are its first folded event's. */
static void folded_object(struct output *o, struct json_writer *jw, const struct rt_record *r)
{
	char when[40];

	jw_name(jw, "folded");
	if (r->count <= 1 && !r->sample_taken_back) {
		jw_null(jw);
		return;
	}
	jw_start_object(jw);
	rt_clock_rfc3339(&o->clock, r->first_ns, when, sizeof(when));
	jw_string_field(jw, "first_time", when);
	rt_clock_rfc3339(&o->clock, r->last_ns, when, sizeof(when));
	jw_string_field(jw, "last_time", when);
	jw_uint_field(jw, "span_ms", (r->last_ns - r->first_ns) / 1000000);
	jw_name(jw, "sample_taken_back");
	jw_bool(jw, r->sample_taken_back);
	jw_end_object(jw);
}

static void optional_uint(struct json_writer *jw, const char *name, bool valid, uint64_t v)
{
	jw_name(jw, name);
	if (valid)
		jw_uint(jw, v);
	else
		jw_null(jw);
}

static void context_object(struct json_writer *jw, const struct rt_event *e)
{
	jw_name(jw, "context");
	if (!(e->flags & RT_F_CONTEXT)) {
		jw_null(jw);
		return;
	}
	jw_start_object(jw);
	jw_uint_field(jw, "pid", e->ctx_tgid);
	jw_uint_field(jw, "tid", e->ctx_pid);
	jw_name(jw, "comm");
	jw_string_n(jw, e->ctx_comm, sizeof(e->ctx_comm));
	jw_end_object(jw);
}

static void format_hex(char *buf, size_t len, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[16];
	size_t n = 0;

	/* "0x" and up to 16 digits and the NUL. */
	if (len < 19) {
		if (len)
			buf[0] = '\0';
		return;
	}
	do {
		tmp[n++] = digits[v & 15];
		v >>= 4;
	} while (v && n < sizeof(tmp));
	*buf++ = '0';
	*buf++ = 'x';
	while (n)
		*buf++ = tmp[--n];
	*buf = '\0';
}

void sink_json_record(struct output *o, const struct rt_record *r)
{
	const struct rt_event *e = &r->ev;
	const char *reason = r->reason;
	struct json_writer jw;
	char sk[24];

	start_line(o, &jw, r->type_name, r->count > 1 ? r->last_ns : e->ts_ns);
	jw_uint_field(&jw, "ts_ns", r->count > 1 ? r->last_ns : e->ts_ns);
	/* Summing count by type, plus the lost records, gives the kernel's totals. */
	jw_uint_field(&jw, "count", r->count);
	folded_object(o, &jw, r);
	jw_name(&jw, "netns");
	if (e->netns)
		jw_uint(&jw, e->netns);
	else
		jw_null(&jw);
	jw_string_field(&jw, "family", e->family == AF_INET6 ? "ipv6" : "ipv4");
	endpoint_object(&jw, "local", e->family, e->laddr, e->lport);
	endpoint_object(&jw, "remote", e->family, e->raddr, e->rport);
	jw_string_field(&jw, "addr_source", e->flags & RT_F_ADDR_FROM_SKB ? "packet" : "socket");
	jw_string_field(&jw, "state", tcp_state_name(e->state));
	jw_string_field(&jw, "prev_state",
			e->flags & RT_F_PREV_STATE ? tcp_state_name(e->prev_state) : NULL);
	jw_string_field(&jw, "reason", reason);
	jw_name(&jw, "reason_code");
	if (e->flags & RT_F_NO_REASON)
		jw_null(&jw);
	else
		jw_uint(&jw, e->reason);
	jw_string_field(&jw, "reason_source", r->reason_source);
	jw_string_field(&jw, "cause", r->cause);
	if (e->type == RT_EV_LISTEN_OVERFLOW) {
		jw_string_field(&jw, "path", overflow_path_name(e->path));
		jw_uint_field(&jw, "repeat", e->repeat);
	}
	if (e->type == RT_EV_FIREWALL_RST)
		jw_string_field(&jw, "hook", netfilter_hook_name(e->reason));
	if (e->type == RT_EV_SYN_QUEUE_OVERFLOW) {
		jw_name(&jw, "syncookies");
		jw_bool(&jw, e->flags & RT_F_SYNCOOKIES);
	}
	owner_object(&jw, "owner", &e->owner, e->flags & RT_F_OWNER, e->flags & RT_F_OWNER_CLOSED,
		     r->owner_alive, &r->owner_cg);
	listener_object(&jw, r);
	context_object(&jw, e);
	overflow_object(o, &jw, r);
	closed_listener_object(&jw, r);
	optional_uint(&jw, "unread_bytes", e->flags & RT_F_UNREAD, e->unread_bytes);
	optional_uint(&jw, "state_age_ms", e->flags & RT_F_STATE_AGE, e->state_age_ns / 1000000);
	connection_object(&jw, r);
	diagnosis_object(&jw, r);
	if (e->sk) {
		format_hex(sk, sizeof(sk), e->sk);
		jw_string_field(&jw, "sk", sk);
	} else {
		jw_null_field(&jw, "sk");
	}
	end_line(o, &jw);
}

/* Runs of a hook the kernel skipped: events of these types may be missing. */
void sink_json_missed(struct output *o, const char *hook, uint32_t events, uint64_t count,
		      uint64_t total, uint64_t now_boot_ns)
{
	struct json_writer jw;
	uint32_t t;

	start_line(o, &jw, "missed", now_boot_ns);
	jw_string_field(&jw, "hook", hook);
	jw_name(&jw, "events");
	jw_start_array(&jw);
	for (t = 1; t < RT_EV_MAX; t++)
		if (events & RT_EVM(t))
			jw_string(&jw, event_type_name(t));
	jw_end_array(&jw);
	jw_uint_field(&jw, "count", count);
	jw_uint_field(&jw, "total", total);
	end_line(o, &jw);
}

void sink_json_unattributed(struct output *o, uint32_t type, uint64_t count, uint64_t total,
			    uint64_t now_boot_ns)
{
	struct json_writer jw;

	start_line(o, &jw, "unattributed", now_boot_ns);
	jw_string_field(&jw, "event", event_type_name(type));
	jw_uint_field(&jw, "count", count);
	jw_uint_field(&jw, "total", total);
	end_line(o, &jw);
}

void sink_json_lost(struct output *o, uint64_t count, uint64_t total, uint64_t now_boot_ns)
{
	struct json_writer jw;

	start_line(o, &jw, "lost", now_boot_ns);
	jw_uint_field(&jw, "count", count);
	jw_uint_field(&jw, "total", total);
	end_line(o, &jw);
}

void sink_json_syn_detector(struct output *o, bool armed, const char *why,
			    const uint64_t disarmed[2], uint64_t now_boot_ns)
{
	struct json_writer jw;

	start_line(o, &jw, "syn_detector", now_boot_ns);
	jw_name(&jw, "armed");
	jw_bool(&jw, armed);
	jw_string_field(&jw, "why", why);
	jw_name(&jw, "missed_while_disarmed");
	jw_start_object(&jw);
	jw_uint_field(&jw, "listen_overflow", disarmed[0]);
	jw_uint_field(&jw, "syn_queue_overflow", disarmed[1]);
	jw_end_object(&jw);
	end_line(o, &jw);
}
