/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a reset follows: the accept-queue overflow of its connection, a
 * listener that closed on its port, the owner of a socket already gone.
 */
#ifndef RSTTRACE_LINK_BPF_H
#define RSTTRACE_LINK_BPF_H

/* Overflows of one flow closer together than this are one episode. */
#define RT_EPISODE_NS (10ull * 1000000000)
/* Upper bound: a reset this long after an overflow of its flow is never linked to it. */
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

/*
 * True when a full socket has carried data either way: an overflow can
 * explain only what happens during or right after a connection's
 * handshake, never a reset of a connection that did its work. The SYN
 * counts one in bytes_acked once the handshake is done.
 */
static __always_inline bool sk_carried_data(const struct sock *sk)
{
	const struct tcp_sock *tp = (const void *)sk;

	return BPF_CORE_READ(tp, bytes_received) || BPF_CORE_READ(tp, bytes_acked) > 1;
}

/* The connection completed its handshake: its overflow explains nothing from now on. */
static __always_inline void retire_link(const struct rt_tuple *t)
{
	struct rt_flow_key k = {};

	if (!have_overflow_flows)
		return;
	flow_key(&k, t, false);
	bpf_map_delete_elem(&overflow_flows, &k);
	flow_key(&k, t, true);
	bpf_map_delete_elem(&overflow_flows, &k);
}

/* The overflow this event follows, seen from either end of the connection. */
static __always_inline const struct rt_link *find_link(const struct rt_tuple *t)
{
	struct rt_flow_key k = {};
	struct rt_link *link;

	if (!have_overflow_flows)
		return NULL;
	flow_key(&k, t, false);
	link = bpf_map_lookup_elem(&overflow_flows, &k);
	if (!link) {
		flow_key(&k, t, true);
		link = bpf_map_lookup_elem(&overflow_flows, &k);
	}
	if (!link || bpf_ktime_get_boot_ns() - link->last_ns > RT_LINK_WINDOW_NS)
		return NULL;
	return link;
}

static __always_inline const struct rt_closed *find_closed_listener(__u32 netns, __u16 port)
{
	struct rt_listener_key key = {.netns = netns, .port = port};

	if (!have_closed_listeners)
		return NULL;
	return bpf_map_lookup_elem(&closed_listeners, &key);
}

static __always_inline const struct rt_owner *find_closed_owner(const struct rt_tuple *t,
								__u32 netns)
{
	struct rt_conn_key key = {.netns = netns};

	if (!have_closed_owners)
		return NULL;
	flow_key(&key.flow, t, false);
	return bpf_map_lookup_elem(&closed_owners, &key);
}

#endif
