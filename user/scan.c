// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "../include/rsttrace.h"
#include "clock.h"
#include "scan.h"
#include "rsttrace.skel.h"

#define RT_SCAN_LISTEN 10 /* TCP_LISTEN */

/* Small open-addressing set of u64, enough to count distinct values. */
struct u64set {
	uint64_t *slots;
	size_t cap;
	size_t n;
};

static int set_add(struct u64set *s, uint64_t v)
{
	size_t i;

	if (!v)
		return 0;
	if ((s->n + 1) * 2 > s->cap) {
		struct u64set bigger = {.cap = s->cap ? s->cap * 2 : 1024};

		bigger.slots = calloc(bigger.cap, sizeof(uint64_t));
		if (!bigger.slots)
			return -ENOMEM;
		for (i = 0; i < s->cap; i++)
			if (s->slots[i])
				set_add(&bigger, s->slots[i]);
		free(s->slots);
		*s = bigger;
	}
	for (i = (v * 0x9E3779B97F4A7C15ull) % s->cap; s->slots[i]; i = (i + 1) % s->cap)
		if (s->slots[i] == v)
			return 0;
	s->slots[i] = v;
	s->n++;
	return 1;
}

int scan_existing_sockets(struct rsttrace_bpf *skel, struct scan_result *r)
{
	struct u64set socks = {}, procs = {}, nets = {};
	uint64_t start = rt_clock_boot_now_ns();
	struct rt_scan_rec recs[256];
	struct bpf_link *link;
	int fd, err = 0;
	ssize_t n;

	memset(r, 0, sizeof(*r));
	link = bpf_program__attach_iter(skel->progs.scan_task_file, NULL);
	if (!link)
		return -errno;
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	/* Records are fixed-size, but a read may still end inside one. */
	size_t have = 0;

	while ((n = read(fd, (char *)recs + have, sizeof(recs) - have)) > 0) {
		size_t i, whole;

		have += (size_t)n;
		whole = have / sizeof(recs[0]);
		for (i = 0; i < whole; i++) {
			const struct rt_scan_rec *rec = &recs[i];

			if (set_add(&socks, rec->sk) > 0 && rec->state == RT_SCAN_LISTEN)
				r->listeners++;
			set_add(&procs, rec->tgid);
			set_add(&nets, rec->netns);
		}
		have -= whole * sizeof(recs[0]);
		memmove(recs, (char *)recs + whole * sizeof(recs[0]), have);
	}
	if (n < 0)
		err = -errno;
	close(fd);
out:
	bpf_link__destroy(link);
	r->sockets = socks.n;
	r->processes = procs.n;
	r->netns = nets.n;
	r->elapsed_us = (rt_clock_boot_now_ns() - start) / 1000;
	free(socks.slots);
	free(procs.slots);
	free(nets.slots);
	return err;
}
