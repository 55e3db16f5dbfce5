// SPDX-License-Identifier: GPL-2.0
/* rstgen echo: keep-alive request/response, no resets. */
#define _GNU_SOURCE
#include "rstgen.h"

struct echo_stats {
	long requests, errors;
};

struct echo_conn {
	int fd;
	int got;
	int waiting;
};

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
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};

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

int run_echo(void)
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
	printf("mode=echo requests=%ld errors=%ld secs=%.3f rate=%.0f cpu_ms=%.0f\n", req, err, el,
	       req / el, cpu_ms());
	return 0;
}
