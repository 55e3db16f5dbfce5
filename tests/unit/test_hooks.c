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
	int retransmit_args; /* 2 before 6.13 */
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
	static const char *const funcs[] = {
	    "tcp_v4_send_reset",
	    "tcp_v6_send_reset",
	    "tcp_send_active_reset",
	    "tcp_v4_syn_recv_sock",
	    "tcp_v6_syn_recv_sock",
	    "tcp_conn_request",
	    NULL,
	};
	struct btf *btf = btf__new_empty();
	int int_id, i;

	int_id = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	add_tp(btf, int_id, "tcp_send_reset", s->send_reset_args);
	add_tp(btf, int_id, "tcp_receive_reset", 1);
	add_tp(btf, int_id, "kfree_skb", s->kfree_skb_args);
	add_tp(btf, int_id, "consume_skb", s->consume_skb_args);
	add_tp(btf, int_id, "inet_sock_set_state", 3);
	add_tp(btf, int_id, "tcp_destroy_sock", 1);
	add_tp(btf, int_id, "tcp_retransmit_skb", s->retransmit_args);
	if (s->rst_reasons)
		add_enum(btf, "sk_rst_reason", s->active_reasons ? rst_new : rst_old);
	add_enum(btf, "skb_drop_reason", s->listen_overflow_reason ? drop_new : drop_old);
	for (i = 0; funcs[i]; i++)
		add_func(btf, int_id, funcs[i]);
	/* enum linux_mib has no name: its enumerators are found by their own names. */
	btf__add_enum(btf, NULL, 4);
	btf__add_enum_value(btf, "LINUX_MIB_NUM", 0);
	btf__add_enum_value(btf, "LINUX_MIB_LISTENOVERFLOWS", 20);
	btf__add_enum_value(btf, "LINUX_MIB_TCPREQQFULLDOCOOKIES", 98);
	btf__add_enum_value(btf, "LINUX_MIB_TCPREQQFULLDROP", 99);
	return btf;
}

static const struct shape k61 = {2, 3, 1, false, false, false, 2};
static const struct shape k612 = {3, 4, 2, true, true, false, 2};
static const struct shape k618 = {3, 4, 2, true, true, true, 3};

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

/* The trial answers: fentry attached to every function in BTF but those in 'refused'. */
static void fentry_trials(struct probe *p, const char *const *refused)
{
	int i, k;

	p->fentry = true;
	for (i = 0; i < p->nr_funcs; i++) {
		if (!p->funcs[i].value)
			continue;
		p->funcs[i].value = 2;
		for (k = 0; refused && refused[k]; k++)
			if (strcmp(refused[k], p->funcs[i].name) == 0)
				p->funcs[i].value = 1;
	}
}

static void select_on(const struct shape *s, bool fentry, bool kprobe, bool syn_site,
		      const struct hook_opts *o, struct probe *p, struct hook_choice *c)
{
	/* Measured in the 6.1 guest: the six-argument syn_recv_sock refuse fentry/fexit. */
	static const char *const refused_61[] = {"tcp_v4_syn_recv_sock", "tcp_v6_syn_recv_sock",
						 NULL};
	struct btf *btf = kernel_btf(s);

	probe_from_btf(p, btf);
	btf__free(btf);
	if (fentry)
		fentry_trials(p, s == &k61 ? refused_61 : NULL);
	p->kprobe = kprobe;
	p->syn_site = syn_site;
	hooks_select(p, o, c);
}

static const char *prog_of(const struct hook_choice *c, const char *name)
{
	const struct hook_cand *k = chosen(c, name);

	return k ? k->prog : NULL;
}

/* The MIB indexes the overflow accounting reads, in enum rt_mib order. */
static void test_probe_mib_index(void)
{
	struct hook_choice c[64];
	struct hook_opts o = {0};
	struct probe p;

	select_on(&k618, false, false, true, &o, &p, c);
	CHECK_INT(p.mib_index[0], 20);
	CHECK_INT(p.mib_index[1], 99);
	CHECK_INT(p.mib_index[2], 98);
}

static void test_hooks_618_host(void)
{
	struct hook_choice c[64];
	struct hook_opts o = {0};
	struct probe p;

	/* fentry refused, kprobes compiled out: tracepoints only. */
	select_on(&k618, false, false, true, &o, &p, c);
	CHECK_INT(probe_tp_args(&p, "tcp_send_reset"), 3);
	CHECK(p.drop_listen_overflow);
	CHECK_STR(prog_of(c, "tcp_send_reset"), "send_reset_btf");
	/* The tracepoint sees every reset: the function hooks are not needed, nothing missing. */
	CHECK(chosen(c, "tcp_v4_send_reset") == NULL);
	CHECK(why(c, "tcp_v4_send_reset") == NULL);
	CHECK_STR(prog_of(c, "ack_overflow"), "kfree_skb_btf");
	CHECK(chosen(c, "ack_overflow") && !chosen(c, "ack_overflow")->note);
	CHECK_STR(prog_of(c, "syn_overflow"), "consume_skb_btf");
	CHECK(chosen(c, "nf_send_reset") == NULL);
	CHECK_CONTAINS(why(c, "nf_send_reset"), "kprobes");
	CHECK_INT(hooks_events(c, nr_hooks), RT_EVM_ALL & ~RT_EVM(RT_EV_FIREWALL_RST));
	/* --raw-tp takes the twins. */
	o.raw_tp = true;
	select_on(&k618, false, false, true, &o, &p, c);
	CHECK_STR(prog_of(c, "tcp_send_reset"), "send_reset_raw");
	CHECK_STR(prog_of(c, "ack_overflow"), "kfree_skb_raw");
}

static void test_hooks_612(void)
{
	struct hook_choice c[64];
	struct hook_opts o = {0};
	struct probe p;

	select_on(&k612, true, true, true, &o, &p, c);
	/* No TCP_LISTEN_OVERFLOW reason yet: where the kernel returns NULL for a full queue. */
	CHECK_STR(prog_of(c, "ack_overflow"), "syn_recv_v4_fexit");
	CHECK(chosen(c, "ack_overflow") &&
	      (chosen(c, "ack_overflow")->sets & HOOK_SETS_ACK_OVERFLOW_FROM_FUNC));
	/* fentry replaces the hook on every freed packet. */
	CHECK_STR(prog_of(c, "syn_overflow"), "conn_request_fentry");
	CHECK_STR(prog_of(c, "tcp_send_reset"), "send_reset_btf");
	CHECK(chosen(c, "tcp_v4_send_reset") == NULL);
	/* Without fentry and kprobes (a tracepoint-only 6.12): the kernel's counter. */
	select_on(&k612, false, false, true, &o, &p, c);
	CHECK_STR(prog_of(c, "ack_overflow"), "kfree_skb_btf");
	CHECK(chosen(c, "ack_overflow") && chosen(c, "ack_overflow")->note &&
	      chosen(c, "ack_overflow")->note(&p));
	CHECK(chosen(c, "ack_overflow") &&
	      (chosen(c, "ack_overflow")->sets & HOOK_SETS_ACK_OVERFLOW_BY_COUNTER));
	CHECK_STR(prog_of(c, "syn_overflow"), "consume_skb_btf");
	/* Without the SYN detector the counter would credit its increments to ACKs. */
	o.no_syn_detector = true;
	select_on(&k612, false, false, true, &o, &p, c);
	CHECK(chosen(c, "ack_overflow") == NULL);
	CHECK_CONTAINS(why(c, "ack_overflow"), "SYN-path detector");
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
	/* Resets without a full socket: the functions, with the old tracepoint for active ones. */
	CHECK_STR(prog_of(c, "tcp_v4_send_reset"), "send_reset_v4_fentry");
	CHECK(chosen(c, "tcp_v4_send_reset") &&
	      (chosen(c, "tcp_v4_send_reset")->sets & HOOK_SETS_PASSIVE_FROM_FUNC));
	/* fexit refused on the six-argument functions: kprobe and kretprobe. */
	CHECK_STR(prog_of(c, "ack_overflow"), "syn_recv_v4_kprobe");
	/* consume_skb has no call site before 6.3, tcp_conn_request takes fentry. */
	CHECK_STR(prog_of(c, "syn_overflow"), "conn_request_fentry");
	CHECK_INT(hooks_events(c, nr_hooks) & RT_EVM_ALL & ~RT_EVM(RT_EV_FIREWALL_RST),
		  RT_EVM_ALL & ~RT_EVM(RT_EV_FIREWALL_RST));
	/* Tracepoints only on 6.1: what is missing is said. */
	select_on(&k61, false, false, false, &o, &p, c);
	CHECK(chosen(c, "tcp_v4_send_reset") == NULL);
	CHECK(why(c, "tcp_v4_send_reset") != NULL);
	CHECK(chosen(c, "ack_overflow") == NULL);
	CHECK_CONTAINS(why(c, "ack_overflow"), "SYN-path detector");
	CHECK(chosen(c, "syn_overflow") == NULL);
	CHECK_INT(hooks_events(c, nr_hooks) & RT_EVM(RT_EV_LISTEN_OVERFLOW), 0);
}

/* An option switching a hook off is said as such, not as a kernel gap. */
static bool on_pressure(const struct hook_choice *c, const char *name)
{
	int i;

	for (i = 0; i < nr_hooks; i++)
		if (!strcmp(c[i].hook->name, name))
			return c[i].on_pressure;
	return false;
}

/*
 * The SYN detector on every freed packet is armed on pressure by default;
 * not with --syn-detector=always, not at tcp_conn_request, and not where
 * the ACK path by counter needs it at every SYN (before 6.15, no fentry).
 */
static void test_hooks_on_pressure(void)
{
	struct hook_choice c[64];
	struct hook_opts o = {0};
	struct probe p;

	select_on(&k618, false, false, true, &o, &p, c);
	CHECK(on_pressure(c, "syn_overflow"));
	CHECK(!on_pressure(c, "ack_overflow"));
	o.syn_always = true;
	select_on(&k618, false, false, true, &o, &p, c);
	CHECK_STR(prog_of(c, "syn_overflow"), "consume_skb_btf");
	CHECK(!on_pressure(c, "syn_overflow"));
	o.syn_always = false;
	select_on(&k612, true, true, true, &o, &p, c);
	CHECK_STR(prog_of(c, "syn_overflow"), "conn_request_fentry");
	CHECK(!on_pressure(c, "syn_overflow"));
	select_on(&k612, false, false, true, &o, &p, c);
	CHECK_STR(prog_of(c, "syn_overflow"), "consume_skb_btf");
	CHECK(chosen(c, "ack_overflow") &&
	      (chosen(c, "ack_overflow")->sets & HOOK_SETS_ACK_OVERFLOW_BY_COUNTER));
	CHECK(!on_pressure(c, "syn_overflow"));
}

static void test_hooks_options(void)
{
	struct hook_choice c[64];
	struct hook_opts o = {.no_syn_detector = true, .no_scan = true};
	struct probe p;

	select_on(&k618, false, false, true, &o, &p, c);
	CHECK(chosen(c, "syn_overflow") == NULL);
	CHECK_CONTAINS(why(c, "syn_overflow"), "--no-syn-detector");
	CHECK(chosen(c, "scan") == NULL);
	/* Overflows stay traced: kfree_skb still produces them (the 6.3-6.10 bug). */
	CHECK_INT(hooks_events(c, nr_hooks) & RT_EVM(RT_EV_LISTEN_OVERFLOW),
		  RT_EVM(RT_EV_LISTEN_OVERFLOW));
	/* kptr_restrict hides the SYN call site: say so. */
	o.no_syn_detector = false;
	select_on(&k618, false, false, false, &o, &p, c);
	p.kallsyms_hidden = true;
	hooks_select(&p, &o, c);
	CHECK_CONTAINS(why(c, "syn_overflow"), "kptr_restrict");
}

/*
 * Client hooks only with -e client: the retransmissions and a state-change
 * program of their own (not the owners': 6.1 and 6.12 refused that one with
 * both on one stack). Optional: dropped, with why, when the kernel refuses them.
 */
static void test_hooks_client(void)
{
	static const struct shape *const shapes[] = {&k61, &k612, &k618};
	struct hook_choice c[64];
	struct hook_opts o = {0};
	struct probe p;
	int i;

	select_on(&k618, false, false, true, &o, &p, c);
	CHECK(chosen(c, "tcp_retransmit_skb") == NULL && why(c, "tcp_retransmit_skb") == NULL);
	CHECK(chosen(c, "client_state") == NULL && why(c, "client_state") == NULL);
	CHECK_INT(hooks_events(c, nr_hooks) & RT_EVM_CLIENT, 0);
	CHECK_INT(hooks_drop_optional(c, nr_hooks, "refused"), 0);
	o.client = true;
	for (i = 0; i < 3; i++) {
		select_on(shapes[i], true, true, true, &o, &p, c);
		CHECK_STR(prog_of(c, "tcp_retransmit_skb"),
			  shapes[i] == &k618 ? "retransmit_btf" : "retransmit_btf_noerr");
		CHECK_STR(prog_of(c, "client_state"), "client_state_btf");
		CHECK_STR(prog_of(c, "inet_sock_set_state"), "set_state_btf");
		CHECK_INT(hooks_events(c, nr_hooks) & RT_EVM_CLIENT, RT_EVM_CLIENT);
	}
	CHECK_INT(hooks_drop_optional(c, nr_hooks, "refused"), RT_EVM_CLIENT);
	CHECK(chosen(c, "tcp_retransmit_skb") == NULL && chosen(c, "client_state") == NULL);
	CHECK_STR(why(c, "client_state"), "refused");
	CHECK_INT(hooks_events(c, nr_hooks) & RT_EVM_CLIENT, 0);
	/* The rest stays. */
	CHECK_STR(prog_of(c, "inet_sock_set_state"), "set_state_btf");
	CHECK_STR(prog_of(c, "tcp_send_reset"), "send_reset_btf");
	CHECK_INT(hooks_drop_optional(c, nr_hooks, "refused"), 0);
	o.raw_tp = true;
	select_on(&k618, false, false, true, &o, &p, c);
	CHECK_STR(prog_of(c, "client_state"), "client_state_raw");
}

void run_hooks_tests(void)
{
	RUN_TEST(test_probe_mib_index);
	RUN_TEST(test_hooks_618_host);
	RUN_TEST(test_hooks_612);
	RUN_TEST(test_hooks_61);
	RUN_TEST(test_hooks_options);
	RUN_TEST(test_hooks_on_pressure);
	RUN_TEST(test_hooks_client);
}
