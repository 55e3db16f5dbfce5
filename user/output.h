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
};

void output_init(struct output *o, bool json, int fd, const struct rt_names *names);
void output_free(struct output *o);
void output_event(struct output *o, const struct rt_event *e, uint64_t now_boot_ns);
void output_lost(struct output *o, uint64_t count, uint64_t total, uint64_t now_boot_ns);
/* Writes what is buffered. -EPIPE once the reader has gone, other -errno on error. */
int output_flush(struct output *o);

/* The two formatters, appending one line each to sb. */
void format_json_event(struct output *o, const struct rt_event *e, uint64_t now_boot_ns);
void format_json_lost(struct output *o, uint64_t count, uint64_t total, uint64_t now_boot_ns);
void format_text_header(struct output *o);
void format_text_event(struct output *o, const struct rt_event *e);
void format_text_lost(struct output *o, uint64_t count, uint64_t total);

#endif
