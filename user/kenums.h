/* SPDX-License-Identifier: GPL-2.0 */
/* Names of kernel enums, read from the running kernel's BTF. */
#ifndef RSTTRACE_KENUMS_H
#define RSTTRACE_KENUMS_H

#include <stdint.h>

struct btf;

/* Value-indexed names of one enum, with the common prefix removed. */
struct kenum {
	char **names;
	uint32_t nr;
};

/*
 * Loads enum 'enum_name' from btf; strips 'prefix' from each name.
 * Returns 0, or -ENOENT when the kernel has no such enum.
 */
int kenum_load(struct kenum *ke, const struct btf *btf, const char *enum_name, const char *prefix);
void kenum_free(struct kenum *ke);
/* NULL when the value has no name. */
const char *kenum_name(const struct kenum *ke, uint32_t value);
/* Value of a name (without prefix), or -1. */
int64_t kenum_value(const struct kenum *ke, const char *name);

/* TCP states are user ABI (/proc/net/tcp), so fixed numbers are right here. */
enum tcp_state_num {
	TCPS_ESTABLISHED = 1,
	TCPS_SYN_SENT = 2,
	TCPS_SYN_RECV = 3,
	TCPS_FIN_WAIT1 = 4,
	TCPS_FIN_WAIT2 = 5,
	TCPS_TIME_WAIT = 6,
	TCPS_CLOSE = 7,
	TCPS_CLOSE_WAIT = 8,
	TCPS_LAST_ACK = 9,
	TCPS_LISTEN = 10,
	TCPS_CLOSING = 11,
};

const char *tcp_state_name(unsigned int state);

#endif
