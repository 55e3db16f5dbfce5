// SPDX-License-Identifier: GPL-2.0
#include "diagnose.h"
#include "fixtures.h"
#include "unit.h"

static struct rt_names names;

static const char *code_of(const struct rt_event *e, struct diagnosis *d)
{
	memset(d, 0xa5, sizeof(*d));
	diagnose(&names, e, d);
	CHECK(d->code != NULL);
	CHECK(strnlen(d->text, sizeof(d->text)) < sizeof(d->text));
	return d->code;
}

static void test_diagnose_codes(void)
{
	struct diagnosis d;
	struct rt_event e;

	CHECK_INT(fixture_names(&names), 0);
	fixture_ev_no_socket(&e);
	CHECK_STR(code_of(&e, &d), "no_listener");
	CHECK_CONTAINS(d.text, "10.0.0.1:8080");
	fixture_ev_invalid_syn(&e);
	CHECK_STR(code_of(&e, &d), "listen_overflow");
	CHECK_CONTAINS(d.text, "8080");
	fixture_ev_overflow(&e);
	CHECK_STR(code_of(&e, &d), "listen_overflow");
	fixture_ev_received(&e);
	CHECK_STR(code_of(&e, &d), "peer_reset");
	CHECK_CONTAINS(d.text, "10.0.0.2:40000");
	e.state = 8;
	CHECK_STR(code_of(&e, &d), "stale_keepalive");
	e.state = 2;
	CHECK_STR(code_of(&e, &d), "no_listener");
	fixture_ev_ipv6_active(&e);
	CHECK_STR(code_of(&e, &d), "unread_data_on_close");
	CHECK_CONTAINS(d.text, "[fd77::2]:50000");
	fixture_ev_no_socket(&e);
	e.flags |= RT_F_NO_REASON;
	CHECK_STR(code_of(&e, &d), "unknown");
	e.type = 0;
	CHECK_STR(code_of(&e, &d), "unknown");
	e.type = 99;
	CHECK_STR(code_of(&e, &d), "unknown");
	fixture_names_free(&names);
}

/* Without the kernel's enums nothing is named, and nothing crashes. */
static void test_diagnose_no_names(void)
{
	struct diagnosis d;
	struct rt_event e;

	memset(&names, 0, sizeof(names));
	fixture_ev_invalid_syn(&e);
	CHECK_STR(code_of(&e, &d), "unknown");
	fixture_ev_overflow(&e);
	CHECK_STR(code_of(&e, &d), "listen_overflow");
}

void run_diagnose_tests(void)
{
	RUN_TEST(test_diagnose_codes);
	RUN_TEST(test_diagnose_no_names);
}
