/* SPDX-License-Identifier: GPL-2.0 */
/* Linking a reset to the accept-queue overflow of its connection, and to closed owners. */
#ifndef RSTTRACE_LINK_BPF_H
#define RSTTRACE_LINK_BPF_H

/* Overflows of one flow closer together than this are one episode. */
#define RT_EPISODE_NS (10ull * 1000000000)
/* A reset this long after an overflow of its flow is still linked to it. */
#define RT_LINK_WINDOW_NS (120ull * 1000000000)

static __always_inline void flow_key(struct rt_flow_key *k, const struct rt_tuple *t, bool reverse)
{
	if (reverse) {
		__builtin_memcpy(k->laddr, t->raddr, 16);
		__builtin_memcpy(k->raddr, t->laddr, 16);
		k->lport = t->rport;
		k->rport = t->lport;
	} else {
		__builtin_memcpy(k->laddr, t->laddr, 16);
		__builtin_memcpy(k->raddr, t->raddr, 16);
		k->lport = t->lport;
		k->rport = t->rport;
	}
	k->family = t->family;
}

/* The overflow this reset follows, seen from either end of the connection. */
static __always_inline void fill_link(struct rt_event *e, const struct rt_tuple *t)
{
	struct rt_flow_key k = {};
	struct rt_link *link;

	if (!have_overflow_flows)
		return;
	flow_key(&k, t, false);
	link = bpf_map_lookup_elem(&overflow_flows, &k);
	if (!link) {
		flow_key(&k, t, true);
		link = bpf_map_lookup_elem(&overflow_flows, &k);
	}
	if (!link || e->ts_ns - link->last_ns > RT_LINK_WINDOW_NS)
		return;
	e->link = *link;
	e->flags |= RT_F_LINKED;
}

static __always_inline void fill_closed_listener(struct rt_event *e, __u32 netns, __u16 port)
{
	struct rt_listener_key key = {.netns = netns, .port = port};
	struct rt_closed *c;

	if (!have_closed_listeners)
		return;
	c = bpf_map_lookup_elem(&closed_listeners, &key);
	if (!c)
		return;
	e->closed = *c;
	e->flags |= RT_F_CLOSED_LISTENER;
}

static __always_inline void fill_closed_owner(struct rt_event *e, const struct rt_tuple *t,
					      __u32 netns)
{
	struct rt_conn_key key = {.netns = netns};
	struct rt_owner *o;

	flow_key(&key.flow, t, false);
	o = bpf_map_lookup_elem(&closed_owners, &key);
	if (!o)
		return;
	e->owner = *o;
	e->flags |= RT_F_OWNER | RT_F_OWNER_CLOSED;
}

#endif
