// SPDX-License-Identifier: GPL-2.0
/*
 * rstgen: bounded TCP load for the rsttrace benchmark (bench/run.sh).
 *
 *   rstgen closed   -d ADDR -p PORT [-S SRC,...] [-P SPORT] [-n N] [-t SECS] [-w WORKERS] [-i INFLIGHT]
 *       non-blocking connect()s to a closed port: every one draws a RST
 *       (reason NO_SOCKET). Prints connections/s. -P binds every connect to
 *       source port SPORT (one flow: needs -w 1 -i 1; a refused socket
 *       leaves no TIME_WAIT, so the port is free again at once).
 *   rstgen churn    -d ADDR -p PORT [-S SRC,...] [-n N] [-t SECS] [-w WORKERS] [-i INFLIGHT] [-s BYTES]
 *       one new connection per request to an echo server: connect, send,
 *       read the echo, close (the client closes first, after reading all:
 *       FINs, never a RST). Prints requests (= connections)/s.
 *   rstgen server   -l ADDR -p PORT [-t SECS] [-w THREADS]
 *       echo server (epoll, SO_REUSEPORT per thread); prints "ready" when listening.
 *   rstgen echo     -d ADDR -p PORT [-c CONNS] [-n REQS] [-t SECS] [-w WORKERS] [-s BYTES]
 *       keep-alive request/response over CONNS connections per worker, no resets.
 *   rstgen listen   -l ADDR -p PORT [-k PORTS] [-b BACKLOG] [-t SECS]
 *       listeners on PORT..PORT+PORTS-1 that never accept; prints "ready".
 *   rstgen overflow -d ADDR -p PORT [-k PORTS] [-n N] [-i INFLIGHT] [-T MS] [-t SECS]
 *       bursts of connect()s against such listeners; each socket is closed after
 *       it connects, fails or waits MS milliseconds.
 *
 * Every mode is bounded by a count and by a time limit (-t, default 30 s),
 * and prints one line of key=value results on stdout.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_WORKERS 16
#define MAX_SRCS 64
#define MAX_INFLIGHT 4096
#define MAX_PORTS 256
#define HARD_MAX_SECS 600.0

struct opts {
	const char *mode;
	struct in_addr dst;
	struct in_addr srcs[MAX_SRCS];
	int nsrcs;
	int port;
	int nports;
	long n;
	double secs;
	int workers;
	int inflight;
	int conns;
	int size;
	int backlog;
	int timeout_ms;
	int sport;
};

static struct opts o = {
	.n = 100000, .secs = 30, .workers = 2, .inflight = 128, .conns = 16, .size = 64,
	.backlog = 8, .timeout_ms = 300, .nports = 1,
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU time (user + system) this process used so far, ms: includes the
 * softirq work (TCP receive, RST) the kernel did in its context. */
static double cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static void die(const char *what)
{
	fprintf(stderr, "rstgen: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void usage(void)
{
	fprintf(stderr, "usage: rstgen closed|server|echo|churn|listen|overflow [options] (see bench/rstgen.c)\n");
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
		case 'P': o.sport = atoi(optarg); break;
		case 'p': o.port = atoi(optarg); break;
		case 'k': o.nports = atoi(optarg); break;
		case 'n': o.n = atol(optarg); break;
		case 't': o.secs = atof(optarg); break;
		case 'w': o.workers = atoi(optarg); break;
		case 'i': o.inflight = atoi(optarg); break;
		case 'c': o.conns = atoi(optarg); break;
		case 's': o.size = atoi(optarg); break;
		case 'b': o.backlog = atoi(optarg); break;
		case 'T': o.timeout_ms = atoi(optarg); break;
		default: usage();
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

static struct sockaddr_in sin_of(struct in_addr a, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr = a };

	return sa;
}

/* ---------------------------------------------------------------- closed */

struct closed_stats {
	long started, refused, connected, other, abandoned;
	int id;
	long quota;
};

/* Opens one non-blocking connect; returns the fd in flight or -1 when it already finished. */
static int start_connect(struct closed_stats *st, int port, long seq)
{
	struct sockaddr_in sa = sin_of(o.dst, port);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);

	if (fd < 0)
		die("socket");
	st->started++;
	if (o.sport) {
		struct sockaddr_in src = sin_of(o.nsrcs ? o.srcs[0] : (struct in_addr){ 0 }, o.sport);
		int one = 1;

		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&src, sizeof(src)))
			die("bind source port");
	} else if (o.nsrcs) {
		struct sockaddr_in src = sin_of(o.srcs[(seq + st->id) % o.nsrcs], 0);
		int one = 1;

		/* The port is chosen at connect() time, per 4-tuple. */
		setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&src, sizeof(src)))
			die("bind source");
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		st->connected++;
	} else if (errno == EINPROGRESS) {
		return fd;
	} else if (errno == ECONNREFUSED) {
		st->refused++;
	} else {
		st->other++;
	}
	close(fd);
	return -1;
}

static void finish_connect(struct closed_stats *st, int fd)
{
	int err = 0;
	socklen_t len = sizeof(err);

	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
	if (err == ECONNREFUSED)
		st->refused++;
	else if (err == 0)
		st->connected++;
	else
		st->other++;
	close(fd);
}

static void *closed_worker(void *arg)
{
	struct closed_stats *st = arg;
	struct epoll_event evs[256];
	double deadline = now() + o.secs, grace;
	int ep = epoll_create1(EPOLL_CLOEXEC), inflight = 0;
	long seq = 0;

	if (ep < 0)
		die("epoll_create1");
	while (!stop && now() < deadline && (st->started < st->quota || inflight)) {
		int n, i;

		while (inflight < o.inflight && st->started < st->quota) {
			int fd = start_connect(st, o.port, seq++);

			if (fd >= 0) {
				struct epoll_event ev = { .events = EPOLLOUT, .data.fd = fd };

				if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev))
					die("epoll_ctl");
				inflight++;
			}
		}
		n = epoll_wait(ep, evs, 256, 100);
		for (i = 0; i < n; i++) {
			finish_connect(st, evs[i].data.fd);
			inflight--;
		}
	}
	/* Let the last ones finish (a RST takes microseconds), bounded. */
	grace = now() + 1.0;
	while (inflight && now() < grace) {
		int n = epoll_wait(ep, evs, 256, 50), i;

		for (i = 0; i < n; i++) {
			finish_connect(st, evs[i].data.fd);
			inflight--;
		}
	}
	st->abandoned = inflight; /* closed with the epoll fd's process exit */
	close(ep);
	return NULL;
}

static int run_closed(void)
{
	pthread_t th[MAX_WORKERS];
	struct closed_stats st[MAX_WORKERS] = {};
	struct closed_stats sum = {};
	double t0, el;
	int w;

	t0 = now();
	for (w = 0; w < o.workers; w++) {
		st[w].id = w;
		st[w].quota = o.n / o.workers + (w < o.n % o.workers);
		if (pthread_create(&th[w], NULL, closed_worker, &st[w]))
			die("pthread_create");
	}
	for (w = 0; w < o.workers; w++) {
		pthread_join(th[w], NULL);
		sum.started += st[w].started;
		sum.refused += st[w].refused;
		sum.connected += st[w].connected;
		sum.other += st[w].other;
		sum.abandoned += st[w].abandoned;
	}
	el = now() - t0;
	printf("mode=closed conns=%ld refused=%ld connected=%ld other=%ld abandoned=%ld secs=%.3f rate=%.0f cpu_ms=%.0f\n",
	       sum.started, sum.refused, sum.connected, sum.other, sum.abandoned, el,
	       sum.refused / el, cpu_ms());
	return 0;
}

/* ---------------------------------------------------------------- server */

static int listen_on(int port, int backlog, int reuseport)
{
	struct sockaddr_in sa = sin_of(o.dst, port);
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (reuseport)
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
		die("bind");
	if (listen(fd, backlog))
		die("listen");
	return fd;
}

/* Writes all of buf to a non-blocking socket, waiting briefly when it is full. */
static int write_all(int fd, const char *buf, size_t len)
{
	size_t off = 0;
	int spins = 0;

	while (off < len) {
		ssize_t n = write(fd, buf + off, len - off);

		if (n > 0) {
			off += n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN && spins++ < 1000) {
			usleep(100);
			continue;
		}
		return -1;
	}
	return 0;
}

static void *server_thread(void *arg)
{
	int lfd = *(int *)arg, ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = lfd }, evs[256];
	double deadline = now() + o.secs;
	static __thread char buf[65536];

	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev))
		die("epoll");
	while (!stop && now() < deadline) {
		int n = epoll_wait(ep, evs, 256, 100), i;

		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == lfd) {
				int c, one = 1;

				while ((c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
					struct epoll_event cev = { .events = EPOLLIN, .data.fd = c };

					setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
					if (epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev))
						die("epoll_ctl");
				}
				continue;
			}
			for (;;) {
				ssize_t r = read(fd, buf, sizeof(buf));

				if (r > 0) {
					if (write_all(fd, buf, r)) {
						close(fd);
						break;
					}
					continue;
				}
				if (r < 0 && errno == EINTR)
					continue;
				if (r < 0 && errno == EAGAIN)
					break;
				/* EOF (or error): everything was read, so close() sends a FIN. */
				close(fd);
				break;
			}
		}
	}
	close(ep);
	return NULL;
}

static int run_server(void)
{
	pthread_t th[MAX_WORKERS];
	int lfd[MAX_WORKERS], w;

	for (w = 0; w < o.workers; w++)
		lfd[w] = listen_on(o.port, 1024, 1);
	printf("ready\n");
	fflush(stdout);
	for (w = 0; w < o.workers; w++)
		if (pthread_create(&th[w], NULL, server_thread, &lfd[w]))
			die("pthread_create");
	for (w = 0; w < o.workers; w++)
		pthread_join(th[w], NULL);
	printf("mode=server done\n");
	return 0;
}

/* ---------------------------------------------------------------- echo */

struct echo_stats {
	long requests, errors;
};

struct echo_conn {
	int fd;
	int got;
	int waiting;
};

static int connect_blocking(void)
{
	struct sockaddr_in sa = sin_of(o.dst, o.port);
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), tries;

	if (fd < 0)
		die("socket");
	for (tries = 0; connect(fd, (struct sockaddr *)&sa, sizeof(sa)); tries++) {
		if (tries >= 50)
			die("connect to echo server");
		usleep(20000);
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

static long echo_budget; /* requests left to start, shared */
static pthread_mutex_t budget_lock = PTHREAD_MUTEX_INITIALIZER;

static int take_budget(void)
{
	int ok;

	pthread_mutex_lock(&budget_lock);
	ok = echo_budget > 0;
	if (ok)
		echo_budget--;
	pthread_mutex_unlock(&budget_lock);
	return ok;
}

static void *echo_worker(void *arg)
{
	struct echo_stats *st = arg;
	struct echo_conn *cs = calloc(o.conns, sizeof(*cs));
	char *req = malloc(o.size), buf[65536];
	struct epoll_event evs[256];
	double deadline = now() + o.secs, grace;
	int ep = epoll_create1(EPOLL_CLOEXEC), i, waiting = 0;

	if (!cs || !req || ep < 0)
		die("alloc");
	memset(req, 'x', o.size);
	for (i = 0; i < o.conns; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = i };

		cs[i].fd = connect_blocking();
		if (epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev))
			die("epoll_ctl");
	}
	for (i = 0; i < o.conns; i++)
		if (take_budget() && !write_all(cs[i].fd, req, o.size))
			cs[i].waiting = 1, waiting++;
	grace = deadline + 1.0;
	while (waiting && now() < grace) {
		int n = epoll_wait(ep, evs, 256, 100), k;

		for (k = 0; k < n; k++) {
			struct echo_conn *c = &cs[evs[k].data.u32];

			for (;;) {
				ssize_t r = read(c->fd, buf, sizeof(buf));

				if (r > 0) {
					c->got += r;
					continue;
				}
				if (r < 0 && errno == EINTR)
					continue;
				if (r == 0 || (r < 0 && errno != EAGAIN)) {
					st->errors++;
					if (c->waiting)
						c->waiting = 0, waiting--;
				}
				break;
			}
			if (c->waiting && c->got >= o.size) {
				st->requests++;
				c->got -= o.size;
				c->waiting = 0;
				waiting--;
				if (!stop && now() < deadline && take_budget()) {
					if (write_all(c->fd, req, o.size))
						st->errors++;
					else
						c->waiting = 1, waiting++;
				}
			}
		}
	}
	/* All responses read: close() sends FINs, never a RST. */
	for (i = 0; i < o.conns; i++)
		close(cs[i].fd);
	close(ep);
	free(cs);
	free(req);
	return NULL;
}

static int run_echo(void)
{
	pthread_t th[MAX_WORKERS];
	struct echo_stats st[MAX_WORKERS] = {};
	long req = 0, err = 0;
	double t0, el;
	int w;

	echo_budget = o.n;
	t0 = now();
	for (w = 0; w < o.workers; w++)
		if (pthread_create(&th[w], NULL, echo_worker, &st[w]))
			die("pthread_create");
	for (w = 0; w < o.workers; w++) {
		pthread_join(th[w], NULL);
		req += st[w].requests;
		err += st[w].errors;
	}
	el = now() - t0;
	printf("mode=echo requests=%ld errors=%ld secs=%.3f rate=%.0f cpu_ms=%.0f\n", req, err, el, req / el,
	       cpu_ms());
	return 0;
}

/* ---------------------------------------------------------------- churn */

struct churn_conn {
	int fd;
	int got;
};

struct churn_stats {
	long started, done, errors;
	int id;
	long quota;
};

/* Starts one connection in slot c; returns 0, or -1 when it failed at once. */
static int churn_start(struct churn_stats *st, int ep, struct churn_conn *c, long seq, int slot)
{
	struct sockaddr_in sa = sin_of(o.dst, o.port);
	struct epoll_event ev = { .events = EPOLLOUT, .data.u32 = slot };
	int one = 1;

	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	if (c->fd < 0)
		die("socket");
	c->got = 0;
	st->started++;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (o.nsrcs) {
		struct sockaddr_in src = sin_of(o.srcs[(seq + st->id) % o.nsrcs], 0);

		setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
		if (bind(c->fd, (struct sockaddr *)&src, sizeof(src)))
			die("bind source");
	}
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) && errno != EINPROGRESS) {
		st->errors++;
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev))
		die("epoll_ctl");
	return 0;
}

static void churn_end(struct churn_conn *c)
{
	close(c->fd);
	c->fd = -1;
}

static void *churn_worker(void *arg)
{
	struct churn_stats *st = arg;
	struct churn_conn *cs = calloc(o.inflight, sizeof(*cs));
	char *req = malloc(o.size), buf[65536];
	struct epoll_event evs[256];
	double deadline = now() + o.secs, grace;
	int ep = epoll_create1(EPOLL_CLOEXEC), i, inflight = 0;
	long seq = 0;

	if (!cs || !req || ep < 0)
		die("alloc");
	memset(req, 'x', o.size);
	for (i = 0; i < o.inflight; i++)
		cs[i].fd = -1;
	grace = deadline + 1.0;
	while (now() < grace && (inflight || (!stop && now() < deadline && st->started < st->quota))) {
		int n, k;

		for (i = 0; i < o.inflight && !stop && now() < deadline && st->started < st->quota; i++)
			if (cs[i].fd < 0 && churn_start(st, ep, &cs[i], seq++, i) == 0)
				inflight++;
		n = epoll_wait(ep, evs, 256, 100);
		for (k = 0; k < n; k++) {
			struct churn_conn *c = &cs[evs[k].data.u32];
			int err = 0;
			socklen_t len = sizeof(err);

			if (c->fd < 0)
				continue;
			if (evs[k].events & EPOLLOUT) {
				struct epoll_event ev = { .events = EPOLLIN, .data.u32 = evs[k].data.u32 };

				getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
				if (err || write_all(c->fd, req, o.size) ||
				    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev)) {
					st->errors++;
					churn_end(c);
					inflight--;
				}
				continue;
			}
			for (;;) {
				ssize_t r = read(c->fd, buf, sizeof(buf));

				if (r > 0) {
					c->got += r;
					continue;
				}
				if (r < 0 && errno == EINTR)
					continue;
				if (r == 0 || errno != EAGAIN)
					c->got = -1;
				break;
			}
			if (c->got < 0 || c->got >= o.size) {
				/* Everything read: close() sends a FIN, never a RST. */
				if (c->got < 0)
					st->errors++;
				else
					st->done++;
				churn_end(c);
				inflight--;
			}
		}
	}
	for (i = 0; i < o.inflight; i++)
		if (cs[i].fd >= 0)
			st->errors++, churn_end(&cs[i]);
	close(ep);
	free(cs);
	free(req);
	return NULL;
}

static int run_churn(void)
{
	pthread_t th[MAX_WORKERS];
	struct churn_stats st[MAX_WORKERS] = {}, sum = {};
	double t0, el;
	int w;

	t0 = now();
	for (w = 0; w < o.workers; w++) {
		st[w].id = w;
		st[w].quota = o.n / o.workers + (w < o.n % o.workers);
		if (pthread_create(&th[w], NULL, churn_worker, &st[w]))
			die("pthread_create");
	}
	for (w = 0; w < o.workers; w++) {
		pthread_join(th[w], NULL);
		sum.started += st[w].started;
		sum.done += st[w].done;
		sum.errors += st[w].errors;
	}
	el = now() - t0;
	printf("mode=churn conns=%ld requests=%ld errors=%ld secs=%.3f rate=%.0f cpu_ms=%.0f\n",
	       sum.started, sum.done, sum.errors, el, sum.done / el, cpu_ms());
	return 0;
}

/* ---------------------------------------------------------------- listen / overflow */

static int run_listen(void)
{
	double deadline = now() + o.secs;
	int k;

	for (k = 0; k < o.nports; k++)
		listen_on(o.port + k, o.backlog, 0);
	printf("ready\n");
	fflush(stdout);
	while (!stop && now() < deadline)
		usleep(50000);
	/* Exit closes the listeners (their queued children get RSTs, TCP_STATE). */
	printf("mode=listen done\n");
	return 0;
}

struct ov_sock {
	int fd;
	int conn; /* the client saw the handshake complete */
	double until;
};

static int run_overflow(void)
{
	struct ov_sock *ss = calloc(o.inflight, sizeof(*ss));
	struct epoll_event evs[256];
	double t0 = now(), deadline = t0 + o.secs;
	long started = 0, connected = 0, refused = 0, reset = 0, timedout = 0, other = 0;
	int ep = epoll_create1(EPOLL_CLOEXEC), inflight = 0, i;

	if (!ss || ep < 0)
		die("alloc");
	for (i = 0; i < o.inflight; i++)
		ss[i].fd = -1;
	while (!stop && (started < o.n || inflight) && now() < deadline + 2.0) {
		double t = now();
		int n, k;

		/* A burst: fill every free slot at once, so handshakes race for the queue. */
		for (i = 0; i < o.inflight && started < o.n && t < deadline; i++) {
			struct sockaddr_in sa = sin_of(o.dst, o.port + (int)(started % o.nports));
			struct epoll_event ev = { .events = EPOLLOUT | EPOLLIN | EPOLLRDHUP };

			if (ss[i].fd >= 0)
				continue;
			ss[i].fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
			if (ss[i].fd < 0)
				die("socket");
			started++;
			if (connect(ss[i].fd, (struct sockaddr *)&sa, sizeof(sa)) && errno != EINPROGRESS) {
				if (errno == ECONNREFUSED)
					refused++;
				else
					other++;
				close(ss[i].fd);
				ss[i].fd = -1;
				continue;
			}
			ss[i].conn = 0;
			ss[i].until = t + o.timeout_ms / 1000.0;
			ev.data.u32 = i;
			if (epoll_ctl(ep, EPOLL_CTL_ADD, ss[i].fd, &ev))
				die("epoll_ctl");
			inflight++;
		}
		n = epoll_wait(ep, evs, 256, 20);
		t = now();
		for (k = 0; k < n; k++) {
			struct ov_sock *s = &ss[evs[k].data.u32];
			int err = 0;
			socklen_t len = sizeof(err);

			if (s->fd < 0)
				continue;
			getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len);
			if (err || (evs[k].events & (EPOLLERR | EPOLLHUP | EPOLLRDHUP | EPOLLIN))) {
				if (err == ECONNREFUSED && !s->conn)
					refused++;
				else if (err == ECONNRESET || err == ECONNREFUSED ||
					 (evs[k].events & (EPOLLERR | EPOLLHUP)))
					reset++;
				else
					other++;
				close(s->fd);
				s->fd = -1;
				inflight--;
			} else if ((evs[k].events & EPOLLOUT) && !s->conn) {
				/* Connected as far as the client knows; the server may still reset it. */
				struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP,
							  .data.u32 = evs[k].data.u32 };

				s->conn = 1;
				epoll_ctl(ep, EPOLL_CTL_MOD, s->fd, &ev);
			}
		}
		for (i = 0; i < o.inflight; i++) {
			if (ss[i].fd >= 0 && t >= ss[i].until) {
				if (ss[i].conn)
					connected++;
				else
					timedout++;
				close(ss[i].fd);
				ss[i].fd = -1;
				inflight--;
			}
		}
	}
	for (i = 0; i < o.inflight; i++)
		if (ss[i].fd >= 0)
			close(ss[i].fd), timedout++;
	close(ep);
	free(ss);
	printf("mode=overflow conns=%ld connected=%ld refused=%ld reset=%ld timedout=%ld other=%ld secs=%.3f\n",
	       started, connected, refused, reset, timedout, other, now() - t0);
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };

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
