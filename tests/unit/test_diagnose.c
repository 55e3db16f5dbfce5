// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include "diagnose.h"
#include "pipeline.h"
#include "fixtures.h"
#include "unit.h"

static struct rt_names names;
static char *codes_doc;

/* Every code a test sees must be one docs/diagnosis.md explains. */
static void check_documented(const char *code)
{
	char quoted[64];

	snprintf(quoted, sizeof(quoted), "`%s`", code);
	if (!codes_doc || !strstr(codes_doc, quoted))
		unit_fail_str(__FILE__, __LINE__, "code not in docs/diagnosis.md", code, "");
}

static struct rt_record rec;

/* The diagnose stage on a record built by the stages before it. */
static const char *code_of(const struct rt_kevent *e, struct diagnosis *d)
{
	memset(&rec.diag, 0xa5, sizeof(rec.diag));
	pipeline_build(&names, e, 0, &rec);
	*d = rec.diag;
	/* The hint points into the record; re-point it at the copy. */
	if (rec.diag.hint == rec.diag.hint_buf)
		d->hint = d->hint_buf;
	CHECK(d->code != NULL);
	if (d->code)
		check_documented(d->code);
	CHECK(strnlen(d->text, sizeof(d->text)) < sizeof(d->text));
	return d->code;
}

static void test_diagnose_codes(void)
{
	struct diagnosis d;
	struct rt_kevent e;

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
	e.ev.state = 8;
	CHECK_STR(code_of(&e, &d), "stale_keepalive");
	e.ev.state = 2;
	CHECK_STR(code_of(&e, &d), "no_listener");
	fixture_ev_ipv6_active(&e);
	CHECK_STR(code_of(&e, &d), "unread_data_on_close");
	CHECK_CONTAINS(d.text, "[fd77::2]:50000");
	/* Before 6.10 a reset without a socket is still NO_SOCKET: derived. */
	fixture_ev_no_socket(&e);
	e.ev.flags |= RT_F_NO_REASON;
	CHECK_STR(code_of(&e, &d), "no_listener");
	CHECK_STR(rec.reason_source, "derived");
	CHECK_NOT_CONTAINS(d.text, "(null)");
	/* An active reset with nothing telling its path: unknown, said so. */
	fixture_ev_ipv6_active(&e);
	e.ev.flags |= RT_F_NO_REASON;
	e.ev.flags &= ~RT_F_UNREAD;
	e.ev.sk_bits = 0;
	CHECK_STR(code_of(&e, &d), "unknown");
	CHECK(rec.reason_source == NULL);
	CHECK_NOT_CONTAINS(d.text, "(null)");
	e.ev.type = 0;
	CHECK_STR(code_of(&e, &d), "unknown");
	e.ev.type = 99;
	CHECK_STR(code_of(&e, &d), "unknown");
	fixture_names_free(&names);
}

/* Without the kernel's enums nothing is named, and nothing crashes. */
static void test_diagnose_no_names(void)
{
	struct diagnosis d;
	struct rt_kevent e;

	memset(&names, 0, sizeof(names));
	fixture_ev_invalid_syn(&e);
	CHECK_STR(code_of(&e, &d), "unknown");
	fixture_ev_overflow(&e);
	CHECK_STR(code_of(&e, &d), "listen_overflow");
}

void run_diagnose_tests(void)
{
	codes_doc = fixture_read_doc("diagnosis.md");
	RUN_TEST(test_diagnose_codes);
	RUN_TEST(test_diagnose_no_names);
	free(codes_doc);
}
