// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include "addr.h"

static int is_v4mapped(const uint8_t a[16])
{
	static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	return memcmp(a, prefix, sizeof(prefix)) == 0;
}

/* Like snprintf: as much as fits, always terminated. */
static void copy_truncated(char *buf, size_t len, const char *src, size_t n)
{
	if (!len)
		return;
	if (n >= len)
		n = len - 1;
	memcpy(buf, src, n);
	buf[n] = '\0';
}

/* inet_ntop() formats IPv4 with sprintf: the hot path of every event. */
static void format_v4(const uint8_t a[4], char *buf, size_t len)
{
	char tmp[16];
	size_t n = 0;
	int i;

	for (i = 0; i < 4; i++) {
		unsigned int v = a[i];

		if (v >= 100)
			tmp[n++] = (char)('0' + v / 100);
		if (v >= 10)
			tmp[n++] = (char)('0' + v / 10 % 10);
		tmp[n++] = (char)('0' + v % 10);
		if (i < 3)
			tmp[n++] = '.';
	}
	copy_truncated(buf, len, tmp, n);
}

int rt_format_addr(int family, const uint8_t addr[16], char *buf, size_t len)
{
	if (family == AF_INET6 && is_v4mapped(addr)) {
		addr += 12;
		family = AF_INET;
	}
	if (family == AF_INET) {
		format_v4(addr, buf, len);
		return family;
	}
	if (family != AF_INET6) {
		snprintf(buf, len, "?");
		return family;
	}
	if (!inet_ntop(family, addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return family;
}

void rt_format_endpoint(int family, const uint8_t addr[16], uint16_t port, char *buf, size_t len)
{
	char a[RT_ADDR_LEN], p[6], out[RT_ENDPOINT_LEN];
	size_t alen, plen = 0, o = 0;
	unsigned int v = port;
	int v6;

	family = rt_format_addr(family, addr, a, sizeof(a));
	v6 = family == AF_INET6;
	alen = strlen(a);
	do {
		memmove(p + 1, p, plen++);
		p[0] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	/* By hand, not snprintf: two of these go into every event. */
	if (v6)
		out[o++] = '[';
	memcpy(out + o, a, alen);
	o += alen;
	if (v6)
		out[o++] = ']';
	out[o++] = ':';
	memcpy(out + o, p, plen);
	o += plen;
	copy_truncated(buf, len, out, o);
}
