/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RSTTRACE_LOCAL_ABORT_BPF_H
#define RSTTRACE_LOCAL_ABORT_BPF_H

#include "client.bpf.h"

/*
 * Data arriving after close: the kernel runs tcp_reset() on its own socket
 * (firing tcp_receive_reset) and then answers the packet with a reset from
 * that same socket, in the same softirq on the same CPU. A genuine reset
 * received is never answered, so a reset sent in reply to a packet on the
 * socket that just got tcp_reset() identifies the pair without needing the
 * kernel's reason. The "received" reset is taken back from the totals, and
 * aborted_rx tells userspace to drop its held event, whatever the filters
 * or the fate of this reset's own event.
 */
/*
 * The states in which tcp_rcv_state_process() answers data with
 * tcp_reset() and a reset: FIN_WAIT1/2, and CLOSE_WAIT, CLOSING and
 * LAST_ACK for a segment that starts before rcv_nxt and ends past it.
 */
static __always_inline bool aborts_on_data(__u8 state)
{
	return state == RT_TCP_FIN_WAIT1 || state == RT_TCP_FIN_WAIT2 ||
	       state == RT_TCP_CLOSE_WAIT || state == RT_TCP_CLOSING || state == RT_TCP_LAST_ACK;
}

/*
 * A folded reset is taken back from its fold entry: only while the entry's
 * epoch is still the current one, since userspace reads an epoch's entries
 * once every program that started in it has finished (ours included), and
 * deletes them. An epoch that closed between the tcp_reset() and the reset
 * sent (a few microseconds, once a second at most) leaves the reset
 * counted, as received, with the rest of its record: records and totals
 * still agree. Returns false then: the reset sent is not called local.
 */
static __always_inline bool untake_fold(struct last_reset *last)
{
	struct rt_fold_val *v;

	if (last->fold_key.epoch != fold_epoch)
		return false;
	v = bpf_map_lookup_elem(&folds, &last->fold_key);
	if (!v)
		return false;
	/* Others folded meanwhile and the sample was this reset: the next one rewrites it. */
	if (__sync_fetch_and_add(&v->count, -1) > 1 && last->fold_sample)
		v->resample = 1;
	uncount(RT_CNT_FOLDED);
	return true;
}

static __always_inline bool take_back_local_abort(const struct sock *sk)
{
	struct last_reset *last;
	__u32 zero = 0;
	__u64 key = (__u64)sk, now;

	last = bpf_map_lookup_elem(&last_reset_sk, &zero);
	if (!last || last->sk != key || !aborts_on_data(last->state))
		return false;
	if (last->counted && last->folded && !untake_fold(last)) {
		last->sk = 0;
		last->folded = 0;
		return false;
	}
	if (last->counted) {
		uncount(RT_CNT_RST_RECEIVED);
		add_reason(RT_EV_RST_RECEIVED, last->state, -1);
	}
	/* A folded one was not streamed: no event for userspace to drop. */
	if (last->counted && !last->folded) {
		now = bpf_ktime_get_boot_ns();
		bpf_map_update_elem(&aborted_rx, &key, &now, BPF_ANY);
	}
	if (last->endpoint_counted)
		rt_client_reset_seen(last->netns, &last->t, -1);
	last->sk = 0;
	last->counted = 0;
	last->endpoint_counted = 0;
	last->folded = 0;
	return true;
}

#endif
