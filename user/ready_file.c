// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ready_file.h"

int ready_file_check(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	struct stat st;
	size_t len;

	if (!*path || (slash && !slash[1]))
		return -EISDIR; /* empty, or names a directory */
	if (!slash)
		return 0; /* the working directory */
	len = slash == path ? 1 : (size_t)(slash - path);
	if (len >= sizeof(dir))
		return -ENAMETOOLONG;
	memcpy(dir, path, len);
	dir[len] = '\0';
	if (stat(dir, &st))
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

/*
 * Written beside it and renamed into place: a watcher that sees the file
 * sees the pid in it, never an empty file (the 6.12 guest's ready_file test
 * read one between open() and the write).
 */
int ready_file_create(const char *path)
{
	char tmp[PATH_MAX];
	int fd, len, err = 0;

	len = snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid());
	if (len < 0 || (size_t)len >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	/* The pid, so that a stale file can be told from a live one. */
	if (dprintf(fd, "%d\n", (int)getpid()) < 0)
		err = -EIO;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

void ready_file_remove(const char *path)
{
	unlink(path);
}
