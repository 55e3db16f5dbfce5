// SPDX-License-Identifier: GPL-2.0
/* Resets received: tcp_receive_reset, i.e. the kernel's tcp_reset(). */
#include "common.bpf.h"
#include "link.bpf.h"

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
