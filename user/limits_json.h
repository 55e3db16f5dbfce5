/* SPDX-License-Identifier: GPL-2.0 */
/* The "limit" and "burst" members of a listener object (docs/schema.md). */
#ifndef RSTTRACE_LIMITS_JSON_H
#define RSTTRACE_LIMITS_JSON_H

#include "json_writer.h"
#include "listen_limits.h"

/* Writes "limit": {...} and "burst": {...}, each null when not judged / no burst. */
void limits_json(struct json_writer *jw, const struct limit_verdict *v);

#endif
