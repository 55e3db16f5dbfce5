// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>
#include "accept_wait.h"
#include "unit.h"

/* Every value falls in the bucket whose bounds hold it. */
static void test_wait_buckets(void)
{
	uint64_t v, lo, hi;
	uint32_t b, prev = 0;

	CHECK_INT(rt_wait_bucket(0), 0);
	CHECK_INT(rt_wait_bucket(1023), 0);
	CHECK_INT(rt_wait_bucket(1024), 1);
	CHECK_INT(rt_wait_bucket(UINT64_MAX), RT_WAIT_BUCKETS - 1);
	CHECK_INT(rt_wait_bucket(1ull << (RT_WAIT_MIN_SHIFT + RT_WAIT_OCTAVES)),
		  RT_WAIT_BUCKETS - 1);
	CHECK_INT(rt_wait_bucket((1ull << (RT_WAIT_MIN_SHIFT + RT_WAIT_OCTAVES)) - 1),
		  RT_WAIT_BUCKETS - 2);
	for (v = 1; v < (1ull << 40); v = v * 9 / 8 + 1) {
		b = rt_wait_bucket(v);
		CHECK(b >= prev);
		prev = b;
		accept_wait_bounds(b, &lo, &hi);
		if (v < lo || v >= hi) {
			unit_fail(__FILE__, __LINE__, "%llu in bucket %u [%llu, %llu)",
				  (unsigned long long)v, b, (unsigned long long)lo,
				  (unsigned long long)hi);
			return;
		}
		/* A bucket is at most 1/16 of its lower bound wide. */
		if (b && b < RT_WAIT_BUCKETS - 1)
			CHECK(hi - lo <= lo / 16);
	}
}

static void add(struct rt_accept_wait *w, uint64_t ns)
{
	w->buckets[rt_wait_bucket(ns)]++;
	w->accepted++;
	w->sum_ns += ns;
	if (ns > w->max_ns)
		w->max_ns = ns;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Quantiles of a spread of waits, from 10 us to 2.6 s, within 5% of the exact ones. */
static void test_wait_quantiles(void)
{
	static struct rt_accept_wait w;
	static uint64_t all[5000];
	struct accept_wait_stats s;
	double qs[] = {0.5, 0.9, 0.99};
	unsigned int ranks[] = {2500, 4500, 4950};
	unsigned int i, n = 5000;

	memset(&w, 0, sizeof(w));
	srand(7);
	for (i = 0; i < n; i++) {
		all[i] = 10000ull << (rand() % 18);
		all[i] += (uint64_t)rand() % all[i];
		add(&w, all[i]);
	}
	qsort(all, n, sizeof(all[0]), cmp_u64);
	for (i = 0; i < 3; i++) {
		uint64_t exact = all[ranks[i] - 1];
		uint64_t got = accept_wait_quantile(&w, qs[i]);
		uint64_t off = got > exact ? got - exact : exact - got;

		if (off > exact / 20)
			unit_fail(__FILE__, __LINE__, "q%.2f %llu, exact %llu", qs[i],
				  (unsigned long long)got, (unsigned long long)exact);
	}
	CHECK_U64(accept_wait_quantile(&w, 1.0), w.max_ns);
	w.first_ns = 1000000000ull;
	w.last_ns = w.first_ns + 4999ull * 10000000; /* 5000 accepts 10 ms apart */
	w.unknown = 0;
	accept_wait_stats(&w, &s);
	CHECK(s.known && s.rate_known);
	CHECK_INT(s.accept_per_s, 100);
	CHECK_U64(s.accepted, 5000);
	CHECK_U64(s.max_ns, all[n - 1]);
	/* One wait: every quantile is it, or within its bucket. */
	memset(&w, 0, sizeof(w));
	add(&w, 1300000000ull);
	accept_wait_stats(&w, &s);
	CHECK(!s.rate_known);
	CHECK(s.p50_ns <= 1300000000ull && s.p50_ns >= 1300000000ull * 8 / 9);
	CHECK_U64(s.max_ns, 1300000000ull);
	/* No row, or no accept: unknown. */
	accept_wait_stats(NULL, &s);
	CHECK(!s.known);
}

static void test_wait_count_le(void)
{
	static struct rt_accept_wait w, sum;
	char buf[24];

	memset(&w, 0, sizeof(w));
	memset(&sum, 0, sizeof(sum));
	add(&w, 500);
	add(&w, (1ull << 20) - 1);
	add(&w, 1ull << 20);
	add(&w, 3ull << 30);
	w.accepted = 0; /* as BPF leaves it */
	accept_wait_read(&w);
	CHECK_U64(w.accepted, 4);
	CHECK_U64(accept_wait_count_le(&w, 1ull << 10), 1);
	CHECK_U64(accept_wait_count_le(&w, 1ull << 20), 2);
	CHECK_U64(accept_wait_count_le(&w, 1ull << 32), 4);
	w.first_ns = 5;
	w.last_ns = 9;
	accept_wait_add(&sum, &w);
	accept_wait_add(&sum, &w);
	CHECK_U64(sum.accepted, 8);
	CHECK_U64(sum.first_ns, 5);
	CHECK_U64(accept_wait_count_le(&sum, 1ull << 20), 4);
	accept_wait_human(1320000000ull, buf, sizeof(buf));
	CHECK_STR(buf, "1.32 s");
	accept_wait_human(12400000ull, buf, sizeof(buf));
	CHECK_STR(buf, "12.4 ms");
	accept_wait_human(820000ull, buf, sizeof(buf));
	CHECK_STR(buf, "820 us");
}

void run_accept_wait_tests(void)
{
	RUN_TEST(test_wait_buckets);
	RUN_TEST(test_wait_quantiles);
	RUN_TEST(test_wait_count_le);
}
