// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include "kallsyms.h"
#include "probe.h"

/* Tracepoints and functions any hook of hooks.c may use. */
static const char *const tracepoints[] = {
    "tcp_send_reset",	    "tcp_receive_reset", "kfree_skb",	       "consume_skb",
    "inet_sock_set_state",  "tcp_destroy_sock",	 "tcp_retransmit_skb", "tcp_retransmit_synack",
    "inet_sk_error_report", "sk_data_ready",
};

static const char *const functions[] = {
    "tcp_v4_send_reset",
    "tcp_v6_send_reset",
    "tcp_send_active_reset",
    "tcp_v4_syn_recv_sock",
    "tcp_v6_syn_recv_sock",
    "tcp_conn_request",
    "nf_send_reset",
    "nf_send_reset6",
    "tcp_reset",
    "tcp_done",
};

/* Modules whose functions hooks may use: their BTF is read when they are loaded. */
static const char *const modules[] = {"nf_reject_ipv4", "nf_reject_ipv6"};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

int probe_btf_tp_arity(const struct btf *btf, const char *tp)
{
	const struct btf_type *t;
	char name[128];
	int id;

	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
	if (id < 0)
		return -1;
	t = btf__type_by_id(btf, id);
	t = btf__type_by_id(btf, t->type);
	if (!t || !btf_is_ptr(t))
		return -1;
	t = btf__type_by_id(btf, t->type);
	if (!t || !btf_is_func_proto(t) || btf_vlen(t) < 1)
		return -1;
	/* The first argument is the tracepoint's context pointer. */
	return btf_vlen(t) - 1;
}

bool probe_btf_enum_has(const struct btf *btf, const char *enum_name, const char *value)
{
	const struct btf_type *t;
	unsigned int i;
	int id = btf__find_by_name_kind(btf, enum_name, BTF_KIND_ENUM);

	if (id < 0)
		return false;
	t = btf__type_by_id(btf, id);
	for (i = 0; i < btf_vlen(t); i++)
		if (strcmp(btf__name_by_offset(btf, btf_enum(t)[i].name_off), value) == 0)
			return true;
	return false;
}

int64_t probe_btf_enumerator(const struct btf *btf, const char *name)
{
	uint32_t id, n = btf__type_cnt(btf);
	unsigned int i;

	for (id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);

		if (!btf_is_enum(t))
			continue;
		for (i = 0; i < btf_vlen(t); i++)
			if (strcmp(btf__name_by_offset(btf, btf_enum(t)[i].name_off), name) == 0)
				return btf_enum(t)[i].val;
	}
	return -1;
}

/* The MIB counters the overflow accounting reads (bpf/mib.bpf.c). */
static const char *const mib_names[] = {
    "LINUX_MIB_LISTENOVERFLOWS",
    "LINUX_MIB_TCPREQQFULLDROP",
    "LINUX_MIB_TCPREQQFULLDOCOOKIES",
};

void probe_from_btf(struct probe *p, const struct btf *btf)
{
	int64_t outrsts;
	size_t i;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < ARRAY_LEN(tracepoints); i++) {
		p->tps[i].name = tracepoints[i];
		p->tps[i].value = probe_btf_tp_arity(btf, tracepoints[i]);
	}
	p->nr_tps = ARRAY_LEN(tracepoints);
	for (i = 0; i < ARRAY_LEN(functions); i++) {
		p->funcs[i].name = functions[i];
		p->funcs[i].value = btf__find_by_name_kind(btf, functions[i], BTF_KIND_FUNC) >= 0;
	}
	p->nr_funcs = ARRAY_LEN(functions);
	p->rst_reasons = btf__find_by_name_kind(btf, "sk_rst_reason", BTF_KIND_ENUM) >= 0;
	p->active_rst_reasons =
	    probe_btf_enum_has(btf, "sk_rst_reason", "SK_RST_REASON_TCP_ABORT_ON_CLOSE");
	p->drop_listen_overflow =
	    probe_btf_enum_has(btf, "skb_drop_reason", "SKB_DROP_REASON_TCP_LISTEN_OVERFLOW");
	p->current_task_btf =
	    probe_btf_enum_has(btf, "bpf_func_id", "BPF_FUNC_get_current_task_btf");
	for (i = 0; i < ARRAY_LEN(mib_names); i++) {
		int64_t v = probe_btf_enumerator(btf, mib_names[i]);

		p->mib_index[i] = v > 0 ? (uint32_t)v : 0;
	}
	outrsts = probe_btf_enumerator(btf, "TCP_MIB_OUTRSTS");
	p->tcp_mib_outrsts = outrsts > 0 ? (uint32_t)outrsts : 0;
}

int probe_tp_args(const struct probe *p, const char *tp)
{
	int i;

	for (i = 0; i < p->nr_tps; i++)
		if (strcmp(p->tps[i].name, tp) == 0)
			return p->tps[i].value;
	return -1;
}

static int func_value(const struct probe *p, const char *fn)
{
	int i;

	for (i = 0; i < p->nr_funcs; i++)
		if (strcmp(p->funcs[i].name, fn) == 0)
			return p->funcs[i].value;
	return 0;
}

bool probe_func(const struct probe *p, const char *fn)
{
	return func_value(p, fn) > 0;
}

bool probe_fentry(const struct probe *p, const char *fn)
{
	return p->fentry && func_value(p, fn) == 2;
}

/*
 * Loads and attaches a two-instruction fentry program: some kernels have
 * the BTF for it and still refuse tracing programs (EPERM), which nothing
 * short of trying tells.
 */
static int try_fentry(const struct btf *btf, const char *fn)
{
	struct bpf_insn insns[] = {
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0},
	    {.code = BPF_JMP | BPF_EXIT},
	};
	struct bpf_prog_load_opts opts = {.sz = sizeof(opts),
					  .expected_attach_type = BPF_TRACE_FENTRY};
	int id = btf__find_by_name_kind(btf, fn, BTF_KIND_FUNC);
	int prog, link;

	if (id < 0)
		return -ENOENT;
	opts.attach_btf_id = id;
	prog =
	    bpf_prog_load(BPF_PROG_TYPE_TRACING, "rt_probe", "GPL", insns, ARRAY_LEN(insns), &opts);
	if (prog < 0)
		return -errno;
	link = bpf_raw_tracepoint_open(NULL, prog);
	if (link < 0) {
		int err = -errno;

		close(prog);
		return err;
	}
	close(link);
	close(prog);
	return 0;
}

/* Functions of loaded modules count as present; fentry on them needs fentry to work at all. */
static void probe_modules(struct probe *p, const struct btf *vmlinux)
{
	size_t m;
	int i;

	for (m = 0; m < ARRAY_LEN(modules); m++) {
		struct btf *mod = btf__load_module_btf(modules[m], (struct btf *)vmlinux);

		if (!mod)
			continue;
		for (i = 0; i < p->nr_funcs; i++)
			if (!p->funcs[i].value &&
			    btf__find_by_name_kind(mod, p->funcs[i].name, BTF_KIND_FUNC) >= 0)
				p->funcs[i].value = p->fentry ? 2 : 1;
		btf__free(mod);
	}
}

void probe_runtime(struct probe *p, const struct btf *btf)
{
	FILE *f;
	int i, err;

	/*
	 * Each function on its own: 6.1 attaches fentry to most of them and
	 * refuses six-argument ones; 6.18 here refuses every tracing program.
	 */
	for (i = 0; i < p->nr_funcs; i++) {
		if (!p->funcs[i].value)
			continue;
		err = try_fentry(btf, p->funcs[i].name);
		if (err == 0) {
			p->fentry = true;
			p->funcs[i].value = 2;
		} else if (err == -EPERM || err == -EACCES) {
			p->fentry_refused = true;
			break;
		}
	}
	probe_modules(p, btf);
	p->kprobe = access("/sys/bus/event_source/devices/kprobe/type", R_OK) == 0;
	f = fopen("/proc/kallsyms", "r");
	if (f) {
		err = kallsyms_func_range(f, "tcp_rcv_state_process", &p->syn_site_start,
					  &p->syn_site_end);
		fclose(f);
		p->syn_site = err == 0;
		p->kallsyms_hidden = err == -EACCES;
	}
}
