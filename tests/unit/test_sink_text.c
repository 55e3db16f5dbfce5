// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <unistd.h>
#include "fixtures.h"
#include "outcheck.h"
#include "unit.h"
#include "utf8.h"

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
	struct rt_kevent e;
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
	struct rt_kevent e;
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
	struct rt_kevent e;
	const char *l;

	outcheck_open(&out, false);
	out.header_done = true;
	fixture_ev_received(&e);
	memcpy(e.ev.owner.comm, comm, sizeof(comm));
	pipeline_event(&outcheck_pl, &e, 0);
	l = outcheck_nth_line(out.sb.buf, 0);
	CHECK_CONTAINS(l, " a?b?c?[m? ");
	check_no_control_bytes(out.sb.buf);
	CHECK(outcheck_nth_line(out.sb.buf, 1) == NULL);
	/* 16 bytes and no NUL: printed whole, nothing read past it. */
	sb_reset(&out.sb);
	memset(e.ev.owner.comm, 'z', sizeof(e.ev.owner.comm));
	pipeline_event(&outcheck_pl, &e, 0);
	CHECK_CONTAINS(out.sb.buf, " zzzzzzzzzzzzzzzz ");
	outcheck_close(&out);
}

/* A folded storm is one line that says how many events it stands for. */
static void test_text_fold(void)
{
	struct rt_kevent e;
	const char *l;

	outcheck_open(&out, false);
	out.header_done = true;
	fixture_ev_no_socket(&e);
	pipeline_folded(&outcheck_pl, &e, 1234, 123, 123 + 1500000000ull, false, 0);
	l = outcheck_nth_line(out.sb.buf, 0);
	CHECK_CONTAINS(l, "rst_sent x1234");
	/* The peer shown is one of many: said before the diagnosis. */
	CHECK_CONTAINS(l, "no_listener: [1234 events in 1.500 s; the first:] nothing listens");
	CHECK(outcheck_nth_line(out.sb.buf, 1) == NULL);
	outcheck_close(&out);
}

/* Kernels before 6.10 give no reason: a known cause must not print "(null)". */
static void test_text_cause_without_reason(void)
{
	struct rt_kevent e;

	outcheck_open(&out, false);
	out.header_done = true;
	fixture_ev_invalid_syn(&e);
	e.ev.flags |= RT_F_NO_REASON;
	e.listener.abort_on_overflow = 1;
	pipeline_event(&outcheck_pl, &e, 0);
	CHECK_CONTAINS(out.sb.buf, "(listen_overflow)");
	CHECK_NOT_CONTAINS(out.sb.buf, "(null)");
	outcheck_close(&out);
}

/* An overflow event whose path the formatter does not know must not print "(null)". */
static void test_text_overflow_unknown_path(void)
{
	struct rt_kevent e;

	outcheck_open(&out, false);
	out.header_done = true;
	fixture_ev_overflow(&e);
	e.ev.path = RT_PATH_NONE;
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

static void test_text_syn_detector(void)
{
	const uint64_t disarmed[2] = {8, 0};

	outcheck_open(&out, false);
	pipeline_syn_detector(&outcheck_pl, true, "accept_queue", disarmed, 0);
	pipeline_syn_detector(&outcheck_pl, false, "quiet", disarmed, 0);
	CHECK_CONTAINS(out.sb.buf, "NOTE: SYN-path detector armed (an accept queue at half its "
				   "limit): 8 accept-queue and 0 SYN-queue overflows counted");
	CHECK_CONTAINS(out.sb.buf, "NOTE: SYN-path detector disarmed: no listener under pressure "
				   "for 10 s\n");
	CHECK_INT(count_lines_starting(out.sb.buf, "NOTE"), 2);
	outcheck_close(&out);
}

/* On a terminal every event is a block no wider than the terminal. */
static void check_fits(const char *text, size_t width)
{
	const char *line = text;

	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		char buf[1024];

		snprintf(buf, sizeof(buf), "%.*s", (int)len, line);
		if (utf8_width(buf) > width)
			unit_fail(__FILE__, __LINE__,
				  "line of %zu columns in a %zu-column terminal: %s",
				  utf8_width(buf), width, buf);
		line = end ? end + 1 : NULL;
	}
}

static void test_text_terminal_width(void)
{
	static const size_t widths[] = {80, 120};
	struct rt_kevent e;
	size_t i;

	for (i = 0; i < 2; i++) {
		outcheck_open(&out, false);
		out.width = widths[i];
		sink_text_header(&out);
		CHECK_INT(out.sb.len, 0);
		fixture_ev_invalid_syn(&e);
		pipeline_event(&outcheck_pl, &e, 0);
		fixture_ev_ipv6_active(&e);
		pipeline_event(&outcheck_pl, &e, 0);
		fixture_ev_synq(&e);
		pipeline_event(&outcheck_pl, &e, 0);
		check_fits(out.sb.buf, widths[i]);
		/* The diagnosis starts its own indented line. */
		CHECK_CONTAINS(out.sb.buf,
			       "\n    listen_overflow: accept queue of listener port 8080");
		CHECK_CONTAINS(out.sb.buf, "\n    unread_data_on_close: ");
		CHECK_CONTAINS(out.sb.buf, "queue 3/2");
		outcheck_close(&out);
	}
}

/* An overflow names the limit that binds and what to set: on the line, or as "fix:". */
static void test_text_overflow_fix(void)
{
	static const size_t widths[] = {0, 80};
	struct rt_kevent e;
	size_t i;

	for (i = 0; i < 2; i++) {
		outcheck_open(&out, false);
		out.width = widths[i];
		fixture_ev_overflow(&e);
		strncpy(e.listener.owner.comm, "nginx", sizeof(e.listener.owner.comm));
		e.listener.somaxconn = 4096;
		e.listener.call.ts_ns = 1;
		e.listener.call.backlog = 128;
		e.listener.call.somaxconn = 4096;
		e.listener.burst.start_ns = 1;
		e.listener.burst.end_ns = 2;
		e.listener.burst.peak = 300;
		e.listener.burst.overflowed = 171;
		pipeline_event(&outcheck_pl, &e, 0);
		CHECK_CONTAINS(out.sb.buf, i ? "\n    fix: limit 128 = nginx's listen backlog"
					     : "; limit 128 = nginx's listen backlog");
		CHECK_CONTAINS(out.sb.buf, "backlog=512 in nginx's listen directive");
		if (widths[i])
			check_fits(out.sb.buf, widths[i]);
		outcheck_close(&out);
	}
}

/* A UTF-8 process name is shown as it is, and the columns after it stay aligned. */
static void test_text_utf8_comm(void)
{
	const char *server = "\xd1\x81\xd0\xb5\xd1\x80\xd0\xb2\xd0\xb5\xd1\x80";
	struct rt_kevent e;
	const char *l0, *l1;

	outcheck_open(&out, false);
	out.header_done = true;
	fixture_ev_invalid_syn(&e);
	pipeline_event(&outcheck_pl, &e, 0);
	memcpy(e.ev.owner.comm, server, 12);
	e.ev.owner.comm[12] = '\0';
	pipeline_event(&outcheck_pl, &e, 0);
	l0 = outcheck_nth_line(out.sb.buf, 0);
	l1 = outcheck_nth_line(out.sb.buf, 1);
	CHECK_CONTAINS(l1, server);
	CHECK_NOT_CONTAINS(l1, "??");
	/* Same display column for LOCAL: the name is 6 columns, not 12 bytes. */
	if (l0 && l1) {
		char a[512], b[512];
		const char *pa = strstr(l0, "10.0.0.1:8080"), *pb = strstr(l1, "10.0.0.1:8080");

		CHECK(pa && pb);
		if (pa && pb) {
			snprintf(a, sizeof(a), "%.*s", (int)(pa - l0), l0);
			snprintf(b, sizeof(b), "%.*s", (int)(pb - l1), l1);
			CHECK_U64(utf8_width(a), utf8_width(b));
		}
	}
	outcheck_close(&out);
}

void run_sink_text_tests(void)
{
	RUN_TEST(test_text_header_and_first_lines);
	RUN_TEST(test_text_lines);
	RUN_TEST(test_text_comm_sanitized);
	RUN_TEST(test_text_fold);
	RUN_TEST(test_text_terminal_width);
	RUN_TEST(test_text_overflow_fix);
	RUN_TEST(test_text_utf8_comm);
	RUN_TEST(test_text_cause_without_reason);
	RUN_TEST(test_text_overflow_unknown_path);
	RUN_TEST(test_text_lost);
	RUN_TEST(test_text_syn_detector);
}
