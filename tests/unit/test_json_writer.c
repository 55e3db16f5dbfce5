// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include "json_writer.h"
#include "minijson.h"
#include "strbuf.h"
#include "unit.h"

static struct strbuf sb;
static struct json_writer jw;

static void begin(void)
{
	sb_free(&sb);
	jw_init(&jw, &sb);
}

/* The text written since begin(), checked to be valid JSON too. */
static const char *written(void)
{
	if (!sb.buf || mj_check(sb.buf, sb.len))
		unit_fail_str(__FILE__, __LINE__, "not valid JSON", sb.buf, "");
	return sb.buf;
}

static const char *one_string(const char *s)
{
	begin();
	jw_string(&jw, s);
	return written();
}

static void test_jw_escapes(void)
{
	CHECK_STR(one_string("plain"), "\"plain\"");
	CHECK_STR(one_string(""), "\"\"");
	CHECK_STR(one_string("a\"b"), "\"a\\\"b\"");
	CHECK_STR(one_string("a\\b"), "\"a\\\\b\"");
	CHECK_STR(one_string("\\\""), "\"\\\\\\\"\"");
	CHECK_STR(one_string("l1\nl2\tx\ry"), "\"l1\\nl2\\tx\\ry\"");
	CHECK_STR(one_string("/"), "\"/\"");
}

static void test_jw_control_and_high_bytes(void)
{
	CHECK_STR(one_string("\x01"), "\"\\u0001\"");
	CHECK_STR(one_string("a\x1f"
			     "b"),
		  "\"a\\u001fb\"");
	CHECK_STR(one_string("\b\f"), "\"\\u0008\\u000c\"");
	CHECK_STR(one_string("\x7f"), "\"\\u007f\"");
	CHECK_STR(one_string("\x80"), "\"\\u0080\"");
	CHECK_STR(one_string("x\xff"), "\"x\\u00ff\"");
	/* Valid UTF-8 passes through: log pipelines must see the name the process has. */
	CHECK_STR(one_string("\xc3\xa9"), "\"\xc3\xa9\"");
	CHECK_STR(one_string("\xd1\x81\xd0\xb5\xd1\x80\xd0\xb2\xd0\xb5\xd1\x80"),
		  "\"\xd1\x81\xd0\xb5\xd1\x80\xd0\xb2\xd0\xb5\xd1\x80\"");
	CHECK_STR(one_string("\xe6\x9c\x8d\xf0\x9f\x98\x80"), "\"\xe6\x9c\x8d\xf0\x9f\x98\x80\"");
	/* Bytes that are no UTF-8 are escaped one by one: overlong, surrogate, cut short. */
	CHECK_STR(one_string("\xc0\xaf"), "\"\\u00c0\\u00af\"");
	CHECK_STR(one_string("\xed\xa0\x80"), "\"\\u00ed\\u00a0\\u0080\"");
	CHECK_STR(one_string("a\xd1"), "\"a\\u00d1\"");
	CHECK_STR(one_string("\xf4\x90\x80\x80"), "\"\\u00f4\\u0090\\u0080\\u0080\"");
}

/* A multi-byte character cut by the field's length is not passed through half. */
static void test_jw_utf8_cut(void)
{
	begin();
	jw_string_n(&jw, "\xd1\x81\xd1\x81", 3);
	CHECK_STR(written(), "\"\xd1\x81\\u00d1\"");
}

static void test_jw_string_n(void)
{
	begin();
	jw_string_n(&jw, "abcdef", 3);
	CHECK_STR(written(), "\"abc\"");
	begin();
	jw_string_n(&jw, "ab\0cd", 5);
	CHECK_STR(written(), "\"ab\"");
	begin();
	jw_string_n(&jw, "ab", 0);
	CHECK_STR(written(), "\"\"");
}

static void test_jw_numbers(void)
{
	begin();
	jw_start_object(&jw);
	jw_uint_field(&jw, "zero", 0);
	jw_uint_field(&jw, "max", UINT64_MAX);
	jw_name(&jw, "neg");
	jw_int(&jw, -1);
	jw_name(&jw, "min");
	jw_int(&jw, INT64_MIN);
	jw_name(&jw, "imax");
	jw_int(&jw, INT64_MAX);
	jw_name(&jw, "izero");
	jw_int(&jw, 0);
	jw_end_object(&jw);
	CHECK_STR(written(), "{\"zero\":0,\"max\":18446744073709551615,\"neg\":-1,"
			     "\"min\":-9223372036854775808,\"imax\":9223372036854775807,"
			     "\"izero\":0}");
}

static void test_jw_null_bool(void)
{
	begin();
	jw_start_object(&jw);
	jw_null_field(&jw, "n");
	jw_name(&jw, "t");
	jw_bool(&jw, true);
	jw_name(&jw, "f");
	jw_bool(&jw, false);
	jw_string_field(&jw, "s", NULL);
	jw_string_field(&jw, "q", "v");
	jw_end_object(&jw);
	CHECK_STR(written(), "{\"n\":null,\"t\":true,\"f\":false,\"s\":null,\"q\":\"v\"}");
}

static void test_jw_nesting(void)
{
	begin();
	jw_start_object(&jw);
	jw_uint_field(&jw, "a", 1);
	jw_name(&jw, "b");
	jw_start_object(&jw);
	jw_uint_field(&jw, "c", 2);
	jw_name(&jw, "d");
	jw_start_object(&jw);
	jw_end_object(&jw);
	jw_name(&jw, "e");
	jw_start_object(&jw);
	jw_null_field(&jw, "f");
	jw_end_object(&jw);
	jw_end_object(&jw);
	jw_uint_field(&jw, "g", 3);
	jw_end_object(&jw);
	CHECK_STR(written(), "{\"a\":1,\"b\":{\"c\":2,\"d\":{},\"e\":{\"f\":null}},\"g\":3}");

	begin();
	jw_start_object(&jw);
	jw_end_object(&jw);
	CHECK_STR(written(), "{}");
}

/* The deepest nesting the writer tracks (JW_MAX_DEPTH - 1 objects): every level keeps its commas.
 */
static void test_jw_deep(void)
{
	char want[512];
	size_t n = 0;
	int i;

	begin();
	for (i = 0; i < JW_MAX_DEPTH - 2; i++) {
		jw_start_object(&jw);
		jw_uint_field(&jw, "x", (uint64_t)i);
		jw_name(&jw, "o");
		n += (size_t)snprintf(want + n, sizeof(want) - n, "{\"x\":%d,\"o\":", i);
	}
	jw_start_object(&jw);
	jw_end_object(&jw);
	n += (size_t)snprintf(want + n, sizeof(want) - n, "{}");
	for (i = 0; i < JW_MAX_DEPTH - 2; i++) {
		jw_uint_field(&jw, "y", (uint64_t)i);
		jw_end_object(&jw);
		n += (size_t)snprintf(want + n, sizeof(want) - n, ",\"y\":%d}", i);
	}
	CHECK_STR(written(), want);
}

static void test_jw_arrays(void)
{
	begin();
	jw_start_array(&jw);
	jw_end_array(&jw);
	CHECK_STR(written(), "[]");

	begin();
	jw_start_object(&jw);
	jw_name(&jw, "a");
	jw_start_array(&jw);
	jw_uint(&jw, 1);
	jw_string(&jw, "x");
	jw_null(&jw);
	jw_bool(&jw, false);
	jw_int(&jw, -2);
	jw_start_object(&jw);
	jw_uint_field(&jw, "b", 2);
	jw_null_field(&jw, "c");
	jw_end_object(&jw);
	jw_start_array(&jw);
	jw_end_array(&jw);
	jw_start_array(&jw);
	jw_string_n(&jw, "yz", 1);
	jw_end_array(&jw);
	jw_end_array(&jw);
	jw_uint_field(&jw, "d", 3);
	jw_end_object(&jw);
	CHECK_STR(written(),
		  "{\"a\":[1,\"x\",null,false,-2,{\"b\":2,\"c\":null},[],[\"y\"]],\"d\":3}");
}

/* Long plain runs around escapes: nothing dropped, doubled or reordered. */
static void test_jw_long_mixed(void)
{
	char in[3000], want[8000];
	size_t i, n = 0;

	for (i = 0; i + 1 < sizeof(in); i++) {
		in[i] = (char)(i % 97 == 0 ? '"' : i % 89 == 0 ? 0x01 : 'a' + i % 26);
		if (in[i] == '"')
			n += (size_t)snprintf(want + n, sizeof(want) - n, "\\\"");
		else if (in[i] == 0x01)
			n += (size_t)snprintf(want + n, sizeof(want) - n, "\\u0001");
		else
			want[n++] = in[i];
	}
	in[i] = '\0';
	want[n] = '\0';
	begin();
	jw_string(&jw, in);
	CHECK_INT(sb.len, n + 2);
	CHECK(sb.buf && strncmp(sb.buf + 1, want, n) == 0);
	written();
}

static void test_jw_escaped_names(void)
{
	begin();
	jw_start_object(&jw);
	jw_uint_field(&jw, "we\"ird\n", 1);
	jw_end_object(&jw);
	CHECK_STR(written(), "{\"we\\\"ird\\n\":1}");
}

void run_json_writer_tests(void)
{
	RUN_TEST(test_jw_escapes);
	RUN_TEST(test_jw_control_and_high_bytes);
	RUN_TEST(test_jw_utf8_cut);
	RUN_TEST(test_jw_string_n);
	RUN_TEST(test_jw_numbers);
	RUN_TEST(test_jw_null_bool);
	RUN_TEST(test_jw_nesting);
	RUN_TEST(test_jw_deep);
	RUN_TEST(test_jw_arrays);
	RUN_TEST(test_jw_long_mixed);
	RUN_TEST(test_jw_escaped_names);
	sb_free(&sb);
}
