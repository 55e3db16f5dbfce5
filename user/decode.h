/* SPDX-License-Identifier: GPL-2.0 */
/* What an event means, shared by the text and JSON formatters. */
#ifndef RSTTRACE_DECODE_H
#define RSTTRACE_DECODE_H

#include <stdbool.h>
#include "../include/rsttrace.h"
#include "kenums.h"
#include "kevent.h"

struct rt_names {
	struct kenum rst_reasons;  /* enum sk_rst_reason, prefix SK_RST_REASON_ */
	struct kenum drop_reasons; /* enum skb_drop_reason, prefix SKB_DROP_REASON_ */
};

const char *event_type_name(unsigned int type);
const char *owner_source_name(unsigned int source);
const char *overflow_path_name(unsigned int path);
/* NF_INET_* hook of a firewall reset. */
const char *netfilter_hook_name(unsigned int hook);
/* Kernel reason name, or NULL where the event has none. */
const char *event_reason(const struct rt_names *n, const struct rt_event *e);
/* rsttrace's reading where the kernel's label misleads, or NULL. */
const char *event_cause(const struct rt_names *n, const struct rt_kevent *k);

struct rt_record;
/* Before 6.10: the reason a reset's kernel path would have given, or NULL. */
const char *derive_reset_reason(const struct rt_kevent *k);
/* The decode stage: a record for event e, with its names. */
void record_decode(struct rt_record *r, const struct rt_names *n, const struct rt_kevent *k);

#endif
