/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Listener limits and bursts (bpf/listen.bpf.c), called from the sources
 * that see a listener start, overflow, queue a handshake or accept.
 */
#ifndef RSTTRACE_LISTEN_BPF_H
#define RSTTRACE_LISTEN_BPF_H

/* A socket became a listener: nothing is known of its limit until listen() returns. */
extern int rt_limits_listen_start(__u64 sk) __hidden;
/* An accept-queue overflow of a connection; new_conn: its first in this episode. */
extern int rt_burst_overflow(__u64 lsk, __u32 new_conn) __hidden;
/* A handshake entered the accept queue; overflow_ts: when it first overflowed, or 0. */
extern int rt_burst_queued(__u64 lsk, __u64 overflow_ts) __hidden;
/* accept() took a connection from the listener. */
extern int rt_burst_accepted(__u64 lsk) __hidden;

#endif
