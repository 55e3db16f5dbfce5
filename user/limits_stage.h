/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RSTTRACE_LIMITS_STAGE_H
#define RSTTRACE_LIMITS_STAGE_H

#include "record.h"

/* Fills r->limits for records about a listener's queue; source LIMIT_NONE otherwise. */
void limits_stage(struct rt_record *r);
/* The accept_waits map the stage reads the listener's accept() waits from (-1: none). */
void limits_stage_waits(int fd);

#endif
