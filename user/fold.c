// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include "fold.h"

bool fold_same_kind(const struct rt_event *a, const struct rt_event *b)
{
	const uint32_t kind_flags = RT_F_OWNER | RT_F_LISTENER | RT_F_ACCEPTQ_FULL | RT_F_LINKED;

	return a->type == b->type && a->reason == b->reason && a->state == b->state &&
	       a->prev_state == b->prev_state && a->path == b->path && a->netns == b->netns &&
	       a->family == b->family && a->lport == b->lport &&
	       (a->flags & kind_flags) == (b->flags & kind_flags) &&
	       a->owner.tgid == b->owner.tgid && a->listener.owner.tgid == b->listener.owner.tgid &&
	       !memcmp(a->laddr, b->laddr, 16) && !memcmp(a->raddr, b->raddr, 16);
}

bool fold_absorb(struct fold_run *f, const struct rt_record *r)
{
	if (!f->have || !fold_same_kind(&f->first.ev, &r->ev))
		return false;
	f->first.count += r->count;
	f->last_ns = r->ev.ts_ns;
	return true;
}

void fold_start(struct fold_run *f, const struct rt_record *r)
{
	f->first = *r;
	f->first.count = 0;
	f->have = true;
	f->first_ns = f->last_ns = r->ev.ts_ns;
}

bool fold_close(struct fold_run *f, struct rt_record *out)
{
	bool any = f->have && f->first.count;

	if (any) {
		*out = f->first;
		out->span_ns = f->last_ns - f->first_ns;
	}
	f->have = false;
	return any;
}

bool fold_due(const struct fold_run *f, uint64_t now_boot_ns)
{
	return f->have && now_boot_ns - f->first_ns >= RT_FOLD_NS;
}
