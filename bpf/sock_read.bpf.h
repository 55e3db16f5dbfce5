/* SPDX-License-Identifier: GPL-2.0 */
/*
 * CO-RE readers for sockets and packets. Everything goes through
 * BPF_CORE_READ so the same code serves tp_btf, raw_tp and iterator programs.
 */
#ifndef RSTTRACE_SOCK_READ_BPF_H
#define RSTTRACE_SOCK_READ_BPF_H

#define RT_AF_INET    2
#define RT_AF_INET6   10
#define RT_ETH_P_IP   0x0800
#define RT_ETH_P_IPV6 0x86DD

#define RT_TCP_ESTABLISHED  1
#define RT_TCP_SYN_SENT	    2
#define RT_TCP_SYN_RECV	    3
#define RT_TCP_FIN_WAIT1    4
#define RT_TCP_FIN_WAIT2    5
#define RT_TCP_TIME_WAIT    6
#define RT_TCP_CLOSE	    7
#define RT_TCP_CLOSE_WAIT   8
#define RT_TCP_LAST_ACK	    9
#define RT_TCP_LISTEN	    10
#define RT_TCP_CLOSING	    11
#define RT_TCP_NEW_SYN_RECV 12

/*
 * tp_btf programs get BTF-typed pointers that can be read with plain loads;
 * raw_tp programs and pointers taken from maps need a probe read per field.
 * 'direct' is a literal at every call site, so after inlining only one of the
 * two is compiled into each program: the hot paths run without helper calls.
 */
#define RT_READ(direct, ptr, field)	 ((direct) ? (ptr)->field : BPF_CORE_READ(ptr, field))
#define RT_READ_PTR(direct, ptr, f1, f2) ((direct) ? (ptr)->f1->f2 : BPF_CORE_READ(ptr, f1, f2))
#define RT_READ_INTO(direct, dst, ptr, field)                                                      \
	do {                                                                                       \
		if (direct)                                                                        \
			__builtin_memcpy(dst, &(ptr)->field, sizeof(*(dst)));                      \
		else                                                                               \
			BPF_CORE_READ_INTO(dst, ptr, field);                                       \
	} while (0)

static __always_inline __u32 sk_netns_x(const struct sock *sk, const bool direct)
{
	return RT_READ_PTR(direct, sk, __sk_common.skc_net.net, ns.inum);
}

static __always_inline __u8 sk_state_x(const struct sock *sk, const bool direct)
{
	return RT_READ(direct, sk, __sk_common.skc_state);
}

static __always_inline __u32 sk_netns(const struct sock *sk)
{
	return sk_netns_x(sk, false);
}

static __always_inline __u8 sk_state(const struct sock *sk)
{
	return sk_state_x(sk, false);
}

static __always_inline bool is_v4mapped(const __u8 *a)
{
	const __u32 *w = (const __u32 *)a;

	return w[0] == 0 && w[1] == 0 && w[2] == bpf_htonl(0x0000ffff);
}

/* Fold an IPv4-mapped IPv6 address to plain IPv4 in place. */
static __always_inline void fold_v4mapped(__u8 *a)
{
	__u32 *w = (__u32 *)a;

	w[0] = w[3];
	w[1] = 0;
	w[2] = 0;
	w[3] = 0;
}

/* The socket's own view: local = bound/source side. Works for timewait socks. */
static __always_inline void tuple_from_sk_x(const struct sock *sk, struct rt_tuple *t,
					    const bool direct)
{
	const struct sock_common *skc = &sk->__sk_common;
	__u16 family = RT_READ(direct, skc, skc_family);
	__u8 state = RT_READ(direct, skc, skc_state);

	/*
	 * A full socket closed before its active reset has already given its
	 * port back (skc_num = 0); inet_sport still holds what the RST carries.
	 */
	/* inet_sock lies past struct sock: out of reach of a BTF-typed load. */
	if (state == RT_TCP_TIME_WAIT || state == RT_TCP_NEW_SYN_RECV)
		t->lport = RT_READ(direct, skc, skc_num);
	else
		t->lport = bpf_ntohs(BPF_CORE_READ((const struct inet_sock *)sk, inet_sport));
	t->rport = bpf_ntohs(RT_READ(direct, skc, skc_dport));
	if (family == RT_AF_INET6) {
		RT_READ_INTO(direct, (struct in6_addr *)t->laddr, skc, skc_v6_rcv_saddr);
		RT_READ_INTO(direct, (struct in6_addr *)t->raddr, skc, skc_v6_daddr);
		t->family = RT_AF_INET6;
		if (is_v4mapped(t->laddr) && is_v4mapped(t->raddr)) {
			fold_v4mapped(t->laddr);
			fold_v4mapped(t->raddr);
			t->family = RT_AF_INET;
		} else if (is_v4mapped(t->laddr)) {
			/* A dual-stack listener bound to a v4 address. */
			fold_v4mapped(t->laddr);
			t->family = RT_AF_INET;
		}
		return;
	}
	RT_READ_INTO(direct, (__u32 *)t->laddr, skc, skc_rcv_saddr);
	RT_READ_INTO(direct, (__u32 *)t->raddr, skc, skc_daddr);
	t->family = RT_AF_INET;
}

static __always_inline void tuple_from_sk(const struct sock *sk, struct rt_tuple *t)
{
	tuple_from_sk_x(sk, t, false);
}

/*
 * The packet's view, reversed: the packet came from the remote, so its
 * destination is our local side. Returns false when the headers are not IP.
 */
static __always_inline bool tuple_from_skb_x(const struct sk_buff *skb, struct rt_tuple *t,
					     const bool direct)
{
	unsigned char *head = RT_READ(direct, skb, head);
	__u16 nh = RT_READ(direct, skb, network_header);
	__u16 th = RT_READ(direct, skb, transport_header);
	__u16 proto = bpf_ntohs(RT_READ(direct, skb, protocol));
	__u16 ports[2];

	if (proto == RT_ETH_P_IP) {
		struct iphdr ip;

		if (bpf_probe_read_kernel(&ip, sizeof(ip), head + nh))
			return false;
		*(__u32 *)t->laddr = ip.daddr;
		*(__u32 *)t->raddr = ip.saddr;
		t->family = RT_AF_INET;
	} else if (proto == RT_ETH_P_IPV6) {
		struct ipv6hdr ip6;

		if (bpf_probe_read_kernel(&ip6, sizeof(ip6), head + nh))
			return false;
		__builtin_memcpy(t->laddr, &ip6.daddr, 16);
		__builtin_memcpy(t->raddr, &ip6.saddr, 16);
		t->family = RT_AF_INET6;
	} else {
		return false;
	}
	if (bpf_probe_read_kernel(ports, sizeof(ports), head + th))
		return false;
	t->rport = bpf_ntohs(ports[0]);
	t->lport = bpf_ntohs(ports[1]);
	return true;
}

static __always_inline bool tuple_from_skb(const struct sk_buff *skb, struct rt_tuple *t)
{
	return tuple_from_skb_x(skb, t, false);
}

/*
 * Past ip_rcv TCP may have cleared skb->dev; the input route still names the
 * device, which is how the kernel itself finds the netns there.
 */
static __always_inline __u32 skb_netns_x(const struct sk_buff *skb, const bool direct)
{
	struct net_device *dev = RT_READ(direct, skb, dev);
	struct dst_entry *dst;

	if (!dev) {
		dst = (struct dst_entry *)(RT_READ(direct, skb, _skb_refdst) & ~1ul);
		dev = BPF_CORE_READ(dst, dev);
		return BPF_CORE_READ(dev, nd_net.net, ns.inum);
	}
	return RT_READ_PTR(direct, dev, nd_net.net, ns.inum);
}

static __always_inline __u32 skb_netns(const struct sk_buff *skb)
{
	return skb_netns_x(skb, false);
}

/* The packet's struct net, found like its netns above. */
static __always_inline __u64 skb_net(const struct sk_buff *skb)
{
	struct net_device *dev = BPF_CORE_READ(skb, dev);
	struct dst_entry *dst;

	if (!dev) {
		dst = (struct dst_entry *)(BPF_CORE_READ(skb, _skb_refdst) & ~1ul);
		dev = BPF_CORE_READ(dst, dev);
	}
	return (__u64)BPF_CORE_READ(dev, nd_net.net);
}

/* The socket's struct net. */
static __always_inline __u64 sk_net(const struct sock *sk)
{
	return (__u64)BPF_CORE_READ(sk, __sk_common.skc_net.net);
}

/* TCP flags byte of the packet's header, 0 when unreadable. */
static __always_inline __u8 skb_tcp_flags(const struct sk_buff *skb)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 th = BPF_CORE_READ(skb, transport_header);
	__u8 flags = 0;

	bpf_probe_read_kernel(&flags, 1, head + th + 13);
	return flags;
}

#define RT_TCPF_SYN 0x02
#define RT_TCPF_ACK 0x10

static __always_inline __u8 sk_syncookies(const struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, ipv4.sysctl_tcp_syncookies);
}

/*
 * Bytes the owner never read: what a close() with unread data threw away.
 * close() has set sk_shutdown already, so whether the peer's FIN (which takes
 * a sequence number but is no data) came in is told by the caller.
 */
static __always_inline __u32 sk_unread_bytes(const struct sock *sk, bool fin_received)
{
	const struct tcp_sock *tp = (const void *)sk;
	__u32 unread = BPF_CORE_READ(tp, rcv_nxt) - BPF_CORE_READ(tp, copied_seq);

	if (unread && fin_received)
		unread--;
	return unread;
}

static __always_inline void read_listener(const struct sock *lsk, struct rt_listener *l)
{
	struct rt_tuple t = {};
	const struct inet_connection_sock *icsk = (const void *)lsk;
	const struct rt_listener_limits *limits;
	__u64 key = (__u64)lsk;

	tuple_from_sk(lsk, &t);
	__builtin_memcpy(l->addr, t.laddr, 16);
	l->port = t.lport;
	l->family = t.family;
	l->accept_qlen = BPF_CORE_READ(lsk, sk_ack_backlog);
	l->accept_qmax = BPF_CORE_READ(lsk, sk_max_ack_backlog);
	l->syn_qlen = BPF_CORE_READ(icsk, icsk_accept_queue.qlen.counter);
	l->drops = BPF_CORE_READ(lsk, sk_drops.counter);
	l->somaxconn = BPF_CORE_READ(lsk, __sk_common.skc_net.net, core.sysctl_somaxconn);
	l->abort_on_overflow =
	    BPF_CORE_READ(lsk, __sk_common.skc_net.net, ipv4.sysctl_tcp_abort_on_overflow);
	l->syncookies = sk_syncookies(lsk);
	limits = bpf_map_lookup_elem(&listener_limits, &key);
	if (limits) {
		l->call = limits->call;
		l->burst = limits->cur;
	}
}

#endif /* RSTTRACE_SOCK_READ_BPF_H */
