// SPDX-License-Identifier: GPL-2.0
/*
 * The metrics' resets by reason: the reason the records show, also where
 * the kernel gives none and rsttrace derives it (kernels before 6.10).
 */
#include <string.h>
#include "fixtures.h"
#include "metrics.h"
#include "pipeline.h"
#include "strbuf.h"
#include "summary.h"
#include "unit.h"

/* No BPF maps: every kernel count reads as absent, only the records count. */
static const struct summary_maps no_maps = {
    .counters_fd = -1,
    .reasons_fd = -1,
    .listeners_fd = -1,
    .limits_fd = -1,
    .waits_fd = -1,
    .socks_fd = -1,
    .ncpus = 1,
    .endpoints_fd = -1,
};

/*
 * 6.1: no enum sk_rst_reason, a reset to a closed port with no kernel
 * reason. The record shows NO_SOCKET (derived): so must the metric.
 */
static void test_metrics_derived_reason_label(void)
{
	struct reason_row rows[REASON_ROWS_MAX];
	struct rt_names names;
	struct metrics m;
	struct summary s;
	struct rt_kevent k;
	struct rt_record r;
	struct strbuf sb;
	unsigned int nr;

	memset(&names, 0, sizeof(names));
	metrics_init(&m, &no_maps, NULL, &names);
	summary_init(&s, &names, 0);
	fixture_ev_no_socket(&k);
	k.ev.flags |= RT_F_NO_REASON;
	k.ev.reason = 0;
	pipeline_build(&names, &k, 0, &r);
	CHECK_STR(r.reason, "NO_SOCKET");
	CHECK_STR(r.reason_source, "derived");
	metrics_note(&m, &r);
	summary_note(&s, &r);
	/* A folded storm of them counts every event. */
	r.count = 4;
	metrics_note(&m, &r);
	summary_note(&s, &r);
	/* A passive reset of a full socket: no reason can be derived. */
	fixture_ev_invalid_syn(&k);
	k.ev.flags |= RT_F_NO_REASON;
	k.ev.flags &= ~RT_F_ACCEPTQ_FULL;
	k.ev.state = TCPS_ESTABLISHED;
	k.ev.reason = 0;
	pipeline_build(&names, &k, 0, &r);
	CHECK_STR(r.reason, NULL);
	metrics_note(&m, &r);
	/* A reset with the kernel's reason is counted by BPF, not here. */
	fixture_ev_no_socket(&k);
	pipeline_build(&names, &k, 0, &r);
	metrics_note(&m, &r);

	sb_init(&sb);
	metrics_render(&m, &sb);
	sb_putc(&sb, '\0');
	CHECK_CONTAINS(sb.buf, "\nrsttrace_resets_sent_total{reason=\"NO_SOCKET\"} 5\n");
	CHECK_CONTAINS(sb.buf, "\nrsttrace_resets_sent_total{reason=\"unknown\"} 1\n");
	CHECK_NOT_CONTAINS(sb.buf, "rsttrace_resets_sent_total{reason=\"0\"}");
	CHECK_NOT_CONTAINS(sb.buf, "rsttrace_resets_sent_total{reason=\"127\"}");
	sb_free(&sb);

	/* The summary's rst_sent_by_reason: the same rows. */
	nr = reason_rows(&no_maps, &names, RT_EV_RST_SENT, &s.sent_tally, rows);
	CHECK_INT(nr, 1);
	CHECK_STR(rows[0].name, "NO_SOCKET");
	CHECK_U64(rows[0].count, 5);
	nr = reason_rows(&no_maps, &names, RT_EV_RST_RECEIVED, &s.sent_tally, rows);
	CHECK_INT(nr, 0);
}

void run_metrics_tests(void)
{
	RUN_TEST(test_metrics_derived_reason_label);
}
