// SPDX-License-Identifier: GPL-2.0
/* The client's side: records with a connection section, their names and diagnosis. */
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "conn.h"
#include "fixtures.h"
#include "kevent.h"
#include "peer_link.h"
#include "pipeline.h"
#include "record.h"
#include "unit.h"

static struct rt_names names;
static struct rt_record rec;

/* A connection made by connect(): SYN acknowledged, nothing else. */
static void client_event(struct rt_kevent *k, uint32_t type, uint8_t outcome, int err)
{
	fixture_ev_received(k);
	k->ev.type = type;
	k->ev.flags = RT_F_OWNER | RT_F_CONN | RT_F_PREV_STATE | (err ? 0 : RT_F_NO_REASON);
	k->ev.reason = (uint32_t)err;
	k->ev.path = outcome;
	k->ev.ts_ns = 10000000000ull;
	memset(&k->conn, 0, sizeof(k->conn));
	k->conn.outcome = outcome;
	k->conn.err = err;
	k->conn.start_ns = 3000000000ull;
	k->conn.flags = RT_CF_START;
	k->conn.bytes_acked = 1;
}

static const struct rt_record *build(const struct rt_kevent *k)
{
	pipeline_build(&names, k, 0, &rec);
	return &rec;
}

static void test_client_wire(void)
{
	struct rt_kevent k, back;
	char wire[RT_SZ_MAX];
	size_t n;

	client_event(&k, RT_EV_CONNECT_RETRY, RT_CO_ERROR, 110);
	k.conn.syn_retries = 5;
	n = kevent_pack(&k, wire);
	CHECK_U64(n, RT_SZ_CONN);
	CHECK_INT(kevent_unpack(&back, wire, n), 0);
	CHECK_INT(back.conn.syn_retries, 5);
	/* A received reset keeps the link's place before its connection. */
	client_event(&k, RT_EV_RST_RECEIVED, RT_CO_RESET, 104);
	k.conn.bytes_sent = 77;
	n = kevent_pack(&k, wire);
	CHECK_U64(n, RT_SZ_RX_CONN);
	CHECK_INT(kevent_unpack(&back, wire, n), 0);
	CHECK_U64(back.conn.bytes_sent, 77);
	CHECK(!(back.ev.flags & RT_F_LINKED));
	/* The section announced but cut off. */
	CHECK_INT(kevent_unpack(&back, wire, RT_SZ_RX_LINK), -22);
}

static void test_client_names(void)
{
	struct rt_kevent k;
	const struct rt_record *r;

	CHECK_STR(errno_name(104), "ECONNRESET");
	CHECK_STR(errno_text(104), "connection reset by peer");
	CHECK(errno_name(0) == NULL);
	CHECK_STR(conn_outcome_name(RT_CO_CLOSED), "closed");
	CHECK(conn_outcome_name(99) == NULL);
	client_event(&k, RT_EV_CONNECT_FAILED, RT_CO_ERROR, 111);
	r = build(&k);
	CHECK_STR(r->type_name, "connect_failed");
	CHECK_STR(r->reason, "ECONNREFUSED");
	CHECK_INT(conn_age_ms(&r->conn, r->ev.ts_ns), 7000);
}

static void test_client_codes(void)
{
	struct rt_kevent k;
	const struct rt_record *r;

	client_event(&k, RT_EV_CONNECT_FAILED, RT_CO_ERROR, 111);
	r = build(&k);
	CHECK_STR(r->diag.code, "connection_refused");
	CHECK_STR(r->diag.confidence, "high");
	/* Refused after SYN retries: the drops are the news. */
	k.conn.syn_retries = 1;
	CHECK_STR(build(&k)->diag.code, "remote_syn_drops_suspected");
	CHECK_STR(rec.diag.confidence, "medium");
	client_event(&k, RT_EV_CONNECT_RETRY, RT_CO_ESTABLISHED, 0);
	k.conn.syn_retries = 3;
	r = build(&k);
	CHECK_STR(r->diag.code, "remote_syn_drops_suspected");
	CHECK_STR(r->diag.confidence, "high");
	CHECK_CONTAINS(r->diag.text, "retransmitted 3 times, then the handshake completed 7.000 s");
	client_event(&k, RT_EV_CONNECT_FAILED, RT_CO_CLOSED, 0);
	CHECK_STR(build(&k)->diag.code, "connect_abandoned");
	client_event(&k, RT_EV_CONNECT_FAILED, RT_CO_ERROR, 113);
	CHECK_STR(build(&k)->diag.code, "remote_unreachable");
	client_event(&k, RT_EV_REQUEST_STALLED, RT_CO_CLOSED, 0);
	k.conn.bytes_sent = 120;
	k.conn.data_retries = 3;
	r = build(&k);
	CHECK_STR(r->diag.code, "remote_accept_queue_overflow_suspected");
	CHECK_STR(r->diag.confidence, "high");
	CHECK_CONTAINS(r->diag.text, "none of the 120 bytes it sent was ever acknowledged");
	/* A reset 3 ms after the handshake, nothing received. */
	client_event(&k, RT_EV_RST_RECEIVED, RT_CO_RESET, 104);
	k.ev.flags = RT_F_OWNER | RT_F_CONN | RT_F_NO_REASON | RT_F_STATE_AGE;
	k.ev.state_age_ns = 3000000;
	k.conn.srtt_us = 100;
	r = build(&k);
	CHECK_STR(r->diag.code, "remote_accept_queue_overflow_suspected");
	CHECK_STR(r->diag.confidence, "high");
	/* 150 ms later with nothing sent: no overflow path resets then. */
	k.ev.state_age_ns = 150000000;
	CHECK_STR(build(&k)->diag.code, "peer_reset");
	/* Data sent and never acknowledged: the request may have met a full queue. */
	k.conn.bytes_sent = 120;
	r = build(&k);
	CHECK_STR(r->diag.code, "remote_accept_queue_overflow_suspected");
	CHECK_STR(r->diag.confidence, "medium");
	k.conn.bytes_sent = 0;
	/* Long established, nothing sent: the cause is on the peer. */
	k.ev.state_age_ns = 5000000000ull;
	CHECK_STR(build(&k)->diag.code, "peer_reset");
	CHECK(rec.diag.confidence == NULL);
	/* Data acknowledged, then a reset without a FIN. */
	k.conn.bytes_acked = 1235;
	CHECK_STR(build(&k)->diag.code, "remote_closed_with_unread_data");
	CHECK_CONTAINS(rec.diag.text, "after acknowledging 1234 bytes");
	k.conn.fin_received = 1;
	CHECK_STR(build(&k)->diag.code, "peer_reset");
	/* In CLOSE_WAIT the keep-alive race rule stays. */
	k.ev.state = TCPS_CLOSE_WAIT;
	CHECK_STR(build(&k)->diag.code, "stale_keepalive");
}

/*
 * Both ends traced: the reset received 3 ms after the handshake is the one
 * the server was seen sending (an abortive close), not a guessed overflow.
 */
static void test_client_reset_sent_by_traced_peer(void)
{
	struct rt_kevent sent, k;
	const struct rt_record *r;

	peer_link_reset();
	client_event(&k, RT_EV_RST_RECEIVED, RT_CO_RESET, 104);
	k.ev.flags = RT_F_OWNER | RT_F_CONN | RT_F_NO_REASON | RT_F_STATE_AGE;
	k.ev.state = TCPS_ESTABLISHED;
	k.ev.state_age_ns = 3000000;
	k.conn.srtt_us = 100;
	CHECK_STR(build(&k)->diag.code, "remote_accept_queue_overflow_suspected");
	CHECK(!rec.peer.found);
	/* The server's side of the same connection: local and remote swapped. */
	memset(&sent, 0, sizeof(sent));
	sent.ev = k.ev;
	sent.ev.type = RT_EV_RST_SENT;
	sent.ev.flags = RT_F_OWNER;
	/* Its tracepoint fires after transmitting: stamped after the receipt. */
	sent.ev.ts_ns = k.ev.ts_ns + 15000;
	memcpy(sent.ev.laddr, k.ev.raddr, 16);
	memcpy(sent.ev.raddr, k.ev.laddr, 16);
	sent.ev.lport = k.ev.rport;
	sent.ev.rport = k.ev.lport;
	sent.ev.owner.tgid = 812;
	strcpy(sent.ev.owner.comm, "nginx");
	build(&sent);
	r = build(&k);
	CHECK(r->peer.found);
	CHECK_STR(r->diag.code, "peer_reset");
	CHECK(r->diag.confidence == NULL);
	CHECK_CONTAINS(r->diag.text, "traced here too, pid 812 (nginx) sent it (");
	/* What the connection itself proves stays, with the sender beside it. */
	k.conn.bytes_acked = 1235;
	r = build(&k);
	CHECK_STR(r->diag.code, "remote_closed_with_unread_data");
	CHECK(r->peer.found);
	k.conn.bytes_acked = 1;
	/* Not the same connection: another client port. */
	k.ev.lport++;
	CHECK_STR(build(&k)->diag.code, "remote_accept_queue_overflow_suspected");
	k.ev.lport--;
	/* More than a second later: another reset. */
	k.ev.ts_ns = sent.ev.ts_ns + 2000000000ull;
	CHECK(!build(&k)->peer.found);
	peer_link_reset();
}

/*
 * A syncookie connection whose ACK the full queue dropped: the application
 * gives up and closes, its FIN no longer matches the cookie and the
 * listener resets it. Nobody saw that reset: no errno, no "0 ms after the
 * handshake" (the state's age is FIN_WAIT1's), no high confidence.
 */
static void test_client_reset_after_close(void)
{
	struct rt_kevent k;
	const struct rt_record *r;

	client_event(&k, RT_EV_RST_RECEIVED, RT_CO_RESET, 0);
	k.ev.flags = RT_F_OWNER | RT_F_CONN | RT_F_NO_REASON | RT_F_STATE_AGE;
	k.ev.state = TCPS_FIN_WAIT1;
	k.ev.state_age_ns = 0;
	k.conn.srtt_us = 400000;
	k.conn.bytes_sent = 232;
	k.conn.total_retrans = 1;
	k.conn.flags |= RT_CF_APP_CLOSED;
	r = build(&k);
	CHECK_STR(r->diag.code, "remote_accept_queue_overflow_suspected");
	CHECK_STR(r->diag.confidence, "medium");
	CHECK_CONTAINS(r->diag.text, "in FIN_WAIT1, after the application had closed it (it saw no "
				     "error from this reset)");
	CHECK_CONTAINS(r->diag.text, "none of the 232 bytes sent acknowledged (1 retransmission)");
	CHECK(strstr(r->diag.text, "after the handshake") == NULL);
	CHECK(errno_name(r->conn.err) == NULL);
	/* Shut down but not closed: the application may still read the errno. */
	k.conn.flags &= ~RT_CF_APP_CLOSED;
	CHECK(strstr(build(&k)->diag.text, "after the application had closed it") == NULL);
}

static void test_client_events_option(void)
{
	uint32_t mask;

	CHECK_INT(cli_parse_events("client", &mask), 0);
	CHECK_INT(mask, RT_EVM(RT_EV_RST_RECEIVED) | RT_EVM_CLIENT);
	CHECK_INT(cli_parse_events("connect_retry,stalled", &mask), 0);
	CHECK_INT(mask, RT_EVM(RT_EV_CONNECT_RETRY) | RT_EVM(RT_EV_REQUEST_STALLED));
	CHECK(!(RT_EVM_ALL & RT_EVM_CLIENT));
}

void run_client_tests(void)
{
	RUN_TEST(test_client_wire);
	RUN_TEST(test_client_names);
	RUN_TEST(test_client_codes);
	RUN_TEST(test_client_reset_sent_by_traced_peer);
	RUN_TEST(test_client_reset_after_close);
	RUN_TEST(test_client_events_option);
}
