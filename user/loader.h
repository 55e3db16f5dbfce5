/* SPDX-License-Identifier: GPL-2.0 */
/* Loading and attaching the programs hooks.c chose for the running kernel. */
#ifndef RSTTRACE_LOADER_H
#define RSTTRACE_LOADER_H

#include <stdbool.h>
#include <stdint.h>
#include "cli.h"
#include "hooks.h"
#include "probe.h"

struct rsttrace_bpf;
struct btf;
struct bpf_link;

#define LOADER_MAX_HOOKS 32

struct loader {
	struct rsttrace_bpf *skel;
	struct probe probe;
	struct hook_choice choice[LOADER_MAX_HOOKS];
	bool attached[LOADER_MAX_HOOKS];
	uint32_t event_mask; /* event types that will really be produced */
	int nr_attached;
	bool json_errors;
	const struct cli_opts *opts; /* loader_open()'s, for loading again without optional hooks */
	int on_pressure;	     /* the hook attached only under pressure, -1 when none */
	struct bpf_link *armed;	     /* its link while attached */
};

/* Checks privileges and BTF; 0 or a non-zero exit code after printing why. */
int loader_check_environment(bool json);
/* Probes the kernel and chooses the hooks; no BPF object yet (for --probe too). */
void loader_probe(struct loader *ld, const struct btf *vmlinux, const struct cli_opts *o);
/*
 * Opens and configures the skeleton with the chosen programs, after saying
 * once what this kernel cannot show. 0 or -errno after printing why.
 */
int loader_open(struct loader *ld, const struct cli_opts *o);
/*
 * Loads what loader_open() chose. When the kernel refuses it and optional
 * hooks (-e client) were chosen, loads again without them and warns once.
 * 0 or -errno after printing why.
 */
int loader_load(struct loader *ld);
/* Attaches every selected program; degrades with a warning where possible. */
int loader_attach(struct loader *ld);
void loader_destroy(struct loader *ld);
/*
 * Attaches the hook chosen to run only under pressure (ld->on_pressure);
 * 0 (also when none or already attached) or -errno. loader_disarm()
 * detaches it; loader_destroy() too.
 */
int loader_arm(struct loader *ld);
void loader_disarm(struct loader *ld);
/*
 * Returns once no BPF program that started before the call is still
 * running. false when it could only wait a while instead (membarrier
 * refused, e.g. with nohz_full CPUs).
 */
bool loader_quiesce(void);
/*
 * Runs of the event programs the kernel skipped because the program was
 * already running on that CPU (an interrupt nested in it): events rsttrace
 * could not see. Per hook of the table (0 for support hooks and hooks not
 * attached); the sum is returned. Kernels before 5.12 report 0.
 */
uint64_t loader_recursion_misses(const struct loader *ld, uint64_t per_hook[LOADER_MAX_HOOKS]);

#endif
