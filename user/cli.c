// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/nsfs.h>
#include "cgroups.h"
#include "cli.h"
#include "metrics_http.h"
#include "ready_file.h"

#define DEFAULT_RING_BYTES (4u << 20)

static const char usage_text[] =
    "Usage: rsttrace [OPTIONS]\n"
    "Explain TCP resets: every RST sent and received, with its kernel reason, the\n"
    "socket's state and 4-tuple, the process that owns the socket, and the\n"
    "listener's accept-queue depth; plus accept-queue overflows.\n"
    "\n"
    "Options:\n"
    "  -j, --json              NDJSON output, one object per line (schema: docs/schema.md)\n"
    "  -w, --wide              text: one line per event, even on a terminal\n"
    "  -p, --pid PID           only sockets owned by process PID (or its listeners)\n"
    "  -P, --port PORT         only events whose local or remote port is PORT (repeatable, up to 16)\n"
    "  -4, --ipv4              only IPv4 (including IPv4-mapped IPv6)\n"
    "  -6, --ipv6              only IPv6\n"
    "      --cgroup PATH       only sockets whose owner is in cgroup v2 directory PATH\n"
    "                          (under the cgroup2 mount, or relative to it), not below it\n"
    "      --metrics ADDR:PORT serve Prometheus metrics on ADDR:PORT (PORT alone: 127.0.0.1)\n"
    "      --ready-file PATH   create PATH once attached, remove it at exit (readiness probes)\n"
    "      --netns NS          only network namespace NS: an inode number, a path such as\n"
    "                          /proc/PID/ns/net or /var/run/netns/NAME, or a name from 'ip netns'\n"
    "  -e, --events LIST       comma-separated: sent,received,overflow,synq,firewall,\n"
    "                          connect_retry,connect_failed,stalled; client = received and\n"
    "                          the last three (off unless listed)\n"
    "                          (default: all)\n"
    "  -d, --duration SECS     stop after SECS seconds (fractions allowed)\n"

    "      --ring-size BYTES   ring buffer size, a power of two with optional K/M suffix (default 4M)\n"
    "  -s, --summary[=SECS]    print a summary at exit, and every SECS seconds if given\n"
    "      --fold-after N      stream the first N events of a storm of identical events,\n"
    "                          then one record a second with their count (default 3)\n"
    "      --every-event       stream every event, never fold (also --no-fold)\n"
    "      --no-scan           do not scan existing sockets at start-up\n"
    "      --syn-detector MODE where fentry is refused, SYN-path overflows need a hook on\n"
    "                          every freed packet (about 80 ns each): 'pressure' attaches\n"
    "                          it only while a listener's accept queue is half full or\n"
    "                          overflows are counted (default), 'always', or 'off'\n"
    "      --no-syn-detector   the same as --syn-detector=off: SYN-path overflows are\n"
    "                          then only counted, as unattributed\n"
    "      --raw-tp            use raw tracepoints instead of BTF-typed ones\n"
    "      --probe             print which hooks this kernel allows and what they cannot\n"
    "                          see, then exit\n"
    "  -v, --verbose           show libbpf diagnostics\n"
    "  -V, --version           print the version and exit\n"
    "  -h, --help              print this help and exit\n"
    "\n"
    "Examples:\n"
    "  rsttrace                         # every reset, as text\n"
    "  rsttrace --json > rst.ndjson     # every reset, as NDJSON\n"
    "  rsttrace -P 8080 -d 30           # resets on port 8080 for 30 seconds\n"
    "  rsttrace -p \"$(pgrep -o nginx)\" --events sent,overflow\n"
    "  rsttrace --netns /var/run/netns/blue -6\n"
    "\n"
    "Needs root (CAP_BPF, CAP_PERFMON) and a kernel with BTF; prints\n"
    "'rsttrace: attached' on stderr once every event from then on will be seen.\n";

void cli_usage(FILE *f)
{
	fputs(usage_text, f);
}

static int parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v;
	char *end;

	/* strtoul would skip any leading white space and take a sign. */
	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int cli_parse_port(const char *s, uint16_t *port)
{
	unsigned long v;

	if (parse_ulong(s, 65535, &v) || v == 0)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

int cli_parse_pid(const char *s, uint32_t *pid)
{
	unsigned long v;

	/* pid_max can be at most 2^22 (PID_MAX_LIMIT). */
	if (parse_ulong(s, 4194304, &v) || v == 0)
		return -EINVAL;
	*pid = (uint32_t)v;
	return 0;
}

int cli_parse_events(const char *s, uint32_t *mask)
{
	static const struct {
		const char *name;
		uint32_t type;
	} names[] = {
	    {"sent", RT_EV_RST_SENT},
	    {"received", RT_EV_RST_RECEIVED},
	    {"overflow", RT_EV_LISTEN_OVERFLOW},
	    {"synq", RT_EV_SYN_QUEUE_OVERFLOW},
	    {"firewall", RT_EV_FIREWALL_RST},
	    {"connect_retry", RT_EV_CONNECT_RETRY},
	    {"connect_failed", RT_EV_CONNECT_FAILED},
	    {"stalled", RT_EV_REQUEST_STALLED},
	    /* The client's view: its resets received and the three above. */
	    {"client", 0},
	};
	uint32_t m = 0;
	const char *p = s;

	if (!s || !*s)
		return -EINVAL;
	while (*p) {
		size_t len = strcspn(p, ",");
		size_t i;

		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strlen(names[i].name) == len && strncmp(p, names[i].name, len) == 0)
				break;
		if (i == sizeof(names) / sizeof(names[0]))
			return -EINVAL;
		m |= names[i].type ? RT_EVM(names[i].type)
				   : RT_EVM(RT_EV_RST_RECEIVED) | RT_EVM_CLIENT;
		p += len;
		if (*p == ',')
			p++;
	}
	*mask = m;
	return 0;
}

int cli_parse_duration(const char *s, uint64_t *ms)
{
	double v;
	char *end;

	if (!s || !*s || *s == '-' || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	/* A week is long enough for any incident and keeps the math exact. */
	if (errno || *end || !(v > 0) || v > 7 * 24 * 3600.0)
		return -EINVAL;
	*ms = (uint64_t)(v * 1000.0 + 0.5);
	if (!*ms)
		*ms = 1;
	return 0;
}

/* A namespace file answers NS_GET_NSTYPE; any other file does not. */
static bool is_netns(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int type;

	if (fd < 0)
		return false;
	type = ioctl(fd, NS_GET_NSTYPE);
	close(fd);
	return type == CLONE_NEWNET;
}

int cli_parse_netns(const char *s, uint32_t *inode)
{
	char path[PATH_MAX];
	unsigned long v;
	struct stat st;

	if (!s || !*s)
		return -EINVAL;
	if (!parse_ulong(s, UINT32_MAX, &v)) {
		if (!v)
			return -EINVAL;
		*inode = (uint32_t)v;
		return 0;
	}
	if (!strchr(s, '/')) {
		/* A bare name, as 'ip netns' shows it. */
		if (snprintf(path, sizeof(path), "/var/run/netns/%s", s) >= (int)sizeof(path))
			return -EINVAL;
		s = path;
	}
	if (stat(s, &st))
		return -errno;
	if (st.st_ino > UINT32_MAX)
		return -EINVAL;
	if (!is_netns(s))
		return -ENOTNETNS;
	*inode = (uint32_t)st.st_ino;
	return 0;
}

int cli_parse_size(const char *s, uint32_t *bytes)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || *s == '-' || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	/* Checked before shifting so that huge values cannot wrap around. */
	if (v > (1ull << 30))
		return -EINVAL;
	if (*end == 'K' || *end == 'k')
		v <<= 10, end++;
	else if (*end == 'M' || *end == 'm')
		v <<= 20, end++;
	/* The kernel wants a power of two, at least a page; 1 GiB is plenty. */
	if (*end || v < 4096 || v > (1ull << 30) || (v & (v - 1)))
		return -EINVAL;
	*bytes = (uint32_t)v;
	return 0;
}

enum {
	OPT_NETNS = 256,
	OPT_RING_SIZE,
	OPT_NO_SCAN,
	OPT_RAW_TP,
	OPT_FOLD_AFTER,
	OPT_EVERY_EVENT,
	OPT_BENCH_FORMAT,
	OPT_NO_SYN_DETECTOR,
	OPT_SYN_DETECTOR,
	OPT_PROBE,
	OPT_CGROUP,
	OPT_METRICS,
	OPT_READY_FILE,
};

static const struct option long_opts[] = {
    {"json", no_argument, NULL, 'j'},
    {"wide", no_argument, NULL, 'w'},
    {"pid", required_argument, NULL, 'p'},
    {"port", required_argument, NULL, 'P'},
    {"ipv4", no_argument, NULL, '4'},
    {"ipv6", no_argument, NULL, '6'},
    {"netns", required_argument, NULL, OPT_NETNS},
    {"events", required_argument, NULL, 'e'},
    {"duration", required_argument, NULL, 'd'},
    {"ring-size", required_argument, NULL, OPT_RING_SIZE},
    {"no-scan", no_argument, NULL, OPT_NO_SCAN},
    {"raw-tp", no_argument, NULL, OPT_RAW_TP},
    {"summary", optional_argument, NULL, 's'},
    {"fold-after", required_argument, NULL, OPT_FOLD_AFTER},
    {"every-event", no_argument, NULL, OPT_EVERY_EVENT},
    {"no-fold", no_argument, NULL, OPT_EVERY_EVENT},
    {"bench-format", required_argument, NULL, OPT_BENCH_FORMAT},
    {"no-syn-detector", no_argument, NULL, OPT_NO_SYN_DETECTOR},
    {"syn-detector", required_argument, NULL, OPT_SYN_DETECTOR},
    {"probe", no_argument, NULL, OPT_PROBE},
    {"cgroup", required_argument, NULL, OPT_CGROUP},
    {"metrics", required_argument, NULL, OPT_METRICS},
    {"ready-file", required_argument, NULL, OPT_READY_FILE},
    {"verbose", no_argument, NULL, 'v'},
    {"version", no_argument, NULL, 'V'},
    {"help", no_argument, NULL, 'h'},
    {},
};

/* Errors echo what the user typed: one line, no terminal control bytes. */
static enum cli_status bad(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum cli_status bad(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	for (p = err; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return CLI_ERROR;
}

#define BAD(...) return bad(err, errlen, __VA_ARGS__)

static bool short_option(int c)
{
	return c > ' ' && c < 0x7f;
}

/* The long name of a flag (an option without a value), or NULL. */
static const char *flag_name(int val);

static const char *flag_name(int val)
{
	const struct option *lo;

	for (lo = long_opts; lo->name; lo++)
		if (lo->val == val && lo->has_arg == no_argument)
			return lo->name;
	return NULL;
}

enum cli_status cli_parse(int argc, char **argv, struct cli_opts *o, char *err, size_t errlen)
{
	int c, r;

	memset(o, 0, sizeof(*o));
	o->event_mask = RT_EVM_ALL;
	o->ring_bytes = DEFAULT_RING_BYTES;
	opterr = 0;
	/* 0, not 1: glibc then also forgets where it was inside a "-abc" cluster. */
	optind = 0;
	while ((c = getopt_long(argc, argv, ":jwp:P:46e:d:s::vVh", long_opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			o->json = true;
			break;
		case 'w':
			o->wide = true;
			break;
		case 'p':
			if (cli_parse_pid(optarg, &o->pid))
				BAD("invalid pid '%s': expected a process id from 1 to 4194304",
				    optarg);
			break;
		case 'P':
			if (o->nr_ports == RT_MAX_PORTS)
				BAD("too many ports: at most %d -P/--port options", RT_MAX_PORTS);
			if (cli_parse_port(optarg, &o->ports[o->nr_ports]))
				BAD("invalid port '%s': expected a number from 1 to 65535", optarg);
			o->nr_ports++;
			break;
		case '4':
			if (o->family == AF_INET6)
				BAD("-4 and -6 exclude each other");
			o->family = AF_INET;
			break;
		case '6':
			if (o->family == AF_INET)
				BAD("-4 and -6 exclude each other");
			o->family = AF_INET6;
			break;
		case OPT_NETNS:
			r = cli_parse_netns(optarg, &o->netns);
			if (r)
				BAD("invalid netns '%s': %s", optarg,
				    r == -EINVAL ? "expected an inode number or a path"
				    : r == -ENOTNETNS
					? "not a network namespace (expected /proc/PID/ns/net, /var/run/netns/NAME or a name from 'ip netns')"
					: strerror(-r));
			break;
		case 'e':
			if (cli_parse_events(optarg, &o->event_mask))
				BAD("invalid event list '%s': expected a comma-separated list of sent, received, overflow, synq, firewall, connect_retry, connect_failed, stalled, client",
				    optarg);
			break;
		case 'd':
			if (cli_parse_duration(optarg, &o->duration_ms))
				BAD("invalid duration '%s': expected seconds greater than 0",
				    optarg);
			break;
		case OPT_RING_SIZE:
			if (cli_parse_size(optarg, &o->ring_bytes))
				BAD("invalid ring size '%s': expected a power of two from 4K to 1024M",
				    optarg);
			break;
		case OPT_NO_SCAN:
			o->no_scan = true;
			break;
		case OPT_RAW_TP:
			o->raw_tp = true;
			break;
		case OPT_NO_SYN_DETECTOR:
			o->no_syn_detector = true;
			o->syn_always = false;
			break;
		case OPT_SYN_DETECTOR:
			o->no_syn_detector = !strcmp(optarg, "off");
			o->syn_always = !strcmp(optarg, "always");
			if (!o->no_syn_detector && !o->syn_always && strcmp(optarg, "pressure"))
				BAD("invalid --syn-detector '%s': expected pressure, always or off",
				    optarg);
			break;
		case 's':
			o->summary = true;
			/*
			 * "-s 5" as people type it: rsttrace takes no operands,
			 * so a number after -s can only be its interval.
			 */
			if (!optarg && optind < argc &&
			    !cli_parse_duration(argv[optind], &o->summary_interval_ms)) {
				optind++;
				break;
			}
			if (optarg && cli_parse_duration(optarg, &o->summary_interval_ms))
				BAD("invalid summary interval '%s': expected seconds greater than 0",
				    optarg);
			break;
		case OPT_PROBE:
			o->probe = true;
			break;
		case OPT_CGROUP:
			r = cgroups_id_of(optarg, &o->cgroup_id);
			if (r)
				BAD("invalid cgroup '%s': %s (expected a cgroup v2 directory, as a path under %s or relative to it)",
				    optarg, strerror(-r),
				    cgroups_v2_mount() ? cgroups_v2_mount() : "the cgroup2 mount");
			break;
		case OPT_METRICS: {
			struct sockaddr_storage ss;
			socklen_t len;

			if (metrics_parse_addr(optarg, &ss, &len))
				BAD("invalid --metrics '%s': expected PORT, ADDR:PORT or [ADDR6]:PORT",
				    optarg);
			o->metrics_addr = optarg;
			break;
		}
		case OPT_READY_FILE:
			r = ready_file_check(optarg);
			if (r)
				BAD("invalid --ready-file '%s': %s (its directory must exist)",
				    optarg, strerror(-r));
			o->ready_file = optarg;
			break;
		case OPT_FOLD_AFTER: {
			unsigned long n;

			if (parse_ulong(optarg, 1000000, &n) || !n)
				BAD("invalid --fold-after '%s': expected events from 1 to 1000000 (--every-event never folds)",
				    optarg);
			o->fold_after = (uint32_t)n;
			break;
		}
		case OPT_EVERY_EVENT:
			o->every_event = true;
			break;
		case OPT_BENCH_FORMAT: {
			unsigned long n;

			if (parse_ulong(optarg, 100000000, &n) || !n)
				BAD("invalid event count '%s' for --bench-format", optarg);
			o->bench_events = n;
			break;
		}
		case 'v':
			o->verbose = true;
			break;
		case 'V':
			return CLI_VERSION;
		case 'h':
			return CLI_HELP;
		case ':':
			if (strncmp(argv[optind - 1], "--", 2) && short_option(optopt))
				BAD("option '-%c' needs a value", optopt);
			BAD("option '%s' needs a value", argv[optind - 1]);
		default:
			/*
			 * getopt leaves optopt 0 for an unknown long option, the
			 * letter for an unknown short one, and the option's val
			 * for a flag given a value ("--json=1").
			 */
			if (optopt && flag_name(optopt))
				BAD("option '--%s' takes no value (see --help)", flag_name(optopt));
			if (short_option(optopt))
				BAD("unknown option '-%c' (see --help)", optopt);
			BAD("unknown option '%s' (see --help)", argv[optind - 1]);
		}
	}
	if (optind < argc)
		BAD("unexpected argument '%s' (see --help)", argv[optind]);
	if (o->every_event && o->fold_after)
		BAD("--fold-after and --every-event exclude each other");
	if (!o->fold_after)
		o->fold_after = CLI_DEFAULT_FOLD_AFTER;
	return CLI_RUN;
}
