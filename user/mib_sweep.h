/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The sweep: overflows the kernel counted since the last event of each CPU
 * that no event claimed, added to the totals as unattributed, so that they
 * follow the kernel's counters while tracing (every MIB_SWEEP_PERIOD_MS,
 * what stayed unclaimed for a period) and equal them at exit (everything):
 * bpf/sweep.bpf.c.
 */
#ifndef RSTTRACE_MIB_SWEEP_H
#define RSTTRACE_MIB_SWEEP_H

#include <stdbool.h>

struct bpf_link;
struct rsttrace_bpf;

/*
 * Attached while privileged (at start); NULL when the kernel refuses, with
 * errno set. Running it later needs no privilege.
 */
struct bpf_link *mib_sweep_attach(struct rsttrace_bpf *skel);
#define MIB_SWEEP_PERIOD_MS 2000
/* At most 1/200 of a CPU: the period grows with the time a sweep takes. */
#define MIB_SWEEP_COST_RATIO 200

/*
 * 'aged': while tracing, only the increments already there at the previous
 * aged run; else all of them, only with the hooks detached and quiesced.
 * 0, or -errno.
 */
int mib_sweep_run(struct rsttrace_bpf *skel, struct bpf_link *link, bool aged);

#endif
