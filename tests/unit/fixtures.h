/* SPDX-License-Identifier: GPL-2.0 */
/* Shared test data: kernel enum names from an in-memory BTF, events, own start time. */
#ifndef RSTTRACE_FIXTURES_H
#define RSTTRACE_FIXTURES_H

#include <stdint.h>
#include "decode.h"

/* Offset that puts boot time 123 ns at 2026-11-26T08:40:01.123456789Z. */
#define FIXTURE_BOOT_TO_REAL 1795682401123456666LL

/*
 * rst_reasons as in 6.10+ (NOT_SPECIFIED=0, NO_SOCKET=1, ..., INVALID_SYN=10,
 * ...) and drop_reasons NOT_SPECIFIED=2, NO_SOCKET=3, TCP_LISTEN_OVERFLOW=40.
 * 0 or a negative error.
 */
int fixture_names(struct rt_names *n);
void fixture_names_free(struct rt_names *n);

/* Start time of process pid in boot-time ns, as BPF records it; 0 on error. */
uint64_t fixture_start_ns(int pid);

/* Fills a 16-byte event address from text ("10.0.0.1" or "fd77::1"). */
void fixture_addr(uint8_t addr[16], int family, const char *text);

#endif
