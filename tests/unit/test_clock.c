// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "clock.h"
#include "fixtures.h"
#include "unit.h"

#define NS 1000000000LL

static const char *rfc(struct rt_clock *c, uint64_t boot_ns)
{
	static char buf[64];

	rt_clock_rfc3339(c, boot_ns, buf, sizeof(buf));
	return buf;
}

static const char *hms(struct rt_clock *c, uint64_t boot_ns)
{
	static char buf[64];

	rt_clock_short(c, boot_ns, buf, sizeof(buf));
	return buf;
}

static void test_clock_rfc3339(void)
{
	struct rt_clock c;

	rt_clock_init_offset(&c, FIXTURE_BOOT_TO_REAL);
	CHECK_STR(rfc(&c, 123), "2026-11-26T08:40:01.123456789Z");
	CHECK_INT(strlen(rfc(&c, 123)), 30);
	/* The next second, then back: the cached prefix must follow. */
	CHECK_STR(rfc(&c, 123 + 876543211), "2026-11-26T08:40:02.000000000Z");
	CHECK_STR(rfc(&c, 124), "2026-11-26T08:40:01.123456790Z");
	CHECK_STR(rfc(&c, 123 + 86400 * NS), "2026-11-27T08:40:01.123456789Z");
	rt_clock_init_offset(&c, 1795682401LL * NS);
	CHECK_STR(rfc(&c, 0), "2026-11-26T08:40:01.000000000Z");
	CHECK_STR(rfc(&c, 5), "2026-11-26T08:40:01.000000005Z");
	CHECK_STR(rfc(&c, NS - 1), "2026-11-26T08:40:01.999999999Z");
}

static void test_clock_short(void)
{
	struct rt_clock c;

	rt_clock_init_offset(&c, FIXTURE_BOOT_TO_REAL);
	CHECK_STR(hms(&c, 123), "08:40:01.123456");
	/* Microseconds are truncated, not rounded. */
	CHECK_STR(hms(&c, 123 + 210), "08:40:01.123456");
	CHECK_STR(hms(&c, 123 + 211), "08:40:01.123457");
	rt_clock_init_offset(&c, 0);
	CHECK_STR(hms(&c, 0), "00:00:00.000000");
}

/* Wall-clock times before the epoch: nanoseconds stay positive, the second goes down. */
static void test_clock_negative(void)
{
	struct rt_clock c;

	rt_clock_init_offset(&c, -2);
	CHECK_STR(rfc(&c, 1), "1969-12-31T23:59:59.999999999Z");
	CHECK_STR(hms(&c, 1), "23:59:59.999999");
	CHECK_STR(rfc(&c, 2), "1970-01-01T00:00:00.000000000Z");
	CHECK_STR(rfc(&c, 3), "1970-01-01T00:00:00.000000001Z");
	rt_clock_init_offset(&c, -NS);
	CHECK_STR(rfc(&c, 0), "1969-12-31T23:59:59.000000000Z");
	rt_clock_init_offset(&c, -3 * NS / 2);
	CHECK_STR(rfc(&c, 0), "1969-12-31T23:59:58.500000000Z");
	/* A negative offset with a boot time that lands after the epoch. */
	rt_clock_init_offset(&c, -10 * NS);
	CHECK_STR(rfc(&c, (uint64_t)(11 * NS + 7)), "1970-01-01T00:00:01.000000007Z");
}

static void test_clock_small_buffer(void)
{
	struct rt_clock c;
	char buf[11];

	rt_clock_init_offset(&c, FIXTURE_BOOT_TO_REAL);
	rt_clock_rfc3339(&c, 123, buf, sizeof(buf));
	CHECK_STR(buf, "2026-11-26");
	rt_clock_short(&c, 123, buf, 6);
	CHECK_STR(buf, "08:40");
}

/*
 * Formats in a child: a sanitizer abort there fails this check instead of
 * ending the run. 0 when the child exited normally with a sane string.
 */
static int format_in_child(int64_t offset, uint64_t boot_ns)
{
	struct rt_clock c;
	char buf[64];
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		rt_clock_init_offset(&c, offset);
		rt_clock_rfc3339(&c, boot_ns, buf, sizeof(buf));
		_exit(strlen(buf) >= 20 && buf[strlen(buf) - 1] == 'Z' ? 0 : 1);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Any boot time a corrupt or future event could carry is formatted without overflow. */
static void test_clock_extremes(void)
{
	CHECK_INT(format_in_child(FIXTURE_BOOT_TO_REAL, (uint64_t)INT64_MAX), 0);
	CHECK_INT(format_in_child(FIXTURE_BOOT_TO_REAL, UINT64_MAX), 0);
	CHECK_INT(format_in_child(FIXTURE_BOOT_TO_REAL, 1ull << 63), 0);
	CHECK_INT(format_in_child(INT64_MIN, 0), 0);
	CHECK_INT(format_in_child(-1, (uint64_t)INT64_MAX), 0);
}

/* The real offset puts "now" within a few seconds of time(). */
static void test_clock_real(void)
{
	struct rt_clock c;
	struct tm tm = {0};
	time_t t, now;
	int nsec = -1;

	rt_clock_init(&c);
	CHECK_INT(sscanf(rfc(&c, rt_clock_boot_now_ns()), "%d-%d-%dT%d:%d:%d.%9dZ", &tm.tm_year,
			 &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &nsec),
		  7);
	now = time(NULL);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = timegm(&tm);
	CHECK(t >= now - 2 && t <= now + 2);
	CHECK(nsec >= 0 && nsec < NS);
}

void run_clock_tests(void)
{
	RUN_TEST(test_clock_rfc3339);
	RUN_TEST(test_clock_short);
	RUN_TEST(test_clock_negative);
	RUN_TEST(test_clock_small_buffer);
	RUN_TEST(test_clock_real);
	RUN_TEST(test_clock_extremes);
}
