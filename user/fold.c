// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "fold.h"
#include "kevent.h"
#include "loader.h"
#include "pipeline.h"

int kfold_init(struct kfold *f, int map_fd, volatile uint32_t *epoch, size_t max_entries,
	       uint64_t now_ns)
{
	memset(f, 0, sizeof(*f));
	f->map_fd = map_fd;
	f->epoch = epoch;
	f->next_ns = now_ns + FOLD_EPOCH_NS;
	if (map_fd < 0)
		return 0;
	f->cap = max_entries;
	f->keys = calloc(f->cap, sizeof(*f->keys));
	return f->keys ? 0 : -ENOMEM;
}

void kfold_free(struct kfold *f)
{
	free(f->keys);
	f->keys = NULL;
}

/* Every program that could still add to the closing epoch has finished. */
static void wait_for_programs(struct kfold *f)
{
	if (!loader_quiesce())
		f->slow_syncs++;
}

enum kfold_use kfold_entry_use(const struct rt_fold_val *v)
{
	if (!v->count)
		return KFOLD_SKIP;
	return v->resample ? KFOLD_WRITE_STALE : KFOLD_WRITE;
}

void kfold_write(struct kfold *f, struct pipeline *pl, const struct rt_fold_val *v, uint64_t now_ns)
{
	enum kfold_use use = kfold_entry_use(v);
	struct rt_kevent k;

	if (use == KFOLD_SKIP)
		return;
	if (use == KFOLD_WRITE_STALE)
		f->stale_samples++;

	k.ev = v->sample;
	k.listener = v->listener;
	k.link = v->link;
	k.closed = v->closed;
	k.conn = v->conn;
	pipeline_folded(pl, &k, v->count, v->first_ns, v->last_ns, use == KFOLD_WRITE_STALE,
			now_ns);
	f->records++;
	f->events += v->count;
}

/* Writes and deletes the entries of every epoch but 'keep' (all with keep = -1). */
static void collect(struct kfold *f, struct pipeline *pl, int64_t keep, uint64_t now_ns)
{
	struct rt_fold_key key, next, *prev = NULL;
	struct rt_fold_val v;
	size_t n = 0, i;

	/* Keys first: deleting while walking would restart the walk. */
	while (n < f->cap && bpf_map_get_next_key(f->map_fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (keep < 0 || key.epoch != (uint32_t)keep)
			f->keys[n++] = key;
	}
	for (i = 0; i < n; i++) {
		if (bpf_map_lookup_elem(f->map_fd, &f->keys[i], &v) == 0)
			kfold_write(f, pl, &v, now_ns);
		bpf_map_delete_elem(f->map_fd, &f->keys[i]);
	}
}

void kfold_tick(struct kfold *f, struct pipeline *pl, uint64_t now_ns)
{
	uint32_t closing;

	if (f->map_fd < 0 || now_ns < f->next_ns)
		return;
	closing = *f->epoch;
	*f->epoch = closing + 1;
	wait_for_programs(f);
	collect(f, pl, closing + 1, now_ns);
	f->next_ns = now_ns + FOLD_EPOCH_NS;
}

void kfold_drain(struct kfold *f, struct pipeline *pl, uint64_t now_ns)
{
	if (f->map_fd < 0)
		return;
	wait_for_programs(f);
	collect(f, pl, -1, now_ns);
}
