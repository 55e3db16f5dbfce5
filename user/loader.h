/* SPDX-License-Identifier: GPL-2.0 */
/* Which programs fit the running kernel, and loading and attaching them. */
#ifndef RSTTRACE_LOADER_H
#define RSTTRACE_LOADER_H

#include <stdbool.h>
#include <stdint.h>
#include "cli.h"

struct rsttrace_bpf;
struct btf;

struct loader {
	struct rsttrace_bpf *skel;
	uint32_t event_mask; /* event types that will really be produced */
	int nr_attached;
	bool json_errors;
	bool skip_kfree_skb; /* the kernel has nothing the overflow hook could match */
};

/* Checks privileges and BTF; 0 or a non-zero exit code after printing why. */
int loader_check_environment(bool json);
/*
 * Opens and configures the skeleton: picks the programs that fit the kernel
 * described by vmlinux. 0 or -errno after printing why.
 */
int loader_open(struct loader *ld, const struct btf *vmlinux, const struct cli_opts *o);
/* Loads what loader_open() chose. 0 or -errno after printing why. */
int loader_load(struct loader *ld);
/* Attaches every selected program; degrades with a warning where possible. */
int loader_attach(struct loader *ld);
void loader_destroy(struct loader *ld);
/*
 * Runs of the event programs the kernel skipped because the same program was
 * already running on that CPU (an interrupt nested in it): events rsttrace
 * could not see. Kernels before 5.12 report 0.
 */
uint64_t loader_recursion_misses(const struct loader *ld);

/* Arguments of a raw tracepoint per the kernel's BTF (without ctx), or -1. */
int loader_tp_arity(const struct btf *vmlinux, const char *tp);

#endif
