/* SPDX-License-Identifier: GPL-2.0 */
/* The client side (client.bpf.c), as the other event sources call it. */
#ifndef RSTTRACE_CLIENT_BPF_H
#define RSTTRACE_CLIENT_BPF_H

/* Transitions that may end a watched connect() or stall, or a connect() that failed. */
static __always_inline bool client_transition(int oldstate, int newstate)
{
	return oldstate == RT_TCP_SYN_SENT || newstate == RT_TCP_SYN_SENT ||
	       ((oldstate == RT_TCP_ESTABLISHED || oldstate == RT_TCP_CLOSE_WAIT) &&
		newstate != RT_TCP_ESTABLISHED);
}

/*
 * A reset received by a client connection, for its server's endpoint row
 * (delta -1: taken back, it was the kernel's own tcp_reset()).
 */
extern int rt_client_reset_seen(__u32 netns, const struct rt_tuple *t, int delta) __hidden;
/* Called on every client_transition() while client events are on. */
extern int rt_client_state(__u64 sk, __u32 oldstate, __u32 newstate) __hidden;
/*
 * A client connection as its socket says: bytes, retransmissions, retries,
 * errno; for a reset received (reset_state: the state it hit) the errno
 * tcp_reset() is about to set.
 */
extern int rt_client_conn(__u64 sk, __u32 reset_state, __u32 outcome, struct rt_conn *c) __hidden;

#endif
