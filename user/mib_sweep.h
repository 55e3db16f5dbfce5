/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The exit sweep: overflows the kernel counted that no event claimed since
 * the last event on each CPU (bpf/mib.bpf.c mib_sweep), added to the totals
 * as unattributed, so that they equal the kernel's counters at exit.
 */
#ifndef RSTTRACE_MIB_SWEEP_H
#define RSTTRACE_MIB_SWEEP_H

#include <stdint.h>

struct rsttrace_bpf;

struct mib_sweep_result {
	uint64_t overflows; /* ListenOverflows increments found */
	uint64_t synq;	    /* TCPReqQFullDrop + TCPReqQFullDoCookies increments found */
	unsigned int runs;  /* baselines swept */
};

/* Only with the hooks detached and quiesced. 0, or -errno (nothing swept). */
int mib_sweep_run(const struct rsttrace_bpf *skel, struct mib_sweep_result *res);

#endif
