/* SPDX-License-Identifier: GPL-2.0 */
/* Messages on stderr: progress, warnings and errors. */
#ifndef RSTTRACE_MESSAGES_H
#define RSTTRACE_MESSAGES_H

#include <stdbool.h>

/*
 * level is "info", "warning" or "error". Prints "rsttrace: [level: ]msg";
 * in JSON mode warnings and errors are one JSON object per line instead.
 */
void rt_warn(bool json, const char *level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
