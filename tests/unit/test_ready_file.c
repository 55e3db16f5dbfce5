// SPDX-License-Identifier: GPL-2.0
/* The ready file: whole or absent, never seen empty; nothing left beside it. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "unit.h"
#include "../../user/ready_file.h"

static int entries(const char *dir)
{
	struct dirent *d;
	DIR *dp = opendir(dir);
	int n = 0;

	if (!dp)
		return -1;
	while ((d = readdir(dp)))
		if (strcmp(d->d_name, ".") && strcmp(d->d_name, ".."))
			n++;
	closedir(dp);
	return n;
}

static void test_ready_file_holds_pid(void)
{
	char dir[] = "/tmp/rt-unit-ready.XXXXXX", path[64], buf[32] = "";
	FILE *f;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/ready", dir);
	CHECK_INT(ready_file_create(path), 0);
	f = fopen(path, "r");
	CHECK(f != NULL);
	if (f) {
		CHECK(fgets(buf, sizeof(buf), f) != NULL);
		fclose(f);
	}
	CHECK_INT(atoi(buf), getpid());
	/* Renamed into place: no temporary file stays beside it. */
	CHECK_INT(entries(dir), 1);
	/* A second start replaces it whole. */
	CHECK_INT(ready_file_create(path), 0);
	CHECK_INT(entries(dir), 1);
	ready_file_remove(path);
	CHECK_INT(entries(dir), 0);
	rmdir(dir);
}

static void test_ready_file_errors(void)
{
	char dir[] = "/tmp/rt-unit-ready.XXXXXX", path[64];

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/nodir/ready", dir);
	CHECK(ready_file_create(path) < 0);
	CHECK_INT(entries(dir), 0);
	rmdir(dir);
}

void run_ready_file_tests(void)
{
	RUN_TEST(test_ready_file_holds_pid);
	RUN_TEST(test_ready_file_errors);
}
