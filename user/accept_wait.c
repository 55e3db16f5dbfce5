// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
#include "accept_wait.h"

void accept_wait_read(struct rt_accept_wait *w)
{
	uint32_t b;

	w->accepted = 0;
	for (b = 0; b < RT_WAIT_BUCKETS; b++)
		w->accepted += w->buckets[b];
}

void accept_wait_bounds(uint32_t b, uint64_t *lo, uint64_t *hi)
{
	uint32_t k, sub;

	if (b == 0) {
		*lo = 0;
		*hi = 1ull << RT_WAIT_MIN_SHIFT;
		return;
	}
	if (b >= RT_WAIT_BUCKETS - 1) {
		*lo = 1ull << (RT_WAIT_MIN_SHIFT + RT_WAIT_OCTAVES);
		*hi = UINT64_MAX;
		return;
	}
	k = RT_WAIT_MIN_SHIFT + (b - 1) / RT_WAIT_SUB;
	sub = (b - 1) % RT_WAIT_SUB;
	*lo = (uint64_t)(RT_WAIT_SUB + sub) << (k - RT_WAIT_SUB_BITS);
	*hi = (uint64_t)(RT_WAIT_SUB + sub + 1) << (k - RT_WAIT_SUB_BITS);
}

uint64_t accept_wait_quantile(const struct rt_accept_wait *w, double q)
{
	uint64_t total = 0, cum = 0, lo, hi, v;
	double rank;
	uint32_t b;

	for (b = 0; b < RT_WAIT_BUCKETS; b++)
		total += w->buckets[b];
	if (!total)
		return 0;
	/* The rank of the quantile among the waits, 1-based (nearest rank). */
	rank = q * (double)total;
	if (rank < 1)
		rank = 1;
	if (rank >= (double)total)
		return w->max_ns;
	for (b = 0; b < RT_WAIT_BUCKETS; b++) {
		if (!w->buckets[b] || (double)(cum + w->buckets[b]) < rank) {
			cum += w->buckets[b];
			continue;
		}
		accept_wait_bounds(b, &lo, &hi);
		if (hi == UINT64_MAX || hi > w->max_ns + 1)
			hi = w->max_ns + 1 > lo ? w->max_ns + 1 : lo + 1;
		/* Spread evenly in the bucket: the i-th of n sits at (i - 0.5) / n. */
		v = lo + (uint64_t)((double)(hi - lo) * (rank - (double)cum - 0.5) /
				    (double)w->buckets[b]);
		return v > w->max_ns ? w->max_ns : v;
	}
	return w->max_ns;
}

void accept_wait_stats(const struct rt_accept_wait *w, struct accept_wait_stats *s)
{
	memset(s, 0, sizeof(*s));
	if (!w || !(w->accepted + w->unknown))
		return;
	s->known = true;
	s->accepted = w->accepted + w->unknown;
	s->waits = w->accepted;
	s->span_ns = w->last_ns > w->first_ns ? w->last_ns - w->first_ns : 0;
	s->rate_known = s->span_ns >= ACCEPT_RATE_MIN_NS;
	if (s->rate_known)
		s->accept_per_s =
		    (uint32_t)((double)(s->accepted - 1) * 1e9 / (double)s->span_ns + 0.5);
	if (!w->accepted)
		return;
	s->max_ns = w->max_ns;
	s->mean_ns = w->sum_ns / w->accepted;
	s->p50_ns = accept_wait_quantile(w, 0.50);
	s->p99_ns = accept_wait_quantile(w, 0.99);
}

void accept_wait_add(struct rt_accept_wait *to, const struct rt_accept_wait *from)
{
	uint32_t b;

	if (!from->accepted && !from->unknown)
		return;
	if (!to->first_ns || (from->first_ns && from->first_ns < to->first_ns))
		to->first_ns = from->first_ns;
	if (from->last_ns > to->last_ns)
		to->last_ns = from->last_ns;
	if (from->max_ns > to->max_ns)
		to->max_ns = from->max_ns;
	to->accepted += from->accepted;
	to->unknown += from->unknown;
	to->sum_ns += from->sum_ns;
	for (b = 0; b < RT_WAIT_BUCKETS; b++)
		to->buckets[b] += from->buckets[b];
}

uint64_t accept_wait_count_le(const struct rt_accept_wait *w, uint64_t le_ns)
{
	uint64_t n = 0, lo, hi;
	uint32_t b;

	for (b = 0; b < RT_WAIT_BUCKETS; b++) {
		accept_wait_bounds(b, &lo, &hi);
		/* A bucket counts when all of it is at most le: [lo, hi) with hi - 1 <= le. */
		if (hi != UINT64_MAX && hi - 1 <= le_ns)
			n += w->buckets[b];
	}
	return n;
}

void accept_wait_human(uint64_t ns, char *buf, size_t len)
{
	if (ns < 1000)
		snprintf(buf, len, "%llu ns", (unsigned long long)ns);
	else if (ns < 1000000)
		snprintf(buf, len, "%.0f us", (double)ns / 1e3);
	else if (ns < 100000000)
		snprintf(buf, len, "%.1f ms", (double)ns / 1e6);
	else if (ns < 1000000000)
		snprintf(buf, len, "%.0f ms", (double)ns / 1e6);
	else
		snprintf(buf, len, "%.2f s", (double)ns / 1e9);
}
