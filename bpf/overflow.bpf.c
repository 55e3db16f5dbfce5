// SPDX-License-Identifier: GPL-2.0
/*
 * Listener queue overflows: the handshake ACK and syncookie paths from the
 * drop reasons kfree_skb gives, the SYN path and SYN-queue drops from the
 * listener's drop counter at consume_skb (those drops have no reason).
 */
#include "common.bpf.h"
#include "link.bpf.h"

/* Per-listener totals for the summary; path RT_PATH_NONE counts a SYN-queue overflow. */
static __always_inline void listener_stats_add(__u32 netns, const struct sock *lsk,
					       const struct rt_owner *lowner, __u8 path)
{
	struct rt_listener_stats *st, fresh = {};
	struct rt_tuple t = {};
	__u64 key = (__u64)lsk;
	__u32 qlen;

	st = bpf_map_lookup_elem(&listener_stats, &key);
	if (!st) {
		tuple_from_sk(lsk, &t);
		__builtin_memcpy(fresh.addr, t.laddr, 16);
		fresh.family = t.family;
		fresh.port = t.lport;
		fresh.netns = netns;
		if (lowner) {
			fresh.owner_tgid = lowner->tgid;
			__builtin_memcpy(fresh.owner_comm, lowner->comm, RT_COMM_LEN);
		}
		bpf_map_update_elem(&listener_stats, &key, &fresh, BPF_NOEXIST);
		st = bpf_map_lookup_elem(&listener_stats, &key);
		if (!st)
			return;
	}
	if (path == RT_PATH_NONE)
		__sync_fetch_and_add(&st->syn_queue_overflows, 1);
	else if (path < 4)
		__sync_fetch_and_add(&st->overflows[path & 3], 1);
	qlen = BPF_CORE_READ(lsk, sk_ack_backlog);
	if (qlen > st->max_accept_qlen)
		st->max_accept_qlen = qlen;
	st->accept_qmax = BPF_CORE_READ(lsk, sk_max_ack_backlog);
}

/* The repeats of one stuck handshake are one episode: counted, and linked later. */
static __always_inline __u32 note_episode(const struct rt_tuple *t, const struct sock *lsk,
					  const struct rt_owner *lowner, __u8 path)
{
	__u64 now = bpf_ktime_get_boot_ns();
	struct rt_link *link, fresh = {};
	struct rt_flow_key k = {};

	flow_key(&k, t, false);
	link = bpf_map_lookup_elem(&overflow_flows, &k);
	/* Another CPU may have moved last_ns past our clock read. */
	if (link && (link->last_ns > now || now - link->last_ns < RT_EPISODE_NS)) {
		link->last_ns = now;
		link->path = path;
		return __sync_fetch_and_add(&link->count, 1) + 1;
	}
	fresh.ts_ns = now;
	fresh.last_ns = now;
	fresh.count = 1;
	fresh.path = path;
	fresh.accept_qlen = BPF_CORE_READ(lsk, sk_ack_backlog);
	fresh.accept_qmax = BPF_CORE_READ(lsk, sk_max_ack_backlog);
	fresh.listener_port = t->lport;
	if (lowner) {
		fresh.listener_tgid = lowner->tgid;
		__builtin_memcpy(fresh.listener_comm, lowner->comm, RT_COMM_LEN);
	}
	bpf_map_update_elem(&overflow_flows, &k, &fresh, BPF_ANY);
	have_overflow_flows = 1;
	return 1;
}

static __always_inline int report_queue_event(const struct rt_tuple *t, __u32 netns,
					      const struct sock *lsk, __u32 type, __u8 path,
					      __u32 reason, __u32 flags)
{
	struct rt_sock_info *linfo;
	const struct rt_owner *lowner;
	struct ev_src s = {};

	if (!(event_mask & RT_EVM(type)))
		return 0;
	linfo = sock_info(lsk);
	lowner = linfo ? &linfo->owner : NULL;
	if (!wanted(t, netns, lowner, lowner))
		return 0;
	if (type == RT_EV_LISTEN_OVERFLOW) {
		count(RT_CNT_LISTEN_OVERFLOW);
		count(path == RT_PATH_SYN   ? RT_CNT_OVERFLOW_SYN
		      : path == RT_PATH_ACK ? RT_CNT_OVERFLOW_ACK
					    : RT_CNT_OVERFLOW_COOKIE);
		count_reason(type, path);
		listener_stats_add(netns, lsk, lowner, path);
		s.repeat = note_episode(t, lsk, lowner, path);
	} else {
		count(RT_CNT_SYN_QUEUE_OVERFLOW);
		count_reason(type, !!(flags & RT_F_SYNCOOKIES));
		listener_stats_add(netns, lsk, lowner, RT_PATH_NONE);
	}
	s.t = t;
	s.lsk = lsk;
	s.owner = lowner;
	s.lowner = lowner;
	s.sk = (__u64)lsk;
	s.type = type;
	s.netns = netns;
	s.reason = reason;
	s.path = path;
	s.state = RT_TCP_LISTEN;
	s.flags = RT_F_ADDR_FROM_SKB | flags;
	emit(&s);
	return 0;
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
 * The drop reason says it: TCP_LISTEN_OVERFLOW (the handshake ACK, 6.15+),
 * or NO_SOCKET with a listener as rx_sk (a syncookie ACK whose child
 * cookie_v4_check() could not queue). No queue is re-read: accept() on
 * another CPU may have emptied it since.
 */
static __always_inline int handle_kfree_skb(const struct sk_buff *skb, __u32 reason,
					    const struct sock *rx_sk)
{
	const struct sock *lsk = rx_sk;
	struct rt_tuple t = {};
	bool ambiguous;
	__u32 netns;
	__u8 path;

	/* This fires for every dropped packet on the host: leave at once. */
	if (bpf_core_enum_value_exists(enum skb_drop_reason, SKB_DROP_REASON_TCP_LISTEN_OVERFLOW) &&
	    reason ==
		bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_TCP_LISTEN_OVERFLOW))
		path = RT_PATH_ACK;
	else if (rx_sk &&
		 reason == bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_NO_SOCKET))
		path = RT_PATH_COOKIE;
	else
		return 0;
	if (!tuple_from_skb(skb, &t))
		return 0;
	netns = lsk ? sk_netns(lsk) : skb_netns(skb);
	if (!lsk)
		lsk = listener_for(netns, &t, &ambiguous);
	if (!lsk || sk_state(lsk) != RT_TCP_LISTEN)
		return 0;
	syn_seen_skip(lsk, path == RT_PATH_ACK ? 2 : 1);
	return report_queue_event(&t, netns, lsk, RT_EV_LISTEN_OVERFLOW, path, reason, 0);
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(kfree_skb_btf, const struct sk_buff *skb, void *location, int reason,
	     const struct sock *rx_sk)
{
	return handle_kfree_skb(skb, reason, rx_sk);
}

SEC("raw_tp/kfree_skb")
int BPF_PROG(kfree_skb_raw, const struct sk_buff *skb, void *location, int reason,
	     const struct sock *rx_sk)
{
	return handle_kfree_skb(skb, reason, rx_sk);
}

/* 5.17 to 6.10: no rx_sk, the listener is found by port. */
SEC("tp_btf/kfree_skb")
int BPF_PROG(kfree_skb_btf_norxsk, const struct sk_buff *skb, void *location, int reason)
{
	return handle_kfree_skb(skb, reason, NULL);
}

SEC("raw_tp/kfree_skb")
int BPF_PROG(kfree_skb_raw_norxsk, const struct sk_buff *skb, void *location, int reason)
{
	return handle_kfree_skb(skb, reason, NULL);
}

/*
 * Compares the listener with what it was at its previous SYN: a moved drop
 * counter (drops of other paths taken out) says this SYN was dropped; with
 * cookies, a SYN queue that did not grow says it got a cookie.
 */
static __always_inline void syn_observe(const struct sock *lsk, __u32 synq, bool *dropped,
					bool *queued)
{
	struct syn_seen now = {.drops = BPF_CORE_READ(lsk, sk_drops.counter), .synq = synq};
	__u64 key = (__u64)lsk;
	struct syn_seen *seen = bpf_map_lookup_elem(&syn_seen, &key);
	__u32 before;

	*dropped = false;
	*queued = true;
	if (!seen) {
		bpf_map_update_elem(&syn_seen, &key, &now, BPF_NOEXIST);
		return;
	}
	/* Exchanged, so two CPUs racing on one listener each see their own step. */
	before = __sync_lock_test_and_set(&seen->drops, now.drops);
	*dropped = (__s32)(now.drops - before) > 0;
	*queued = synq > seen->synq;
	seen->synq = synq;
}

/*
 * A SYN the listener dropped gets no drop reason: tcp_conn_request() counts
 * it and tcp_rcv_state_process() consume_skb()s it like an accepted one.
 * tcp_conn_request() checks the SYN queue first (full and no cookies: a
 * SYN-queue drop; full with cookies: a cookie), then the accept queue
 * (full: ListenOverflows). With cookies on, a dropped SYN was therefore
 * an accept-queue overflow, whatever accept() did since.
 */
static __always_inline int classify_syn(const struct rt_tuple *t, __u32 netns,
					const struct sock *lsk, bool dropped, bool queued)
{
	const struct inet_connection_sock *icsk = (const void *)lsk;
	__u32 synq = BPF_CORE_READ(icsk, icsk_accept_queue.qlen.counter);
	__u32 qmax = BPF_CORE_READ(lsk, sk_max_ack_backlog);
	__u8 cookies = sk_syncookies(lsk);

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

static __always_inline int handle_syn_consumed(const struct sk_buff *skb)
{
	struct listener_match m;
	struct rt_tuple t = {};
	bool dropped = false, queued = true;
	const struct sock *lsk = NULL;
	__u32 netns;
	int i;

	if ((skb_tcp_flags(skb) & (RT_TCPF_SYN | RT_TCPF_ACK)) != RT_TCPF_SYN)
		return 0;
	if (!tuple_from_skb(skb, &t))
		return 0;
	netns = skb_netns(skb);
	listeners_for(netns, &t, &m);
	/*
	 * Which listener of a SO_REUSEPORT group took it: the one whose drop
	 * counter moved, if one did (a queued SYN leaves no such trace).
	 */
#pragma unroll
	for (i = 0; i < RT_PORT_LISTENERS; i++) {
		const struct inet_connection_sock *icsk = (const void *)m.sk[i];
		bool d, q;

		if (i >= m.n || !m.sk[i])
			break;
		syn_observe(m.sk[i], BPF_CORE_READ(icsk, icsk_accept_queue.qlen.counter), &d, &q);
		if (!lsk || (d && !dropped)) {
			lsk = m.sk[i];
			dropped = d;
			queued = q;
		}
	}
	if (!lsk)
		return 0;
	return classify_syn(&t, netns, lsk, dropped, queued);
}

SEC("tp_btf/consume_skb")
int BPF_PROG(consume_skb_btf, const struct sk_buff *skb, void *location)
{
	/* Hot: every freed packet. One range compare before anything else. */
	if ((__u64)location < rcv_state_process_start || (__u64)location >= rcv_state_process_end)
		return 0;
	return handle_syn_consumed(skb);
}

SEC("raw_tp/consume_skb")
int BPF_PROG(consume_skb_raw, const struct sk_buff *skb, void *location)
{
	if ((__u64)location < rcv_state_process_start || (__u64)location >= rcv_state_process_end)
		return 0;
	return handle_syn_consumed(skb);
}
