// SPDX-License-Identifier: GPL-2.0
/*
 * rsttrace kernel side: TCP resets sent and received, accept-queue overflows,
 * and the socket-owner and listener tables that explain them.
 *
 * Only tracepoints are used. Each hook exists as a tp_btf program and a
 * raw_tp twin (and, where the tracepoint's arity changed between kernels, one
 * per arity); the loader enables the ones that match the running kernel.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "rsttrace.h"
#include "maps.bpf.h"
#include "sock_read.bpf.h"
#include "owner.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Filters and tuning, set by the loader before load. */
const volatile __u32 filter_tgid = 0;
const volatile __u32 filter_netns = 0;
const volatile __u8 filter_family = 0;
const volatile __u32 nr_filter_ports = 0;
const volatile __u16 filter_ports[RT_MAX_PORTS] = {};
const volatile __u32 event_mask = RT_EVM_ALL;
const volatile __u64 wakeup_bytes = 64 << 10;
const volatile __u64 rate_limit = 0; /* events per second per CPU and reason, 0 = none */
/* Where consume_skb() is called for a SYN a listener took or dropped. */
const volatile __u64 rcv_state_process_start = 0;
const volatile __u64 rcv_state_process_end = 0;

/*
 * Set once the first entry goes into overflow_flows / closed_listeners: until
 * then a reset storm skips the lookups (hashing 40-byte keys twice per reset).
 */
volatile __u32 have_overflow_flows = 0;
volatile __u32 have_closed_listeners = 0;
volatile __u32 have_closed_owners = 0;

/* Overflows of one flow closer together than this are one episode. */
#define RT_EPISODE_NS (10ull * 1000000000)
/* A reset this long after an overflow of its flow is still linked to it. */
#define RT_LINK_WINDOW_NS (120ull * 1000000000)

static __always_inline bool port_wanted(const struct rt_tuple *t)
{
	if (!nr_filter_ports)
		return true;
#pragma unroll
	for (__u32 i = 0; i < RT_MAX_PORTS; i++) {
		if (i >= nr_filter_ports)
			break;
		if (filter_ports[i] == t->lport || filter_ports[i] == t->rport)
			return true;
	}
	return false;
}

static __always_inline bool wanted(const struct rt_tuple *t, __u32 netns,
				   const struct rt_sock_info *info,
				   const struct rt_sock_info *linfo)
{
	if (filter_netns && netns != filter_netns)
		return false;
	if (filter_family && t->family != filter_family)
		return false;
	if (!port_wanted(t))
		return false;
	if (filter_tgid) {
		if (info && info->owner.tgid == filter_tgid)
			return true;
		if (linfo && linfo->owner.tgid == filter_tgid)
			return true;
		return false;
	}
	return true;
}

/* Wake the reader only once a batch is worth it; it also polls on a timer. */
static __always_inline void submit(struct rt_event *e)
{
	__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);

	bpf_ringbuf_submit(e, avail >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
}

/* True when this event is over --rate-limit: counted, but not sent. */
static __always_inline bool rate_limited(__u32 type, __u32 reason)
{
	__u32 idx = type * RT_MAX_REASONS + (reason < RT_MAX_REASONS ? reason : RT_MAX_REASONS - 1);
	struct rate_window *w;
	__u64 now;

	if (!rate_limit)
		return false;
	w = bpf_map_lookup_elem(&rate_windows, &idx);
	if (!w)
		return false;
	now = bpf_ktime_get_boot_ns();
	if (now - w->start_ns >= 1000000000ull) {
		w->start_ns = now;
		w->count = 0;
	}
	if (w->count >= rate_limit) {
		count(RT_CNT_RATE_LIMITED);
		return true;
	}
	w->count++;
	return false;
}

static __always_inline struct rt_event *reserve(__u32 type)
{
	struct rt_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		count(RT_CNT_LOST);
		return NULL;
	}
	/* Reserved memory is not zeroed and the struct goes out whole. */
	__builtin_memset(e, 0, sizeof(*e));
	e->type = type;
	e->ts_ns = bpf_ktime_get_boot_ns();
	return e;
}

static __always_inline void fill_tuple(struct rt_event *e, const struct rt_tuple *t)
{
	__builtin_memcpy(e->laddr, t->laddr, 16);
	__builtin_memcpy(e->raddr, t->raddr, 16);
	e->lport = t->lport;
	e->rport = t->rport;
	e->family = t->family;
}

static __always_inline void fill_listener(struct rt_event *e, const struct sock *lsk,
					  const struct rt_sock_info *linfo)
{
	if (!lsk)
		return;
	read_listener(lsk, &e->listener);
	e->flags |= RT_F_LISTENER;
	if (e->listener.accept_qlen > e->listener.accept_qmax)
		e->flags |= RT_F_ACCEPTQ_FULL;
	if (linfo) {
		e->listener.owner = linfo->owner;
		e->listener.flags |= RT_LF_OWNER;
	}
}

static __always_inline void fill_context(struct rt_event *e)
{
	__u64 id = bpf_get_current_pid_tgid();

	e->ctx_tgid = id >> 32;
	e->ctx_pid = (__u32)id;
	bpf_get_current_comm(e->ctx_comm, sizeof(e->ctx_comm));
}

/*
 * The kernel runs tcp_reset() on its own socket right before it sends an
 * ABORT_ON_DATA reset, in the same softirq on the same CPU: that "received"
 * reset is taken back from the totals here, and userspace drops its event.
 */
static __always_inline bool take_back_local_abort(const struct sock *sk, __u32 reason)
{
	struct last_reset *last;
	__u32 zero = 0;

	if (!bpf_core_enum_value_exists(enum sk_rst_reason, SK_RST_REASON_TCP_ABORT_ON_DATA))
		return false;
	if (reason != bpf_core_enum_value(enum sk_rst_reason, SK_RST_REASON_TCP_ABORT_ON_DATA))
		return false;
	last = bpf_map_lookup_elem(&last_reset_sk, &zero);
	if (!last || last->sk != (__u64)sk)
		return false;
	if (last->counted) {
		uncount(RT_CNT_RST_RECEIVED);
		add_reason(RT_EV_RST_RECEIVED, last->state, -1);
		last->counted = 0;
	}
	return true;
}

static __always_inline void flow_key(struct rt_flow_key *k, const struct rt_tuple *t, bool reverse)
{
	if (reverse) {
		__builtin_memcpy(k->laddr, t->raddr, 16);
		__builtin_memcpy(k->raddr, t->laddr, 16);
		k->lport = t->rport;
		k->rport = t->lport;
	} else {
		__builtin_memcpy(k->laddr, t->laddr, 16);
		__builtin_memcpy(k->raddr, t->raddr, 16);
		k->lport = t->lport;
		k->rport = t->rport;
	}
	k->family = t->family;
}

/* The overflow this reset follows, seen from either end of the connection. */
static __always_inline void fill_link(struct rt_event *e, const struct rt_tuple *t)
{
	struct rt_flow_key k = {};
	struct rt_link *link;

	if (!have_overflow_flows)
		return;
	flow_key(&k, t, false);
	link = bpf_map_lookup_elem(&overflow_flows, &k);
	if (!link) {
		flow_key(&k, t, true);
		link = bpf_map_lookup_elem(&overflow_flows, &k);
	}
	if (!link || e->ts_ns - link->last_ns > RT_LINK_WINDOW_NS)
		return;
	e->link = *link;
	e->flags |= RT_F_LINKED;
}

static __always_inline void fill_closed_listener(struct rt_event *e, __u32 netns, __u16 port)
{
	struct rt_listener_key key = {.netns = netns, .port = port};
	struct rt_closed *c;

	if (!have_closed_listeners)
		return;
	c = bpf_map_lookup_elem(&closed_listeners, &key);
	if (!c)
		return;
	e->closed = *c;
	e->flags |= RT_F_CLOSED_LISTENER;
}

static __always_inline void fill_closed_owner(struct rt_event *e, const struct rt_tuple *t,
					      __u32 netns)
{
	struct rt_conn_key key = {.netns = netns};
	struct rt_owner *o;

	flow_key(&key.flow, t, false);
	o = bpf_map_lookup_elem(&closed_owners, &key);
	if (!o)
		return;
	e->owner = *o;
	e->flags |= RT_F_OWNER | RT_F_OWNER_CLOSED;
}

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

static __always_inline int handle_receive_reset(const struct sock *sk, const bool direct)
{
	struct rt_sock_info *info;
	struct last_reset *last;
	struct rt_tuple t = {};
	struct rt_event *e;
	__u8 state = sk_state_x(sk, direct);
	__u32 zero = 0;
	__u32 netns;

	last = bpf_map_lookup_elem(&last_reset_sk, &zero);
	if (!last)
		return 0;
	last->sk = (__u64)sk;
	last->state = state;
	last->counted = 0;
	if (!(event_mask & RT_EVM(RT_EV_RST_RECEIVED)))
		return 0;

	netns = sk_netns_x(sk, direct);
	tuple_from_sk_x(sk, &t, direct);
	info = sock_info(sk);
	if (!wanted(&t, netns, info, NULL))
		return 0;
	count(RT_CNT_RST_RECEIVED);
	count_reason(RT_EV_RST_RECEIVED, state);
	last->counted = 1;

	if (rate_limited(RT_EV_RST_RECEIVED, state))
		return 0;
	e = reserve(RT_EV_RST_RECEIVED);
	if (!e)
		return 0;
	e->sk = (__u64)sk;
	e->netns = netns;
	e->state = state;
	e->flags = RT_F_NO_REASON;
	fill_tuple(e, &t);
	if (info) {
		e->owner = info->owner;
		e->flags |= RT_F_OWNER;
		if (info->state_ts) {
			e->state_age_ns = e->ts_ns - info->state_ts;
			e->flags |= RT_F_STATE_AGE;
		}
	}
	fill_link(e, &t);
	submit(e);
	return 0;
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(receive_reset_btf, const struct sock *sk)
{
	return handle_receive_reset(sk, true);
}

SEC("raw_tp/tcp_receive_reset")
int BPF_PROG(receive_reset_raw, const struct sock *sk)
{
	return handle_receive_reset(sk, false);
}

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

static __always_inline void track_listen(const struct sock *sk)
{
	struct rt_listener_key key = {.netns = sk_netns(sk)};
	struct rt_sock_info info = {};
	__u64 skaddr = (__u64)sk;

	key.port = BPF_CORE_READ(sk, __sk_common.skc_num);
	owner_from_current(&info.owner, RT_OWN_LISTEN);
	info.state_ts = bpf_ktime_get_boot_ns();
	info.is_listener = 1;
	info.last_oldstate = RT_TCP_CLOSE;
	sock_info_put(sk, &info);
	bpf_map_update_elem(&listeners, &key, &skaddr, BPF_ANY);
}

/* A child created by the kernel on a listener inherits the listener's owner. */
static __always_inline void track_child(const struct sock *sk)
{
	__u32 netns = sk_netns(sk);
	__u16 port = BPF_CORE_READ(sk, __sk_common.skc_num);
	const struct sock *lsk = listener_by_port(netns, port);
	struct rt_sock_info *linfo, info = {};

	if (!lsk)
		return;
	linfo = sock_info(lsk);
	if (!linfo)
		return;
	info.owner = linfo->owner;
	info.owner.source = RT_OWN_LISTENER;
	info.state_ts = bpf_ktime_get_boot_ns();
	info.last_oldstate = RT_TCP_LISTEN;
	sock_info_put(sk, &info);
}

static __always_inline void forget_listener(const struct sock *sk)
{
	struct rt_listener_key key = {.netns = sk_netns(sk)};
	__u64 *val;

	key.port = BPF_CORE_READ(sk, __sk_common.skc_num);
	val = bpf_map_lookup_elem(&listeners, &key);
	if (val && *val == (__u64)sk)
		bpf_map_delete_elem(&listeners, &key);
}

/* Remembered so that resets on the port during a restart can name it. */
static __always_inline void listener_closed(const struct sock *sk, const struct rt_sock_info *info)
{
	struct rt_listener_key key = {.netns = sk_netns(sk)};
	struct rt_closed c = {};
	struct rt_tuple t = {};

	tuple_from_sk(sk, &t);
	key.port = t.lport;
	c.closed_ns = bpf_ktime_get_boot_ns();
	__builtin_memcpy(c.addr, t.laddr, 16);
	c.port = t.lport;
	c.family = t.family;
	if (info) {
		c.owner_tgid = info->owner.tgid;
		__builtin_memcpy(c.owner_comm, info->owner.comm, RT_COMM_LEN);
	}
	bpf_map_update_elem(&closed_listeners, &key, &c, BPF_ANY);
	have_closed_listeners = 1;
	forget_listener(sk);
}

static __always_inline int handle_set_state(const struct sock *sk, int oldstate, int newstate,
					    const bool direct)
{
	struct rt_sock_info *info, fresh = {};

	if (RT_READ(direct, sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	if (newstate == RT_TCP_LISTEN) {
		track_listen(sk);
		return 0;
	}
	if (newstate == RT_TCP_SYN_SENT) {
		owner_from_current(&fresh.owner, RT_OWN_CONNECT);
		fresh.state_ts = bpf_ktime_get_boot_ns();
		fresh.last_oldstate = oldstate;
		sock_info_put(sk, &fresh);
		return 0;
	}
	if (newstate == RT_TCP_SYN_RECV && oldstate == RT_TCP_LISTEN) {
		track_child(sk);
		return 0;
	}
	info = sock_info(sk);
	if (oldstate == RT_TCP_LISTEN)
		listener_closed(sk, info);
	if (info) {
		info->last_oldstate = oldstate;
		info->state_ts = bpf_ktime_get_boot_ns();
	}
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(set_state_btf, const struct sock *sk, int oldstate, int newstate)
{
	return handle_set_state(sk, oldstate, newstate, true);
}

SEC("raw_tp/inet_sock_set_state")
int BPF_PROG(set_state_raw, const struct sock *sk, int oldstate, int newstate)
{
	return handle_set_state(sk, oldstate, newstate, false);
}

static __always_inline int handle_destroy_sock(const struct sock *sk)
{
	__u64 skaddr = (__u64)sk;
	struct rt_sock_info *info = sock_info(sk);
	struct rt_conn_key key = {};
	struct rt_tuple t = {};

	if (!info)
		return 0;
	if (info->is_listener) {
		forget_listener(sk);
	} else if (info->last_oldstate == RT_TCP_FIN_WAIT1 ||
		   info->last_oldstate == RT_TCP_FIN_WAIT2 ||
		   info->last_oldstate == RT_TCP_CLOSING) {
		/* Only these leave a TIME_WAIT socket behind that may send a reset. */
		tuple_from_sk(sk, &t);
		flow_key(&key.flow, &t, false);
		key.netns = sk_netns(sk);
		bpf_map_update_elem(&closed_owners, &key, &info->owner, BPF_ANY);
		have_closed_owners = 1;
	}
	if (bpf_map_delete_elem(&socks, &skaddr) == 0)
		count(RT_CNT_SOCKS_REMOVED);
	return 0;
}

SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(destroy_sock_btf, const struct sock *sk)
{
	return handle_destroy_sock(sk);
}

SEC("raw_tp/tcp_destroy_sock")
int BPF_PROG(destroy_sock_raw, const struct sock *sk)
{
	return handle_destroy_sock(sk);
}

#define RT_S_IFMT   00170000
#define RT_S_IFSOCK 0140000

static __always_inline bool file_is_socket(const struct file *f)
{
	return (BPF_CORE_READ(f, f_inode, i_mode) & RT_S_IFMT) == RT_S_IFSOCK;
}

static __always_inline const struct sock *tcp_sock_of_file(const struct file *f)
{
	const struct socket *sock;
	const struct sock *sk;
	__u16 family;

	if (!f || !file_is_socket(f))
		return NULL;
	sock = BPF_CORE_READ(f, private_data);
	sk = BPF_CORE_READ(sock, sk);
	if (!sk || BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return NULL;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != RT_AF_INET && family != RT_AF_INET6)
		return NULL;
	return sk;
}

/* The accepting process is the real owner of an accepted connection. */
static __always_inline int handle_accept_exit(long fd)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct rt_sock_info *info, fresh = {};
	const struct sock *sk;
	struct file **fds;
	struct file *f;

	if (fd < 0 || fd >= BPF_CORE_READ(task, files, fdt, max_fds))
		return 0;
	fds = BPF_CORE_READ(task, files, fdt, fd);
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]))
		return 0;
	sk = tcp_sock_of_file(f);
	if (!sk)
		return 0;
	info = sock_info(sk);
	if (info) {
		owner_from_current(&info->owner, RT_OWN_ACCEPT);
		return 0;
	}
	owner_from_current(&fresh.owner, RT_OWN_ACCEPT);
	fresh.last_oldstate = RT_TCP_SYN_RECV;
	sock_info_put(sk, &fresh);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int accept4_exit(struct trace_event_raw_sys_exit *ctx)
{
	return handle_accept_exit(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_accept")
int accept_exit(struct trace_event_raw_sys_exit *ctx)
{
	return handle_accept_exit(ctx->ret);
}

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
		struct rt_listener_key key = {.netns = rec.netns, .port = rec.lport};

		bpf_map_update_elem(&listeners, &key, &skaddr, BPF_NOEXIST);
	}
	bpf_seq_write(seq, &rec, sizeof(rec));
	return 0;
}
