/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every event source shares: includes, filters, counting, and filling
 * and sending an event.
 */
#ifndef RSTTRACE_COMMON_BPF_H
#define RSTTRACE_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "rsttrace.h"
#include "maps.bpf.h"
#include "sock_read.bpf.h"
#include "owner.bpf.h"

static __always_inline bool port_wanted(const struct rt_tuple *t)
{
	if (!nr_filter_ports)
		return true;
#pragma unroll
	for (__u32 i = 0; i < RT_MAX_PORTS; i++) {
		if (i >= nr_filter_ports)
			break;
		if (filter_ports[i] == t->lport || filter_ports[i] == t->rport)
			return true;
	}
	return false;
}

static __always_inline bool wanted(const struct rt_tuple *t, __u32 netns,
				   const struct rt_sock_info *info,
				   const struct rt_sock_info *linfo)
{
	if (filter_netns && netns != filter_netns)
		return false;
	if (filter_family && t->family != filter_family)
		return false;
	if (!port_wanted(t))
		return false;
	if (filter_tgid) {
		if (info && info->owner.tgid == filter_tgid)
			return true;
		if (linfo && linfo->owner.tgid == filter_tgid)
			return true;
		return false;
	}
	return true;
}

/* Wake the reader only once a batch is worth it; it also polls on a timer. */
static __always_inline void submit(struct rt_event *e)
{
	__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);

	bpf_ringbuf_submit(e, avail >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
}

/* True when this event is over --rate-limit: counted, but not sent. */
static __always_inline bool rate_limited(__u32 type, __u32 reason)
{
	__u32 idx = type * RT_MAX_REASONS + (reason < RT_MAX_REASONS ? reason : RT_MAX_REASONS - 1);
	struct rate_window *w;
	__u64 now;

	if (!rate_limit)
		return false;
	w = bpf_map_lookup_elem(&rate_windows, &idx);
	if (!w)
		return false;
	now = bpf_ktime_get_boot_ns();
	if (now - w->start_ns >= 1000000000ull) {
		w->start_ns = now;
		w->count = 0;
	}
	if (w->count >= rate_limit) {
		count(RT_CNT_RATE_LIMITED);
		return true;
	}
	w->count++;
	return false;
}

static __always_inline struct rt_event *reserve(__u32 type)
{
	struct rt_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		count(RT_CNT_LOST);
		return NULL;
	}
	/* Reserved memory is not zeroed and the struct goes out whole. */
	__builtin_memset(e, 0, sizeof(*e));
	e->type = type;
	e->ts_ns = bpf_ktime_get_boot_ns();
	return e;
}

static __always_inline void fill_tuple(struct rt_event *e, const struct rt_tuple *t)
{
	__builtin_memcpy(e->laddr, t->laddr, 16);
	__builtin_memcpy(e->raddr, t->raddr, 16);
	e->lport = t->lport;
	e->rport = t->rport;
	e->family = t->family;
}

static __always_inline void fill_listener(struct rt_event *e, const struct sock *lsk,
					  const struct rt_sock_info *linfo)
{
	if (!lsk)
		return;
	read_listener(lsk, &e->listener);
	e->flags |= RT_F_LISTENER;
	if (e->listener.accept_qlen > e->listener.accept_qmax)
		e->flags |= RT_F_ACCEPTQ_FULL;
	if (linfo) {
		e->listener.owner = linfo->owner;
		e->listener.flags |= RT_LF_OWNER;
	}
}

static __always_inline void fill_context(struct rt_event *e)
{
	__u64 id = bpf_get_current_pid_tgid();

	e->ctx_tgid = id >> 32;
	e->ctx_pid = (__u32)id;
	bpf_get_current_comm(e->ctx_comm, sizeof(e->ctx_comm));
}

#endif /* RSTTRACE_COMMON_BPF_H */
