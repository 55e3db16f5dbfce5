/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The stream sinks: a record to one line of text or one NDJSON object,
 * appended to the output's buffer. They only read the record.
 */
#ifndef RSTTRACE_SINK_H
#define RSTTRACE_SINK_H

#include <stdbool.h>
#include <stdint.h>
#include "output.h"
#include "record.h"

void sink_json_record(struct output *o, const struct rt_record *r);
/* Kernel-counted events no hook saw (type: RT_EV_*), in the totals, in no record. */
void sink_json_unattributed(struct output *o, uint32_t type, uint64_t count, uint64_t total,
			    uint64_t now_boot_ns);
void sink_text_unattributed(struct output *o, uint32_t type, uint64_t count, uint64_t total);
void sink_json_missed(struct output *o, const char *hook, uint32_t events, uint64_t count,
		      uint64_t total, uint64_t now_boot_ns);
void sink_json_lost(struct output *o, uint64_t count, uint64_t total, uint64_t now_boot_ns);
/*
 * The SYN detector armed on pressure was attached (armed) or detached, and
 * why; 'disarmed' the overflows and SYN-queue overflows counted while it
 * was not attached, since start.
 */
void sink_json_syn_detector(struct output *o, bool armed, const char *why,
			    const uint64_t disarmed[2], uint64_t now_boot_ns);
void sink_text_syn_detector(struct output *o, bool armed, const char *why,
			    const uint64_t disarmed[2]);

void sink_text_header(struct output *o);
void sink_text_record(struct output *o, const struct rt_record *r);
void sink_text_missed(struct output *o, const char *hook, uint32_t events, uint64_t count,
		      uint64_t total);
void sink_text_lost(struct output *o, uint64_t count, uint64_t total);

#endif
