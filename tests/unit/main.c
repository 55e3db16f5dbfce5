// SPDX-License-Identifier: GPL-2.0
/* Runs every test case; the last line is "N passed, N failed". */
#include <stdarg.h>
#include <stdio.h>
#include "unit.h"

static const char *current;
static int case_failed, passed, failed;

void unit_run(const char *name, void (*fn)(void))
{
	current = name;
	case_failed = 0;
	fn();
	if (case_failed)
		failed++;
	else
		passed++;
	fflush(stdout);
}

void unit_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("FAIL %s:%d: %s: ", file, line, current);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	case_failed = 1;
}

/* Quoted, with every byte outside printable ASCII escaped: one line per failure. */
static void put_quoted(const char *s)
{
	if (!s) {
		fputs("NULL", stdout);
		return;
	}
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\n')
			fputs("\\n", stdout);
		else if (c < 0x20 || c >= 0x7f)
			printf("\\x%02x", c);
		else
			putchar(c);
	}
	putchar('"');
}

void unit_fail_str(const char *file, int line, const char *what, const char *a, const char *b)
{
	printf("FAIL %s:%d: %s: %s: ", file, line, current, what);
	put_quoted(a);
	fputs(" vs ", stdout);
	put_quoted(b);
	putchar('\n');
	case_failed = 1;
}

bool unit_str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

int main(void)
{
	run_strbuf_tests();
	run_addr_tests();
	run_json_writer_tests();
	run_kenums_tests();
	run_cli_tests();
	run_clock_tests();
	run_procinfo_tests();
	run_hold_tests();
	run_decode_tests();
	run_diagnose_tests();
	run_kallsyms_tests();
	run_output_json_tests();
	run_output_text_tests();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
