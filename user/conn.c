// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include "conn.h"

static const struct {
	int err;
	const char *name;
	const char *text;
} errnos[] = {
    {ECONNRESET, "ECONNRESET", "connection reset by peer"},
    {ECONNREFUSED, "ECONNREFUSED", "connection refused"},
    {ETIMEDOUT, "ETIMEDOUT", "connection timed out"},
    {EPIPE, "EPIPE", "broken pipe"},
    {EHOSTUNREACH, "EHOSTUNREACH", "no route to host"},
    {ENETUNREACH, "ENETUNREACH", "network is unreachable"},
    {EHOSTDOWN, "EHOSTDOWN", "host is down"},
    {ENETDOWN, "ENETDOWN", "network is down"},
    {EPROTO, "EPROTO", "protocol error"},
    {EMSGSIZE, "EMSGSIZE", "message too long"},
    {ECONNABORTED, "ECONNABORTED", "software caused connection abort"},
};

const char *errno_name(int err)
{
	size_t i;

	for (i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (errnos[i].err == err)
			return errnos[i].name;
	return NULL;
}

const char *errno_text(int err)
{
	size_t i;

	for (i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (errnos[i].err == err)
			return errnos[i].text;
	return NULL;
}

const char *conn_outcome_name(unsigned int outcome)
{
	static const char *const names[] = {
	    [RT_CO_NONE] = NULL,     [RT_CO_ESTABLISHED] = "established",
	    [RT_CO_ERROR] = "error", [RT_CO_CLOSED] = "closed",
	    [RT_CO_RESET] = "reset",
	};

	return outcome < sizeof(names) / sizeof(names[0]) ? names[outcome] : NULL;
}

long long conn_age_ms(const struct rt_conn *c, uint64_t t_ns)
{
	if (!(c->flags & RT_CF_START) || t_ns < c->start_ns)
		return -1;
	return (long long)((t_ns - c->start_ns) / 1000000);
}
