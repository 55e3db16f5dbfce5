// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "kevent.h"

/* Where each section sits in a record of this type (see include/rsttrace.h). */
struct layout {
	size_t listener, link, closed, conn; /* offsets, 0 when the type has no such section */
};

static struct layout layout_of(uint32_t type)
{
	struct layout l = {0, 0, 0, 0};

	if (type == RT_EV_RST_RECEIVED) {
		l.link = RT_SZ_BASE;
		l.conn = RT_SZ_RX_LINK;
	} else if (type >= RT_EV_CONNECT_RETRY) {
		l.conn = RT_SZ_BASE;
	} else {
		l.listener = RT_SZ_BASE;
		l.link = RT_SZ_LISTENER;
		l.closed = RT_SZ_LINK;
	}
	return l;
}

/* Copies a section that the flags announce; it must lie inside the record. */
static int section(void *dst, size_t len, const void *data, size_t size, size_t off, bool present)
{
	memset(dst, 0, len);
	if (!present)
		return 0;
	if (!off || off + len > size)
		return -EINVAL;
	memcpy(dst, (const char *)data + off, len);
	return 0;
}

int kevent_unpack(struct rt_kevent *k, const void *data, size_t size)
{
	const struct rt_event *e = data;
	struct layout l;

	if (size < sizeof(*e) || e->type == 0 || e->type >= RT_EV_MAX || e->size > size ||
	    e->size < sizeof(*e))
		return -EINVAL;
	l = layout_of(e->type);
	k->ev = *e;
	if (section(&k->listener, sizeof(k->listener), data, e->size, l.listener,
		    e->flags & RT_F_LISTENER) ||
	    section(&k->link, sizeof(k->link), data, e->size, l.link, e->flags & RT_F_LINKED) ||
	    section(&k->closed, sizeof(k->closed), data, e->size, l.closed,
		    e->flags & RT_F_CLOSED_LISTENER) ||
	    section(&k->conn, sizeof(k->conn), data, e->size, l.conn, e->flags & RT_F_CONN))
		return -EINVAL;
	return 0;
}

size_t kevent_wire_size(const struct rt_kevent *k)
{
	uint32_t f = k->ev.flags;

	if (k->ev.type == RT_EV_RST_RECEIVED)
		return f & RT_F_CONN ? RT_SZ_RX_CONN : f & RT_F_LINKED ? RT_SZ_RX_LINK : RT_SZ_BASE;
	if (k->ev.type >= RT_EV_CONNECT_RETRY)
		return f & RT_F_CONN ? RT_SZ_CONN : RT_SZ_BASE;
	if (f & RT_F_CLOSED_LISTENER)
		return RT_SZ_CLOSED;
	if (f & RT_F_LINKED)
		return RT_SZ_LINK;
	if (f & RT_F_LISTENER)
		return RT_SZ_LISTENER;
	return RT_SZ_BASE;
}

size_t kevent_pack(const struct rt_kevent *k, void *buf)
{
	size_t size = kevent_wire_size(k);
	struct layout l = layout_of(k->ev.type);
	struct rt_event *e = buf;

	memset(buf, 0, size);
	*e = k->ev;
	e->size = (uint16_t)size;
	if (l.listener && l.listener + sizeof(k->listener) <= size)
		memcpy((char *)buf + l.listener, &k->listener, sizeof(k->listener));
	if (l.link && l.link + sizeof(k->link) <= size)
		memcpy((char *)buf + l.link, &k->link, sizeof(k->link));
	if (l.closed && l.closed + sizeof(k->closed) <= size)
		memcpy((char *)buf + l.closed, &k->closed, sizeof(k->closed));
	if (l.conn && l.conn + sizeof(k->conn) <= size)
		memcpy((char *)buf + l.conn, &k->conn, sizeof(k->conn));
	return size;
}
