/* SPDX-License-Identifier: GPL-2.0 */
/* Client-side diagnosis codes (diagnose_client.c), tried before the others. */
#ifndef RSTTRACE_DIAGNOSE_CLIENT_H
#define RSTTRACE_DIAGNOSE_CLIENT_H

#include <stdbool.h>
#include "diagnose.h"

struct rt_record;
/* Fills d for a record with a client connection section when a client rule fits. */
bool diagnose_client(const struct rt_record *r, struct diagnosis *d);

#endif
