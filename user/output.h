/* SPDX-License-Identifier: GPL-2.0 */
/* The event stream: text or NDJSON lines, buffered and written in batches. */
#ifndef RSTTRACE_OUTPUT_H
#define RSTTRACE_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include "clock.h"
#include "strbuf.h"

struct output {
	bool json;
	bool header_done;
	bool closed; /* the reader went away (EPIPE), or writing was given up */
	int fd;
	size_t width; /* text on a terminal: its columns; 0: one line per event */
	/*
	 * Set by the signal handler: from then on a write may wait at most
	 * OUTPUT_GIVE_UP_MS in all for a reader that does not read.
	 */
	const volatile int *stopping;
	uint64_t give_up_at_ns;
	struct strbuf sb;
	struct rt_clock clock;
};

void output_init(struct output *o, bool json, int fd);
/* The terminal's width when text goes to a terminal, else 0 (-w, pipes, files). */
size_t output_terminal_width(int fd);
void output_free(struct output *o);
/* How long a stopping rsttrace waits for a stalled reader before it drops output. */
#define OUTPUT_GIVE_UP_MS 1000

/* Writes what is buffered. -EPIPE once the reader has gone, other -errno on error. */
int output_flush(struct output *o);

#endif
