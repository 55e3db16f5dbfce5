// SPDX-License-Identifier: GPL-2.0
/* rstgen server and listen: an echo server, and listeners that never accept. */
#define _GNU_SOURCE
#include "rstgen.h"

static void *server_thread(void *arg)
{
	int lfd = *(int *)arg, ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = lfd}, evs[256];
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

				while ((c = accept4(lfd, NULL, NULL,
						    SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
					struct epoll_event cev = {.events = EPOLLIN, .data.fd = c};

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

int run_server(void)
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

int run_listen(void)
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
