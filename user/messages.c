// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "json_writer.h"
#include "node_identity.h"
#include "messages.h"
#include "output.h"
#include "strbuf.h"

#define CONT_INDENT 4

/*
 * On a terminal a long message is wrapped between words at its width, the
 * continuation lines indented, so that it reads like the text records do;
 * anything else gets one line per message, for grep and supervisors.
 */
static void print_wrapped(FILE *f, const char *line, size_t width)
{
	size_t col = 0;
	bool line_start = true;
	const char *p = line;

	while (*p) {
		size_t len = strcspn(p, " ");

		if (!line_start && col + 1 + len > width) {
			fprintf(f, "\n%*s", CONT_INDENT, "");
			col = CONT_INDENT;
			line_start = true;
		}
		if (!line_start) {
			fputc(' ', f);
			col++;
		}
		fwrite(p, 1, len, f);
		col += len;
		line_start = false;
		p += len;
		while (*p == ' ')
			p++;
	}
	fputc('\n', f);
}

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
		node_identity_json(&jw);
		jw_string_field(&jw, "message", msg);
		jw_end_object(&jw);
		fprintf(stderr, "%s\n", sb.buf ? sb.buf : "");
		sb_free(&sb);
		return;
	}
	{
		char line[600];
		size_t width = output_terminal_width(2);

		snprintf(line, sizeof(line), "rsttrace: %s%s%s", strcmp(level, "info") ? level : "",
			 strcmp(level, "info") ? ": " : "", msg);
		if (width)
			print_wrapped(stderr, line, width);
		else
			fprintf(stderr, "%s\n", line);
	}
}
