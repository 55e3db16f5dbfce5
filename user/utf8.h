/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Process names are bytes: usually UTF-8 (a server called "сервер"),
 * sometimes not. Valid UTF-8 passes through JSON and text as it is; only
 * invalid bytes and control characters are replaced or escaped.
 */
#ifndef RSTTRACE_UTF8_H
#define RSTTRACE_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * Length (1-4) of the valid UTF-8 sequence at s, at most max bytes; 0 when
 * the bytes there are no valid UTF-8 (stray continuation, overlong form,
 * surrogate, beyond U+10FFFF, cut short). *cp gets the code point.
 */
size_t utf8_seq(const unsigned char *s, size_t max, uint32_t *cp);
/* Columns a terminal gives code point cp: 0 (combining), 1, or 2 (wide). */
int utf8_cp_width(uint32_t cp);
/*
 * Copies the first max bytes of s (or up to a NUL) into dst (dst_len bytes,
 * NUL-terminated), replacing invalid bytes and control characters with '?'.
 * Returns the display width of the result.
 */
size_t utf8_sanitize(char *dst, size_t dst_len, const char *s, size_t max);
/* Display width of NUL-terminated, already valid UTF-8 text. */
size_t utf8_width(const char *s);

#endif
