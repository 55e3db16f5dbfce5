// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "json_writer.h"
#include "messages.h"
#include "strbuf.h"

void rt_warn(bool json, const char *level, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Progress lines stay plain: supervisors wait for "rsttrace: attached". */
	if (json && strcmp(level, "info")) {
		struct json_writer jw;
		struct strbuf sb;

		sb_init(&sb);
		jw_init(&jw, &sb);
		jw_start_object(&jw);
		jw_uint_field(&jw, "schema", RT_SCHEMA_VERSION);
		jw_string_field(&jw, "type", level);
		jw_string_field(&jw, "message", msg);
		jw_end_object(&jw);
		fprintf(stderr, "%s\n", sb.buf ? sb.buf : "");
		sb_free(&sb);
		return;
	}
	fprintf(stderr, "rsttrace: %s%s%s\n", strcmp(level, "info") ? level : "",
		strcmp(level, "info") ? ": " : "", msg);
}
