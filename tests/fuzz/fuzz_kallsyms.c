// SPDX-License-Identifier: GPL-2.0
/* /proc/kallsyms text: kallsyms_func_range on anything. */
#include <stdio.h>
#include <stdlib.h>
#include "kallsyms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t start, end;
	FILE *f;

	if (!size)
		return 0;
	f = fmemopen((void *)data, size, "r");
	if (!f)
		return 0;
	if (!kallsyms_func_range(f, "tcp_rcv_state_process", &start, &end) &&
	    (!start || end <= start))
		abort();
	fclose(f);
	return 0;
}
