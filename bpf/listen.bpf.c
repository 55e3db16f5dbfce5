// SPDX-License-Identifier: GPL-2.0
/*
 * Which limit binds a listener, and what its bursts needed.
 *
 * The limit is fixed by listen(): __sys_listen_socket() reads the socket's
 * netns's somaxconn and passes min(backlog, somaxconn) to inet_listen(),
 * which stores it in sk_max_ack_backlog. The backlog argument is seen only
 * here, at the system call; a listener older than rsttrace keeps it unknown.
 *
 * A burst counts connections, not drops: every retransmitted SYN or
 * handshake ACK that meets the full queue is one more ListenOverflow, but
 * the same connection. The overflow code tells a connection's first
 * overflow (a new episode, bpf/overflow.bpf.c); it stays "pending" until
 * its handshake enters the accept queue (bpf/owner.bpf.c). Queue depth plus
 * pending is how many connections waited or were dropped at once.
 */
#include "common.bpf.h"
#include "file.bpf.h"
#include "link.bpf.h"
#include "listen.bpf.h"

/* listen() between entry and return, by thread. */
struct listen_args {
	__u64 sk;
	__s32 backlog;
	__u32 somaxconn;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, struct listen_args);
} listen_inflight SEC(".maps");

/*
 * Connections the listener's queues dropped, by flow (listener side local):
 * when each was first and last dropped. One map for both queues: a
 * connection whose handshake ACK met a full accept queue leaves its request
 * in the SYN queue, which then fills and drops SYNs too; each connection
 * counts once, whichever queue dropped it, and stays pending until queued.
 */
struct conn_drop {
	__u64 first_ns;
	__u64 last_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct rt_flow_key);
	__type(value, struct conn_drop);
} burst_flows SEC(".maps");

static __always_inline struct rt_listener_limits *limits_get(__u64 sk)
{
	struct rt_listener_limits *lim = bpf_map_lookup_elem(&listener_limits, &sk);
	struct rt_listener_limits fresh = {};

	if (lim)
		return lim;
	/* A listener older than rsttrace, or one the LRU pushed out: call unknown. */
	bpf_map_update_elem(&listener_limits, &sk, &fresh, BPF_NOEXIST);
	return bpf_map_lookup_elem(&listener_limits, &sk);
}

__hidden __noinline int rt_limits_listen_start(__u64 sk)
{
	struct rt_listener_limits fresh = {};

	/* The address may have held an older listener: its figures are not this one's. */
	bpf_map_update_elem(&listener_limits, &sk, &fresh, BPF_ANY);
	bpf_map_delete_elem(&accept_waits, &sk);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_listen")
int listen_enter(struct trace_event_raw_sys_enter *ctx)
{
	const struct sock *sk = tcp_sock_of_fd((long)ctx->args[0]);
	__u64 id = bpf_get_current_pid_tgid();
	struct listen_args a = {};

	if (!sk)
		return 0;
	a.sk = (__u64)sk;
	a.backlog = (__s32)ctx->args[1];
	/* What __sys_listen_socket() compares the backlog with, a moment later. */
	a.somaxconn = BPF_CORE_READ(sk, __sk_common.skc_net.net, core.sysctl_somaxconn);
	bpf_map_update_elem(&listen_inflight, &id, &a, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_listen")
int listen_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct listen_args *a = bpf_map_lookup_elem(&listen_inflight, &id);
	struct rt_listener_limits *lim;
	const struct sock *sk;

	if (!a)
		return 0;
	sk = (const struct sock *)a->sk;
	if (ctx->ret == 0 && (lim = limits_get(a->sk))) {
		/* A second listen() on a listener changes its limit and keeps its bursts. */
		lim->call.ts_ns = bpf_ktime_get_boot_ns();
		lim->call.backlog = a->backlog;
		lim->call.somaxconn = a->somaxconn;
		lim->call.limit = BPF_CORE_READ(sk, sk_max_ack_backlog);
		lim->call.tgid = id >> 32;
	}
	bpf_map_delete_elem(&listen_inflight, &id);
	return 0;
}

static __always_inline bool burst_active(const struct rt_burst *b, __u64 now)
{
	return b->start_ns && (now <= b->last_ns || now - b->last_ns < RT_BURST_GAP_NS);
}

/* A new connection: the arrival rate is taken over the time they kept coming. */
static __always_inline void arrival(struct rt_burst *b, __u64 now)
{
	__sync_fetch_and_add(&b->arrived, 1);
	if (now > b->arrive_ns)
		b->arrive_ns = now;
	b->arrive_accepted = b->accepted;
}

/* The summary reports the burst with the highest peak, kept current while it lasts. */
static __always_inline void keep_worst(struct rt_listener_limits *lim)
{
	if (lim->worst.start_ns == lim->cur.start_ns || lim->cur.peak > lim->worst.peak)
		lim->worst = lim->cur;
}

/* A drop of connection (new_conn: its first) at the listener; updates the burst. */
static __always_inline int burst_drop(__u64 lsk, bool new_conn, __u64 now)
{
	const struct sock *sk = (const struct sock *)lsk;
	struct rt_listener_limits *lim = limits_get(lsk);
	struct rt_burst *b;
	__u32 depth, nr;

	if (!lim)
		return 0;
	b = &lim->cur;
	if (!burst_active(b, now)) {
		nr = b->nr + 1;
		__builtin_memset(b, 0, sizeof(*b));
		b->start_ns = now;
		b->arrive_ns = now;
		b->nr = nr;
	}
	if (now > b->last_ns)
		b->last_ns = now;
	if (now > b->end_ns)
		b->end_ns = now;
	if (new_conn) {
		__sync_fetch_and_add(&b->overflowed, 1);
		__sync_fetch_and_add(&b->pending, 1);
		arrival(b, now);
	}
	b->limit = BPF_CORE_READ(sk, sk_max_ack_backlog);
	b->somaxconn = BPF_CORE_READ(sk, __sk_common.skc_net.net, core.sysctl_somaxconn);
	depth = BPF_CORE_READ(sk, sk_ack_backlog) + b->pending;
	if (depth > b->peak)
		b->peak = depth;
	keep_worst(lim);
	have_bursts = 1;
	return 0;
}

__hidden __noinline int rt_burst_drop(__u64 lsk, const struct rt_tuple *t)
{
	__u64 now = bpf_ktime_get_boot_ns();
	struct conn_drop *seen, fresh = {.first_ns = now, .last_ns = now};
	struct rt_flow_key k = {};

	flow_key(&k, t, false);
	seen = bpf_map_lookup_elem(&burst_flows, &k);
	/* Its retransmitted SYN or ACK, dropped again: the same connection. */
	if (seen && (seen->last_ns > now || now - seen->last_ns < RT_EPISODE_NS)) {
		seen->last_ns = now;
		return burst_drop(lsk, false, now);
	}
	bpf_map_update_elem(&burst_flows, &k, &fresh, BPF_ANY);
	return burst_drop(lsk, true, now);
}

/* When a queued connection was first dropped, 0 if it never was; forgets it. */
static __always_inline __u64 retire_drop(const struct rt_tuple *t)
{
	struct rt_flow_key k = {};
	struct conn_drop *seen;
	__u64 ts;

	flow_key(&k, t, false);
	seen = bpf_map_lookup_elem(&burst_flows, &k);
	if (!seen)
		return 0;
	ts = seen->first_ns;
	bpf_map_delete_elem(&burst_flows, &k);
	return ts;
}

__hidden __noinline int rt_burst_queued(__u64 lsk, const struct rt_tuple *t)
{
	struct rt_listener_limits *lim = bpf_map_lookup_elem(&listener_limits, &lsk);
	__u64 now = bpf_ktime_get_boot_ns(), dropped_ts;
	struct rt_burst *b;

	/* Healthy traffic stops here: a drop older than the burst is a fresh arrival anyway. */
	if (!lim || !burst_active(&lim->cur, now))
		return 0;
	dropped_ts = retire_drop(t);
	b = &lim->cur;
	__sync_fetch_and_add(&b->queued, 1);
	/* Dropped in this burst and waiting in the queue now: counted once, there. */
	if (dropped_ts && dropped_ts >= b->start_ns) {
		if (b->pending)
			__sync_fetch_and_sub(&b->pending, 1);
	} else {
		arrival(b, now);
	}
	if (now > b->end_ns)
		b->end_ns = now;
	keep_worst(lim);
	return 0;
}

__hidden __noinline int rt_burst_accepted(__u64 lsk)
{
	struct rt_listener_limits *lim = bpf_map_lookup_elem(&listener_limits, &lsk);
	__u64 now = bpf_ktime_get_boot_ns();

	if (!lim || !burst_active(&lim->cur, now))
		return 0;
	__sync_fetch_and_add(&lim->cur.accepted, 1);
	if (now > lim->cur.end_ns)
		lim->cur.end_ns = now;
	keep_worst(lim);
	return 0;
}

/*
 * accept() returned a connection of listener lsk whose handshake completed
 * at queued_ns (0: not known). One lookup and a few atomic adds on the
 * listener's row: the whole cost on healthy traffic.
 */
__hidden __noinline int rt_accept_wait(__u64 lsk, __u64 queued_ns)
{
	struct rt_accept_wait *w = bpf_map_lookup_elem(&accept_waits, &lsk);
	__u64 now = bpf_ktime_get_boot_ns(), d, idx;
	__u32 zero = 0, b;

	if (!w) {
		const struct rt_accept_wait *z = bpf_map_lookup_elem(&accept_wait_zero, &zero);

		if (!z)
			return 0;
		bpf_map_update_elem(&accept_waits, &lsk, z, BPF_NOEXIST);
		w = bpf_map_lookup_elem(&accept_waits, &lsk);
		if (!w)
			return 0;
	}
	if (!w->first_ns)
		w->first_ns = now;
	if (now > w->last_ns)
		w->last_ns = now;
	if (!queued_ns || queued_ns > now) {
		__sync_fetch_and_add(&w->unknown, 1);
		return 0;
	}
	d = now - queued_ns;
	b = rt_wait_bucket(d);
	/* accepted is the buckets' sum, taken by userspace: one atomic less here. */
	/*
	 * A 64-bit index, checked and used in one register: 6.1's verifier
	 * loses the bound of a 32-bit copy widened after the check.
	 */
	idx = b;
	barrier_var(idx);
	if (idx < RT_WAIT_BUCKETS) {
		barrier_var(idx);
		__sync_fetch_and_add(&w->buckets[idx], 1);
	}
	__sync_fetch_and_add(&w->sum_ns, d);
	if (d > w->max_ns)
		w->max_ns = d;
	return 0;
}
