// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include "cli.h"
#include "unit.h"

static char err[512];

/*
 * glibc keeps getopt's position inside a clustered argument ("-hj") across
 * calls unless optind is set to 0; start every parse from a clean state so
 * one test cannot leak into the next (see test_cli_reparse for the bug).
 */
static void reset_getopt(void)
{
	char arg0[] = "x";
	char *argv[] = {arg0, NULL};

	optind = 0;
	opterr = 0;
	getopt(1, argv, "");
}

static enum cli_status parse_argv(struct cli_opts *o, const char *const *args)
{
	char *argv[64];
	enum cli_status st;
	int argc = 0, i;

	argv[argc++] = strdup("rsttrace");
	while (args[argc - 1] && argc < 63) {
		argv[argc] = strdup(args[argc - 1]);
		argc++;
	}
	argv[argc] = NULL;
	memset(err, 0, sizeof(err));
	reset_getopt();
	st = cli_parse(argc, argv, o, err, sizeof(err));
	for (i = 0; i < argc; i++)
		free(argv[i]);
	return st;
}

#define PARSE(o, ...) parse_argv(o, (const char *const[]){__VA_ARGS__, NULL})

static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* A failed parse: CLI_ERROR with a one-line printable message that contains 'needle'. */
#define CHECK_CLI_ERROR(needle, ...)                                                               \
	do {                                                                                       \
		struct cli_opts o_;                                                                \
		CHECK_INT(PARSE(&o_, __VA_ARGS__), CLI_ERROR);                                     \
		CHECK_CONTAINS(err, needle);                                                       \
		if (!printable(err))                                                               \
			unit_fail_str(__FILE__, __LINE__, "control byte in the message", err, ""); \
	} while (0)

static void test_cli_defaults(void)
{
	const char *const none[] = {NULL};
	struct cli_opts o;

	CHECK_INT(parse_argv(&o, none), CLI_RUN);
	CHECK(!o.json && !o.verbose && !o.raw_tp && !o.no_scan);
	CHECK_INT(o.pid, 0);
	CHECK_INT(o.nr_ports, 0);
	CHECK_INT(o.family, 0);
	CHECK_INT(o.netns, 0);
	CHECK_INT(o.event_mask, RT_EVM_ALL);
	CHECK_U64(o.duration_ms, 0);
	CHECK_INT(o.ring_bytes, 4 << 20);
	CHECK(!o.summary && !o.every_event);
	CHECK_U64(o.summary_interval_ms, 0);
	CHECK_U64(o.bench_events, 0);
	/* Storms fold in the kernel by default, in both output modes. */
	CHECK_INT(o.fold_after, CLI_DEFAULT_FOLD_AFTER);
	CHECK_INT(PARSE(&o, "-j"), CLI_RUN);
	CHECK_INT(o.fold_after, CLI_DEFAULT_FOLD_AFTER);
}

static void test_cli_summary_fold_bench(void)
{
	struct cli_opts o;

	CHECK_INT(PARSE(&o, "-s"), CLI_RUN);
	CHECK(o.summary);
	CHECK_U64(o.summary_interval_ms, 0);
	CHECK_INT(PARSE(&o, "--summary=5"), CLI_RUN);
	CHECK(o.summary);
	CHECK_U64(o.summary_interval_ms, 5000);
	CHECK_INT(PARSE(&o, "-s2.5"), CLI_RUN);
	CHECK_U64(o.summary_interval_ms, 2500);
	CHECK_CLI_ERROR("'abc'", "--summary=abc");
	CHECK_CLI_ERROR("'0'", "-s0");
	/* As people type it: a number after -s is its interval (no operands exist). */
	CHECK_INT(PARSE(&o, "-s", "5"), CLI_RUN);
	CHECK(o.summary);
	CHECK_U64(o.summary_interval_ms, 5000);
	CHECK_INT(PARSE(&o, "--summary", "0.5", "-j"), CLI_RUN);
	CHECK_U64(o.summary_interval_ms, 500);
	CHECK(o.json);
	/* Anything else after -s is what it is: here a stray operand. */
	CHECK_CLI_ERROR("'abc'", "-s", "abc");
	CHECK_INT(PARSE(&o, "--no-fold"), CLI_RUN);
	CHECK(o.every_event);
	CHECK_INT(PARSE(&o, "--every-event", "-j"), CLI_RUN);
	CHECK(o.every_event && o.json);
	CHECK_INT(PARSE(&o, "--fold-after", "10"), CLI_RUN);
	CHECK(!o.every_event);
	CHECK_INT(o.fold_after, 10);
	CHECK_CLI_ERROR("'0'", "--fold-after", "0");
	CHECK_CLI_ERROR("'x'", "--fold-after", "x");
	CHECK_CLI_ERROR("exclude each other", "--fold-after", "2", "--every-event");
	CHECK_INT(PARSE(&o, "--bench-format", "1000"), CLI_RUN);
	CHECK_U64(o.bench_events, 1000);
	CHECK_CLI_ERROR("'0'", "--bench-format", "0");
	CHECK_CLI_ERROR("'100000001'", "--bench-format", "100000001");
	CHECK_CLI_ERROR("'x'", "--bench-format", "x");
}

static void test_cli_flags(void)
{
	struct cli_opts o;

	CHECK_INT(PARSE(&o, "-j", "-v", "--no-scan", "--raw-tp"), CLI_RUN);
	CHECK(o.json && o.verbose && o.no_scan && o.raw_tp);
	CHECK_INT(PARSE(&o, "--json", "--verbose"), CLI_RUN);
	CHECK(o.json && o.verbose && !o.no_scan && !o.raw_tp);
	CHECK_INT(PARSE(&o, "-jv"), CLI_RUN);
	CHECK(o.json && o.verbose);
}

static void test_cli_ports(void)
{
	struct cli_opts o;

	CHECK_INT(PARSE(&o, "-P", "80", "--port", "443", "-P65535", "--port=1"), CLI_RUN);
	CHECK_INT(o.nr_ports, 4);
	CHECK_INT(o.ports[0], 80);
	CHECK_INT(o.ports[1], 443);
	CHECK_INT(o.ports[2], 65535);
	CHECK_INT(o.ports[3], 1);
	CHECK_CLI_ERROR("'70000'", "-P", "70000");
	CHECK_CLI_ERROR("'65536'", "-P", "65536");
	CHECK_CLI_ERROR("'0'", "-P", "0");
	CHECK_CLI_ERROR("'abc'", "-P", "abc");
	CHECK_CLI_ERROR("'80x'", "-P", "80x");
	CHECK_CLI_ERROR("'-1'", "--port", "-1");
	CHECK_CLI_ERROR("''", "--port", "");
	CHECK_CLI_ERROR("' 80'", "-P", " 80");
}

static void test_cli_port_limit(void)
{
	const char *args[2 * RT_MAX_PORTS + 3];
	char val[RT_MAX_PORTS + 1][16];
	struct cli_opts o;
	int i;

	for (i = 0; i <= RT_MAX_PORTS; i++) {
		snprintf(val[i], sizeof(val[i]), "%d", 1000 + i);
		args[2 * i] = "-P";
		args[2 * i + 1] = val[i];
	}
	args[2 * RT_MAX_PORTS] = NULL;
	CHECK_INT(parse_argv(&o, args), CLI_RUN);
	CHECK_INT(o.nr_ports, RT_MAX_PORTS);
	CHECK_INT(o.ports[RT_MAX_PORTS - 1], 1000 + RT_MAX_PORTS - 1);
	args[2 * RT_MAX_PORTS] = "-P";
	args[2 * RT_MAX_PORTS + 2] = NULL;
	CHECK_INT(parse_argv(&o, args), CLI_ERROR);
	CHECK_CONTAINS(err, "16");
	CHECK_NOT_CONTAINS(err, "\n");
}

static void test_cli_pid(void)
{
	struct cli_opts o;

	CHECK_INT(PARSE(&o, "-p", "1234"), CLI_RUN);
	CHECK_INT(o.pid, 1234);
	CHECK_INT(PARSE(&o, "--pid", "4194304"), CLI_RUN);
	CHECK_INT(o.pid, 4194304);
	CHECK_CLI_ERROR("'abc'", "-p", "abc");
	CHECK_CLI_ERROR("'0'", "-p", "0");
	CHECK_CLI_ERROR("'99999999'", "-p", "99999999");
	CHECK_CLI_ERROR("'4194305'", "--pid", "4194305");
	CHECK_CLI_ERROR("'18446744073709551617'", "-p", "18446744073709551617");
	CHECK_CLI_ERROR("'+5'", "-p", "+5");
}

static void test_cli_events(void)
{
	struct cli_opts o;

	CHECK_INT(PARSE(&o, "--events", "sent,received"), CLI_RUN);
	CHECK_INT(o.event_mask, RT_EVM(RT_EV_RST_SENT) | RT_EVM(RT_EV_RST_RECEIVED));
	CHECK_INT(PARSE(&o, "-e", "overflow"), CLI_RUN);
	CHECK_INT(o.event_mask, RT_EVM(RT_EV_LISTEN_OVERFLOW));
	CHECK_INT(PARSE(&o, "-e", "received,sent,received"), CLI_RUN);
	CHECK_INT(o.event_mask, RT_EVM(RT_EV_RST_SENT) | RT_EVM(RT_EV_RST_RECEIVED));
	CHECK_CLI_ERROR("'bogus'", "--events", "bogus");
	CHECK_CLI_ERROR("'sent,bogus'", "--events", "sent,bogus");
	CHECK_CLI_ERROR("'sent,,received'", "-e", "sent,,received");
	CHECK_CLI_ERROR("'Sent'", "-e", "Sent");
	CHECK_CLI_ERROR("'sen'", "-e", "sen");
	CHECK_CLI_ERROR("''", "-e", "");
}

static void test_cli_family(void)
{
	struct cli_opts o;

	CHECK_INT(PARSE(&o, "-4"), CLI_RUN);
	CHECK_INT(o.family, AF_INET);
	CHECK_INT(PARSE(&o, "--ipv6"), CLI_RUN);
	CHECK_INT(o.family, AF_INET6);
	CHECK_INT(PARSE(&o, "-4", "--ipv4"), CLI_RUN);
	CHECK_INT(o.family, AF_INET);
	CHECK_CLI_ERROR("-4 and -6", "-4", "-6");
	CHECK_CLI_ERROR("-4 and -6", "--ipv6", "--ipv4");
	CHECK_CLI_ERROR("-4 and -6", "-46");
}

static void test_cli_netns(void)
{
	struct cli_opts o;
	struct stat st;

	CHECK_INT(PARSE(&o, "--netns", "4026531840"), CLI_RUN);
	CHECK_U64(o.netns, 4026531840u);
	CHECK_INT(stat("/proc/self/ns/net", &st), 0);
	CHECK_INT(PARSE(&o, "--netns", "/proc/self/ns/net"), CLI_RUN);
	CHECK_U64(o.netns, st.st_ino);
	CHECK_CLI_ERROR("'/nonexistent'", "--netns", "/nonexistent");
	CHECK_CLI_ERROR("No such file", "--netns", "/nonexistent");
	CHECK_CLI_ERROR("'rsttrace-no-such-ns'", "--netns", "rsttrace-no-such-ns");
	CHECK_CLI_ERROR("'0'", "--netns", "0");
	CHECK_CLI_ERROR("'4294967296'", "--netns", "4294967296");
	CHECK_CLI_ERROR("''", "--netns", "");
}

static void test_cli_duration(void)
{
	struct cli_opts o;

	CHECK_INT(PARSE(&o, "-d", "1.5"), CLI_RUN);
	CHECK_U64(o.duration_ms, 1500);
	CHECK_INT(PARSE(&o, "--duration", "30"), CLI_RUN);
	CHECK_U64(o.duration_ms, 30000);
	CHECK_INT(PARSE(&o, "-d", "0.0001"), CLI_RUN);
	CHECK_U64(o.duration_ms, 1);
	CHECK_INT(PARSE(&o, "-d", "604800"), CLI_RUN);
	CHECK_U64(o.duration_ms, 604800000);
	CHECK_CLI_ERROR("'0'", "-d", "0");
	CHECK_CLI_ERROR("'-1'", "-d", "-1");
	CHECK_CLI_ERROR("'abc'", "-d", "abc");
	CHECK_CLI_ERROR("'1s'", "-d", "1s");
	CHECK_CLI_ERROR("'nan'", "-d", "nan");
	CHECK_CLI_ERROR("'inf'", "-d", "inf");
	CHECK_CLI_ERROR("'604801'", "-d", "604801");
}

static void test_cli_ring_size(void)
{
	struct cli_opts o;

	CHECK_INT(PARSE(&o, "--ring-size", "8M"), CLI_RUN);
	CHECK_INT(o.ring_bytes, 8 << 20);
	CHECK_INT(PARSE(&o, "--ring-size", "4K"), CLI_RUN);
	CHECK_INT(o.ring_bytes, 4096);
	CHECK_INT(PARSE(&o, "--ring-size", "65536"), CLI_RUN);
	CHECK_INT(o.ring_bytes, 65536);
	CHECK_INT(PARSE(&o, "--ring-size", "1024M"), CLI_RUN);
	CHECK_INT(o.ring_bytes, 1 << 30);
	CHECK_INT(PARSE(&o, "--ring-size=16m"), CLI_RUN);
	CHECK_INT(o.ring_bytes, 16 << 20);
	CHECK_CLI_ERROR("'3M'", "--ring-size", "3M");
	CHECK_CLI_ERROR("'2048'", "--ring-size", "2048");
	CHECK_CLI_ERROR("'2048M'", "--ring-size", "2048M");
	CHECK_CLI_ERROR("'8G'", "--ring-size", "8G");
	CHECK_CLI_ERROR("'8MB'", "--ring-size", "8MB");
	CHECK_CLI_ERROR("'-8M'", "--ring-size", "-8M");
	CHECK_CLI_ERROR("'0'", "--ring-size", "0");
}

/* Sizes whose suffix shift overflows 64 bits must not wrap to a valid size. */
static void test_cli_ring_size_overflow(void)
{
	uint32_t bytes = 0;

	CHECK_INT(cli_parse_size("17592186044417M", &bytes), -EINVAL);
	CHECK_INT(cli_parse_size("18014398509481988K", &bytes), -EINVAL);
	CHECK_INT(cli_parse_size("18446744073709551616", &bytes), -EINVAL);
}

static void test_cli_unknown_and_missing(void)
{
	CHECK_CLI_ERROR("'--bogus'", "--bogus");
	CHECK_CLI_ERROR("'-x'", "-x");
	CHECK_CLI_ERROR("'-P'", "-P");
	CHECK_CLI_ERROR("'--port'", "--port");
	CHECK_CLI_ERROR("'--netns'", "-j", "--netns");
	CHECK_CLI_ERROR("'foo'", "foo");
	CHECK_CLI_ERROR("'foo'", "-j", "foo", "-v");
}

/* A value for an option that takes none: name the option as it was written. */
static void test_cli_value_for_flag(void)
{
	CHECK_CLI_ERROR("--json", "--json=1");
	CHECK_CLI_ERROR("--no-scan", "--no-scan=1");
	CHECK_CLI_ERROR("--fold", "--fold=yes");
	CHECK_CLI_ERROR("--ipv4", "-j", "--ipv4=1");
}

/* What the user typed is echoed, but a newline or escape in it must not reach the terminal. */
static void test_cli_error_one_line(void)
{
	CHECK_CLI_ERROR("invalid port", "-P", "8\n0");
	CHECK_CLI_ERROR("unexpected argument", "a\nb");
	CHECK_CLI_ERROR("invalid event list", "-e", "sent\033[2J");
}

/* An unknown letter at the start of a cluster must be named, not argv[0]. */
static void test_cli_unknown_in_cluster(void)
{
	CHECK_CLI_ERROR("'-x'", "-xj");
	CHECK_NOT_CONTAINS(err, "rsttrace");
	/* getopt has not moved past "-xj" yet: the argument before it is not the culprit. */
	CHECK_CLI_ERROR("'-x'", "--json", "-xj");
	CHECK_NOT_CONTAINS(err, "--json");
	CHECK_CLI_ERROR("'-x'", "--port=80", "-xj");
	CHECK_NOT_CONTAINS(err, "--port");
	CHECK_CLI_ERROR("'-x'", "-P", "80", "-x4");
}

static void test_cli_syn_detector(void)
{
	struct cli_opts o;

	CHECK_INT(PARSE(&o, "-j"), CLI_RUN);
	CHECK(!o.syn_always && !o.no_syn_detector);
	CHECK_INT(PARSE(&o, "--syn-detector=always"), CLI_RUN);
	CHECK(o.syn_always && !o.no_syn_detector);
	CHECK_INT(PARSE(&o, "--syn-detector", "pressure"), CLI_RUN);
	CHECK(!o.syn_always && !o.no_syn_detector);
	CHECK_INT(PARSE(&o, "--syn-detector=off"), CLI_RUN);
	CHECK(!o.syn_always && o.no_syn_detector);
	CHECK_INT(PARSE(&o, "--no-syn-detector"), CLI_RUN);
	CHECK(!o.syn_always && o.no_syn_detector);
	CHECK_CLI_ERROR("invalid --syn-detector 'sometimes'", "--syn-detector=sometimes");
}

static void test_cli_help_version(void)
{
	struct cli_opts o;

	CHECK_INT(PARSE(&o, "--help"), CLI_HELP);
	CHECK_INT(PARSE(&o, "-h"), CLI_HELP);
	CHECK_INT(PARSE(&o, "-j", "--help", "--bogus"), CLI_HELP);
	CHECK_INT(PARSE(&o, "--version"), CLI_VERSION);
	CHECK_INT(PARSE(&o, "-V"), CLI_VERSION);
}

/* cli_parse must not depend on what an earlier call left in getopt's state. */
static void test_cli_reparse(void)
{
	static char a0[] = "rsttrace", a1[] = "-hj", a2[] = "-P", a3[] = "80";
	char *first[] = {a0, a1, NULL};
	char *second[] = {a0, a2, a3, NULL};
	struct cli_opts o;

	reset_getopt();
	CHECK_INT(cli_parse(2, first, &o, err, sizeof(err)), CLI_HELP);
	CHECK_INT(cli_parse(3, second, &o, err, sizeof(err)), CLI_RUN);
	CHECK(!o.json);
	CHECK_INT(o.nr_ports, 1);
	reset_getopt();
}

static void test_cli_value_parsers(void)
{
	uint16_t port = 7;
	uint32_t v = 7;
	uint64_t ms = 7;

	CHECK_INT(cli_parse_port(NULL, &port), -EINVAL);
	CHECK_INT(port, 7);
	CHECK_INT(cli_parse_port("65535", &port), 0);
	CHECK_INT(port, 65535);
	CHECK_INT(cli_parse_pid("1", &v), 0);
	CHECK_INT(v, 1);
	CHECK_INT(cli_parse_events("sent,received,overflow", &v), 0);
	CHECK_INT(v, RT_EVM(RT_EV_RST_SENT) | RT_EVM(RT_EV_RST_RECEIVED) |
			 RT_EVM(RT_EV_LISTEN_OVERFLOW));
	CHECK_INT(cli_parse_duration("2", &ms), 0);
	CHECK_U64(ms, 2000);
	CHECK_INT(cli_parse_netns("1", &v), 0);
	CHECK_INT(v, 1);
	CHECK_INT(cli_parse_size("1m", &v), 0);
	CHECK_INT(v, 1 << 20);
}

static void test_cli_ready_file(void)
{
	struct cli_opts o;

	CHECK_INT(PARSE(&o, "--ready-file", "/tmp/ready"), CLI_RUN);
	CHECK(o.ready_file != NULL); /* points into argv, freed by parse_argv() */
	CHECK_INT(PARSE(&o, "--ready-file", "ready"), CLI_RUN);
	CHECK_INT(PARSE(&o, "--ready-file=/ready"), CLI_RUN);
	CHECK_INT(PARSE(&o, "-j"), CLI_RUN);
	CHECK(!o.ready_file);
	CHECK_CLI_ERROR("/nonexistent-rt/ready", "--ready-file", "/nonexistent-rt/ready");
	CHECK_CLI_ERROR("its directory must exist", "--ready-file", "/etc/passwd/x");
	CHECK_CLI_ERROR("--ready-file", "--ready-file", "/tmp/");
	CHECK_CLI_ERROR("--ready-file", "--ready-file", "");
}

void run_cli_tests(void)
{
	RUN_TEST(test_cli_ready_file);
	RUN_TEST(test_cli_defaults);
	RUN_TEST(test_cli_flags);
	RUN_TEST(test_cli_summary_fold_bench);
	RUN_TEST(test_cli_ports);
	RUN_TEST(test_cli_port_limit);
	RUN_TEST(test_cli_pid);
	RUN_TEST(test_cli_events);
	RUN_TEST(test_cli_family);
	RUN_TEST(test_cli_netns);
	RUN_TEST(test_cli_duration);
	RUN_TEST(test_cli_ring_size);
	RUN_TEST(test_cli_ring_size_overflow);
	RUN_TEST(test_cli_unknown_and_missing);
	RUN_TEST(test_cli_unknown_in_cluster);
	RUN_TEST(test_cli_value_for_flag);
	RUN_TEST(test_cli_error_one_line);
	RUN_TEST(test_cli_help_version);
	RUN_TEST(test_cli_syn_detector);
	RUN_TEST(test_cli_reparse);
	RUN_TEST(test_cli_value_parsers);
}
