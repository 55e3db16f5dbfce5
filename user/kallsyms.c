// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "kallsyms.h"

int kallsyms_func_range(FILE *f, const char *name, uint64_t *start, uint64_t *end)
{
	uint64_t target = 0, next = UINT64_MAX;
	bool hidden = false;
	char line[512];
	/* kallsyms is not sorted: one pass keeps every address, a second finds the next. */
	uint64_t *addrs = NULL;
	size_t n = 0, cap = 0, i;

	while (fgets(line, sizeof(line), f)) {
		char *sym, *end_ptr;
		uint64_t addr = strtoull(line, &end_ptr, 16);

		if (end_ptr == line || end_ptr[0] != ' ' || !end_ptr[1] || end_ptr[2] != ' ')
			continue;
		sym = end_ptr + 3;
		sym[strcspn(sym, " \t\n")] = '\0';
		if (!target && strcmp(sym, name) == 0 && (end_ptr[1] == 'T' || end_ptr[1] == 't')) {
			target = addr;
			/* kptr_restrict shows every address as 0 to this reader. */
			hidden = !addr;
		}
		if (n == cap) {
			uint64_t *bigger;

			cap = cap ? cap * 2 : 65536;
			bigger = realloc(addrs, cap * sizeof(*addrs));
			if (!bigger) {
				free(addrs);
				return -ENOMEM;
			}
			addrs = bigger;
		}
		addrs[n++] = addr;
	}
	for (i = 0; target && i < n; i++)
		if (addrs[i] > target && addrs[i] < next)
			next = addrs[i];
	free(addrs);
	if (hidden)
		return -EACCES;
	if (!target || next == UINT64_MAX)
		return -ENOENT;
	*start = target;
	*end = next;
	return 0;
}
