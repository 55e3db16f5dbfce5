// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include "addr.h"
#include "diagnose.h"
#include "diagnose_client.h"
#include "kenums.h"
#include "record.h"

#define NSEC_PER_MSEC 1000000ull

static void set(struct diagnosis *d, const char *code)
{
	d->code = code;
	d->confidence = NULL;
	d->text[0] = '\0';
	d->hint = "";
}

/* "pid 42 (nginx)" without printf: a name goes into nearly every text. */
static void pid_text(char *buf, size_t len, uint32_t tgid, const char *comm)
{
	char digits[10];
	size_t n = 0, clen = strlen(comm), need;

	do {
		digits[n++] = (char)('0' + tgid % 10);
		tgid /= 10;
	} while (tgid);
	need = 4 + n + 2 + clen + 1;
	if (need >= len) {
		snprintf(buf, len, "pid ?");
		return;
	}
	memcpy(buf, "pid ", 4);
	buf += 4;
	while (n)
		*buf++ = digits[--n];
	*buf++ = ' ';
	*buf++ = '(';
	memcpy(buf, comm, clen);
	buf += clen;
	*buf++ = ')';
	*buf = '\0';
}

/* "pid 42 (nginx)", from a fixed-size comm that may lack its NUL. */
static void who(char *buf, size_t len, uint32_t tgid, const char *comm)
{
	char safe[RT_COMM_LEN + 1];
	int i;

	/* The text goes to terminals: no control bytes from a process name. */
	for (i = 0; i < RT_COMM_LEN && comm[i]; i++)
		safe[i] = (unsigned char)comm[i] < 0x20 || comm[i] == 0x7f ? '?' : comm[i];
	safe[i] = '\0';
	pid_text(buf, len, tgid, safe);
}

static void owner_text(char *buf, size_t len, const struct rt_record *r)
{
	const struct rt_event *e = &r->ev;
	if (e->flags & RT_F_OWNER)
		who(buf, len, e->owner.tgid, e->owner.comm);
	else
		snprintf(buf, len, "an unknown process");
}

static void secs(char *buf, size_t len, uint64_t ns)
{
	snprintf(buf, len, "%llu.%03llu s", (unsigned long long)(ns / 1000000000ull),
		 (unsigned long long)(ns / NSEC_PER_MSEC % 1000));
}

static void overflow_hint(struct diagnosis *d, const struct rt_record *r)
{
	const struct rt_event *e = &r->ev;
	const struct rt_listener *l = &r->listener;
	char limits[sizeof(d->hint_buf) - 128];
	const char *abort_text;

	if (!(e->flags & RT_F_LISTENER)) {
		d->hint =
		    "the server does not accept() fast enough or its backlog is too small: raise its listen() backlog and net.core.somaxconn in its netns";
		return;
	}
	/* A syncookie ACK that overflows is dropped silently, whatever the setting. */
	if (e->type == RT_EV_LISTEN_OVERFLOW && e->path == RT_PATH_COOKIE)
		abort_text = "the client of a syncookie handshake is not told: its data is lost";
	else if (l->abort_on_overflow)
		abort_text =
		    "tcp_abort_on_overflow=1 there turns each overflow into an immediate reset";
	else
		abort_text =
		    "with tcp_abort_on_overflow=0 there clients retry, and may get a reset or lose data later";
	if (r->limits.source != LIMIT_NONE) {
		/* Which limit binds, what to set to what, and whether that is enough (limits.c). */
		limits_text(&r->limits, limits, sizeof(limits));
		snprintf(d->hint_buf, sizeof(d->hint_buf), "%s; %s", limits, abort_text);
	} else {
		snprintf(
		    d->hint_buf, sizeof(d->hint_buf),
		    "the server does not accept() fast enough or its backlog is too small: raise its listen() backlog and net.core.somaxconn (%u in that netns); %s",
		    l->somaxconn, abort_text);
	}
	d->hint = d->hint_buf;
}

static bool diagnose_overflow(const struct rt_record *r, struct diagnosis *d)
{
	const struct rt_event *e = &r->ev;
	char owner[64], age[32];

	if (r->cause) {
		set(d, "listen_overflow");
		if (r->listener.flags & RT_LF_OWNER)
			who(owner, sizeof(owner), r->listener.owner.tgid, r->listener.owner.comm);
		else
			snprintf(owner, sizeof(owner), "an unknown process");
		snprintf(
		    d->text, sizeof(d->text),
		    "accept queue of listener port %u owned by %s was full (%u waiting, limit %u): the kernel reset the new connection (tcp_abort_on_overflow=1)",
		    r->listener.port, owner, r->listener.accept_qlen, r->listener.accept_qmax);
		overflow_hint(d, r);
		return true;
	}
	if (!(e->flags & RT_F_LINKED))
		return false;
	set(d, "listen_overflow");
	who(owner, sizeof(owner), r->link.listener_tgid, r->link.listener_comm);
	secs(age, sizeof(age), e->ts_ns > r->link.ts_ns ? e->ts_ns - r->link.ts_ns : 0);
	snprintf(
	    d->text, sizeof(d->text),
	    "this connection overflowed the accept queue of listener port %u owned by %s %s earlier (%s path, %u waiting, limit %u; %u overflow%s of this connection)",
	    r->link.listener_port, r->link.listener_tgid ? owner : "an unknown process", age,
	    r->link.path == RT_PATH_SYN	     ? "SYN"
	    : r->link.path == RT_PATH_COOKIE ? "syncookie"
					     : "ACK",
	    r->link.accept_qlen, r->link.accept_qmax, r->link.count, r->link.count == 1 ? "" : "s");
	overflow_hint(d, r);
	return true;
}

static void diagnose_no_socket(const struct rt_record *r, struct diagnosis *d)
{
	const struct rt_event *e = &r->ev;
	char local[RT_ENDPOINT_LEN], owner[64], age[32];

	rt_format_endpoint(e->family, e->laddr, e->lport, local, sizeof(local));
	if ((e->flags & RT_F_CLOSED_LISTENER) && e->ts_ns >= r->closed.closed_ns &&
	    e->ts_ns - r->closed.closed_ns < RT_RESTART_WINDOW_NS) {
		char addr[RT_ADDR_LEN];

		set(d, "listener_restarting");
		rt_format_addr(r->closed.family, r->closed.addr, addr, sizeof(addr));
		who(owner, sizeof(owner), r->closed.owner_tgid, r->closed.owner_comm);
		secs(age, sizeof(age), e->ts_ns - r->closed.closed_ns);
		snprintf(d->text, sizeof(d->text),
			 "nothing listens on %s: listener %s:%u owned by %s closed %s ago%s", local,
			 addr, r->closed.port, r->closed.owner_tgid ? owner : "an unknown process",
			 age,
			 (e->flags & RT_F_LISTENER) ? " and a new one is listening again" : "");
		d->hint =
		    "clients hit the port while the service restarted: hand the socket over (SO_REUSEPORT, socket activation) or drain clients before closing the listener";
		return;
	}
	set(d, "no_listener");
	if (e->flags & RT_F_LISTENER) {
		char laddr[RT_ADDR_LEN];

		rt_format_addr(r->listener.family, r->listener.addr, laddr, sizeof(laddr));
		snprintf(
		    d->text, sizeof(d->text),
		    "no socket matched %s, although a listener on %s:%u exists in that netns (bound to another address?)",
		    local, laddr, r->listener.port);
	} else {
		snprintf(d->text, sizeof(d->text), "nothing listens on %s in netns %u", local,
			 e->netns);
	}
	d->hint =
	    "start the service or point the client at the right address and port; check the listener's bind address";
}

static void killed(const struct rt_event *e, const char *owner, struct diagnosis *d)
{
	char ctx[64];

	set(d, "killed");
	who(ctx, sizeof(ctx), e->ctx_tgid, e->ctx_comm);
	snprintf(d->text, sizeof(d->text),
		 "the connection owned by %s was aborted by another process, %s (e.g. ss -K)",
		 owner, ctx);
	snprintf(
	    d->hint_buf, sizeof(d->hint_buf),
	    "find out why %s kills connections (ss -K, a sock_destroy BPF program, a connection tracker)",
	    ctx);
	d->hint = d->hint_buf;
}

/*
 * Who sent an active reset is told by the socket, not by whichever task ran
 * the code: a system call holds the socket lock (close, disconnect, ss -K),
 * a timer does not; close() sets both shutdown bits first; an orphan has no
 * process left to close it, so only a killer can reach it under the lock.
 */
static void diagnose_active(const struct rt_record *r, const char *reason, struct diagnosis *d)
{
	const struct rt_event *e = &r->ev;
	bool locked = e->sk_bits & RT_SK_LOCKED;
	char owner[64], closer[64];

	owner_text(owner, sizeof(owner), r);
	if ((e->flags & RT_F_OWNER) && e->owner.source == RT_OWN_LISTENER) {
		set(d, "abortive_close");
		snprintf(
		    d->text, sizeof(d->text),
		    "the listener owned by %s was closed while this connection waited in its accept queue",
		    owner);
		d->hint =
		    "close a listener only after draining its accept queue (stop accepting new connections first)";
		return;
	}
	if (!locked && e->state == TCPS_FIN_WAIT2) {
		set(d, "fin_timeout");
		snprintf(
		    d->text, sizeof(d->text),
		    "a connection closed by %s waited in FIN_WAIT2 for the peer's FIN until the timeout",
		    owner);
		d->hint =
		    "the peer never closed its side; see net.ipv4.tcp_fin_timeout and TCP_LINGER2";
		return;
	}
	if (locked && (e->flags & RT_F_ACTIVE) && e->ctx_tgid &&
	    ((e->sk_bits & RT_SK_ORPHAN) ||
	     (!(e->sk_bits & RT_SK_SHUT) && (e->flags & RT_F_OWNER) &&
	      e->ctx_tgid != e->owner.tgid))) {
		killed(e, owner, d);
		return;
	}
	set(d, "abortive_close");
	/* close() runs in the process that closed the last descriptor: name it. */
	if ((e->sk_bits & RT_SK_SHUT) && (e->flags & RT_F_ACTIVE) && e->ctx_tgid) {
		const char *how = strcmp(reason, "TCP_ABORT_ON_LINGER") == 0
				      ? "with TCP_LINGER2 below 0 in FIN_WAIT2"
				      : "with SO_LINGER 0";

		who(closer, sizeof(closer), e->ctx_tgid, e->ctx_comm);
		if ((e->flags & RT_F_OWNER) && e->owner.tgid != e->ctx_tgid)
			snprintf(d->text, sizeof(d->text),
				 "%s closed the connection %s (%s; it was accepted by %s)", closer,
				 how, reason, owner);
		else
			snprintf(d->text, sizeof(d->text), "%s closed the connection %s (%s)",
				 closer, how, reason);
	} else {
		snprintf(
		    d->text, sizeof(d->text),
		    "%s aborted the connection (%s: close() with SO_LINGER 0, shutdown by disconnect, or abort)",
		    owner, reason);
	}
	d->hint =
	    "an abortive close is a choice of the application; use a normal close() if the peer should see EOF";
}

static void diagnose_received(const struct rt_record *r, struct diagnosis *d)
{
	const struct rt_event *e = &r->ev;
	char owner[64], remote[RT_ENDPOINT_LEN], age[32];

	owner_text(owner, sizeof(owner), r);
	rt_format_endpoint(e->family, e->raddr, e->rport, remote, sizeof(remote));
	switch (e->state) {
	case TCPS_CLOSE_WAIT:
		set(d, "stale_keepalive");
		if (e->flags & RT_F_STATE_AGE) {
			secs(age, sizeof(age), e->state_age_ns);
			snprintf(
			    d->text, sizeof(d->text),
			    "%s closed this connection %s ago, then %s used it again and got a reset: a keep-alive connection reused after the server closed it",
			    remote, age, owner);
		} else {
			snprintf(
			    d->text, sizeof(d->text),
			    "%s had closed this connection when %s used it again and got a reset: a keep-alive connection reused after the server closed it",
			    remote, owner);
		}
		d->hint =
		    "keep the client's idle-connection timeout below the server's keep-alive timeout, and retry idempotent requests on ECONNRESET/EPIPE";
		return;
	case TCPS_SYN_SENT:
		set(d, "no_listener");
		snprintf(d->text, sizeof(d->text),
			 "%s refused the connection of %s (ECONNREFUSED): nothing listens there",
			 remote, owner);
		d->hint = "start the service or point the client at the right address and port";
		return;
	default:
		set(d, "peer_reset");
		if (r->peer.found) {
			char sender[64];

			if (r->peer.tgid)
				who(sender, sizeof(sender), r->peer.tgid, r->peer.comm);
			else
				snprintf(sender, sizeof(sender), "a socket of no known process");
			snprintf(
			    d->text, sizeof(d->text),
			    "%s reset the connection of %s (ECONNRESET): traced here too, %s sent it (%s)",
			    remote, owner, sender, r->peer.code);
			d->hint = "the rst_sent record of that connection says why";
			return;
		}
		snprintf(
		    d->text, sizeof(d->text),
		    "%s reset the connection of %s (ECONNRESET): the reason is on the peer's side",
		    remote, owner);
		d->hint = "run rsttrace on the peer to see why it sent the reset";
	}
}

static bool reason_is(const char *reason, const char *const *names)
{
	for (; *names; names++)
		if (strcmp(reason, *names) == 0)
			return true;
	return false;
}

static void diagnose_sent(const struct rt_record *r, const char *reason, struct diagnosis *d)
{
	const struct rt_event *e = &r->ev;
	static const char *const invalid[] = {"TCP_INVALID_ACK_SEQUENCE",
					      "TCP_RFC7323_PAWS",
					      "TCP_TOO_OLD_ACK",
					      "TCP_ACK_UNSENT_DATA",
					      "TCP_OLD_ACK",
					      "TCP_FLAGS",
					      "INVALID_SYN",
					      NULL};
	static const char *const active[] = {"TCP_STATE", "TCP_ABORT_ON_LINGER", NULL};
	char owner[64], remote[RT_ENDPOINT_LEN];

	owner_text(owner, sizeof(owner), r);
	rt_format_endpoint(e->family, e->raddr, e->rport, remote, sizeof(remote));
	if (strcmp(reason, "NO_SOCKET") == 0) {
		diagnose_no_socket(r, d);
	} else if (strcmp(reason, "TCP_ABORT_ON_CLOSE") == 0) {
		set(d, "unread_data_on_close");
		if (e->flags & RT_F_UNREAD)
			snprintf(d->text, sizeof(d->text),
				 "%s closed the connection with %u bytes from %s still unread",
				 owner, e->unread_bytes, remote);
		else
			snprintf(d->text, sizeof(d->text),
				 "%s closed the connection with data from %s still unread", owner,
				 remote);
		d->hint =
		    "the application closed before reading what the peer sent (e.g. a server closing while the request body is still arriving); read to EOF or shutdown(SHUT_WR) first";
	} else if (reason_is(reason, active)) {
		diagnose_active(r, reason, d);
	} else if (strcmp(reason, "TCP_ABORT_ON_DATA") == 0) {
		set(d, "data_after_close");
		snprintf(d->text, sizeof(d->text),
			 "%s sent data after %s had closed the connection", remote, owner);
		d->hint =
		    "the peer kept sending after this side closed: often a keep-alive race where this side closed an idle connection as the peer sent a new request";
	} else if (strcmp(reason, "TCP_TIMEWAIT_SOCKET") == 0) {
		set(d, "timewait");
		snprintf(d->text, sizeof(d->text),
			 "%s sent a segment to a connection %s had already closed (TIME_WAIT)",
			 remote, (e->flags & RT_F_OWNER) ? owner : "this side");
		d->hint =
		    "the peer still uses a connection that was closed here: a stale pooled connection or a keep-alive race on the peer's side";
	} else if (strcmp(reason, "TCP_KEEPALIVE_TIMEOUT") == 0) {
		set(d, "keepalive_timeout");
		snprintf(
		    d->text, sizeof(d->text),
		    "keepalive probes from %s to %s went unanswered: the peer is gone or unreachable",
		    owner, remote);
		d->hint =
		    "check the path to the peer (NAT or firewall idle timeouts, a crashed host)";
	} else if (strcmp(reason, "TCP_ABORT_ON_MEMORY") == 0) {
		set(d, "memory_pressure");
		snprintf(
		    d->text, sizeof(d->text),
		    "the kernel aborted the connection for lack of memory or too many orphaned sockets");
		d->hint =
		    "see net.ipv4.tcp_mem and net.ipv4.tcp_max_orphans and the socket memory in /proc/net/sockstat";
	} else if (reason_is(reason, invalid)) {
		set(d, "invalid_segment");
		snprintf(d->text, sizeof(d->text),
			 "%s sent a segment that does not fit the connection's state (%s)%s",
			 remote, reason,
			 e->state == TCPS_LISTEN ? ", to a listener that has no handshake for it"
						 : "");
		d->hint =
		    "a stale connection on the peer's side, a middlebox rewriting sequence numbers, or (at a listener) a handshake the listener already dropped";
	} else {
		set(d, "unknown");
		snprintf(d->text, sizeof(d->text), "the kernel gave reason %s", reason);
	}
}

static void diagnose_queue_event(const struct rt_record *r, struct diagnosis *d)
{
	const struct rt_event *e = &r->ev;
	const struct rt_listener *l = &r->listener;
	char owner[64], remote[RT_ENDPOINT_LEN];

	rt_format_endpoint(e->family, e->raddr, e->rport, remote, sizeof(remote));
	if (l->flags & RT_LF_OWNER)
		who(owner, sizeof(owner), l->owner.tgid, l->owner.comm);
	else
		snprintf(owner, sizeof(owner), "an unknown process");
	if (e->type == RT_EV_LISTEN_OVERFLOW) {
		static const char *const effect[] = {
		    [RT_PATH_SYN] = "its SYN was dropped; the client retries after a timeout",
		    [RT_PATH_ACK] = "its handshake ACK was dropped",
		    [RT_PATH_COOKIE] =
			"its syncookie ACK was dropped: the client thinks it is connected and its data vanishes",
		};

		set(d, "listen_overflow");
		snprintf(
		    d->text, sizeof(d->text),
		    "accept queue of listener port %u owned by %s is full (%u waiting, limit %u): connection from %s lost, %s",
		    l->port, owner, l->accept_qlen, l->accept_qmax, remote,
		    e->path < sizeof(effect) / sizeof(effect[0]) && effect[e->path]
			? effect[e->path]
			: "dropped");
		overflow_hint(d, r);
		return;
	}
	set(d, "syn_queue_overflow");
	if (l->syncookies == 2)
		snprintf(
		    d->text, sizeof(d->text),
		    "listener port %u owned by %s answered the SYN from %s with a syncookie (net.ipv4.tcp_syncookies=2 always does)",
		    l->port, owner, remote);
	else
		snprintf(
		    d->text, sizeof(d->text),
		    "SYN queue of listener port %u owned by %s is full (%u handshakes in progress, limit %u): SYN from %s %s",
		    l->port, owner, l->syn_qlen, l->accept_qmax, remote,
		    (e->flags & RT_F_SYNCOOKIES) ? "answered with a syncookie" : "dropped");
	d->hint =
	    "a burst of connections or a SYN flood: raise the listen() backlog (it bounds the SYN queue too) and keep net.ipv4.tcp_syncookies enabled";
}

/* No TCP socket sent it: a netfilter reject rule answered the packet. */
static void diagnose_firewall(const struct rt_record *r, struct diagnosis *d)
{
	const struct rt_event *e = &r->ev;
	char local[RT_ENDPOINT_LEN], remote[RT_ENDPOINT_LEN];

	rt_format_endpoint(e->family, e->laddr, e->lport, local, sizeof(local));
	rt_format_endpoint(e->family, e->raddr, e->rport, remote, sizeof(remote));
	set(d, "firewall_reject");
	snprintf(
	    d->text, sizeof(d->text),
	    "a firewall rule in netns %u (%s hook) answered %s's packet to %s with a reset: REJECT --reject-with tcp-reset or nft reject with tcp reset; no TCP socket was involved",
	    e->netns, netfilter_hook_name(e->reason), remote, local);
	d->hint =
	    "list the rules of that netns (iptables-save, nft list ruleset) and find the reject rule matching this port; the client sees ECONNREFUSED";
}

void diagnose(const struct rt_names *n, struct rt_record *r)
{
	const struct rt_event *e = &r->ev;
	struct diagnosis *d = &r->diag;
	const char *reason = r->reason;

	(void)n; /* the names are in the record already */
	d->confidence = NULL;
	if (diagnose_client(r, d))
		return;
	if (diagnose_overflow(r, d))
		return;
	if (e->type == RT_EV_LISTEN_OVERFLOW || e->type == RT_EV_SYN_QUEUE_OVERFLOW) {
		diagnose_queue_event(r, d);
		return;
	}
	if (e->type == RT_EV_RST_RECEIVED) {
		diagnose_received(r, d);
		return;
	}
	if (e->type == RT_EV_FIREWALL_RST) {
		diagnose_firewall(r, d);
		return;
	}
	if (e->type != RT_EV_RST_SENT) {
		set(d, "unknown");
		return;
	}
	if (!reason && (e->flags & RT_F_NO_REASON) && e->sk && !(e->flags & RT_F_ACTIVE)) {
		/* Before 6.10, a full socket answering a segment: of several kinds. */
		reason = "TCP_FLAGS";
		set(d, "invalid_segment");
		snprintf(
		    d->text, sizeof(d->text),
		    "the socket answered a segment from its peer with a reset (this kernel gives no reason: a segment that fits no state of the connection)");
		d->hint =
		    "a stale connection on the peer's side, or a middlebox rewriting sequence numbers";
		return;
	}
	if (!reason) {
		set(d, "unknown");
		snprintf(d->text, sizeof(d->text),
			 "this kernel does not report reset reasons, and the socket does not tell");
		return;
	}
	diagnose_sent(r, reason, d);
}
