/* SPDX-License-Identifier: GPL-2.0 */
/* Kernel CLOCK_BOOTTIME stamps to wall-clock RFC 3339 text. */
#ifndef RSTTRACE_CLOCK_H
#define RSTTRACE_CLOCK_H

#include <stddef.h>
#include <stdint.h>

struct rt_clock {
	int64_t boot_to_real_ns; /* CLOCK_REALTIME - CLOCK_BOOTTIME at start */
	int64_t cached_sec;	 /* second whose prefix is cached */
	int cached;		 /* cached_sec is valid */
	char cached_prefix[24];	 /* "2026-11-26T08:40:01" */
};

void rt_clock_init(struct rt_clock *c);
/* Same, from a known offset: for tests. */
void rt_clock_init_offset(struct rt_clock *c, int64_t boot_to_real_ns);
uint64_t rt_clock_boot_now_ns(void);
/* "2026-11-26T08:40:01.123456789Z" (31 bytes with NUL). */
void rt_clock_rfc3339(struct rt_clock *c, uint64_t boot_ns, char *buf, size_t len);
/* "08:40:01.123456" for the text columns. */
void rt_clock_short(struct rt_clock *c, uint64_t boot_ns, char *buf, size_t len);

#endif
