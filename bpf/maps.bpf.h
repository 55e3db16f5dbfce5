/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The state every event source shares: the loader's settings, flags, and the
 * maps. bpf/maps.bpf.c defines them (RT_DEFINE_SHARED); every other file sees
 * extern declarations, and `bpftool gen object` links them into one object.
 * An extern map must repeat its whole definition, hence one text for both.
 */
#ifndef RSTTRACE_MAPS_BPF_H
#define RSTTRACE_MAPS_BPF_H

#include "tuple.bpf.h"

#ifdef RT_DEFINE_SHARED
#define RT_SHARED
#define RT_INIT(...) = __VA_ARGS__
#else
#define RT_SHARED extern
#define RT_INIT(...)
#endif

/* Filters and tuning, set by the loader before load. */
RT_SHARED const volatile __u32 filter_tgid RT_INIT(0);
RT_SHARED const volatile __u32 filter_netns RT_INIT(0);
RT_SHARED const volatile __u8 filter_family RT_INIT(0);
/* --cgroup: the owner's (or the listener owner's) cgroup v2 id, 0 = any. */
RT_SHARED const volatile __u64 filter_cgroup RT_INIT(0);
RT_SHARED const volatile __u32 nr_filter_ports RT_INIT(0);
RT_SHARED const volatile __u16 filter_ports[RT_MAX_PORTS] RT_INIT({});
RT_SHARED const volatile __u32 event_mask RT_INIT(RT_EVM_ALL);
RT_SHARED const volatile __u64 wakeup_bytes RT_INIT(64 << 10);
/* Events of one fold key streamed per storm before only counting; 0 = stream all. */
RT_SHARED const volatile __u32 fold_threshold RT_INIT(0);
/*
 * Kernels before 6.10 trace only full sockets' resets: tcp_v{4,6}_send_reset
 * are hooked then and report every passive reset, the tracepoint only the
 * active ones (set by the loader when it chose those hooks).
 */
RT_SHARED const volatile __u8 passive_from_func RT_INIT(0);
/* Handshake-ACK and syncookie overflows come from tcp_v{4,6}_syn_recv_sock. */
RT_SHARED const volatile __u8 ack_overflow_from_func RT_INIT(0);
/* The handshake ACK tcp_v{4,6}_syn_recv_sock() last refused on this CPU (RT_F_OVERFLOW_SKB). */
RT_SHARED struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} overflow_skb SEC(".maps");
/* ... or, tracepoints only before 6.15, from the kernel's counter at kfree_skb. */
RT_SHARED const volatile __u8 ack_overflow_by_counter RT_INIT(0);
/* Where consume_skb() is called for a SYN a listener took or dropped. */
RT_SHARED const volatile __u64 rcv_state_process_start RT_INIT(0);
RT_SHARED const volatile __u64 rcv_state_process_end RT_INIT(0);

/* The fold epoch; userspace flips it (see struct rt_fold_key). */
RT_SHARED volatile __u32 fold_epoch RT_INIT(0);
/*
 * Set once the first entry goes into overflow_flows / closed_listeners: until
 * then a reset storm skips the lookups (hashing 40-byte keys twice per reset).
 */
RT_SHARED volatile __u32 have_overflow_flows RT_INIT(0);
RT_SHARED volatile __u32 have_closed_listeners RT_INIT(0);
RT_SHARED volatile __u32 have_closed_owners RT_INIT(0);
/*
 * Set once a second listener joins a port (SO_REUSEPORT, bind addresses):
 * until then a SYN with nothing counted skips the listener lookup.
 */
RT_SHARED volatile __u32 have_shared_ports RT_INIT(0);
/* Set at the first overflow: until then handshakes and accept()s skip the burst table. */
RT_SHARED volatile __u32 have_bursts RT_INIT(0);

/*
 * The SYN detector armed on pressure (user/syn_arm.c): its consume_skb
 * program is attached only while some listener is under pressure. The
 * handshake hook reports a listener whose accept queue reached half its
 * limit by setting syn_pressure, which userspace clears; while the program
 * is not attached userspace sets syn_disarmed, and the overflows the
 * counters show that no event claimed are counted as missed while disarmed.
 */
RT_SHARED const volatile __u8 syn_arm_on_pressure RT_INIT(0);
RT_SHARED volatile __u32 syn_pressure RT_INIT(0);
RT_SHARED volatile __u32 syn_disarmed RT_INIT(0);

/* Possible CPUs, for the per-CPU counter baselines (mib.bpf.c). */
RT_SHARED const volatile __u32 nr_cpus RT_INIT(1);
/* The kernel's CONFIG_HZ, read by the loader (user/kconfig.c); 0 when unknown. */
RT_SHARED const volatile __u32 kernel_hz RT_INIT(0);
/*
 * Indexes of ListenOverflows, TCPReqQFullDrop, TCPReqQFullDoCookies in the
 * kernel's linux_mib: an anonymous enum, so CO-RE cannot name it; the
 * loader reads them from BTF (0: unknown, the counters are not used).
 */
RT_SHARED const volatile __u32 mib_index[3] RT_INIT({});
/* Index of TcpOutRsts in the kernel's tcp_mib (anonymous enum too; 0: unknown). */
RT_SHARED const volatile __u32 tcp_mib_outrsts RT_INIT(0);

/* Events to userspace; size set by the loader (--ring-size). */
RT_SHARED struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} events SEC(".maps");

/*
 * Exact totals live here, counted before the ring buffer is tried, so a slow
 * reader never changes them.
 */
RT_SHARED struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RT_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* Exact totals by event type and kernel reason (or, for received, state). */
RT_SHARED struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RT_EV_MAX *RT_MAX_REASONS);
	__type(key, __u32);
	__type(value, __u64);
} reason_counts SEC(".maps");

/* Overflow totals per listener socket. */
RT_SHARED struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct rt_listener_stats);
} listener_stats SEC(".maps");

/*
 * Per listener socket: the listen() call that set its limit and its bursts
 * of overflows (bpf/listen.bpf.c). Kept after the listener closes, for the
 * final summary; a new listen() on a reused address starts it afresh.
 */
RT_SHARED struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct rt_listener_limits);
} listener_limits SEC(".maps");

/*
 * Per listener socket: how long accept() left its connections waiting
 * (bpf/listen.bpf.c, at every accept() of a connection whose handshake was
 * seen). Every listener, whatever the filters: userspace reads the rows of
 * the listeners it reports. A new listen() on a reused address starts afresh.
 */
RT_SHARED struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 2048);
	__type(key, __u64);
	__type(value, struct rt_accept_wait);
} accept_waits SEC(".maps");

/* One zeroed row, never written: what a new accept_waits row starts from. */
RT_SHARED struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rt_accept_wait);
} accept_wait_zero SEC(".maps");

/* Owner and last state change of each TCP socket we know, keyed by sk address. */
RT_SHARED struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct rt_sock_info);
} socks SEC(".maps");

/*
 * Listening sockets by netns and port, every one of them: SO_REUSEPORT
 * groups and listeners bound to different addresses share a port.
 */
RT_SHARED struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, struct rt_listener_key);
	__type(value, struct rt_port_listeners);
} listeners SEC(".maps");

/*
 * The last socket on this CPU that got tcp_reset(): the kernel calls it on
 * its own socket right before it answers data after close with a reset, in
 * the same softirq, so the pair can be recognised without guessing.
 */
struct last_reset {
	__u64 sk;
	__u32 state;
	__u32 counted;		/* it passed the filters and was counted as received */
	__u32 endpoint_counted; /* and in its server's client endpoint row: */
	__u32 netns;		/* that row's netns and connection */
	struct rt_tuple t;
	__u32 folded;	   /* counted into the fold entry fold_key, not streamed */
	__u32 fold_sample; /* and it wrote the entry's sample */
	struct rt_fold_key fold_key;
};

RT_SHARED struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct last_reset);
} last_reset_sk SEC(".maps");

/*
 * Sockets whose "received" reset was the kernel's own (data after close):
 * userspace drops the held rst_received of these, even when the reset that
 * followed never reached it.
 */
RT_SHARED struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, __u64);
} aborted_rx SEC(".maps");

/*
 * Recent accept-queue overflows by connection: counts the repeats of one
 * stuck handshake and lets a later reset name its cause; retired once the
 * connection completes its handshake.
 */
RT_SHARED struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct rt_flow_key);
	__type(value, struct rt_link);
} overflow_flows SEC(".maps");

/*
 * Owners of connections whose socket was destroyed, by netns and 4-tuple: a
 * TIME_WAIT mini-socket that answers with a reset has no owner of its own.
 */
RT_SHARED struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct rt_conn_key);
	__type(value, struct rt_owner);
} closed_owners SEC(".maps");

/* Listeners that closed, by netns and port: resets during a restart. */
RT_SHARED struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct rt_listener_key);
	__type(value, struct rt_closed);
} closed_listeners SEC(".maps");

/* Each listener at its last SYN: tells a dropped or cookie'd SYN from a queued one. */
struct syn_seen {
	__u32 drops; /* sk_drops accounted for */
	__u32 synq;  /* requests in the SYN queue */
};

RT_SHARED struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct syn_seen);
} syn_seen SEC(".maps");

/*
 * Fold entries of the current and the previous epoch. A plain hash, not an
 * LRU: nothing may vanish with its count; when it is full, events are
 * streamed instead (RT_CNT_FOLD_FULL).
 */
RT_SHARED struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct rt_fold_key);
	__type(value, struct rt_fold_val);
} folds SEC(".maps");

/* One element per CPU, never written: its addresses give the per-CPU offsets (mib.bpf.c). */
RT_SHARED struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} cpu_anchor SEC(".maps");

/* The kernel's listen counters as last credited, per netns and CPU. */
RT_SHARED struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct rt_mib_key);
	__type(value, struct rt_mib_vals);
} mib_seen SEC(".maps");

/*
 * Under a filter other than --netns: the netns in which the filter selected
 * a listener (start-up scan, listen()) or a listener queue event
 * (rt_report_queue()). Their increments no event claimed go in the totals
 * as unattributed, as those found by an event there do (mib.bpf.h
 * unattributed_unfiltered()); elsewhere they are another listener's. A
 * hash, not an LRU: a netns marked stays marked (4096 netns a run).
 */
RT_SHARED struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u8);
} filter_selected_netns SEC(".maps");

/* TcpOutRsts per netns against the resets seen there (mib.bpf.c). */
RT_SHARED struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct rt_rst_mib);
} rst_mib SEC(".maps");

/* Per fold key without epoch: is its storm going on, how much was streamed. */
RT_SHARED struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, struct rt_fold_key);
	__type(value, struct rt_fold_recent);
} fold_recent SEC(".maps");

/*
 * The counters are per CPU, yet added to atomically: a program in process
 * context can be interrupted by a softirq whose program adds to the same
 * counter on the same CPU, and a plain read-add-write would lose one of
 * the two. A locked add on a CPU-local line costs a few nanoseconds.
 */
static __always_inline void count_n(__u32 idx, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	if (v)
		__sync_fetch_and_add(v, n);
}

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	if (v)
		__sync_fetch_and_add(v, 1);
}

static __always_inline void add_reason(__u32 type, __u32 reason, __s64 delta)
{
	__u32 idx = type * RT_MAX_REASONS + (reason < RT_MAX_REASONS ? reason : RT_MAX_REASONS - 1);
	__u64 *v = bpf_map_lookup_elem(&reason_counts, &idx);

	if (v)
		__sync_fetch_and_add(v, delta);
}

static __always_inline void count_reason(__u32 type, __u32 reason)
{
	add_reason(type, reason, 1);
}

/* Takes back a count made earlier on this same CPU, so per-CPU sums stay exact. */
static __always_inline void uncount(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	if (v)
		__sync_fetch_and_sub(v, 1);
}

#endif /* RSTTRACE_MAPS_BPF_H */
