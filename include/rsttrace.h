/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The event ABI shared by the BPF programs and the loader.
 *
 * A record in the ring buffer is a struct rt_event followed by the sections
 * its flags announce, in a fixed order per event type (rt_event.size says
 * how many bytes in all): a reset to a closed port is 168 bytes, an
 * overflow 368. Every struct has explicit sizes and padding so that clang
 * -target bpf and the host compiler agree on the layout; the
 * _Static_asserts at the bottom keep it that way.
 */
#ifndef RSTTRACE_H
#define RSTTRACE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define RT_COMM_LEN  16
#define RT_MAX_PORTS 16

/* Event types, also the bit index in the --events mask. */
enum rt_event_type {
	RT_EV_RST_SENT = 1,
	RT_EV_RST_RECEIVED = 2,
	RT_EV_LISTEN_OVERFLOW = 3,
	RT_EV_SYN_QUEUE_OVERFLOW = 4,
	RT_EV_FIREWALL_RST = 5, /* a reset made by a netfilter reject rule, not by TCP */
	/* The client's side (bpf/client.bpf.c): off unless asked for (-e client). */
	RT_EV_CONNECT_RETRY = 6,   /* a connection whose SYN was retransmitted */
	RT_EV_CONNECT_FAILED = 7,  /* connect() failed: refused, timed out, unreachable */
	RT_EV_REQUEST_STALLED = 8, /* first data never acknowledged, retransmitted until the end */
	RT_EV_MAX,
};

#define RT_EVM(type) (1u << (type))
#define RT_EVM_ALL                                                                                 \
	(RT_EVM(RT_EV_RST_SENT) | RT_EVM(RT_EV_RST_RECEIVED) | RT_EVM(RT_EV_LISTEN_OVERFLOW) |     \
	 RT_EVM(RT_EV_SYN_QUEUE_OVERFLOW) | RT_EVM(RT_EV_FIREWALL_RST))
#define RT_EVM_CLIENT                                                                              \
	(RT_EVM(RT_EV_CONNECT_RETRY) | RT_EVM(RT_EV_CONNECT_FAILED) | RT_EVM(RT_EV_REQUEST_STALLED))

/* How an accept-queue overflow was seen. */
enum rt_overflow_path {
	RT_PATH_NONE = 0,
	RT_PATH_ACK = 1,    /* kfree_skb(TCP_LISTEN_OVERFLOW) on the handshake ACK */
	RT_PATH_SYN = 2,    /* SYN consumed while the accept queue was full */
	RT_PATH_COOKIE = 3, /* syncookie ACK dropped on a full accept queue */
};

/* How the owner of a socket was learnt. */
enum rt_owner_source {
	RT_OWN_NONE = 0,
	RT_OWN_LISTEN = 1,   /* the process that called listen() */
	RT_OWN_CONNECT = 2,  /* the process that called connect() */
	RT_OWN_ACCEPT = 3,   /* the process that accept()ed the connection */
	RT_OWN_LISTENER = 4, /* not accepted yet: the listener's owner */
	RT_OWN_SCAN = 5,     /* found holding the socket by the start-up scan */
};

/* rt_event.flags */
#define RT_F_OWNER	   (1u << 0) /* owner is valid */
#define RT_F_LISTENER	   (1u << 1) /* a struct rt_listener section follows */
#define RT_F_ADDR_FROM_SKB (1u << 2) /* 4-tuple parsed from the packet */
#define RT_F_ACTIVE	   (1u << 3) /* active reset (no packet): process or timer context */
#define RT_F_ACCEPTQ_FULL  (1u << 4) /* listener accept queue was over its limit */
#define RT_F_PREV_STATE	   (1u << 5) /* prev_state is valid */
#define RT_F_LOCAL_ABORT                                                                           \
	(1u << 6) /* rst_sent in reply to data after close: took back a tcp_reset() */
#define RT_F_NO_REASON (1u << 7) /* the kernel gives no reason (tracepoint without one) */
#define RT_F_LISTENER_BY_PORT                                                                      \
	(1u << 8) /* listener found by netns+port, not by the packet's socket */
#define RT_F_LINKED	     (1u << 9)	/* a struct rt_link section follows */
#define RT_F_CLOSED_LISTENER (1u << 10) /* a struct rt_closed section follows */
#define RT_F_UNREAD	     (1u << 11) /* unread_bytes is valid */
#define RT_F_STATE_AGE	     (1u << 12) /* state_age_ns is valid */
#define RT_F_SYNCOOKIES	     (1u << 13) /* syn_queue_overflow: a syncookie was sent instead */
#define RT_F_OWNER_CLOSED    (1u << 14) /* owner had already closed the socket (TIME_WAIT) */
#define RT_F_LISTENER_AMBIG  (1u << 15) /* several listeners could be meant: listener is one */
#define RT_F_CONN	     (1u << 16) /* a struct rt_conn section follows */
#define RT_F_CONTEXT	     (1u << 17) /* ctx_*: the task whose system call sent it */

/* rt_conn.outcome: how the connection phase watched ended. */
enum rt_conn_outcome {
	RT_CO_NONE = 0,
	RT_CO_ESTABLISHED = 1, /* connect_retry: the handshake completed after all */
	RT_CO_ERROR = 2,       /* the kernel ended it with an error (rt_conn.err) */
	RT_CO_CLOSED = 3,      /* the application closed it first (e.g. its own timeout) */
	RT_CO_RESET = 4,       /* rst_received: the peer's reset */
};

/* rt_conn.flags */
#define RT_CF_START	 (1u << 0) /* start_ns is valid (connect() was seen) */
#define RT_CF_LAST_SEND	 (1u << 1) /* last_send_ms is valid */
#define RT_CF_LAST_RECV	 (1u << 2) /* last_recv_ms is valid (data was received) */
#define RT_CF_APP_CLOSED (1u << 3) /* reset after close(): the application saw no error */
/*
 * A listener's reset where tcp_v{4,6}_syn_recv_sock() is hooked: whether it
 * answers the handshake ACK that function just refused (the abort_on_overflow
 * reset) or another segment (a client's data behind it). Only pre-6.10
 * reason derivation needs it.
 */
#define RT_F_OVERFLOW_SKB_KNOWN (1u << 18)
#define RT_F_OVERFLOW_SKB	(1u << 19)

/* rt_event.sk_bits: the socket at the time of an active reset. */
#define RT_SK_LOCKED  (1u << 0) /* owned by a system call (lock_sock): not a timer */
#define RT_SK_ORPHAN  (1u << 1) /* SOCK_DEAD: closed by every process that held it */
#define RT_SK_SHUT    (1u << 2) /* sk_shutdown is SHUTDOWN_MASK: close() is running */
#define RT_SK_LINGER0 (1u << 3) /* SO_LINGER with a zero timeout */
#define RT_SK_PROBES  (1u << 4) /* keepalive or zero-window probes were outstanding */

/* rt_listener.flags */
#define RT_LF_OWNER (1u << 0)

struct rt_owner {
	__u64 cgroup_id;
	__u64 start_ns; /* group leader's start_boottime: tells pid reuse from the owner */
	__u32 tgid;
	__u32 pid;
	char comm[RT_COMM_LEN];
	__u8 source;  /* enum rt_owner_source */
	__u8 sharers; /* processes seen holding the socket by the scan, capped at 255 */
	__u8 pad[6];
};

/*
 * The listen() call that set a listener's limit, as bpf/listen.bpf.c saw it
 * (ts_ns 0: the listener is older than rsttrace, the call is unknown).
 */
struct rt_listen_call {
	__u64 ts_ns;	 /* CLOCK_BOOTTIME when listen() returned */
	__s32 backlog;	 /* the argument the application passed */
	__u32 somaxconn; /* net.core.somaxconn that listen() compared it with */
	__u32 limit;	 /* sk_max_ack_backlog it set: min(backlog, somaxconn) */
	__u32 tgid;	 /* the process that called it */
};

/*
 * One burst of accept-queue overflows on a listener: overflows less than
 * RT_BURST_GAP_NS apart. Connections, not drops: a connection counts once
 * however often its SYN or ACK is retransmitted into the full queue.
 */
struct rt_burst {
	__u64 start_ns;	 /* first overflow of the burst (0: none yet) */
	__u64 last_ns;	 /* latest overflow */
	__u64 end_ns;	 /* latest overflow, handshake or accept() counted in the burst */
	__u64 arrive_ns; /* latest arrival of a new connection: its first overflow, or queued */
	__u32 arrived;	 /* new connections by then: overflowed, or queued without overflowing */
	__u32 arrive_accepted; /* accept()s by then: the accept rate while they arrived */
	__u32 overflowed;      /* distinct connections that overflowed */
	__u32 pending;	       /* of them, not (yet) in the accept queue */
	__u32 peak;	       /* most connections waiting or dropped at once: queue + pending */
	__u32 queued;	       /* handshakes that entered the accept queue during the burst */
	__u32 accepted;	       /* connections accept()ed from it during the burst */
	__u32 limit;	       /* sk_max_ack_backlog at the latest overflow */
	__u32 somaxconn;       /* net.core.somaxconn of the netns then */
	__u32 nr;	       /* bursts on this listener so far, this one included */
};

/* Overflows of one listener closer together than this are one burst. */
#define RT_BURST_GAP_NS (10ull * 1000000000)

/* Per listener (bpf/listen.bpf.c, keyed by its sk): its listen() and its bursts. */
struct rt_listener_limits {
	struct rt_listen_call call;
	struct rt_burst cur;   /* the latest burst */
	struct rt_burst worst; /* the burst with the highest peak */
};

struct rt_listener {
	__u64 sk;      /* kernel address: tells listeners of one port apart */
	__u8 addr[16]; /* IPv4 in the first 4 bytes when family is AF_INET */
	__u16 port;    /* host order */
	__u8 family;
	__u8 pad0;
	__u32 accept_qlen;	/* sk_ack_backlog */
	__u32 accept_qmax;	/* sk_max_ack_backlog */
	__u32 syn_qlen;		/* icsk_accept_queue.qlen */
	__u32 drops;		/* sk_drops */
	__u32 flags;		/* RT_LF_* */
	__u32 somaxconn;	/* net.core.somaxconn of the listener's netns */
	__u8 abort_on_overflow; /* net.ipv4.tcp_abort_on_overflow there */
	__u8 syncookies;	/* net.ipv4.tcp_syncookies there */
	__u16 pad1;
	struct rt_owner owner;
	struct rt_listen_call call; /* what listen() asked (call.ts_ns 0: unknown) */
	struct rt_burst burst;	    /* the burst this event belongs to, so far */
};

/* An accept-queue overflow of one flow, remembered to explain what follows. */
struct rt_link {
	__u64 ts_ns;   /* first overflow of this episode */
	__u64 last_ns; /* latest overflow */
	__u32 accept_qlen;
	__u32 accept_qmax;
	__u32 count; /* overflows of this flow in the episode */
	__u32 listener_tgid;
	__u16 listener_port;
	__u8 path; /* enum rt_overflow_path */
	__u8 pad[5];
	char listener_comm[RT_COMM_LEN];
};

/* A listener that closed: explains NO_SOCKET resets during a restart. */
struct rt_closed {
	__u64 closed_ns;
	__u8 addr[16];
	__u16 port;
	__u8 family;
	__u8 pad;
	__u32 owner_tgid;
	char owner_comm[RT_COMM_LEN];
};

/*
 * A client connection as its own socket saw it: what the application sent
 * and got, how often the kernel retransmitted, the errno it was handed.
 */
struct rt_conn {
	__u64 start_ns;		/* connect(): SYN_SENT entered */
	__u64 first_retrans_ns; /* first retransmission of the SYN or of the unacked data */
	__u64 bytes_sent;	/* tcp_sock counters (RFC 4898), retransmissions included */
	__u64 bytes_acked;	/* the SYN counts 1 */
	__u64 bytes_received;
	__u32 syn_retries;   /* SYN retransmissions */
	__u32 data_retries;  /* retransmissions of data never acknowledged */
	__u32 total_retrans; /* every retransmission of the connection */
	__u32 last_send_ms;  /* since data was last sent */
	__u32 last_recv_ms;  /* since data was last received */
	__s32 err;	     /* errno the kernel set for the application (sk_err), 0 none */
	__u8 outcome;	     /* enum rt_conn_outcome */
	__u8 fin_received;   /* the peer had closed its side */
	__u8 flags;	     /* RT_CF_* */
	__u8 pad;
	__u32 srtt_us; /* smoothed round-trip time, 0 before the first sample */
};

/* A server as its clients in one netns see it: the summary's endpoint table (-e client). */
struct rt_endpoint_key {
	__u32 netns;
	__u16 port;
	__u8 family;
	__u8 pad;
	__u8 addr[16];
};

#define RT_LAT_BUCKETS 25
struct rt_endpoint_stats {
	__u64 attempts;	   /* connect()s: SYN_SENT entered */
	__u64 established; /* of them, handshakes completed */
	__u64 failed;	   /* ended in CLOSE: an errno, or closed by the application */
	__u64 syn_retries;
	__u64 stalled; /* request_stalled */
	__u64 resets;  /* resets received by its client connections */
	/* connect() to ESTABLISHED: bucket i holds [2^i, 2^(i+1)) microseconds, the last all above
	 */
	__u64 latency[RT_LAT_BUCKETS];
	__u64 pad1;
};

/* The part every record has; sections follow (see rt_event_layout()). */
struct rt_event {
	__u64 ts_ns;	/* CLOCK_BOOTTIME */
	__u64 sk;	/* kernel address of the socket, 0 when none */
	__u32 type;	/* enum rt_event_type */
	__u32 flags;	/* RT_F_* */
	__u32 netns;	/* network namespace inode */
	__u32 reason;	/* raw kernel enum value: sk_rst_reason or skb_drop_reason */
	__u8 laddr[16]; /* local side = the side that sent the RST or owns the listener */
	__u8 raddr[16];
	__u16 lport; /* host order */
	__u16 rport;
	__u8 family; /* AF_INET or AF_INET6, v4-mapped already folded to AF_INET */
	__u8 state;  /* TCP state of sk, 0 when there is no socket */
	__u8 prev_state;
	__u8 path;    /* enum rt_overflow_path */
	__u16 size;   /* bytes of the record, sections included */
	__u8 sk_bits; /* RT_SK_* */
	__u8 pad0;
	__u32 ctx_tgid; /* current task: meaningful only for RT_F_ACTIVE events */
	__u32 ctx_pid;
	char ctx_comm[RT_COMM_LEN];
	__u32 unread_bytes; /* received but not read by the owner (ABORT_ON_CLOSE) */
	struct rt_owner owner;
	__u64 state_age_ns; /* time since the socket entered 'state' */
	__u32 repeat;	    /* overflow events: overflows of this flow so far */
	__u32 pad1;
};

/*
 * Section order: resets sent and queue events carry listener, link, closed
 * (a prefix: a record holds the sections up to the last one it needs, and
 * its flags say which are valid); resets received carry only link.
 */
#define RT_SZ_BASE     ((__u16)sizeof(struct rt_event))
#define RT_SZ_LISTENER (RT_SZ_BASE + (__u16)sizeof(struct rt_listener))
#define RT_SZ_LINK     (RT_SZ_LISTENER + (__u16)sizeof(struct rt_link))
#define RT_SZ_CLOSED   (RT_SZ_LINK + (__u16)sizeof(struct rt_closed))
#define RT_SZ_RX_LINK  (RT_SZ_BASE + (__u16)sizeof(struct rt_link))
/* Client-side resets received add the connection after the link; client events carry only it. */
#define RT_SZ_RX_CONN (RT_SZ_RX_LINK + (__u16)sizeof(struct rt_conn))
#define RT_SZ_CONN    (RT_SZ_BASE + (__u16)sizeof(struct rt_conn))
#define RT_SZ_MAX     RT_SZ_CLOSED

/* Per-socket state kept by BPF: owner and the state before the last change. */
struct rt_sock_info {
	struct rt_owner owner;
	__u64 state_ts; /* CLOCK_BOOTTIME of the last state change, 0 if unseen */
	__u64 parent;	/* accepted children: the listener they were queued on */
	__u8 last_oldstate;
	__u8 is_listener;
	__u8 port_shared; /* children: more than one listener could take them */
	__u8 pad[5];
	__u64 born_ns; /* connect(): SYN_SENT entered, 0 if unseen */
};

/* A connection as the listener sees it: local = listener side. */
struct rt_flow_key {
	__u8 laddr[16];
	__u8 raddr[16];
	__u16 lport;
	__u16 rport;
	__u32 family;
};

struct rt_listener_key {
	__u32 netns;
	__u16 port;
	__u16 pad;
};

/* Listeners of one netns and port: SO_REUSEPORT groups and several bind addresses. */
#define RT_PORT_LISTENERS 4
struct rt_port_listeners {
	__u64 sk[RT_PORT_LISTENERS];
};

/* A connection in one netns: finds the owner of a socket that is gone. */
struct rt_conn_key {
	struct rt_flow_key flow;
	__u32 netns;
	__u32 pad;
};

/* One record written by the start-up scan iterator per (process, TCP socket). */
struct rt_scan_rec {
	__u64 sk;
	__u32 tgid;
	__u32 netns;
	__u8 state;
	__u8 family;
	__u16 lport;
	__u32 new_owner; /* 1 when this record created the owner entry */
};

/* reason_counts index: type * RT_MAX_REASONS + min(reason, RT_MAX_REASONS - 1). */
#define RT_MAX_REASONS 128
/*
 * Resets sent without a kernel reason (before 6.10) are counted in this
 * slot: userspace counts them again by the reason it derives for their
 * records, which is what the summary and the metrics show.
 */
#define RT_REASON_NONE (RT_MAX_REASONS - 1)

/* Per listener overflow totals, for the summary; keyed by the listener's sk. */
struct rt_listener_stats {
	__u64 overflows[4]; /* by enum rt_overflow_path */
	__u64 syn_queue_overflows;
	__u32 max_accept_qlen;
	__u32 accept_qmax;
	__u32 owner_tgid;
	__u32 netns;
	__u16 port;
	__u8 family;
	__u8 pad;
	__u8 addr[16];
	char owner_comm[RT_COMM_LEN];
	__u32 pad1;
};

/*
 * How long accepted connections waited in a listener's accept queue: from
 * the handshake completing (the child's SYN_RECV -> ESTABLISHED, right
 * after inet_csk_reqsk_queue_add()) to accept() returning it. Keyed by the
 * listener's sk (bpf/listen.bpf.c). Buckets: 0 is under 2^RT_WAIT_MIN_SHIFT
 * ns; then RT_WAIT_SUB linear sub-buckets per power of two, so a bucket is
 * at most 1/16 of its lower bound wide (a quantile taken from them is off by
 * 6.25% at most); the last one holds the rest (the maximum stays exact).
 */
#define RT_WAIT_MIN_SHIFT 10 /* 1.024 us */
#define RT_WAIT_SUB_BITS  4
#define RT_WAIT_SUB	  (1 << RT_WAIT_SUB_BITS)
#define RT_WAIT_OCTAVES	  26 /* up to 2^36 ns, 68.7 s */
#define RT_WAIT_BUCKETS	  (2 + RT_WAIT_OCTAVES * RT_WAIT_SUB)

struct rt_accept_wait {
	__u64 accepted; /* accept()s whose wait is in the buckets: their sum, set by userspace */
	__u64 unknown;	/* accept()s of connections whose handshake time was not known */
	__u64 sum_ns;
	__u64 max_ns;
	__u64 first_ns; /* first and latest accept(), CLOCK_BOOTTIME */
	__u64 last_ns;
	__u32 buckets[RT_WAIT_BUCKETS];
};

/* The bucket of a wait of ns nanoseconds. */
static inline __u32 rt_wait_bucket(__u64 ns)
{
	__u32 k = 0;
	__u64 v = ns;

	if (ns < (1ull << RT_WAIT_MIN_SHIFT))
		return 0;
	if (v >> 32) {
		v >>= 32;
		k += 32;
	}
	if (v >> 16) {
		v >>= 16;
		k += 16;
	}
	if (v >> 8) {
		v >>= 8;
		k += 8;
	}
	if (v >> 4) {
		v >>= 4;
		k += 4;
	}
	if (v >> 2) {
		v >>= 2;
		k += 2;
	}
	if (v >> 1)
		k += 1;
	/* k = floor(log2(ns)) >= RT_WAIT_MIN_SHIFT */
	if (k >= RT_WAIT_MIN_SHIFT + RT_WAIT_OCTAVES)
		return RT_WAIT_BUCKETS - 1;
	return 1 + (k - RT_WAIT_MIN_SHIFT) * RT_WAIT_SUB +
	       (__u32)((ns >> (k - RT_WAIT_SUB_BITS)) & (RT_WAIT_SUB - 1));
}

/*
 * In-kernel folding. Identical events (same type, reason, netns, owner,
 * state, listener and service endpoint: never the client's ephemeral port)
 * are streamed while a key is new, then only counted per epoch; userspace
 * flips the epoch every second, waits out the programs still running on the
 * old one, and turns each old entry into one record with its count.
 */
struct rt_fold_key {
	__u32 epoch;
	__u32 type;
	__u32 netns;
	__u32 reason;
	__u32 owner_tgid;
	__u32 flags; /* the RT_F_* that change what the event means */
	__u64 listener;
	__u8 svc_addr[16]; /* the service's end: listener or server */
	__u16 svc_port;
	__u8 family;
	__u8 state;
	__u8 prev_state;
	__u8 path;
	__u8 pad[2];
};

struct rt_fold_val {
	__u64 count; /* events folded here, not streamed */
	__u64 first_ns;
	__u64 last_ns;
	__u32 streamed; /* events of this key streamed in its storm so far */
	/*
	 * The sample was a reset received that was taken back (the kernel's
	 * own tcp_reset(), see bpf/local_abort.bpf.h) while other events
	 * stayed folded: the next folded event rewrites it. Still set when
	 * the entry is flushed: the sample is not one of the events counted.
	 */
	__u32 resample;
	/* The first folded event, as it would have been streamed. */
	struct rt_event sample;
	struct rt_listener listener;
	struct rt_link link;
	struct rt_closed closed;
	struct rt_conn conn;
};

/* Per key across epochs: is its storm still going on, how much of it was streamed. */
struct rt_fold_recent {
	__u64 last_ns;
	__u32 streamed;
	__u32 pad;
};

/* The kernel's listen counters on one CPU of one netns, as last credited to events. */
struct rt_mib_key {
	__u32 netns;
	__u32 cpu;
};

struct rt_mib_vals {
	__u64 v[3];    /* ListenOverflows, TCPReqQFullDrop, TCPReqQFullDoCookies */
	__u64 mib;     /* the netns's per-CPU linux_mib: a new netns on the same inode differs */
	__u64 aged[3]; /* the counters at the last periodic sweep: older than any event */
};

/*
 * A netns's TcpOutRsts against the resets the hooks saw there (bpf/mib.bpf.c):
 * what the kernel counted beyond base + (claimed - claimed_base) + reported
 * was seen by no hook.
 */
struct rt_rst_mib {
	__u64 mib;	    /* the netns's per-CPU tcp_mib: a new netns on the same inode differs */
	__u64 base;	    /* TcpOutRsts when the first reset or sweep found the netns */
	__u64 claimed;	    /* resets sent that a hook saw since */
	__u64 claimed_base; /* claims before a reused inode's new baseline */
	__u64 aged;	    /* TcpOutRsts at the last periodic sweep */
	__u64 reported;	    /* counted as unattributed */
	__u64 closed;	    /* TcpOutRsts when a listener there was last destroyed */
	__u64 closed_claimed; /* and the claims then */
};

/* What a sweep of the kernel's counters looks at (bpf/mib.bpf.c, user/mib_sweep.c). */
#define RT_SWEEP_AGED	1 /* only what the previous periodic sweep had counted (else all) */
#define RT_SWEEP_RESETS 2 /* TcpOutRsts too: never while a reset may be half-way */
#define RT_SWEEP_SETTLE 4 /* at exit: every netns ever baselined, also one no socket holds */

/* Indexes into the per-CPU counters map. */
enum rt_counter {
	RT_CNT_RST_SENT = 0,
	RT_CNT_RST_RECEIVED,
	RT_CNT_LISTEN_OVERFLOW, /* all paths; each path below too */
	RT_CNT_OVERFLOW_SYN,
	RT_CNT_OVERFLOW_ACK,
	RT_CNT_OVERFLOW_COOKIE,
	RT_CNT_SYN_QUEUE_OVERFLOW,
	RT_CNT_LOST,	      /* ring buffer full */
	RT_CNT_RATE_LIMITED,  /* obsolete, kept at 0 for the ABI */
	RT_CNT_SOCKS_ADDED,   /* entries added to / removed from the socket table: */
	RT_CNT_SOCKS_REMOVED, /* with its size they tell how many the LRU evicted */
	RT_CNT_FOLDED,	      /* events counted into a fold entry instead of streamed */
	RT_CNT_FOLD_FULL,     /* events streamed because the fold table was full */
	RT_CNT_FIREWALL_RST,  /* resets made by netfilter reject rules */
	/*
	 * Counted by the kernel (its counter moved) where no event could be
	 * tied to it: in the totals above, in no record's count.
	 */
	RT_CNT_UNATTRIB_OVERFLOW,
	RT_CNT_UNATTRIB_SYNQ,
	RT_CNT_CONNECT_RETRY, /* client events, like the first ones above */
	RT_CNT_CONNECT_FAILED,
	RT_CNT_REQUEST_STALLED,
	RT_CNT_SYN_RETRANS,	  /* SYN retransmissions of traced sockets: TcpExtTCPSynRetrans */
	RT_CNT_CLIENT_TABLE_FULL, /* watched connections the client table evicted */
	/*
	 * Of the unattributed above, those found while the SYN detector was
	 * not attached (armed on pressure, docs/design.md): SYN-path and
	 * SYN-queue overflows it was not there to see.
	 */
	RT_CNT_DISARMED_OVERFLOW,
	RT_CNT_DISARMED_SYNQ,
	/* Resets the kernel counted in TcpOutRsts that no hook saw (in RT_CNT_RST_SENT too). */
	RT_CNT_UNATTRIB_RST,
	RT_CNT_MAX,
};

_Static_assert(sizeof(struct rt_owner) == 48, "rt_owner layout");
_Static_assert(sizeof(struct rt_listen_call) == 24, "rt_listen_call layout");
_Static_assert(sizeof(struct rt_burst) == 72, "rt_burst layout");
_Static_assert(sizeof(struct rt_listener) == 200, "rt_listener layout");
_Static_assert(sizeof(struct rt_event) == 168, "rt_event layout");
_Static_assert(sizeof(struct rt_conn) == 72, "rt_conn layout");
_Static_assert(sizeof(struct rt_endpoint_key) == 24, "rt_endpoint_key layout");
_Static_assert(sizeof(struct rt_endpoint_stats) == 256, "rt_endpoint_stats layout");
_Static_assert(sizeof(struct rt_sock_info) == 80, "rt_sock_info layout");
_Static_assert(sizeof(struct rt_link) == 56, "rt_link layout");
_Static_assert(sizeof(struct rt_closed) == 48, "rt_closed layout");
_Static_assert(sizeof(struct rt_flow_key) == 40, "rt_flow_key layout");
_Static_assert(sizeof(struct rt_listener_stats) == 96, "rt_listener_stats layout");
_Static_assert(sizeof(struct rt_conn_key) == 48, "rt_conn_key layout");
_Static_assert(sizeof(struct rt_rst_mib) == 64, "rt_rst_mib layout");
_Static_assert(sizeof(struct rt_scan_rec) == 24, "rt_scan_rec layout");
_Static_assert(sizeof(struct rt_fold_key) == 56, "rt_fold_key layout");
_Static_assert(sizeof(struct rt_accept_wait) == 48 + 4 * RT_WAIT_BUCKETS, "rt_accept_wait layout");

#endif /* RSTTRACE_H */
