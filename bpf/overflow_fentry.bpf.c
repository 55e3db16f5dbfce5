// SPDX-License-Identifier: GPL-2.0
/*
 * Listener queue overflows where the kernel has fentry or kprobes (6.1,
 * 6.12 and other distribution kernels): the SYN path at tcp_conn_request(),
 * the handshake/cookie ACK path at tcp_v{4,6}_syn_recv_sock() returning
 * NULL. The tracepoint-only path is in overflow.bpf.c; hook choice in
 * user/hooks.c.
 */
#include "overflow.bpf.h"

/*
 * Where the kernel has fentry (6.1, 6.12), the SYN path is read where it
 * happens: tcp_conn_request() checks the SYN queue, then the accept queue,
 * at its start; whether it dropped the SYN shows in the listener's drop
 * counter at its return, on the same CPU a few microseconds later. This
 * replaces the hook on every freed packet.
 */
struct syn_entry {
	__u32 drops;
	__u32 synq;
	__u32 acceptq;
	__u32 qmax;
	__u8 cookies;
	__u8 pad[7];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct syn_entry);
} syn_inflight SEC(".maps");

SEC("fentry/tcp_conn_request")
int BPF_PROG(conn_request_fentry, void *rsk_ops, void *af_ops, struct sock *sk, struct sk_buff *skb)
{
	const struct inet_connection_sock *icsk = (const void *)sk;
	struct syn_entry e = {};
	__u64 key = (__u64)skb;

	e.drops = BPF_CORE_READ(sk, sk_drops.counter);
	e.synq = BPF_CORE_READ(icsk, icsk_accept_queue.qlen.counter);
	e.acceptq = BPF_CORE_READ(sk, sk_ack_backlog);
	e.qmax = BPF_CORE_READ(sk, sk_max_ack_backlog);
	e.cookies = sk_syncookies(sk);
	bpf_map_update_elem(&syn_inflight, &key, &e, BPF_ANY);
	return 0;
}

SEC("fexit/tcp_conn_request")
int BPF_PROG(conn_request_fexit, void *rsk_ops, void *af_ops, struct sock *sk, struct sk_buff *skb)
{
	__u64 key = (__u64)skb;
	struct syn_entry *e = bpf_map_lookup_elem(&syn_inflight, &key);
	struct rt_tuple t = {};
	bool dropped, synq_full, acceptq_full;
	__u32 netns;
	__u8 cookies;

	if (!e)
		return 0;
	dropped = (__s32)(BPF_CORE_READ(sk, sk_drops.counter) - e->drops) > 0;
	synq_full = e->synq > e->qmax;
	acceptq_full = e->acceptq > e->qmax;
	cookies = e->cookies;
	bpf_map_delete_elem(&syn_inflight, &key);
	if (!tuple_from_skb(skb, &t))
		return 0;
	netns = sk_netns(sk);
	/* The kernel's counters decide; the entry snapshot is the fallback. */
	(void)synq_full;
	(void)acceptq_full;
	(void)cookies;
	return classify_syn(&t, netns, sk, dropped, !dropped);
}

/*
 * Before 6.15 a handshake ACK that finds the accept queue full has no drop
 * reason: tcp_v{4,6}_syn_recv_sock() return NULL at once after the check.
 * req_unhash is NULL only on the syncookie path (tcp_get_cookie_sock()).
 */
static __always_inline int syn_recv_done(const struct sock *lsk, const struct sk_buff *skb,
					 const void *req_unhash, __u64 child)
{
	struct rt_tuple t = {};
	__u32 zero = 0;
	__u64 *last;
	bool full;

	if (child || !lsk)
		return 0;
	/* The abort_on_overflow reset that follows answers this skb. */
	last = bpf_map_lookup_elem(&overflow_skb, &zero);
	if (last)
		*last = (__u64)skb;
	/*
	 * NULL is also an allocation failure: the counter tells. Without a
	 * baseline, a queue still full (accept() may have drained it since).
	 */
	full = BPF_CORE_READ(lsk, sk_ack_backlog) > BPF_CORE_READ(lsk, sk_max_ack_backlog);
	if (!tuple_from_skb(skb, &t))
		return 0;
	syn_seen_skip(lsk, req_unhash ? 2 : 1);
	return report_ack_overflow(&t, sk_netns(lsk), lsk,
				   req_unhash ? RT_PATH_ACK : RT_PATH_COOKIE, 0, RT_F_NO_REASON,
				   full);
}

/* The arguments by position: the function gained a 7th after 6.1. */
static __always_inline int syn_recv_fexit(__u64 *ctx, bool v6)
{
	__u64 sk = 0, skb = 0, req_unhash = 0, ret = 0;

	bpf_get_func_arg(ctx, 0, &sk);
	bpf_get_func_arg(ctx, 1, &skb);
	bpf_get_func_arg(ctx, 4, &req_unhash);
	bpf_get_func_ret(ctx, &ret);
	/* A v4 packet on a dual-stack listener goes on to the v4 function. */
	if (v6 && bpf_ntohs(BPF_CORE_READ((struct sk_buff *)skb, protocol)) == RT_ETH_P_IP)
		return 0;
	return syn_recv_done((const void *)sk, (const void *)skb, (const void *)req_unhash, ret);
}

SEC("fexit/tcp_v4_syn_recv_sock")
int syn_recv_v4_fexit(__u64 *ctx)
{
	return syn_recv_fexit(ctx, false);
}

SEC("fexit/tcp_v6_syn_recv_sock")
int syn_recv_v6_fexit(__u64 *ctx)
{
	return syn_recv_fexit(ctx, true);
}

/*
 * 6.1 refuses fexit on these six-argument functions: a kprobe keeps the
 * arguments for the kretprobe, per CPU, as a stack (calls can nest when
 * an interrupt's softirq runs inside one in process context).
 */
struct syn_recv_args {
	__u64 sk, skb, req_unhash;
};

struct syn_recv_stack {
	struct syn_recv_args slot[2];
	__u32 depth;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct syn_recv_stack);
} syn_recv_stack SEC(".maps");

static __always_inline int syn_recv_entry(__u64 sk, __u64 skb, __u64 req_unhash, bool v6)
{
	__u32 zero = 0;
	struct syn_recv_stack *st = bpf_map_lookup_elem(&syn_recv_stack, &zero);
	__u32 d;

	if (!st)
		return 0;
	d = st->depth;
	if (d < 2) {
		st->slot[d & 1].sk = sk;
		st->slot[d & 1].skb = skb;
		st->slot[d & 1].req_unhash = req_unhash;
	}
	/* The v6 function passes v4 packets on: the v4 probes report those. */
	if (v6 && bpf_ntohs(BPF_CORE_READ((struct sk_buff *)skb, protocol)) == RT_ETH_P_IP)
		st->slot[d & 1].sk = 0;
	st->depth = d + 1;
	return 0;
}

static __always_inline int syn_recv_return(__u64 ret)
{
	__u32 zero = 0;
	struct syn_recv_stack *st = bpf_map_lookup_elem(&syn_recv_stack, &zero);
	struct syn_recv_args a;
	__u32 d;

	if (!st || !st->depth)
		return 0;
	d = --st->depth;
	if (d >= 2)
		return 0;
	a = st->slot[d & 1];
	if (!a.sk)
		return 0;
	return syn_recv_done((const void *)a.sk, (const void *)a.skb, (const void *)a.req_unhash,
			     ret);
}

SEC("kprobe/tcp_v4_syn_recv_sock")
int BPF_KPROBE(syn_recv_v4_kprobe, void *sk, void *skb, void *req, void *dst, void *req_unhash)
{
	return syn_recv_entry((__u64)sk, (__u64)skb, (__u64)req_unhash, false);
}

SEC("kretprobe/tcp_v4_syn_recv_sock")
int BPF_KRETPROBE(syn_recv_v4_kretprobe, void *ret)
{
	return syn_recv_return((__u64)ret);
}

SEC("kprobe/tcp_v6_syn_recv_sock")
int BPF_KPROBE(syn_recv_v6_kprobe, void *sk, void *skb, void *req, void *dst, void *req_unhash)
{
	return syn_recv_entry((__u64)sk, (__u64)skb, (__u64)req_unhash, true);
}

SEC("kretprobe/tcp_v6_syn_recv_sock")
int BPF_KRETPROBE(syn_recv_v6_kretprobe, void *ret)
{
	return syn_recv_return((__u64)ret);
}
