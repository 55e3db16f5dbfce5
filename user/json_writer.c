// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
#include "json_writer.h"
#include "strbuf.h"
#include "utf8.h"

void jw_init(struct json_writer *jw, struct strbuf *out)
{
	memset(jw, 0, sizeof(*jw));
	jw->out = out;
}

/* In an array a value is preceded by a comma; in an object its name wrote it. */
static void jw_value(struct json_writer *jw)
{
	if (!jw->in_array[jw->depth])
		return;
	if (jw->need_comma[jw->depth])
		sb_putc(jw->out, ',');
	jw->need_comma[jw->depth] = true;
}

static void jw_open(struct json_writer *jw, char c, bool array)
{
	jw_value(jw);
	sb_putc(jw->out, c);
	if (jw->depth < JW_MAX_DEPTH - 1)
		jw->depth++;
	jw->need_comma[jw->depth] = false;
	jw->in_array[jw->depth] = array;
}

static void jw_close(struct json_writer *jw, char c)
{
	sb_putc(jw->out, c);
	if (jw->depth > 0)
		jw->depth--;
}

void jw_start_object(struct json_writer *jw)
{
	jw_open(jw, '{', false);
}

void jw_end_object(struct json_writer *jw)
{
	jw_close(jw, '}');
}

void jw_start_array(struct json_writer *jw)
{
	jw_open(jw, '[', true);
}

void jw_end_array(struct json_writer *jw)
{
	jw_close(jw, ']');
}

/* Bytes that can go out as they are; everything else is escaped. */
static bool plain_table[256];
static bool plain_ready;

static void plain_init(void)
{
	int c;

	for (c = 0x20; c < 0x7f; c++)
		plain_table[c] = c != '"' && c != '\\';
	plain_ready = true;
}

static inline bool plain(unsigned char c)
{
	return plain_table[c];
}

static void jw_escaped(struct strbuf *sb, const char *s, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0, run;

	if (!plain_ready)
		plain_init();
	sb_putc(sb, '"');
	while (i < max && s[i]) {
		unsigned char c = (unsigned char)s[i];

		for (run = i; run < max && s[run] && plain((unsigned char)s[run]); run++)
			;
		if (run > i) {
			sb_append(sb, s + i, run - i);
			i = run;
			continue;
		}
		switch (c) {
		case '"':
			sb_append(sb, "\\\"", 2);
			break;
		case '\\':
			sb_append(sb, "\\\\", 2);
			break;
		case '\n':
			sb_append(sb, "\\n", 2);
			break;
		case '\r':
			sb_append(sb, "\\r", 2);
			break;
		case '\t':
			sb_append(sb, "\\t", 2);
			break;
		default: {
			char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
			uint32_t cp;
			size_t n =
			    c >= 0x80 ? utf8_seq((const unsigned char *)s + i, max - i, &cp) : 0;

			/*
			 * Kernel strings (comm) are bytes: valid UTF-8 passes
			 * through as it is, so log pipelines see "сервер";
			 * control characters and bytes that are no UTF-8 are
			 * escaped, so each line stays valid JSON whatever a
			 * process calls itself.
			 */
			if (n && strnlen(s + i, n) == n) {
				sb_append(sb, s + i, n);
				i += n;
				continue;
			}
			sb_append(sb, esc, sizeof(esc));
		}
		}
		i++;
	}
	sb_putc(sb, '"');
}

void jw_name(struct json_writer *jw, const char *name)
{
	size_t n = strlen(name);
	size_t i;

	if (jw->need_comma[jw->depth])
		sb_putc(jw->out, ',');
	jw->need_comma[jw->depth] = true;
	if (!plain_ready)
		plain_init();
	/* Names are our own literals: copy them whole unless one needs escaping. */
	for (i = 0; i < n && plain((unsigned char)name[i]); i++)
		;
	if (i < n) {
		jw_escaped(jw->out, name, SIZE_MAX);
	} else {
		sb_putc(jw->out, '"');
		sb_append(jw->out, name, n);
		sb_putc(jw->out, '"');
	}
	sb_putc(jw->out, ':');
}

void jw_string(struct json_writer *jw, const char *s)
{
	jw_value(jw);
	jw_escaped(jw->out, s, SIZE_MAX);
}

void jw_string_n(struct json_writer *jw, const char *s, size_t max)
{
	jw_value(jw);
	jw_escaped(jw->out, s, max);
}

void jw_uint(struct json_writer *jw, uint64_t v)
{
	jw_value(jw);
	sb_put_u64(jw->out, v);
}

void jw_int(struct json_writer *jw, int64_t v)
{
	jw_value(jw);
	if (v < 0) {
		sb_putc(jw->out, '-');
		sb_put_u64(jw->out, -(uint64_t)v);
		return;
	}
	sb_put_u64(jw->out, (uint64_t)v);
}

void jw_bool(struct json_writer *jw, bool v)
{
	jw_value(jw);
	sb_puts(jw->out, v ? "true" : "false");
}

void jw_null(struct json_writer *jw)
{
	jw_value(jw);
	sb_puts(jw->out, "null");
}

void jw_string_field(struct json_writer *jw, const char *name, const char *s)
{
	jw_name(jw, name);
	if (s)
		jw_string(jw, s);
	else
		jw_null(jw);
}

void jw_uint_field(struct json_writer *jw, const char *name, uint64_t v)
{
	jw_name(jw, name);
	jw_uint(jw, v);
}

void jw_null_field(struct json_writer *jw, const char *name)
{
	jw_name(jw, name);
	jw_null(jw);
}
