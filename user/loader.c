// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <linux/membarrier.h>
#include <linux/capability.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "decode.h"
#include "kconfig.h"
#include "loader.h"
#include "messages.h"
#include "rsttrace.skel.h"

#define TRACEFS "/sys/kernel/tracing"

static bool has_cap(const struct __user_cap_data_struct *d, int cap)
{
	return d[cap / 32].effective & (1u << (cap % 32));
}

int loader_check_environment(bool json)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2] = {};

	if (syscall(SYS_capget, &hdr, data) == 0 && !has_cap(data, CAP_SYS_ADMIN) &&
	    !(has_cap(data, CAP_BPF) && has_cap(data, CAP_PERFMON))) {
		rt_warn(
		    json, "error",
		    "not enough privilege: rsttrace needs root (CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN); run it with sudo");
		return 1;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		rt_warn(
		    json, "error",
		    "no kernel BTF at /sys/kernel/btf/vmlinux: rsttrace needs a kernel built with CONFIG_DEBUG_INFO_BTF=y (5.11 or later)");
		return 1;
	}
	return 0;
}

void loader_probe(struct loader *ld, const struct btf *btf, const struct cli_opts *o)
{
	struct hook_opts ho = {.raw_tp = o->raw_tp,
			       .no_scan = o->no_scan,
			       .no_syn_detector = o->no_syn_detector,
			       .syn_always = o->syn_always,
			       .client = (o->event_mask & RT_EVM_CLIENT) != 0};

	ld->on_pressure = -1;
	probe_from_btf(&ld->probe, btf);
	probe_runtime(&ld->probe, btf);
	hooks_select(&ld->probe, &ho, ld->choice);
	ld->event_mask = o->event_mask & hooks_events(ld->choice, nr_hooks);
	ld->json_errors = o->json;
}

/*
 * What this kernel cannot show, said once at start: a tool that reports
 * "0 overflows" must not leave the user believing there were none.
 */
static void warn_gaps(struct loader *ld, const struct cli_opts *o)
{
	int i;

	for (i = 0; i < nr_hooks; i++) {
		const struct hook_choice *c = &ld->choice[i];
		const struct hook_cand *cand = hook_chosen(c);
		const char *note = cand && cand->note ? cand->note(&ld->probe) : NULL;

		/* Options the user gave say it already; only the kernel's gaps are news. */
		if (c->hook->events && !(c->hook->events & o->event_mask))
			continue;
		if (!cand && c->why && (!c->hook->wanted || strncmp(c->why, "--", 2)))
			rt_warn(ld->json_errors, "warning", "no %s: %s", c->hook->gap, c->why);
		else if (note)
			rt_warn(ld->json_errors, "warning", "%s", note);
		else if (c->on_pressure)
			rt_warn(ld->json_errors, "info", "not seen at once: %s",
				HOOK_ON_PRESSURE_NOTE);
	}
}

/*
 * RSTTRACE_TEST_REFUSE=<program>[,<program>...]: those programs fail to load,
 * as on a kernel that refuses them (the tests of the degraded start, on any
 * kernel).
 */
static void refuse_for_tests(struct rsttrace_bpf *s)
{
	const char *list = getenv("RSTTRACE_TEST_REFUSE");
	struct bpf_program *p;

	if (!list)
		return;
	bpf_object__for_each_program (p, s->obj) {
		const char *name = bpf_program__name(p);
		size_t len = strlen(name);
		const char *at;

		for (at = strstr(list, name); at; at = strstr(at + 1, name))
			if ((at == list || at[-1] == ',') && (at[len] == ',' || !at[len]))
				break;
		/* A load flag no kernel knows: the bpf() call fails with EINVAL. */
		if (at)
			bpf_program__set_flags(p, bpf_program__flags(p) | (1u << 31));
	}
}

/* RSTTRACE_TEST_UNSEEN_RESETS=N: the first N resets pass unseen (bpf/rst_send.bpf.c). */
static void unseen_for_tests(struct rsttrace_bpf *s)
{
	const char *n = getenv("RSTTRACE_TEST_UNSEEN_RESETS");

	if (n)
		s->rodata->test_unseen_resets = (__u32)strtoul(n, NULL, 10);
}

/*
 * RSTTRACE_TEST_SELECTED_NETNS=N: room for N netns in filter_selected_netns
 * (bpf/maps.bpf.h), so that the tests reach its full-table path.
 */
static void selected_netns_for_tests(struct rsttrace_bpf *s)
{
	const char *n = getenv("RSTTRACE_TEST_SELECTED_NETNS");

	if (n && strtoul(n, NULL, 10) > 0)
		bpf_map__set_max_entries(s->maps.filter_selected_netns,
					 (__u32)strtoul(n, NULL, 10));
}

/* Opens the skeleton and configures it for the hooks chosen. */
static int open_skel(struct loader *ld, const struct cli_opts *o)
{
	struct rsttrace_bpf *s;
	struct bpf_program *p;
	int i;

	s = rsttrace_bpf__open();
	if (!s) {
		int err = -errno;

		rt_warn(o->json, "error", "cannot open the BPF object: %s", strerror(-err));
		return err;
	}
	ld->skel = s;
	for (p = bpf_object__next_program(s->obj, NULL); p; p = bpf_object__next_program(s->obj, p))
		bpf_program__set_autoload(p, false);
	refuse_for_tests(s);
	unseen_for_tests(s);
	selected_netns_for_tests(s);
	for (i = 0; i < nr_hooks; i++) {
		const struct hook_cand *cand = hook_chosen(&ld->choice[i]);
		int k;

		if (!cand)
			continue;
		for (k = -1; k < HOOK_MAX_MORE; k++) {
			const char *name = k < 0 ? cand->prog : cand->more[k];

			if (!name)
				break;
			p = bpf_object__find_program_by_name(s->obj, name);
			if (!p) {
				rt_warn(o->json, "error", "internal: no BPF program %s", name);
				return -ENOENT;
			}
			bpf_program__set_autoload(p, true);
		}
		if (cand->sets & HOOK_SETS_PASSIVE_FROM_FUNC)
			s->rodata->passive_from_func = 1;
		if (cand->sets & HOOK_SETS_ACK_OVERFLOW_FROM_FUNC)
			s->rodata->ack_overflow_from_func = 1;
		/* The SYN path credits its own increments (hooks_select ensured it). */
		if (cand->sets & HOOK_SETS_ACK_OVERFLOW_BY_COUNTER)
			s->rodata->ack_overflow_by_counter = 1;
		/* Not attached until a listener is under pressure (loader_arm()). */
		if (ld->choice[i].on_pressure) {
			s->rodata->syn_arm_on_pressure = 1;
			s->bss->syn_disarmed = 1;
		}
	}

	s->rodata->kernel_hz = kconfig_hz();
	s->rodata->filter_tgid = o->pid;
	s->rodata->filter_netns = o->netns;
	s->rodata->filter_cgroup = o->cgroup_id;
	s->rodata->filter_family = o->family;
	s->rodata->nr_filter_ports = o->nr_ports;
	for (i = 0; i < (int)o->nr_ports; i++)
		s->rodata->filter_ports[i] = o->ports[i];
	s->rodata->event_mask = ld->event_mask;
	s->rodata->fold_threshold = o->every_event ? 0 : o->fold_after;
	s->rodata->rcv_state_process_start = ld->probe.syn_site_start;
	s->rodata->rcv_state_process_end = ld->probe.syn_site_end;
	for (i = 0; i < (int)(sizeof(ld->probe.mib_index) / sizeof(ld->probe.mib_index[0])); i++)
		s->rodata->mib_index[i] = ld->probe.mib_index[i];
	s->rodata->tcp_mib_outrsts = ld->probe.tcp_mib_outrsts;
	s->rodata->nr_cpus = libbpf_num_possible_cpus() > 0 ? libbpf_num_possible_cpus() : 1;
	/* Wake the reader when an eighth of the ring is used. */
	s->rodata->wakeup_bytes = o->ring_bytes / 8;
	bpf_map__set_max_entries(s->maps.events, o->ring_bytes);
	return 0;
}

int loader_open(struct loader *ld, const struct cli_opts *o)
{
	int err = open_skel(ld, o);

	ld->opts = o;
	if (!err)
		warn_gaps(ld, o);
	return err;
}

/* "a, b, c": the names of the event types in mask. */
static void event_names(uint32_t mask, char *buf, size_t size)
{
	size_t len = 0;
	unsigned int t;

	buf[0] = 0;
	for (t = 0; t < RT_EV_MAX && len < size; t++)
		if (mask & RT_EVM(t))
			len += snprintf(buf + len, size - len, "%s%s", len ? ", " : "",
					event_type_name(t));
}

/*
 * The kernel refused the object: if optional hooks were in it, the same
 * object without them (their code in the other programs is dead once
 * event_mask says so). Never the whole tool for an event group on top.
 */
static int load_without_optional(struct loader *ld, int err)
{
	uint32_t dropped;
	char names[128];

	if (!ld->opts)
		return err;
	dropped = hooks_drop_optional(ld->choice, nr_hooks,
				      "its BPF programs were refused by this kernel (rsttrace -v "
				      "shows the verifier log)");
	if (!dropped)
		return err;
	rsttrace_bpf__destroy(ld->skel);
	ld->skel = NULL;
	ld->event_mask = ld->opts->event_mask & hooks_events(ld->choice, nr_hooks);
	if (open_skel(ld, ld->opts))
		return err;
	err = rsttrace_bpf__load(ld->skel);
	if (err)
		return err;
	event_names(dropped & ld->opts->event_mask, names, sizeof(names));
	rt_warn(
	    ld->json_errors, "warning",
	    "no %s: this kernel refused their BPF programs, running without them (rsttrace -v shows the verifier log)",
	    names);
	return 0;
}

int loader_load(struct loader *ld)
{
	int err = rsttrace_bpf__load(ld->skel);

	if (err)
		err = load_without_optional(ld, err);
	if (err)
		rt_warn(ld->json_errors, "error",
			"cannot load the BPF programs: %s (run with -v for the verifier log)",
			strerror(-err));
	return err;
}

/* Set while a tracefs mount of rsttrace's own is there: it goes once attached. */
static bool tracefs_mounted_here;

/* libbpf finds classic tracepoints through tracefs, which may not be mounted. */
static void ensure_tracefs(bool json)
{
	struct stat st;

	if (stat(TRACEFS "/events", &st) == 0)
		return;
	if (mount("nodev", TRACEFS, "tracefs", 0, NULL))
		rt_warn(json, "warning", "cannot mount tracefs on %s: %s", TRACEFS,
			strerror(errno));
	else
		tracefs_mounted_here = true;
}

/* An attached tracepoint is a perf event: it no longer needs the mount. */
static void release_tracefs(bool json)
{
	if (!tracefs_mounted_here)
		return;
	tracefs_mounted_here = false;
	if (umount2(TRACEFS, MNT_DETACH))
		rt_warn(json, "warning", "mounted tracefs on %s and cannot unmount it: %s", TRACEFS,
			strerror(errno));
}

static struct bpf_program *chosen_program(const struct loader *ld, int i)
{
	const struct hook_cand *cand = hook_chosen(&ld->choice[i]);

	return cand ? bpf_object__find_program_by_name(ld->skel->obj, cand->prog) : NULL;
}

static int attach_program(struct loader *ld, const char *name)
{
	struct bpf_program *p = bpf_object__find_program_by_name(ld->skel->obj, name);
	struct bpf_link *link = p ? bpf_program__attach(p) : NULL;

	if (!link)
		return -errno;
	/* The skeleton destroys the links it holds at the end. */
	for (int k = 0; k < ld->skel->skeleton->prog_cnt; k++)
		if (*ld->skel->skeleton->progs[k].prog == p)
			*ld->skel->skeleton->progs[k].link = link;
	ld->nr_attached++;
	return 0;
}

/*
 * A hook is attached when its main program is; a program that comes with it
 * (a v6 twin in a module not loaded, say) may fail with a warning of its own.
 */
static int attach_one(struct loader *ld, int i)
{
	const struct hook_cand *cand = hook_chosen(&ld->choice[i]);
	int err, k;

	if (cand->kind == HK_ITER)
		return 0; /* run on demand: scan.c, mib_sweep.c */
	/* Attached on pressure (loader_arm()); its events count as produced. */
	if (ld->choice[i].on_pressure) {
		ld->on_pressure = i;
		ld->attached[i] = true;
		return 0;
	}
	if (cand->kind == HK_TRACEPOINT)
		ensure_tracefs(ld->json_errors);
	err = attach_program(ld, cand->prog);
	if (err) {
		rt_warn(ld->json_errors, "warning", "cannot attach %s %s (%s): no %s",
			hook_kind_name(cand->kind), cand->target, strerror(-err),
			ld->choice[i].hook->gap);
		return -1;
	}
	for (k = 0; k < HOOK_MAX_MORE && cand->more[k]; k++) {
		err = attach_program(ld, cand->more[k]);
		if (err)
			rt_warn(ld->json_errors, "warning", "cannot attach %s %s (%s)",
				hook_kind_name(cand->kind), cand->more_target[k], strerror(-err));
	}
	ld->attached[i] = true;
	return 0;
}

int loader_attach(struct loader *ld)
{
	uint32_t produced = 0;
	int i;

	for (i = 0; i < nr_hooks; i++)
		if (hook_chosen(&ld->choice[i]) && attach_one(ld, i) == 0)
			produced |= ld->choice[i].hook->events;
	release_tracefs(ld->json_errors);
	/* An event type stays as long as one hook that produces it is attached. */
	ld->event_mask &= produced;
	if (!ld->event_mask) {
		rt_warn(ld->json_errors, "error", "no event can be traced on this kernel");
		return -ENOENT;
	}
	return 0;
}

/*
 * BPF programs run under rcu_read_lock(): once synchronize_rcu() returns,
 * none that started before is still running. membarrier(GLOBAL) is that
 * synchronize_rcu(), open to any process. Where it is refused, a pause far
 * longer than any program run stands in.
 */
bool loader_quiesce(void)
{
	struct timespec pause = {.tv_nsec = 20 * 1000 * 1000};

	if (syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0) == 0)
		return true;
	nanosleep(&pause, NULL);
	return false;
}

int loader_arm(struct loader *ld)
{
	const struct hook_cand *cand;
	struct bpf_program *p;

	if (ld->on_pressure < 0 || ld->armed)
		return 0;
	cand = hook_chosen(&ld->choice[ld->on_pressure]);
	p = bpf_object__find_program_by_name(ld->skel->obj, cand->prog);
	ld->armed = p ? bpf_program__attach(p) : NULL;
	return ld->armed ? 0 : -errno;
}

void loader_disarm(struct loader *ld)
{
	bpf_link__destroy(ld->armed);
	ld->armed = NULL;
}

void loader_destroy(struct loader *ld)
{
	loader_disarm(ld);
	rsttrace_bpf__destroy(ld->skel);
	ld->skel = NULL;
}

uint64_t loader_recursion_misses(const struct loader *ld, uint64_t per_hook[LOADER_MAX_HOOKS])
{
	uint64_t misses = 0;
	int i;

	for (i = 0; i < nr_hooks; i++) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		struct bpf_program *p;
		int fd;

		per_hook[i] = 0;
		/*
		 * Every hook: a skipped run of one without events leaves an
		 * owner, a listener or an accept's wait unknown (docs/design.md).
		 */
		if (!ld->attached[i])
			continue;
		p = chosen_program(ld, i);
		fd = p ? bpf_program__fd(p) : -1;
		if (fd >= 0 && bpf_obj_get_info_by_fd(fd, &info, &len) == 0)
			per_hook[i] = info.recursion_misses;
		misses += per_hook[i];
	}
	return misses;
}
