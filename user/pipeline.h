/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one pass every event takes: decode -> attribute -> diagnose -> fold
 * -> sinks (the text or JSON stream, and the summary's counts). Each stage
 * fills its part of one record; sinks only render it.
 */
#ifndef RSTTRACE_PIPELINE_H
#define RSTTRACE_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>
#include "decode.h"
#include "fold.h"
#include "output.h"
#include "summary.h"

struct pipeline {
	const struct rt_names *names;
	struct output *out;
	struct summary *summary; /* NULL without --summary */
	bool fold;		 /* fold runs of identical events */
	struct fold_run run;
	uint64_t written[RT_EV_MAX]; /* events handed to the stream, folded ones included */
};

void pipeline_init(struct pipeline *pl, const struct rt_names *names, struct output *out,
		   struct summary *summary, bool fold);
/* Builds the record of one kernel event and sends it through every stage. */
void pipeline_event(struct pipeline *pl, const struct rt_event *e, uint64_t now_boot_ns);
/* Events the kernel could not hand over. */
void pipeline_lost(struct pipeline *pl, uint64_t count, uint64_t total, uint64_t now_boot_ns);
/* Time passes: a fold run that lasted long enough is written. */
void pipeline_tick(struct pipeline *pl, uint64_t now_boot_ns);
/* No more events: the open fold run is written. */
void pipeline_finish(struct pipeline *pl, uint64_t now_boot_ns);
uint64_t pipeline_written(const struct pipeline *pl);

/* The record of an event without sending it on (decode, attribute, diagnose). */
void pipeline_build(const struct rt_names *names, const struct rt_event *e, uint64_t now_boot_ns,
		    struct rt_record *r);

#endif
