// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include "conn.h"
#include "decode.h"
#include "record.h"

const char *event_type_name(unsigned int type)
{
	switch (type) {
	case RT_EV_RST_SENT:
		return "rst_sent";
	case RT_EV_RST_RECEIVED:
		return "rst_received";
	case RT_EV_LISTEN_OVERFLOW:
		return "listen_overflow";
	case RT_EV_SYN_QUEUE_OVERFLOW:
		return "syn_queue_overflow";
	case RT_EV_FIREWALL_RST:
		return "firewall_reset";
	case RT_EV_CONNECT_RETRY:
		return "connect_retry";
	case RT_EV_CONNECT_FAILED:
		return "connect_failed";
	case RT_EV_REQUEST_STALLED:
		return "request_stalled";
	default:
		return "unknown";
	}
}

const char *owner_source_name(unsigned int source)
{
	static const char *const names[] = {
	    [RT_OWN_NONE] = "unknown",	    [RT_OWN_LISTEN] = "listen",
	    [RT_OWN_CONNECT] = "connect",   [RT_OWN_ACCEPT] = "accept",
	    [RT_OWN_LISTENER] = "listener", [RT_OWN_SCAN] = "scan",
	};

	return source < sizeof(names) / sizeof(names[0]) ? names[source] : "unknown";
}

const char *netfilter_hook_name(unsigned int hook)
{
	static const char *const names[] = {"prerouting", "input", "forward", "output",
					    "postrouting"};

	return hook < sizeof(names) / sizeof(names[0]) ? names[hook] : "unknown";
}

const char *overflow_path_name(unsigned int path)
{
	switch (path) {
	case RT_PATH_ACK:
		return "ack";
	case RT_PATH_SYN:
		return "syn";
	case RT_PATH_COOKIE:
		return "cookie";
	default:
		return "unknown";
	}
}

const char *event_reason(const struct rt_names *n, const struct rt_event *e)
{
	if (e->flags & RT_F_NO_REASON)
		return NULL;
	/* Client events: the errno the application was handed. */
	if (e->type >= RT_EV_CONNECT_RETRY)
		return errno_name((int)e->reason);
	if (e->type == RT_EV_LISTEN_OVERFLOW)
		return kenum_name(&n->drop_reasons, e->reason);
	return kenum_name(&n->rst_reasons, e->reason);
}

const char *event_cause(const struct rt_names *n, const struct rt_kevent *k)
{
	const struct rt_event *e = &k->ev;
	const char *reason;

	/*
	 * tcp_abort_on_overflow=1 makes the kernel answer an overflow with an
	 * embryonic reset labelled INVALID_SYN; the full accept queue is what
	 * tells it from a genuinely invalid handshake.
	 */
	if (e->type != RT_EV_RST_SENT || !(e->flags & RT_F_ACCEPTQ_FULL) ||
	    (e->flags & RT_F_LISTENER_BY_PORT))
		return NULL;
	reason = event_reason(n, e);
	if (reason && strcmp(reason, "INVALID_SYN") == 0)
		return "listen_overflow";
	/* Kernels before 6.10 give no reason: a listener over its limit that resets says it. */
	if ((e->flags & RT_F_NO_REASON) && e->state == TCPS_LISTEN &&
	    k->listener.abort_on_overflow &&
	    (!(e->flags & RT_F_OVERFLOW_SKB_KNOWN) || (e->flags & RT_F_OVERFLOW_SKB)))
		return "listen_overflow";
	return NULL;
}

/* The states in which the kernel aborts a connection on data (tcp_rcv_state_process()). */
static bool aborts_on_data(uint8_t state)
{
	return state == TCPS_FIN_WAIT1 || state == TCPS_FIN_WAIT2 || state == TCPS_CLOSE_WAIT ||
	       state == TCPS_CLOSING || state == TCPS_LAST_ACK;
}

/*
 * Before 6.10 the kernel gives resets no reason; where the socket says
 * which kernel path sent it, the reason that path would have carried:
 * the same names, so the same diagnosis rules apply (reason_source
 * "derived"). NULL where several paths fit (a passive reset of a full
 * socket: a segment that fit no state, of many kinds).
 */
const char *derive_reset_reason(const struct rt_kevent *k)
{
	const struct rt_event *e = &k->ev;
	uint8_t bits = e->sk_bits;

	if (e->flags & RT_F_LOCAL_ABORT)
		return "TCP_ABORT_ON_DATA";
	if (!e->sk)
		return "NO_SOCKET";
	if (e->state == TCPS_TIME_WAIT)
		return "TCP_TIMEWAIT_SOCKET";
	/*
	 * Where the overflow hook says which segment it refused, only the
	 * reset of that one is the abort_on_overflow reset: a client's data
	 * right behind it finds no request socket and gets TCP_FLAGS, the
	 * queue still full (measured in a 6.1 guest).
	 */
	if (e->state == TCPS_LISTEN && (e->flags & RT_F_OVERFLOW_SKB_KNOWN))
		return (e->flags & RT_F_OVERFLOW_SKB) && k->listener.abort_on_overflow
			   ? "INVALID_SYN"
			   : "TCP_FLAGS";
	if (e->state == TCPS_LISTEN)
		return (e->flags & RT_F_ACCEPTQ_FULL) && k->listener.abort_on_overflow
			   ? "INVALID_SYN"
			   : "TCP_FLAGS";
	/*
	 * A full socket answers a segment in CLOSE only right after the
	 * segment closed it: data after close. Most often tcp_reset() ran
	 * first (RT_F_LOCAL_ABORT above); when the peer's data also carried
	 * its first ACK of our FIN (its delayed ACK had not gone out), the
	 * orphan was in FIN_WAIT1 and tcp_rcv_state_process() called
	 * tcp_done() instead: nothing to pair with (seen in a 6.1 guest; 6.10+
	 * gives TCP_ABORT_ON_DATA for both).
	 */
	if (!(e->flags & RT_F_ACTIVE) && e->state == TCPS_CLOSE &&
	    (!(e->flags & RT_F_PREV_STATE) || aborts_on_data(e->prev_state)))
		return "TCP_ABORT_ON_DATA";
	if (!(e->flags & RT_F_ACTIVE))
		return NULL;
	/* Under the socket lock: a system call. close() with data unread, else a disconnect. */
	if (bits & RT_SK_LOCKED)
		return (bits & RT_SK_SHUT) && (e->flags & RT_F_UNREAD) && e->unread_bytes
			   ? "TCP_ABORT_ON_CLOSE"
			   : "TCP_STATE";
	/* Timers, and a listener closing with connections not yet accepted. */
	if (e->state == TCPS_FIN_WAIT2 ||
	    ((e->flags & RT_F_OWNER) && e->owner.source == RT_OWN_LISTENER))
		return "TCP_STATE";
	if (bits & RT_SK_PROBES)
		return "TCP_KEEPALIVE_TIMEOUT";
	if (bits & RT_SK_ORPHAN)
		return "TCP_ABORT_ON_MEMORY";
	return NULL;
}

void record_decode(struct rt_record *r, const struct rt_names *n, const struct rt_kevent *k)
{
	const struct rt_event *e = &k->ev;

	/* Field by field: the diagnosis buffers are filled later, no need to clear them. */
	r->ev = k->ev;
	r->listener = k->listener;
	r->link = k->link;
	r->closed = k->closed;
	r->conn = k->conn;
	r->count = 1;
	r->first_ns = 0;
	r->last_ns = 0;
	r->sample_taken_back = false;
	r->owner_alive = false;
	r->listener_owner_alive = false;
	r->type_name = event_type_name(e->type);
	r->reason = event_reason(n, e);
	r->reason_source = r->reason ? "kernel" : NULL;
	if (!r->reason && e->type == RT_EV_RST_SENT && (e->flags & RT_F_NO_REASON)) {
		r->reason = derive_reset_reason(k);
		r->reason_source = r->reason ? "derived" : NULL;
	}
	r->cause = event_cause(n, k);
}
