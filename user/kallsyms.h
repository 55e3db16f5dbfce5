/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RSTTRACE_KALLSYMS_H
#define RSTTRACE_KALLSYMS_H

#include <stdint.h>
#include <stdio.h>

/*
 * Address range [start, end) of kernel function 'name': from its symbol to
 * the next higher one. Reads a kallsyms-format stream. 0, -ENOENT, or -EACCES
 * when the symbol is there but its address is hidden (kptr_restrict).
 */
int kallsyms_func_range(FILE *f, const char *name, uint64_t *start, uint64_t *end);

#endif
