// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE /* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/time.h>
#include <unistd.h>
#include "metrics_http.h"

#define REQUEST_MAX  4096
#define IO_TIMEOUT_S 2

struct metrics_http {
	int fd;
	int stop_fd;
	pthread_t thread;
	bool running;
	metrics_render_fn render;
	void *ctx;
};

static int parse_port(const char *s, uint16_t *port)
{
	char *end;
	unsigned long v;

	if (!*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

int metrics_parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *port_s;
	uint16_t port;
	size_t hl;

	memset(ss, 0, sizeof(*ss));
	if (!s || !*s)
		return -EINVAL;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		hl = (size_t)(close - s - 1);
		if (hl >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, hl);
		host[hl] = '\0';
		if (parse_port(close + 2, &port) || inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
			return -EINVAL;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		*len = sizeof(*in6);
		return 0;
	}
	colon = strrchr(s, ':');
	port_s = colon ? colon + 1 : s;
	if (parse_port(port_s, &port))
		return -EINVAL;
	in4->sin_family = AF_INET;
	in4->sin_port = htons(port);
	*len = sizeof(*in4);
	/* No address given: loopback, never every interface by accident. */
	if (!colon || colon == s) {
		in4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return 0;
	}
	hl = (size_t)(colon - s);
	if (hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, hl);
	host[hl] = '\0';
	return inet_pton(AF_INET, host, &in4->sin_addr) == 1 ? 0 : -EINVAL;
}

struct metrics_http *metrics_http_bind(const char *addr)
{
	struct sockaddr_storage ss;
	struct metrics_http *h;
	socklen_t len;
	int one = 1, err;

	if (metrics_parse_addr(addr, &ss, &len)) {
		errno = EINVAL;
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->stop_fd = -1;
	h->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (h->fd < 0)
		goto fail;
	setsockopt(h->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(h->fd, (struct sockaddr *)&ss, len) || listen(h->fd, 16))
		goto fail;
	h->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (h->stop_fd < 0)
		goto fail;
	return h;
fail:
	err = errno;
	if (h->fd >= 0)
		close(h->fd);
	free(h);
	errno = err;
	return NULL;
}

int metrics_http_port(const struct metrics_http *h)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(h->fd, (struct sockaddr *)&ss, &len))
		return -1;
	return ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
					      : ((struct sockaddr_in *)&ss)->sin_port);
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void reply(int fd, const char *status, const char *type, const char *body, size_t len,
		  bool head)
{
	char hdr[256];
	int n = snprintf(hdr, sizeof(hdr),
			 "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n",
			 status, type, len);

	if (write_all(fd, hdr, (size_t)n) == 0 && !head)
		write_all(fd, body, len);
}

/* Reads the request head; true when it is whole. */
static bool read_request(int fd, char *buf, size_t size)
{
	size_t len = 0;

	while (len + 1 < size) {
		ssize_t n = recv(fd, buf + len, size - 1 - len, 0);

		if (n <= 0)
			return false;
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf, "\r\n\r\n") || strstr(buf, "\n\n"))
			return true;
	}
	return false;
}

enum metrics_route metrics_http_route(const char *req, bool *head)
{
	const char *path;
	size_t n;

	*head = !strncmp(req, "HEAD ", 5);
	if (strncmp(req, "GET ", 4) && !*head)
		return METRICS_ROUTE_BAD_METHOD;
	path = req + (*head ? 5 : 4);
	n = strcspn(path, "? \r\n");
	if (n == 8 && !strncmp(path, "/metrics", 8))
		return METRICS_ROUTE_METRICS;
	return METRICS_ROUTE_NOT_FOUND;
}

static void serve(struct metrics_http *h, int fd)
{
	static const char text[] = "text/plain; charset=utf-8";
	struct timeval tv = {.tv_sec = IO_TIMEOUT_S};
	char req[REQUEST_MAX];
	bool head = false;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (!read_request(fd, req, sizeof(req))) {
		reply(fd, "400 Bad Request", text, "bad request\n", 12, false);
		return;
	}
	switch (metrics_http_route(req, &head)) {
	case METRICS_ROUTE_BAD_METHOD:
		reply(fd, "405 Method Not Allowed", text, "only GET\n", 9, false);
		return;
	case METRICS_ROUTE_NOT_FOUND:
		reply(fd, "404 Not Found", text, "see /metrics\n", 13, head);
		return;
	case METRICS_ROUTE_METRICS: {
		struct strbuf sb;

		sb_init(&sb);
		h->render(h->ctx, &sb);
		reply(fd, "200 OK", "text/plain; version=0.0.4; charset=utf-8",
		      sb.buf ? sb.buf : "", sb.len, head);
		sb_free(&sb);
		return;
	}
	}
}

static void *run(void *arg)
{
	struct metrics_http *h = arg;

	for (;;) {
		struct pollfd fds[2] = {{.fd = h->fd, .events = POLLIN},
					{.fd = h->stop_fd, .events = POLLIN}};
		int c;

		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (fds[1].revents)
			break;
		c = accept4(h->fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			continue;
		serve(h, c);
		close(c);
	}
	return NULL;
}

int metrics_http_start(struct metrics_http *h, metrics_render_fn render, void *ctx)
{
	int err;

	h->render = render;
	h->ctx = ctx;
	err = pthread_create(&h->thread, NULL, run, h);
	if (err)
		return -err;
	h->running = true;
	return 0;
}

void metrics_http_free(struct metrics_http *h)
{
	uint64_t one = 1;

	if (!h)
		return;
	if (h->running && write(h->stop_fd, &one, sizeof(one)) == sizeof(one))
		pthread_join(h->thread, NULL);
	close(h->stop_fd);
	close(h->fd);
	free(h);
}
