/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Hook selection in one place: for every kernel event source, its candidate
 * programs in order of preference (tp_btf, raw_tp, fentry, kprobe), and the
 * choice for the running kernel. The table is data and the choice a pure
 * function of what probe.c found, so the loader, --probe, the warnings at
 * start and the tests all read the same answer.
 */
#ifndef RSTTRACE_HOOKS_H
#define RSTTRACE_HOOKS_H

#include <stdbool.h>
#include <stdint.h>
#include "probe.h"

enum hook_kind {
	HK_TP_BTF,     /* BTF-typed raw tracepoint */
	HK_RAW_TP,     /* raw tracepoint, probe reads */
	HK_TRACEPOINT, /* classic tracepoint (syscalls) */
	HK_FENTRY,
	HK_FEXIT,
	HK_KPROBE,
	HK_KRETPROBE,
	HK_ITER, /* BPF iterator, run on demand */
};

struct hook_opts {
	bool raw_tp;	      /* --raw-tp: no tp_btf candidates */
	bool no_scan;	      /* --no-scan */
	bool no_syn_detector; /* --no-syn-detector */
	bool syn_always;      /* --syn-detector=always: never armed on pressure */
	bool client;	      /* a client event was asked for (-e client) */
};

/* What the loader tells the BPF side when a candidate is chosen. */
#define HOOK_SETS_PASSIVE_FROM_FUNC	  (1u << 0)
#define HOOK_SETS_ACK_OVERFLOW_FROM_FUNC  (1u << 1)
#define HOOK_SETS_ACK_OVERFLOW_BY_COUNTER (1u << 2)

#define HOOK_MAX_MORE 3

struct hook_cand {
	enum hook_kind kind;
	const char *target; /* tracepoint or kernel function */
	int args;	    /* tracepoints: the arity the program is written for */
	const char *prog;   /* program name in the BPF object */
	/* Programs chosen with it (an fexit's fentry, a v6 twin): names, and their targets. */
	const char *more[HOOK_MAX_MORE];
	const char *more_target[HOOK_MAX_MORE];
	uint32_t sets; /* HOOK_SETS_* */
	/* Another hook (by name) it is useless without, or NULL. */
	const char *needs;
	/*
	 * A hook on every freed packet that may be attached only while some
	 * listener is under pressure (user/syn_arm.c), unless asked otherwise.
	 */
	bool on_pressure;
	/* Why it cannot be used on this kernel, or NULL. */
	const char *(*unusable)(const struct probe *p);
	/* What it cannot see on this kernel, or NULL when it sees everything. */
	const char *(*note)(const struct probe *p);
};

#define HOOK_MAX_CANDS 8

/* What coverage and the start-up note say of a hook armed on pressure. */
#define HOOK_ON_PRESSURE_NOTE                                                                      \
	"SYN-path and SYN-queue overflows while no listener is under pressure (the hook is armed " \
	"on pressure: attached while an accept queue is at half its limit or overflows are "       \
	"counted, for 10 s after; those before are counted as unattributed, "                      \
	"syn_detector_disarmed; --syn-detector=always attaches it for good)"

struct hook {
	const char *name;
	uint32_t events; /* RT_EVM() of the event types it produces; 0 = support */
	const char *gap; /* what is missing when no candidate fits */
	/*
	 * false when not wanted on this kernel or with these options: *why
	 * says what that costs, or stays NULL when nothing is missing.
	 */
	bool (*wanted)(const struct probe *p, const struct hook_opts *o, const char **why);
	/*
	 * An event group asked for on top of the rest (-e client): when the
	 * kernel refuses to load its programs, rsttrace runs without it.
	 */
	bool optional;
	struct hook_cand cand[HOOK_MAX_CANDS];
};

struct hook_choice {
	const struct hook *hook;
	int cand;	  /* index into hook->cand, -1 when none */
	const char *why;  /* when cand is -1: why (not wanted, or no candidate fits) */
	bool on_pressure; /* attached only under pressure (armed by user/syn_arm.c) */
};

/* The table itself. */
extern const struct hook hooks[];
extern const int nr_hooks;

/* One choice per hook of the table, in table order. */
void hooks_select(const struct probe *p, const struct hook_opts *o, struct hook_choice *out);
/*
 * Unchooses every optional hook that was chosen, with why; returns the
 * event types (RT_EVM mask) they produced, 0 when none was chosen.
 */
uint32_t hooks_drop_optional(struct hook_choice *c, int n, const char *why);
/* Event types (RT_EVM mask) some chosen hook produces. */
uint32_t hooks_events(const struct hook_choice *c, int n);
const char *hook_kind_name(enum hook_kind k);
/* The chosen candidate, or NULL. */
const struct hook_cand *hook_chosen(const struct hook_choice *c);

#endif
