/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fold stage: storms are folded in the kernel (bpf/common.bpf.h emit());
 * once a second this stage closes the epoch and turns every entry of it
 * into one record that carries its count. Exact: an entry is read only
 * after every BPF program that could still add to it has finished.
 */
#ifndef RSTTRACE_FOLD_H
#define RSTTRACE_FOLD_H

#include <stddef.h>
#include <stdint.h>
#include "../include/rsttrace.h"

struct pipeline;

#define FOLD_EPOCH_NS 1000000000ull

struct kfold {
	int map_fd;		  /* the folds map, -1 when folding is off */
	volatile uint32_t *epoch; /* the BPF global fold_epoch */
	uint64_t next_ns;	  /* when the current epoch ends */
	uint64_t records;	  /* folded records written */
	uint64_t events;	  /* events they stand for */
	uint64_t slow_syncs;	  /* epochs closed by waiting, membarrier being unavailable */
	uint64_t stale_samples;	  /* records written with a taken-back sample */
	struct rt_fold_key *keys;
	size_t cap;
};

/*
 * What an entry of a closed epoch becomes: nothing when its events were all
 * taken back (count 0: bpf/local_abort.bpf.h), a record, or a record whose
 * sample is a taken-back reset (resample still set: no event folded after
 * it to rewrite it), written with its exact count and marked as such.
 */
enum kfold_use {
	KFOLD_SKIP,
	KFOLD_WRITE,
	KFOLD_WRITE_STALE,
};

enum kfold_use kfold_entry_use(const struct rt_fold_val *v);
/* Writes the record of one entry of a closed epoch, as kfold_entry_use() says. */
void kfold_write(struct kfold *f, struct pipeline *pl, const struct rt_fold_val *v,
		 uint64_t now_ns);

/* map_fd -1: folding off, the stage does nothing. 0 or -ENOMEM. */
int kfold_init(struct kfold *f, int map_fd, volatile uint32_t *epoch, size_t max_entries,
	       uint64_t now_ns);
void kfold_free(struct kfold *f);
/* Closes the epoch when it is due and writes what it folded. */
void kfold_tick(struct kfold *f, struct pipeline *pl, uint64_t now_ns);
/* After the programs are detached: writes every entry left, of any epoch. */
void kfold_drain(struct kfold *f, struct pipeline *pl, uint64_t now_ns);

#endif
