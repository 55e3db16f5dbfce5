/* SPDX-License-Identifier: GPL-2.0 */
/*
 * How long a listener's connections waited in its accept queue, and how fast
 * it accepted: quantiles of the histogram bpf/listen.bpf.c keeps per listener
 * (struct rt_accept_wait). Pure functions; docs/diagnosis.md has the rules.
 */
#ifndef RSTTRACE_ACCEPT_WAIT_H
#define RSTTRACE_ACCEPT_WAIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "../include/rsttrace.h"

/* Accept rates need this much time between the first and the latest accept(). */
#define ACCEPT_RATE_MIN_NS (100ull * 1000000)

struct accept_wait_stats {
	bool known;		 /* the listener's row was read and holds an accept() */
	uint64_t accepted;	 /* accept()s, wait known or not */
	uint64_t waits;		 /* of them, with the wait in the histogram */
	bool rate_known;	 /* first to latest accept() of ACCEPT_RATE_MIN_NS or more */
	uint32_t accept_per_s;	 /* (accepted - 1) over first to latest accept() */
	uint64_t span_ns;	 /* first to latest accept() */
	uint64_t p50_ns, p99_ns; /* 0 when waits is 0 */
	uint64_t max_ns;
	uint64_t mean_ns;
};

/* A row as read from the map: sets accepted, the sum of the buckets (BPF leaves it). */
void accept_wait_read(struct rt_accept_wait *w);
/* [lo, hi) of bucket b, in ns (the last bucket's hi is UINT64_MAX). */
void accept_wait_bounds(uint32_t b, uint64_t *lo, uint64_t *hi);
/* The q quantile (0 < q <= 1) of the waits, interpolated within its bucket. */
uint64_t accept_wait_quantile(const struct rt_accept_wait *w, double q);
void accept_wait_stats(const struct rt_accept_wait *w, struct accept_wait_stats *s);
/* Adds a row into another (listeners of the same labels, "other"). */
void accept_wait_add(struct rt_accept_wait *to, const struct rt_accept_wait *from);
/* Waits of at most le_ns, exact when le_ns is a bucket bound. */
uint64_t accept_wait_count_le(const struct rt_accept_wait *w, uint64_t le_ns);
/* A duration for people: "820 us", "12.4 ms", "1.32 s". */
void accept_wait_human(uint64_t ns, char *buf, size_t len);

#endif
