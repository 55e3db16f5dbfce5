// SPDX-License-Identifier: GPL-2.0
/*
 * The formatters on whatever the ring buffer could hold: arbitrary bytes as
 * one struct rt_kevent (zero-padded or truncated), as JSON and as text.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "fixtures.h"
#include "minijson.h"
#include "output.h"
#include "utf8.h"
#include "pipeline.h"
#include "sink.h"

static struct rt_names names;
static struct output out;

static void setup(void)
{
	if (fixture_names(&names))
		abort();
	output_init(&out, true, open("/dev/null", O_WRONLY | O_CLOEXEC));
	/* What the offset looks like on a real host: CLOCK_REALTIME - CLOCK_BOOTTIME. */
	rt_clock_init_offset(&out.clock, FIXTURE_BOOT_TO_REAL);
}

/* One line, '\n' last and nowhere else, UTF-8 without control bytes, braces balanced, valid. */
static void check_json(const char *s, size_t len)
{
	int depth = 0, in_str = 0;
	size_t i;

	if (!len || s[len - 1] != '\n')
		abort();
	for (i = 0; i + 1 < len; i++) {
		unsigned char c = (unsigned char)s[i];
		uint32_t cp;
		size_t n = utf8_seq((const unsigned char *)s + i, len - 1 - i, &cp);

		if (c < 0x20 || c == 0x7f || !n)
			abort();
		if (n > 1) {
			i += n - 1;
			continue;
		}
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
			continue;
		}
		if (c == '"')
			in_str = 1;
		else if (c == '{')
			depth++;
		else if (c == '}' && --depth < 0)
			abort();
	}
	if (depth || in_str || mj_check(s, len - 1))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct rt_record r;
	struct rt_kevent e;

	if (!ready) {
		setup();
		ready = 1;
	}
	memset(&e, 0, sizeof(e));
	memcpy(&e, data, size < sizeof(e) ? size : sizeof(e));

	pipeline_build(&names, &e, e.ev.ts_ns, &r);
	sb_reset(&out.sb);
	sink_json_record(&out, &r);
	check_json(out.sb.buf, out.sb.len);

	/* Text lines end in a newline; their control bytes are the unit tests' business. */
	sb_reset(&out.sb);
	sink_text_record(&out, &r);
	if (!out.sb.len || out.sb.buf[out.sb.len - 1] != '\n')
		abort();
	return 0;
}
