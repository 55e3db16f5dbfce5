// SPDX-License-Identifier: GPL-2.0
#include "hold.h"
#include "unit.h"

#define MAX_SEEN (HOLD_SLOTS * 4)

struct seen {
	uint64_t ts[MAX_SEEN];
	uint64_t sk[MAX_SEEN];
	unsigned int n;
};

static struct hold h;
static struct seen seen;

static void record(void *ctx, const struct rt_kevent *e)
{
	struct seen *s = ctx;

	if (s->n < MAX_SEEN) {
		s->ts[s->n] = e->ev.ts_ns;
		s->sk[s->n] = e->ev.sk;
	}
	s->n++;
}

static void start(void)
{
	memset(&seen, 0, sizeof(seen));
	hold_init(&h, record, &seen);
}

static void push(uint64_t ts, uint64_t sk)
{
	struct rt_kevent e;

	memset(&e, 0, sizeof(e));
	e.ev.type = RT_EV_RST_RECEIVED;
	e.ev.ts_ns = ts;
	e.ev.sk = sk;
	hold_push(&h, &e);
}

static void test_hold_release_order(void)
{
	start();
	push(10, 1);
	push(20, 2);
	push(30, 3);
	hold_release(&h, 10);
	CHECK_INT(seen.n, 0);
	hold_release(&h, 25);
	CHECK_INT(seen.n, 2);
	CHECK_U64(seen.ts[0], 10);
	CHECK_U64(seen.ts[1], 20);
	CHECK_INT(h.count, 1);
	hold_release(&h, UINT64_MAX);
	CHECK_INT(seen.n, 3);
	CHECK_U64(seen.ts[2], 30);
	CHECK_INT(h.count, 0);
	hold_release(&h, UINT64_MAX);
	CHECK_INT(seen.n, 3);
}

static void test_hold_cancel_newest(void)
{
	start();
	push(10, 1);
	push(20, 1);
	push(30, 2);
	CHECK(!hold_cancel(&h, 99));
	CHECK(hold_cancel(&h, 1));
	hold_release(&h, UINT64_MAX);
	CHECK_INT(seen.n, 2);
	CHECK_U64(seen.ts[0], 10);
	CHECK_U64(seen.ts[1], 30);

	start();
	push(10, 1);
	push(20, 1);
	CHECK(hold_cancel(&h, 1));
	CHECK(hold_cancel(&h, 1));
	CHECK(!hold_cancel(&h, 1));
	hold_release(&h, UINT64_MAX);
	CHECK_INT(seen.n, 0);
	CHECK_INT(h.count, 0);
}

static void test_hold_cancel_released(void)
{
	start();
	push(10, 1);
	hold_release(&h, 11);
	CHECK_INT(seen.n, 1);
	CHECK(!hold_cancel(&h, 1));
}

static void test_hold_overflow(void)
{
	unsigned int i;

	start();
	for (i = 0; i < HOLD_SLOTS + 3; i++)
		push(100 + i, 1000 + i);
	CHECK_INT(seen.n, 3);
	CHECK_U64(seen.ts[0], 100);
	CHECK_U64(seen.ts[1], 101);
	CHECK_U64(seen.ts[2], 102);
	CHECK_INT(h.count, HOLD_SLOTS);
	hold_release(&h, UINT64_MAX);
	CHECK_INT(seen.n, HOLD_SLOTS + 3);
	for (i = 0; i < HOLD_SLOTS + 3 && i < MAX_SEEN; i++)
		if (seen.ts[i] != 100 + i || seen.sk[i] != 1000 + i)
			break;
	CHECK_INT(i, HOLD_SLOTS + 3);
}

/* A cancelled event that falls out of a full hold is still not emitted. */
static void test_hold_overflow_cancelled(void)
{
	unsigned int i;

	start();
	push(1, 7);
	CHECK(hold_cancel(&h, 7));
	for (i = 0; i < HOLD_SLOTS; i++)
		push(10 + i, 100 + i);
	CHECK_INT(seen.n, 0);
	CHECK_INT(h.count, HOLD_SLOTS);
	push(5000, 5);
	CHECK_INT(seen.n, 1);
	CHECK_U64(seen.ts[0], 10);
}

/* Many rounds through the ring: order and count survive the wrap-around. */
static void test_hold_wraparound(void)
{
	unsigned int i, bad = 0;

	start();
	for (i = 0; i < 3 * HOLD_SLOTS; i++) {
		push(i, i);
		if (i % 7 == 6)
			hold_release(&h, i - 2);
	}
	hold_release(&h, UINT64_MAX);
	CHECK_INT(seen.n, 3 * HOLD_SLOTS);
	for (i = 0; i < seen.n && i < MAX_SEEN; i++)
		bad += seen.ts[i] != i;
	CHECK_INT(bad, 0);
}

void run_hold_tests(void)
{
	RUN_TEST(test_hold_release_order);
	RUN_TEST(test_hold_cancel_newest);
	RUN_TEST(test_hold_cancel_released);
	RUN_TEST(test_hold_overflow);
	RUN_TEST(test_hold_overflow_cancelled);
	RUN_TEST(test_hold_wraparound);
}
