// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include "addr.h"

static int is_v4mapped(const uint8_t a[16])
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return memcmp(a, prefix, sizeof(prefix)) == 0;
}

int rt_format_addr(int family, const uint8_t addr[16], char *buf, size_t len)
{
	if (family == AF_INET6 && is_v4mapped(addr)) {
		addr += 12;
		family = AF_INET;
	}
	if (family != AF_INET && family != AF_INET6) {
		snprintf(buf, len, "?");
		return family;
	}
	if (!inet_ntop(family, addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return family;
}

void rt_format_endpoint(int family, const uint8_t addr[16], uint16_t port, char *buf, size_t len)
{
	char a[RT_ADDR_LEN];

	family = rt_format_addr(family, addr, a, sizeof(a));
	if (family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", a, port);
	else
		snprintf(buf, len, "%s:%u", a, port);
}
