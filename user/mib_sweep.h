/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The exit sweep: overflows the kernel counted since the last event of each
 * CPU that no event claimed, added to the totals as unattributed, so that
 * they equal the kernel's counters at exit (bpf/sweep.bpf.c).
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
/* Only with the hooks detached and quiesced. 0, or -errno. */
int mib_sweep_run(struct bpf_link *link);

#endif
