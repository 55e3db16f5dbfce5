/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Folding in userspace: a run of identical consecutive records (the same
 * but for time and client port) becomes its first record and one count.
 */
#ifndef RSTTRACE_FOLD_H
#define RSTTRACE_FOLD_H

#include <stdbool.h>
#include <stdint.h>
#include "record.h"

/* A run of identical events is summed up after this long, and starts anew. */
#define RT_FOLD_NS 1000000000ull

struct fold_run {
	bool have;
	struct rt_record first; /* count/span_ns: the events folded after it */
	uint64_t first_ns, last_ns;
};

/* True when two events would print the same but for time and client port. */
bool fold_same_kind(const struct rt_event *a, const struct rt_event *b);
/* True when r joins the open run (and is not to be written). */
bool fold_absorb(struct fold_run *f, const struct rt_record *r);
/* Starts a new run at r (call after writing r). */
void fold_start(struct fold_run *f, const struct rt_record *r);
/* The open run's folded record, if it has one to write; ends the run. */
bool fold_close(struct fold_run *f, struct rt_record *out);
/* True when the open run has lasted long enough to be summed up. */
bool fold_due(const struct fold_run *f, uint64_t now_boot_ns);

#endif
