/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Listener queue events, as every overflow source reports them: the drop
 * reason and per-packet hooks (overflow.bpf.c) and the fentry/kprobe hooks
 * of kernels that have them (overflow_fentry.bpf.c). Always inlined, so
 * each program verifies its own copy as before the split.
 */
#ifndef RSTTRACE_OVERFLOW_BPF_H
#define RSTTRACE_OVERFLOW_BPF_H

#include "common.bpf.h"
#include "link.bpf.h"
#include "listen.bpf.h"
#include "mib.bpf.h"

/* Counts and emits the queue event in s (overflow.bpf.c). */
extern int rt_report_queue(struct ev_src *s, __u64 extra_overflows, __u64 extra_synq);

static __always_inline int report_queue_extra(const struct rt_tuple *t, __u32 netns,
					      const struct sock *lsk, __u32 type, __u8 path,
					      __u32 reason, __u32 flags, __u64 extra_overflows,
					      __u64 extra_synq)
{
	struct ev_src *s = ev_scratch_get();

	if (!s)
		return 0;
	s->t = *t;
	s->lsk = (__u64)lsk;
	s->sk = (__u64)lsk;
	s->netns = netns;
	s->type = type;
	s->reason = reason;
	s->path = path;
	s->state = RT_TCP_LISTEN;
	s->flags = RT_F_ADDR_FROM_SKB | flags;
	rt_report_queue(s, extra_overflows, extra_synq);
	ev_scratch_put();
	return 0;
}

static __always_inline int report_queue_event(const struct rt_tuple *t, __u32 netns,
					      const struct sock *lsk, __u32 type, __u8 path,
					      __u32 reason, __u32 flags)
{
	return report_queue_extra(t, netns, lsk, type, path, reason, flags, 0, 0);
}

/*
 * A handshake ACK or syncookie ACK whose drop says overflow: it is one if
 * the kernel counted it (a child allocation failure takes the same drop
 * but is no ListenOverflow).
 */
static __always_inline int report_ack_overflow(const struct rt_tuple *t, __u32 netns,
					       const struct sock *lsk, __u8 path, __u32 reason,
					       __u32 flags, bool without_counter)
{
	struct rt_mib_delta d;

	if (!(event_mask & RT_EVM(RT_EV_LISTEN_OVERFLOW)))
		return 0;
	rt_mib_delta(sk_net(lsk), netns, &d, 1);
	/* No baseline on this CPU yet: the caller's own evidence, this once. */
	if (d.fresh)
		return without_counter ? report_queue_event(t, netns, lsk, RT_EV_LISTEN_OVERFLOW,
							    path, reason, flags)
				       : 0;
	if (!d.d[RT_MIB_LISTEN_OVERFLOWS]) {
		unattributed_unfiltered(netns, 0, d.d[RT_MIB_REQQ_DROP] + d.d[RT_MIB_REQQ_COOKIES]);
		return 0;
	}
	return report_queue_extra(t, netns, lsk, RT_EV_LISTEN_OVERFLOW, path, reason, flags,
				  d.d[RT_MIB_LISTEN_OVERFLOWS] - 1,
				  d.d[RT_MIB_REQQ_DROP] + d.d[RT_MIB_REQQ_COOKIES]);
}

/*
 * The SYN detector reads the listener's drop counter; drops that other
 * paths add (2 for a handshake ACK, 1 for a syncookie ACK) are taken out.
 */
static __always_inline void syn_seen_skip(const struct sock *lsk, __u32 drops)
{
	__u64 key = (__u64)lsk;
	struct syn_seen *seen = bpf_map_lookup_elem(&syn_seen, &key);

	if (seen)
		__sync_fetch_and_add(&seen->drops, drops);
}

/*
 * A SYN the listener dropped gets no drop reason: tcp_conn_request() counts
 * it and tcp_rcv_state_process() consume_skb()s it like an accepted one.
 * tcp_conn_request() checks the SYN queue first (full and no cookies: a
 * SYN-queue drop; full with cookies: a cookie), then the accept queue
 * (full: ListenOverflows). With cookies on, a dropped SYN was therefore
 * an accept-queue overflow, whatever accept() did since.
 */
static __always_inline int classify_syn_delta(const struct rt_tuple *t, __u32 netns,
					      const struct sock *lsk, bool dropped, bool queued,
					      const struct rt_mib_delta *d)
{
	const struct inet_connection_sock *icsk = (const void *)lsk;
	__u32 synq = BPF_CORE_READ(icsk, icsk_accept_queue.qlen.counter);
	__u32 qmax = BPF_CORE_READ(lsk, sk_max_ack_backlog);
	__u8 cookies = sk_syncookies(lsk);
	__u64 n;

	if (!d->fresh) {
		/* One SYN, one increment each: more is what no hook saw. */
		n = d->d[RT_MIB_LISTEN_OVERFLOWS];
		if (n)
			report_queue_extra(t, netns, lsk, RT_EV_LISTEN_OVERFLOW, RT_PATH_SYN, 0,
					   RT_F_NO_REASON, n - 1, 0);
		n = d->d[RT_MIB_REQQ_DROP];
		if (n)
			report_queue_extra(t, netns, lsk, RT_EV_SYN_QUEUE_OVERFLOW, RT_PATH_NONE, 0,
					   RT_F_NO_REASON, 0, n - 1);
		n = d->d[RT_MIB_REQQ_COOKIES];
		if (n)
			report_queue_extra(t, netns, lsk, RT_EV_SYN_QUEUE_OVERFLOW, RT_PATH_NONE, 0,
					   RT_F_NO_REASON | RT_F_SYNCOOKIES, 0, n - 1);
		return 0;
	}
	/* No baseline on this CPU yet: the listener's queues, this once. */
	if (dropped) {
		if (!cookies && synq > qmax)
			return report_queue_event(t, netns, lsk, RT_EV_SYN_QUEUE_OVERFLOW,
						  RT_PATH_NONE, 0, RT_F_NO_REASON);
		return report_queue_event(t, netns, lsk, RT_EV_LISTEN_OVERFLOW, RT_PATH_SYN, 0,
					  RT_F_NO_REASON);
	}
	if (cookies == 2 || (cookies && synq > qmax && !queued))
		return report_queue_event(t, netns, lsk, RT_EV_SYN_QUEUE_OVERFLOW, RT_PATH_NONE, 0,
					  RT_F_NO_REASON | RT_F_SYNCOOKIES);
	return 0;
}

static __always_inline int classify_syn(const struct rt_tuple *t, __u32 netns,
					const struct sock *lsk, bool dropped, bool queued)
{
	struct rt_mib_delta d;

	/* What the kernel counted for this SYN, on this CPU. */
	rt_mib_delta(sk_net(lsk), netns, &d, 1);
	return classify_syn_delta(t, netns, lsk, dropped, queued, &d);
}

#endif
