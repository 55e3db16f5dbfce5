// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "kallsyms.h"
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
		    "no kernel BTF at /sys/kernel/btf/vmlinux: rsttrace needs a kernel built with CONFIG_DEBUG_INFO_BTF=y (5.8 or later)");
		return 1;
	}
	return 0;
}

int loader_tp_arity(const struct btf *btf, const char *tp)
{
	char name[128];
	const struct btf_type *t;
	int id;

	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
	if (id < 0)
		return -1;
	t = btf__type_by_id(btf, id);
	t = btf__type_by_id(btf, t->type);
	if (!t || !btf_is_ptr(t))
		return -1;
	t = btf__type_by_id(btf, t->type);
	if (!t || !btf_is_func_proto(t) || btf_vlen(t) < 1)
		return -1;
	return btf_vlen(t) - 1;
}

static bool btf_enum_has(const struct btf *btf, const char *enum_name, const char *value)
{
	const struct btf_enum *ev;
	const struct btf_type *t;
	int id = btf__find_by_name_kind(btf, enum_name, BTF_KIND_ENUM);
	unsigned int i;

	if (id < 0)
		return false;
	t = btf__type_by_id(btf, id);
	ev = btf_enum(t);
	for (i = 0; i < btf_vlen(t); i++)
		if (strcmp(btf__name_by_offset(btf, ev[i].name_off), value) == 0)
			return true;
	return false;
}

/*
 * What an older kernel cannot show, said once at start: a tool that reports
 * "0 overflows" must not leave the user believing there were none.
 */
static void warn_kernel_gaps(struct loader *ld, const struct btf *btf)
{
	bool listen_overflow_reason =
	    btf_enum_has(btf, "skb_drop_reason", "SKB_DROP_REASON_TCP_LISTEN_OVERFLOW");
	int kfree_args = loader_tp_arity(btf, "kfree_skb");
	int reset_args = loader_tp_arity(btf, "tcp_send_reset");

	if (reset_args == 2)
		rt_warn(
		    ld->json_errors, "warning",
		    "kernel older than 6.10: resets to closed ports, from TIME_WAIT and for half-open connections are not traced, and resets carry no reason");
	if (!listen_overflow_reason && kfree_args < 4) {
		rt_warn(
		    ld->json_errors, "warning",
		    "kernel older than 6.11: no ACK-path or syncookie overflow events (kfree_skb has no listener argument)");
		ld->skip_kfree_skb = true;
	} else if (!listen_overflow_reason) {
		rt_warn(
		    ld->json_errors, "warning",
		    "kernel older than 6.15: no ACK-path overflow events (no TCP_LISTEN_OVERFLOW drop reason); syncookie overflows are seen");
	}
	if (loader_tp_arity(btf, "consume_skb") == 1)
		rt_warn(
		    ld->json_errors, "warning",
		    "kernel older than 6.3: no SYN-path or SYN-queue overflow events (consume_skb has no call site)");
}

/*
 * One tracepoint and its program variants. 'full' takes 'full_args'
 * arguments; 'older' the arguments the tracepoint had on older kernels.
 */
struct hook {
	const char *tp;
	const char *what; /* what is lost without it, for the warning */
	uint32_t events;  /* event types that need it */
	int full_args;
	struct bpf_program *btf_full, *raw_full, *btf_older, *raw_older;
	int older_args;
	struct bpf_program *chosen;
};

static void hooks_of(struct rsttrace_bpf *s, struct hook *h, int *n)
{
	struct hook list[] = {
	    {.tp = "tcp_send_reset",
	     .what = "resets sent",
	     .events = RT_EVM(RT_EV_RST_SENT),
	     .full_args = 3,
	     .btf_full = s->progs.send_reset_btf,
	     .raw_full = s->progs.send_reset_raw,
	     .older_args = 2,
	     .btf_older = s->progs.send_reset_btf_noreason,
	     .raw_older = s->progs.send_reset_raw_noreason},
	    {.tp = "tcp_receive_reset",
	     .what = "resets received",
	     .events = RT_EVM(RT_EV_RST_RECEIVED),
	     .full_args = 1,
	     .btf_full = s->progs.receive_reset_btf,
	     .raw_full = s->progs.receive_reset_raw},
	    {.tp = "kfree_skb",
	     .what = "accept-queue overflow events",
	     .events = RT_EVM(RT_EV_LISTEN_OVERFLOW),
	     .full_args = 4,
	     .btf_full = s->progs.kfree_skb_btf,
	     .raw_full = s->progs.kfree_skb_raw,
	     .older_args = 3,
	     .btf_older = s->progs.kfree_skb_btf_norxsk,
	     .raw_older = s->progs.kfree_skb_raw_norxsk},
	    {.tp = "consume_skb",
	     .what = "SYN-path overflow and SYN-queue overflow events",
	     .events = RT_EVM(RT_EV_SYN_QUEUE_OVERFLOW),
	     .full_args = 2,
	     .btf_full = s->progs.consume_skb_btf,
	     .raw_full = s->progs.consume_skb_raw},
	    {.tp = "inet_sock_set_state",
	     .what = "socket owners and listeners",
	     .full_args = 3,
	     .btf_full = s->progs.set_state_btf,
	     .raw_full = s->progs.set_state_raw},
	    {.tp = "tcp_destroy_sock",
	     .what = "forgetting closed sockets (tables may go stale)",
	     .full_args = 1,
	     .btf_full = s->progs.destroy_sock_btf,
	     .raw_full = s->progs.destroy_sock_raw},
	};

	*n = (int)(sizeof(list) / sizeof(list[0]));
	memcpy(h, list, sizeof(list));
}

#define MAX_HOOKS 8

/* The SYN detector needs to know which consume_skb() call site is the listener's. */
static bool set_syn_detector_range(struct loader *ld)
{
	uint64_t start, end;
	FILE *f = fopen("/proc/kallsyms", "r");
	int err;

	if (!f)
		return false;
	err = kallsyms_func_range(f, "tcp_rcv_state_process", &start, &end);
	fclose(f);
	if (err || !start)
		return false;
	ld->skel->rodata->rcv_state_process_start = start;
	ld->skel->rodata->rcv_state_process_end = end;
	return true;
}

static void select_programs(struct loader *ld, const struct btf *btf, const struct cli_opts *o,
			    struct hook *hooks, int nr)
{
	struct bpf_program *p;
	int i;

	warn_kernel_gaps(ld, btf);
	for (p = bpf_object__next_program(ld->skel->obj, NULL); p;
	     p = bpf_object__next_program(ld->skel->obj, p))
		bpf_program__set_autoload(p, false);

	for (i = 0; i < nr; i++) {
		struct hook *h = &hooks[i];
		int arity = loader_tp_arity(btf, h->tp);
		bool raw = o->raw_tp;

		if (arity >= h->full_args)
			h->chosen = raw ? h->raw_full : h->btf_full;
		else if (arity >= 0 && h->older_args && arity >= h->older_args)
			h->chosen = raw ? h->raw_older : h->btf_older;
		if (strcmp(h->tp, "kfree_skb") == 0 && ld->skip_kfree_skb) {
			/* Nothing it could match on this kernel: not worth a hook per drop. */
			ld->event_mask &= ~RT_EVM(RT_EV_LISTEN_OVERFLOW);
			continue;
		}
		if (h->chosen && strcmp(h->tp, "consume_skb") == 0 && o->no_syn_detector) {
			ld->event_mask &= ~h->events;
			continue;
		}
		if (h->chosen && strcmp(h->tp, "consume_skb") == 0 && !set_syn_detector_range(ld)) {
			rt_warn(
			    ld->json_errors, "warning",
			    "tcp_rcv_state_process not found in /proc/kallsyms: no SYN-path overflow events");
			ld->event_mask &= ~h->events;
			continue;
		}
		if (!h->chosen && arity < 0) {
			rt_warn(ld->json_errors, "warning",
				"tracepoint %s is missing on this kernel: no %s", h->tp, h->what);
			ld->event_mask &= ~h->events;
			continue;
		}
		if (!h->chosen) {
			/* An older layout: warn_kernel_gaps() said what that costs. */
			ld->event_mask &= ~h->events;
			continue;
		}
		bpf_program__set_autoload(h->chosen, true);
	}
	bpf_program__set_autoload(ld->skel->progs.accept4_exit, true);
	bpf_program__set_autoload(ld->skel->progs.accept_exit, true);
	bpf_program__set_autoload(ld->skel->progs.scan_task_file, !o->no_scan);
}

int loader_open(struct loader *ld, const struct btf *btf, const struct cli_opts *o)
{
	struct hook hooks[MAX_HOOKS];
	struct rsttrace_bpf *s;
	int nr, err, i;

	ld->event_mask = o->event_mask;
	ld->json_errors = o->json;
	s = rsttrace_bpf__open();
	if (!s) {
		err = -errno;
		rt_warn(o->json, "error", "cannot open the BPF object: %s", strerror(-err));
		return err;
	}
	ld->skel = s;
	hooks_of(s, hooks, &nr);
	select_programs(ld, btf, o, hooks, nr);

	s->rodata->filter_tgid = o->pid;
	s->rodata->filter_netns = o->netns;
	s->rodata->filter_family = o->family;
	s->rodata->nr_filter_ports = o->nr_ports;
	for (i = 0; i < (int)o->nr_ports; i++)
		s->rodata->filter_ports[i] = o->ports[i];
	s->rodata->event_mask = ld->event_mask;
	s->rodata->rate_limit = o->rate_limit;
	/* Wake the reader when an eighth of the ring is used. */
	s->rodata->wakeup_bytes = o->ring_bytes / 8;
	bpf_map__set_max_entries(s->maps.events, o->ring_bytes);
	return 0;
}

int loader_load(struct loader *ld)
{
	int err = rsttrace_bpf__load(ld->skel);

	if (err)
		rt_warn(ld->json_errors, "error",
			"cannot load the BPF programs: %s (run with -v for the verifier log)",
			strerror(-err));
	return err;
}

/* libbpf finds classic tracepoints through tracefs, which may not be mounted. */
static void ensure_tracefs(bool json)
{
	struct stat st;

	if (stat(TRACEFS "/events", &st) == 0)
		return;
	if (mount("nodev", TRACEFS, "tracefs", 0, NULL))
		rt_warn(json, "warning", "cannot mount tracefs on %s: %s", TRACEFS,
			strerror(errno));
}

static int attach_one(struct loader *ld, struct bpf_program *p, const char *what, uint32_t events)
{
	struct bpf_link *link = bpf_program__attach(p);

	if (!link) {
		rt_warn(ld->json_errors, "warning", "cannot attach %s (%s): no %s",
			bpf_program__name(p), strerror(errno), what);
		ld->event_mask &= ~events;
		return -1;
	}
	/* The skeleton destroys the links it holds at the end. */
	for (int i = 0; i < ld->skel->skeleton->prog_cnt; i++)
		if (*ld->skel->skeleton->progs[i].prog == p)
			*ld->skel->skeleton->progs[i].link = link;
	ld->nr_attached++;
	return 0;
}

int loader_attach(struct loader *ld)
{
	struct hook hooks[MAX_HOOKS];
	int nr, i;

	hooks_of(ld->skel, hooks, &nr);
	for (i = 0; i < nr; i++) {
		struct bpf_program *p = NULL;

		if (bpf_program__autoload(hooks[i].btf_full))
			p = hooks[i].btf_full;
		else if (bpf_program__autoload(hooks[i].raw_full))
			p = hooks[i].raw_full;
		else if (hooks[i].btf_older && bpf_program__autoload(hooks[i].btf_older))
			p = hooks[i].btf_older;
		else if (hooks[i].raw_older && bpf_program__autoload(hooks[i].raw_older))
			p = hooks[i].raw_older;
		if (p)
			attach_one(ld, p, hooks[i].what, hooks[i].events);
	}
	ensure_tracefs(ld->json_errors);
	attach_one(ld, ld->skel->progs.accept4_exit, "owner refinement at accept4()", 0);
	attach_one(ld, ld->skel->progs.accept_exit, "owner refinement at accept()", 0);
	if (!ld->event_mask) {
		rt_warn(ld->json_errors, "error", "no event can be traced on this kernel");
		return -ENOENT;
	}
	return 0;
}

void loader_destroy(struct loader *ld)
{
	rsttrace_bpf__destroy(ld->skel);
	ld->skel = NULL;
}

uint64_t loader_recursion_misses(const struct loader *ld)
{
	struct rsttrace_bpf *s = ld->skel;
	const struct bpf_program *progs[] = {
	    s->progs.send_reset_btf,	      s->progs.send_reset_raw,
	    s->progs.send_reset_btf_noreason, s->progs.send_reset_raw_noreason,
	    s->progs.receive_reset_btf,	      s->progs.receive_reset_raw,
	    s->progs.kfree_skb_btf,	      s->progs.kfree_skb_raw,
	    s->progs.kfree_skb_btf_norxsk,    s->progs.kfree_skb_raw_norxsk,
	    s->progs.consume_skb_btf,	      s->progs.consume_skb_raw,
	};
	uint64_t misses = 0;
	size_t i;

	for (i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(progs[i]);

		if (fd >= 0 && bpf_obj_get_info_by_fd(fd, &info, &len) == 0)
			misses += info.recursion_misses;
	}
	return misses;
}
