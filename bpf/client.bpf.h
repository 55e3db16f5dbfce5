/* SPDX-License-Identifier: GPL-2.0 */
/* The client side (client.bpf.c), as the other event sources call it. */
#ifndef RSTTRACE_CLIENT_BPF_H
#define RSTTRACE_CLIENT_BPF_H

/*
 * A reset received by a client connection, for its server's endpoint row
 * (delta -1: taken back, it was the kernel's own tcp_reset()).
 */
extern int rt_client_reset_seen(__u32 netns, const struct rt_tuple *t, int delta) __hidden;
/*
 * A client connection as its socket says: bytes, retransmissions, retries,
 * errno; for a reset received (reset_state: the state it hit) the errno
 * tcp_reset() is about to set.
 */
extern int rt_client_conn(__u64 sk, __u32 reset_state, __u32 outcome, struct rt_conn *c) __hidden;

#endif
