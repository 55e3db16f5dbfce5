// SPDX-License-Identifier: GPL-2.0
#include <stddef.h>
#include "../include/rsttrace.h"
#include "hooks.h"

static const char *no_reasons(const struct probe *p)
{
	(void)p;
	return "kernel before 6.10: resets carry no reason, and resets without a full socket (closed port, TIME_WAIT) are not seen";
}

static const char *ack_path_note(const struct probe *p)
{
	if (p->drop_listen_overflow)
		return NULL;
	return "kernel before 6.15: no ACK-path overflows (no TCP_LISTEN_OVERFLOW drop reason); syncookie overflows are seen";
}

static bool kfree_skb_wanted(const struct probe *p, const struct hook_opts *o, const char **why)
{
	(void)o;
	/* Without the drop reason or the listener argument it could match nothing. */
	if (p->drop_listen_overflow || probe_tp_args(p, "kfree_skb") >= 4)
		return true;
	*why =
	    "kernel before 6.11: kfree_skb names no listener, so no ACK-path or syncookie overflows";
	return false;
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

const struct hook hooks[] = {
    {
	.name = "tcp_send_reset",
	.events = RT_EVM(RT_EV_RST_SENT),
	.gap = "resets sent",
	.cand =
	    {
		{HK_TP_BTF, "tcp_send_reset", 3, "send_reset_btf"},
		{HK_RAW_TP, "tcp_send_reset", 3, "send_reset_raw"},
		{HK_TP_BTF, "tcp_send_reset", 2, "send_reset_btf_noreason", .note = no_reasons},
		{HK_RAW_TP, "tcp_send_reset", 2, "send_reset_raw_noreason", .note = no_reasons},
	    },
    },
    {
	.name = "tcp_receive_reset",
	.events = RT_EVM(RT_EV_RST_RECEIVED),
	.gap = "resets received",
	.cand =
	    {
		{HK_TP_BTF, "tcp_receive_reset", 1, "receive_reset_btf"},
		{HK_RAW_TP, "tcp_receive_reset", 1, "receive_reset_raw"},
	    },
    },
    {
	.name = "kfree_skb",
	.events = RT_EVM(RT_EV_LISTEN_OVERFLOW),
	.gap = "ACK-path and syncookie overflows",
	.wanted = kfree_skb_wanted,
	.cand =
	    {
		{HK_TP_BTF, "kfree_skb", 4, "kfree_skb_btf", .note = ack_path_note},
		{HK_RAW_TP, "kfree_skb", 4, "kfree_skb_raw", .note = ack_path_note},
		{HK_TP_BTF, "kfree_skb", 3, "kfree_skb_btf_norxsk", .note = ack_path_note},
		{HK_RAW_TP, "kfree_skb", 3, "kfree_skb_raw_norxsk", .note = ack_path_note},
	    },
    },
    {
	.name = "consume_skb",
	.events = RT_EVM(RT_EV_LISTEN_OVERFLOW) | RT_EVM(RT_EV_SYN_QUEUE_OVERFLOW),
	.gap = "SYN-path overflows and SYN-queue overflows",
	.wanted = syn_detector_wanted,
	.cand =
	    {
		{HK_TP_BTF, "consume_skb", 2, "consume_skb_btf", .unusable = syn_site_missing},
		{HK_RAW_TP, "consume_skb", 2, "consume_skb_raw", .unusable = syn_site_missing},
	    },
    },
    {
	.name = "inet_sock_set_state",
	.gap = "socket owners and listeners",
	.cand =
	    {
		{HK_TP_BTF, "inet_sock_set_state", 3, "set_state_btf"},
		{HK_RAW_TP, "inet_sock_set_state", 3, "set_state_raw"},
	    },
    },
    {
	.name = "tcp_destroy_sock",
	.gap = "forgetting closed sockets (tables may go stale)",
	.cand =
	    {
		{HK_TP_BTF, "tcp_destroy_sock", 1, "destroy_sock_btf"},
		{HK_RAW_TP, "tcp_destroy_sock", 1, "destroy_sock_raw"},
	    },
    },
    {
	.name = "accept4",
	.gap = "owner refinement at accept4()",
	.cand = {{HK_TRACEPOINT, "syscalls/sys_exit_accept4", 0, "accept4_exit"}},
    },
    {
	.name = "accept",
	.gap = "owner refinement at accept()",
	.cand = {{HK_TRACEPOINT, "syscalls/sys_exit_accept", 0, "accept_exit"}},
    },
    {
	.name = "scan",
	.gap = "owners of sockets older than rsttrace",
	.wanted = scan_wanted,
	.cand = {{HK_ITER, "task_file", 0, "scan_task_file"}},
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
		if (!probe_func(p, c->target))
			return "function missing";
		break;
	case HK_KPROBE:
	case HK_KRETPROBE:
		if (!p->kprobe)
			return "no kprobes in this kernel";
		if (!probe_func(p, c->target))
			return "function missing";
		break;
	case HK_TRACEPOINT:
	case HK_ITER:
		break;
	}
	return c->unusable ? c->unusable(p) : NULL;
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
			/* The first candidate's reason is the informative one. */
			if (!out[i].why)
				out[i].why = why;
		}
		if (out[i].cand >= 0)
			out[i].why = NULL;
	}
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
