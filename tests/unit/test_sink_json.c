// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
#include "fixtures.h"
#include "minijson.h"
#include "outcheck.h"
#include "unit.h"

static struct output out;

/* One event as an NDJSON line, checked for what every line must be. */
static const char *json_line(const struct rt_kevent *e)
{
	struct rt_record r;

	sb_reset(&out.sb);
	pipeline_build(outcheck_names(), e, rt_clock_boot_now_ns(), &r);
	sink_json_record(&out, &r);
	CHECK_JSON_LINE(out.sb.buf, out.sb.len);
	CHECK_INT(strchr(out.sb.buf, '\n') - out.sb.buf, out.sb.len - 1);
	return out.sb.buf;
}

static const char *u64_text(uint64_t v)
{
	static char buf[4][24];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%llu", (unsigned long long)v);
	return buf[i];
}

/* The keys every event line has, and those of its type ("" when none). */
static void check_all_keys(const char *l, const char *type_keys)
{
	CHECK_KEYS(l, "", SCHEMA_COMMON_KEYS);
	CHECK_KEYS(l, "", type_keys);
	CHECK_KEYS(l, "local", SCHEMA_ENDPOINT_KEYS);
	CHECK_KEYS(l, "remote", SCHEMA_ENDPOINT_KEYS);
	CHECK_KEYS(l, "diagnosis", SCHEMA_DIAGNOSIS_KEYS);
}

static void test_json_no_socket(void)
{
	struct rt_kevent e;
	const char *l;

	outcheck_open(&out, true);
	fixture_ev_no_socket(&e);
	l = json_line(&e);
	check_all_keys(l, "");
	CHECK_FIELD(l, "schema", "2");
	CHECK_FIELD(l, "type", "\"rst_sent\"");
	CHECK_FIELD(l, "time", "\"2026-11-26T08:40:01.123456789Z\"");
	CHECK_FIELD(l, "ts_ns", "123");
	CHECK_FIELD(l, "netns", "4026531840");
	CHECK_FIELD(l, "family", "\"ipv4\"");
	CHECK_FIELD(l, "local", "{\"addr\":\"10.0.0.1\",\"port\":8080}");
	CHECK_FIELD(l, "remote", "{\"addr\":\"10.0.0.2\",\"port\":40000}");
	CHECK_FIELD(l, "addr_source", "\"packet\"");
	CHECK_FIELD(l, "state", "null");
	CHECK_FIELD(l, "prev_state", "null");
	CHECK_FIELD(l, "reason", "\"NO_SOCKET\"");
	CHECK_FIELD(l, "reason_code", "1");
	CHECK_FIELD(l, "cause", "null");
	CHECK_FIELD(l, "owner", "null");
	CHECK_FIELD(l, "listener", "null");
	CHECK_FIELD(l, "context", "null");
	CHECK_FIELD(l, "sk", "null");
	CHECK_FIELD(l, "overflow", "null");
	CHECK_FIELD(l, "closed_listener", "null");
	CHECK_FIELD(l, "unread_bytes", "null");
	CHECK_FIELD(l, "state_age_ms", "null");
	CHECK_FIELD(l, "diagnosis.code", "\"no_listener\"");
	CHECK_INT(l[0], '{');
	outcheck_close(&out);
}

static void test_json_invalid_syn_overflow(void)
{
	const char *pid;
	struct rt_kevent e;
	const char *l;

	outcheck_open(&out, true);
	fixture_ev_invalid_syn(&e);
	pid = u64_text((uint64_t)getpid());
	l = json_line(&e);
	check_all_keys(l, "");
	CHECK_KEYS(l, "owner", SCHEMA_OWNER_KEYS);
	CHECK_KEYS(l, "listener", SCHEMA_LISTENER_KEYS);
	CHECK_KEYS(l, "listener.owner", SCHEMA_OWNER_KEYS);
	CHECK_FIELD(l, "type", "\"rst_sent\"");
	CHECK_FIELD(l, "state", "\"LISTEN\"");
	CHECK_FIELD(l, "reason", "\"INVALID_SYN\"");
	CHECK_FIELD(l, "reason_code", "10");
	CHECK_FIELD(l, "cause", "\"listen_overflow\"");
	CHECK_FIELD(l, "owner.pid", pid);
	CHECK_FIELD(l, "owner.tid", pid);
	CHECK_FIELD(l, "owner.comm", "\"server\"");
	CHECK_FIELD(l, "owner.cgroup_id", "1");
	CHECK_FIELD(l, "owner.source", "\"listen\"");
	CHECK_FIELD(l, "owner.alive", "true");
	CHECK_FIELD(l, "listener.addr", "\"0.0.0.0\"");
	CHECK_FIELD(l, "listener.port", "8080");
	CHECK_FIELD(l, "listener.accept_queue", "3");
	CHECK_FIELD(l, "listener.accept_queue_max", "2");
	CHECK_FIELD(l, "listener.syn_queue", "0");
	CHECK_FIELD(l, "listener.drops", "5");
	CHECK_FIELD(l, "listener.matched_by", "\"socket\"");
	CHECK_FIELD(l, "listener.owner.pid", pid);
	CHECK_FIELD(l, "listener.owner.alive", "true");
	CHECK_FIELD(l, "context", "null");
	CHECK_FIELD(l, "sk", "\"0xffff888003a1c000\"");

	/* Matched by port: the listener is shown, the cause is not claimed. */
	e.ev.flags |= RT_F_LISTENER_BY_PORT;
	l = json_line(&e);
	CHECK_FIELD(l, "listener.matched_by", "\"port\"");
	CHECK_FIELD(l, "cause", "null");
	outcheck_close(&out);
}

static void test_json_received(void)
{
	struct rt_kevent e;
	const char *l;

	outcheck_open(&out, true);
	fixture_ev_received(&e);
	l = json_line(&e);
	check_all_keys(l, "");
	CHECK_KEYS(l, "owner", SCHEMA_OWNER_KEYS);
	CHECK_FIELD(l, "type", "\"rst_received\"");
	CHECK_FIELD(l, "state", "\"ESTABLISHED\"");
	CHECK_FIELD(l, "addr_source", "\"socket\"");
	CHECK_FIELD(l, "reason", "null");
	CHECK_FIELD(l, "reason_code", "null");
	CHECK_FIELD(l, "cause", "null");
	CHECK_FIELD(l, "owner.pid", u64_text(FIXTURE_DEAD_PID));
	CHECK_FIELD(l, "owner.tid", u64_text(FIXTURE_DEAD_PID + 1));
	CHECK_FIELD(l, "owner.comm", "\"client\"");
	CHECK_FIELD(l, "owner.cgroup_id", "null");
	CHECK_FIELD(l, "owner.source", "\"connect\"");
	CHECK_FIELD(l, "owner.alive", "false");
	CHECK_FIELD(l, "listener", "null");
	CHECK_FIELD(l, "sk", "\"0xffff888003a1c100\"");
	outcheck_close(&out);
}

static void test_json_listen_overflow(void)
{
	struct rt_kevent e;
	const char *l;

	outcheck_open(&out, true);
	fixture_ev_overflow(&e);
	l = json_line(&e);
	check_all_keys(l, SCHEMA_LISTEN_OVERFLOW_KEYS);
	CHECK_KEYS(l, "listener", SCHEMA_LISTENER_KEYS);
	CHECK_KEYS(l, "listener.owner", SCHEMA_OWNER_KEYS);
	CHECK_FIELD(l, "type", "\"listen_overflow\"");
	CHECK_FIELD(l, "path", "\"ack\"");
	CHECK_FIELD(l, "reason", "\"TCP_LISTEN_OVERFLOW\"");
	CHECK_FIELD(l, "reason_code", "40");
	CHECK_FIELD(l, "cause", "null");
	CHECK_FIELD(l, "owner", "null");
	CHECK_FIELD(l, "repeat", "0");
	CHECK_FIELD(l, "diagnosis.code", "\"listen_overflow\"");
	CHECK_FIELD(l, "listener.accept_queue", "129");
	CHECK_FIELD(l, "listener.accept_queue_max", "128");
	CHECK_FIELD(l, "listener.owner.pid", u64_text(FIXTURE_DEAD_PID));
	CHECK_FIELD(l, "listener.owner.alive", "false");
	outcheck_close(&out);
}

static void test_json_syn_queue_overflow(void)
{
	struct rt_kevent e;
	const char *l;

	outcheck_open(&out, true);
	fixture_ev_synq(&e);
	l = json_line(&e);
	check_all_keys(l, SCHEMA_SYN_QUEUE_OVERFLOW_KEYS);
	CHECK_KEYS(l, "listener", SCHEMA_LISTENER_KEYS);
	CHECK_FIELD(l, "type", "\"syn_queue_overflow\"");
	CHECK_FIELD(l, "syncookies", "true");
	CHECK_FIELD(l, "listener.syn_queue", "7");
	CHECK_FIELD(l, "diagnosis.code", "\"syn_queue_overflow\"");
	e.ev.flags &= ~RT_F_SYNCOOKIES;
	l = json_line(&e);
	CHECK_FIELD(l, "syncookies", "false");
	outcheck_close(&out);
}

/* A reset linked to the overflow before it: the "overflow" object tells when and how. */
static void test_json_linked_overflow(void)
{
	struct rt_kevent e;
	const char *l;

	outcheck_open(&out, true);
	fixture_ev_received(&e);
	e.ev.ts_ns = 123 + 2500000000ull;
	e.ev.flags |= RT_F_LINKED;
	e.link.ts_ns = 123;
	e.link.last_ns = 123 + 1000;
	e.link.accept_qlen = 5;
	e.link.accept_qmax = 4;
	e.link.count = 3;
	e.link.listener_tgid = 77;
	e.link.listener_port = 8080;
	e.link.path = RT_PATH_SYN;
	memcpy(e.link.listener_comm, "srv\"x", 6);
	l = json_line(&e);
	check_all_keys(l, "");
	CHECK_KEYS(l, "overflow", SCHEMA_OVERFLOW_KEYS);
	CHECK_KEYS(l, "overflow.listener_owner", SCHEMA_SHORT_OWNER_KEYS);
	CHECK_FIELD(l, "overflow.time", "\"2026-11-26T08:40:01.123456789Z\"");
	CHECK_FIELD(l, "overflow.ago_ms", "2500");
	CHECK_FIELD(l, "overflow.path", "\"syn\"");
	CHECK_FIELD(l, "overflow.accept_queue", "5");
	CHECK_FIELD(l, "overflow.accept_queue_max", "4");
	CHECK_FIELD(l, "overflow.count", "3");
	CHECK_FIELD(l, "overflow.listener_port", "8080");
	CHECK_FIELD(l, "overflow.listener_owner", "{\"pid\":77,\"comm\":\"srv\\\"x\"}");
	CHECK_FIELD(l, "diagnosis.code", "\"listen_overflow\"");
	e.link.listener_tgid = 0;
	l = json_line(&e);
	CHECK_FIELD(l, "overflow.listener_owner", "null");
	outcheck_close(&out);
}

/* NO_SOCKET right after a listener on that port closed: a restart. */
static void test_json_closed_listener(void)
{
	struct rt_kevent e;
	const char *l;

	outcheck_open(&out, true);
	fixture_ev_no_socket(&e);
	e.ev.ts_ns = 5000000123ull;
	e.ev.flags |= RT_F_CLOSED_LISTENER;
	e.closed.closed_ns = 123;
	e.closed.family = AF_INET;
	e.closed.port = 8080;
	e.closed.owner_tgid = 88;
	memcpy(e.closed.owner_comm, "nginx", 6);
	l = json_line(&e);
	check_all_keys(l, "");
	CHECK_KEYS(l, "closed_listener", SCHEMA_CLOSED_LISTENER_KEYS);
	CHECK_FIELD(l, "closed_listener",
		    "{\"addr\":\"0.0.0.0\",\"port\":8080,\"closed_ago_ms\":5000,"
		    "\"owner\":{\"pid\":88,\"comm\":\"nginx\"}}");
	CHECK_FIELD(l, "diagnosis.code", "\"listener_restarting\"");
	outcheck_close(&out);
}

static void test_json_unread_and_age(void)
{
	struct rt_kevent e;
	const char *l;

	outcheck_open(&out, true);
	fixture_ev_ipv6_active(&e);
	e.ev.flags |= RT_F_UNREAD | RT_F_STATE_AGE;
	e.ev.unread_bytes = 4096;
	e.ev.state_age_ns = 1999999999;
	l = json_line(&e);
	CHECK_FIELD(l, "unread_bytes", "4096");
	CHECK_FIELD(l, "state_age_ms", "1999");
	CHECK_FIELD(l, "diagnosis.code", "\"unread_data_on_close\"");
	CHECK_CONTAINS(l, "4096 bytes");
	outcheck_close(&out);
}

/* Two comma-separated lists hold the same names, in any order. */
static bool same_names(const char *a, const char *b)
{
	char wrapped[1100], item[80];
	int na = 0, nb = 1;

	if (!*b)
		return !*a;
	snprintf(wrapped, sizeof(wrapped), ",%s,", b);
	while (*a) {
		size_t n = strcspn(a, ",");

		snprintf(item, sizeof(item), ",%.*s,", (int)n, a);
		if (!strstr(wrapped, item))
			return false;
		na++;
		a += n + (a[n] == ',');
	}
	for (; *b; b++)
		nb += *b == ',';
	return na == nb;
}

/* The example in docs/schema.md has the keys a real line of its kind has. */
static void test_json_schema_example(void)
{
	char *doc = fixture_read_doc("schema.md"), *ex, *end;
	char want[1024], got[1024];
	static const char *const paths[] = {"", "owner", "listener", "listener.owner"};
	struct rt_kevent e;
	const char *l;
	size_t i;

	CHECK(doc != NULL);
	if (!doc)
		return;
	ex = strstr(doc, "## Example\n\n```json\n");
	CHECK(ex != NULL);
	if (!ex) {
		free(doc);
		return;
	}
	ex += strlen("## Example\n\n```json\n");
	end = strchr(ex, '\n');
	if (end)
		*end = '\0';
	CHECK_INT(mj_check(ex, strlen(ex)), 0);
	outcheck_open(&out, true);
	fixture_ev_invalid_syn(&e);
	l = json_line(&e);
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		mj_keys(l, paths[i], want, sizeof(want));
		if (mj_keys(ex, paths[i], got, sizeof(got)) < 0)
			strcpy(got, "(none)");
		if (!same_names(got, want))
			unit_fail(__FILE__, __LINE__,
				  "keys of %s: docs/schema.md example has %s, output has %s",
				  paths[i][0] ? paths[i] : "the event", got, want);
	}
	outcheck_close(&out);
	free(doc);
}

static void test_json_ipv6_active(void)
{
	struct rt_kevent e;
	const char *l;

	outcheck_open(&out, true);
	fixture_ev_ipv6_active(&e);
	l = json_line(&e);
	check_all_keys(l, "");
	CHECK_KEYS(l, "context", SCHEMA_CONTEXT_KEYS);
	CHECK_FIELD(l, "family", "\"ipv6\"");
	CHECK_FIELD(l, "local.addr", "\"fd77::1\"");
	CHECK_FIELD(l, "local.port", "443");
	CHECK_FIELD(l, "remote.addr", "\"fd77::2\"");
	CHECK_FIELD(l, "remote.port", "50000");
	CHECK_FIELD(l, "state", "\"CLOSE\"");
	CHECK_FIELD(l, "prev_state", "\"ESTABLISHED\"");
	CHECK_FIELD(l, "reason", "\"TCP_ABORT_ON_CLOSE\"");
	CHECK_FIELD(l, "context", "{\"pid\":4242,\"tid\":4243,\"comm\":\"curl\"}");
	CHECK_FIELD(l, "owner.comm", "\"curl\"");
	outcheck_close(&out);
}

/* A timer's active reset: the task softirq interrupted is no context. */
static void test_json_active_from_timer(void)
{
	struct rt_kevent e;
	const char *l;

	outcheck_open(&out, true);
	fixture_ev_ipv6_active(&e);
	e.ev.flags &= ~RT_F_CONTEXT;
	l = json_line(&e);
	check_all_keys(l, "");
	CHECK_FIELD(l, "context", "null");
	outcheck_close(&out);
}

/* comm is whatever bytes a process chose: quotes, high bytes, no NUL at all. */
static void test_json_hostile_comm(void)
{
	static const char comm[] = {'a', '"', 'b', (char)0xff, '\\', 0x01, '\n', 0};
	struct rt_kevent e;
	const char *l;

	outcheck_open(&out, true);
	fixture_ev_ipv6_active(&e);
	memcpy(e.ev.owner.comm, comm, sizeof(comm));
	memset(e.ev.ctx_comm, 'x', sizeof(e.ev.ctx_comm));
	e.ev.flags |= RT_F_LISTENER;
	e.listener.flags = RT_LF_OWNER;
	memset(e.listener.owner.comm, 0x7f, sizeof(e.listener.owner.comm));
	l = json_line(&e);
	CHECK_FIELD(l, "owner.comm", "\"a\\\"b\\u00ff\\\\\\u0001\\n\"");
	CHECK_FIELD(l, "context.comm", "\"xxxxxxxxxxxxxxxx\"");
	CHECK_FIELD(l, "listener.owner.comm",
		    "\"\\u007f\\u007f\\u007f\\u007f\\u007f\\u007f\\u007f\\u007f"
		    "\\u007f\\u007f\\u007f\\u007f\\u007f\\u007f\\u007f\\u007f\"");
	CHECK_FIELD(l, "context.pid", "4242");
	outcheck_close(&out);
}

static void test_json_unknown_values(void)
{
	struct rt_kevent e;
	const char *l;

	outcheck_open(&out, true);
	fixture_ev_no_socket(&e);
	e.ev.state = 200;
	e.ev.reason = 9999;
	e.ev.netns = 0;
	e.ev.flags |= RT_F_PREV_STATE;
	e.ev.prev_state = 0;
	l = json_line(&e);
	check_all_keys(l, "");
	CHECK_FIELD(l, "state", "null");
	CHECK_FIELD(l, "prev_state", "null");
	CHECK_FIELD(l, "reason", "null");
	CHECK_FIELD(l, "reason_code", "9999");
	CHECK_FIELD(l, "netns", "null");
	e.ev.ts_ns = 1ull << 62;
	e.ev.sk = UINT64_MAX;
	l = json_line(&e);
	CHECK_FIELD(l, "ts_ns", "4611686018427387904");
	CHECK_FIELD(l, "sk", "\"0xffffffffffffffff\"");
	outcheck_close(&out);
}

/*
 * A storm the kernel folded is one record of the event's own type with its
 * count and span, so that summing count by type gives the kernel's totals.
 */
static void test_json_fold(void)
{
	struct rt_kevent e;

	outcheck_open(&out, true);
	fixture_ev_no_socket(&e);
	pipeline_event(&outcheck_pl, &e, 0);
	CHECK_FIELD(out.sb.buf, "count", "1");
	CHECK_FIELD(out.sb.buf, "folded", "null");
	sb_reset(&out.sb);
	pipeline_folded(&outcheck_pl, &e, 1234, 123, 123 + 2500000, false, 0);
	CHECK_JSON_LINE(out.sb.buf, out.sb.len);
	CHECK_KEYS(out.sb.buf, "", SCHEMA_COMMON_KEYS);
	CHECK_FIELD(out.sb.buf, "type", "\"rst_sent\"");
	CHECK_FIELD(out.sb.buf, "count", "1234");
	CHECK_KEYS(out.sb.buf, "folded", SCHEMA_FOLDED_KEYS);
	CHECK_FIELD(out.sb.buf, "folded.span_ms", "2");
	CHECK_FIELD(out.sb.buf, "folded.first_time", "\"2026-11-26T08:40:01.123456789Z\"");
	CHECK_FIELD(out.sb.buf, "folded.last_time", "\"2026-11-26T08:40:01.125956789Z\"");
	CHECK_FIELD(out.sb.buf, "time", "\"2026-11-26T08:40:01.125956789Z\"");
	CHECK_FIELD(out.sb.buf, "diagnosis.code", "\"no_listener\"");
	CHECK_U64(pipeline_written(&outcheck_pl), 1235);
	outcheck_close(&out);
}

static void test_json_lost(void)
{
	outcheck_open(&out, true);
	pipeline_lost(&outcheck_pl, 5, 7, 123);
	CHECK_JSON_LINE(out.sb.buf, out.sb.len);
	CHECK_KEYS(out.sb.buf, "", SCHEMA_LOST_KEYS);
	CHECK_STR(out.sb.buf, "{\"schema\":2,\"type\":\"lost\",\"time\":"
			      "\"2026-11-26T08:40:01.123456789Z\",\"count\":5,\"total\":7}\n");
	outcheck_close(&out);
}

static void test_json_syn_detector(void)
{
	const uint64_t disarmed[2] = {8, 1};

	outcheck_open(&out, true);
	pipeline_syn_detector(&outcheck_pl, true, "accept_queue", disarmed, 123);
	CHECK_JSON_LINE(out.sb.buf, out.sb.len);
	CHECK_STR(out.sb.buf,
		  "{\"schema\":2,\"type\":\"syn_detector\",\"time\":"
		  "\"2026-11-26T08:40:01.123456789Z\",\"armed\":true,\"why\":\"accept_queue\","
		  "\"missed_while_disarmed\":{\"listen_overflow\":8,\"syn_queue_overflow\":1}}\n");
	outcheck_close(&out);
}

/* output_event buffers whole lines; output_flush writes them and stops at EPIPE. */
static void test_json_flush(void)
{
	struct sigaction ign = {.sa_handler = SIG_IGN}, old;
	struct rt_kevent e;
	char got[8192];
	int p[2], fd;
	size_t len;
	ssize_t n;

	outcheck_open(&out, true);
	if (pipe(p)) {
		CHECK(!"pipe");
		return;
	}
	fd = out.fd;
	out.fd = p[1];
	fixture_ev_no_socket(&e);
	pipeline_event(&outcheck_pl, &e, 0);
	fixture_ev_received(&e);
	pipeline_event(&outcheck_pl, &e, 0);
	len = out.sb.len;
	CHECK(len > 0 && len < sizeof(got));
	CHECK_INT(out.sb.buf[len - 1], '\n');
	memcpy(got, out.sb.buf, len);
	CHECK_INT(output_flush(&out), 0);
	CHECK_INT(out.sb.len, 0);
	n = read(p[0], got + len, sizeof(got) - len);
	CHECK_INT(n, (ssize_t)len);
	CHECK(n > 0 && memcmp(got, got + len, len) == 0);

	sigaction(SIGPIPE, &ign, &old);
	close(p[0]);
	pipeline_event(&outcheck_pl, &e, 0);
	CHECK_INT(output_flush(&out), -EPIPE);
	CHECK(out.closed);
	pipeline_event(&outcheck_pl, &e, 0);
	pipeline_lost(&outcheck_pl, 1, 1, 0);
	CHECK_INT(out.sb.len, 0);
	CHECK_INT(output_flush(&out), -EPIPE);
	sigaction(SIGPIPE, &old, NULL);
	close(p[1]);
	out.fd = fd;
	outcheck_close(&out);
}

void run_sink_json_tests(void)
{
	RUN_TEST(test_json_no_socket);
	RUN_TEST(test_json_invalid_syn_overflow);
	RUN_TEST(test_json_received);
	RUN_TEST(test_json_listen_overflow);
	RUN_TEST(test_json_syn_queue_overflow);
	RUN_TEST(test_json_linked_overflow);
	RUN_TEST(test_json_closed_listener);
	RUN_TEST(test_json_unread_and_age);
	RUN_TEST(test_json_schema_example);
	RUN_TEST(test_json_ipv6_active);
	RUN_TEST(test_json_active_from_timer);
	RUN_TEST(test_json_hostile_comm);
	RUN_TEST(test_json_unknown_values);
	RUN_TEST(test_json_fold);
	RUN_TEST(test_json_lost);
	RUN_TEST(test_json_syn_detector);
	RUN_TEST(test_json_flush);
}
