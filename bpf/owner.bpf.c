// SPDX-License-Identifier: GPL-2.0
/*
 * Socket and listener tracking: who owns each socket, learnt where the kernel
 * runs on the owner's behalf (listen, connect, accept), and when it goes away.
 */
#include "common.bpf.h"
#include "file.bpf.h"
#include "link.bpf.h"
#include "listen.bpf.h"
#include "mib.bpf.h"

__noinline int rt_listeners_for(__u32 netns, const struct rt_tuple *t, struct listener_match *m)
{
	__u64 exact[RT_PORT_LISTENERS] = {}, any[RT_PORT_LISTENERS] = {};
	struct rt_listener_key key = {.netns = netns};
	struct rt_port_listeners *pl;
	__u32 ne = 0, na = 0;
	int i;

	if (!t || !m)
		return 0;
	m->n = 0;
	key.port = t->lport;
	pl = bpf_map_lookup_elem(&listeners, &key);
	if (!pl)
		return 0;
	for (i = 0; i < RT_PORT_LISTENERS; i++) {
		const struct sock *lsk = (const struct sock *)pl->sk[i];
		struct rt_tuple lt = {};

		if (!is_listener_on(lsk, t->lport))
			continue;
		tuple_from_sk(lsk, &lt);
		if (addr_is_any(lt.laddr))
			any[na++ & (RT_PORT_LISTENERS - 1)] = (__u64)lsk;
		else if (lt.family == t->family && addr_eq(lt.laddr, t->laddr))
			exact[ne++ & (RT_PORT_LISTENERS - 1)] = (__u64)lsk;
	}
	for (i = 0; i < RT_PORT_LISTENERS; i++)
		m->sk[i] = ne ? exact[i] : any[i];
	m->n = ne ? ne : na;
	return 0;
}

__noinline __u64 rt_listener_for(__u32 netns, const struct rt_tuple *t, __u32 *ambiguous)
{
	struct listener_match m = {};

	if (!t || !ambiguous)
		return 0;
	rt_listeners_for(netns, t, &m);
	*ambiguous = m.n > 1;
	return m.n ? m.sk[0] : 0;
}

static __always_inline void track_listen(const struct sock *sk)
{
	struct rt_sock_info info = {};

	owner_from_current(&info.owner, RT_OWN_LISTEN);
	info.state_ts = bpf_ktime_get_boot_ns();
	info.is_listener = 1;
	info.last_oldstate = RT_TCP_CLOSE;
	sock_info_put(sk, &info);
	listener_add(sk_netns(sk), BPF_CORE_READ(sk, __sk_common.skc_num), sk);
	rt_limits_listen_start((__u64)sk);
	/* Overflows are credited from here on (bpf/mib.bpf.c), resets too. */
	rt_mib_init(sk_net(sk), sk_netns(sk));
	rt_rst_listen(sk_net(sk), sk_netns(sk));
	select_listener_netns(sk, sk_netns(sk), &info.owner);
}

static __always_inline void inherit(struct rt_sock_info *info, const struct sock *lsk)
{
	struct rt_sock_info *linfo = sock_info(lsk);

	info->parent = (__u64)lsk;
	if (linfo) {
		info->owner = linfo->owner;
		info->owner.source = RT_OWN_LISTENER;
	}
}

/*
 * A child created by the kernel on a listener inherits the listener's
 * owner. Where several listeners share the port (SO_REUSEPORT) this first
 * guess is corrected once the child is queued.
 */
static __always_inline void track_child(const struct sock *sk)
{
	struct rt_sock_info info = {};
	struct rt_tuple t = {};
	const struct sock *lsk;
	__u32 ambiguous = 0;

	tuple_from_sk(sk, &t);
	lsk = (const void *)rt_listener_for(sk_netns(sk), &t, &ambiguous);
	if (!lsk)
		return;
	inherit(&info, lsk);
	info.state_ts = bpf_ktime_get_boot_ns();
	info.last_oldstate = RT_TCP_LISTEN;
	info.port_shared = ambiguous;
	sock_info_put(sk, &info);
}

/*
 * SYN_RECV -> ESTABLISHED of a child happens in tcp_child_process(), right
 * after inet_csk_reqsk_queue_add() put it at the tail of its listener's
 * accept queue: the listener whose tail it is, is its listener.
 */
static __always_inline void child_parent(const struct sock *sk, const struct rt_tuple *t,
					 struct rt_sock_info *info)
{
	struct listener_match m = {};
	int i;

	rt_listeners_for(sk_netns(sk), t, &m);
	if (m.n < 2)
		return;
	for (i = 0; i < RT_PORT_LISTENERS; i++) {
		const struct inet_connection_sock *icsk = (const void *)m.sk[i];
		const struct request_sock *tail;

		if ((__u32)i >= m.n || !m.sk[i])
			break;
		tail = BPF_CORE_READ(icsk, icsk_accept_queue.rskq_accept_tail);
		if (tail && BPF_CORE_READ(tail, sk) == sk) {
			if (info->owner.source == RT_OWN_LISTENER)
				inherit(info, (const void *)m.sk[i]);
			else
				info->parent = m.sk[i];
			return;
		}
	}
}

/*
 * The SYN detector armed on pressure: a listener whose accept queue holds
 * half its limit or more (this connection included) may soon drop SYNs.
 * Written only when clear, so the flag's line is not bounced per handshake.
 * Other filters (--port, --pid, --cgroup) are not applied: a listener they
 * do not select still arms the detector (its cost, not its output).
 */
static __always_inline void note_pressure(__u64 lsk)
{
	const struct sock *l = (const struct sock *)lsk;
	__u32 qlen = BPF_CORE_READ(l, sk_ack_backlog);
	__u32 qmax = BPF_CORE_READ(l, sk_max_ack_backlog);

	if ((__u64)qlen * 2 < qmax || syn_pressure)
		return;
	/* --netns: only a listener whose events are wanted arms it. */
	if (filter_netns && sk_netns(l) != filter_netns)
		return;
	syn_pressure = 1;
}

static __always_inline void child_queued(const struct sock *sk, struct rt_sock_info *info)
{
	struct rt_tuple t = {};

	if (syn_arm_on_pressure && info && info->parent)
		note_pressure(info->parent);

	/*
	 * Every connection passes here: the tuple only when an overflow may
	 * be linked to it or a burst is being measured, the listeners only
	 * when the port has several.
	 */
	if (!have_overflow_flows && !have_bursts && !(info && info->port_shared))
		return;
	tuple_from_sk(sk, &t);
	/* The handshake completed: an earlier overflow of it explains nothing more. */
	retire_link(&t);
	if (!info)
		return;
	if (info->port_shared)
		child_parent(sk, &t, info);
	if (have_bursts && info->parent)
		rt_burst_queued(info->parent, &t);
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
	listener_remove(key.netns, BPF_CORE_READ(sk, __sk_common.skc_num), sk);
	rt_mib_sweep_netns(sk_net(sk), key.netns, 0);
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
		fresh.born_ns = fresh.state_ts;
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
	if (oldstate == RT_TCP_SYN_RECV && newstate == RT_TCP_ESTABLISHED)
		child_queued(sk, info);
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
		listener_remove(sk_netns(sk), BPF_CORE_READ(sk, __sk_common.skc_num), sk);
		/* After close() reset what its queue held: the count for the exit. */
		rt_rst_listener_gone(sk_net(sk), sk_netns(sk));
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

/* The accepting process is the real owner of an accepted connection. */
static __always_inline int handle_accept_exit(long fd)
{
	struct rt_sock_info *info, fresh = {};
	const struct sock *sk = tcp_sock_of_fd(fd);
	struct rt_tuple t = {};
	__u32 ambiguous = 0;

	if (!sk)
		return 0;
	info = sock_info(sk);
	if (info) {
		owner_from_current(&info->owner, RT_OWN_ACCEPT);
		if (!info->parent)
			return 0;
		/*
		 * Its latest state change was its handshake's (SYN_RECV ->
		 * ESTABLISHED): state_ts is when it entered the accept queue
		 * (handle_set_state()). A peer that closed or reset it meanwhile
		 * moved it on: the wait is unknown.
		 */
		rt_accept_wait(info->parent,
			       info->last_oldstate == RT_TCP_SYN_RECV ? info->state_ts : 0);
		if (have_bursts)
			rt_burst_accepted(info->parent);
		return 0;
	}
	owner_from_current(&fresh.owner, RT_OWN_ACCEPT);
	fresh.last_oldstate = RT_TCP_SYN_RECV;
	/*
	 * Queued before rsttrace started, or its handshake's state change was
	 * skipped by the kernel (a softirq nested in a run of that hook on
	 * its CPU): the listener still counts the accept, its wait unknown.
	 */
	tuple_from_sk(sk, &t);
	fresh.parent = rt_listener_for(sk_netns(sk), &t, &ambiguous);
	if (fresh.parent)
		rt_accept_wait(fresh.parent, 0);
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
