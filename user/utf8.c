// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include "utf8.h"

size_t utf8_seq(const unsigned char *s, size_t max, uint32_t *cp)
{
	unsigned char c = s[0];
	size_t n, i;
	uint32_t v, min;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2, v = c & 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3, v = c & 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4, v = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n > max)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

int utf8_cp_width(uint32_t cp)
{
	/* Combining marks take no column of their own. */
	if ((cp >= 0x300 && cp <= 0x36f) || (cp >= 0x1ab0 && cp <= 0x1aff) ||
	    (cp >= 0x20d0 && cp <= 0x20ff) || (cp >= 0xfe20 && cp <= 0xfe2f) || cp == 0x200b)
		return 0;
	/* East Asian wide and emoji blocks take two. */
	if ((cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) ||
	    (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
	    (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
	    (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1f64f) ||
	    (cp >= 0x1f900 && cp <= 0x1f9ff) || (cp >= 0x20000 && cp <= 0x3fffd))
		return 2;
	return 1;
}

size_t utf8_sanitize(char *dst, size_t dst_len, const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, out = 0, width = 0;

	if (!dst_len)
		return 0;
	while (i < max && p[i]) {
		uint32_t cp;
		size_t n = utf8_seq(p + i, max - i, &cp);

		/* Control characters would move a terminal's cursor: never pass them. */
		if (!n || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) {
			if (out + 1 >= dst_len)
				break;
			dst[out++] = '?';
			width++;
			i += n ? n : 1;
			continue;
		}
		if (out + n >= dst_len)
			break;
		memcpy(dst + out, p + i, n);
		out += n;
		i += n;
		width += (size_t)utf8_cp_width(cp);
	}
	dst[out] = '\0';
	return width;
}

size_t utf8_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t width = 0, len = strlen(s), i = 0;

	while (i < len) {
		uint32_t cp;
		size_t n = utf8_seq(p + i, len - i, &cp);

		if (!n) {
			width++;
			i++;
			continue;
		}
		width += (size_t)utf8_cp_width(cp);
		i += n;
	}
	return width;
}
