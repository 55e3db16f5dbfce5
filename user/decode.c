// SPDX-License-Identifier: GPL-2.0
#include <string.h>
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
	if ((e->flags & RT_F_NO_REASON) && e->state == TCPS_LISTEN && k->listener.abort_on_overflow)
		return "listen_overflow";
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
	r->count = 1;
	r->first_ns = 0;
	r->last_ns = 0;
	r->owner_alive = false;
	r->listener_owner_alive = false;
	r->type_name = event_type_name(e->type);
	r->reason = event_reason(n, e);
	r->cause = event_cause(n, k);
}
