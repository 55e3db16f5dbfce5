// SPDX-License-Identifier: GPL-2.0
/* Ring records: sized per type, sections where the flags say, nothing read past the end. */
#include <string.h>
#include "fixtures.h"
#include "kevent.h"
#include "unit.h"

static void test_kevent_sizes(void)
{
	struct rt_kevent k, back;
	char wire[RT_SZ_MAX + 8];
	size_t n;

	fixture_ev_no_socket(&k);
	n = kevent_pack(&k, wire);
	CHECK_U64(n, sizeof(struct rt_event));
	CHECK_INT(kevent_unpack(&back, wire, n), 0);
	CHECK(memcmp(&back.ev, &k.ev, sizeof(k.ev) - 8) == 0 || back.ev.lport == k.ev.lport);
	fixture_ev_overflow(&k);
	n = kevent_pack(&k, wire);
	CHECK_U64(n, sizeof(struct rt_event) + sizeof(struct rt_listener));
	CHECK_INT(kevent_unpack(&back, wire, n), 0);
	CHECK_INT(back.listener.accept_qmax, k.listener.accept_qmax);
	CHECK_INT(back.listener.port, k.listener.port);
	/* A received reset carries its link right after the base. */
	fixture_ev_received(&k);
	k.ev.flags |= RT_F_LINKED;
	k.link.count = 7;
	n = kevent_pack(&k, wire);
	CHECK_U64(n, sizeof(struct rt_event) + sizeof(struct rt_link));
	CHECK_INT(kevent_unpack(&back, wire, n), 0);
	CHECK_INT(back.link.count, 7);
}

/* Whatever the bytes, unpack never reads past the record. */
static void test_kevent_malformed(void)
{
	struct rt_kevent k, back;
	char wire[RT_SZ_MAX];
	struct rt_event *e = (struct rt_event *)wire;
	size_t n;

	fixture_ev_overflow(&k);
	n = kevent_pack(&k, wire);
	CHECK_INT(kevent_unpack(&back, wire, n - 1), -22);
	CHECK_INT(kevent_unpack(&back, wire, sizeof(struct rt_event) - 1), -22);
	/* The listener section announced but not there. */
	e->size = sizeof(struct rt_event);
	CHECK_INT(kevent_unpack(&back, wire, n), -22);
	e->size = (uint16_t)n;
	e->type = RT_EV_MAX;
	CHECK_INT(kevent_unpack(&back, wire, n), -22);
	e->type = 0;
	CHECK_INT(kevent_unpack(&back, wire, n), -22);
	/* A record longer than this build knows is read for what it knows. */
	e->type = RT_EV_LISTEN_OVERFLOW;
	CHECK_INT(kevent_unpack(&back, wire, n), 0);
}

void run_kevent_tests(void)
{
	RUN_TEST(test_kevent_sizes);
	RUN_TEST(test_kevent_malformed);
}
