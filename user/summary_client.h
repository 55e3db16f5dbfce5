/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The summary's table of servers as this client saw them (-e client): per
 * remote address and port, connects, SYN retries, stalled requests, resets
 * and connect latency, counted in BPF (bpf/client.bpf.c client_endpoints).
 */
#ifndef RSTTRACE_SUMMARY_CLIENT_H
#define RSTTRACE_SUMMARY_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include "../include/rsttrace.h"
#include "json_writer.h"
#include "strbuf.h"

/* Rows written at most (the worst endpoints first). */
#define SUMMARY_MAX_ENDPOINTS 64

struct endpoint_row {
	struct rt_endpoint_key key;
	struct rt_endpoint_stats st;
};

/* Upper bound, in microseconds, of the latency under which a fraction q of connects completed. */
uint64_t endpoint_latency_us(const struct rt_endpoint_stats *st, double q);
/* Sorts rows worst first: most SYN retries, stalls, resets and failures. */
void endpoint_rows_sort(struct endpoint_row *rows, size_t n);
/* "endpoints": [...] from the map (fd < 0: an empty array). */
void summary_endpoints_json(struct json_writer *jw, int fd);
/* One line per endpoint with trouble, worst first. */
void summary_endpoints_text(struct strbuf *sb, int fd);

#endif
