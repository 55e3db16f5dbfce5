// SPDX-License-Identifier: GPL-2.0
/* Resets received: tcp_receive_reset, i.e. the kernel's tcp_reset(). */
#include "common.bpf.h"
#include "link.bpf.h"
#include "local_abort.bpf.h"
#include "client.bpf.h"

static __always_inline int handle_receive_reset_into(struct ev_src *s, const struct sock *sk,
						     const bool direct)
{
	struct rt_sock_info *info;
	struct last_reset *last;
	__u8 state = sk_state_x(sk, direct);
	__u32 zero = 0;
	__u32 netns;

	/* Remembered whatever the filters: a reset sent next may take this one back. */
	last = bpf_map_lookup_elem(&last_reset_sk, &zero);
	if (!last)
		return 0;
	last->sk = (__u64)sk;
	last->state = state;
	last->counted = 0;
	last->endpoint_counted = 0;
	last->folded = 0;
	if (!(event_mask & RT_EVM(RT_EV_RST_RECEIVED)))
		return 0;

	netns = sk_netns_x(sk, direct);
	tuple_from_sk_x(sk, &s->t, direct);
	info = sock_info(sk);
	if (!wanted(&s->t, netns, info ? &info->owner : NULL, NULL))
		return 0;
	count(RT_CNT_RST_RECEIVED);
	count_reason(RT_EV_RST_RECEIVED, state);
	last->counted = 1;

	ev_owner(s, info ? &info->owner : NULL);
	s->sk = (__u64)sk;
	s->type = RT_EV_RST_RECEIVED;
	s->netns = netns;
	s->state = state;
	s->flags = RT_F_NO_REASON;
	if (info && info->state_ts) {
		__u64 now = bpf_ktime_get_boot_ns();

		/* Another CPU may have moved state_ts past our clock read. */
		s->state_age_ns = now > info->state_ts ? now - info->state_ts : 0;
		s->flags |= RT_F_STATE_AGE;
	}
	if (!sk_carried_data(sk))
		ev_link(s, find_link(&s->t));
	/* The client's side: what the connection had carried when the peer reset it. */
	if (info && info->owner.source == RT_OWN_CONNECT) {
		s->flags |= RT_F_CONN;
		s->path = RT_CO_RESET;
		/* The endpoint row counts resets an application saw: not after its close(). */
		if ((event_mask & RT_EVM_CLIENT) && BPF_CORE_READ(sk, sk_socket)) {
			rt_client_reset_seen(netns, &s->t, 1);
			/* Taken back with the reset if it was the kernel's own. */
			last->endpoint_counted = 1;
			last->netns = netns;
			last->t = s->t;
		}
	}
	/* The kernel's own tcp_reset() may be taken back, folded or not: see note_folded(). */
	rt_emit(s);
	return 0;
}

/* The record in a scratch slot: see ev_scratch. */
static __always_inline int handle_receive_reset(const struct sock *sk, const bool direct)
{
	struct ev_src *s = ev_scratch_get();
	int ret;

	if (!s)
		return 0;
	ret = handle_receive_reset_into(s, sk, direct);
	ev_scratch_put();
	return ret;
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
