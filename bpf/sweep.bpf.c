// SPDX-License-Identifier: GPL-2.0
#include "common.bpf.h"
#include "file.bpf.h"
#include "mib.bpf.h"

/*
 * The sweep, over every process's open files: run by userspace before
 * "attached" (the baselines), every few seconds while tracing (aged: only
 * what stayed unclaimed for a period) and once the hooks are detached at
 * exit (everything). A TCP socket that a process holds pins its network
 * namespace, so that namespace's counters are alive while this program
 * reads them; namespaces no process holds a socket of are left alone (their
 * listeners closed, and were swept then: bpf/owner.bpf.c; resets sent there
 * since the last sweep are not read again). Each namespace is swept once a
 * run: userspace bumps sweep_gen before each.
 */
/*
 * An LRU: namespaces come and go (a node's pods), and a full table would
 * let a netns be swept twice in one run, the second time without its age.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u32); /* the sweep_gen of the run that swept it */
} swept_netns SEC(".maps");

volatile __u32 sweep_gen;
volatile __u32 sweep_how; /* RT_SWEEP_* (include/rsttrace.h) */
static __u32 settled_gen;

SEC("iter/task_file")
int sweep_task_file(struct bpf_iter__task_file *ctx)
{
	struct file *file = ctx->file;
	const struct sock *sk;
	__u32 netns, gen = sweep_gen, *swept;

	if (!ctx->task || !file)
		return 0;
	/*
	 * At exit, once a run: every netns up to its last count read while
	 * alive (its sockets may all be gone); those the sweep below reaches
	 * then add what came since (both count only what is not reported yet).
	 */
	if ((sweep_how & RT_SWEEP_SETTLE) && settled_gen != gen) {
		settled_gen = gen;
		rt_rst_settle();
	}
	sk = tcp_sock_of_file(file);
	if (!sk)
		return 0;
	netns = sk_netns(sk);
	swept = bpf_map_lookup_elem(&swept_netns, &netns);
	if (swept && *swept == gen)
		return 0;
	bpf_map_update_elem(&swept_netns, &netns, &gen, BPF_ANY);
	rt_mib_sweep_netns(sk_net(sk), netns, sweep_how);
	return 0;
}
