/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the running kernel offers, asked once at start-up: tracepoint shapes,
 * enum values and functions from its BTF (pure, so tests can hand it a
 * synthetic BTF), and what only a trial tells (fentry may load or be refused,
 * kprobes may be compiled out, kallsyms may be hidden).
 */
#ifndef RSTTRACE_PROBE_H
#define RSTTRACE_PROBE_H

#include <stdbool.h>
#include <stdint.h>

struct btf;

#define PROBE_MAX_NAMES 32

struct probe_name {
	const char *name;
	/* Tracepoints: arity. Functions: 0 absent, 1 in BTF, 2 in BTF and an fentry attached. */
	int value;
};

struct probe {
	/* From BTF. */
	struct probe_name tps[PROBE_MAX_NAMES];	  /* tracepoint -> arguments, -1 when absent */
	struct probe_name funcs[PROBE_MAX_NAMES]; /* kernel function -> present in BTF */
	int nr_tps, nr_funcs;
	bool rst_reasons;	   /* enum sk_rst_reason (6.10+) */
	bool active_rst_reasons;   /* SK_RST_REASON_TCP_ABORT_ON_CLOSE (6.12+) */
	bool drop_listen_overflow; /* SKB_DROP_REASON_TCP_LISTEN_OVERFLOW (6.15+) */
	bool current_task_btf;	   /* bpf_get_current_task_btf() (5.11+) */
	/*
	 * Indexes into the netns MIB (enum linux_mib is anonymous: found by
	 * enumerator name), 0 when absent: ListenOverflows, TCPReqQFullDrop,
	 * TCPReqQFullDoCookies, in the order of enum rt_mib (bpf/mib.bpf.h).
	 */
	uint32_t mib_index[3];
	uint32_t tcp_mib_outrsts; /* TcpOutRsts in the kernel's tcp_mib, 0: unknown */
	/* From trials on the running kernel. */
	bool fentry;	     /* a tracing program loads and attaches */
	bool fentry_refused; /* ... and was refused (EPERM), not merely absent */
	bool kprobe;	     /* the kprobe PMU exists */
	bool syn_site;	     /* tcp_rcv_state_process found in /proc/kallsyms */
	uint64_t syn_site_start, syn_site_end;
	bool kallsyms_hidden; /* kallsyms shows zero addresses (kptr_restrict) */
};

/* Fills everything BTF tells. Pure: same BTF, same answers. */
void probe_from_btf(struct probe *p, const struct btf *btf);
/* Adds what only trying tells: fentry, kprobes, kallsyms. */
void probe_runtime(struct probe *p, const struct btf *btf);

/* Arguments of tracepoint tp (without ctx), -1 when absent or not probed. */
int probe_tp_args(const struct probe *p, const char *tp);
/* True when kernel function fn has BTF (vmlinux or a loaded module's). */
bool probe_func(const struct probe *p, const char *fn);
/* True when an fentry program attached to fn in the trial (or fentry works and fn is a module's).
 */
bool probe_fentry(const struct probe *p, const char *fn);

/* Helpers shared with the tests. */
int probe_btf_tp_arity(const struct btf *btf, const char *tp);
bool probe_btf_enum_has(const struct btf *btf, const char *enum_name, const char *value);
/* Value of enumerator 'name' in any enum, named or not; -1 when absent. */
int64_t probe_btf_enumerator(const struct btf *btf, const char *name);

#endif
