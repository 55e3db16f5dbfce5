// SPDX-License-Identifier: GPL-2.0
/*
 * The client's side of an overloaded server: what a connecting socket sees
 * when the remote end drops its SYNs, its handshake ACKs or its first
 * request. Tracepoints only: tcp_retransmit_skb counts the retransmissions,
 * the state changes (inet_sock_set_state, a program of its own) end them.
 *
 * State is kept only for connections that are retransmitting their SYN or
 * their first data: a few per overloaded server, never one per connection.
 */
#include "common.bpf.h"
#include "client.bpf.h"

#define RT_ECONNREFUSED 111
#define RT_ECONNRESET	104
#define RT_EPIPE	32

/* A connection being watched: its SYN or its first data was retransmitted. */
struct client_watch {
	__u64 first_retrans_ns;
	__u32 syn_retries;
	__u32 data_retries;
	__u8 stalled; /* data retransmitted while nothing of it was acknowledged */
	__u8 pad[7];
};

/*
 * Keyed by socket address; every entry is deleted when its connection leaves
 * the state it was made in. A plain hash, not an LRU: an LRU may evict an
 * entry still counting before it is full. When it is full, new connections
 * go unwatched (RT_CNT_CLIENT_TABLE_FULL); the totals stay exact.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct client_watch);
} client_watch SEC(".maps");

/* Per server endpoint, for the summary: bounded; a full table stops adding rows. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct rt_endpoint_key);
	__type(value, struct rt_endpoint_stats);
} client_endpoints SEC(".maps");

/* Never written: a new row's value (too big for the stack). */
static const struct rt_endpoint_stats endpoint_empty = {};

static __always_inline struct rt_endpoint_stats *endpoint_of(__u32 netns, const struct rt_tuple *t)
{
	struct rt_endpoint_key k = {.netns = netns, .port = t->rport, .family = t->family};
	struct rt_endpoint_stats *v;

	__builtin_memcpy(k.addr, t->raddr, 16);
	v = bpf_map_lookup_elem(&client_endpoints, &k);
	if (v)
		return v;
	bpf_map_update_elem(&client_endpoints, &k, &endpoint_empty, BPF_NOEXIST);
	return bpf_map_lookup_elem(&client_endpoints, &k);
}

/* floor(log2(us)), capped at the last bucket. */
static __always_inline __u32 latency_bucket(__u64 us)
{
	__u32 b = 0;

#pragma unroll
	for (int i = 0; i < RT_LAT_BUCKETS - 1; i++)
		if (us >> (i + 1))
			b = i + 1;
	return b;
}

__hidden __noinline int rt_client_reset_seen(__u32 netns, const struct rt_tuple *t, int delta)
{
	struct rt_endpoint_stats *ep;

	if (!t)
		return 0;
	ep = endpoint_of(netns, t);
	if (ep)
		__sync_fetch_and_add(&ep->resets, (__s64)delta);
	return 0;
}

static __always_inline __u32 jiffies_ms(__u32 then)
{
	__u32 hz = kernel_hz;
	__u32 now = (__u32)bpf_jiffies64();

	if (!hz)
		return 0;
	return (__u32)((__u64)(now - then) * 1000 / hz);
}

/* Nothing but the SYN was acknowledged (bytes_acked counts the SYN as 1). */
static __always_inline bool nothing_acked(const struct tcp_sock *tp)
{
	return BPF_CORE_READ(tp, bytes_acked) <= 1;
}

/* The errno tcp_reset() is about to set, by state (the tracepoint fires first). */
static __always_inline __s32 reset_errno(__u32 state)
{
	if (state == RT_TCP_SYN_SENT)
		return RT_ECONNREFUSED;
	if (state == RT_TCP_CLOSE_WAIT)
		return RT_EPIPE;
	return RT_ECONNRESET;
}

/*
 * What the socket says about the connection: bytes each way, retransmissions,
 * time since data moved, FIN received; retries from the watch, if any.
 * Written straight into the record (emit.bpf.c).
 */
__hidden __noinline int rt_client_conn(__u64 skaddr, __u32 reset_state, __u32 outcome,
				       struct rt_conn *c)
{
	const struct sock *sk = (const void *)skaddr;
	const struct tcp_sock *tp = (const void *)skaddr;
	const struct inet_connection_sock *icsk = (const void *)skaddr;
	struct rt_sock_info *info;
	struct client_watch *w;
	__u8 st;

	if (!c)
		return 0;
	__builtin_memset(c, 0, sizeof(*c));
	if (!skaddr)
		return 0;
	c->outcome = outcome;
	info = sock_info(sk);
	if (info && info->born_ns) {
		c->start_ns = info->born_ns;
		c->flags |= RT_CF_START;
	}
	w = bpf_map_lookup_elem(&client_watch, &skaddr);
	if (w) {
		c->first_retrans_ns = w->first_retrans_ns;
		c->syn_retries = w->syn_retries;
		c->data_retries = w->data_retries;
	}
	c->bytes_sent = BPF_CORE_READ(tp, bytes_sent);
	c->bytes_acked = BPF_CORE_READ(tp, bytes_acked);
	c->bytes_received = BPF_CORE_READ(tp, bytes_received);
	c->total_retrans = BPF_CORE_READ(tp, total_retrans);
	c->srtt_us = BPF_CORE_READ(tp, srtt_us) >> 3;
	if (c->bytes_sent && kernel_hz) {
		c->last_send_ms = jiffies_ms(BPF_CORE_READ(tp, lsndtime));
		c->flags |= RT_CF_LAST_SEND;
	}
	if (c->bytes_received && kernel_hz) {
		c->last_recv_ms = jiffies_ms(BPF_CORE_READ(icsk, icsk_ack.lrcvtime));
		c->flags |= RT_CF_LAST_RECV;
	}
	/*
	 * The peer's FIN moved the socket to CLOSE_WAIT, CLOSING (or on to
	 * LAST_ACK); every caller runs before the state changes (the state-change
	 * tracepoint fires first). Not sk_shutdown: the application's own close()
	 * or shutdown(SHUT_RD) sets RCV_SHUTDOWN too, and tcp_done() always does.
	 */
	st = sk_state(sk);
	c->fin_received = st == RT_TCP_CLOSE_WAIT || st == RT_TCP_LAST_ACK || st == RT_TCP_CLOSING;
	/* close() orphaned it: tcp_reset() sets an errno no application reads. */
	if (reset_state && !BPF_CORE_READ(sk, sk_socket))
		c->flags |= RT_CF_APP_CLOSED;
	else
		c->err = reset_state ? reset_errno(reset_state) : BPF_CORE_READ(sk, sk_err);
	return 0;
}

/* The filters, before any map is written: a client netns sees only itself. */
static __always_inline bool client_wanted(const struct sock *sk, struct rt_tuple *t, __u32 *netns,
					  struct rt_sock_info **info)
{
	*netns = sk_netns(sk);
	if (filter_netns && *netns != filter_netns)
		return false;
	tuple_from_sk(sk, t);
	*info = sock_info(sk);
	return wanted(t, *netns, *info ? &(*info)->owner : NULL, NULL);
}

/*
 * The kernel counts a SYN retransmission (TCPSynRetrans) together with the
 * socket's total_retrans, before sending it (6.x): a send that then fails
 * is counted, one given up before sending (-EBUSY, no memory) is not, and
 * the tracepoint reports both with err (6.10+) or only sends that worked
 * (before). Counting up to total_retrans, here and when the connect() ends,
 * matches the kernel's counter whatever err says.
 */
static __always_inline void syn_catch_up(const struct sock *sk, struct client_watch *w,
					 struct rt_endpoint_stats *ep)
{
	const struct tcp_sock *tp = (const void *)sk;
	__u32 total = BPF_CORE_READ(tp, total_retrans), n;

	if (total <= w->syn_retries)
		return;
	n = total - w->syn_retries;
	w->syn_retries = total;
	count_n(RT_CNT_SYN_RETRANS, n);
	if (ep)
		__sync_fetch_and_add(&ep->syn_retries, n);
}

static __always_inline int handle_retransmit(const struct sock *sk, int err)
{
	const struct tcp_sock *tp = (const void *)sk;
	struct client_watch *w, fresh = {};
	struct rt_sock_info *info;
	struct rt_tuple t = {};
	__u64 skaddr = (__u64)sk;
	__u32 netns;
	__u8 state;

	state = sk_state(sk);
	if (state == RT_TCP_SYN_SENT) {
		if (!(event_mask & (RT_EVM(RT_EV_CONNECT_RETRY) | RT_EVM(RT_EV_CONNECT_FAILED))))
			return 0;
	} else if (state == RT_TCP_ESTABLISHED || state == RT_TCP_CLOSE_WAIT) {
		/* A data retransmission that was not sent is no retry of the request. */
		if (err || !(event_mask & RT_EVM(RT_EV_REQUEST_STALLED)) || !nothing_acked(tp) ||
		    !BPF_CORE_READ(tp, bytes_sent))
			return 0;
	} else {
		return 0;
	}
	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP || !client_wanted(sk, &t, &netns, &info))
		return 0;
	w = bpf_map_lookup_elem(&client_watch, &skaddr);
	if (!w) {
		fresh.first_retrans_ns = bpf_ktime_get_boot_ns();
		bpf_map_update_elem(&client_watch, &skaddr, &fresh, BPF_NOEXIST);
		w = bpf_map_lookup_elem(&client_watch, &skaddr);
		if (!w) {
			count(RT_CNT_CLIENT_TABLE_FULL);
			/* No watch to count up to total_retrans with: this one, if sent. */
			if (state == RT_TCP_SYN_SENT && !err)
				count(RT_CNT_SYN_RETRANS);
			return 0;
		}
	}
	if (state == RT_TCP_SYN_SENT) {
		syn_catch_up(sk, w, endpoint_of(netns, &t));
	} else {
		__sync_fetch_and_add(&w->data_retries, 1);
		w->stalled = 1;
	}
	return 0;
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(retransmit_btf, const struct sock *sk, const struct sk_buff *skb, int err)
{
	return handle_retransmit(sk, err);
}

SEC("raw_tp/tcp_retransmit_skb")
int BPF_PROG(retransmit_raw, const struct sock *sk, const struct sk_buff *skb, int err)
{
	return handle_retransmit(sk, err);
}

/* Before 6.13 the tracepoint has no err and fires only for retransmissions sent. */
SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(retransmit_btf_noerr, const struct sock *sk, const struct sk_buff *skb)
{
	return handle_retransmit(sk, 0);
}

SEC("raw_tp/tcp_retransmit_skb")
int BPF_PROG(retransmit_raw_noerr, const struct sock *sk, const struct sk_buff *skb)
{
	return handle_retransmit(sk, 0);
}

/*
 * One record, in a scratch slot (see ev_scratch): an ev_src on the stack of
 * rt_client_state(), with rt_emit() and rt_stream() under it, goes past the
 * 512 bytes kernels before 6.13 give a program and the functions it calls
 * (6.1 and 6.12 refused it: "combined stack size of 2 calls is 608").
 */
static __always_inline void client_emit(const struct sock *sk, __u32 netns,
					const struct rt_tuple *t, __u32 oldstate, __u32 newstate,
					__u32 type, __u8 outcome, __s32 err, __u32 cnt)
{
	struct rt_sock_info *info;
	struct ev_src *s = ev_scratch_get();

	if (!s)
		return;
	s->t = *t;
	s->sk = (__u64)sk;
	s->netns = netns;
	s->state = newstate;
	s->prev_state = oldstate;
	s->type = type;
	s->path = outcome;
	/* The errno names the event: records of one errno fold together. */
	s->reason = err;
	s->flags = RT_F_PREV_STATE | RT_F_CONN | (err ? 0 : RT_F_NO_REASON);
	info = sock_info(sk);
	ev_owner(s, info ? &info->owner : NULL);
	count(cnt);
	count_reason(type, err);
	rt_emit(s);
	ev_scratch_put();
}

/*
 * The end of a connect() or of a stall, at the socket's state change:
 * tcp_done() runs it after the kernel wrote sk_err, before the application
 * is woken, orphaned sockets included (they get no inet_sk_error_report).
 */
static __noinline int rt_client_state(__u64 skaddr, __u32 oldstate, __u32 newstate)
{
	const struct sock *sk = (const void *)skaddr;
	struct rt_sock_info *info;
	struct client_watch *w;
	struct rt_endpoint_stats *ep;
	struct rt_tuple t = {};
	__u32 netns;
	__s32 err;
	__u8 outcome;

	if (!sk)
		return 0;
	/* A connect(): one more attempt at its server (the port is not chosen yet). */
	if (newstate == RT_TCP_SYN_SENT) {
		/* In connect() itself: the current task is the owner (-p). */
		struct rt_owner me = {.tgid = bpf_get_current_pid_tgid() >> 32};

		netns = sk_netns(sk);
		if (filter_netns && netns != filter_netns)
			return 0;
		tuple_from_sk(sk, &t);
		if (!wanted(&t, netns, &me, NULL))
			return 0;
		ep = endpoint_of(netns, &t);
		if (ep)
			__sync_fetch_and_add(&ep->attempts, 1);
		/* A socket address reused: nothing of an earlier socket's watch applies. */
		bpf_map_delete_elem(&client_watch, &skaddr);
		return 0;
	}
	w = bpf_map_lookup_elem(&client_watch, &skaddr);
	/*
	 * Retransmitted SYNs none of which was seen sent (before 6.10 the
	 * tracepoint fires only for sends that worked): watched from here on.
	 */
	if (!w && oldstate == RT_TCP_SYN_SENT &&
	    BPF_CORE_READ((const struct tcp_sock *)sk, total_retrans)) {
		static const struct client_watch unseen = {};

		bpf_map_update_elem(&client_watch, &skaddr, &unseen, BPF_NOEXIST);
		w = bpf_map_lookup_elem(&client_watch, &skaddr);
	}
	/* A connection never stalled ends: nothing to say, nothing to count. */
	if (!w && oldstate != RT_TCP_SYN_SENT)
		return 0;
	if (!client_wanted(sk, &t, &netns, &info)) {
		if (w)
			bpf_map_delete_elem(&client_watch, &skaddr);
		return 0;
	}
	if (oldstate == RT_TCP_SYN_SENT) {
		ep = endpoint_of(netns, &t);
		if (ep && newstate == RT_TCP_CLOSE) {
			__sync_fetch_and_add(&ep->failed, 1);
		} else if (ep) {
			__u64 now = bpf_ktime_get_boot_ns();
			__u64 born = info ? info->born_ns : 0;

			__sync_fetch_and_add(&ep->established, 1);
			if (born && now > born) {
				__u32 b = latency_bucket((now - born) / 1000);

				if (b < RT_LAT_BUCKETS)
					__sync_fetch_and_add(&ep->latency[b], 1);
			}
		}
		/* A connect() that succeeded at once: nothing more to say. */
		if (!w && newstate != RT_TCP_CLOSE)
			return 0;
	}
	err = BPF_CORE_READ(sk, sk_err);
	if (oldstate == RT_TCP_SYN_SENT) {
		/* A last retransmission counted by the kernel and never seen sent. */
		if (w)
			syn_catch_up(sk, w, ep);
		outcome = newstate != RT_TCP_CLOSE ? RT_CO_ESTABLISHED
			  : err			   ? RT_CO_ERROR
						   : RT_CO_CLOSED;
		if (w && (event_mask & RT_EVM(RT_EV_CONNECT_RETRY)))
			client_emit(sk, netns, &t, oldstate, newstate, RT_EV_CONNECT_RETRY, outcome,
				    err, RT_CNT_CONNECT_RETRY);
		if (newstate == RT_TCP_CLOSE && (event_mask & RT_EVM(RT_EV_CONNECT_FAILED)))
			client_emit(sk, netns, &t, oldstate, newstate, RT_EV_CONNECT_FAILED,
				    outcome, err, RT_CNT_CONNECT_FAILED);
	} else if (w && w->stalled && nothing_acked((const void *)sk) &&
		   (event_mask & RT_EVM(RT_EV_REQUEST_STALLED))) {
		outcome = newstate == RT_TCP_CLOSE && err ? RT_CO_ERROR : RT_CO_CLOSED;
		client_emit(sk, netns, &t, oldstate, newstate, RT_EV_REQUEST_STALLED, outcome, err,
			    RT_CNT_REQUEST_STALLED);
		ep = endpoint_of(netns, &t);
		if (ep)
			__sync_fetch_and_add(&ep->stalled, 1);
	}
	if (w)
		bpf_map_delete_elem(&client_watch, &skaddr);
	return 0;
}

/* Transitions that may end a watched connect() or stall, or a connect() that failed. */
static __always_inline bool client_transition(int oldstate, int newstate)
{
	return oldstate == RT_TCP_SYN_SENT || newstate == RT_TCP_SYN_SENT ||
	       ((oldstate == RT_TCP_ESTABLISHED || oldstate == RT_TCP_CLOSE_WAIT) &&
		newstate != RT_TCP_ESTABLISHED);
}

/*
 * A program of its own on inet_sock_set_state, next to owner.bpf.c's: called
 * from that one, rt_client_state() and rt_emit() under it went past the 512
 * bytes of stack kernels before 6.13 give a program and all it calls (6.1
 * and 6.12 refused set_state_btf: "combined stack size of 4 calls is 608").
 * The owner's program needs nothing of this one and this one only reads the
 * socket's entry the owner's program wrote at connect(): the two run in
 * either order.
 */
static __always_inline int handle_client_state(const struct sock *sk, int oldstate, int newstate,
					       const bool direct)
{
	if (!client_transition(oldstate, newstate) ||
	    RT_READ(direct, sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	return rt_client_state((__u64)sk, oldstate, newstate);
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(client_state_btf, const struct sock *sk, int oldstate, int newstate)
{
	return handle_client_state(sk, oldstate, newstate, true);
}

SEC("raw_tp/inet_sock_set_state")
int BPF_PROG(client_state_raw, const struct sock *sk, int oldstate, int newstate)
{
	return handle_client_state(sk, oldstate, newstate, false);
}
