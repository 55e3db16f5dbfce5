/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The SYN detector armed on pressure (docs/design.md): on kernels where it
 * is a hook on every freed packet, it is attached only while some listener
 * is under pressure. The decision is a pure function of what the main loop
 * sees, so that it can be tested without a kernel.
 */
#ifndef RSTTRACE_SYN_ARM_H
#define RSTTRACE_SYN_ARM_H

#include <stdbool.h>
#include <stdint.h>

/* Disarmed after this long without pressure. */
#define SYN_ARM_QUIET_MS 10000

enum syn_arm_why {
	SYN_ARM_QUEUE = 1, /* an accept queue at half its limit */
	SYN_ARM_COUNTED,   /* overflows counted (events, or the counters' sweep) */
	SYN_ARM_QUIET,	   /* disarmed: no pressure for SYN_ARM_QUIET_MS */
};

struct syn_arm {
	bool armed;
	uint64_t last_pressure_ns; /* when pressure was last seen */
	uint64_t overflows;	   /* listen + SYN-queue overflow totals at the last look */
};

/*
 * One look of the main loop: 'queue' when BPF saw an accept queue at half
 * its limit since the last look, 'overflows' the totals counted so far.
 * Returns what to do: SYN_ARM_QUEUE or SYN_ARM_COUNTED to arm (a->armed
 * becomes true), SYN_ARM_QUIET to disarm, 0 for nothing.
 */
int syn_arm_step(struct syn_arm *a, bool queue, uint64_t overflows, uint64_t now_ns);
const char *syn_arm_why_name(int why);

#endif
