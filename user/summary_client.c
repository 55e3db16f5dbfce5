// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "addr.h"
#include "summary_client.h"

static uint64_t trouble(const struct rt_endpoint_stats *st)
{
	return st->syn_retries + st->stalled + st->resets + st->failed;
}

static int row_cmp(const void *a, const void *b)
{
	uint64_t ta = trouble(&((const struct endpoint_row *)a)->st);
	uint64_t tb = trouble(&((const struct endpoint_row *)b)->st);

	return ta < tb ? 1 : ta > tb ? -1 : 0;
}

void endpoint_rows_sort(struct endpoint_row *rows, size_t n)
{
	qsort(rows, n, sizeof(*rows), row_cmp);
}

uint64_t endpoint_latency_us(const struct rt_endpoint_stats *st, double q)
{
	uint64_t total = 0, seen = 0;
	int i;

	for (i = 0; i < RT_LAT_BUCKETS; i++)
		total += st->latency[i];
	if (!total)
		return 0;
	for (i = 0; i < RT_LAT_BUCKETS; i++) {
		seen += st->latency[i];
		if ((double)seen >= q * (double)total)
			break;
	}
	return i >= RT_LAT_BUCKETS - 1 ? UINT64_MAX : 2ull << i;
}

/* The map's rows, read for each summary (the map holds at most 4096). */
static struct endpoint_row rows[4096];

/* Every row of the map (up to cap), worst first; -> how many. */
static size_t read_rows(int fd, struct endpoint_row *out, size_t cap)
{
	struct rt_endpoint_key key, next, *prev = NULL;
	size_t n = 0;

	while (fd >= 0 && n < cap && bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &out[n].st) == 0)
			out[n++].key = key;
	}
	endpoint_rows_sort(out, n);
	return n;
}

static void latency_field(struct json_writer *jw, const char *name, uint64_t us)
{
	jw_name(jw, name);
	if (us && us != UINT64_MAX)
		jw_uint(jw, us);
	else
		jw_null(jw);
}

void summary_endpoints_json(struct json_writer *jw, int fd)
{
	char addr[RT_ADDR_LEN];
	size_t n = read_rows(fd, rows, sizeof(rows) / sizeof(rows[0])), i;

	jw_name(jw, "endpoints");
	jw_start_array(jw);
	for (i = 0; i < n && i < SUMMARY_MAX_ENDPOINTS; i++) {
		const struct rt_endpoint_stats *st = &rows[i].st;

		rt_format_addr(rows[i].key.family, rows[i].key.addr, addr, sizeof(addr));
		jw_start_object(jw);
		jw_uint_field(jw, "netns", rows[i].key.netns);
		jw_string_field(jw, "addr", addr);
		jw_uint_field(jw, "port", rows[i].key.port);
		jw_uint_field(jw, "connects", st->attempts);
		jw_uint_field(jw, "established", st->established);
		jw_uint_field(jw, "failed", st->failed);
		jw_uint_field(jw, "syn_retries", st->syn_retries);
		jw_uint_field(jw, "stalled", st->stalled);
		jw_uint_field(jw, "resets", st->resets);
		latency_field(jw, "connect_p50_us", endpoint_latency_us(st, 0.5));
		latency_field(jw, "connect_p99_us", endpoint_latency_us(st, 0.99));
		jw_end_object(jw);
	}
	jw_end_array(jw);
}

static void latency_text(char *buf, size_t len, uint64_t us)
{
	if (!us)
		snprintf(buf, len, "-");
	else if (us == UINT64_MAX)
		snprintf(buf, len, ">%llus",
			 (unsigned long long)((1ull << RT_LAT_BUCKETS) / 1000000));
	else if (us < 1000)
		snprintf(buf, len, "<%lluus", (unsigned long long)us);
	else if (us < 1000000)
		snprintf(buf, len, "<%llums", (unsigned long long)(us / 1000));
	else
		snprintf(buf, len, "<%llu.%llus", (unsigned long long)(us / 1000000),
			 (unsigned long long)(us / 100000 % 10));
}

void summary_endpoints_text(struct strbuf *sb, int fd)
{
	char ep[RT_ENDPOINT_LEN], p50[24], p99[24];
	size_t n = read_rows(fd, rows, sizeof(rows) / sizeof(rows[0])), i;

	for (i = 0; i < n && i < SUMMARY_MAX_ENDPOINTS; i++) {
		const struct rt_endpoint_stats *st = &rows[i].st;

		rt_format_endpoint(rows[i].key.family, rows[i].key.addr, rows[i].key.port, ep,
				   sizeof(ep));
		latency_text(p50, sizeof(p50), endpoint_latency_us(st, 0.5));
		latency_text(p99, sizeof(p99), endpoint_latency_us(st, 0.99));
		/* Two lines, so that a terminal of 80 columns shows them whole. */
		sb_printf(sb, "  server     %s  netns %u  connect p50 %s p99 %s\n", ep,
			  rows[i].key.netns, p50, p99);
		sb_printf(
		    sb,
		    "             connects %llu, failed %llu, SYN retries %llu, stalled %llu, "
		    "resets %llu\n",
		    (unsigned long long)st->attempts, (unsigned long long)st->failed,
		    (unsigned long long)st->syn_retries, (unsigned long long)st->stalled,
		    (unsigned long long)st->resets);
	}
}
