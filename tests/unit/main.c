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

/* Generated from the test files: UNIT_SUITES lists every run_*_tests. */
#include "unit_registry.h"

int main(void)
{
	static void (*const suites[])(void) = {UNIT_SUITES};
	size_t i;

	for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		suites[i]();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
