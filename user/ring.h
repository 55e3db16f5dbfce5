/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ring stage: kernel records in, checked, held where a later record may
 * take them back, and handed to the pipeline in order.
 */
#ifndef RSTTRACE_RING_H
#define RSTTRACE_RING_H

#include <stdint.h>
#include "hold.h"
#include "pipeline.h"

struct ring_buffer;

struct ring {
	struct ring_buffer *rb;
	struct hold hold;
	struct pipeline *pl;
	uint64_t now_ns;    /* boot-time clock of the current batch */
	uint64_t malformed; /* records too short or of an unknown type */
};

/* 0 or -errno. */
int ring_open(struct ring *r, int map_fd, struct pipeline *pl);
void ring_close(struct ring *r);
/* Waits up to timeout_ms, then hands over every record there is. <0 on error. */
int ring_poll(struct ring *r, int timeout_ms, uint64_t now_ns);
/* Everything the kernel handed over, and the held records too (at exit). */
int ring_drain(struct ring *r, uint64_t now_ns);
/* Releases held records old enough (once per batch). */
void ring_release(struct ring *r, uint64_t now_ns);

#endif
