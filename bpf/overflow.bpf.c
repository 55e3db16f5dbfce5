// SPDX-License-Identifier: GPL-2.0
/*
 * Listener queue overflows: the handshake ACK and syncookie paths from the
 * drop reasons kfree_skb gives, the SYN path and SYN-queue drops from the
 * listener's drop counter at consume_skb (those drops have no reason), on
 * tracepoint-only kernels; the fentry/kprobe hooks are in overflow_fentry.bpf.c.
 */
#include "overflow.bpf.h"

/* Per-listener totals for the summary; path RT_PATH_NONE counts a SYN-queue overflow. */
static __noinline void listener_stats_add(__u32 netns, const struct sock *lsk,
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
static __noinline __u32 note_episode(const struct rt_tuple *t, const struct sock *lsk,
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

/*
 * Counts and emits one listener queue event that report_queue_extra() put
 * in a scratch record; global, so verified once. The counters and the
 * episode are kept in functions of their own, so that their frames sit
 * beside rt_emit()'s, not under it (see ev_scratch).
 */
__noinline int rt_report_queue(struct ev_src *s, __u64 extra_overflows, __u64 extra_synq)
{
	const struct rt_owner *lowner;
	struct rt_sock_info *linfo;
	const struct sock *lsk;
	__u32 type;
	__u8 path;

	if (!s)
		return 0;
	lsk = (const struct sock *)s->lsk;
	type = s->type;
	path = s->path;
	if (!(event_mask & RT_EVM(type)))
		return 0;
	linfo = sock_info(lsk);
	lowner = linfo ? &linfo->owner : NULL;
	if (!wanted(&s->t, s->netns, lowner, lowner))
		return 0;
	/* Under the filters of the event they were found with. */
	unattributed(extra_overflows, extra_synq);
	if (filter_within_netns())
		rt_netns_select(s->netns);
	if (type == RT_EV_LISTEN_OVERFLOW) {
		count(RT_CNT_LISTEN_OVERFLOW);
		count(path == RT_PATH_SYN   ? RT_CNT_OVERFLOW_SYN
		      : path == RT_PATH_ACK ? RT_CNT_OVERFLOW_ACK
					    : RT_CNT_OVERFLOW_COOKIE);
		count_reason(type, path);
		listener_stats_add(s->netns, lsk, lowner, path);
		s->repeat = note_episode(&s->t, lsk, lowner, path);
		/* A connection the queue could not take (counted once per connection). */
		rt_burst_drop(s->lsk, &s->t);
	} else {
		count(RT_CNT_SYN_QUEUE_OVERFLOW);
		count_reason(type, !!(s->flags & RT_F_SYNCOOKIES));
		listener_stats_add(s->netns, lsk, lowner, RT_PATH_NONE);
		/* Dropped, not answered with a cookie: one more connection left out. */
		if (!(s->flags & RT_F_SYNCOOKIES))
			rt_burst_drop(s->lsk, &s->t);
	}
	ev_owner(s, lowner);
	ev_lowner(s, lowner);
	rt_emit(s);
	return 0;
}

/*
 * Tracepoints only, before 6.15: a full accept queue drops the handshake
 * ACK with no reason of its own. A ListenOverflow the kernel counted on
 * this CPU since the last event here, with a dropped ACK to a listener,
 * is that overflow: the SYN path credits its own increment before the
 * softirq moves on. Anything else counted is reported as unattributed.
 */
__hidden __noinline int rt_counted_drop(__u64 skbp, __u32 reason)
{
	const struct sk_buff *skb = (const struct sk_buff *)skbp;
	__u32 netns = skb_netns(skb), ambiguous = 0;
	struct rt_tuple t = {};
	struct rt_mib_delta d;
	const struct sock *lsk;
	__u64 n;

	rt_mib_delta(skb_net(skb), netns, &d, 0);
	if (d.fresh)
		return 0;
	n = d.d[RT_MIB_LISTEN_OVERFLOWS];
	if (n && (skb_tcp_flags(skb) & (RT_TCPF_SYN | RT_TCPF_ACK)) == RT_TCPF_ACK &&
	    tuple_from_skb(skb, &t)) {
		lsk = (const void *)rt_listener_for(netns, &t, &ambiguous);
		if (lsk && sk_state(lsk) == RT_TCP_LISTEN) {
			/* Before 6.11 a syncookie ACK's drop is NO_SOCKET without rx_sk. */
			bool cookie = bpf_core_enum_value_exists(enum skb_drop_reason___rt,
								 SKB_DROP_REASON_NO_SOCKET___rt) &&
				      reason == bpf_core_enum_value(enum skb_drop_reason___rt,
								    SKB_DROP_REASON_NO_SOCKET___rt);

			syn_seen_skip(lsk, cookie ? 1 : 2);
			return report_queue_extra(&t, netns, lsk, RT_EV_LISTEN_OVERFLOW,
						  cookie ? RT_PATH_COOKIE : RT_PATH_ACK, 0,
						  RT_F_NO_REASON, n - 1,
						  d.d[RT_MIB_REQQ_DROP] + d.d[RT_MIB_REQQ_COOKIES]);
		}
	}
	unattributed_unfiltered(netns, n, d.d[RT_MIB_REQQ_DROP] + d.d[RT_MIB_REQQ_COOKIES]);
	return 0;
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
	__u32 netns, ambiguous = 0;
	__u8 path;

	/* This fires for every dropped packet on the host: leave at once. */
	if (bpf_core_enum_value_exists(enum skb_drop_reason___rt,
				       SKB_DROP_REASON_TCP_LISTEN_OVERFLOW___rt) &&
	    reason == bpf_core_enum_value(enum skb_drop_reason___rt,
					  SKB_DROP_REASON_TCP_LISTEN_OVERFLOW___rt))
		path = RT_PATH_ACK;
	else if (rx_sk && !ack_overflow_from_func &&
		 bpf_core_enum_value_exists(enum skb_drop_reason___rt,
					    SKB_DROP_REASON_NO_SOCKET___rt) &&
		 reason ==
		     bpf_core_enum_value(enum skb_drop_reason___rt, SKB_DROP_REASON_NO_SOCKET___rt))
		path = RT_PATH_COOKIE;
	else if (ack_overflow_by_counter)
		return rt_counted_drop((__u64)skb, reason);
	else
		return 0;
	if (!tuple_from_skb(skb, &t))
		return 0;
	netns = lsk ? sk_netns(lsk) : skb_netns(skb);
	if (!lsk)
		lsk = (const void *)rt_listener_for(netns, &t, &ambiguous);
	if (!lsk || sk_state(lsk) != RT_TCP_LISTEN)
		return 0;
	syn_seen_skip(lsk, path == RT_PATH_ACK ? 2 : 1);
	return report_ack_overflow(&t, netns, lsk, path, reason, 0, true);
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

static __always_inline int handle_syn_consumed(const struct sk_buff *skb)
{
	struct listener_match m = {};
	struct rt_tuple t = {};
	bool dropped = false, queued = true;
	const struct sock *lsk = NULL;
	struct rt_mib_delta d;
	__u32 netns;
	int i;

	if ((skb_tcp_flags(skb) & (RT_TCPF_SYN | RT_TCPF_ACK)) != RT_TCPF_SYN)
		return 0;
	netns = skb_netns(skb);
	rt_mib_delta(skb_net(skb), netns, &d, 0);
	/* The common case, a SYN queued with nothing counted: see below. */
	if (!d.fresh && !have_shared_ports &&
	    !(d.d[RT_MIB_LISTEN_OVERFLOWS] | d.d[RT_MIB_REQQ_DROP] | d.d[RT_MIB_REQQ_COOKIES]))
		return 0;
	if (!tuple_from_skb(skb, &t)) {
		if (!d.fresh)
			unattributed_unfiltered(netns, d.d[RT_MIB_LISTEN_OVERFLOWS],
						d.d[RT_MIB_REQQ_DROP] + d.d[RT_MIB_REQQ_COOKIES]);
		return 0;
	}
	rt_listeners_for(netns, &t, &m);
	/*
	 * Every SYN a listener takes passes here. Where this CPU has a
	 * baseline and the kernel counted no overflow since, this SYN was
	 * queued: nothing to find, unless the port has several listeners:
	 * their drop counters must be re-read at every SYN, since the one
	 * whose counter moved since the last read is taken for an overflow,
	 * and drops of other kinds (an ACK path) move it too.
	 */
	if (!d.fresh && m.n < 2 &&
	    !(d.d[RT_MIB_LISTEN_OVERFLOWS] | d.d[RT_MIB_REQQ_DROP] | d.d[RT_MIB_REQQ_COOKIES]))
		return 0;
	/*
	 * Which listener of a SO_REUSEPORT group took it: the one whose drop
	 * counter moved, if one did (a queued SYN leaves no such trace).
	 */
	for (i = 0; i < RT_PORT_LISTENERS; i++) {
		const struct sock *cand = (const struct sock *)m.sk[i];
		const struct inet_connection_sock *icsk = (const void *)cand;
		bool d, q;

		if ((__u32)i >= m.n || !cand)
			break;
		syn_observe(cand, BPF_CORE_READ(icsk, icsk_accept_queue.qlen.counter), &d, &q);
		if (!lsk || (d && !dropped)) {
			lsk = cand;
			dropped = d;
			queued = q;
		}
	}
	if (!lsk) {
		/* Counted, and taken from the baseline above: no event will claim it. */
		if (!d.fresh)
			unattributed_unfiltered(netns, d.d[RT_MIB_LISTEN_OVERFLOWS],
						d.d[RT_MIB_REQQ_DROP] + d.d[RT_MIB_REQQ_COOKIES]);
		return 0;
	}
	/* No baseline on this CPU: made now, as classify_syn() would. */
	if (d.fresh)
		rt_mib_init(sk_net(lsk), netns);
	return classify_syn_delta(&t, netns, lsk, dropped, queued, &d);
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
