// SPDX-License-Identifier: GPL-2.0
#include <stddef.h>
#include <string.h>
#include "../include/rsttrace.h"
#include "hooks.h"

static const char *derived_reasons(const struct probe *p)
{
	(void)p;
	return "kernel before 6.10: resets carry no reason; rsttrace derives it from the socket (reason_source \"derived\")";
}

static const char *by_counter(const struct probe *p)
{
	(void)p;
	return "kernel before 6.15 without fentry or kprobes: a dropped ACK is an ACK-path overflow when the kernel's ListenOverflows counter moved for it on its CPU (flag no_reason)";
}

static const char *needs_listen_overflow_reason(const struct probe *p)
{
	return p->drop_listen_overflow ? NULL : "no TCP_LISTEN_OVERFLOW drop reason (6.15+)";
}

/* Before 6.10 the tracepoint misses resets without a full socket: hook the functions. */
static bool passive_wanted(const struct probe *p, const struct hook_opts *o, const char **why)
{
	(void)o;
	(void)why; /* not needed from 6.10: the tracepoint sees every reset, nothing is missing */
	return probe_tp_args(p, "tcp_send_reset") < 3;
}

static const char *syn_site_missing(const struct probe *p)
{
	if (p->syn_site)
		return NULL;
	if (p->kallsyms_hidden)
		return "/proc/kallsyms hides kernel addresses (kernel.kptr_restrict): run as root with kptr_restrict < 2 to see SYN-path overflows";
	return "tcp_rcv_state_process is not in /proc/kallsyms";
}

static bool syn_detector_wanted(const struct probe *p, const struct hook_opts *o, const char **why)
{
	(void)p;
	if (o->no_syn_detector) {
		*why = "--no-syn-detector: no SYN-path or SYN-queue overflows";
		return false;
	}
	return true;
}

static bool scan_wanted(const struct probe *p, const struct hook_opts *o, const char **why)
{
	(void)p;
	if (o->no_scan) {
		*why = "--no-scan: sockets older than rsttrace have no owner";
		return false;
	}
	return true;
}

/* Client events cost a hook on every retransmission: attached only when asked for. */
static bool client_wanted(const struct probe *p, const struct hook_opts *o, const char **why)
{
	(void)p;
	(void)why; /* not asked for: nothing is missing */
	return o->client;
}

#define OVERFLOW_EVENTS (RT_EVM(RT_EV_LISTEN_OVERFLOW) | RT_EVM(RT_EV_SYN_QUEUE_OVERFLOW))

const struct hook hooks[] = {
    {
	.name = "tcp_send_reset",
	.events = RT_EVM(RT_EV_RST_SENT),
	.gap = "resets sent",
	.cand =
	    {
		{.kind = HK_TP_BTF,
		 .target = "tcp_send_reset",
		 .args = 3,
		 .prog = "send_reset_btf"},
		{.kind = HK_RAW_TP,
		 .target = "tcp_send_reset",
		 .args = 3,
		 .prog = "send_reset_raw"},
		{.kind = HK_TP_BTF,
		 .target = "tcp_send_reset",
		 .args = 2,
		 .prog = "send_reset_btf_noreason",
		 .note = derived_reasons},
		{.kind = HK_RAW_TP,
		 .target = "tcp_send_reset",
		 .args = 2,
		 .prog = "send_reset_raw_noreason",
		 .note = derived_reasons},
	    },
    },
    {
	.name = "tcp_v4_send_reset",
	.events = RT_EVM(RT_EV_RST_SENT),
	.gap = "resets without a full socket (closed port, TIME_WAIT)",
	.wanted = passive_wanted,
	.cand =
	    {
		{.kind = HK_FENTRY,
		 .target = "tcp_v4_send_reset",
		 .args = 0,
		 .prog = "send_reset_v4_fentry",
		 .more = {"send_reset_v6_fentry"},
		 .more_target = {"tcp_v6_send_reset"},
		 .sets = HOOK_SETS_PASSIVE_FROM_FUNC},
		{.kind = HK_KPROBE,
		 .target = "tcp_v4_send_reset",
		 .args = 0,
		 .prog = "send_reset_v4_kprobe",
		 .more = {"send_reset_v6_kprobe"},
		 .more_target = {"tcp_v6_send_reset"},
		 .sets = HOOK_SETS_PASSIVE_FROM_FUNC},
	    },
    },
    {
	.name = "tcp_receive_reset",
	.events = RT_EVM(RT_EV_RST_RECEIVED),
	.gap = "resets received",
	.cand =
	    {
		{.kind = HK_TP_BTF,
		 .target = "tcp_receive_reset",
		 .args = 1,
		 .prog = "receive_reset_btf"},
		{.kind = HK_RAW_TP,
		 .target = "tcp_receive_reset",
		 .args = 1,
		 .prog = "receive_reset_raw"},
	    },
    },
    {
	/*
	 * The handshake ACK and syncookie paths: exact and cheap by the 6.15
	 * drop reason; else where the kernel returns NULL for a full queue;
	 * else, tracepoints only, the cookie path alone.
	 */
	.name = "ack_overflow",
	.events = RT_EVM(RT_EV_LISTEN_OVERFLOW),
	.gap = "ACK-path and syncookie overflows",
	.cand =
	    {
		{.kind = HK_TP_BTF,
		 .target = "kfree_skb",
		 .args = 4,
		 .prog = "kfree_skb_btf",
		 .unusable = needs_listen_overflow_reason},
		{.kind = HK_RAW_TP,
		 .target = "kfree_skb",
		 .args = 4,
		 .prog = "kfree_skb_raw",
		 .unusable = needs_listen_overflow_reason},
		{.kind = HK_FEXIT,
		 .target = "tcp_v4_syn_recv_sock",
		 .args = 0,
		 .prog = "syn_recv_v4_fexit",
		 .more = {"syn_recv_v6_fexit"},
		 .more_target = {"tcp_v6_syn_recv_sock"},
		 .sets = HOOK_SETS_ACK_OVERFLOW_FROM_FUNC},
		{.kind = HK_KPROBE,
		 .target = "tcp_v4_syn_recv_sock",
		 .args = 0,
		 .prog = "syn_recv_v4_kprobe",
		 .more = {"syn_recv_v4_kretprobe", "syn_recv_v6_kprobe", "syn_recv_v6_kretprobe"},
		 .more_target = {"tcp_v4_syn_recv_sock", "tcp_v6_syn_recv_sock",
				 "tcp_v6_syn_recv_sock"},
		 .sets = HOOK_SETS_ACK_OVERFLOW_FROM_FUNC},
		{.kind = HK_TP_BTF,
		 .target = "kfree_skb",
		 .args = 4,
		 .prog = "kfree_skb_btf",
		 .note = by_counter,
		 .sets = HOOK_SETS_ACK_OVERFLOW_BY_COUNTER,
		 .needs = "syn_overflow"},
		{.kind = HK_RAW_TP,
		 .target = "kfree_skb",
		 .args = 4,
		 .prog = "kfree_skb_raw",
		 .note = by_counter,
		 .sets = HOOK_SETS_ACK_OVERFLOW_BY_COUNTER,
		 .needs = "syn_overflow"},
		{.kind = HK_TP_BTF,
		 .target = "kfree_skb",
		 .args = 3,
		 .prog = "kfree_skb_btf_norxsk",
		 .note = by_counter,
		 .sets = HOOK_SETS_ACK_OVERFLOW_BY_COUNTER,
		 .needs = "syn_overflow"},
		{.kind = HK_RAW_TP,
		 .target = "kfree_skb",
		 .args = 3,
		 .prog = "kfree_skb_raw_norxsk",
		 .note = by_counter,
		 .sets = HOOK_SETS_ACK_OVERFLOW_BY_COUNTER,
		 .needs = "syn_overflow"},
	    },
    },
    {
	/*
	 * The SYN path and SYN-queue drops: at tcp_conn_request() itself
	 * where fentry exists, else at every freed packet's consume_skb
	 * filtered on its call site.
	 */
	.name = "syn_overflow",
	.events = OVERFLOW_EVENTS,
	.gap = "SYN-path overflows and SYN-queue overflows",
	.wanted = syn_detector_wanted,
	.cand =
	    {
		{.kind = HK_FENTRY,
		 .target = "tcp_conn_request",
		 .args = 0,
		 .prog = "conn_request_fentry",
		 .more = {"conn_request_fexit"},
		 .more_target = {"tcp_conn_request"}},
		{.kind = HK_TP_BTF,
		 .target = "consume_skb",
		 .args = 2,
		 .prog = "consume_skb_btf",
		 .on_pressure = true,
		 .unusable = syn_site_missing},
		{.kind = HK_RAW_TP,
		 .target = "consume_skb",
		 .args = 2,
		 .prog = "consume_skb_raw",
		 .on_pressure = true,
		 .unusable = syn_site_missing},
	    },
    },
    {
	.name = "nf_send_reset",
	.events = RT_EVM(RT_EV_FIREWALL_RST),
	.gap =
	    "resets made by firewall rules (netfilter REJECT with tcp-reset): they need fentry or kprobes, and nf_reject_ipv4 loaded",
	.cand =
	    {
		{.kind = HK_FENTRY,
		 .target = "nf_send_reset",
		 .args = 0,
		 .prog = "nf_reset_v4_fentry",
		 .more = {"nf_reset_v6_fentry"},
		 .more_target = {"nf_send_reset6"}},
		{.kind = HK_KPROBE,
		 .target = "nf_send_reset",
		 .args = 0,
		 .prog = "nf_reset_v4_kprobe",
		 .more = {"nf_reset_v6_kprobe"},
		 .more_target = {"nf_send_reset6"}},
	    },
    },
    {
	/*
	 * SYN and first-data retransmissions of client connections; the state
	 * changes (client_state below) end them and report failed connects.
	 */
	.name = "tcp_retransmit_skb",
	.events = RT_EVM_CLIENT,
	.optional = true,
	.gap = "SYN retries and stalled requests of client connections",
	.wanted = client_wanted,
	.cand =
	    {
		{.kind = HK_TP_BTF,
		 .target = "tcp_retransmit_skb",
		 .args = 3,
		 .prog = "retransmit_btf"},
		{.kind = HK_RAW_TP,
		 .target = "tcp_retransmit_skb",
		 .args = 3,
		 .prog = "retransmit_raw"},
		{.kind = HK_TP_BTF,
		 .target = "tcp_retransmit_skb",
		 .args = 2,
		 .prog = "retransmit_btf_noerr"},
		{.kind = HK_RAW_TP,
		 .target = "tcp_retransmit_skb",
		 .args = 2,
		 .prog = "retransmit_raw_noerr"},
	    },
    },
    {
	/*
	 * The state changes that end a client connection: a program of its own
	 * next to the owners' one (bpf/client.bpf.c says why).
	 */
	.name = "client_state",
	.events = RT_EVM_CLIENT,
	.optional = true,
	.gap = "failed connects and the end of SYN retries and stalled requests",
	.wanted = client_wanted,
	.cand =
	    {
		{.kind = HK_TP_BTF,
		 .target = "inet_sock_set_state",
		 .args = 3,
		 .prog = "client_state_btf"},
		{.kind = HK_RAW_TP,
		 .target = "inet_sock_set_state",
		 .args = 3,
		 .prog = "client_state_raw"},
	    },
    },
    {
	.name = "inet_sock_set_state",
	.gap = "socket owners and listeners",
	.cand =
	    {
		{.kind = HK_TP_BTF,
		 .target = "inet_sock_set_state",
		 .args = 3,
		 .prog = "set_state_btf"},
		{.kind = HK_RAW_TP,
		 .target = "inet_sock_set_state",
		 .args = 3,
		 .prog = "set_state_raw"},
	    },
    },
    {
	.name = "tcp_destroy_sock",
	.gap = "forgetting closed sockets (tables may go stale)",
	.cand =
	    {
		{.kind = HK_TP_BTF,
		 .target = "tcp_destroy_sock",
		 .args = 1,
		 .prog = "destroy_sock_btf"},
		{.kind = HK_RAW_TP,
		 .target = "tcp_destroy_sock",
		 .args = 1,
		 .prog = "destroy_sock_raw"},
	    },
    },
    {
	.name = "accept4",
	.gap = "owner refinement at accept4()",
	.cand = {{.kind = HK_TRACEPOINT,
		  .target = "syscalls/sys_exit_accept4",
		  .args = 0,
		  .prog = "accept4_exit"}},
    },
    {
	.name = "accept",
	.gap = "owner refinement at accept()",
	.cand = {{.kind = HK_TRACEPOINT,
		  .target = "syscalls/sys_exit_accept",
		  .args = 0,
		  .prog = "accept_exit"}},
    },
    {
	.name = "listen",
	.gap = "the backlog applications ask for in listen() (the limit's source stays inferred)",
	.cand = {{.kind = HK_TRACEPOINT,
		  .target = "syscalls/sys_enter_listen",
		  .args = 0,
		  .prog = "listen_enter",
		  .more = {"listen_exit"},
		  .more_target = {"syscalls/sys_exit_listen"}}},
    },
    {
	.name = "scan",
	.gap = "owners of sockets older than rsttrace",
	.wanted = scan_wanted,
	.cand = {{.kind = HK_ITER, .target = "task_file", .args = 0, .prog = "scan_task_file"}},
    },
    {
	.name = "sweep",
	.gap =
	    "sweep of the overflow counters (overflows no event claimed reach the totals only at a later event there)",
	.cand = {{.kind = HK_ITER, .target = "task_file", .args = 0, .prog = "sweep_task_file"}},
    },
};

const int nr_hooks = sizeof(hooks) / sizeof(hooks[0]);

const char *hook_kind_name(enum hook_kind k)
{
	static const char *const names[] = {
	    [HK_TP_BTF] = "tp_btf",	  [HK_RAW_TP] = "raw_tp", [HK_TRACEPOINT] = "tracepoint",
	    [HK_FENTRY] = "fentry",	  [HK_FEXIT] = "fexit",	  [HK_KPROBE] = "kprobe",
	    [HK_KRETPROBE] = "kretprobe", [HK_ITER] = "iter",
	};

	return (unsigned int)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

/* NULL when the candidate can run here, else why not. */
static const char *cand_unfit(const struct hook_cand *c, const struct probe *p,
			      const struct hook_opts *o)
{
	int i;

	switch (c->kind) {
	case HK_TP_BTF:
		if (o->raw_tp)
			return "--raw-tp";
		/* fall through */
	case HK_RAW_TP:
		if (probe_tp_args(p, c->target) < 0)
			return "tracepoint missing";
		if (probe_tp_args(p, c->target) < c->args)
			return "tracepoint has fewer arguments";
		break;
	case HK_FENTRY:
	case HK_FEXIT:
		if (!p->fentry)
			return p->fentry_refused ? "fentry refused by this kernel" : "no fentry";
		if (!probe_fentry(p, c->target))
			return "no fentry on the function";
		for (i = 0; i < HOOK_MAX_MORE && c->more_target[i]; i++)
			if (!probe_fentry(p, c->more_target[i]))
				return "no fentry on the function";
		break;
	case HK_KPROBE:
	case HK_KRETPROBE:
		if (!p->kprobe)
			return "no kprobes in this kernel";
		if (!probe_func(p, c->target))
			return "function missing";
		for (i = 0; i < HOOK_MAX_MORE && c->more_target[i]; i++)
			if (!probe_func(p, c->more_target[i]))
				return "function missing";
		break;
	case HK_TRACEPOINT:
	case HK_ITER:
		break;
	}
	return c->unusable ? c->unusable(p) : NULL;
}

/* Some chosen candidate relies on hook i's work at every packet (its .needs). */
static bool needed_by_other(const struct hook_choice *out, int i)
{
	int j;

	for (j = 0; j < nr_hooks; j++) {
		const struct hook_cand *c = hook_chosen(&out[j]);

		if (c && c->needs && !strcmp(c->needs, out[i].hook->name))
			return true;
	}
	return false;
}

void hooks_select(const struct probe *p, const struct hook_opts *o, struct hook_choice *out)
{
	int i, j;

	for (i = 0; i < nr_hooks; i++) {
		const struct hook *h = &hooks[i];
		const char *why = NULL;

		out[i].hook = h;
		out[i].cand = -1;
		out[i].why = NULL;
		out[i].on_pressure = false;
		if (h->wanted && !h->wanted(p, o, &why)) {
			out[i].why = why;
			continue;
		}
		for (j = 0; j < HOOK_MAX_CANDS && h->cand[j].prog; j++) {
			why = cand_unfit(&h->cand[j], p, o);
			if (!why) {
				out[i].cand = j;
				break;
			}
			/* The last fallback's reason: why even the most basic hook cannot run. */
			out[i].why = why;
		}
		if (out[i].cand >= 0)
			out[i].why = NULL;
	}
	/* Candidates that rely on another hook's work (table order does not matter). */
	for (i = 0; i < nr_hooks; i++) {
		const struct hook_cand *c = hook_chosen(&out[i]);

		for (j = 0; c && c->needs && j < nr_hooks; j++) {
			if (strcmp(out[j].hook->name, c->needs) || out[j].cand >= 0)
				continue;
			out[i].cand = -1;
			out[i].why =
			    "it needs the SYN-path detector on this kernel, which cannot run";
		}
	}
	/*
	 * Armed on pressure unless asked otherwise, or unless a hook that reads
	 * the counter the SYN path credits as it goes relies on it (the ACK
	 * path by counter, before 6.15): with the detector away, it would
	 * claim SYN-path increments for its dropped ACKs.
	 */
	for (i = 0; i < nr_hooks; i++) {
		const struct hook_cand *c = hook_chosen(&out[i]);

		if (c && c->on_pressure && !o->syn_always && !needed_by_other(out, i))
			out[i].on_pressure = true;
	}
}

uint32_t hooks_drop_optional(struct hook_choice *c, int n, const char *why)
{
	uint32_t mask = 0;
	int i;

	for (i = 0; i < n; i++) {
		if (!c[i].hook->optional || c[i].cand < 0)
			continue;
		mask |= c[i].hook->events;
		c[i].cand = -1;
		c[i].why = why;
	}
	return mask;
}

uint32_t hooks_events(const struct hook_choice *c, int n)
{
	uint32_t mask = 0;
	int i;

	for (i = 0; i < n; i++)
		if (c[i].cand >= 0)
			mask |= c[i].hook->events;
	return mask;
}

const struct hook_cand *hook_chosen(const struct hook_choice *c)
{
	return c->cand >= 0 ? &c->hook->cand[c->cand] : NULL;
}
