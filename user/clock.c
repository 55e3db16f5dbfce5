// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "clock.h"

#define NSEC_PER_SEC 1000000000LL

static int64_t now_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

void rt_clock_init_offset(struct rt_clock *c, int64_t boot_to_real_ns)
{
	memset(c, 0, sizeof(*c));
	c->boot_to_real_ns = boot_to_real_ns;
}

void rt_clock_init(struct rt_clock *c)
{
	/* Bracket the realtime read to halve the error of the two reads. */
	int64_t b1 = now_ns(CLOCK_BOOTTIME);
	int64_t r = now_ns(CLOCK_REALTIME);
	int64_t b2 = now_ns(CLOCK_BOOTTIME);

	rt_clock_init_offset(c, r - (b1 + (b2 - b1) / 2));
}

uint64_t rt_clock_boot_now_ns(void)
{
	return (uint64_t)now_ns(CLOCK_BOOTTIME);
}

static const char *prefix_for(struct rt_clock *c, int64_t sec)
{
	time_t t = (time_t)sec;
	struct tm tm;

	if (!c->cached || sec != c->cached_sec) {
		if (!gmtime_r(&t, &tm) ||
		    !strftime(c->cached_prefix, sizeof(c->cached_prefix), "%Y-%m-%dT%H:%M:%S", &tm))
			snprintf(c->cached_prefix, sizeof(c->cached_prefix), "0000-00-00T00:00:00");
		c->cached_sec = sec;
		c->cached = 1;
	}
	return c->cached_prefix;
}

static void split(struct rt_clock *c, uint64_t boot_ns, int64_t *sec, long *nsec)
{
	int64_t real;

	/* A garbage stamp must print as a garbage time, not overflow. */
	if (boot_ns > INT64_MAX ||
	    __builtin_add_overflow((int64_t)boot_ns, c->boot_to_real_ns, &real))
		real = INT64_MAX;

	*sec = real / NSEC_PER_SEC;
	*nsec = (long)(real % NSEC_PER_SEC);
	if (*nsec < 0) {
		*nsec += NSEC_PER_SEC;
		(*sec)--;
	}
}

void rt_clock_rfc3339(struct rt_clock *c, uint64_t boot_ns, char *buf, size_t len)
{
	const char *prefix;
	size_t plen;
	int64_t sec;
	long nsec;
	int i;

	split(c, boot_ns, &sec, &nsec);
	prefix = prefix_for(c, sec);
	plen = strlen(prefix);
	/* Every event has a timestamp: digits by hand, not printf. */
	if (len < plen + 12) {
		snprintf(buf, len, "%s", prefix);
		return;
	}
	memcpy(buf, prefix, plen);
	buf[plen] = '.';
	for (i = 9; i >= 1; i--) {
		buf[plen + i] = (char)('0' + nsec % 10);
		nsec /= 10;
	}
	buf[plen + 10] = 'Z';
	buf[plen + 11] = '\0';
}

void rt_clock_short(struct rt_clock *c, uint64_t boot_ns, char *buf, size_t len)
{
	int64_t sec;
	long nsec;

	split(c, boot_ns, &sec, &nsec);
	snprintf(buf, len, "%s.%06ld", prefix_for(c, sec) + 11, nsec / 1000);
}
