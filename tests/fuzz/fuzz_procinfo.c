// SPDX-License-Identifier: GPL-2.0
/* /proc/PID/stat text: procinfo_parse_starttime on anything. */
#include <stdlib.h>
#include <string.h>
#include "procinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	int64_t v;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	v = procinfo_parse_starttime(text);
	/* A start time comes from a ')' and 20 more fields, or there is none. */
	if (v < -1 || (v >= 0 && !strchr(text, ')')))
		abort();
	free(text);
	return 0;
}
