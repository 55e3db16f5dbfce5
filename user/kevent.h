/* SPDX-License-Identifier: GPL-2.0 */
/* A kernel record unpacked: its base and every section, zero where absent. */
#ifndef RSTTRACE_KEVENT_H
#define RSTTRACE_KEVENT_H

#include <stddef.h>
#include "../include/rsttrace.h"

struct rt_kevent {
	struct rt_event ev;
	struct rt_listener listener; /* valid with RT_F_LISTENER */
	struct rt_link link;	     /* valid with RT_F_LINKED */
	struct rt_closed closed;     /* valid with RT_F_CLOSED_LISTENER */
	struct rt_conn conn;	     /* valid with RT_F_CONN */
};

/*
 * Checks a ring record against its declared size and layout and unpacks it.
 * 0, or -EINVAL when it is not a record this build understands.
 */
int kevent_unpack(struct rt_kevent *k, const void *data, size_t size);
/* The wire size of an event: what the kernel would send for it (tests, fuzzing). */
size_t kevent_wire_size(const struct rt_kevent *k);
/* Packs k into buf (at least RT_SZ_MAX bytes) as the kernel would; returns the size. */
size_t kevent_pack(const struct rt_kevent *k, void *buf);

#endif
