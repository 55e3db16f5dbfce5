// SPDX-License-Identifier: GPL-2.0
/* rstgen churn: one new connection per request, closed with FINs. */
#define _GNU_SOURCE
#include "rstgen.h"

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
	struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = slot};
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
	while (now() < grace &&
	       (inflight || (!stop && now() < deadline && st->started < st->quota))) {
		int n, k;

		for (i = 0; i < o.inflight && !stop && now() < deadline && st->started < st->quota;
		     i++)
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
				struct epoll_event ev = {.events = EPOLLIN,
							 .data.u32 = evs[k].data.u32};

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

int run_churn(void)
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
