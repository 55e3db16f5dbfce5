/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which limit binds a listener that overflowed, what its burst needed, and
 * whether any backlog can help: pure functions of what BPF recorded
 * (struct rt_listener's call and burst, or the summary's tables).
 * docs/diagnosis.md explains each rule and the kernel facts behind it.
 */
#ifndef RSTTRACE_LISTEN_LIMITS_H
#define RSTTRACE_LISTEN_LIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "../include/rsttrace.h"
#include "accept_wait.h"
#include "servers.h"

enum limit_source {
	LIMIT_NONE = 0,		    /* nothing to judge */
	LIMIT_BACKLOG,		    /* the backlog the application passed to listen() */
	LIMIT_SOMAXCONN,	    /* net.core.somaxconn, the same now as at listen() */
	LIMIT_SOMAXCONN_THEN,	    /* somaxconn at listen(); it changed since */
	LIMIT_BACKLOG_OR_SOMAXCONN, /* listen() unseen, limit < somaxconn: backlog or older */
	LIMIT_UNSEEN_AT_SOMAXCONN,  /* listen() unseen, limit == somaxconn: either */
	LIMIT_UNSEEN_ABOVE,	    /* listen() unseen, limit > somaxconn: lowered since */
};

enum limit_pace {
	PACE_UNKNOWN = 0,   /* no burst, or too short to tell */
	PACE_BURST,	    /* accepts keep up: a bigger queue absorbs the burst */
	PACE_TOO_SLOW,	    /* arrivals outran accept() for longer than a queue should hold */
	PACE_NOT_ACCEPTING, /* no accept() at all during a burst of a second or more */
};

/* Bursts shorter than this tell no rate; a queue should drain within it. */
#define LIMIT_PACE_NS (1000ull * 1000000)

struct limit_facts {
	uint32_t limit;			   /* sk_max_ack_backlog */
	uint32_t somaxconn;		   /* net.core.somaxconn of the netns now */
	const struct rt_listen_call *call; /* NULL, or ts_ns 0: listen() not seen */
	const struct rt_burst *burst;	   /* NULL, or start_ns 0: no burst */
	const char *comm;		   /* owner's process name (RT_COMM_LEN, may lack NUL) */
	uint32_t tgid;			   /* 0: owner unknown */
	bool is_go;			   /* the owner's executable is a Go program */
	const struct rt_accept_wait *wait; /* NULL: accept() waits not read */
};

struct limit_verdict {
	enum limit_source source;
	uint32_t limit;
	uint32_t somaxconn;
	bool call_seen;
	int32_t backlog;	 /* call_seen: what listen() asked */
	uint32_t call_somaxconn; /* call_seen: somaxconn that listen() compared it with */
	const struct server_setting *server; /* NULL: not a known server */
	uint32_t tgid;
	char comm[RT_COMM_LEN + 1];
	/* The burst */
	bool has_burst;
	uint32_t peak;	     /* connections waiting or dropped at once */
	uint32_t overflowed; /* distinct connections that overflowed */
	uint32_t queued;
	uint32_t accepted;
	uint32_t bursts;
	uint64_t duration_ns;
	uint32_t arrived;    /* new connections while the burst lasted */
	uint64_t arrival_ns; /* from the first overflow to the latest new connection */
	bool rates_known;    /* arrival_ns of 100 ms or more */
	uint32_t arrival_per_s;
	uint32_t accept_per_s;
	uint32_t recommended; /* a limit that would have absorbed the burst, 0: none */
	bool raise_somaxconn; /* recommended is above somaxconn now */
	bool restart;	      /* only a new listen() (a restart) applies the change */
	enum limit_pace pace;
	/* accept() waits and rate over the listener's life (every burst and between) */
	struct accept_wait_stats wait;
};

void limits_judge(const struct limit_facts *f, struct limit_verdict *v);
/* The smallest power of two >= n (at least 1). */
uint32_t limits_round_up(uint32_t n);
const char *limit_source_name(enum limit_source s);
const char *limit_pace_name(enum limit_pace p);
/* Which limit binds, what to change to what, and whether that is enough. */
void limits_text(const struct limit_verdict *v, char *buf, size_t len);
/* The known server's setting with the recommended value, "" when none. */
void limits_setting(const struct limit_verdict *v, char *buf, size_t len);

#endif
