/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one pass every record takes: decode -> attribute -> diagnose -> sinks
 * (the text or JSON stream, and the summary's counts). Records come from the
 * ring stage (ring.c, one event each) or the fold stage (fold.c, one storm
 * each, with its count). Each stage fills its part of one record; sinks only
 * render it.
 */
#ifndef RSTTRACE_PIPELINE_H
#define RSTTRACE_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>
#include "decode.h"
#include "kevent.h"
#include "output.h"
#include "summary.h"

struct metrics;

struct pipeline {
	const struct rt_names *names;
	struct output *out;
	struct summary *summary;     /* NULL without --summary */
	struct metrics *metrics;     /* NULL without --metrics */
	uint64_t written[RT_EV_MAX]; /* events the records written stand for */
};

void pipeline_init(struct pipeline *pl, const struct rt_names *names, struct output *out,
		   struct summary *summary);
/* Builds the record of one kernel event and sends it through every stage. */
void pipeline_event(struct pipeline *pl, const struct rt_kevent *k, uint64_t now_boot_ns);
/*
 * A record standing for 'count' events the kernel folded, first_ns to
 * last_ns; stale: the sample is a reset taken back, none of the 'count'.
 */
void pipeline_folded(struct pipeline *pl, const struct rt_kevent *sample, uint64_t count,
		     uint64_t first_ns, uint64_t last_ns, bool stale, uint64_t now_boot_ns);
/* Runs of one hook the kernel skipped (count since the last report, total since start). */
void pipeline_unattributed(struct pipeline *pl, uint32_t type, uint64_t count, uint64_t total,
			   uint64_t now_boot_ns);
void pipeline_missed(struct pipeline *pl, const char *hook, uint32_t events, uint64_t count,
		     uint64_t total, uint64_t now_boot_ns);
/* Events the kernel could not hand over. */
void pipeline_lost(struct pipeline *pl, uint64_t count, uint64_t total, uint64_t now_boot_ns);
/* The SYN detector armed or disarmed (sink.h). */
void pipeline_syn_detector(struct pipeline *pl, bool armed, const char *why,
			   const uint64_t disarmed[2], uint64_t now_boot_ns);
uint64_t pipeline_written(const struct pipeline *pl);

/* The record of an event without sending it on (decode, attribute, diagnose). */
void pipeline_build(const struct rt_names *names, const struct rt_kevent *k, uint64_t now_boot_ns,
		    struct rt_record *r);

#endif
