/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Listener limits and bursts (bpf/listen.bpf.c), called from the sources
 * that see a listener start, overflow, queue a handshake or accept.
 */
#ifndef RSTTRACE_LISTEN_BPF_H
#define RSTTRACE_LISTEN_BPF_H

/* A socket became a listener: nothing is known of its limit until listen() returns. */
extern int rt_limits_listen_start(__u64 sk) __hidden;
/*
 * A connection the listener dropped: its SYN or handshake ACK met a full
 * accept queue, or its SYN a full SYN queue (no cookie). t: listener side local.
 */
extern int rt_burst_drop(__u64 lsk, const struct rt_tuple *t) __hidden;
/* A handshake entered the accept queue. */
extern int rt_burst_queued(__u64 lsk, const struct rt_tuple *t) __hidden;
/* accept() took a connection from the listener. */
extern int rt_burst_accepted(__u64 lsk) __hidden;
/* accept() took a connection whose handshake completed at queued_ns (0: unknown). */
extern int rt_accept_wait(__u64 lsk, __u64 queued_ns) __hidden;

#endif
