// SPDX-License-Identifier: GPL-2.0
#include "unit.h"
#include "utf8.h"

static void test_utf8_sanitize(void)
{
	char out[64];

	CHECK_INT(utf8_sanitize(out, sizeof(out), "nginx", 16), 5);
	CHECK_STR(out, "nginx");
	/* сервер: 6 letters, 12 bytes, 6 columns. */
	CHECK_INT(
	    utf8_sanitize(out, sizeof(out), "\xd1\x81\xd0\xb5\xd1\x80\xd0\xb2\xd0\xb5\xd1\x80", 16),
	    6);
	CHECK_STR(out, "\xd1\x81\xd0\xb5\xd1\x80\xd0\xb2\xd0\xb5\xd1\x80");
	/* Wide characters take two columns. */
	CHECK_INT(utf8_sanitize(out, sizeof(out), "\xe6\x9c\x8d\xe5\x8a\xa1", 16), 4);
	/* Control bytes and bytes that are no UTF-8 become '?'. */
	CHECK_INT(utf8_sanitize(out, sizeof(out), "a\x1b[2Jb\xff", 16), 7);
	CHECK_STR(out, "a?[2Jb?");
	/* A character cut by comm's 16 bytes is no character. */
	CHECK_INT(utf8_sanitize(out, sizeof(out), "abcdefghijklmno\xd1\x81", 16), 16);
	CHECK_STR(out, "abcdefghijklmno?");
	/* The output never overflows. */
	CHECK_INT(utf8_sanitize(out, 4, "\xd1\x81\xd1\x81", 16), 1);
	CHECK_STR(out, "\xd1\x81");
}

static void test_utf8_width(void)
{
	CHECK_U64(utf8_width("abc"), 3);
	CHECK_U64(utf8_width("\xd1\x81\xd0\xb5"), 2);
	CHECK_U64(utf8_width("e\xcc\x81"), 1);
	CHECK_U64(utf8_width("\xf0\x9f\x98\x80"), 2);
}

void run_utf8_tests(void)
{
	RUN_TEST(test_utf8_sanitize);
	RUN_TEST(test_utf8_width);
}
