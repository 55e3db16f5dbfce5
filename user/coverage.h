/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What this run can and cannot see, per event type: the hooks chosen for
 * the running kernel and what is incomplete. Printed by --probe, and as the
 * first record of every --json stream, so a log reader knows what the
 * stream can contain.
 */
#ifndef RSTTRACE_COVERAGE_H
#define RSTTRACE_COVERAGE_H

#include <stdint.h>
#include "loader.h"
#include "strbuf.h"

struct output;

/* The --probe table, for a person. */
void coverage_text(struct strbuf *sb, const struct loader *ld, uint32_t requested);
/* One NDJSON "coverage" record. */
void coverage_json(struct strbuf *sb, const struct loader *ld, uint32_t requested,
		   const char *when);

#endif
