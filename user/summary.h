/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Periodic and final summaries. Totals, reasons and per-listener overflows
 * come from BPF maps and stay exact when events are lost; diagnoses and top
 * peers are counted over the events actually written.
 */
#ifndef RSTTRACE_SUMMARY_H
#define RSTTRACE_SUMMARY_H

#include <stdbool.h>
#include <stdint.h>
#include "../include/rsttrace.h"
#include "decode.h"
#include "output.h"
#include "record.h"

#define SUMMARY_MAX_CODES 24
#define SUMMARY_MAX_PEERS 1024
#define SUMMARY_TOP	  5
#define SUMMARY_MAX_HOOKS 32

#define REASON_TALLY_MAX 32

/*
 * Resets sent without a kernel reason (before 6.10), by the reason their
 * records show: derived in userspace, NULL where none could be. The
 * kernel counts them all in slot RT_REASON_NONE; the summary and the
 * metrics show these instead, so that they name what the events name.
 */
struct reason_tally {
	const char *name[REASON_TALLY_MAX]; /* string literals or kernel enum names */
	uint64_t count[REASON_TALLY_MAX];
	unsigned int n;
};

/* One "by reason" line: the name, or the number the kernel gave (num). */
struct reason_row {
	const char *name;
	char num[12];
	uint64_t count;
};

#define REASON_ROWS_MAX (RT_MAX_REASONS + REASON_TALLY_MAX)

struct summary_peer {
	uint8_t addr[16];
	uint8_t family;
	uint64_t resets;
};

struct summary {
	const char *codes[SUMMARY_MAX_CODES];
	uint64_t code_counts[SUMMARY_MAX_CODES];
	struct summary_peer peers[SUMMARY_MAX_PEERS];
	unsigned int nr_peers;
	uint64_t peers_untracked; /* resets from peers beyond the table */
	uint64_t start_ns;
	const struct rt_names *names;
	/* Runs the kernel skipped, per event hook (kept current by the caller). */
	const char *missed_hook[SUMMARY_MAX_HOOKS];
	uint64_t missed[SUMMARY_MAX_HOOKS];
	unsigned int nr_hooks;
	struct reason_tally sent_tally;
};

/* Where the BPF side keeps the exact numbers. */
struct summary_maps {
	int counters_fd;
	int reasons_fd;
	int listeners_fd;
	int limits_fd; /* listener_limits: listen() calls and bursts, by listener */
	int waits_fd;  /* accept_waits: accept() waits, by listener (-1: none) */
	int socks_fd;
	uint32_t socks_max;
	int ncpus;
	int endpoints_fd; /* client_endpoints (summary_client.c), -1 without */
};

void summary_init(struct summary *s, const struct rt_names *names, uint64_t start_ns);
/* Counts a written record by diagnosis and peer. */
void summary_note(struct summary *s, const struct rt_record *r);
/* Counts a written record in t when it is a reset sent without a kernel reason. */
void reason_tally_note(struct reason_tally *t, const struct rt_record *r);
/*
 * The nonzero counts of type (RT_EV_RST_SENT by reason, RT_EV_RST_RECEIVED
 * by state) into rows (REASON_ROWS_MAX): the kernel's, and for resets sent
 * without a kernel reason those of t (may be NULL), merged by name.
 */
unsigned int reason_rows(const struct summary_maps *m, const struct rt_names *n, uint32_t type,
			 const struct reason_tally *t, struct reason_row *rows);
int summary_read_counters(const struct summary_maps *m, uint64_t totals[RT_CNT_MAX]);
void summary_print(struct summary *s, const struct summary_maps *m, struct output *o,
		   uint64_t written, uint64_t now_ns, bool final);

#endif
