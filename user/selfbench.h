/* SPDX-License-Identifier: GPL-2.0 */
/* --bench-format N: userspace cost per event, without the kernel. */
#ifndef RSTTRACE_SELFBENCH_H
#define RSTTRACE_SELFBENCH_H

#include <stdint.h>

/* Formats N synthetic events as JSON and as text to /dev/null; prints events/s. */
int selfbench_run(uint64_t nr_events);

#endif
