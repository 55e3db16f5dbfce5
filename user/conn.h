/* SPDX-License-Identifier: GPL-2.0 */
/* Names for what a client connection section (struct rt_conn) holds. */
#ifndef RSTTRACE_CONN_H
#define RSTTRACE_CONN_H

#include <stdbool.h>
#include <stdint.h>
#include "../include/rsttrace.h"

/* "ECONNRESET" for the errnos a TCP client is handed, NULL for others. */
const char *errno_name(int err);
/* What the application's own log says for it ("connection reset by peer"). */
const char *errno_text(int err);
/* enum rt_conn_outcome: "established", "error", "closed", "reset". */
const char *conn_outcome_name(unsigned int outcome);
/* Milliseconds from connect() to t_ns, or -1 when connect() was not seen. */
long long conn_age_ms(const struct rt_conn *c, uint64_t t_ns);
/* Data of the application acknowledged by the peer (the SYN counts 1 in bytes_acked). */
static inline unsigned long long conn_data_acked(const struct rt_conn *c)
{
	return c->bytes_acked ? c->bytes_acked - 1 : 0;
}

#endif
