/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Prometheus metrics: the summary's numbers in the text exposition format.
 * Totals, reasons and listeners are read from the BPF maps at scrape time
 * (so they equal the summary's to the event); diagnoses are counted from
 * the records as the pipeline writes them. Label sets are bounded: see
 * docs/metrics.md.
 */
#ifndef RSTTRACE_METRICS_H
#define RSTTRACE_METRICS_H

#include <pthread.h>
#include <stdint.h>
#include "decode.h"
#include "record.h"
#include "strbuf.h"
#include "summary.h"

#define METRICS_MAX_DIAG      64 /* (event type, diagnosis) pairs; more go to "other" */
#define METRICS_MAX_LISTENERS 32 /* listeners with most overflows; the rest are "other" */

struct loader;

struct metrics {
	pthread_mutex_t lock; /* the diagnosis table: written by the loop, read by a scrape */
	struct {
		uint32_t type;
		const char *code; /* a string literal of diagnose.c */
		uint64_t count;
	} diag[METRICS_MAX_DIAG];
	unsigned int nr_diag;
	uint64_t diag_other[RT_EV_MAX];
	struct reason_tally sent_tally; /* resets sent without a kernel reason, as written */
	/* Read only, set before the server starts. */
	const struct summary_maps *maps;
	const struct loader *ld;
	const struct rt_names *names;
};

void metrics_init(struct metrics *m, const struct summary_maps *maps, const struct loader *ld,
		  const struct rt_names *names);
/*
 * A record written: counted by type and diagnosis, and a reset sent without
 * a kernel reason by the reason the record shows (called by the pipeline).
 */
void metrics_note(struct metrics *m, const struct rt_record *r);
/* The exposition text (the metrics_render_fn of the server). */
void metrics_render(void *m, struct strbuf *sb);

#endif
