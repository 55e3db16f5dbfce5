/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A strict JSON checker and path lookup for test assertions; shared with
 * the fuzz harnesses. Works on the raw text: values come back as written.
 */
#ifndef RSTTRACE_MINIJSON_H
#define RSTTRACE_MINIJSON_H

#include <stddef.h>

/* 0 when [s, s + len) is exactly one valid JSON value (RFC 8259), else -1. */
int mj_check(const char *s, size_t len);
/*
 * Copies the raw text of the value at a dotted path of object members
 * ("listener.owner.pid", "" for the whole value) into out, NUL-terminated.
 * Returns its length, or -1 when absent or when it does not fit.
 */
int mj_get(const char *json, const char *path, char *out, size_t outlen);
/* Member names of the object at path, comma-separated; their count or -1. */
int mj_keys(const char *json, const char *path, char *out, size_t outlen);

#endif
