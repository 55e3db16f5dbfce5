/* SPDX-License-Identifier: GPL-2.0 */
/* Known servers and the setting that sets their listen() backlog (servers.def). */
#ifndef RSTTRACE_SERVERS_H
#define RSTTRACE_SERVERS_H

#include <stdbool.h>

/* The process reads net.core.somaxconn once and passes it as its backlog (Go). */
#define SRV_SOMAXCONN_ONCE (1u << 0)

struct server_setting {
	const char *comm_prefix; /* "" : matched by other means (Go by its executable) */
	const char *name;
	const char *setting; /* printf format with one %u: the value to set */
	unsigned int flags;  /* SRV_* */
	const char *source;
};

/* The server a process name belongs to, or NULL; comm need not end in NUL within len. */
const struct server_setting *server_by_comm(const char *comm, unsigned int len);
/* The Go row. */
const struct server_setting *server_go(void);
/* The table, row by row (for its tests). */
unsigned int servers_count(void);
const struct server_setting *server_at(unsigned int i);

#endif
