// SPDX-License-Identifier: GPL-2.0
/* Resets sent: tcp_send_reset, with the reason where the kernel gives one. */
#include "common.bpf.h"
#include "local_abort.bpf.h"
#include "link.bpf.h"

#define RT_SOCK_DEAD	 0 /* enum sock_flags */
#define RT_SHUTDOWN_MASK 3

/*
 * What an active reset's socket says about who sent it: a system call holds
 * the socket lock (close, disconnect, ss -K), a timer does not; close() has
 * set both shutdown bits first; an orphan has no process left.
 */
static __always_inline __u8 active_bits(const struct sock *sk)
{
	__u8 bits = 0;

	if (BPF_CORE_READ(sk, sk_lock.owned))
		bits |= RT_SK_LOCKED;
	if (BPF_CORE_READ(sk, __sk_common.skc_flags) & (1ul << RT_SOCK_DEAD))
		bits |= RT_SK_ORPHAN;
	if (BPF_CORE_READ(sk, sk_shutdown) == RT_SHUTDOWN_MASK)
		bits |= RT_SK_SHUT;
	return bits;
}

static __always_inline bool reason_is_abort_on_close(__u32 reason)
{
	return bpf_core_enum_value_exists(enum sk_rst_reason, SK_RST_REASON_TCP_ABORT_ON_CLOSE) &&
	       reason == bpf_core_enum_value(enum sk_rst_reason, SK_RST_REASON_TCP_ABORT_ON_CLOSE);
}

static __always_inline int handle_send_reset(const struct sock *sk, const struct sk_buff *skb,
					     __u32 reason, __u32 flags, const bool direct)
{
	struct rt_sock_info *info = NULL, *linfo = NULL;
	const struct rt_owner *owner = NULL;
	struct ev_src s = {};
	struct rt_tuple t = {};
	__u32 netns = 0;
	__u8 state = 0;
	bool full, ambiguous = false;

	if (sk) {
		state = sk_state_x(sk, direct);
		netns = sk_netns_x(sk, direct);
	} else if (skb) {
		netns = skb_netns_x(skb, direct);
	}
	full = sk && state != RT_TCP_TIME_WAIT && state != RT_TCP_NEW_SYN_RECV;
	/* First, whatever the filters: a received reset may have to be taken back. */
	if (full && skb && take_back_local_abort(sk))
		flags |= RT_F_LOCAL_ABORT;
	if (!(event_mask & RT_EVM(RT_EV_RST_SENT)))
		return 0;

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
		s.lsk = sk;
		linfo = info;
	} else if (!sk) {
		s.lsk = listener_for(netns, &t, &ambiguous);
		if (s.lsk) {
			linfo = sock_info(s.lsk);
			flags |= RT_F_LISTENER_BY_PORT;
			if (ambiguous)
				flags |= RT_F_LISTENER_AMBIG;
		}
	}
	if (info) {
		owner = &info->owner;
	} else if (state == RT_TCP_TIME_WAIT || state == RT_TCP_CLOSE) {
		/* A TIME_WAIT socket has no owner; an orphan's tcp_reset() just destroyed it. */
		owner = find_closed_owner(&t, netns);
		if (owner)
			flags |= RT_F_OWNER_CLOSED;
	}
	s.lowner = linfo ? &linfo->owner : NULL;
	/* Filter on the owner the event will show, after every lookup that finds it. */
	if (!wanted(&t, netns, owner, s.lowner))
		return 0;

	count(RT_CNT_RST_SENT);
	count_reason(RT_EV_RST_SENT, reason);

	s.t = &t;
	s.owner = owner;
	s.sk = (__u64)sk;
	s.type = RT_EV_RST_SENT;
	s.netns = netns;
	s.reason = reason;
	s.state = state;
	if (info && state == RT_TCP_CLOSE && info->last_oldstate) {
		s.prev_state = info->last_oldstate;
		flags |= RT_F_PREV_STATE;
	}
	if (full && (flags & RT_F_ACTIVE))
		s.sk_bits = active_bits(sk);
	if (full && reason_is_abort_on_close(reason)) {
		/* In these states the peer's FIN had arrived. */
		s.unread = sk_unread_bytes(sk, s.prev_state == RT_TCP_CLOSE_WAIT ||
						   s.prev_state == RT_TCP_LAST_ACK ||
						   s.prev_state == RT_TCP_CLOSING);
		flags |= RT_F_UNREAD;
	}
	if (!sk)
		s.closed = find_closed_listener(netns, t.lport);
	/* A connection that did its work was not reset because of its handshake. */
	if (!(full && state != RT_TCP_LISTEN && sk_carried_data(sk)))
		s.link = find_link(&t);
	s.flags = flags;
	emit(&s);
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
