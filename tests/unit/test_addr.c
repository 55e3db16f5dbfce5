// SPDX-License-Identifier: GPL-2.0
#include <sys/socket.h>
#include "addr.h"
#include "fixtures.h"
#include "unit.h"

static const char *addr_str(int family, const char *text, int *printed)
{
	static char buf[RT_ADDR_LEN];
	uint8_t a[16];

	fixture_addr(a, family == AF_INET ? AF_INET : AF_INET6, text);
	*printed = rt_format_addr(family, a, buf, sizeof(buf));
	return buf;
}

static void test_addr_ipv4(void)
{
	uint8_t a[16];
	char buf[RT_ADDR_LEN];
	int fam;

	CHECK_STR(addr_str(AF_INET, "192.0.2.1", &fam), "192.0.2.1");
	CHECK_INT(fam, AF_INET);
	CHECK_STR(addr_str(AF_INET, "0.0.0.0", &fam), "0.0.0.0");
	CHECK_STR(addr_str(AF_INET, "255.255.255.255", &fam), "255.255.255.255");
	/* Only the first four bytes belong to an IPv4 address. */
	memset(a, 0xee, sizeof(a));
	a[0] = 10, a[1] = 0, a[2] = 0, a[3] = 1;
	rt_format_addr(AF_INET, a, buf, sizeof(buf));
	CHECK_STR(buf, "10.0.0.1");
}

static void test_addr_ipv6(void)
{
	int fam;

	CHECK_STR(addr_str(AF_INET6, "fd77::1", &fam), "fd77::1");
	CHECK_INT(fam, AF_INET6);
	CHECK_STR(addr_str(AF_INET6, "::1", &fam), "::1");
	CHECK_STR(addr_str(AF_INET6, "::", &fam), "::");
	CHECK_STR(addr_str(AF_INET6, "2001:db8:0:0:1:0:0:1", &fam), "2001:db8::1:0:0:1");
	CHECK_STR(addr_str(AF_INET6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", &fam),
		  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
}

static void test_addr_v4mapped(void)
{
	int fam;

	CHECK_STR(addr_str(AF_INET6, "::ffff:10.0.0.1", &fam), "10.0.0.1");
	CHECK_INT(fam, AF_INET);
	/* Near misses stay IPv6. */
	CHECK_STR(addr_str(AF_INET6, "::fffe:10.0.0.1", &fam), "::fffe:a00:1");
	CHECK_INT(fam, AF_INET6);
	CHECK_STR(addr_str(AF_INET6, "1::ffff:10.0.0.1", &fam), "1::ffff:a00:1");
	CHECK_INT(fam, AF_INET6);
}

static void test_addr_endpoint(void)
{
	char buf[RT_ENDPOINT_LEN];
	uint8_t a[16];

	fixture_addr(a, AF_INET, "1.2.3.4");
	rt_format_endpoint(AF_INET, a, 80, buf, sizeof(buf));
	CHECK_STR(buf, "1.2.3.4:80");
	fixture_addr(a, AF_INET6, "::1");
	rt_format_endpoint(AF_INET6, a, 80, buf, sizeof(buf));
	CHECK_STR(buf, "[::1]:80");
	fixture_addr(a, AF_INET6, "::ffff:10.0.0.1");
	rt_format_endpoint(AF_INET6, a, 443, buf, sizeof(buf));
	CHECK_STR(buf, "10.0.0.1:443");
	fixture_addr(a, AF_INET6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	rt_format_endpoint(AF_INET6, a, 65535, buf, sizeof(buf));
	CHECK_STR(buf, "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
	fixture_addr(a, AF_INET, "1.2.3.4");
	rt_format_endpoint(AF_INET, a, 0, buf, sizeof(buf));
	CHECK_STR(buf, "1.2.3.4:0");
}

static void test_addr_unknown_family(void)
{
	char buf[RT_ENDPOINT_LEN];
	uint8_t a[16] = {1, 2, 3, 4};

	CHECK_INT(rt_format_addr(0, a, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "?");
	rt_format_addr(AF_UNIX, a, buf, sizeof(buf));
	CHECK_STR(buf, "?");
	rt_format_addr(255, a, buf, sizeof(buf));
	CHECK_STR(buf, "?");
	rt_format_endpoint(0, a, 80, buf, sizeof(buf));
	CHECK_STR(buf, "?:80");
}

static void test_addr_small_buffer(void)
{
	char buf[8];
	uint8_t a[16];

	fixture_addr(a, AF_INET6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	rt_format_addr(AF_INET6, a, buf, sizeof(buf));
	CHECK_STR(buf, "?");
	fixture_addr(a, AF_INET, "1.2.3.4");
	rt_format_endpoint(AF_INET, a, 65535, buf, sizeof(buf));
	CHECK_STR(buf, "1.2.3.4");
}

void run_addr_tests(void)
{
	RUN_TEST(test_addr_ipv4);
	RUN_TEST(test_addr_ipv6);
	RUN_TEST(test_addr_v4mapped);
	RUN_TEST(test_addr_endpoint);
	RUN_TEST(test_addr_unknown_family);
	RUN_TEST(test_addr_small_buffer);
}
