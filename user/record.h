/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One record per event or folded storm, built once as it flows through the
 * pipeline (decode -> attribute -> diagnose) and only read by the sinks
 * (text, JSON, summary): no sink looks anything up or decides anything.
 */
#ifndef RSTTRACE_RECORD_H
#define RSTTRACE_RECORD_H

#include <stdbool.h>
#include <stdint.h>
#include "../include/rsttrace.h"
#include "cgroups.h"
#include "diagnose.h"
#include "kevent.h"
#include "listen_limits.h"
#include "peer_link.h"

struct rt_record {
	/* As the kernel sent it (the same members as struct rt_kevent). */
	struct rt_event ev;
	struct rt_listener listener;
	struct rt_link link;
	struct rt_closed closed;
	struct rt_conn conn;
	uint64_t count;	   /* kernel events this record stands for: 1, or a folded storm */
	uint64_t first_ns; /* folded: the first and last event of the storm (0 otherwise) */
	uint64_t last_ns;
	bool sample_taken_back; /* folded: the sample is none of the events counted */
	/* decode */
	const char *type_name;
	const char *reason;	   /* reason name, NULL when unknown */
	const char *reason_source; /* "kernel", "derived" (before 6.10: from the socket), NULL */
	const char *cause; /* rsttrace's reading where the kernel's label misleads, or NULL */
	/* attribute */
	bool owner_alive;
	bool listener_owner_alive;
	struct cg_info owner_cg; /* the owners' cgroups, when the resolver knows them */
	struct cg_info listener_cg;
	/* a reset received: the reset the peer was seen sending, when traced too */
	struct peer_sent peer;
	/* limits: which limit binds the listener, what its burst needed */
	struct limit_verdict limits;
	/* diagnose */
	struct diagnosis diag;
};

#endif
