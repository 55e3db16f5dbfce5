// SPDX-License-Identifier: GPL-2.0
/* The metrics address syntax, and the server answering over a real socket. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>
#include "metrics_http.h"
#include "unit.h"

static void test_metrics_parse_addr(void)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;

	/* No address: loopback, never every interface. */
	CHECK_INT(metrics_parse_addr("9464", &ss, &len), 0);
	CHECK_INT(in4->sin_family, AF_INET);
	CHECK_INT(ntohl(in4->sin_addr.s_addr), INADDR_LOOPBACK);
	CHECK_INT(ntohs(in4->sin_port), 9464);
	CHECK_INT(metrics_parse_addr(":9464", &ss, &len), 0);
	CHECK_INT(ntohl(in4->sin_addr.s_addr), INADDR_LOOPBACK);
	CHECK_INT(metrics_parse_addr("0.0.0.0:80", &ss, &len), 0);
	CHECK_INT(in4->sin_addr.s_addr, 0);
	CHECK_INT(ntohs(in4->sin_port), 80);
	CHECK_INT(metrics_parse_addr("10.1.2.3:0", &ss, &len), 0);
	CHECK_INT(ntohl(in4->sin_addr.s_addr), 0x0a010203);
	CHECK_INT(metrics_parse_addr("[::1]:9464", &ss, &len), 0);
	CHECK_INT(in6->sin6_family, AF_INET6);
	CHECK_INT(len, sizeof(*in6));
	CHECK_INT(ntohs(in6->sin6_port), 9464);
	CHECK_INT(metrics_parse_addr("[::]:1", &ss, &len), 0);
	CHECK_INT(metrics_parse_addr("", &ss, &len), -22);
	CHECK_INT(metrics_parse_addr("65536", &ss, &len), -22);
	CHECK_INT(metrics_parse_addr("-1", &ss, &len), -22);
	CHECK_INT(metrics_parse_addr("localhost:80", &ss, &len), -22);
	CHECK_INT(metrics_parse_addr("1.2.3:80", &ss, &len), -22);
	CHECK_INT(metrics_parse_addr("1.2.3.4:", &ss, &len), -22);
	CHECK_INT(metrics_parse_addr("[::1]80", &ss, &len), -22);
	CHECK_INT(metrics_parse_addr("[::1:80", &ss, &len), -22);
	CHECK_INT(metrics_parse_addr("[1.2.3.4]:80", &ss, &len), -22);
	CHECK_INT(metrics_parse_addr("::1:80", &ss, &len), -22);
}

static void test_metrics_http_route(void)
{
	bool head = true;

	CHECK_INT(metrics_http_route("GET /metrics HTTP/1.1\r\n", &head), METRICS_ROUTE_METRICS);
	CHECK(!head);
	CHECK_INT(metrics_http_route("HEAD /metrics HTTP/1.0\r\n", &head), METRICS_ROUTE_METRICS);
	CHECK(head);
	CHECK_INT(metrics_http_route("GET /metrics?name[]=x HTTP/1.1\r\n", &head),
		  METRICS_ROUTE_METRICS);
	/* HTTP/0.9 style, no version. */
	CHECK_INT(metrics_http_route("GET /metrics\r\n", &head), METRICS_ROUTE_METRICS);
	CHECK_INT(metrics_http_route("GET /metricsx HTTP/1.1\r\n", &head), METRICS_ROUTE_NOT_FOUND);
	CHECK_INT(metrics_http_route("GET /metric HTTP/1.1\r\n", &head), METRICS_ROUTE_NOT_FOUND);
	CHECK_INT(metrics_http_route("GET / HTTP/1.1\r\n", &head), METRICS_ROUTE_NOT_FOUND);
	CHECK_INT(metrics_http_route("GET ", &head), METRICS_ROUTE_NOT_FOUND);
	CHECK_INT(metrics_http_route("get /metrics HTTP/1.1\r\n", &head), METRICS_ROUTE_BAD_METHOD);
	CHECK_INT(metrics_http_route("POST /metrics HTTP/1.1\r\n", &head),
		  METRICS_ROUTE_BAD_METHOD);
	CHECK_INT(metrics_http_route("", &head), METRICS_ROUTE_BAD_METHOD);
}

static void render(void *ctx, struct strbuf *sb)
{
	(*(int *)ctx)++;
	sb_puts(sb, "# TYPE x counter\nx_total 1\n");
}

/* One request on a fresh connection; the whole answer. */
static void get(int port, const char *req, char *buf, size_t size)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	size_t len = 0;
	ssize_t n;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	buf[0] = '\0';
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		unit_fail(__FILE__, __LINE__, "cannot connect to the metrics server");
		if (fd >= 0)
			close(fd);
		return;
	}
	if (write(fd, req, strlen(req)) < 0)
		unit_fail(__FILE__, __LINE__, "write");
	while (len + 1 < size && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(fd);
}

static void test_metrics_http_serves(void)
{
	struct metrics_http *h = metrics_http_bind("127.0.0.1:0");
	char buf[1024];
	int renders = 0, port;

	CHECK(h != NULL);
	if (!h)
		return;
	port = metrics_http_port(h);
	CHECK(port > 0);
	CHECK_INT(metrics_http_start(h, render, &renders), 0);
	get(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", buf, sizeof(buf));
	CHECK(!strncmp(buf, "HTTP/1.1 200 OK\r\n", 17));
	CHECK_CONTAINS(buf, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n");
	CHECK_CONTAINS(buf, "Content-Length: 27\r\n");
	CHECK(strstr(buf, "\r\n\r\n# TYPE x counter\nx_total 1\n") != NULL);
	get(port, "GET /metrics?x=1 HTTP/1.0\r\n\r\n", buf, sizeof(buf));
	CHECK(!strncmp(buf, "HTTP/1.1 200 OK\r\n", 17));
	get(port, "HEAD /metrics HTTP/1.1\r\n\r\n", buf, sizeof(buf));
	CHECK(!strncmp(buf, "HTTP/1.1 200 OK\r\n", 17));
	CHECK(strstr(buf, "x_total") == NULL);
	get(port, "GET / HTTP/1.1\r\n\r\n", buf, sizeof(buf));
	CHECK(!strncmp(buf, "HTTP/1.1 404 ", 13));
	get(port, "POST /metrics HTTP/1.1\r\n\r\n", buf, sizeof(buf));
	CHECK(!strncmp(buf, "HTTP/1.1 405 ", 13));
	/* Half a request, then the client gives up: the server goes on. */
	get(port, "GET /metr", buf, sizeof(buf));
	get(port, "GET /metrics HTTP/1.1\r\n\r\n", buf, sizeof(buf));
	CHECK(!strncmp(buf, "HTTP/1.1 200 OK\r\n", 17));
	metrics_http_free(h);
	CHECK_INT(renders, 4);
}

void run_metrics_http_tests(void)
{
	RUN_TEST(test_metrics_parse_addr);
	RUN_TEST(test_metrics_http_route);
	RUN_TEST(test_metrics_http_serves);
}
