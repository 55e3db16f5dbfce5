/* SPDX-License-Identifier: GPL-2.0 */
/* Events to text or NDJSON, buffered and written in batches. */
#ifndef RSTTRACE_OUTPUT_H
#define RSTTRACE_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include "../include/rsttrace.h"
#include "clock.h"
#include "decode.h"
#include "strbuf.h"

struct output {
	bool json;
	bool header_done;
	bool closed; /* the reader went away (EPIPE): stop quietly */
	int fd;
	struct strbuf sb;
	struct rt_clock clock;
	const struct rt_names *names;
	/* Folding of identical consecutive events (--fold). */
	bool fold;
	bool fold_have;
	struct rt_event fold_last;
	uint64_t fold_count;
	uint64_t fold_first_ns;
	uint64_t fold_last_ns;
};

/* A run of identical events is summed up after this long, and starts anew. */
#define RT_FOLD_NS 1000000000ull

void output_init(struct output *o, bool json, int fd, const struct rt_names *names);
void output_free(struct output *o);
void output_event(struct output *o, const struct rt_event *e, uint64_t now_boot_ns);
/* Closes a run of folded events that has lasted long enough. */
void output_fold_tick(struct output *o, uint64_t now_boot_ns);
/* True when two events would print the same but for time and client port. */
bool output_same_kind(const struct rt_event *a, const struct rt_event *b);
void output_lost(struct output *o, uint64_t count, uint64_t total, uint64_t now_boot_ns);
/* Ends an open run of folded events (at exit). */
void output_finish(struct output *o, uint64_t now_boot_ns);
/* Writes what is buffered. -EPIPE once the reader has gone, other -errno on error. */
int output_flush(struct output *o);

/* The two formatters, appending one line each to sb. */
void format_json_event(struct output *o, const struct rt_event *e, uint64_t now_boot_ns);
void format_json_lost(struct output *o, uint64_t count, uint64_t total, uint64_t now_boot_ns);
void format_text_header(struct output *o);
void format_text_event(struct output *o, const struct rt_event *e);
void format_text_lost(struct output *o, uint64_t count, uint64_t total);
void format_json_folded(struct output *o, uint64_t count, uint64_t span_ns, uint64_t now_boot_ns);
void format_text_folded(struct output *o, uint64_t count, uint64_t span_ns);

#endif
