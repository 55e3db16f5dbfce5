/* SPDX-License-Identifier: GPL-2.0 */
/* A growable byte buffer: output is built here and written in large chunks. */
#ifndef RSTTRACE_STRBUF_H
#define RSTTRACE_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
	char *buf;
	size_t len;
	size_t cap;
	int oom; /* an allocation failed; what follows is dropped */
};

void sb_init(struct strbuf *sb);
void sb_free(struct strbuf *sb);
void sb_reset(struct strbuf *sb);
int sb_reserve(struct strbuf *sb, size_t extra);

/* Per-character appends dominate JSON output: keep the common case inline. */
static inline void sb_putc(struct strbuf *sb, char c)
{
	if (sb->len + 2 > sb->cap && sb_reserve(sb, 1))
		return;
	sb->buf[sb->len++] = c;
	sb->buf[sb->len] = '\0';
}
void sb_append(struct strbuf *sb, const char *s, size_t n);
void sb_puts(struct strbuf *sb, const char *s);
void sb_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_put_u64(struct strbuf *sb, unsigned long long v);
void sb_pad(struct strbuf *sb, size_t from, size_t width);

#endif
