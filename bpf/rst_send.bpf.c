// SPDX-License-Identifier: GPL-2.0
/* Resets sent: tcp_send_reset, with the reason where the kernel gives one. */
#include "common.bpf.h"
#include "local_abort.bpf.h"
#include "link.bpf.h"

static __always_inline int handle_send_reset(const struct sock *sk, const struct sk_buff *skb,
					     __u32 reason, __u32 flags, const bool direct)
{
	struct rt_sock_info *info = NULL, *linfo = NULL;
	const struct sock *lsk = NULL;
	struct rt_tuple t = {};
	struct rt_event *e;
	__u32 netns = 0;
	__u8 state = 0;
	bool full;

	if (!(event_mask & RT_EVM(RT_EV_RST_SENT)))
		return 0;
	if (sk) {
		state = sk_state_x(sk, direct);
		netns = sk_netns_x(sk, direct);
	} else if (skb) {
		netns = skb_netns_x(skb, direct);
	}
	full = sk && state != RT_TCP_TIME_WAIT && state != RT_TCP_NEW_SYN_RECV;

	/* A listener's or mini-socket's own addresses do not name the peer. */
	if (full && state != RT_TCP_LISTEN)
		tuple_from_sk_x(sk, &t, direct);
	else if (skb && tuple_from_skb_x(skb, &t, direct))
		flags |= RT_F_ADDR_FROM_SKB;
	else if (sk)
		tuple_from_sk_x(sk, &t, direct);
	if (!skb)
		flags |= RT_F_ACTIVE;

	if (full)
		info = sock_info(sk);
	if (state == RT_TCP_LISTEN) {
		lsk = sk;
		linfo = info;
	} else if (!sk) {
		lsk = listener_by_port(netns, t.lport);
		if (lsk) {
			linfo = sock_info(lsk);
			flags |= RT_F_LISTENER_BY_PORT;
		}
	}
	if (!wanted(&t, netns, info, linfo))
		return 0;

	count(RT_CNT_RST_SENT);
	count_reason(RT_EV_RST_SENT, reason);
	if (sk && take_back_local_abort(sk, reason))
		flags |= RT_F_LOCAL_ABORT;

	if (rate_limited(RT_EV_RST_SENT, reason))
		return 0;
	e = reserve(RT_EV_RST_SENT);
	if (!e)
		return 0;
	e->sk = (__u64)sk;
	e->netns = netns;
	e->reason = reason;
	e->state = state;
	fill_tuple(e, &t);
	/*
	 * TIME_WAIT sockets have no owner of their own; an orphan that answers
	 * data with ABORT_ON_DATA was destroyed by its tcp_reset() just before.
	 */
	if (!info && (state == RT_TCP_TIME_WAIT || state == RT_TCP_CLOSE) && have_closed_owners)
		fill_closed_owner(e, &t, netns);
	if (info) {
		e->owner = info->owner;
		flags |= RT_F_OWNER;
		if (state == RT_TCP_CLOSE && info->last_oldstate) {
			e->prev_state = info->last_oldstate;
			flags |= RT_F_PREV_STATE;
		}
	}
	e->flags |= flags;
	fill_listener(e, lsk, linfo);
	if (flags & RT_F_ACTIVE)
		fill_context(e);
	if (full &&
	    bpf_core_enum_value_exists(enum sk_rst_reason, SK_RST_REASON_TCP_ABORT_ON_CLOSE) &&
	    reason == bpf_core_enum_value(enum sk_rst_reason, SK_RST_REASON_TCP_ABORT_ON_CLOSE)) {
		/* In these states the peer's FIN had arrived. */
		e->unread_bytes = sk_unread_bytes(sk, e->prev_state == RT_TCP_CLOSE_WAIT ||
							  e->prev_state == RT_TCP_LAST_ACK ||
							  e->prev_state == RT_TCP_CLOSING);
		e->flags |= RT_F_UNREAD;
	}
	if (!sk)
		fill_closed_listener(e, netns, t.lport);
	fill_link(e, &t);
	submit(e);
	return 0;
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(send_reset_btf, const struct sock *sk, const struct sk_buff *skb, int reason)
{
	return handle_send_reset(sk, skb, reason, 0, true);
}

SEC("raw_tp/tcp_send_reset")
int BPF_PROG(send_reset_raw, const struct sock *sk, const struct sk_buff *skb, int reason)
{
	return handle_send_reset(sk, skb, reason, 0, false);
}

/* Before 6.10 the tracepoint had no reason argument. */
SEC("tp_btf/tcp_send_reset")
int BPF_PROG(send_reset_btf_noreason, const struct sock *sk, const struct sk_buff *skb)
{
	return handle_send_reset(sk, skb, 0, RT_F_NO_REASON, true);
}

SEC("raw_tp/tcp_send_reset")
int BPF_PROG(send_reset_raw_noreason, const struct sock *sk, const struct sk_buff *skb)
{
	return handle_send_reset(sk, skb, 0, RT_F_NO_REASON, false);
}
