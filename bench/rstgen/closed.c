// SPDX-License-Identifier: GPL-2.0
/* rstgen closed: non-blocking connect()s to a closed port, one RST each. */
#define _GNU_SOURCE
#include "rstgen.h"

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
		struct sockaddr_in src = sin_of(o.nsrcs ? o.srcs[0] : (struct in_addr){0}, o.sport);
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
				struct epoll_event ev = {.events = EPOLLOUT, .data.fd = fd};

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

int run_closed(void)
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
	printf(
	    "mode=closed conns=%ld refused=%ld connected=%ld other=%ld abandoned=%ld secs=%.3f rate=%.0f cpu_ms=%.0f\n",
	    sum.started, sum.refused, sum.connected, sum.other, sum.abandoned, el, sum.refused / el,
	    cpu_ms());
	return 0;
}
