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
#include "cgroups.h"
#include "cli.h"
#include "ready_file.h"
#include "clock.h"
#include "coverage.h"
#include "decode.h"
#include "fold.h"
#include "limits_stage.h"
#include "loader.h"
#include "mib_sweep.h"
#include "messages.h"
#include "metrics.h"
#include "metrics_http.h"
#include "output.h"
#include "pipeline.h"
#include "privs.h"
#include "ring.h"
#include "scan.h"
#include "selfbench.h"
#include "summary.h"
#include "syn_arm.h"
#include "rsttrace.skel.h"

#ifndef RSTTRACE_VERSION
#define RSTTRACE_VERSION "0.1.0"
#endif

#define POLL_MS	   50
#define EXIT_USAGE 2

static volatile int exiting;
static volatile int resized;

struct session {
	struct output out;
	struct pipeline pl;
	struct ring ring;
	struct kfold fold;
	struct rt_names names;
	struct summary summary;
	struct summary_maps maps;
	bool summarize;
	uint64_t lost_reported;
	uint64_t unattributed_reported[RT_CNT_MAX]; /* RT_CNT_UNATTRIB_* */
	struct loader *ld;
	uint64_t missed_reported[LOADER_MAX_HOOKS];
	struct syn_arm arm; /* the SYN detector armed on pressure (ld->on_pressure) */
	struct rsttrace_bpf *skel;
	struct bpf_link *sweep; /* the exit sweep, attached while privileged */
	struct metrics metrics;
	struct metrics_http *http; /* --metrics: its own thread, see user/metrics_http.h */
};

static void on_signal(int sig)
{
	if (sig == SIGWINCH)
		resized = 1;
	else
		exiting = 1;
}

/*
 * Without SA_RESTART: a write() blocked on a reader that stopped reading
 * returns EINTR, and the stream knows it is time to give up on it.
 */
static void install_signals(void)
{
	struct sigaction sa = {.sa_handler = on_signal};

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGWINCH, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
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

/* What the kernel's counters say happened beyond the events: said as soon as seen. */
static void report_unattributed(struct session *s, const uint64_t *totals, int cnt, uint32_t type,
				uint64_t now_ns)
{
	uint64_t *reported = &s->unattributed_reported[cnt];

	if (totals[cnt] > *reported) {
		pipeline_unattributed(&s->pl, type, totals[cnt] - *reported, totals[cnt], now_ns);
		*reported = totals[cnt];
	}
}

static void report_lost(struct session *s, uint64_t now_ns)
{
	uint64_t totals[RT_CNT_MAX];

	if (summary_read_counters(&s->maps, totals))
		return;
	if (totals[RT_CNT_LOST] > s->lost_reported) {
		pipeline_lost(&s->pl, totals[RT_CNT_LOST] - s->lost_reported, totals[RT_CNT_LOST],
			      now_ns);
		s->lost_reported = totals[RT_CNT_LOST];
	}
	report_unattributed(s, totals, RT_CNT_UNATTRIB_OVERFLOW, RT_EV_LISTEN_OVERFLOW, now_ns);
	report_unattributed(s, totals, RT_CNT_UNATTRIB_SYNQ, RT_EV_SYN_QUEUE_OVERFLOW, now_ns);
	report_unattributed(s, totals, RT_CNT_UNATTRIB_RST, RT_EV_RST_SENT, now_ns);
}

/*
 * Runs the kernel skipped are reported like lost events: in the stream, as
 * soon as they are seen, per event hook, and in the summary, per hook. The
 * hooks without events count too: a skipped run of inet_sock_set_state
 * leaves a socket's owner, or an accepted connection's wait, unknown.
 */
static void report_missed(struct session *s, uint64_t now_ns)
{
	uint64_t per_hook[LOADER_MAX_HOOKS];
	int i;

	loader_recursion_misses(s->ld, per_hook);
	s->summary.nr_hooks = 0;
	for (i = 0; i < nr_hooks && s->summary.nr_hooks < SUMMARY_MAX_HOOKS; i++) {
		const struct hook *h = s->ld->choice[i].hook;

		if (!s->ld->attached[i] || !h)
			continue;
		s->summary.missed_hook[s->summary.nr_hooks] = h->name;
		s->summary.missed[s->summary.nr_hooks++] = per_hook[i];
		if (h->events && per_hook[i] > s->missed_reported[i]) {
			pipeline_missed(&s->pl, h->name, h->events,
					per_hook[i] - s->missed_reported[i], per_hook[i], now_ns);
			s->missed_reported[i] = per_hook[i];
		}
	}
}

/*
 * Overflows and resets the kernel counted that no event claimed: into the
 * totals, so that they end equal to the kernel's.
 */
static void sweep_counters(struct session *s)
{
	int err = mib_sweep_run(s->skel, s->sweep, RT_SWEEP_RESETS | RT_SWEEP_SETTLE);

	/* Without it (kernel or --no-scan), the warning was given at start. */
	if (err && err != -EOPNOTSUPP)
		rt_warn(
		    s->out.json, "warning",
		    "cannot read the kernel's overflow and reset counters at exit (%s): overflows and resets no hook saw since the last sweep are not in the totals",
		    strerror(-err));
}

/*
 * The SYN detector armed on pressure: attached when BPF saw an accept queue
 * at half its limit or overflows were counted, detached after a quiet
 * period. What it missed before is swept first, counted as disarmed.
 */
static void syn_arm_look(struct session *s, uint64_t now)
{
	struct loader *ld = s->ld;
	uint64_t t[RT_CNT_MAX], disarmed[2];
	bool queue;
	int act, err;

	if (ld->on_pressure < 0)
		return;
	queue = s->skel->bss->syn_pressure;
	if (queue)
		s->skel->bss->syn_pressure = 0;
	if (summary_read_counters(&s->maps, t))
		return;
	act = syn_arm_step(&s->arm, queue, t[RT_CNT_LISTEN_OVERFLOW] + t[RT_CNT_SYN_QUEUE_OVERFLOW],
			   now);
	if (!act)
		return;
	if (act == SYN_ARM_QUIET) {
		loader_disarm(ld);
		s->skel->bss->syn_disarmed = 1;
	} else {
		/* Everything counted so far, before the detector claims any of it. */
		mib_sweep_run(s->skel, s->sweep, 0);
		err = loader_arm(ld);
		if (err) {
			rt_warn(
			    s->out.json, "warning",
			    "cannot attach the SYN-path detector under pressure (%s): SYN-path overflows are only counted, as unattributed",
			    strerror(-err));
			ld->on_pressure = -1;
			return;
		}
		s->skel->bss->syn_disarmed = 0;
		summary_read_counters(&s->maps, t);
	}
	disarmed[0] = t[RT_CNT_DISARMED_OVERFLOW];
	disarmed[1] = t[RT_CNT_DISARMED_SYNQ];
	pipeline_syn_detector(&s->pl, act != SYN_ARM_QUIET, syn_arm_why_name(act), disarmed, now);
}

static void print_totals(struct session *s, const struct loader *ld, bool json)
{
	uint64_t per_hook[LOADER_MAX_HOOKS];
	uint64_t missed = loader_recursion_misses(ld, per_hook);
	uint64_t t[RT_CNT_MAX] = {};

	summary_read_counters(&s->maps, t);
	if (missed)
		rt_warn(
		    json, "warning",
		    "the kernel skipped %llu runs of rsttrace's programs (nested in an interrupt on the same CPU): events, owners or accept waits among them were not seen",
		    (unsigned long long)missed);
	rt_warn(
	    json, "info",
	    "totals: rst_sent=%llu rst_received=%llu listen_overflow=%llu syn_queue_overflow=%llu firewall_reset=%llu connect_retry=%llu connect_failed=%llu request_stalled=%llu syn_retrans=%llu lost=%llu folded=%llu missed=%llu unattributed=%llu syn_detector_disarmed=%llu written=%llu",
	    (unsigned long long)t[RT_CNT_RST_SENT], (unsigned long long)t[RT_CNT_RST_RECEIVED],
	    (unsigned long long)t[RT_CNT_LISTEN_OVERFLOW],
	    (unsigned long long)t[RT_CNT_SYN_QUEUE_OVERFLOW],
	    (unsigned long long)t[RT_CNT_FIREWALL_RST], (unsigned long long)t[RT_CNT_CONNECT_RETRY],
	    (unsigned long long)t[RT_CNT_CONNECT_FAILED],
	    (unsigned long long)t[RT_CNT_REQUEST_STALLED],
	    (unsigned long long)t[RT_CNT_SYN_RETRANS], (unsigned long long)t[RT_CNT_LOST],
	    (unsigned long long)t[RT_CNT_FOLDED], (unsigned long long)missed,
	    (unsigned long long)(t[RT_CNT_UNATTRIB_OVERFLOW] + t[RT_CNT_UNATTRIB_SYNQ] +
				 t[RT_CNT_UNATTRIB_RST]),
	    (unsigned long long)(t[RT_CNT_DISARMED_OVERFLOW] + t[RT_CNT_DISARMED_SYNQ]),
	    (unsigned long long)pipeline_written(&s->pl));
}

static void load_names(struct rt_names *n, const struct btf *btf, bool json)
{
	if (kenum_load(&n->rst_reasons, btf, "sk_rst_reason", "SK_RST_REASON_"))
		rt_warn(json, "warning", "kernel has no enum sk_rst_reason: reset reasons unnamed");
	if (kenum_load(&n->drop_reasons, btf, "skb_drop_reason", "SKB_DROP_REASON_"))
		rt_warn(json, "warning",
			"kernel has no enum skb_drop_reason: drop reasons unnamed");
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

static int trace_loop(struct session *s, const struct cli_opts *o)
{
	uint64_t start = rt_clock_boot_now_ns();
	uint64_t deadline = o->duration_ms ? start + o->duration_ms * 1000000ull : 0;
	uint64_t interval = o->summary_interval_ms * 1000000ull;
	uint64_t next_summary = interval ? start + interval : 0;
	uint64_t next_sweep = start + MIB_SWEEP_PERIOD_MS * 1000000ull;
	uint64_t now = start;
	int err = 0;

	while (!exiting) {
		err = ring_poll(&s->ring, POLL_MS, now);
		if (err < 0)
			break;
		now = rt_clock_boot_now_ns();
		ring_release(&s->ring, now);
		kfold_tick(&s->fold, &s->pl, now);
		if (s->sweep && now >= next_sweep) {
			uint64_t took;

			/* Its failure is reported at exit, where the totals are given. */
			mib_sweep_run(s->skel, s->sweep, RT_SWEEP_AGED | RT_SWEEP_RESETS);
			took = rt_clock_boot_now_ns() - now;
			/* It visits every open file: on a host with very many, less often. */
			next_sweep = now + MIB_SWEEP_PERIOD_MS * 1000000ull;
			if (took * MIB_SWEEP_COST_RATIO > MIB_SWEEP_PERIOD_MS * 1000000ull)
				next_sweep = now + took * MIB_SWEEP_COST_RATIO;
		}
		syn_arm_look(s, now);
		report_lost(s, now);
		report_missed(s, now);
		if (next_summary && now >= next_summary) {
			summary_print(&s->summary, &s->maps, &s->out, pipeline_written(&s->pl), now,
				      false);
			next_summary += interval;
		}
		if (resized && s->out.width) {
			resized = 0;
			s->out.width = output_terminal_width(s->out.fd);
		}
		if (output_flush(&s->out) == -EPIPE)
			break;
		if (deadline && now >= deadline)
			break;
	}
	/*
	 * Detach first, so that the counters stop with the stream: then read
	 * everything the kernel already handed over, and the totals match it.
	 */
	rsttrace_bpf__detach(s->skel);
	loader_disarm(s->ld);
	/* A program may still be running on another CPU: let it finish first. */
	loader_quiesce();
	now = rt_clock_boot_now_ns();
	ring_drain(&s->ring, now);
	kfold_drain(&s->fold, &s->pl, now);
	sweep_counters(s);
	report_lost(s, now);
	report_missed(s, now);
	if (s->summarize)
		summary_print(&s->summary, &s->maps, &s->out, pipeline_written(&s->pl), now, true);
	output_flush(&s->out);
	return err;
}

/* --probe: what this kernel lets rsttrace see, and with which hooks. */
static int print_probe(const struct cli_opts *o)
{
	struct loader ld = {};
	struct strbuf sb;
	struct btf *btf = btf__load_vmlinux_btf();

	if (!btf) {
		rt_warn(o->json, "error", "cannot read kernel BTF: %s", strerror(errno));
		return 1;
	}
	loader_probe(&ld, btf, o);
	btf__free(btf);
	sb_init(&sb);
	if (o->json) {
		struct rt_clock clock;
		char when[40];

		rt_clock_init(&clock);
		rt_clock_rfc3339(&clock, rt_clock_boot_now_ns(), when, sizeof(when));
		coverage_json(&sb, &ld, o->event_mask, when);
	} else {
		coverage_text(&sb, &ld, o->event_mask);
	}
	fputs(sb.buf ? sb.buf : "", stdout);
	sb_free(&sb);
	return 0;
}

static void write_coverage(struct session *s, const struct loader *ld, const struct cli_opts *o)
{
	char when[40];

	rt_clock_rfc3339(&s->out.clock, rt_clock_boot_now_ns(), when, sizeof(when));
	coverage_json(&s->out.sb, ld, o->event_mask, when);
}

int main(int argc, char **argv)
{
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
	if (o.probe)
		return print_probe(&o);
	install_signals();

	s = calloc(1, sizeof(*s));
	if (!s)
		return 1;
	btf = btf__load_vmlinux_btf();
	if (!btf) {
		rt_warn(o.json, "error", "cannot read kernel BTF: %s", strerror(errno));
		goto cleanup;
	}
	load_names(&s->names, btf, o.json);
	loader_probe(&ld, btf, &o);
	/*
	 * 5 MiB that nothing needs once the programs are chosen, freed before
	 * libbpf loads its own copy: peak RSS is a budget.
	 */
	btf__free(btf);
	btf = NULL;
	if (loader_open(&ld, &o))
		goto cleanup;
	if (loader_load(&ld))
		goto cleanup;
	if (loader_attach(&ld))
		goto cleanup;
	if (!o.no_scan)
		run_scan(&ld, o.json);

	s->maps.ncpus = libbpf_num_possible_cpus();
	if (s->maps.ncpus <= 0) {
		rt_warn(o.json, "error", "cannot count the possible CPUs: %s",
			strerror(-s->maps.ncpus));
		goto cleanup;
	}
	s->maps.counters_fd = bpf_map__fd(ld.skel->maps.counters);
	s->maps.reasons_fd = bpf_map__fd(ld.skel->maps.reason_counts);
	s->maps.listeners_fd = bpf_map__fd(ld.skel->maps.listener_stats);
	s->maps.limits_fd = bpf_map__fd(ld.skel->maps.listener_limits);
	s->maps.waits_fd = bpf_map__fd(ld.skel->maps.accept_waits);
	limits_stage_waits(s->maps.waits_fd);
	s->maps.socks_fd = bpf_map__fd(ld.skel->maps.socks);
	s->maps.socks_max = bpf_map__max_entries(ld.skel->maps.socks);
	s->maps.endpoints_fd = bpf_map__fd(ld.skel->maps.client_endpoints);
	s->summarize = o.summary;
	s->skel = ld.skel;
	s->ld = &ld;
	summary_init(&s->summary, &s->names, rt_clock_boot_now_ns());
	output_init(&s->out, o.json, STDOUT_FILENO);
	if (!o.json && !o.wide)
		s->out.width = output_terminal_width(STDOUT_FILENO);
	s->out.stopping = &exiting;
	pipeline_init(&s->pl, &s->names, &s->out, o.summary ? &s->summary : NULL);
	err = ring_open(&s->ring, bpf_map__fd(ld.skel->maps.events),
			bpf_map__fd(ld.skel->maps.aborted_rx), &s->pl);
	if (!err)
		err = kfold_init(&s->fold, o.every_event ? -1 : bpf_map__fd(ld.skel->maps.folds),
				 &ld.skel->bss->fold_epoch,
				 bpf_map__max_entries(ld.skel->maps.folds), rt_clock_boot_now_ns());
	if (err) {
		rt_warn(o.json, "error", "cannot open the ring buffer: %s", strerror(-err));
		goto cleanup_output;
	}
	/* Bound while privileged (a port below 1024 may be asked for). */
	if (o.metrics_addr) {
		s->http = metrics_http_bind(o.metrics_addr);
		if (!s->http) {
			rt_warn(o.json, "error", "cannot serve metrics on %s: %s", o.metrics_addr,
				strerror(errno));
			goto cleanup_ring;
		}
	}
	s->sweep = mib_sweep_attach(ld.skel);
	if (!s->sweep && errno != EOPNOTSUPP)
		rt_warn(
		    o.json, "warning",
		    "cannot prepare the sweep (%s): overflows and resets no hook saw are not in the totals",
		    strerror(errno));
	if (drop_privileges())
		rt_warn(o.json, "warning", "cannot drop capabilities: %s", strerror(errno));
	/* Threads after the drop: capabilities are per thread, and they inherit the dropped set. */
	err = cgroups_start();
	if (err)
		rt_warn(o.json, "warning", "no cgroup v2 paths or container ids: %s",
			strerror(-err));
	if (s->http) {
		metrics_init(&s->metrics, &s->maps, &ld, &s->names);
		s->pl.metrics = &s->metrics;
		err = metrics_http_start(s->http, metrics_render, &s->metrics);
		if (err) {
			rt_warn(o.json, "error", "cannot start the metrics server: %s",
				strerror(-err));
			goto cleanup_ring;
		}
		rt_warn(o.json, "info", "metrics: http://%s/metrics (port %d)", o.metrics_addr,
			metrics_http_port(s->http));
	}
	/* Baselines of TcpOutRsts for every netns a process holds a socket of. */
	if (s->sweep)
		mib_sweep_run(ld.skel, s->sweep, RT_SWEEP_AGED | RT_SWEEP_RESETS);
	if (o.json)
		write_coverage(s, &ld, &o);
	rt_warn(o.json, "info", "attached: %d programs, tracing%s%s%s%s%s%s (Ctrl-C to stop)",
		ld.nr_attached, ld.event_mask & RT_EVM(RT_EV_RST_SENT) ? " sent" : "",
		ld.event_mask & RT_EVM(RT_EV_RST_RECEIVED) ? " received" : "",
		ld.event_mask & RT_EVM(RT_EV_LISTEN_OVERFLOW) ? " overflow" : "",
		ld.event_mask & RT_EVM(RT_EV_SYN_QUEUE_OVERFLOW) ? " synq" : "",
		ld.event_mask & RT_EVM(RT_EV_FIREWALL_RST) ? " firewall" : "",
		ld.event_mask & RT_EVM_CLIENT ? " client" : "");
	if (o.ready_file) {
		err = ready_file_create(o.ready_file);
		if (err)
			rt_warn(o.json, "warning", "cannot create the ready file %s: %s",
				o.ready_file, strerror(-err));
	}

	err = trace_loop(s, &o);
	if (o.ready_file)
		ready_file_remove(o.ready_file);
	if (err)
		rt_warn(o.json, "error", "reading events failed: %s", strerror(-err));
	print_totals(s, &ld, o.json);
	ret = err ? 1 : 0;

cleanup_ring:
	bpf_link__destroy(s->sweep);
	metrics_http_free(s->http);
	cgroups_stop();
	ring_close(&s->ring);
	kfold_free(&s->fold);
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
