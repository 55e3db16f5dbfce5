// SPDX-License-Identifier: GPL-2.0
/*
 * Resets made by the firewall: netfilter's REJECT --reject-with tcp-reset
 * and nftables' reject with tcp reset build the reset in nf_send_reset{,6}()
 * without the TCP stack: no tracepoint sees them and TcpOutRsts does not
 * count them. Function hooks only (fentry, else kprobe); on kernels with
 * neither, --probe says these resets cannot be seen.
 */
#include "common.bpf.h"

#define RT_TCPF_RST 0x04

/* The rejected packet's TCP header: nf_reject_ip_tcphdr_get() refuses to answer a reset. */
static __always_inline int handle_nf_reset_into(struct ev_src *s, const struct net *net,
						const struct sk_buff *oldskb, int hook)
{
	__u32 netns;

	if (!(event_mask & RT_EVM(RT_EV_FIREWALL_RST)))
		return 0;
	if (skb_tcp_flags(oldskb) & RT_TCPF_RST)
		return 0;
	if (!tuple_from_skb(oldskb, &s->t))
		return 0;
	netns = BPF_CORE_READ(net, ns.inum);
	if (!wanted(&s->t, netns, NULL, NULL))
		return 0;
	count(RT_CNT_FIREWALL_RST);
	count_reason(RT_EV_FIREWALL_RST, hook);
	s->type = RT_EV_FIREWALL_RST;
	s->netns = netns;
	s->reason = hook; /* the netfilter hook: 1 input, 2 forward, 3 output */
	s->flags = RT_F_ADDR_FROM_SKB | RT_F_NO_REASON;
	rt_emit(s);
	return 0;
}

/* The record in a scratch slot: see ev_scratch. */
static __always_inline int handle_nf_reset(const struct net *net, const struct sk_buff *oldskb,
					   int hook)
{
	struct ev_src *s = ev_scratch_get();
	int ret;

	if (!s)
		return 0;
	ret = handle_nf_reset_into(s, net, oldskb, hook);
	ev_scratch_put();
	return ret;
}

SEC("fentry/nf_send_reset")
int BPF_PROG(nf_reset_v4_fentry, struct net *net, struct sock *sk, struct sk_buff *oldskb, int hook)
{
	return handle_nf_reset(net, oldskb, hook);
}

SEC("fentry/nf_send_reset6")
int BPF_PROG(nf_reset_v6_fentry, struct net *net, struct sock *sk, struct sk_buff *oldskb, int hook)
{
	return handle_nf_reset(net, oldskb, hook);
}

SEC("kprobe/nf_send_reset")
int BPF_KPROBE(nf_reset_v4_kprobe, struct net *net, struct sock *sk, struct sk_buff *oldskb,
	       int hook)
{
	return handle_nf_reset(net, oldskb, hook);
}

SEC("kprobe/nf_send_reset6")
int BPF_KPROBE(nf_reset_v6_kprobe, struct net *net, struct sock *sk, struct sk_buff *oldskb,
	       int hook)
{
	return handle_nf_reset(net, oldskb, hook);
}
