// SPDX-License-Identifier: GPL-2.0
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include "fixtures.h"
#include "minijson.h"
#include "outcheck.h"
#include "unit.h"
#include "utf8.h"

static struct rt_names names;
struct pipeline outcheck_pl;

const struct rt_names *outcheck_names(void)
{
	return &names;
}

void outcheck_open(struct output *o, bool json)
{
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

	if (fixture_names(&names))
		unit_fail(__FILE__, __LINE__, "fixture_names failed");
	output_init(o, json, fd);
	pipeline_init(&outcheck_pl, &names, o, NULL);
	rt_clock_init_offset(&o->clock, FIXTURE_BOOT_TO_REAL);
}

void outcheck_close(struct output *o)
{
	close(o->fd);
	output_free(o);
	fixture_names_free(&names);
}

void outcheck_json_line(const char *file, int line, const char *s, size_t len)
{
	size_t i;

	if (!s || !len || s[len - 1] != '\n') {
		unit_fail_str(file, line, "line does not end in a newline", s, "");
		return;
	}
	for (i = 0; i + 1 < len; i++) {
		unsigned char c = (unsigned char)s[i];
		uint32_t cp;
		size_t n = utf8_seq((const unsigned char *)s + i, len - 1 - i, &cp);

		/* Valid UTF-8 without control bytes: what every JSON consumer reads. */
		if (c < 0x20 || c == 0x7f || !n) {
			unit_fail(file, line, "raw byte 0x%02x at offset %zu", c, i);
			return;
		}
		i += n - 1;
	}
	if (mj_check(s, len - 1))
		unit_fail_str(file, line, "not valid JSON", s, "");
}

void outcheck_keys(const char *file, int line, const char *json, const char *path, const char *keys)
{
	char want[64], full[128], val[1024];

	while (*keys) {
		size_t n = strcspn(keys, ",");

		snprintf(want, sizeof(want), "%.*s", (int)n, keys);
		snprintf(full, sizeof(full), "%s%s%s", path, *path ? "." : "", want);
		if (mj_get(json, full, val, sizeof(val)) < 0) {
			if (mj_get(json, "type", val, sizeof(val)) < 0)
				snprintf(val, sizeof(val), "?");
			unit_fail(file, line, "missing key \"%s\" in a %s line", full, val);
		}
		keys += n;
		if (*keys == ',')
			keys++;
	}
}

void outcheck_field(const char *file, int line, const char *json, const char *path,
		    const char *want)
{
	char val[1024];

	if (mj_get(json, path, val, sizeof(val)) < 0) {
		unit_fail(file, line, "missing key \"%s\"", path);
		return;
	}
	if (strcmp(val, want))
		unit_fail_str(file, line, path, val, want);
}

const char *outcheck_nth_line(const char *s, int n)
{
	static char buf[1024];
	size_t len;

	while (s && n--) {
		s = strchr(s, '\n');
		if (s)
			s++;
	}
	if (!s || !*s)
		return NULL;
	len = strcspn(s, "\n");
	snprintf(buf, sizeof(buf), "%.*s", (int)len, s);
	return buf;
}
