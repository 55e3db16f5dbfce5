// SPDX-License-Identifier: GPL-2.0
#include "decode.h"
#include "fixtures.h"
#include "unit.h"

static void test_decode_names(void)
{
	CHECK_STR(event_type_name(RT_EV_RST_SENT), "rst_sent");
	CHECK_STR(event_type_name(RT_EV_RST_RECEIVED), "rst_received");
	CHECK_STR(event_type_name(RT_EV_LISTEN_OVERFLOW), "listen_overflow");
	CHECK_STR(event_type_name(0), "unknown");
	CHECK_STR(event_type_name(UINT32_MAX), "unknown");
	CHECK_STR(owner_source_name(RT_OWN_NONE), "unknown");
	CHECK_STR(owner_source_name(RT_OWN_LISTEN), "listen");
	CHECK_STR(owner_source_name(RT_OWN_CONNECT), "connect");
	CHECK_STR(owner_source_name(RT_OWN_ACCEPT), "accept");
	CHECK_STR(owner_source_name(RT_OWN_LISTENER), "listener");
	CHECK_STR(owner_source_name(RT_OWN_SCAN), "scan");
	CHECK_STR(owner_source_name(RT_OWN_SCAN + 1), "unknown");
	CHECK_STR(owner_source_name(255), "unknown");
	CHECK_STR(overflow_path_name(RT_PATH_ACK), "ack");
}

static void test_decode_reason_and_cause(void)
{
	struct rt_names n;
	struct rt_kevent e;

	CHECK_INT(fixture_names(&n), 0);
	fixture_ev_invalid_syn(&e);
	CHECK_STR(event_reason(&n, &e.ev), "INVALID_SYN");
	CHECK_STR(event_cause(&n, &e), "listen_overflow");
	/* The kernel's label is right when the queue was not full. */
	e.ev.flags &= ~RT_F_ACCEPTQ_FULL;
	CHECK_STR(event_cause(&n, &e), NULL);
	/* A listener found by port did not necessarily see this SYN. */
	fixture_ev_invalid_syn(&e);
	e.ev.flags |= RT_F_LISTENER_BY_PORT;
	CHECK_STR(event_cause(&n, &e), NULL);
	fixture_ev_invalid_syn(&e);
	e.ev.reason = 1;
	CHECK_STR(event_reason(&n, &e.ev), "NO_SOCKET");
	CHECK_STR(event_cause(&n, &e), NULL);
	fixture_ev_invalid_syn(&e);
	e.ev.flags |= RT_F_NO_REASON;
	CHECK_STR(event_reason(&n, &e.ev), NULL);
	CHECK_STR(event_cause(&n, &e), NULL);

	fixture_ev_received(&e);
	CHECK_STR(event_reason(&n, &e.ev), NULL);
	CHECK_STR(event_cause(&n, &e), NULL);
	fixture_ev_overflow(&e);
	CHECK_STR(event_reason(&n, &e.ev), "TCP_LISTEN_OVERFLOW");
	CHECK_STR(event_cause(&n, &e), NULL);
	e.ev.reason = 10;
	CHECK_STR(event_reason(&n, &e.ev), NULL);
	fixture_ev_no_socket(&e);
	e.ev.reason = 9999;
	CHECK_STR(event_reason(&n, &e.ev), NULL);
	fixture_names_free(&n);
}

/* A kernel without the enums: no names, no crash. */
static void test_decode_no_names(void)
{
	struct rt_names n;
	struct rt_kevent e;

	memset(&n, 0, sizeof(n));
	fixture_ev_invalid_syn(&e);
	CHECK_STR(event_reason(&n, &e.ev), NULL);
	CHECK_STR(event_cause(&n, &e), NULL);
}

/* Before 6.10: the reason each kernel path gives, read from what the socket shows. */
static void test_decode_derived_reasons(void)
{
	struct rt_kevent e;

	fixture_ev_no_socket(&e);
	CHECK_STR(derive_reset_reason(&e), "NO_SOCKET");
	fixture_ev_invalid_syn(&e);
	e.listener.abort_on_overflow = 1;
	CHECK_STR(derive_reset_reason(&e), "INVALID_SYN");
	e.ev.flags &= ~RT_F_ACCEPTQ_FULL;
	CHECK_STR(derive_reset_reason(&e), "TCP_FLAGS");
	fixture_ev_ipv6_active(&e);
	e.ev.flags |= RT_F_UNREAD;
	e.ev.unread_bytes = 10;
	e.ev.sk_bits = RT_SK_LOCKED | RT_SK_SHUT;
	CHECK_STR(derive_reset_reason(&e), "TCP_ABORT_ON_CLOSE");
	e.ev.unread_bytes = 0;
	CHECK_STR(derive_reset_reason(&e), "TCP_STATE");
	e.ev.sk_bits = RT_SK_LOCKED;
	CHECK_STR(derive_reset_reason(&e), "TCP_STATE");
	e.ev.sk_bits = 0;
	e.ev.state = TCPS_FIN_WAIT2;
	CHECK_STR(derive_reset_reason(&e), "TCP_STATE");
	e.ev.state = TCPS_ESTABLISHED;
	e.ev.sk_bits = RT_SK_PROBES;
	CHECK_STR(derive_reset_reason(&e), "TCP_KEEPALIVE_TIMEOUT");
	e.ev.sk_bits = RT_SK_ORPHAN;
	CHECK_STR(derive_reset_reason(&e), "TCP_ABORT_ON_MEMORY");
	e.ev.sk_bits = 0;
	CHECK_STR(derive_reset_reason(&e), NULL);
	e.ev.flags |= RT_F_LOCAL_ABORT;
	CHECK_STR(derive_reset_reason(&e), "TCP_ABORT_ON_DATA");
	e.ev.flags &= ~(RT_F_LOCAL_ABORT | RT_F_ACTIVE);
	e.ev.state = TCPS_TIME_WAIT;
	CHECK_STR(derive_reset_reason(&e), "TCP_TIMEWAIT_SOCKET");
	/* A passive reset of a full socket: several reasons fit, none is guessed. */
	e.ev.state = TCPS_ESTABLISHED;
	CHECK_STR(derive_reset_reason(&e), NULL);
	/*
	 * Data after close() that acked the FIN too: the orphan in FIN_WAIT1
	 * closed by tcp_done(), no tcp_reset() to pair (6.1 guest): the reset
	 * comes from its CLOSE socket, destroyed (no previous state) or not.
	 */
	e.ev.state = TCPS_CLOSE;
	e.ev.flags &= ~RT_F_PREV_STATE;
	CHECK_STR(derive_reset_reason(&e), "TCP_ABORT_ON_DATA");
	e.ev.flags |= RT_F_PREV_STATE;
	e.ev.prev_state = TCPS_FIN_WAIT2;
	CHECK_STR(derive_reset_reason(&e), "TCP_ABORT_ON_DATA");
	e.ev.prev_state = TCPS_SYN_SENT;
	CHECK_STR(derive_reset_reason(&e), NULL);
	/* An active reset of a CLOSE socket is not data after close. */
	e.ev.flags |= RT_F_ACTIVE;
	e.ev.flags &= ~RT_F_PREV_STATE;
	CHECK_STR(derive_reset_reason(&e), NULL);
}

void run_decode_tests(void)
{
	RUN_TEST(test_decode_derived_reasons);
	RUN_TEST(test_decode_names);
	RUN_TEST(test_decode_reason_and_cause);
	RUN_TEST(test_decode_no_names);
}
