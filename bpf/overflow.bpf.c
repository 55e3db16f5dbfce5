// SPDX-License-Identifier: GPL-2.0
/*
 * Listener queue overflows: the handshake ACK and syncookie paths from
 * kfree_skb drop reasons, the SYN path and SYN-queue drops from consume_skb.
 */
#include "common.bpf.h"
#include "link.bpf.h"

/* What every listener queue event carries: the listener is the owner. */
static __always_inline void fill_queue_event(struct rt_event *e, const struct rt_tuple *t,
					     __u32 netns, const struct sock *lsk,
					     const struct rt_sock_info *linfo, __u32 flags)
{
	e->sk = (__u64)lsk;
	e->netns = netns;
	e->state = RT_TCP_LISTEN;
	e->flags = RT_F_ADDR_FROM_SKB | flags;
	fill_tuple(e, t);
	if (linfo) {
		e->owner = linfo->owner;
		e->flags |= RT_F_OWNER;
	}
	fill_listener(e, lsk, linfo);
}

/* path RT_PATH_NONE counts a SYN-queue overflow. */
static __always_inline void listener_stats_add(__u32 netns, const struct sock *lsk,
					       const struct rt_sock_info *linfo, __u8 path)
{
	struct rt_listener_key key = {.netns = netns};
	struct rt_listener_stats *st, fresh = {};
	struct rt_tuple t = {};
	__u32 qlen;

	key.port = BPF_CORE_READ(lsk, __sk_common.skc_num);
	st = bpf_map_lookup_elem(&listener_stats, &key);
	if (!st) {
		tuple_from_sk(lsk, &t);
		__builtin_memcpy(fresh.addr, t.laddr, 16);
		fresh.family = t.family;
		fresh.port = key.port;
		if (linfo) {
			fresh.owner_tgid = linfo->owner.tgid;
			__builtin_memcpy(fresh.owner_comm, linfo->owner.comm, RT_COMM_LEN);
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

static __always_inline bool is_power_of_2(__u32 v)
{
	return v && !(v & (v - 1));
}

/*
 * Counts every overflow (the totals must equal ListenOverflows) but emits
 * only the first of a flow's episode and then at 2, 4, 8... repeats.
 */
static __always_inline int report_overflow(const struct rt_tuple *t, __u32 netns,
					   const struct sock *lsk, __u8 path, __u32 reason)
{
	struct rt_sock_info *linfo = sock_info(lsk);
	__u64 now = bpf_ktime_get_boot_ns();
	struct rt_flow_key k = {};
	struct rt_link *link, fresh = {};
	struct rt_event *e;
	__u32 repeat = 1;

	if (!(event_mask & RT_EVM(RT_EV_LISTEN_OVERFLOW)))
		return 0;
	if (!wanted(t, netns, linfo, linfo))
		return 0;
	count(RT_CNT_LISTEN_OVERFLOW);
	count(path == RT_PATH_SYN   ? RT_CNT_OVERFLOW_SYN
	      : path == RT_PATH_ACK ? RT_CNT_OVERFLOW_ACK
				    : RT_CNT_OVERFLOW_COOKIE);
	count_reason(RT_EV_LISTEN_OVERFLOW, path);
	listener_stats_add(netns, lsk, linfo, path);

	flow_key(&k, t, false);
	link = bpf_map_lookup_elem(&overflow_flows, &k);
	if (link && now - link->last_ns < RT_EPISODE_NS) {
		/* Racy across CPUs: only the event cadence depends on it. */
		repeat = ++link->count;
		link->last_ns = now;
		link->path = path;
		if (!is_power_of_2(repeat))
			return 0;
	} else {
		fresh.ts_ns = now;
		fresh.last_ns = now;
		fresh.count = 1;
		fresh.path = path;
		fresh.accept_qlen = BPF_CORE_READ(lsk, sk_ack_backlog);
		fresh.accept_qmax = BPF_CORE_READ(lsk, sk_max_ack_backlog);
		fresh.listener_port = t->lport;
		if (linfo) {
			fresh.listener_tgid = linfo->owner.tgid;
			__builtin_memcpy(fresh.listener_comm, linfo->owner.comm, RT_COMM_LEN);
		}
		bpf_map_update_elem(&overflow_flows, &k, &fresh, BPF_ANY);
		have_overflow_flows = 1;
	}

	if (rate_limited(RT_EV_LISTEN_OVERFLOW, path))
		return 0;
	e = reserve(RT_EV_LISTEN_OVERFLOW);
	if (!e)
		return 0;
	e->reason = reason;
	e->path = path;
	e->repeat = repeat;
	fill_queue_event(e, t, netns, lsk, linfo, path == RT_PATH_SYN ? RT_F_NO_REASON : 0);
	submit(e);
	return 0;
}

static __always_inline bool acceptq_full(const struct sock *lsk)
{
	return BPF_CORE_READ(lsk, sk_ack_backlog) > BPF_CORE_READ(lsk, sk_max_ack_backlog);
}

/*
 * Two drop reasons mean an overflow when the listener's accept queue is full:
 * TCP_LISTEN_OVERFLOW (the handshake ACK) and NO_SOCKET with the listener as
 * rx_sk (a syncookie ACK: cookie_v4_check() could not queue the child).
 */
static __always_inline int handle_kfree_skb(const struct sk_buff *skb, __u32 reason,
					    const struct sock *rx_sk)
{
	const struct sock *lsk = rx_sk;
	struct rt_tuple t = {};
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
		lsk = listener_by_port(netns, t.lport);
	if (!lsk || sk_state(lsk) != RT_TCP_LISTEN || !acceptq_full(lsk))
		return 0;
	return report_overflow(&t, netns, lsk, path, reason);
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

static __always_inline int report_syn_queue_overflow(const struct rt_tuple *t, __u32 netns,
						     const struct sock *lsk, bool cookie)
{
	struct rt_sock_info *linfo;
	struct rt_event *e;

	if (!(event_mask & RT_EVM(RT_EV_SYN_QUEUE_OVERFLOW)))
		return 0;
	linfo = sock_info(lsk);
	if (!wanted(t, netns, linfo, linfo))
		return 0;
	count(RT_CNT_SYN_QUEUE_OVERFLOW);
	count_reason(RT_EV_SYN_QUEUE_OVERFLOW, cookie);
	listener_stats_add(netns, lsk, linfo, RT_PATH_NONE);
	if (rate_limited(RT_EV_SYN_QUEUE_OVERFLOW, cookie))
		return 0;
	e = reserve(RT_EV_SYN_QUEUE_OVERFLOW);
	if (!e)
		return 0;
	fill_queue_event(e, t, netns, lsk, linfo, RT_F_NO_REASON | (cookie ? RT_F_SYNCOOKIES : 0));
	submit(e);
	return 0;
}

/*
 * Compares the listener with what it was at its previous SYN: the SYN that
 * takes the last free slot leaves the queue over its limit just like one
 * that was refused, so only a moved drop counter (no cookies) or a queue that
 * did not grow (cookies) tells that this SYN was not queued.
 */
static __always_inline void syn_observe(const struct sock *lsk, __u32 synq, bool *dropped,
					bool *queued)
{
	struct syn_seen now = {.drops = BPF_CORE_READ(lsk, sk_drops.counter), .synq = synq};
	__u64 key = (__u64)lsk;
	struct syn_seen *seen = bpf_map_lookup_elem(&syn_seen, &key);

	*dropped = false;
	*queued = true;
	if (!seen) {
		bpf_map_update_elem(&syn_seen, &key, &now, BPF_NOEXIST);
		return;
	}
	/* Exchanged, so two CPUs racing on one listener each see their own step. */
	*dropped = __sync_lock_test_and_set(&seen->drops, now.drops) != now.drops;
	*queued = synq > seen->synq;
	seen->synq = synq;
}

/*
 * A SYN the listener dropped gets no drop reason: tcp_conn_request() counts
 * it and tcp_rcv_state_process() consume_skb()s it like an accepted one. The
 * listener's queues, read right after, tell which happened: a full accept
 * queue always drops the SYN (ListenOverflows); a full SYN queue drops it
 * without syncookies and answers with a cookie with them.
 */
static __always_inline int handle_syn_consumed(const struct sk_buff *skb)
{
	const struct inet_connection_sock *icsk;
	const struct sock *lsk;
	struct rt_tuple t = {};
	__u32 netns, synq, qmax;
	bool dropped, queued;
	__u8 cookies;

	if ((skb_tcp_flags(skb) & (RT_TCPF_SYN | RT_TCPF_ACK)) != RT_TCPF_SYN)
		return 0;
	if (!tuple_from_skb(skb, &t))
		return 0;
	netns = skb_netns(skb);
	lsk = listener_by_port(netns, t.lport);
	if (!lsk)
		return 0;
	icsk = (const void *)lsk;
	synq = BPF_CORE_READ(icsk, icsk_accept_queue.qlen.counter);
	qmax = BPF_CORE_READ(lsk, sk_max_ack_backlog);
	cookies = sk_syncookies(lsk);
	syn_observe(lsk, synq, &dropped, &queued);
	if (acceptq_full(lsk)) {
		if (!cookies && synq > qmax)
			return report_syn_queue_overflow(&t, netns, lsk, false);
		return report_overflow(&t, netns, lsk, RT_PATH_SYN, 0);
	}
	if (cookies == 2)
		return report_syn_queue_overflow(&t, netns, lsk, true);
	if (synq <= qmax || (cookies ? queued : !dropped))
		return 0;
	return report_syn_queue_overflow(&t, netns, lsk, cookies != 0);
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
