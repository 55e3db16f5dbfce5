// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include "kallsyms.h"
#include "unit.h"

/* Unsorted, with a module symbol, data symbols and a malformed line. */
static const char sample[] = "ffffffff81000000 T _stext\n"
			     "ffffffff81a00100 t tcp_v4_rcv\n"
			     "ffffffff81a00000 T tcp_rcv_state_process\n"
			     "ffffffff81a00050 T tcp_rcv_state_process\n"
			     "garbage line\n"
			     "ffffffff81a00400 T tcp_rcv_established\n"
			     "ffffffff82000000 D some_data\n"
			     "ffffffffc0001000 t helper\t[nf_conntrack]\n"
			     "ffffffffc0001080 t helper2\t[nf_conntrack]\n"
			     "ffffffff81b00000 d tcp_data_only\n"
			     "ffffffff81ffffff T last_func\n";

static int range(const char *text, const char *name, uint64_t *start, uint64_t *end)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int r;

	if (!f)
		return -999;
	r = kallsyms_func_range(f, name, start, end);
	fclose(f);
	return r;
}

static void test_kallsyms_range(void)
{
	uint64_t start = 1, end = 2;

	CHECK_INT(range(sample, "tcp_rcv_state_process", &start, &end), 0);
	CHECK_U64(start, 0xffffffff81a00000ull);
	CHECK_U64(end, 0xffffffff81a00050ull);
	CHECK_INT(range(sample, "tcp_v4_rcv", &start, &end), 0);
	CHECK_U64(start, 0xffffffff81a00100ull);
	CHECK_U64(end, 0xffffffff81a00400ull);
	CHECK_INT(range(sample, "helper", &start, &end), 0);
	CHECK_U64(start, 0xffffffffc0001000ull);
	CHECK_U64(end, 0xffffffffc0001080ull);
}

static void test_kallsyms_missing(void)
{
	static const char zeros[] = "0000000000000000 T tcp_rcv_state_process\n"
				    "0000000000000000 T other\n";
	uint64_t start = 1, end = 2;

	CHECK_INT(range(sample, "no_such_function", &start, &end), -ENOENT);
	CHECK_INT(range(sample, "some_data", &start, &end), -ENOENT);
	CHECK_INT(range(sample, "tcp_data_only", &start, &end), -ENOENT);
	CHECK_INT(range(sample, "tcp_rcv", &start, &end), -ENOENT);
	/* The highest symbol has no end. */
	CHECK_INT(range("ffffffff81000000 T a\nffffffff81000010 T b\n", "b", &start, &end),
		  -ENOENT);
	/* What an unprivileged reader sees: the name is there, its address hidden. */
	CHECK_INT(range(zeros, "tcp_rcv_state_process", &start, &end), -EACCES);
	CHECK_INT(range("", "x", &start, &end), -ENOENT);
	CHECK_U64(start, 1);
	CHECK_U64(end, 2);
}

void run_kallsyms_tests(void)
{
	RUN_TEST(test_kallsyms_range);
	RUN_TEST(test_kallsyms_missing);
}
