/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The event ABI shared by the BPF programs and the loader.
 *
 * Every struct has explicit sizes and padding so that clang -target bpf and
 * the host compiler agree on the layout; the _Static_asserts at the bottom
 * keep it that way.
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
	RT_EV_MAX,
};

#define RT_EVM(type) (1u << (type))
#define RT_EVM_ALL                                                                                 \
	(RT_EVM(RT_EV_RST_SENT) | RT_EVM(RT_EV_RST_RECEIVED) | RT_EVM(RT_EV_LISTEN_OVERFLOW) |     \
	 RT_EVM(RT_EV_SYN_QUEUE_OVERFLOW))

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
#define RT_F_LISTENER	   (1u << 1) /* listener is valid */
#define RT_F_ADDR_FROM_SKB (1u << 2) /* 4-tuple parsed from the packet */
#define RT_F_ACTIVE	   (1u << 3) /* active reset (no packet): process or timer context */
#define RT_F_ACCEPTQ_FULL  (1u << 4) /* listener accept queue was over its limit */
#define RT_F_PREV_STATE	   (1u << 5) /* prev_state is valid */
#define RT_F_LOCAL_ABORT   (1u << 6) /* rst_sent ABORT_ON_DATA paired with a local tcp_reset() */
#define RT_F_NO_REASON	   (1u << 7) /* the kernel gives no reason (tracepoint without one) */
#define RT_F_LISTENER_BY_PORT                                                                      \
	(1u << 8) /* listener found by netns+port, not by the packet's socket */
#define RT_F_LINKED	     (1u << 9)	/* link holds the overflow this reset follows */
#define RT_F_CLOSED_LISTENER (1u << 10) /* closed holds a listener that closed on this port */
#define RT_F_UNREAD	     (1u << 11) /* unread_bytes is valid */
#define RT_F_STATE_AGE	     (1u << 12) /* state_age_ns is valid */
#define RT_F_SYNCOOKIES	     (1u << 13) /* syn_queue_overflow: a syncookie was sent instead */
#define RT_F_OWNER_CLOSED    (1u << 14) /* owner had already closed the socket (TIME_WAIT) */

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

struct rt_listener {
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
	__u8 path;	/* enum rt_overflow_path */
	__u32 ctx_tgid; /* current task: meaningful only for RT_F_ACTIVE events */
	__u32 ctx_pid;
	char ctx_comm[RT_COMM_LEN];
	struct rt_owner owner;
	struct rt_listener listener;
	struct rt_link link;
	struct rt_closed closed;
	__u64 state_age_ns; /* time since the socket entered 'state' */
	__u32 unread_bytes; /* received but not read by the owner (ABORT_ON_CLOSE) */
	__u32 repeat;	    /* overflow events: overflows of this flow so far */
};

/* Per-socket state kept by BPF: owner and the state before the last change. */
struct rt_sock_info {
	struct rt_owner owner;
	__u64 state_ts; /* CLOCK_BOOTTIME of the last state change, 0 if unseen */
	__u8 last_oldstate;
	__u8 is_listener;
	__u8 pad[6];
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

/* Per listener overflow totals, for the summary. */
struct rt_listener_stats {
	__u64 overflows[4]; /* by enum rt_overflow_path */
	__u64 syn_queue_overflows;
	__u32 max_accept_qlen;
	__u32 accept_qmax;
	__u32 owner_tgid;
	__u16 port;
	__u8 family;
	__u8 pad;
	__u8 addr[16];
	char owner_comm[RT_COMM_LEN];
};

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
	RT_CNT_RATE_LIMITED,  /* not emitted because of --rate-limit, still counted above */
	RT_CNT_SOCKS_ADDED,   /* entries added to / removed from the socket table: */
	RT_CNT_SOCKS_REMOVED, /* with its size they tell how many the LRU evicted */
	RT_CNT_MAX,
};

_Static_assert(sizeof(struct rt_owner) == 48, "rt_owner layout");
_Static_assert(sizeof(struct rt_listener) == 96, "rt_listener layout");
_Static_assert(sizeof(struct rt_event) == 360, "rt_event layout");
_Static_assert(sizeof(struct rt_sock_info) == 64, "rt_sock_info layout");
_Static_assert(sizeof(struct rt_link) == 56, "rt_link layout");
_Static_assert(sizeof(struct rt_closed) == 48, "rt_closed layout");
_Static_assert(sizeof(struct rt_flow_key) == 40, "rt_flow_key layout");
_Static_assert(sizeof(struct rt_listener_stats) == 88, "rt_listener_stats layout");
_Static_assert(sizeof(struct rt_conn_key) == 48, "rt_conn_key layout");
_Static_assert(sizeof(struct rt_scan_rec) == 24, "rt_scan_rec layout");

#endif /* RSTTRACE_H */
