// SPDX-License-Identifier: GPL-2.0
#include "common.bpf.h"
#include "file.bpf.h"
#include "mib.bpf.h"

/*
 * Start-up scan: every process's open files, so that sockets created before
 * rsttrace started have owners and listeners too. Entries the tracepoints
 * already wrote are newer and win (BPF_NOEXIST). Processes come in pid order,
 * so a socket shared after fork() is owned by its oldest holder (the
 * pre-fork master) and counts its other holders in sharers.
 */
SEC("iter/task_file")
int scan_task_file(struct bpf_iter__task_file *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	struct rt_sock_info *info, fresh = {};
	struct rt_scan_rec rec = {};
	const struct sock *sk;
	__u64 skaddr;

	if (!task || !ctx->file)
		return 0;
	sk = tcp_sock_of_file(ctx->file);
	if (!sk)
		return 0;
	skaddr = (__u64)sk;
	rec.sk = skaddr;
	rec.tgid = task->tgid;
	rec.netns = sk_netns(sk);
	rec.state = sk_state(sk);
	rec.lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	rec.family = BPF_CORE_READ(sk, __sk_common.skc_family);

	info = sock_info(sk);
	if (!info) {
		owner_from_task(&fresh.owner, task, task->tgid, RT_OWN_SCAN);
		fresh.is_listener = rec.state == RT_TCP_LISTEN;
		if (bpf_map_update_elem(&socks, &skaddr, &fresh, BPF_NOEXIST) == 0) {
			count(RT_CNT_SOCKS_ADDED);
			rec.new_owner = 1;
		}
	} else if (info->owner.source == RT_OWN_SCAN && info->owner.tgid != (__u32)task->tgid &&
		   info->owner.sharers < 255) {
		info->owner.sharers++;
	}
	if (rec.state == RT_TCP_LISTEN) {
		listener_add(rec.netns, rec.lport, sk);
		rt_mib_init(sk_net(sk), rec.netns);
		select_listener_netns(sk, rec.netns, info ? &info->owner : &fresh.owner);
	}
	bpf_seq_write(seq, &rec, sizeof(rec));
	return 0;
}
