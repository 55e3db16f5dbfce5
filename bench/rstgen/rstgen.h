/* SPDX-License-Identifier: GPL-2.0 */
/* rstgen: what its modes share (options, clock, sockets). See main.c. */
#ifndef RSTGEN_H
#define RSTGEN_H

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

#define MAX_WORKERS   16
#define MAX_SRCS      64
#define MAX_INFLIGHT  4096
#define MAX_PORTS     256
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

extern struct opts o;
extern volatile sig_atomic_t stop;

double now(void);
double cpu_ms(void);
__attribute__((noreturn)) void die(const char *what);
struct sockaddr_in sin_of(struct in_addr a, int port);
int listen_on(int port, int backlog, int reuseport);
int write_all(int fd, const char *buf, size_t len);
int connect_blocking(void);

int run_closed(void);
int run_server(void);
int run_listen(void);
int run_echo(void);
int run_churn(void);
int run_overflow(void);

#endif /* RSTGEN_H */
