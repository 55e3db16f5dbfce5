// SPDX-License-Identifier: GPL-2.0
/*
 * rstgen: bounded TCP load for the rsttrace benchmark (bench/run.sh).
 * One mode per file:
 *
 *   closed.c    rstgen closed -d ADDR -p PORT [-S SRC,...] [-P SPORT] [-n N] [-t SECS]
 *                             [-w WORKERS] [-i INFLIGHT]
 *       non-blocking connect()s to a closed port: every one draws a RST
 *       (reason NO_SOCKET). Prints connections/s. -P binds every connect to
 *       source port SPORT (one flow: needs -w 1 -i 1; a refused socket
 *       leaves no TIME_WAIT, so the port is free again at once).
 *   churn.c     rstgen churn -d ADDR -p PORT [-S SRC,...] [-n N] [-t SECS] [-w WORKERS]
 *                            [-i INFLIGHT] [-s BYTES]
 *       one new connection per request to an echo server: connect, send,
 *       read the echo, close (the client closes first, after reading all:
 *       FINs, never a RST). Prints requests (= connections)/s.
 *   server.c    rstgen server -l ADDR -p PORT [-t SECS] [-w THREADS]
 *       echo server (epoll, SO_REUSEPORT per thread); prints "ready" when listening.
 *   echo.c      rstgen echo -d ADDR -p PORT [-c CONNS] [-n REQS] [-t SECS] [-w WORKERS]
 *                           [-s BYTES]
 *       keep-alive request/response over CONNS connections per worker, no resets.
 *   server.c    rstgen listen -l ADDR -p PORT [-k PORTS] [-b BACKLOG] [-t SECS]
 *       listeners on PORT..PORT+PORTS-1 that never accept; prints "ready".
 *   overflow.c  rstgen overflow -d ADDR -p PORT [-k PORTS] [-n N] [-i INFLIGHT] [-T MS]
 *                               [-t SECS]
 *       bursts of connect()s against such listeners; each socket is closed after
 *       it connects, fails or waits MS milliseconds.
 *
 * Every mode is bounded by a count and by a time limit (-t, default 30 s),
 * and prints one line of key=value results on stdout.
 */
#define _GNU_SOURCE
#include "rstgen.h"

struct opts o = {
    .n = 100000,
    .secs = 30,
    .workers = 2,
    .inflight = 128,
    .conns = 16,
    .size = 64,
    .backlog = 8,
    .timeout_ms = 300,
    .nports = 1,
};

volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(void)
{
	fprintf(
	    stderr,
	    "usage: rstgen closed|server|echo|churn|listen|overflow [options] (see bench/rstgen/main.c)\n");
	exit(2);
}

static int parse_addr(const char *s, struct in_addr *a)
{
	return inet_pton(AF_INET, s, a) == 1 ? 0 : -1;
}

static void parse_opts(int argc, char **argv)
{
	int c;

	if (argc < 2)
		usage();
	o.mode = argv[1];
	optind = 2;
	while ((c = getopt(argc, argv, "d:l:S:P:p:k:n:t:w:i:c:s:b:T:")) != -1) {
		switch (c) {
		case 'd':
		case 'l':
			if (parse_addr(optarg, &o.dst))
				usage();
			break;
		case 'S': {
			char *dup = strdup(optarg), *tok, *save = NULL;

			for (tok = strtok_r(dup, ",", &save); tok && o.nsrcs < MAX_SRCS;
			     tok = strtok_r(NULL, ",", &save))
				if (parse_addr(tok, &o.srcs[o.nsrcs++]))
					usage();
			free(dup);
			break;
		}
		case 'P':
			o.sport = atoi(optarg);
			break;
		case 'p':
			o.port = atoi(optarg);
			break;
		case 'k':
			o.nports = atoi(optarg);
			break;
		case 'n':
			o.n = atol(optarg);
			break;
		case 't':
			o.secs = atof(optarg);
			break;
		case 'w':
			o.workers = atoi(optarg);
			break;
		case 'i':
			o.inflight = atoi(optarg);
			break;
		case 'c':
			o.conns = atoi(optarg);
			break;
		case 's':
			o.size = atoi(optarg);
			break;
		case 'b':
			o.backlog = atoi(optarg);
			break;
		case 'T':
			o.timeout_ms = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (o.port <= 0 || o.port > 65535 || o.n < 0 || !(o.secs > 0) || o.secs > HARD_MAX_SECS ||
	    o.workers < 1 || o.workers > MAX_WORKERS || o.inflight < 1 ||
	    o.inflight > MAX_INFLIGHT || o.conns < 1 || o.conns > MAX_INFLIGHT || o.size < 1 ||
	    o.size > 65536 || o.nports < 1 || o.nports > MAX_PORTS || o.port + o.nports > 65536 ||
	    o.timeout_ms < 1 || o.sport < 0 || o.sport > 65535 ||
	    (o.sport && (o.workers != 1 || o.inflight != 1)))
		usage();
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_signal};

	parse_opts(argc, argv);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (!strcmp(o.mode, "closed"))
		return run_closed();
	if (!strcmp(o.mode, "server"))
		return run_server();
	if (!strcmp(o.mode, "echo"))
		return run_echo();
	if (!strcmp(o.mode, "churn"))
		return run_churn();
	if (!strcmp(o.mode, "listen"))
		return run_listen();
	if (!strcmp(o.mode, "overflow"))
		return run_overflow();
	usage();
	return 2;
}
