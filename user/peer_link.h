/* SPDX-License-Identifier: GPL-2.0 */
/*
 * When rsttrace traces both ends of a connection (one host, or both
 * namespaces given), a reset received is the reset the other end was seen
 * sending: its diagnosis is the cause, and the receiving side need not
 * guess one from timing alone.
 */
#ifndef RSTTRACE_PEER_LINK_H
#define RSTTRACE_PEER_LINK_H

#include <stdbool.h>
#include <stdint.h>
#include "../include/rsttrace.h"

/* The reset the peer was seen sending, in the received reset's record. */
struct peer_sent {
	bool found;
	const char *code; /* its diagnosis code (a constant) */
	uint32_t tgid;	  /* its owner, 0 when unknown */
	char comm[RT_COMM_LEN];
	uint64_t ts_ns;
};

struct rt_record;

/* A reset sent, after its diagnosis: remembered for a second. */
void peer_link_note_sent(const struct rt_record *r);
/* For a reset received: the reset sent for the same connection, if seen. */
void peer_link_find(struct rt_record *r);
/* Forget everything (tests). */
void peer_link_reset(void);

#endif
