/* SPDX-License-Identifier: GPL-2.0 */
/* Is a recorded socket owner still the same live process? */
#ifndef RSTTRACE_PROCINFO_H
#define RSTTRACE_PROCINFO_H

#include <stdbool.h>
#include <stdint.h>

/* Start time (clock ticks since boot) from the text of /proc/PID/stat, or -1. */
int64_t procinfo_parse_starttime(const char *stat_text);

/*
 * True when process 'tgid' exists and started at 'start_ns' (boot-time ns,
 * as BPF recorded it), so a reused pid is not taken for the owner. Answers
 * are cached for a short while: events come in bursts about one owner.
 */
bool procinfo_owner_alive(uint32_t tgid, uint64_t start_ns, uint64_t now_boot_ns);

#endif
