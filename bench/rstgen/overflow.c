// SPDX-License-Identifier: GPL-2.0
/* rstgen overflow: bursts of connect()s against listeners that never accept. */
#define _GNU_SOURCE
#include "rstgen.h"

struct ov_sock {
	int fd;
	int conn; /* the client saw the handshake complete */
	double until;
};

int run_overflow(void)
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
			struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP};

			if (ss[i].fd >= 0)
				continue;
			ss[i].fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
			if (ss[i].fd < 0)
				die("socket");
			started++;
			if (connect(ss[i].fd, (struct sockaddr *)&sa, sizeof(sa)) &&
			    errno != EINPROGRESS) {
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
				/* Connected as far as the client knows; the server may still reset
				 * it. */
				struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP,
							 .data.u32 = evs[k].data.u32};

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
	printf(
	    "mode=overflow conns=%ld connected=%ld refused=%ld reset=%ld timedout=%ld other=%ld secs=%.3f\n",
	    started, connected, refused, reset, timedout, other, now() - t0);
	return 0;
}
