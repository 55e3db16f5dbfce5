// SPDX-License-Identifier: GPL-2.0
/*
 * Socket and listener tracking: who owns each socket, learnt where the kernel
 * runs on the owner's behalf (listen, connect, accept), and when it goes away.
 */
#include "common.bpf.h"
#include "file.bpf.h"
#include "link.bpf.h"

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
