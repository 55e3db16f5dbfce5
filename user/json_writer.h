/* SPDX-License-Identifier: GPL-2.0 */
/* A small streaming JSON writer: objects and values straight into a buffer. */
#ifndef RSTTRACE_JSON_WRITER_H
#define RSTTRACE_JSON_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JW_MAX_DEPTH 8

/* The version of rsttrace's NDJSON records (docs/schema.md). */
#define RT_SCHEMA_VERSION 2

struct strbuf;

struct json_writer {
	struct strbuf *out;
	int depth;
	bool need_comma[JW_MAX_DEPTH];
	bool in_array[JW_MAX_DEPTH];
};

void jw_init(struct json_writer *jw, struct strbuf *out);
void jw_start_object(struct json_writer *jw);
void jw_end_object(struct json_writer *jw);
void jw_start_array(struct json_writer *jw);
void jw_end_array(struct json_writer *jw);
/* Starts a member; follow it with exactly one value or object. */
void jw_name(struct json_writer *jw, const char *name);
void jw_string(struct json_writer *jw, const char *s);
void jw_string_n(struct json_writer *jw, const char *s, size_t max);
void jw_uint(struct json_writer *jw, uint64_t v);
void jw_int(struct json_writer *jw, int64_t v);
void jw_bool(struct json_writer *jw, bool v);
void jw_null(struct json_writer *jw);

/* Shorthands for a member with its value. */
void jw_string_field(struct json_writer *jw, const char *name, const char *s);
void jw_uint_field(struct json_writer *jw, const char *name, uint64_t v);
void jw_null_field(struct json_writer *jw, const char *name);

#endif
