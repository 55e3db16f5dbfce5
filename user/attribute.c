// SPDX-License-Identifier: GPL-2.0
#include "attribute.h"
#include "cgroups.h"
#include "procinfo.h"

void attribute(struct rt_record *r, uint64_t now_boot_ns)
{
	const struct rt_event *e = &r->ev;

	/* start_ns tells a reused pid from the owner. */
	r->owner_alive = (e->flags & RT_F_OWNER) &&
			 procinfo_owner_alive(e->owner.tgid, e->owner.start_ns, now_boot_ns);
	r->listener_owner_alive =
	    (e->flags & RT_F_LISTENER) && (r->listener.flags & RT_LF_OWNER) &&
	    procinfo_owner_alive(r->listener.owner.tgid, r->listener.owner.start_ns, now_boot_ns);
	/* A cache lookup: a miss asks the resolver thread and leaves the path unknown. */
	r->owner_cg.known = false;
	r->listener_cg.known = false;
	if (e->flags & RT_F_OWNER)
		cgroups_lookup(e->owner.cgroup_id, &r->owner_cg);
	if ((e->flags & RT_F_LISTENER) && (r->listener.flags & RT_LF_OWNER))
		cgroups_lookup(r->listener.owner.cgroup_id, &r->listener_cg);
}
