/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RSTTRACE_LOCAL_ABORT_BPF_H
#define RSTTRACE_LOCAL_ABORT_BPF_H

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

#endif
