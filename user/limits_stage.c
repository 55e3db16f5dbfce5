// SPDX-License-Identifier: GPL-2.0
/* The limits stage: judges the listener of an overflow record (listen_limits.c). */
#include <string.h>
#include "goexe.h"
#include "limits_stage.h"

void limits_stage(struct rt_record *r)
{
	const struct rt_listener *l = &r->listener;
	struct limit_facts f = {0};

	/* Only where the listener's queue is the story: its overflows and what they explain. */
	if (!(r->ev.flags & RT_F_LISTENER) ||
	    (r->ev.type != RT_EV_LISTEN_OVERFLOW && !(r->ev.flags & RT_F_LINKED) && !r->cause)) {
		memset(&r->limits, 0, sizeof(r->limits));
		r->limits.source = LIMIT_NONE;
		return;
	}
	f.limit = l->accept_qmax;
	f.somaxconn = l->somaxconn;
	f.call = &l->call;
	f.burst = &l->burst;
	if (l->flags & RT_LF_OWNER) {
		f.comm = l->owner.comm;
		f.tgid = l->owner.tgid;
		/* A Go program has no name of its own: its executable tells. */
		f.is_go = r->listener_owner_alive && goexe_is_go(l->owner.tgid, l->owner.start_ns);
	}
	limits_judge(&f, &r->limits);
}
