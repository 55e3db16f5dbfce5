/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ring stage: kernel records in, checked and unpacked, held where a
 * later record may take them back, and handed to the pipeline in order.
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
	int aborted_fd;	     /* BPF map of sockets whose received reset was the kernel's own */
	uint64_t now_ns;     /* boot-time clock of the current batch */
	uint64_t malformed;  /* records this build cannot read */
	uint64_t taken_back; /* held resets dropped: data after close, not a reset received */
};

/* 0 or -errno. aborted_fd may be -1 (tests). */
int ring_open(struct ring *r, int map_fd, int aborted_fd, struct pipeline *pl);
void ring_close(struct ring *r);
/* Waits up to timeout_ms, then hands over every record there is. <0 on error. */
int ring_poll(struct ring *r, int timeout_ms, uint64_t now_ns);
/* Everything the kernel handed over, and the held records too (at exit). */
int ring_drain(struct ring *r, uint64_t now_ns);
/* Releases held records old enough (once per batch). */
void ring_release(struct ring *r, uint64_t now_ns);
/* One record, as the ring buffer callback gets it (tests and fuzzing). */
int ring_record(struct ring *r, const void *data, size_t size);

#endif
