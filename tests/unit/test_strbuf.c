// SPDX-License-Identifier: GPL-2.0
#include <limits.h>
#include "strbuf.h"
#include "unit.h"

static void test_strbuf_append(void)
{
	struct strbuf sb;

	sb_init(&sb);
	sb_puts(&sb, "ab");
	sb_putc(&sb, 'c');
	sb_append(&sb, "dxyz", 1);
	sb_printf(&sb, "-%d-%s", 42, "x");
	CHECK_STR(sb.buf, "abcd-42-x");
	CHECK_INT(sb.len, 9);
	sb_reset(&sb);
	CHECK_INT(sb.len, 0);
	sb_puts(&sb, "z");
	CHECK_STR(sb.buf, "z");
	sb_free(&sb);
	CHECK(sb.buf == NULL);
}

static void test_strbuf_u64(void)
{
	struct strbuf sb;

	sb_init(&sb);
	sb_put_u64(&sb, 0);
	sb_putc(&sb, ' ');
	sb_put_u64(&sb, 7);
	sb_putc(&sb, ' ');
	sb_put_u64(&sb, 1000000);
	sb_putc(&sb, ' ');
	sb_put_u64(&sb, ULLONG_MAX);
	CHECK_STR(sb.buf, "0 7 1000000 18446744073709551615");
	sb_free(&sb);
}

static void test_strbuf_grows(void)
{
	struct strbuf sb;
	size_t i;

	sb_init(&sb);
	for (i = 0; i < 10000; i++)
		sb_putc(&sb, (char)('a' + i % 26));
	sb_printf(&sb, "%5000s|", "end");
	CHECK_INT(sb.len, 15001);
	CHECK(!sb.oom);
	CHECK_INT(sb.buf[9999], 'a' + 9999 % 26);
	CHECK_INT(sb.buf[14999], 'd');
	CHECK_INT(sb.buf[15001], '\0');
	sb_free(&sb);
}

static void test_strbuf_pad(void)
{
	struct strbuf sb;
	size_t from;

	sb_init(&sb);
	sb_puts(&sb, ">");
	from = sb.len;
	sb_puts(&sb, "ab");
	sb_pad(&sb, from, 5);
	sb_puts(&sb, "|");
	from = sb.len;
	sb_puts(&sb, "toolong");
	sb_pad(&sb, from, 3);
	sb_puts(&sb, "|");
	CHECK_STR(sb.buf, ">ab   |toolong|");
	sb_free(&sb);
}

void run_strbuf_tests(void)
{
	RUN_TEST(test_strbuf_append);
	RUN_TEST(test_strbuf_u64);
	RUN_TEST(test_strbuf_grows);
	RUN_TEST(test_strbuf_pad);
}
