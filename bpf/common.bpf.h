/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every event source shares: includes, filters, counting, and turning
 * what a handler learnt (struct ev_src) into a record: streamed through the
 * ring buffer, or counted into a fold entry.
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

/*
 * Enum values only newer kernels have, named through local flavors so that
 * the code builds against a vmlinux.h of any kernel (make vmlinux on 6.1):
 * CO-RE matches them by name, without the ___rt, on the running kernel.
 */
enum sk_rst_reason___rt {
	SK_RST_REASON_TCP_ABORT_ON_CLOSE___rt = 11,
};

enum skb_drop_reason___rt {
	SKB_DROP_REASON_NO_SOCKET___rt = 3,
	SKB_DROP_REASON_TCP_LISTEN_OVERFLOW___rt = 40,
};

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

/*
 * The filters, applied to what the event will report: -p matches the owner
 * shown (or the listener's owner), found by every lookup before this.
 */
static __always_inline bool wanted(const struct rt_tuple *t, __u32 netns,
				   const struct rt_owner *owner, const struct rt_owner *lowner)
{
	if (filter_netns && netns != filter_netns)
		return false;
	if (filter_family && t->family != filter_family)
		return false;
	if (!port_wanted(t))
		return false;
	/* Like -p: an owner in the cgroup, or a listener owned by one. */
	if (filter_cgroup && !(owner && owner->cgroup_id == filter_cgroup) &&
	    !(lowner && lowner->cgroup_id == filter_cgroup))
		return false;
	if (filter_tgid) {
		if (owner && owner->tgid == filter_tgid)
			return true;
		if (lowner && lowner->tgid == filter_tgid)
			return true;
		return false;
	}
	return true;
}

/*
 * Everything a handler learnt about one event, by value: the record is
 * written by emit.bpf.c's global functions, which the verifier checks once,
 * not once per hook (6.1's verifier gave up on the inlined copies).
 * Kernel objects are addresses, read there with CO-RE probe reads.
 */
struct ev_src {
	struct rt_tuple t;
	struct rt_owner owner;	/* valid with has_owner */
	struct rt_owner lowner; /* the listener's owner, valid with has_lowner */
	struct rt_link link;	/* overflow this event follows, valid with has_link */
	struct rt_closed closed;
	__u64 lsk; /* listener to describe, 0: none */
	__u64 sk;
	__u64 state_age_ns;
	__u32 type;
	__u32 flags;
	__u32 netns;
	__u32 reason;
	__u32 unread;
	__u32 repeat;
	__u8 state;
	__u8 prev_state;
	__u8 path; /* overflows: enum rt_overflow_path; with RT_F_CONN: enum rt_conn_outcome */
	__u8 sk_bits;
	__u8 has_owner;
	__u8 has_lowner;
	__u8 has_link;
	__u8 has_closed;
};

static __always_inline void ev_owner(struct ev_src *s, const struct rt_owner *o)
{
	if (!o)
		return;
	s->owner = *o;
	s->has_owner = 1;
}

static __always_inline void ev_lowner(struct ev_src *s, const struct rt_owner *o)
{
	if (!o)
		return;
	s->lowner = *o;
	s->has_lowner = 1;
}

static __always_inline void ev_link(struct ev_src *s, const struct rt_link *l)
{
	if (!l)
		return;
	s->link = *l;
	s->has_link = 1;
}

static __always_inline void ev_closed(struct ev_src *s, const struct rt_closed *c)
{
	if (!c)
		return;
	s->closed = *c;
	s->has_closed = 1;
}

/*
 * Kernels before 6.13 have no private BPF stack: a program and the
 * functions it calls share 512 bytes, and an ev_src in rt_report_queue()
 * on top of its caller's frame and rt_emit()'s went past it (6.1 and 6.12
 * refused fexit/tcp_conn_request: "combined stack size of 2 calls is 736").
 * So the records of the shared reporting functions live here, one slot per
 * nesting level on a CPU (a softirq may interrupt a program in process
 * context and run another one); taken and given back in LIFO order.
 */
#define RT_SCRATCH_DEPTH 4
struct ev_scratch {
	__u32 depth;
	__u32 pad;
	struct ev_src s[RT_SCRATCH_DEPTH];
};

RT_SHARED struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ev_scratch);
} ev_scratch SEC(".maps");

/* A zeroed record, or NULL (counted as lost) when the CPU's slots are in use. */
static __always_inline struct ev_src *ev_scratch_get(void)
{
	__u32 zero = 0, d;
	struct ev_scratch *sc = bpf_map_lookup_elem(&ev_scratch, &zero);
	struct ev_src *s;

	if (!sc)
		return NULL;
	d = sc->depth;
	if (d >= RT_SCRATCH_DEPTH) {
		count(RT_CNT_LOST);
		return NULL;
	}
	sc->depth = d + 1;
	s = &sc->s[d];
	__builtin_memset(s, 0, sizeof(*s));
	return s;
}

static __always_inline void ev_scratch_put(void)
{
	__u32 zero = 0;
	struct ev_scratch *sc = bpf_map_lookup_elem(&ev_scratch, &zero);

	if (sc && sc->depth)
		sc->depth--;
}

/*
 * Verified once per program: global functions, NOT __hidden. libbpf marks a
 * hidden global function static, and the verifier then walks it again at
 * every call site with the caller's state: rt_emit() (three rt_stream()
 * calls) under five queue reports made conn_request_fexit 702k instructions
 * on 6.1 (22 s under TCG; 15k now). A global function sees only its BTF
 * argument types: pointers may be NULL (checked first) and are plain memory.
 */
/* Streams the event through the ring buffer, sized for what it carries. */
extern int rt_stream(struct ev_src *s);
/* Streams the event, or counts it into its fold entry (in-kernel folding). */
extern int rt_emit(struct ev_src *s);

#endif /* RSTTRACE_COMMON_BPF_H */
