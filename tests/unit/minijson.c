// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include "minijson.h"

/* Deep enough for any event line, shallow enough for a fuzzer's stack. */
#define MJ_MAX_DEPTH 32

struct mj {
	const char *p;
	const char *end;
	int depth;
};

static int value(struct mj *m);

static int peek(const struct mj *m)
{
	return m->p < m->end ? (unsigned char)*m->p : -1;
}

static void ws(struct mj *m)
{
	while (peek(m) == ' ' || peek(m) == '\t' || peek(m) == '\n' || peek(m) == '\r')
		m->p++;
}

static int is_hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int utf8_tail(struct mj *m, int lead)
{
	int n, i;

	if (lead >= 0xc2 && lead <= 0xdf)
		n = 1;
	else if (lead >= 0xe0 && lead <= 0xef)
		n = 2;
	else if (lead >= 0xf0 && lead <= 0xf4)
		n = 3;
	else
		return -1;
	for (i = 0; i < n; i++, m->p++)
		if ((peek(m) & 0xc0) != 0x80 || peek(m) < 0)
			return -1;
	return 0;
}

static int string(struct mj *m)
{
	int c, i;

	if (peek(m) != '"')
		return -1;
	m->p++;
	while ((c = peek(m)) >= 0) {
		m->p++;
		if (c == '"')
			return 0;
		if (c < 0x20)
			return -1;
		if (c >= 0x80) {
			if (utf8_tail(m, c))
				return -1;
			continue;
		}
		if (c != '\\')
			continue;
		c = peek(m);
		m->p++;
		if (c == 'u') {
			for (i = 0; i < 4; i++, m->p++)
				if (!is_hex(peek(m)))
					return -1;
		} else if (c <= 0 || !strchr("\"\\/bfnrt", c)) {
			return -1;
		}
	}
	return -1;
}

static int digits(struct mj *m)
{
	const char *start = m->p;

	while (peek(m) >= '0' && peek(m) <= '9')
		m->p++;
	return m->p > start ? 0 : -1;
}

static int number(struct mj *m)
{
	if (peek(m) == '-')
		m->p++;
	if (peek(m) == '0')
		m->p++;
	else if (digits(m))
		return -1;
	if (peek(m) == '.') {
		m->p++;
		if (digits(m))
			return -1;
	}
	if (peek(m) == 'e' || peek(m) == 'E') {
		m->p++;
		if (peek(m) == '+' || peek(m) == '-')
			m->p++;
		if (digits(m))
			return -1;
	}
	return 0;
}

static int literal(struct mj *m, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(m->end - m->p) < n || memcmp(m->p, word, n))
		return -1;
	m->p += n;
	return 0;
}

/* Objects and arrays: open ... close, members separated by commas. */
static int container(struct mj *m, char close)
{
	if (++m->depth > MJ_MAX_DEPTH)
		return -1;
	m->p++;
	ws(m);
	if (peek(m) == close) {
		m->p++;
		m->depth--;
		return 0;
	}
	for (;;) {
		ws(m);
		if (close == '}') {
			if (string(m))
				return -1;
			ws(m);
			if (peek(m) != ':')
				return -1;
			m->p++;
			ws(m);
		}
		if (value(m))
			return -1;
		ws(m);
		if (peek(m) == close) {
			m->p++;
			m->depth--;
			return 0;
		}
		if (peek(m) != ',')
			return -1;
		m->p++;
	}
}

static int value(struct mj *m)
{
	switch (peek(m)) {
	case '{':
		return container(m, '}');
	case '[':
		return container(m, ']');
	case '"':
		return string(m);
	case 't':
		return literal(m, "true");
	case 'f':
		return literal(m, "false");
	case 'n':
		return literal(m, "null");
	default:
		return number(m);
	}
}

int mj_check(const char *s, size_t len)
{
	struct mj m = {s, s + len, 0};

	ws(&m);
	if (value(&m))
		return -1;
	ws(&m);
	return m.p == m.end ? 0 : -1;
}

/* Leaves m->p on the value of member 'name' (len bytes) of the object at m->p. */
static int member(struct mj *m, const char *name, size_t len)
{
	ws(m);
	if (peek(m) != '{')
		return -1;
	m->p++;
	for (;;) {
		const char *key;
		size_t klen;

		ws(m);
		key = m->p + 1;
		if (string(m))
			return -1;
		klen = (size_t)(m->p - 1 - key);
		ws(m);
		if (peek(m) != ':')
			return -1;
		m->p++;
		ws(m);
		if (klen == len && memcmp(key, name, len) == 0)
			return 0;
		if (value(m))
			return -1;
		ws(m);
		if (peek(m) != ',')
			return -1;
		m->p++;
	}
}

static int find(struct mj *m, const char *json, const char *path)
{
	m->p = json;
	m->end = json + strlen(json);
	m->depth = 0;
	while (*path) {
		size_t len = strcspn(path, ".");

		if (member(m, path, len))
			return -1;
		path += len;
		if (*path == '.')
			path++;
	}
	ws(m);
	return 0;
}

int mj_get(const char *json, const char *path, char *out, size_t outlen)
{
	const char *start;
	struct mj m;
	size_t n;

	if (find(&m, json, path))
		return -1;
	start = m.p;
	if (value(&m))
		return -1;
	n = (size_t)(m.p - start);
	if (n >= outlen)
		return -1;
	memcpy(out, start, n);
	out[n] = '\0';
	return (int)n;
}

int mj_keys(const char *json, const char *path, char *out, size_t outlen)
{
	size_t used = 0;
	int count = 0;
	struct mj m;

	if (find(&m, json, path) || peek(&m) != '{' || !outlen)
		return -1;
	out[0] = '\0';
	m.p++;
	ws(&m);
	if (peek(&m) == '}')
		return 0;
	for (;;) {
		const char *key;
		size_t klen;

		ws(&m);
		key = m.p + 1;
		if (string(&m))
			return -1;
		klen = (size_t)(m.p - 1 - key);
		if (used + klen + 2 > outlen)
			return -1;
		if (count)
			out[used++] = ',';
		memcpy(out + used, key, klen);
		used += klen;
		out[used] = '\0';
		count++;
		ws(&m);
		if (peek(&m) != ':')
			return -1;
		m.p++;
		ws(&m);
		if (value(&m))
			return -1;
		ws(&m);
		if (peek(&m) == '}')
			return count;
		if (peek(&m) != ',')
			return -1;
		m.p++;
	}
}
