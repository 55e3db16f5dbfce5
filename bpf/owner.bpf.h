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

static __always_inline const struct sock *listener_by_port(__u32 netns, __u16 port)
{
	struct rt_listener_key key = {.netns = netns, .port = port};
	const struct sock *lsk;
	__u64 *val = bpf_map_lookup_elem(&listeners, &key);

	if (!val)
		return NULL;
	lsk = (const struct sock *)*val;
	/* The entry may be stale if a destroy was missed: re-check it. */
	if (sk_state(lsk) != RT_TCP_LISTEN || BPF_CORE_READ(lsk, __sk_common.skc_num) != port)
		return NULL;
	return lsk;
}

#endif /* RSTTRACE_OWNER_BPF_H */
