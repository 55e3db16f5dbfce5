// SPDX-License-Identifier: GPL-2.0
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
#include "fixtures.h"
#include "procinfo.h"
#include "unit.h"

/* Fields 3 to 21 of a real /proc/PID/stat line, then starttime 98765 and the rest. */
#define MID  " S 1 1234 1234 34816 1234 4194304 1500 2000 0 0 3 1 5 2 20 0 1 0 "
#define TAIL " 8650752 900 18446744073709551615 1 1 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n"

static void test_procinfo_parse(void)
{
	CHECK_INT(procinfo_parse_starttime("1234 (bash)" MID "98765" TAIL), 98765);
	CHECK_INT(procinfo_parse_starttime("1234 (my prog)" MID "98765" TAIL), 98765);
	CHECK_INT(procinfo_parse_starttime("1234 (a) b)" MID "98765" TAIL), 98765);
	/* A comm that looks like the fields that follow it. */
	CHECK_INT(procinfo_parse_starttime("1 (x) S 1 2 3 4 5 6 7 8 9)" MID "42" TAIL), 42);
	CHECK_INT(procinfo_parse_starttime("1 ())" MID "0" TAIL), 0);
	CHECK_INT(procinfo_parse_starttime("1 (x)" MID "98765"), 98765);
	CHECK_INT(procinfo_parse_starttime("1 (x)" MID "98765\n"), 98765);
	CHECK_INT(procinfo_parse_starttime("1 (x)" MID "9223372036854775807" TAIL),
		  9223372036854775807LL);
}

static void test_procinfo_parse_bad(void)
{
	CHECK_INT(procinfo_parse_starttime(""), -1);
	CHECK_INT(procinfo_parse_starttime("1234 (bash"), -1);
	CHECK_INT(procinfo_parse_starttime("1234 (bash)"), -1);
	CHECK_INT(procinfo_parse_starttime("1234 (bash) S 1 1234"), -1);
	CHECK_INT(procinfo_parse_starttime("1 (x)" MID), -1);
	CHECK_INT(procinfo_parse_starttime("1 (x) S 1 1234 1234 34816 1234 4194304 1500 2000 0 0 3 "
					   "1 5 2 20 0 1 0"),
		  -1);
	CHECK_INT(procinfo_parse_starttime("1 (x)" MID "x" TAIL), -1);
	CHECK_INT(procinfo_parse_starttime("1 (x)" MID "98765x" TAIL), -1);
	CHECK_INT(procinfo_parse_starttime("1 (x)" MID "-5" TAIL), -1);
	CHECK_INT(procinfo_parse_starttime("no parenthesis at all 1 2 3"), -1);
}

static void test_procinfo_parse_self(void)
{
	char buf[1024];
	size_t len;
	FILE *f = fopen("/proc/self/stat", "r");

	CHECK(f != NULL);
	if (!f)
		return;
	len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[len] = '\0';
	CHECK(procinfo_parse_starttime(buf) > 0);
	CHECK_U64((uint64_t)procinfo_parse_starttime(buf) * (1000000000ull / sysconf(_SC_CLK_TCK)),
		  fixture_start_ns(getpid()));
}

static void test_procinfo_alive_self(void)
{
	uint64_t tick = 1000000000ull / (uint64_t)sysconf(_SC_CLK_TCK);
	uint64_t start = fixture_start_ns(getpid());

	CHECK(start != 0);
	CHECK(procinfo_owner_alive((uint32_t)getpid(), start, 1000));
	/* BPF has nanoseconds, /proc has ticks: the same tick is the same process. */
	CHECK(procinfo_owner_alive((uint32_t)getpid(), start + tick - 1, 2000));
	CHECK(!procinfo_owner_alive((uint32_t)getpid(), start + tick, 3000));
	CHECK(!procinfo_owner_alive((uint32_t)getpid(), start - tick, 4000));
	CHECK(!procinfo_owner_alive((uint32_t)getpid(), 0, 5000));
}

static void test_procinfo_alive_gone(void)
{
	uint64_t t0 = 10ull * 1000000000ull;
	int pipefd[2];
	uint64_t start;
	char c;
	pid_t pid;

	/* Never a pid: PID_MAX_LIMIT is 2^22. */
	CHECK(!procinfo_owner_alive(0x7ffffff0u, 0, t0));
	CHECK(!procinfo_owner_alive(UINT32_MAX, 0, t0));
	if (pipe(pipefd)) {
		CHECK(!"pipe");
		return;
	}
	pid = fork();
	if (pid == 0) {
		close(pipefd[1]);
		while (read(pipefd[0], &c, 1) > 0)
			;
		_exit(0);
	}
	close(pipefd[0]);
	CHECK(pid > 0);
	start = fixture_start_ns(pid);
	CHECK(start != 0);
	CHECK(procinfo_owner_alive((uint32_t)pid, start, t0));
	close(pipefd[1]);
	waitpid(pid, NULL, 0);
	/* Answers are cached for 100 ms, then the exit is seen. */
	CHECK(procinfo_owner_alive((uint32_t)pid, start, t0 + 50000000));
	CHECK(!procinfo_owner_alive((uint32_t)pid, start, t0 + 200000000));
}

void run_procinfo_tests(void)
{
	RUN_TEST(test_procinfo_parse);
	RUN_TEST(test_procinfo_parse_bad);
	RUN_TEST(test_procinfo_parse_self);
	RUN_TEST(test_procinfo_alive_self);
	RUN_TEST(test_procinfo_alive_gone);
}
