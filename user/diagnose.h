/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The answer to "why?": a stable code, one line with the numbers, and what
 * to do. docs/diagnosis.md documents every code and how it is decided.
 */
#ifndef RSTTRACE_DIAGNOSE_H
#define RSTTRACE_DIAGNOSE_H

#include "../include/rsttrace.h"
#include "decode.h"

/* A closed listener this recent makes NO_SOCKET resets a restart. */
#define RT_RESTART_WINDOW_NS (60ull * 1000000000)

struct diagnosis {
	const char *code;
	const char *confidence; /* client codes: "high", "medium", "low"; NULL otherwise */
	char text[512];
	const char *hint; /* a constant, or hint_buf when it carries numbers */
	char hint_buf[1536];
};

struct rt_record;
/* The diagnose stage: fills r->diag from the rest of the record. */
void diagnose(const struct rt_names *n, struct rt_record *r);

#endif
