/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A short hold for rst_received events. Before the kernel sends a
 * TCP_ABORT_ON_DATA reset it runs tcp_reset() on its own socket, which fires
 * tcp_receive_reset although nothing was received; the rst_sent that follows
 * (flagged RT_F_LOCAL_ABORT by BPF) cancels the held event. A reset received
 * on an established connection waits too, for the rst_sent of its traced
 * peer that explains it (user/ring.c).
 */
#ifndef RSTTRACE_HOLD_H
#define RSTTRACE_HOLD_H

#include <stdbool.h>
#include <stdint.h>
#include "../include/rsttrace.h"
#include "kevent.h"

#define HOLD_SLOTS 256
/*
 * Both events are raised in one softirq or system call, microseconds apart
 * (15 us measured on loopback); 10 ms because a 6.1 guest under TCG once
 * stamped the sender's reset more than 2 ms after its receipt, and the
 * reset received then went out unlinked (truth_forked_child_linger0_not_killed).
 */
#define HOLD_NS 10000000ull

typedef void (*hold_emit_fn)(void *ctx, const struct rt_kevent *e);

struct hold {
	struct rt_kevent ev[HOLD_SLOTS];
	bool cancelled[HOLD_SLOTS];
	unsigned int head; /* oldest */
	unsigned int count;
	hold_emit_fn emit;
	void *ctx;
};

void hold_init(struct hold *h, hold_emit_fn emit, void *ctx);
void hold_push(struct hold *h, const struct rt_kevent *e);
/* Drops the held event of socket sk; false when none was held. */
bool hold_cancel(struct hold *h, uint64_t sk);
/* Emits held events stamped before 'cutoff_ns' (all of them with UINT64_MAX). */
void hold_release(struct hold *h, uint64_t cutoff_ns);

#endif
