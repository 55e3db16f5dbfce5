// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include "servers.h"

#define SERVER(prefix, name, setting, flags, source) {prefix, name, setting, flags, source},
static const struct server_setting servers[] = {
#include "servers.def"
};
#undef SERVER

#define NR_SERVERS (sizeof(servers) / sizeof(servers[0]))

const struct server_setting *server_by_comm(const char *comm, unsigned int len)
{
	size_t n = strnlen(comm, len), plen;
	unsigned int i;

	for (i = 0; i < NR_SERVERS; i++) {
		plen = strlen(servers[i].comm_prefix);
		if (plen && plen <= n && memcmp(comm, servers[i].comm_prefix, plen) == 0)
			return &servers[i];
	}
	return NULL;
}

const struct server_setting *server_go(void)
{
	unsigned int i;

	for (i = 0; i < NR_SERVERS; i++)
		if (servers[i].flags & SRV_SOMAXCONN_ONCE)
			return &servers[i];
	return NULL;
}

unsigned int servers_count(void)
{
	return NR_SERVERS;
}

const struct server_setting *server_at(unsigned int i)
{
	return i < NR_SERVERS ? &servers[i] : NULL;
}
