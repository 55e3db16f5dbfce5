/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The sweep: overflows and resets the kernel counted that no event claimed,
 * added to the totals as unattributed, so that they follow the kernel's
 * counters while tracing (every MIB_SWEEP_PERIOD_MS, what stayed unclaimed
 * for a period) and equal them at exit (everything): bpf/sweep.bpf.c.
 */
#ifndef RSTTRACE_MIB_SWEEP_H
#define RSTTRACE_MIB_SWEEP_H

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
 * 'how', RT_SWEEP_* (include/rsttrace.h): with RT_SWEEP_AGED, only the
 * increments already there at the previous aged run (while tracing); else
 * all of them. RT_SWEEP_RESETS adds TcpOutRsts: only aged while the hooks
 * are attached, all of it once they are detached. 0, or -errno.
 */
int mib_sweep_run(struct rsttrace_bpf *skel, struct bpf_link *link, unsigned int how);

#endif
