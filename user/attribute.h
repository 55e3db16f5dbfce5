/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Attribution: what userspace adds to the kernel's owner facts, with its
 * lookups cached here so that no sink touches /proc.
 */
#ifndef RSTTRACE_ATTRIBUTE_H
#define RSTTRACE_ATTRIBUTE_H

#include <stdint.h>
#include "record.h"

void attribute(struct rt_record *r, uint64_t now_boot_ns);

#endif
