// SPDX-License-Identifier: GPL-2.0
/* rstgen: the clock, errors and socket helpers every mode uses. */
#define _GNU_SOURCE
#include "rstgen.h"

double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU time (user + system) this process used so far, ms: includes the
 * softirq work (TCP receive, RST) the kernel did in its context. */
double cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

void die(const char *what)
{
	fprintf(stderr, "rstgen: %s: %s\n", what, strerror(errno));
	exit(1);
}

struct sockaddr_in sin_of(struct in_addr a, int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr = a};

	return sa;
}

int listen_on(int port, int backlog, int reuseport)
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
int write_all(int fd, const char *buf, size_t len)
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

int connect_blocking(void)
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
