// SPDX-License-Identifier: GPL-2.0
/*
 * rsttrace: why are clients getting "connection reset by peer"?
 *
 * Start-up order matters: programs are attached before the scan of existing
 * sockets, so a socket created during the scan is seen by one or the other,
 * and "attached" is printed only once both are done.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "../include/rsttrace.h"
#include "cli.h"
#include "clock.h"
#include "decode.h"
#include "hold.h"
#include "loader.h"
#include "messages.h"
#include "output.h"
#include "privs.h"
#include "scan.h"
#include "selfbench.h"
#include "summary.h"
#include "rsttrace.skel.h"

#ifndef RSTTRACE_VERSION
#define RSTTRACE_VERSION "0.1.0"
#endif

#define POLL_MS		50
#define OUT_FLUSH_BYTES (128u << 10)
#define EXIT_USAGE	2

static volatile sig_atomic_t exiting;

struct session {
	struct output out;
	struct hold hold;
	struct rt_names names;
	struct summary summary;
	struct summary_maps maps;
	bool summarize;
	uint64_t written[RT_EV_MAX];
	uint64_t lost_reported;
	uint64_t now_ns; /* boot-time clock, refreshed once per batch */
	struct rsttrace_bpf *skel;
};

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	(void)level;
	return vfprintf(stderr, fmt, args);
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list args)
{
	(void)level;
	(void)fmt;
	(void)args;
	return 0;
}

static void emit_event(void *ctx, const struct rt_event *e)
{
	struct session *s = ctx;

	output_event(&s->out, e, s->now_ns);
	s->written[e->type]++;
	if (s->summarize)
		summary_note(&s->summary, &s->names, e);
}

static uint64_t total_written(const struct session *s)
{
	uint64_t n = 0;
	int t;

	for (t = 0; t < RT_EV_MAX; t++)
		n += s->written[t];
	return n;
}

static int handle_event(void *ctx, void *data, size_t size)
{
	struct session *s = ctx;
	const struct rt_event *e = data;

	if (size < sizeof(*e) || e->type == 0 || e->type >= RT_EV_MAX)
		return 0;
	/* Held events go out before anything much newer, keeping the order. */
	if (e->ts_ns > HOLD_NS)
		hold_release(&s->hold, e->ts_ns - HOLD_NS);
	if (e->type == RT_EV_RST_RECEIVED) {
		hold_push(&s->hold, e);
		return 0;
	}
	if (e->flags & RT_F_LOCAL_ABORT)
		hold_cancel(&s->hold, e->sk);
	emit_event(s, e);
	/* A long batch must not grow the buffer without bound: write as it fills. */
	if (s->out.sb.len >= OUT_FLUSH_BYTES)
		output_flush(&s->out);
	return 0;
}

static void report_lost(struct session *s)
{
	uint64_t totals[RT_CNT_MAX];

	if (summary_read_counters(&s->maps, totals))
		return;
	if (totals[RT_CNT_LOST] > s->lost_reported) {
		output_lost(&s->out, totals[RT_CNT_LOST] - s->lost_reported, totals[RT_CNT_LOST],
			    s->now_ns);
		s->lost_reported = totals[RT_CNT_LOST];
	}
}

static void print_totals(struct session *s, const struct loader *ld, bool json)
{
	uint64_t missed = loader_recursion_misses(ld);
	uint64_t t[RT_CNT_MAX] = {};

	summary_read_counters(&s->maps, t);
	if (missed)
		rt_warn(
		    json, "warning",
		    "the kernel skipped %llu runs of rsttrace's programs (nested in an interrupt on the same CPU): those events were not seen",
		    (unsigned long long)missed);
	rt_warn(
	    json, "info",
	    "totals: rst_sent=%llu rst_received=%llu listen_overflow=%llu syn_queue_overflow=%llu lost=%llu rate_limited=%llu written=%llu",
	    (unsigned long long)t[RT_CNT_RST_SENT], (unsigned long long)t[RT_CNT_RST_RECEIVED],
	    (unsigned long long)t[RT_CNT_LISTEN_OVERFLOW],
	    (unsigned long long)t[RT_CNT_SYN_QUEUE_OVERFLOW], (unsigned long long)t[RT_CNT_LOST],
	    (unsigned long long)t[RT_CNT_RATE_LIMITED], (unsigned long long)total_written(s));
}

static int load_names(struct rt_names *n, const struct btf *btf, bool json)
{
	if (kenum_load(&n->rst_reasons, btf, "sk_rst_reason", "SK_RST_REASON_"))
		rt_warn(json, "warning", "kernel has no enum sk_rst_reason: reset reasons unnamed");
	if (kenum_load(&n->drop_reasons, btf, "skb_drop_reason", "SKB_DROP_REASON_"))
		rt_warn(json, "warning",
			"kernel has no enum skb_drop_reason: drop reasons unnamed");
	return 0;
}

static void run_scan(struct loader *ld, bool json)
{
	struct scan_result r;
	int err = scan_existing_sockets(ld->skel, &r);

	if (err) {
		rt_warn(
		    json, "warning",
		    "cannot scan existing sockets (%s): sockets created before now have no owner",
		    strerror(-err));
		return;
	}
	rt_warn(
	    json, "info",
	    "scan: %llu TCP sockets (%llu listening) held by %llu processes in %llu netns, %llu.%03llu ms",
	    (unsigned long long)r.sockets, (unsigned long long)r.listeners,
	    (unsigned long long)r.processes, (unsigned long long)r.netns,
	    (unsigned long long)(r.elapsed_us / 1000), (unsigned long long)(r.elapsed_us % 1000));
}

static int trace_loop(struct session *s, struct ring_buffer *rb, const struct cli_opts *o)
{
	uint64_t start = rt_clock_boot_now_ns();
	uint64_t deadline = o->duration_ms ? start + o->duration_ms * 1000000ull : 0;
	uint64_t interval = o->summary_interval_ms * 1000000ull;
	uint64_t next_summary = interval ? start + interval : 0;
	int err = 0;

	while (!exiting) {
		err = ring_buffer__poll(rb, POLL_MS);
		if (err < 0 && err != -EINTR)
			break;
		/* The kernel skips wakeups for small batches: read them on the timer. */
		err = ring_buffer__consume(rb);
		if (err < 0 && err != -EINTR)
			break;
		err = 0;
		s->now_ns = rt_clock_boot_now_ns();
		hold_release(&s->hold, s->now_ns - HOLD_NS);
		output_fold_tick(&s->out, s->now_ns);
		report_lost(s);
		if (next_summary && s->now_ns >= next_summary) {
			summary_print(&s->summary, &s->maps, &s->out, total_written(s), s->now_ns,
				      false);
			next_summary += interval;
		}
		if (output_flush(&s->out) == -EPIPE)
			break;
		if (deadline && s->now_ns >= deadline)
			break;
	}
	/*
	 * Detach first, so that the counters stop with the stream: then read
	 * everything the kernel already handed over, and the totals match it.
	 */
	rsttrace_bpf__detach(s->skel);
	ring_buffer__consume(rb);
	s->now_ns = rt_clock_boot_now_ns();
	hold_release(&s->hold, UINT64_MAX);
	output_finish(&s->out, s->now_ns);
	report_lost(s);
	if (s->summarize)
		summary_print(&s->summary, &s->maps, &s->out, total_written(s), s->now_ns, true);
	output_flush(&s->out);
	return err;
}

int main(int argc, char **argv)
{
	struct ring_buffer *rb = NULL;
	struct loader ld = {};
	struct btf *btf = NULL;
	struct session *s;
	struct cli_opts o;
	char err_msg[256];
	int err, ret = 1;

	switch (cli_parse(argc, argv, &o, err_msg, sizeof(err_msg))) {
	case CLI_HELP:
		cli_usage(stdout);
		return 0;
	case CLI_VERSION:
		printf("rsttrace %s\n", RSTTRACE_VERSION);
		return 0;
	case CLI_ERROR:
		rt_warn(o.json, "error", "%s", err_msg);
		return EXIT_USAGE;
	case CLI_RUN:
		break;
	}
	if (o.bench_events)
		return selfbench_run(o.bench_events);
	if (loader_check_environment(o.json))
		return 1;
	libbpf_set_print(o.verbose ? libbpf_print : libbpf_quiet);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	s = calloc(1, sizeof(*s));
	if (!s)
		return 1;
	btf = btf__load_vmlinux_btf();
	if (!btf) {
		rt_warn(o.json, "error", "cannot read kernel BTF: %s", strerror(errno));
		goto cleanup;
	}
	load_names(&s->names, btf, o.json);
	if (loader_open(&ld, btf, &o))
		goto cleanup;
	/*
	 * 5 MiB that nothing needs once the programs are chosen, freed before
	 * libbpf loads its own copy: peak RSS is a budget.
	 */
	btf__free(btf);
	btf = NULL;
	if (loader_load(&ld))
		goto cleanup;
	if (loader_attach(&ld))
		goto cleanup;
	if (!o.no_scan)
		run_scan(&ld, o.json);

	s->maps.ncpus = libbpf_num_possible_cpus();
	s->maps.counters_fd = bpf_map__fd(ld.skel->maps.counters);
	s->maps.reasons_fd = bpf_map__fd(ld.skel->maps.reason_counts);
	s->maps.listeners_fd = bpf_map__fd(ld.skel->maps.listener_stats);
	s->maps.socks_fd = bpf_map__fd(ld.skel->maps.socks);
	s->maps.socks_max = bpf_map__max_entries(ld.skel->maps.socks);
	s->summarize = o.summary;
	s->skel = ld.skel;
	summary_init(&s->summary, rt_clock_boot_now_ns());
	output_init(&s->out, o.json, STDOUT_FILENO, &s->names);
	s->out.fold = o.fold;
	hold_init(&s->hold, emit_event, s);
	rb = ring_buffer__new(bpf_map__fd(ld.skel->maps.events), handle_event, s, NULL);
	if (!rb) {
		rt_warn(o.json, "error", "cannot open the ring buffer: %s", strerror(errno));
		goto cleanup_output;
	}
	if (drop_privileges())
		rt_warn(o.json, "warning", "cannot drop capabilities: %s", strerror(errno));
	rt_warn(o.json, "info", "attached: %d programs, tracing%s%s%s%s (Ctrl-C to stop)",
		ld.nr_attached, ld.event_mask & RT_EVM(RT_EV_RST_SENT) ? " sent" : "",
		ld.event_mask & RT_EVM(RT_EV_RST_RECEIVED) ? " received" : "",
		ld.event_mask & RT_EVM(RT_EV_LISTEN_OVERFLOW) ? " overflow" : "",
		ld.event_mask & RT_EVM(RT_EV_SYN_QUEUE_OVERFLOW) ? " synq" : "");

	err = trace_loop(s, rb, &o);
	if (err)
		rt_warn(o.json, "error", "reading events failed: %s", strerror(-err));
	print_totals(s, &ld, o.json);
	ret = err ? 1 : 0;

	ring_buffer__free(rb);
cleanup_output:
	output_free(&s->out);
cleanup:
	loader_destroy(&ld);
	btf__free(btf);
	kenum_free(&s->names.rst_reasons);
	kenum_free(&s->names.drop_reasons);
	free(s);
	return ret;
}
