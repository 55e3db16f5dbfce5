// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/btf.h>
#include "fixtures.h"

static const char *const rst_reasons[] = {
	"SK_RST_REASON_NOT_SPECIFIED",
	"SK_RST_REASON_NO_SOCKET",
	"SK_RST_REASON_TCP_INVALID_ACK_SEQUENCE",
	"SK_RST_REASON_TCP_RFC7323_PAWS",
	"SK_RST_REASON_TCP_TOO_OLD_ACK",
	"SK_RST_REASON_TCP_ACK_UNSENT_DATA",
	"SK_RST_REASON_TCP_FLAGS",
	"SK_RST_REASON_TCP_OLD_ACK",
	"SK_RST_REASON_TCP_ABORT_ON_DATA",
	"SK_RST_REASON_TCP_TIMEWAIT_SOCKET",
	"SK_RST_REASON_INVALID_SYN",
	"SK_RST_REASON_TCP_ABORT_ON_CLOSE",
	"SK_RST_REASON_TCP_ABORT_ON_LINGER",
	"SK_RST_REASON_TCP_ABORT_ON_MEMORY",
	"SK_RST_REASON_TCP_STATE",
	"SK_RST_REASON_TCP_KEEPALIVE_TIMEOUT",
	"SK_RST_REASON_TCP_DISCONNECT_WITH_DATA",
};

int fixture_names(struct rt_names *n)
{
	struct btf *btf = btf__new_empty();
	size_t i;
	int err;

	memset(n, 0, sizeof(*n));
	if (!btf)
		return -ENOMEM;
	err = btf__add_enum(btf, "sk_rst_reason", 4);
	for (i = 0; err >= 0 && i < sizeof(rst_reasons) / sizeof(rst_reasons[0]); i++)
		err = btf__add_enum_value(btf, rst_reasons[i], (int64_t)i);
	if (err >= 0)
		err = btf__add_enum(btf, "skb_drop_reason", 4);
	if (err >= 0)
		err = btf__add_enum_value(btf, "SKB_DROP_REASON_NOT_SPECIFIED", 2);
	if (err >= 0)
		err = btf__add_enum_value(btf, "SKB_DROP_REASON_NO_SOCKET", 3);
	if (err >= 0)
		err = btf__add_enum_value(btf, "SKB_DROP_REASON_TCP_LISTEN_OVERFLOW", 40);
	if (err >= 0)
		err = kenum_load(&n->rst_reasons, btf, "sk_rst_reason", "SK_RST_REASON_");
	if (err >= 0)
		err = kenum_load(&n->drop_reasons, btf, "skb_drop_reason", "SKB_DROP_REASON_");
	btf__free(btf);
	return err < 0 ? err : 0;
}

void fixture_names_free(struct rt_names *n)
{
	kenum_free(&n->rst_reasons);
	kenum_free(&n->drop_reasons);
}

/* Independent of procinfo.c: the scanf layout of proc(5), fields 3 to 22. */
uint64_t fixture_start_ns(int pid)
{
	long hz = sysconf(_SC_CLK_TCK);
	char path[64], buf[1024];
	unsigned long long ticks;
	const char *p;
	size_t len;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[len] = '\0';
	p = strrchr(buf, ')');
	if (!p || hz <= 0 ||
	    sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*lu %*lu %*lu %*lu %*lu %*lu %*ld %*ld %*ld %*ld %*ld %*ld %llu",
		   &ticks) != 1)
		return 0;
	return ticks * (1000000000ull / (uint64_t)hz);
}

void fixture_addr(uint8_t addr[16], int family, const char *text)
{
	memset(addr, 0, 16);
	if (inet_pton(family, text, addr) != 1)
		fprintf(stderr, "fixture_addr: bad address %s\n", text);
}
