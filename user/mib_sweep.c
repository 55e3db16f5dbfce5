// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "../include/rsttrace.h"
#include "mib_sweep.h"
#include "rsttrace.skel.h"

/* A netns still holding a listener rsttrace knows: its counters are alive. */
static bool netns_listed(const uint32_t *netns, size_t n, uint32_t inode)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (netns[i] == inode)
			return true;
	return false;
}

/* The netns of every known listener, deduplicated; *n entries in the result. */
static uint32_t *live_netns(int listeners_fd, size_t *n)
{
	struct rt_listener_key key, next, *prev = NULL;
	size_t cap = 64;
	uint32_t *out = malloc(cap * sizeof(*out)), *grown;

	*n = 0;
	if (!out)
		return NULL;
	while (bpf_map_get_next_key(listeners_fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (netns_listed(out, *n, key.netns))
			continue;
		if (*n == cap) {
			grown = realloc(out, 2 * cap * sizeof(*out));
			if (!grown)
				break;
			out = grown;
			cap *= 2;
		}
		out[(*n)++] = key.netns;
	}
	return out;
}

int mib_sweep_run(const struct rsttrace_bpf *skel, struct mib_sweep_result *res)
{
	int prog_fd = bpf_program__fd(skel->progs.mib_sweep);
	int seen_fd = bpf_map__fd(skel->maps.mib_seen);
	struct rt_mib_key key, next, *prev = NULL;
	size_t nr_live;
	uint32_t *live;
	int err = 0;

	memset(res, 0, sizeof(*res));
	/* Not loaded: a kernel without BPF_PROG_TYPE_SYSCALL (before 5.14). */
	if (prog_fd < 0)
		return -EOPNOTSUPP;
	live = live_netns(bpf_map__fd(skel->maps.listeners), &nr_live);
	if (!live)
		return -ENOMEM;
	while (bpf_map_get_next_key(seen_fd, prev, &next) == 0) {
		struct rt_mib_sweep ctx = {.key = next};
		/* A syscall program writes its results back into ctx_in. */
		struct bpf_test_run_opts opts = {
		    .sz = sizeof(opts),
		    .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx),
		};

		key = next;
		prev = &key;
		if (!netns_listed(live, nr_live, key.netns))
			continue;
		err = bpf_prog_test_run_opts(prog_fd, &opts);
		if (err)
			break;
		res->overflows += ctx.overflows;
		res->synq += ctx.synq;
		res->runs++;
	}
	free(live);
	return err;
}
