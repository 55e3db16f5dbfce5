// SPDX-License-Identifier: GPL-2.0
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "procinfo.h"

#define CACHE_SLOTS  256
#define CACHE_TTL_NS 100000000ull /* 100 ms */

struct alive_slot {
	uint32_t tgid;
	uint64_t start_ns;
	uint64_t checked_ns;
	bool alive;
};

static struct alive_slot cache[CACHE_SLOTS];

int64_t procinfo_parse_starttime(const char *text)
{
	/* comm may hold spaces and ')': fields restart after the last ')'. */
	const char *p = strrchr(text, ')');
	int field = 2;
	char *end;
	long long v;

	if (!p)
		return -1;
	p++;
	while (*p && field < 22) {
		if (*p == ' ') {
			field++;
			while (*p == ' ')
				p++;
			continue;
		}
		p++;
	}
	if (field != 22 || *p < '0' || *p > '9')
		return -1;
	v = strtoll(p, &end, 10);
	if (*end != ' ' && *end != '\n' && *end != '\0')
		return -1;
	return v;
}

static bool check_proc(uint32_t tgid, uint64_t start_ns)
{
	long hz = sysconf(_SC_CLK_TCK);
	char path[64], buf[1024];
	int64_t ticks;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/stat", tgid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	ticks = procinfo_parse_starttime(buf);
	if (ticks < 0 || hz <= 0)
		return false;
	/* The kernel rounds start_boottime down to ticks for /proc. */
	return (uint64_t)ticks == start_ns / (1000000000ull / (uint64_t)hz);
}

bool procinfo_owner_alive(uint32_t tgid, uint64_t start_ns, uint64_t now_boot_ns)
{
	struct alive_slot *s = &cache[(tgid * 2654435761u) % CACHE_SLOTS];

	if (s->tgid == tgid && s->start_ns == start_ns &&
	    now_boot_ns - s->checked_ns < CACHE_TTL_NS)
		return s->alive;
	s->tgid = tgid;
	s->start_ns = start_ns;
	s->checked_ns = now_boot_ns;
	s->alive = check_proc(tgid, start_ns);
	return s->alive;
}
