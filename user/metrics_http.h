/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal HTTP/1.x server for one purpose: GET /metrics, answered from a
 * thread of its own so that a scrape never waits on the event loop nor the
 * loop on a slow scraper. One connection at a time, each closed after its
 * answer, with timeouts: a stuck client stalls only the metrics.
 */
#ifndef RSTTRACE_METRICS_HTTP_H
#define RSTTRACE_METRICS_HTTP_H

#include <stdbool.h>
#include <sys/socket.h>
#include "strbuf.h"

/* "PORT" and ":PORT" mean 127.0.0.1:PORT; "ADDR:PORT", "[ADDR6]:PORT". 0 or -EINVAL. */
int metrics_parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len);

enum metrics_route {
	METRICS_ROUTE_METRICS,	  /* GET or HEAD /metrics (a query string is ignored) */
	METRICS_ROUTE_NOT_FOUND,  /* another path: 404 */
	METRICS_ROUTE_BAD_METHOD, /* not GET nor HEAD: 405 */
};

/* What a request head asks for; *head: a HEAD request (no body in the answer). */
enum metrics_route metrics_http_route(const char *req, bool *head);

typedef void (*metrics_render_fn)(void *ctx, struct strbuf *sb);

struct metrics_http;

/* Binds and listens (before privileges are dropped). NULL with errno set. */
struct metrics_http *metrics_http_bind(const char *addr);
/* The bound port (for ADDR:0). */
int metrics_http_port(const struct metrics_http *h);
/* Starts the serving thread. 0 or -errno. */
int metrics_http_start(struct metrics_http *h, metrics_render_fn render, void *ctx);
/* Stops the thread, closes the socket, frees. */
void metrics_http_free(struct metrics_http *h);

#endif
