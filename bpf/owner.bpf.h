/* SPDX-License-Identifier: GPL-2.0 */
/* Who owns a socket: recorded where the kernel runs on the owner's behalf. */
#ifndef RSTTRACE_OWNER_BPF_H
#define RSTTRACE_OWNER_BPF_H

static __always_inline void owner_from_task(struct rt_owner *o, struct task_struct *task, __u32 tid,
					    __u8 source)
{
	struct task_struct *leader = BPF_CORE_READ(task, group_leader);

	o->tgid = BPF_CORE_READ(task, tgid);
	o->pid = tid;
	/* The leader's name is what ps shows; thread names vary per worker. */
	BPF_CORE_READ_STR_INTO(&o->comm, leader, comm);
	o->cgroup_id = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
	o->start_ns = BPF_CORE_READ(leader, start_boottime);
	o->source = source;
	o->sharers = 1;
}

/*
 * Only valid in process context: listen(), connect(), accept(), close().
 * Runs at every connect(): helpers and BTF-typed loads, no probe reads.
 */
static __always_inline void owner_from_current(struct rt_owner *o, __u8 source)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 id = bpf_get_current_pid_tgid();

	o->tgid = id >> 32;
	o->pid = (__u32)id;
	/* The leader's name is what ps shows; thread names vary per worker. */
	__builtin_memcpy(o->comm, task->group_leader->comm, RT_COMM_LEN);
	o->cgroup_id = bpf_get_current_cgroup_id();
	o->start_ns = task->group_leader->start_boottime;
	o->source = source;
	o->sharers = 1;
}

static __always_inline struct rt_sock_info *sock_info(const void *sk)
{
	__u64 key = (__u64)sk;

	return bpf_map_lookup_elem(&socks, &key);
}

/* Inserts or replaces; counts real insertions so evictions can be estimated. */
static __always_inline void sock_info_put(const void *sk, const struct rt_sock_info *info)
{
	__u64 key = (__u64)sk;

	if (bpf_map_update_elem(&socks, &key, info, BPF_NOEXIST) == 0) {
		count(RT_CNT_SOCKS_ADDED);
		return;
	}
	bpf_map_update_elem(&socks, &key, info, BPF_ANY);
}

/* A listener slot may be stale if a destroy was missed: re-check the socket. */
static __always_inline bool is_listener_on(const struct sock *lsk, __u16 port)
{
	return lsk && sk_state(lsk) == RT_TCP_LISTEN &&
	       BPF_CORE_READ(lsk, __sk_common.skc_num) == port;
}

/* Remembers a listener of netns/port; every one is kept (SO_REUSEPORT, bind addresses). */
static __always_inline void listener_add(__u32 netns, __u16 port, const struct sock *sk)
{
	struct rt_listener_key key = {.netns = netns, .port = port};
	struct rt_port_listeners fresh = {}, *pl;
	__u64 me = (__u64)sk;
	int i;

	pl = bpf_map_lookup_elem(&listeners, &key);
	if (!pl) {
		fresh.sk[0] = me;
		if (bpf_map_update_elem(&listeners, &key, &fresh, BPF_NOEXIST) == 0)
			return;
		pl = bpf_map_lookup_elem(&listeners, &key);
		if (!pl)
			return;
	}
	for (i = 0; i < RT_PORT_LISTENERS; i++)
		if (pl->sk[i] == me)
			return;
	/* A free slot, or one whose listener is gone; compare-and-swap against races. */
	for (i = 0; i < RT_PORT_LISTENERS; i++) {
		__u64 old = pl->sk[i];

		if (old && is_listener_on((const struct sock *)old, port))
			continue;
		if (__sync_val_compare_and_swap(&pl->sk[i], old, me) == old) {
			if (i > 0)
				have_shared_ports = 1;
			return;
		}
	}
}

static __always_inline void listener_remove(__u32 netns, __u16 port, const struct sock *sk)
{
	struct rt_listener_key key = {.netns = netns, .port = port};
	struct rt_port_listeners *pl = bpf_map_lookup_elem(&listeners, &key);
	__u64 me = (__u64)sk;
	int i;

	if (!pl)
		return;
	for (i = 0; i < RT_PORT_LISTENERS; i++)
		if (pl->sk[i] == me)
			__sync_val_compare_and_swap(&pl->sk[i], me, 0);
}

static __always_inline bool addr_eq(const __u8 *a, const __u8 *b)
{
	const __u32 *x = (const __u32 *)a, *y = (const __u32 *)b;

	return x[0] == y[0] && x[1] == y[1] && x[2] == y[2] && x[3] == y[3];
}

static __always_inline bool addr_is_any(const __u8 *a)
{
	const __u32 *w = (const __u32 *)a;

	return !(w[0] | w[1] | w[2] | w[3]);
}

/* The listeners of a port that a connection to t->laddr could reach. */
struct listener_match {
	__u64 sk[RT_PORT_LISTENERS];
	__u32 n;
	__u32 pad;
};

/*
 * Listeners bound to the connection's own address win over wildcard ones,
 * as in the kernel's lookup; several at one level are a SO_REUSEPORT group.
 * Global functions in owner.bpf.c, verified once.
 */
extern int rt_listeners_for(__u32 netns, const struct rt_tuple *t, struct listener_match *m);
/* One listener a connection to t could reach (0: none); *ambiguous when several could. */
extern __u64 rt_listener_for(__u32 netns, const struct rt_tuple *t, __u32 *ambiguous);

#endif /* RSTTRACE_OWNER_BPF_H */
