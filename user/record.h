/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One record per event, built once as it flows through the pipeline
 * (decode -> attribute -> diagnose -> fold) and only read by the sinks
 * (text, JSON, summary): no sink looks anything up or decides anything.
 */
#ifndef RSTTRACE_RECORD_H
#define RSTTRACE_RECORD_H

#include <stdbool.h>
#include <stdint.h>
#include "../include/rsttrace.h"
#include "diagnose.h"

struct rt_record {
	struct rt_event ev; /* as the kernel sent it */
	uint64_t count;	    /* kernel events this record stands for: 1, or a folded run */
	uint64_t span_ns;   /* folded: from the first to the last event of the run */
	/* decode */
	const char *type_name;
	const char *reason; /* kernel reason name, NULL when the kernel gives none */
	const char *cause;  /* rsttrace's reading where the kernel's label misleads, or NULL */
	/* attribute */
	bool owner_alive;
	bool listener_owner_alive;
	/* diagnose */
	struct diagnosis diag;
};

#endif
