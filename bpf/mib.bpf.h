/* SPDX-License-Identifier: GPL-2.0 */
/* The kernel's own listen counters per CPU and netns (bpf/mib.bpf.c). */
#ifndef RSTTRACE_MIB_BPF_H
#define RSTTRACE_MIB_BPF_H

enum rt_mib {
	RT_MIB_LISTEN_OVERFLOWS = 0,
	RT_MIB_REQQ_DROP = 1,	 /* TCPReqQFullDrop: SYN queue full, no cookies */
	RT_MIB_REQQ_COOKIES = 2, /* TCPReqQFullDoCookies: SYN queue full, a cookie */
	RT_MIB_NR,
};

#define RT_THIS_CPU	0xffffffffu
#define RT_MIB_MAX_CPUS 256

struct rt_mib_delta {
	__u64 d[RT_MIB_NR]; /* increments on this CPU since the last event here */
	__u32 fresh;	    /* no baseline yet: increments unknown this once */
	__u32 pad;
};

/*
 * The kernel counted more than the events tied to it (a hook missed an
 * event, or a path rsttrace does not hook): in the totals, as unattributed.
 */
static __always_inline void unattributed(__u64 overflows, __u64 synq)
{
	/*
	 * The SYN detector not attached: what it was not there to see (a
	 * subset). Read in each branch, not kept in a variable: one more live
	 * value spilled in rt_report_queue() took the fexit SYN path past the
	 * 512 bytes of stack 6.1 allows its 5 calls (544, refused).
	 */
	if (overflows && (event_mask & RT_EVM(RT_EV_LISTEN_OVERFLOW))) {
		count_n(RT_CNT_LISTEN_OVERFLOW, overflows);
		count_n(RT_CNT_UNATTRIB_OVERFLOW, overflows);
		if (syn_arm_on_pressure && syn_disarmed)
			count_n(RT_CNT_DISARMED_OVERFLOW, overflows);
	}
	if (synq && (event_mask & RT_EVM(RT_EV_SYN_QUEUE_OVERFLOW))) {
		count_n(RT_CNT_SYN_QUEUE_OVERFLOW, synq);
		count_n(RT_CNT_UNATTRIB_SYNQ, synq);
		if (syn_arm_on_pressure && syn_disarmed)
			count_n(RT_CNT_DISARMED_SYNQ, synq);
	}
}

/* A filter other than --netns: one that selects some of a netns's events. */
static __always_inline bool filter_within_netns(void)
{
	return filter_tgid || nr_filter_ports || filter_family || filter_cgroup;
}

/* Whether the filter selected a listener queue event in netns; marking it. */
extern int rt_netns_selected(__u32 netns);
extern int rt_netns_select(__u32 netns);

/* A listener the filter selects: its netns's unclaimed counts are reported. */
static __always_inline void select_listener_netns(const struct sock *sk, __u32 netns,
						  const struct rt_owner *owner)
{
	struct rt_tuple t = {};

	if (!filter_within_netns())
		return;
	t.family = BPF_CORE_READ(sk, __sk_common.skc_family);
	t.lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	if (wanted(&t, netns, owner, owner))
		rt_netns_select(netns);
}

/*
 * Nothing to tie them to: counted in the netns --netns selects, and under
 * the other filters only where they selected a listener or a listener queue
 * event (the counts there may be another listener's, as unattributed says;
 * left out, a count read on a CPU where no selected event ran, or while
 * the SYN detector was detached, would be in no total).
 */
static __always_inline void unattributed_unfiltered(__u32 netns, __u64 overflows, __u64 synq)
{
	if (!overflows && !synq)
		return;
	if (filter_netns && netns != filter_netns)
		return;
	if (filter_within_netns() && !rt_netns_selected(netns))
		return;
	unattributed(overflows, synq);
}

/* Resets the kernel counted that no hook saw: in the totals, as unattributed. */
static __always_inline void unattributed_rsts(__u32 netns, __u64 n)
{
	if (!n || !(event_mask & RT_EVM(RT_EV_RST_SENT)))
		return;
	if ((filter_netns && netns != filter_netns) || filter_tgid || nr_filter_ports ||
	    filter_family || filter_cgroup)
		return;
	count_n(RT_CNT_RST_SENT, n);
	count_n(RT_CNT_UNATTRIB_RST, n);
}

extern int rt_rst_first_claim(__u64 net, __u32 netns, int counted);

/*
 * A reset sent that a hook saw (its socket or packet), claimed against its
 * netns's TcpOutRsts; 'counted': the kernel counted it before the hook ran
 * (an active reset). Runs for every reset seen, so one lookup and one add;
 * the struct net is read only for a netns's first claim, in a global
 * function (verified once, not once per path into it).
 */
static __always_inline void rt_rst_claim(const struct sock *sk, const struct sk_buff *skb,
					 __u32 netns, int counted)
{
	struct rt_rst_mib *r = bpf_map_lookup_elem(&rst_mib, &netns);

	if (r)
		__sync_fetch_and_add(&r->claimed, 1);
	else
		rt_rst_first_claim(sk ? sk_net(sk) : skb_net(skb), netns, counted);
}

/* A TcpOutRsts baseline where a listener starts, if none. */
extern int rt_rst_listen(__u64 net, __u32 netns) __hidden;
/* The netns's TcpOutRsts where a listener is destroyed, for the exit's settling. */
extern int rt_rst_listener_gone(__u64 net, __u32 netns) __hidden;
/* At exit, every netns: the resets its last count read holds beyond the claims. */
extern int rt_rst_settle(void) __hidden;

/* Baselines for every CPU of netns (its struct net at 'net'), where missing. */
extern int rt_mib_init(__u64 net, __u32 netns) __hidden;
/*
 * This CPU's increments in netns since the last event here. Without a
 * baseline here, 'init' makes one (d->fresh); else nothing is known.
 */
extern int rt_mib_delta(__u64 net, __u32 netns, struct rt_mib_delta *d, int init) __hidden;
/* Every CPU's increments in netns no event claimed, as unattributed; 'how': RT_SWEEP_*. */
extern int rt_mib_sweep_netns(__u64 net, __u32 netns, int how) __hidden;

#endif
