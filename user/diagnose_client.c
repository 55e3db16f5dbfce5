// SPDX-License-Identifier: GPL-2.0
/*
 * The client's side of an overloaded server it cannot see: SYNs that went
 * unanswered, a request never acknowledged, a reset right after the
 * handshake. Every text states the evidence (retries, bytes, times) the
 * code was decided on; confidence says how many other causes fit it.
 * docs/diagnosis.md documents each rule.
 */
#include <stdio.h>
#include <string.h>
#include "addr.h"
#include "conn.h"
#include "diagnose_client.h"
#include "kenums.h"
#include "record.h"

#define MS 1000000ull

/*
 * With nothing sent, an overflow resets a connection only in answer to the
 * handshake's ACK (tcp_abort_on_overflow=1): within two round trips (the
 * ACK's way and the reset's) and this slack for scheduling. Later, with
 * nothing sent, no overflow path resets it: a server that accepted and
 * closed (SO_LINGER 0, a killed worker) does, and is not named here.
 */
#define RT_HANDSHAKE_RESET_SLACK_MS 3

static const char hint_syn[] =
    "the server (or the path) drops SYNs: retry with exponential backoff and jitter, cap concurrent connections per host; ask the server's owner to raise its listen() backlog and net.core.somaxconn, and to accept() faster";
static const char hint_queue[] =
    "the server's accept queue overflows: cap concurrency per host, retry idempotent requests with backoff and jitter, set a request timeout; ask the server's owner to raise its listen() backlog and net.core.somaxconn, and to accept() faster";
static const char hint_unread[] =
    "the server closed before reading all the client sent (e.g. an early error response, or a body larger than it accepts): read the response before sending more, or send Connection: close / req.Close and retry on a new connection";
static const char hint_refused[] =
    "nothing listens at that address and port (or a firewall rejects): check the address, whether the service runs, and retry with backoff while it restarts";

static void owner_of(char *buf, size_t len, const struct rt_record *r)
{
	const struct rt_event *e = &r->ev;
	char comm[RT_COMM_LEN + 1];
	int i;

	if (!(e->flags & RT_F_OWNER)) {
		snprintf(buf, len, "an unknown process");
		return;
	}
	/* The text goes to terminals: no control bytes from a process name. */
	for (i = 0; i < RT_COMM_LEN && e->owner.comm[i]; i++)
		comm[i] = (unsigned char)e->owner.comm[i] < 0x20 || e->owner.comm[i] == 0x7f
			      ? '?'
			      : e->owner.comm[i];
	comm[i] = '\0';
	snprintf(buf, len, "pid %u (%s)", e->owner.tgid, comm);
}

static void set(struct diagnosis *d, const char *code, const char *confidence, const char *hint)
{
	d->code = code;
	d->confidence = confidence;
	d->hint = hint;
	d->text[0] = '\0';
}

/* "after 3.012 s" from connect(), or "" when connect() was not seen. */
static void after_connect(char *buf, size_t len, const struct rt_record *r)
{
	long long ms = conn_age_ms(&r->conn, r->ev.ts_ns);

	if (ms < 0)
		buf[0] = '\0';
	else
		snprintf(buf, len, " %lld.%03lld s after connect()", ms / 1000, ms % 1000);
}

/* ": connect() failed with ETIMEDOUT (connection timed out)" and the like. */
static void ending(char *buf, size_t len, const struct rt_conn *c)
{
	const char *name = errno_name(c->err), *text = errno_text(c->err);

	if (c->outcome == RT_CO_ESTABLISHED)
		snprintf(buf, len, "then the handshake completed");
	else if (c->outcome == RT_CO_CLOSED)
		snprintf(buf, len, "then the application closed the socket (its own timeout?)");
	else if (name)
		snprintf(buf, len, "then the kernel gave up with %s (%s)", name, text);
	else
		snprintf(buf, len, "then the kernel gave up with errno %d", c->err);
}

static void syn_retries(const struct rt_record *r, struct diagnosis *d)
{
	const struct rt_conn *c = &r->conn;
	char owner[64], remote[RT_ENDPOINT_LEN], when[48], end[96];

	owner_of(owner, sizeof(owner), r);
	rt_format_endpoint(r->ev.family, r->ev.raddr, r->ev.rport, remote, sizeof(remote));
	after_connect(when, sizeof(when), r);
	ending(end, sizeof(end), c);
	/* One lost SYN is ordinary packet loss; several in a row are a server that drops them. */
	set(d, "remote_syn_drops_suspected", c->syn_retries >= 2 ? "high" : "medium", hint_syn);
	snprintf(
	    d->text, sizeof(d->text),
	    "the SYN of %s to %s went unanswered and was retransmitted %u time%s, %s%s: the server dropped its SYNs (full accept or SYN queue with syncookies off) or the path lost them",
	    owner, remote, c->syn_retries, c->syn_retries == 1 ? "" : "s", end, when);
}

static void connect_failed(const struct rt_record *r, struct diagnosis *d)
{
	const struct rt_conn *c = &r->conn;
	char owner[64], remote[RT_ENDPOINT_LEN], when[48];
	const char *name = errno_name(c->err);

	if (c->syn_retries) {
		syn_retries(r, d);
		return;
	}
	owner_of(owner, sizeof(owner), r);
	rt_format_endpoint(r->ev.family, r->ev.raddr, r->ev.rport, remote, sizeof(remote));
	after_connect(when, sizeof(when), r);
	if (c->outcome == RT_CO_CLOSED) {
		set(d, "connect_abandoned", "low",
		    "the application gave up on connect() before the kernel did: its connect timeout is shorter than the first SYN retransmission (1 s)");
		snprintf(d->text, sizeof(d->text),
			 "%s closed its connecting socket to %s%s before any answer or SYN retry",
			 owner, remote, when);
		return;
	}
	if (c->err == 111) { /* ECONNREFUSED */
		set(d, "connection_refused", "high", hint_refused);
		snprintf(
		    d->text, sizeof(d->text),
		    "%s answered the SYN of %s with a reset: connect() failed with ECONNREFUSED (connection refused)%s",
		    remote, owner, when);
		return;
	}
	set(d, "remote_unreachable", "medium",
	    "an ICMP error or a local route says the server cannot be reached: check routes, firewalls and whether the host is up");
	snprintf(d->text, sizeof(d->text), "connect() of %s to %s failed with %s%s", owner, remote,
		 name ? name : "an error", when);
}

static void request_stalled(const struct rt_record *r, struct diagnosis *d)
{
	const struct rt_conn *c = &r->conn;
	char owner[64], remote[RT_ENDPOINT_LEN], end[96], span[48] = "";

	owner_of(owner, sizeof(owner), r);
	rt_format_endpoint(r->ev.family, r->ev.raddr, r->ev.rport, remote, sizeof(remote));
	ending(end, sizeof(end), c);
	if (c->first_retrans_ns && r->ev.ts_ns > c->first_retrans_ns)
		snprintf(span, sizeof(span), " over %llu.%03llu s",
			 (unsigned long long)((r->ev.ts_ns - c->first_retrans_ns) / (1000 * MS)),
			 (unsigned long long)((r->ev.ts_ns - c->first_retrans_ns) / MS % 1000));
	/*
	 * The handshake completed on this side, yet nothing of the request was
	 * acknowledged and nothing came back: the server never had a socket for
	 * it, as when its accept queue drops the handshake's ACK (the syncookie
	 * or the ACK path) together with the request.
	 */
	set(d, "remote_accept_queue_overflow_suspected",
	    c->bytes_received == 0 && c->data_retries >= 2 ? "high" : "medium", hint_queue);
	snprintf(
	    d->text, sizeof(d->text),
	    "%s was connected to %s but none of the %llu bytes it sent was ever acknowledged and nothing came back; the data was retransmitted %u time%s%s, %s: the server dropped the handshake's ACK and the request (accept queue full)",
	    owner, remote, (unsigned long long)c->bytes_sent, c->data_retries,
	    c->data_retries == 1 ? "" : "s", span, end);
}

/*
 * The peer is traced too and was seen sending this reset for a cause other
 * than its accept queue (an application's abortive close, say): the timing
 * that suggests an overflow is contradicted by the sender's own record.
 */
static bool peer_sent_other_cause(const struct rt_record *r)
{
	return r->peer.found && strcmp(r->peer.code, "listen_overflow") != 0 &&
	       strcmp(r->peer.code, "syn_queue_overflow") != 0;
}

/* Resets received by a client's connection: what the connection had carried tells why. */
static bool reset_received(const struct rt_record *r, struct diagnosis *d)
{
	const struct rt_event *e = &r->ev;
	const struct rt_conn *c = &r->conn;
	unsigned long long acked = conn_data_acked(c);
	uint64_t age_ms = e->state_age_ns / MS;
	char owner[64], remote[RT_ENDPOINT_LEN], sent[64];

	/* An overflow of this very connection was seen (a traced server): that says it all. */
	if ((e->flags & RT_F_LINKED) || (e->state != TCPS_ESTABLISHED &&
					 e->state != TCPS_FIN_WAIT1 && e->state != TCPS_FIN_WAIT2))
		return false;
	owner_of(owner, sizeof(owner), r);
	rt_format_endpoint(e->family, e->raddr, e->rport, remote, sizeof(remote));
	if (c->bytes_received == 0 && acked == 0 && (e->flags & RT_F_STATE_AGE) &&
	    (age_ms <= 2 * (c->srtt_us / 1000) + RT_HANDSHAKE_RESET_SLACK_MS || c->bytes_sent) &&
	    !peer_sent_other_cause(r)) {
		uint64_t rtt_ms = c->srtt_us / 1000;
		/* Only in ESTABLISHED is the state's age the time since the handshake. */
		bool at_handshake = e->state == TCPS_ESTABLISHED &&
				    age_ms <= 2 * rtt_ms + RT_HANDSHAKE_RESET_SLACK_MS;

		set(d, "remote_accept_queue_overflow_suspected", at_handshake ? "high" : "medium",
		    hint_queue);
		if (c->bytes_sent)
			snprintf(sent, sizeof(sent), "none of the %llu bytes sent acknowledged",
				 (unsigned long long)c->bytes_sent);
		else
			snprintf(sent, sizeof(sent), "nothing sent yet");
		if (e->state != TCPS_ESTABLISHED) {
			snprintf(
			    d->text, sizeof(d->text),
			    "%s reset the connection of %s in %s%s, with nothing received and %s (%u retransmission%s): the server had no connection for it, as when a full accept queue dropped its handshake (with syncookies, later segments no longer match the cookie) or reset it",
			    remote, owner, tcp_state_name(e->state),
			    (c->flags & RT_CF_APP_CLOSED)
				? ", after the application had closed it (it saw no error from this reset)"
				: "",
			    sent, c->total_retrans, c->total_retrans == 1 ? "" : "s");
			return true;
		}
		snprintf(
		    d->text, sizeof(d->text),
		    "%s reset the connection of %s %llu ms after the handshake (round trip %u.%03u ms), with nothing received and %s (%u retransmission%s): a server whose accept queue was full resets the handshake (tcp_abort_on_overflow=1) or drops it",
		    remote, owner, (unsigned long long)age_ms, c->srtt_us / 1000, c->srtt_us % 1000,
		    sent, c->total_retrans, c->total_retrans == 1 ? "" : "s");
		return true;
	}
	if (acked && !c->fin_received) {
		set(d, "remote_closed_with_unread_data", "medium", hint_unread);
		snprintf(
		    d->text, sizeof(d->text),
		    "%s reset the connection of %s without a FIN after acknowledging %llu bytes of it (%llu bytes received): the server closed the socket with data still unread (or with SO_LINGER 0)",
		    remote, owner, acked, (unsigned long long)c->bytes_received);
		return true;
	}
	return false;
}

bool diagnose_client(const struct rt_record *r, struct diagnosis *d)
{
	const struct rt_event *e = &r->ev;

	if (!(e->flags & RT_F_CONN))
		return false;
	switch (e->type) {
	case RT_EV_CONNECT_RETRY:
		syn_retries(r, d);
		return true;
	case RT_EV_CONNECT_FAILED:
		connect_failed(r, d);
		return true;
	case RT_EV_REQUEST_STALLED:
		request_stalled(r, d);
		return true;
	case RT_EV_RST_RECEIVED:
		return reset_received(r, d);
	default:
		return false;
	}
}
