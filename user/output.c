// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "clock.h"
#include "output.h"

#define OUTPUT_KEEP_BYTES (1u << 20)

void output_init(struct output *o, bool json, int fd)
{
	memset(o, 0, sizeof(*o));
	o->json = json;
	o->fd = fd;
	sb_init(&o->sb);
	rt_clock_init(&o->clock);
}

size_t output_terminal_width(int fd)
{
	struct winsize ws;
	const char *env;
	long cols = 0;

	if (!isatty(fd))
		return 0;
	if (ioctl(fd, TIOCGWINSZ, &ws) == 0)
		cols = ws.ws_col;
	env = getenv("COLUMNS");
	if (!cols && env)
		cols = strtol(env, NULL, 10);
	if (cols <= 0)
		cols = 80;
	/* Narrower than this, nothing is readable anyway: wrap at 40. */
	return cols < 40 ? 40 : (size_t)cols;
}

void output_free(struct output *o)
{
	sb_free(&o->sb);
}

/*
 * Once rsttrace is stopping, a reader that stopped reading must not keep it
 * alive: wait for the fd to take data only until the deadline, and write
 * without blocking (O_NONBLOCK, restored after, since a terminal's file
 * description is shared with the shell).
 */
static ssize_t write_bounded(struct output *o, const char *buf, size_t len)
{
	struct pollfd pfd = {.fd = o->fd, .events = POLLOUT};
	uint64_t now = rt_clock_boot_now_ns();
	int flags, timeout_ms;
	ssize_t n;

	if (!o->give_up_at_ns)
		o->give_up_at_ns = now + OUTPUT_GIVE_UP_MS * 1000000ull;
	if (now >= o->give_up_at_ns) {
		errno = ETIMEDOUT;
		return -1;
	}
	timeout_ms = (int)((o->give_up_at_ns - now) / 1000000) + 1;
	if (poll(&pfd, 1, timeout_ms) <= 0 || !(pfd.revents & (POLLOUT | POLLERR | POLLHUP))) {
		errno = ETIMEDOUT;
		return -1;
	}
	flags = fcntl(o->fd, F_GETFL);
	if (flags >= 0 && !(flags & O_NONBLOCK))
		fcntl(o->fd, F_SETFL, flags | O_NONBLOCK);
	n = write(o->fd, buf, len);
	if (flags >= 0 && !(flags & O_NONBLOCK)) {
		int saved = errno;

		fcntl(o->fd, F_SETFL, flags);
		errno = saved;
	}
	if (n < 0 && errno == EAGAIN)
		n = 0;
	return n;
}

int output_flush(struct output *o)
{
	size_t off = 0;

	if (o->closed) {
		sb_reset(&o->sb);
		return -EPIPE;
	}
	while (off < o->sb.len) {
		bool stopping = o->stopping && *o->stopping;
		ssize_t n = stopping ? write_bounded(o, o->sb.buf + off, o->sb.len - off)
				     : write(o->fd, o->sb.buf + off, o->sb.len - off);

		if (n < 0) {
			int err = errno;

			/* A signal interrupts a blocked write: see whether it says stop. */
			if (err == EINTR)
				continue;
			/* EPIPE: the reader went away; ETIMEDOUT: it stalled while we stop. */
			if (err == EPIPE || err == ETIMEDOUT)
				o->closed = true;
			sb_reset(&o->sb);
			return -err;
		}
		off += (size_t)n;
	}
	sb_reset(&o->sb);
	/* A summary or a burst may have grown it: give the memory back. */
	if (o->sb.cap > OUTPUT_KEEP_BYTES)
		sb_free(&o->sb);
	return 0;
}
