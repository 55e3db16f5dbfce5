// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <unistd.h>
#include "fixtures.h"
#include "outcheck.h"
#include "unit.h"

static struct output out;

/* Where the EVENT column starts: TIME is 16 wide plus a space. */
#define EVENT_COL 17

static int count_lines_starting(const char *s, const char *prefix)
{
	int n = 0;

	while (s && *s) {
		if (strncmp(s, prefix, strlen(prefix)) == 0)
			n++;
		s = strchr(s, '\n');
		if (s)
			s++;
	}
	return n;
}

/* A terminal shows text output: no control byte but the newline may reach it. */
#define check_no_control_bytes(s) check_no_control_bytes_at(__FILE__, __LINE__, s)
static void check_no_control_bytes_at(const char *file, int line, const char *s)
{
	const char *p;

	for (p = s; p && *p; p++) {
		if ((unsigned char)*p < 0x20 && *p != '\n') {
			unit_fail(file, line,
				  "raw control byte 0x%02x at offset %zu of the text output",
				  (unsigned char)*p, (size_t)(p - s));
			return;
		}
	}
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = s ? strlen(s) : 0, m = strlen(tail);

	return n >= m && strcmp(s + n - m, tail) == 0;
}

static void test_text_lines(void)
{
	char pid[32];
	struct rt_event e;
	const char *l;

	outcheck_open(&out, false);
	fixture_ev_no_socket(&e);
	pipeline_event(&outcheck_pl, &e, 0);
	fixture_ev_invalid_syn(&e);
	pipeline_event(&outcheck_pl, &e, 0);
	/* The header is printed once per run, not once per flush. */
	CHECK_INT(output_flush(&out), 0);
	fixture_ev_ipv6_active(&e);
	pipeline_event(&outcheck_pl, &e, 0);
	fixture_ev_overflow(&e);
	pipeline_event(&outcheck_pl, &e, 0);
	fixture_ev_received(&e);
	pipeline_event(&outcheck_pl, &e, 0);
	CHECK_INT(count_lines_starting(out.sb.buf, "TIME"), 0);
	CHECK(outcheck_nth_line(out.sb.buf, 3) == NULL);
	check_no_control_bytes(out.sb.buf);
	CHECK(ends_with(out.sb.buf, "\n"));

	l = outcheck_nth_line(out.sb.buf, 0);
	CHECK_CONTAINS(l, "[fd77::1]:443");
	CHECK_CONTAINS(l, "[fd77::2]:50000");
	CHECK_CONTAINS(l, "CLOSE<-ESTABLISHED");
	CHECK_CONTAINS(l, "TCP_ABORT_ON_CLOSE");
	CHECK_CONTAINS(l, " curl ");

	l = outcheck_nth_line(out.sb.buf, 1);
	CHECK(l && strncmp(l + EVENT_COL, "overflow/ack ", 13) == 0);
	CHECK_CONTAINS(l, "TCP_LISTEN_OVERFLOW");
	snprintf(pid, sizeof(pid), " %u ", FIXTURE_DEAD_PID);
	CHECK_CONTAINS(l, pid);
	CHECK_CONTAINS(l, " 129/128 ");

	l = outcheck_nth_line(out.sb.buf, 2);
	CHECK(l && strncmp(l + EVENT_COL, "rst_received ", 13) == 0);
	CHECK_CONTAINS(l, "ESTABLISHED");
	CHECK_CONTAINS(l, " client ");
	CHECK_NOT_CONTAINS(l, "NOT_SPECIFIED");
	outcheck_close(&out);
}

static void test_text_header_and_first_lines(void)
{
	char pid[32];
	struct rt_event e;
	const char *l;

	outcheck_open(&out, false);
	fixture_ev_no_socket(&e);
	pipeline_event(&outcheck_pl, &e, 0);
	fixture_ev_invalid_syn(&e);
	pipeline_event(&outcheck_pl, &e, 0);
	CHECK_INT(count_lines_starting(out.sb.buf, "TIME "), 1);
	CHECK(outcheck_nth_line(out.sb.buf, 3) == NULL);

	l = outcheck_nth_line(out.sb.buf, 0);
	CHECK(l && strncmp(l, "TIME ", 5) == 0);
	CHECK(l && strncmp(l + EVENT_COL, "EVENT ", 6) == 0);
	CHECK_CONTAINS(l, " PID ");
	CHECK_CONTAINS(l, " COMM ");
	CHECK_CONTAINS(l, " LOCAL ");
	CHECK_CONTAINS(l, " REMOTE ");
	CHECK_CONTAINS(l, " STATE ");
	CHECK_CONTAINS(l, " REASON ");
	CHECK_CONTAINS(l, " QUEUE ");

	l = outcheck_nth_line(out.sb.buf, 1);
	CHECK(l && strncmp(l, "08:40:01.123456 ", 16) == 0);
	CHECK(l && strncmp(l + EVENT_COL, "rst_sent ", 9) == 0);
	CHECK_CONTAINS(l, " 10.0.0.1:8080 ");
	CHECK_CONTAINS(l, " 10.0.0.2:40000 ");
	CHECK_CONTAINS(l, " NO_SOCKET ");
	CHECK_CONTAINS(l, " NO_SOCKET                  - ");

	l = outcheck_nth_line(out.sb.buf, 2);
	snprintf(pid, sizeof(pid), " %d ", getpid());
	CHECK_CONTAINS(l, pid);
	CHECK_CONTAINS(l, " server ");
	CHECK_CONTAINS(l, " LISTEN ");
	CHECK_CONTAINS(l, " INVALID_SYN(listen_overflow) ");
	CHECK_CONTAINS(l, " 3/2 ");
	outcheck_close(&out);
}

static void test_text_comm_sanitized(void)
{
	static const char comm[] = {'a', '\t', 'b', '\n', 'c', 0x1b, '[', 'm', 0x7f, 0};
	struct rt_event e;
	const char *l;

	outcheck_open(&out, false);
	out.header_done = true;
	fixture_ev_received(&e);
	memcpy(e.owner.comm, comm, sizeof(comm));
	pipeline_event(&outcheck_pl, &e, 0);
	l = outcheck_nth_line(out.sb.buf, 0);
	CHECK_CONTAINS(l, " a?b?c?[m? ");
	check_no_control_bytes(out.sb.buf);
	CHECK(outcheck_nth_line(out.sb.buf, 1) == NULL);
	/* 16 bytes and no NUL: printed whole, nothing read past it. */
	sb_reset(&out.sb);
	memset(e.owner.comm, 'z', sizeof(e.owner.comm));
	pipeline_event(&outcheck_pl, &e, 0);
	CHECK_CONTAINS(out.sb.buf, " zzzzzzzzzzzzzzzz ");
	outcheck_close(&out);
}

/* --fold: one line for a run of same-kind events, then a count when the run ends. */
static void test_text_fold(void)
{
	struct rt_event e;

	outcheck_open(&out, false);
	out.header_done = true;
	outcheck_pl.fold = true;
	fixture_ev_no_socket(&e);
	pipeline_event(&outcheck_pl, &e, 0);
	e.ts_ns += 1000000;
	e.rport++;
	pipeline_event(&outcheck_pl, &e, 0);
	e.ts_ns += 1500000000;
	e.rport++;
	pipeline_event(&outcheck_pl, &e, 0);
	CHECK(outcheck_nth_line(out.sb.buf, 1) == NULL);
	fixture_ev_received(&e);
	pipeline_event(&outcheck_pl, &e, 0);
	CHECK_STR(outcheck_nth_line(out.sb.buf, 1), "... 2 more like this in 1.501 s");
	CHECK_CONTAINS(outcheck_nth_line(out.sb.buf, 2), "rst_received");
	pipeline_event(&outcheck_pl, &e, 0);
	CHECK(outcheck_nth_line(out.sb.buf, 3) == NULL);
	pipeline_finish(&outcheck_pl, 0);
	CHECK_STR(outcheck_nth_line(out.sb.buf, 3), "... 1 more like this in 0.000 s");
	CHECK(outcheck_nth_line(out.sb.buf, 4) == NULL);
	outcheck_close(&out);
}

/* An overflow event whose path the formatter does not know must not print "(null)". */
static void test_text_overflow_unknown_path(void)
{
	struct rt_event e;

	outcheck_open(&out, false);
	out.header_done = true;
	fixture_ev_overflow(&e);
	e.path = RT_PATH_NONE;
	pipeline_event(&outcheck_pl, &e, 0);
	CHECK_CONTAINS(out.sb.buf, "overflow");
	CHECK_NOT_CONTAINS(out.sb.buf, "(null)");
	outcheck_close(&out);
}

static void test_text_lost(void)
{
	outcheck_open(&out, false);
	pipeline_lost(&outcheck_pl, 5, 7, 0);
	CHECK(strncmp(out.sb.buf, "WARNING: 5 events lost (7 in total)", 35) == 0);
	CHECK(ends_with(out.sb.buf, "\n"));
	CHECK_INT(count_lines_starting(out.sb.buf, "TIME"), 0);
	outcheck_close(&out);
}

void run_output_text_tests(void)
{
	RUN_TEST(test_text_header_and_first_lines);
	RUN_TEST(test_text_lines);
	RUN_TEST(test_text_comm_sanitized);
	RUN_TEST(test_text_fold);
	RUN_TEST(test_text_overflow_unknown_path);
	RUN_TEST(test_text_lost);
}
