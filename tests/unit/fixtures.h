/* SPDX-License-Identifier: GPL-2.0 */
/* Shared test data: kernel enum names from an in-memory BTF, events, own start time. */
#ifndef RSTTRACE_FIXTURES_H
#define RSTTRACE_FIXTURES_H

#include <stdint.h>
#include "decode.h"

/* Offset that puts boot time 123 ns at 2026-11-26T08:40:01.123456789Z. */
#define FIXTURE_BOOT_TO_REAL 1795682401123456666LL

/*
 * rst_reasons as in 6.10+ (NOT_SPECIFIED=0, NO_SOCKET=1, ..., INVALID_SYN=10,
 * ...) and drop_reasons NOT_SPECIFIED=2, NO_SOCKET=3, TCP_LISTEN_OVERFLOW=40.
 * 0 or a negative error.
 */
int fixture_names(struct rt_names *n);
void fixture_names_free(struct rt_names *n);

/* Start time of process pid in boot-time ns, as BPF records it; 0 on error. */
uint64_t fixture_start_ns(int pid);

/* Fills a 16-byte event address from text ("10.0.0.1" or "fd77::1"). */
void fixture_addr(uint8_t addr[16], int family, const char *text);

/* The text of docs/NAME in this source tree (malloc'd), or NULL. */
char *fixture_read_doc(const char *name);

#endif

/*
 * Events as BPF fills them, all at boot time 123 ns. The owner of
 * fixture_ev_invalid_syn is this process with its real start time (alive);
 * the others name pid FIXTURE_DEAD_PID, which never exists.
 */
#define FIXTURE_DEAD_PID 0x7ffffff0u
#define FIXTURE_NETNS	 4026531840u
#define FIXTURE_SK	 0xffff888003a1c000ull

/* rst_sent NO_SOCKET for 10.0.0.1:8080 <- 10.0.0.2:40000, no socket, no owner. */
void fixture_ev_no_socket(struct rt_kevent *e);
/* rst_sent INVALID_SYN by a LISTEN socket whose accept queue is 3/2. */
void fixture_ev_invalid_syn(struct rt_kevent *e);
/* rst_received on an ESTABLISHED socket owned by a connect()ing process. */
void fixture_ev_received(struct rt_kevent *e);
/* listen_overflow on the handshake ACK path. */
void fixture_ev_overflow(struct rt_kevent *e);
/* syn_queue_overflow answered with a syncookie, listener 10.0.0.1:8080 with 7 handshakes. */
void fixture_ev_synq(struct rt_kevent *e);
/* Active rst_sent over IPv6 (fd77::1 -> fd77::2): CLOSE after ESTABLISHED, close() context. */
void fixture_ev_ipv6_active(struct rt_kevent *e);
