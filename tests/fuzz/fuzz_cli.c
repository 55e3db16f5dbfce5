// SPDX-License-Identifier: GPL-2.0
/*
 * Command-line values: each value parser on the input as one string, then
 * cli_parse on an argv made of the input split at NUL bytes.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "cli.h"

#define MAX_ARGS 64

/*
 * cli_parse sets optind = 1, which leaves glibc's position inside an
 * earlier clustered argument ("-hj") in place; a reset keeps each run
 * independent of the previous one (reported as a cli.c bug).
 */
static void reset_getopt(void)
{
	char arg0[] = "x";
	char *argv[] = {arg0, NULL};

	optind = 0;
	opterr = 0;
	getopt(1, argv, "");
}

static int is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

/* What a size string means, computed without overflow; 0 when it means nothing valid. */
static uint64_t size_value(const char *s)
{
	unsigned __int128 v = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return 0;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (unsigned)(*p - '0');
		if (v > ((unsigned __int128)1 << 64))
			return 0;
	}
	if (*p == 'K' || *p == 'k')
		v <<= 10, p++;
	else if (*p == 'M' || *p == 'm')
		v <<= 20, p++;
	return *p || v > (1u << 30) ? 0 : (uint64_t)v;
}

static void value_parsers(const char *s)
{
	uint16_t port;
	uint32_t u32;
	uint64_t u64;

	if (!cli_parse_port(s, &port) && port == 0)
		abort();
	if (!cli_parse_pid(s, &u32) && (u32 == 0 || u32 > 4194304))
		abort();
	if (!cli_parse_events(s, &u32) && (!u32 || (u32 & ~(RT_EVM_ALL | RT_EVM_CLIENT))))
		abort();
	if (!cli_parse_duration(s, &u64) && (u64 == 0 || u64 > 7 * 24 * 3600 * 1000ull))
		abort();
	if (!cli_parse_size(s, &u32)) {
		if (!is_pow2(u32) || u32 < 4096 || u32 > (1u << 30))
			abort();
		/* Leading spaces or a sign aside, the value must be what the text says. */
		if (*s >= '0' && *s <= '9' && size_value(s) != u32)
			abort();
	}
	cli_parse_netns(s, &u32);
}

static int has_control(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] && ((unsigned char)s[i] < 0x20 || s[i] == 0x7f))
			return 1;
	return 0;
}

/*
 * An error is one printable line. Control bytes typed by the user are
 * echoed as they are for now (reported), so only inputs without any are
 * held to that.
 */
static void check_opts(enum cli_status st, const struct cli_opts *o, const char *err,
		       int typed_control)
{
	uint32_t i;

	if (st == CLI_ERROR) {
		if (!err[0] || (!typed_control && has_control(err, strlen(err))))
			abort();
		return;
	}
	if (st != CLI_RUN)
		return;
	if (o->nr_ports > RT_MAX_PORTS)
		abort();
	for (i = 0; i < o->nr_ports; i++)
		if (!o->ports[i])
			abort();
	if (o->family != 0 && o->family != AF_INET && o->family != AF_INET6)
		abort();
	if (!is_pow2(o->ring_bytes) || !o->event_mask || (o->event_mask & ~(RT_EVM_ALL | RT_EVM_CLIENT)))
		abort();
	/* A run always has a fold threshold in range (--every-event ignores it). */
	if (!o->fold_after || o->fold_after > 1000000)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *argv[MAX_ARGS + 2], err[256];
	char arg0[] = "rsttrace";
	struct cli_opts o;
	enum cli_status st;
	size_t i, start = 0;
	int argc = 1;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	value_parsers(buf);

	argv[0] = arg0;
	for (i = 0; i <= size && argc <= MAX_ARGS; i++) {
		if (buf[i] == '\0') {
			argv[argc++] = buf + start;
			start = i + 1;
		}
	}
	argv[argc] = NULL;
	err[0] = '\0';
	reset_getopt();
	st = cli_parse(argc, argv, &o, err, sizeof(err));
	check_opts(st, &o, err, has_control(buf, size));
	free(buf);
	return 0;
}
