// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "strbuf.h"

void sb_init(struct strbuf *sb)
{
	memset(sb, 0, sizeof(*sb));
}

void sb_free(struct strbuf *sb)
{
	free(sb->buf);
	sb_init(sb);
}

void sb_reset(struct strbuf *sb)
{
	sb->len = 0;
}

int sb_reserve(struct strbuf *sb, size_t extra)
{
	size_t want = sb->len + extra + 1;
	size_t cap = sb->cap ? sb->cap : 4096;
	char *nb;

	if (sb->oom)
		return -1;
	if (want <= sb->cap)
		return 0;
	while (cap < want)
		cap *= 2;
	nb = realloc(sb->buf, cap);
	if (!nb) {
		sb->oom = 1;
		return -1;
	}
	sb->buf = nb;
	sb->cap = cap;
	return 0;
}

void sb_append(struct strbuf *sb, const char *s, size_t n)
{
	if (sb_reserve(sb, n))
		return;
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void sb_puts(struct strbuf *sb, const char *s)
{
	sb_append(sb, s, strlen(s));
}

void sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || sb_reserve(sb, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
}

/* Pads with spaces so that the text appended since 'from' is 'width' wide. */
void sb_pad(struct strbuf *sb, size_t from, size_t width)
{
	size_t used = sb->len - from;

	while (used++ < width)
		sb_putc(sb, ' ');
}

/* printf is the hot spot of JSON output: numbers are formatted by hand. */
void sb_put_u64(struct strbuf *sb, unsigned long long v)
{
	char tmp[20];
	int n = 0;

	do {
		tmp[sizeof(tmp) - 1 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	sb_append(sb, tmp + sizeof(tmp) - n, (size_t)n);
}
