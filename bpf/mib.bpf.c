// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel's own counters, per CPU and network namespace: ListenOverflows,
 * TCPReqQFullDrop and TCPReqQFullDoCookies, read where the kernel counts
 * them. A SYN the kernel dropped has no drop reason; whether this CPU's
 * counter moved since the last event here tells what happened to it, and
 * another CPU's accept() or drops cannot change that answer. Every
 * increment is credited to exactly one event, or reported as unattributed.
 *
 * The per-CPU MIB is a __percpu pointer: this CPU's copy lies at the same
 * per-CPU offset as this CPU's element of a per-CPU map, which is the
 * distance between that element and the map's own __percpu pointer. The
 * arithmetic is done on plain numbers read back with probe reads (the
 * verifier does not allow it on pointers; loading needs CAP_PERFMON).
 */
#include "common.bpf.h"
#include "mib.bpf.h"

/* The map's __percpu pointer, read once. */
static __u64 anchor_pptr;

static __always_inline __u64 as_number(const void *p)
{
	__u64 v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), &p);
	return v;
}

static __always_inline __u64 percpu_base(void)
{
	const void *map = &cpu_anchor;
	__u64 addr;

	if (anchor_pptr)
		return anchor_pptr;
	addr = as_number(map) + bpf_core_field_offset(struct bpf_array, pptrs);
	bpf_probe_read_kernel(&anchor_pptr, sizeof(anchor_pptr), (const void *)addr);
	return anchor_pptr;
}

/* Per-CPU offset of 'cpu' (RT_THIS_CPU: the current one), 0 when unknown. */
static __always_inline __u64 percpu_offset(__u32 cpu)
{
	__u32 zero = 0;
	const void *elem = cpu == RT_THIS_CPU ? bpf_map_lookup_elem(&cpu_anchor, &zero)
					      : bpf_map_lookup_percpu_elem(&cpu_anchor, &zero, cpu);
	__u64 base = percpu_base();

	if (!elem || !base)
		return 0;
	return as_number(elem) - base;
}

static __always_inline void read_mib(__u64 mib, __u64 off, struct rt_mib_vals *v)
{
	int i;

	for (i = 0; i < RT_MIB_NR; i++) {
		v->v[i] = 0;
		bpf_probe_read_kernel(
		    &v->v[i], sizeof(v->v[i]),
		    (const void *)(mib + off + mib_index[i] * sizeof(unsigned long)));
	}
}

static __always_inline __u64 mib_of(__u64 netp)
{
	const struct net *net = (const struct net *)netp;
	__u64 mib = 0;

	if (net)
		bpf_core_read(&mib, sizeof(mib), &net->mib.net_statistics);
	return mib;
}

/* A baseline for every CPU of this netns, where none exists yet. */
__hidden __noinline int rt_mib_init(__u64 net, __u32 netns)
{
	__u64 mib = mib_of(net);
	struct rt_mib_key key = {.netns = netns};
	struct rt_mib_vals v, *seen;
	__u32 cpu;

	if (!mib || !mib_index[RT_MIB_LISTEN_OVERFLOWS])
		return 0;
	for (cpu = 0; cpu < RT_MIB_MAX_CPUS; cpu++) {
		__u64 off;

		if (cpu >= nr_cpus)
			break;
		key.cpu = cpu;
		seen = bpf_map_lookup_elem(&mib_seen, &key);
		/* A baseline of an earlier netns with the same inode is replaced. */
		if (seen && seen->mib == mib)
			continue;
		off = percpu_offset(cpu);
		if (!off)
			return 0;
		read_mib(mib, off, &v);
		v.mib = mib;
		__builtin_memcpy(v.aged, v.v, sizeof(v.aged));
		bpf_map_update_elem(&mib_seen, &key, &v, BPF_ANY);
	}
	return 0;
}

/*
 * Moves the baseline to 'now', the increments into d: a compare-and-swap
 * loop, since a program nested in this one (an interrupt) may advance the
 * baseline in between, and every increment must be credited once.
 */
static __always_inline void advance(struct rt_mib_vals *seen, const struct rt_mib_vals *now,
				    struct rt_mib_delta *d)
{
	int i, tries;

	for (i = 0; i < RT_MIB_NR; i++) {
		for (tries = 0; tries < 4; tries++) {
			__u64 old = seen->v[i];

			if (now->v[i] <= old)
				break;
			if (__sync_val_compare_and_swap(&seen->v[i], old, now->v[i]) == old) {
				d->d[i] = now->v[i] - old;
				break;
			}
		}
	}
}

/*
 * How far each counter moved on this CPU since the last event here, the
 * baseline moved along. A compare-and-swap loop: a program nested in this
 * one (an interrupt) may advance the baseline in between, and every
 * increment must be credited once. d->fresh: no baseline existed (the
 * counts are then unknown for this one event).
 */
__hidden __noinline int rt_mib_delta(__u64 net, __u32 netns, struct rt_mib_delta *d, int init)
{
	struct rt_mib_key key = {.netns = netns, .cpu = bpf_get_smp_processor_id()};
	__u64 mib = mib_of(net), off = percpu_offset(RT_THIS_CPU);
	struct rt_mib_vals now, *seen;
	int i;

	d->fresh = 0;
	for (i = 0; i < RT_MIB_NR; i++)
		d->d[i] = 0;
	if (!mib_index[RT_MIB_LISTEN_OVERFLOWS] || !mib || !off) {
		d->fresh = 1;
		return 0;
	}
	read_mib(mib, off, &now);
	seen = bpf_map_lookup_elem(&mib_seen, &key);
	if (!seen) {
		if (init)
			rt_mib_init(net, netns);
		d->fresh = 1;
		return 0;
	}
	if (seen->mib != mib) {
		/* A netns inode number reused by a new netns: start over here. */
		now.mib = mib;
		__builtin_memcpy(now.aged, now.v, sizeof(now.aged));
		bpf_map_update_elem(&mib_seen, &key, &now, BPF_ANY);
		d->fresh = 1;
		return 0;
	}
	advance(seen, &now, d);
	return 0;
}

/*
 * The periodic sweep takes only what was already counted at the previous
 * one, a period ago: an event claims its own increment microseconds after
 * the kernel counted it, so what stayed unclaimed that long belongs to no
 * event (a run the kernel skipped, a path without a hook). Then the
 * present values become the next sweep's limit.
 */
static __always_inline void advance_aged(struct rt_mib_vals *seen, const struct rt_mib_vals *now,
					 struct rt_mib_delta *d)
{
	struct rt_mib_vals upto = {};
	int i;

	for (i = 0; i < RT_MIB_NR; i++) {
		upto.v[i] = seen->aged[i] < now->v[i] ? seen->aged[i] : now->v[i];
		seen->aged[i] = now->v[i];
	}
	advance(seen, &upto, d);
}

/*
 * The listen counters' increments on every CPU of a netns that no event
 * claimed, as unattributed: all of them when a listener closes (without
 * this, overflows after the last event of a listener gone by exit would be
 * in no total) or at exit; with 'aged', those a period old (the periodic
 * sweep), so that the totals a scrape reads follow the kernel's counters
 * while tracing.
 */
static __always_inline void sweep_overflows(__u64 net, __u32 netns, int aged)
{
	struct rt_mib_key key = {.netns = netns};
	__u64 mib = mib_of(net), overflows = 0, synq = 0;
	struct rt_mib_vals now, *seen;
	__u32 cpu;

	if (!mib || !mib_index[RT_MIB_LISTEN_OVERFLOWS])
		return;
	for (cpu = 0; cpu < RT_MIB_MAX_CPUS; cpu++) {
		struct rt_mib_delta d = {};
		__u64 off;

		if (cpu >= nr_cpus)
			break;
		key.cpu = cpu;
		seen = bpf_map_lookup_elem(&mib_seen, &key);
		if (!seen || seen->mib != mib)
			continue;
		off = percpu_offset(cpu);
		if (!off)
			break;
		read_mib(mib, off, &now);
		if (aged)
			advance_aged(seen, &now, &d);
		else
			advance(seen, &now, &d);
		overflows += d.d[RT_MIB_LISTEN_OVERFLOWS];
		synq += d.d[RT_MIB_REQQ_DROP] + d.d[RT_MIB_REQQ_COOKIES];
	}
	unattributed_unfiltered(netns, overflows, synq);
}

/* The netns's TcpOutRsts now, summed over its CPUs; false when unreadable. */
static __always_inline bool out_rsts(__u64 tmib, __u64 *sum)
{
	__u32 cpu;

	*sum = 0;
	for (cpu = 0; cpu < RT_MIB_MAX_CPUS; cpu++) {
		__u64 off, v = 0;

		if (cpu >= nr_cpus)
			break;
		off = percpu_offset(cpu);
		if (!off)
			return false;
		bpf_probe_read_kernel(&v, sizeof(v),
				      (const void *)(tmib + off + tcp_mib_outrsts * sizeof(long)));
		*sum += v;
	}
	return true;
}

static __always_inline __u64 tcp_mib_of(__u64 netp)
{
	const struct net *net = (const struct net *)netp;
	__u64 tmib = 0;

	if (net && tcp_mib_outrsts)
		bpf_core_read(&tmib, sizeof(tmib), &net->mib.tcp_statistics);
	return tmib;
}

/* A baseline for a netns first found: its count now. */
static __always_inline struct rt_rst_mib *rst_baseline(__u32 netns, __u64 tmib, __u64 now)
{
	struct rt_rst_mib fresh = {.mib = tmib, .base = now, .aged = now};

	/* NOEXIST: a baseline another CPU just made may already hold a claim. */
	bpf_map_update_elem(&rst_mib, &netns, &fresh, BPF_NOEXIST);
	return bpf_map_lookup_elem(&rst_mib, &netns);
}

/*
 * The first reset seen in a netns without a baseline (rt_rst_claim()): the
 * kernel counts a passive reset (tcp_v4/v6_send_reset) after the
 * tracepoint, an active one (tcp_send_active_reset) before it: a baseline
 * made here leaves this reset out of it, and it is claimed. A netns inode
 * reused by a new netns is found by the sweep.
 */
__noinline int rt_rst_first_claim(__u64 net, __u32 netns, int counted)
{
	struct rt_rst_mib *r;
	__u64 tmib, now;

	tmib = tcp_mib_of(net);
	if (!tmib || !out_rsts(tmib, &now))
		return 0;
	if (counted && now)
		now--;
	r = rst_baseline(netns, tmib, now);
	if (r)
		__sync_fetch_and_add(&r->claimed, 1);
	return 0;
}

/* A baseline where a listener starts (process context: the netns is alive). */
__hidden __noinline int rt_rst_listen(__u64 net, __u32 netns)
{
	__u64 tmib = tcp_mib_of(net), now;

	if (tmib && !bpf_map_lookup_elem(&rst_mib, &netns) && out_rsts(tmib, &now))
		rst_baseline(netns, tmib, now);
	return 0;
}

/*
 * Where a listener is destroyed (after close() reset the connections its
 * queue held), the count and the claims then: once its netns's last socket
 * is gone no sweep reaches it, and the exit settles from these. The claims
 * of resets counted before this moment are in, but for an active reset
 * another CPU is sending at this very moment (counted before its hook
 * runs, microseconds later): it would be counted as unseen too.
 */
__hidden __noinline int rt_rst_listener_gone(__u64 net, __u32 netns)
{
	struct rt_rst_mib *r = bpf_map_lookup_elem(&rst_mib, &netns);
	__u64 tmib = tcp_mib_of(net), now;

	if (!r || !tmib || r->mib != tmib || !out_rsts(tmib, &now))
		return 0;
	/*
	 * The count first: a claim made in between is of a reset counted
	 * before it (active) or after it (passive: its count missing, so the
	 * unseen ones may be one less, never one more).
	 */
	r->closed = now;
	r->closed_claimed = r->claimed;
	return 0;
}

/* At exit, with the hooks detached: a netns no sweep reached up to its last listener's end. */
static long settle_one(void *map, __u32 *netns, struct rt_rst_mib *r, void *ctx)
{
	__u64 had = r->base + (r->closed_claimed - r->claimed_base) + r->reported;

	if (r->closed > had) {
		unattributed_rsts(*netns, r->closed - had);
		r->reported += r->closed - had;
	}
	return 0;
}

__hidden __noinline int rt_rst_settle(void)
{
	bpf_for_each_map_elem(&rst_mib, settle_one, NULL, 0);
	return 0;
}

/*
 * Resets the kernel counted that no hook claimed. Periodic ('aged'): only
 * up to the count of the previous sweep, a period ago, against every claim
 * made since: a hook claims its reset microseconds after the kernel
 * counted it, so what the older count holds beyond the claims was seen by
 * no hook (a lower bound while resets go on; it catches up when they
 * stop). At exit, with the hooks detached, all of it. Never while a reset
 * may be half-way with the hooks attached: an active reset is counted
 * before its hook runs.
 */
static __always_inline void sweep_resets(__u64 net, __u32 netns, int aged)
{
	__u64 tmib = tcp_mib_of(net), now, upto, had;
	struct rt_rst_mib *r;

	if (!tmib || !out_rsts(tmib, &now))
		return;
	r = bpf_map_lookup_elem(&rst_mib, &netns);
	if (!r) {
		rst_baseline(netns, tmib, now);
		return;
	}
	if (r->mib != tmib) {
		/*
		 * The inode of a netns gone, reused: start over in place (claims
		 * may be added to it meanwhile), the claims so far set aside.
		 */
		r->claimed_base = r->claimed;
		r->mib = tmib;
		r->base = now;
		r->aged = now;
		r->reported = 0;
		r->closed = 0;
		r->closed_claimed = r->claimed;
		return;
	}
	upto = aged && r->aged < now ? r->aged : now;
	r->aged = now;
	had = r->base + (r->claimed - r->claimed_base) + r->reported;
	if (upto <= had)
		return;
	r->reported += upto - had;
	unattributed_rsts(netns, upto - had);
}

/* Both, while the netns's struct net is surely alive (the caller holds a socket of it). */
__hidden __noinline int rt_mib_sweep_netns(__u64 net, __u32 netns, int how)
{
	sweep_overflows(net, netns, how & RT_SWEEP_AGED);
	if (how & RT_SWEEP_RESETS)
		sweep_resets(net, netns, how & RT_SWEEP_AGED);
	return 0;
}

/*
 * Set once filter_selected_netns is full: from then on every netns counts as
 * selected, so that no netns's unclaimed counts are left out (some may be
 * counted that the filter would not have selected).
 */
__u32 filter_selected_netns_full;

#define RT_E2BIG 7 /* the hash is full (another CPU marking it first is -EEXIST) */

/* Global, verified once; see filter_selected_netns. */
__noinline int rt_netns_selected(__u32 netns)
{
	return filter_selected_netns_full ||
	       bpf_map_lookup_elem(&filter_selected_netns, &netns) != NULL;
}

__noinline int rt_netns_select(__u32 netns)
{
	__u8 one = 1;

	if (bpf_map_lookup_elem(&filter_selected_netns, &netns))
		return 0;
	if (bpf_map_update_elem(&filter_selected_netns, &netns, &one, BPF_NOEXIST) == -RT_E2BIG)
		filter_selected_netns_full = 1;
	return 0;
}
