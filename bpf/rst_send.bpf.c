// SPDX-License-Identifier: GPL-2.0
/* Resets sent: tcp_send_reset, with the reason where the kernel gives one. */
#include "common.bpf.h"
#include "local_abort.bpf.h"
#include "link.bpf.h"
#include "mib.bpf.h"

#define RT_SOCK_DEAD	 0 /* enum sock_flags */
#define RT_SOCK_LINGER	 4
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
	unsigned long flags = BPF_CORE_READ(sk, __sk_common.skc_flags);
	const struct inet_connection_sock *icsk = (const void *)sk;

	if (flags & (1ul << RT_SOCK_DEAD))
		bits |= RT_SK_ORPHAN;
	if ((flags & (1ul << RT_SOCK_LINGER)) && !BPF_CORE_READ(sk, sk_lingertime))
		bits |= RT_SK_LINGER0;
	if (BPF_CORE_READ(sk, sk_shutdown) == RT_SHUTDOWN_MASK)
		bits |= RT_SK_SHUT;
	if (BPF_CORE_READ(icsk, icsk_probes_out))
		bits |= RT_SK_PROBES;
	return bits;
}

static __always_inline bool reason_is_abort_on_close(__u32 reason)
{
	return bpf_core_enum_value_exists(enum sk_rst_reason___rt,
					  SK_RST_REASON_TCP_ABORT_ON_CLOSE___rt) &&
	       reason == bpf_core_enum_value(enum sk_rst_reason___rt,
					     SK_RST_REASON_TCP_ABORT_ON_CLOSE___rt);
}

/*
 * RSTTRACE_TEST_UNSEEN_RESETS=N: the first N resets the filters select pass
 * as if no hook ran (the tests of the TcpOutRsts sweep, bpf/mib.bpf.c); 0,
 * and the test pruned at load, otherwise.
 */
const volatile __u32 test_unseen_resets = 0;
__u32 test_unseen_passed;

/* The second half of a reset sent, from what the first half found; the flags. */
static __always_inline __u32 send_reset_tail(struct ev_src *s, const struct sock *sk, __u32 flags,
					     __u32 reason, __u8 state)
{
	bool full = sk && state != RT_TCP_TIME_WAIT && state != RT_TCP_NEW_SYN_RECV;

	count(RT_CNT_RST_SENT);
	count_reason(RT_EV_RST_SENT, (flags & RT_F_NO_REASON) ? RT_REASON_NONE : reason);
	if (full && (flags & RT_F_ACTIVE))
		s->sk_bits = active_bits(sk);
	/* Without the kernel's reason, the unread bytes tell a close with data unread. */
	if (full && (reason_is_abort_on_close(reason) ||
		     ((flags & RT_F_NO_REASON) && (s->sk_bits & RT_SK_SHUT)))) {
		/* In these states the peer's FIN had arrived. */
		s->unread = sk_unread_bytes(sk, s->prev_state == RT_TCP_CLOSE_WAIT ||
						    s->prev_state == RT_TCP_LAST_ACK ||
						    s->prev_state == RT_TCP_CLOSING);
		flags |= RT_F_UNREAD;
	}
	if (!sk)
		ev_closed(s, find_closed_listener(s->netns, s->t.lport));
	/* A connection that did its work was not reset because of its handshake. */
	if (!(full && state != RT_TCP_LISTEN && sk_carried_data(sk)))
		ev_link(s, find_link(&s->t));
	return flags;
}

/*
 * The same from s alone, as a global function: verified once per program.
 * Inlined into the tp_btf programs, every combination of the first half's
 * lookups (socket or not, its info, the listener, the owner found) walked
 * it again: send_reset_btf_noreason was 185k instructions on 6.1, 70k so
 * (26k since the listener lookup and the claim became global functions).
 * The fentry and kprobe programs keep it inline: there the split made them
 * slower to verify on 6.1 (89k and 135k inline, 160k each split; 28k
 * inline now).
 */
__noinline int rt_send_reset_tail(struct ev_src *s)
{
	if (!s)
		return 0;
	s->flags = send_reset_tail(s, (const struct sock *)s->sk, s->flags, s->reason, s->state);
	return 0;
}

static __always_inline int handle_send_reset_into(struct ev_src *s, const struct sock *sk,
						  const struct sk_buff *skb, __u32 reason,
						  __u32 flags, const bool direct)
{
	struct rt_sock_info *info = NULL, *linfo = NULL;
	const struct rt_owner *owner = NULL;
	__u32 netns = 0, ambiguous = 0;
	__u8 state = 0;
	bool full;

	if (sk) {
		state = sk_state_x(sk, direct);
		netns = sk_netns_x(sk, direct);
	} else if (skb) {
		netns = skb_netns_x(skb, direct);
	}
	full = sk && state != RT_TCP_TIME_WAIT && state != RT_TCP_NEW_SYN_RECV;
	/*
	 * The flags gather in the record, not in a register: a register keeps
	 * each combination of them as a constant, and the verifier then walks
	 * every combination on its own (on 6.1, 10 s per program under TCG).
	 */
	s->flags = flags;
	/* First, whatever the filters: a received reset may have to be taken back. */
	if (full && skb && take_back_local_abort(sk))
		s->flags |= RT_F_LOCAL_ABORT;
	if (!(event_mask & RT_EVM(RT_EV_RST_SENT)))
		return 0;

	/* A listener's or mini-socket's own addresses do not name the peer. */
	if (full && state != RT_TCP_LISTEN)
		tuple_from_sk_x(sk, &s->t, direct);
	else if (skb && tuple_from_skb_x(skb, &s->t, direct))
		s->flags |= RT_F_ADDR_FROM_SKB;
	else if (sk)
		tuple_from_sk_x(sk, &s->t, direct);
	if (!skb)
		s->flags |= RT_F_ACTIVE;

	if (full)
		info = sock_info(sk);
	if (state == RT_TCP_LISTEN) {
		s->lsk = (__u64)sk;
		linfo = info;
		if (ack_overflow_from_func && skb) {
			__u32 zero = 0;
			__u64 *last = bpf_map_lookup_elem(&overflow_skb, &zero);

			s->flags |= RT_F_OVERFLOW_SKB_KNOWN;
			if (last && *last == (__u64)skb) {
				s->flags |= RT_F_OVERFLOW_SKB;
				*last = 0;
			}
		}
	} else if (!sk) {
		s->lsk = rt_listener_for(netns, &s->t, &ambiguous);
		if (s->lsk) {
			linfo = sock_info((const void *)s->lsk);
			s->flags |= RT_F_LISTENER_BY_PORT;
			if (ambiguous)
				s->flags |= RT_F_LISTENER_AMBIG;
		}
	}
	if (info) {
		owner = &info->owner;
	} else if (state == RT_TCP_TIME_WAIT || state == RT_TCP_CLOSE) {
		/* A TIME_WAIT socket has no owner; an orphan's tcp_reset() just destroyed it. */
		owner = find_closed_owner(&s->t, netns);
		if (owner)
			s->flags |= RT_F_OWNER_CLOSED;
	}
	/* Filter on the owner the event will show, after every lookup that finds it. */
	if (!wanted(&s->t, netns, owner, linfo ? &linfo->owner : NULL))
		return 0;
	if (test_unseen_resets && __sync_fetch_and_add(&test_unseen_passed, 1) < test_unseen_resets)
		return 0;

	/* Seen: one of the netns's TcpOutRsts accounted for (bpf/mib.bpf.c). */
	rt_rst_claim(sk, skb, netns, !skb);
	ev_owner(s, owner);
	ev_lowner(s, linfo ? &linfo->owner : NULL);
	s->sk = (__u64)sk;
	s->type = RT_EV_RST_SENT;
	s->netns = netns;
	s->reason = reason;
	s->state = state;
	if (info && state == RT_TCP_CLOSE && info->last_oldstate) {
		s->prev_state = info->last_oldstate;
		s->flags |= RT_F_PREV_STATE;
	}
	if (direct)
		rt_send_reset_tail(s);
	else
		s->flags = send_reset_tail(s, sk, s->flags, reason, state);
	/* Emitted from here: the tail's frame is not under rt_emit()'s (512 bytes). */
	rt_emit(s);
	return 0;
}

/* The record in a scratch slot: see ev_scratch. */
static __always_inline int handle_send_reset(const struct sock *sk, const struct sk_buff *skb,
					     __u32 reason, __u32 flags, const bool direct)
{
	struct ev_src *s = ev_scratch_get();
	int ret;

	if (!s)
		return 0;
	ret = handle_send_reset_into(s, sk, skb, reason, flags, direct);
	ev_scratch_put();
	return ret;
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(send_reset_btf, const struct sock *sk, const struct sk_buff *skb, int reason)
{
	return handle_send_reset(sk, skb, reason, 0, true);
}

/* With the function hooks below, the old tracepoint reports only active resets. */
#define PASSIVE_ELSEWHERE(skb) (passive_from_func && (skb))

SEC("raw_tp/tcp_send_reset")
int BPF_PROG(send_reset_raw, const struct sock *sk, const struct sk_buff *skb, int reason)
{
	return handle_send_reset(sk, skb, reason, 0, false);
}

/* Before 6.10 the tracepoint had no reason argument. */
SEC("tp_btf/tcp_send_reset")
int BPF_PROG(send_reset_btf_noreason, const struct sock *sk, const struct sk_buff *skb)
{
	if (PASSIVE_ELSEWHERE(skb))
		return 0;
	return handle_send_reset(sk, skb, 0, RT_F_NO_REASON, true);
}

SEC("raw_tp/tcp_send_reset")
int BPF_PROG(send_reset_raw_noreason, const struct sock *sk, const struct sk_buff *skb)
{
	if (PASSIVE_ELSEWHERE(skb))
		return 0;
	return handle_send_reset(sk, skb, 0, RT_F_NO_REASON, false);
}

/*
 * Before 6.10 the tracepoint saw only full sockets' resets. Every passive
 * reset goes through tcp_v{4,6}_send_reset(), hooked at entry: the checks
 * that make it return without sending are repeated here (never answer a
 * reset; without a socket, only packets to a local address).
 */
#define RT_TCPF_RST  0x04
#define RT_RTN_LOCAL 2
#define RT_RTF_LOCAL 0x80000000u

static __always_inline bool v4_reset_goes_out(const struct sock *sk, const struct sk_buff *skb)
{
	const struct rtable *rt;

	if (skb_tcp_flags(skb) & RT_TCPF_RST)
		return false;
	if (sk)
		return true;
	rt = (const void *)(BPF_CORE_READ(skb, _skb_refdst) & ~1ul);
	return rt && BPF_CORE_READ(rt, rt_type) == RT_RTN_LOCAL;
}

static __always_inline bool v6_reset_goes_out(const struct sock *sk, const struct sk_buff *skb)
{
	const struct rt6_info *rt;

	if (skb_tcp_flags(skb) & RT_TCPF_RST)
		return false;
	if (sk)
		return true;
	rt = (const void *)(BPF_CORE_READ(skb, _skb_refdst) & ~1ul);
	return rt && (BPF_CORE_READ(rt, rt6i_flags) & RT_RTF_LOCAL);
}

SEC("fentry/tcp_v4_send_reset")
int BPF_PROG(send_reset_v4_fentry, const struct sock *sk, struct sk_buff *skb)
{
	if (!v4_reset_goes_out(sk, skb))
		return 0;
	return handle_send_reset(sk, skb, 0, RT_F_NO_REASON, false);
}

SEC("fentry/tcp_v6_send_reset")
int BPF_PROG(send_reset_v6_fentry, const struct sock *sk, struct sk_buff *skb)
{
	if (!v6_reset_goes_out(sk, skb))
		return 0;
	return handle_send_reset(sk, skb, 0, RT_F_NO_REASON, false);
}

SEC("kprobe/tcp_v4_send_reset")
int BPF_KPROBE(send_reset_v4_kprobe, const struct sock *sk, struct sk_buff *skb)
{
	if (!v4_reset_goes_out(sk, skb))
		return 0;
	return handle_send_reset(sk, skb, 0, RT_F_NO_REASON, false);
}

SEC("kprobe/tcp_v6_send_reset")
int BPF_KPROBE(send_reset_v6_kprobe, const struct sock *sk, struct sk_buff *skb)
{
	if (!v6_reset_goes_out(sk, skb))
		return 0;
	return handle_send_reset(sk, skb, 0, RT_F_NO_REASON, false);
}
