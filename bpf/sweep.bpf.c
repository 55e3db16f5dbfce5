// SPDX-License-Identifier: GPL-2.0
#include "common.bpf.h"
#include "file.bpf.h"
#include "mib.bpf.h"

/*
 * The exit sweep: run by userspace once the hooks are detached, over every
 * process's open files. A TCP socket that a process holds pins its network
 * namespace, so that namespace's counters are alive while this program
 * reads them; namespaces no process holds a socket of are left alone (their
 * listeners closed, and were swept then: bpf/owner.bpf.c). Each namespace
 * is swept once.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u8);
} swept_netns SEC(".maps");

SEC("iter/task_file")
int sweep_task_file(struct bpf_iter__task_file *ctx)
{
	const struct sock *sk;
	__u8 one = 1;
	__u32 netns;

	if (!ctx->task || !ctx->file)
		return 0;
	sk = tcp_sock_of_file(ctx->file);
	if (!sk)
		return 0;
	netns = sk_netns(sk);
	if (bpf_map_lookup_elem(&swept_netns, &netns))
		return 0;
	bpf_map_update_elem(&swept_netns, &netns, &one, BPF_ANY);
	rt_mib_sweep_netns(sk_net(sk), netns);
	return 0;
}
