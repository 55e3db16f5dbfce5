/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cgroup id -> cgroup v2 path and container identity, resolved by a thread
 * of its own into a bounded cache: the event loop only looks up, never
 * reads a file. The thread walks the cgroup v2 tree once at start, learns
 * new cgroups as they are made (inotify on every directory it knows), and
 * walks again when the loop asked for an id it did not have.
 */
#ifndef RSTTRACE_CGROUPS_H
#define RSTTRACE_CGROUPS_H

#include <stdbool.h>
#include <stdint.h>
#include "cgroup_parse.h"

#define CG_PATH_MAX  512  /* longer paths are cut (and end in "...") */
#define CG_CACHE_MAX 4096 /* cgroups remembered; the oldest learnt go first */

struct cg_info {
	bool known;		/* path and identity are valid */
	char path[CG_PATH_MAX]; /* relative to the cgroup v2 root: "/kubepods/..." */
	struct cg_identity ident;
};

/* Mount point of cgroup v2 (unified or hybrid), or NULL. */
const char *cgroups_v2_mount(void);
/*
 * The cgroup id (what BPF reads as the owner's cgroup) of a directory:
 * an absolute path under the cgroup v2 mount, or a path relative to it
 * ("/kubepods/..."). 0 or -errno.
 */
int cgroups_id_of(const char *path, uint64_t *id);

/* Starts the resolver thread; 0 or -errno (then every lookup misses). */
int cgroups_start(void);
void cgroups_stop(void);
/*
 * Never blocks on I/O: a miss asks the thread and returns false (the id is
 * known to the next events, usually within milliseconds).
 */
bool cgroups_lookup(uint64_t id, struct cg_info *out);

/* Counters for the metrics and the tests. */
struct cg_stats {
	uint64_t entries, hits, misses, evicted, walks;
};
void cgroups_stats(struct cg_stats *st);

#endif
