// SPDX-License-Identifier: GPL-2.0
/*
 * Hook selection against the BTF shapes of the kernels rsttrace meets:
 * synthetic BTF built here, with what 6.1, 6.12 and 6.18 have, and the trial
 * answers measured on them (fentry and kprobes work in the 6.1/6.12 guests,
 * fentry is refused and kprobes are compiled out on the 6.18 host).
 */
#include <stdio.h>
#include <string.h>
#include <bpf/btf.h>
#include "../../include/rsttrace.h"
#include "hooks.h"
#include "probe.h"
#include "unit.h"

struct shape {
	int send_reset_args;  /* 2 before 6.10 */
	int kfree_skb_args;   /* 3 before 6.11 */
	int consume_skb_args; /* 1 before 6.3 */
	bool rst_reasons, active_reasons, listen_overflow_reason;
};

/* btf_trace_<tp>: a typedef of a pointer to a prototype with ctx + args. */
static void add_tp(struct btf *btf, int int_id, const char *tp, int args)
{
	char name[64];
	int proto, ptr, i;

	if (args < 0)
		return;
	proto = btf__add_func_proto(btf, 0);
	for (i = 0; i <= args; i++)
		btf__add_func_param(btf, "a", int_id);
	ptr = btf__add_ptr(btf, proto);
	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	btf__add_typedef(btf, name, ptr);
}

static void add_func(struct btf *btf, int int_id, const char *fn)
{
	int proto = btf__add_func_proto(btf, int_id);

	btf__add_func(btf, fn, BTF_FUNC_GLOBAL, proto);
}

static void add_enum(struct btf *btf, const char *name, const char *const *values)
{
	int i;

	btf__add_enum(btf, name, 4);
	for (i = 0; values[i]; i++)
		btf__add_enum_value(btf, values[i], i);
}

static struct btf *kernel_btf(const struct shape *s)
{
	static const char *const rst_old[] = {"SK_RST_REASON_NOT_SPECIFIED",
					      "SK_RST_REASON_NO_SOCKET", NULL};
	static const char *const rst_new[] = {"SK_RST_REASON_NOT_SPECIFIED",
					      "SK_RST_REASON_NO_SOCKET",
					      "SK_RST_REASON_TCP_ABORT_ON_CLOSE", NULL};
	static const char *const drop_old[] = {"SKB_DROP_REASON_NOT_SPECIFIED",
					       "SKB_DROP_REASON_NO_SOCKET", NULL};
	static const char *const drop_new[] = {"SKB_DROP_REASON_NOT_SPECIFIED",
					       "SKB_DROP_REASON_NO_SOCKET",
					       "SKB_DROP_REASON_TCP_LISTEN_OVERFLOW", NULL};
	static const char *const funcs[] = {"tcp_v4_send_reset",     "tcp_v6_send_reset",
					    "tcp_send_active_reset", "tcp_v4_syn_recv_sock",
					    "tcp_conn_request",	     NULL};
	struct btf *btf = btf__new_empty();
	int int_id, i;

	int_id = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	add_tp(btf, int_id, "tcp_send_reset", s->send_reset_args);
	add_tp(btf, int_id, "tcp_receive_reset", 1);
	add_tp(btf, int_id, "kfree_skb", s->kfree_skb_args);
	add_tp(btf, int_id, "consume_skb", s->consume_skb_args);
	add_tp(btf, int_id, "inet_sock_set_state", 3);
	add_tp(btf, int_id, "tcp_destroy_sock", 1);
	if (s->rst_reasons)
		add_enum(btf, "sk_rst_reason", s->active_reasons ? rst_new : rst_old);
	add_enum(btf, "skb_drop_reason", s->listen_overflow_reason ? drop_new : drop_old);
	for (i = 0; funcs[i]; i++)
		add_func(btf, int_id, funcs[i]);
	return btf;
}

static const struct shape k61 = {2, 3, 1, false, false, false};
static const struct shape k612 = {3, 4, 2, true, true, false};
static const struct shape k618 = {3, 4, 2, true, true, true};

static const struct hook_cand *chosen(const struct hook_choice *c, const char *name)
{
	int i;

	for (i = 0; i < nr_hooks; i++)
		if (strcmp(c[i].hook->name, name) == 0)
			return hook_chosen(&c[i]);
	return NULL;
}

static const char *why(const struct hook_choice *c, const char *name)
{
	int i;

	for (i = 0; i < nr_hooks; i++)
		if (strcmp(c[i].hook->name, name) == 0)
			return c[i].why;
	return NULL;
}

static void select_on(const struct shape *s, bool fentry, bool kprobe, bool syn_site,
		      const struct hook_opts *o, struct probe *p, struct hook_choice *c)
{
	struct btf *btf = kernel_btf(s);

	probe_from_btf(p, btf);
	btf__free(btf);
	p->fentry = fentry;
	p->kprobe = kprobe;
	p->syn_site = syn_site;
	hooks_select(p, o, c);
}

static void test_hooks_618_host(void)
{
	struct hook_choice c[64];
	struct hook_opts o = {0};
	struct probe p;

	select_on(&k618, false, false, true, &o, &p, c);
	CHECK_INT(probe_tp_args(&p, "tcp_send_reset"), 3);
	CHECK(p.drop_listen_overflow);
	CHECK_STR(chosen(c, "tcp_send_reset") ? chosen(c, "tcp_send_reset")->prog : NULL,
		  "send_reset_btf");
	CHECK_STR(chosen(c, "kfree_skb") ? chosen(c, "kfree_skb")->prog : NULL, "kfree_skb_btf");
	CHECK(chosen(c, "kfree_skb") && chosen(c, "kfree_skb")->note(&p) == NULL);
	CHECK_STR(chosen(c, "consume_skb") ? chosen(c, "consume_skb")->prog : NULL,
		  "consume_skb_btf");
	CHECK_INT(hooks_events(c, nr_hooks), RT_EVM_ALL);
	/* --raw-tp takes the twins. */
	o.raw_tp = true;
	select_on(&k618, false, false, true, &o, &p, c);
	CHECK_STR(chosen(c, "tcp_send_reset") ? chosen(c, "tcp_send_reset")->prog : NULL,
		  "send_reset_raw");
}

static void test_hooks_612(void)
{
	struct hook_choice c[64];
	struct hook_opts o = {0};
	struct probe p;
	const struct hook_cand *k;

	select_on(&k612, true, true, true, &o, &p, c);
	k = chosen(c, "kfree_skb");
	/* Syncookie overflows are seen; ACK-path ones need the 6.15 reason. */
	CHECK(k != NULL);
	CHECK(k && k->note && k->note(&p) != NULL);
	CHECK_INT(hooks_events(c, nr_hooks) & RT_EVM(RT_EV_LISTEN_OVERFLOW),
		  RT_EVM(RT_EV_LISTEN_OVERFLOW));
}

static void test_hooks_61(void)
{
	struct hook_choice c[64];
	struct hook_opts o = {0};
	struct probe p;
	const struct hook_cand *k;

	select_on(&k61, true, true, false, &o, &p, c);
	k = chosen(c, "tcp_send_reset");
	CHECK_STR(k ? k->prog : NULL, "send_reset_btf_noreason");
	CHECK(k && k->note && k->note(&p) != NULL);
	CHECK(chosen(c, "kfree_skb") == NULL);
	CHECK(why(c, "kfree_skb") != NULL);
	/* consume_skb has no call site before 6.3: no candidate fits. */
	CHECK(chosen(c, "consume_skb") == NULL);
}

/* An option switching a hook off is said as such, not as a kernel gap. */
static void test_hooks_options(void)
{
	struct hook_choice c[64];
	struct hook_opts o = {.no_syn_detector = true, .no_scan = true};
	struct probe p;

	select_on(&k618, false, false, true, &o, &p, c);
	CHECK(chosen(c, "consume_skb") == NULL);
	CHECK_CONTAINS(why(c, "consume_skb"), "--no-syn-detector");
	CHECK(chosen(c, "scan") == NULL);
	/* Overflows stay traced: kfree_skb still produces them (the 6.3-6.10 bug). */
	CHECK_INT(hooks_events(c, nr_hooks) & RT_EVM(RT_EV_LISTEN_OVERFLOW),
		  RT_EVM(RT_EV_LISTEN_OVERFLOW));
	/* kptr_restrict hides the SYN call site: say so. */
	o.no_syn_detector = false;
	select_on(&k618, false, false, false, &o, &p, c);
	p.kallsyms_hidden = true;
	hooks_select(&p, &o, c);
	CHECK_CONTAINS(why(c, "consume_skb"), "kptr_restrict");
}

void run_hooks_tests(void)
{
	RUN_TEST(test_hooks_618_host);
	RUN_TEST(test_hooks_612);
	RUN_TEST(test_hooks_61);
	RUN_TEST(test_hooks_options);
}
