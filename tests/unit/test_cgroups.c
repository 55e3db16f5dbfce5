// SPDX-License-Identifier: GPL-2.0
/*
 * The resolver thread against the real cgroup v2 tree: cgroups made after
 * it started are learnt (inotify, mkdir -p included), an unknown id costs
 * one walk and is then not searched again for a while. Skipped without
 * cgroup v2 or without the right to make a cgroup (not root).
 */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "cgroups.h"
#include "unit.h"

#define CID "3f6b1c2d9e8a7f605142332415f6e7d8c9b0a1f2e3d4c5b6a798897a6b5c4d3e"
#define UID "0b5e0f3a-7c1d-4e2f-9a8b-112233445566"

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

/* Polls the cache (as the event loop would) for up to 2 s. */
static bool learnt(uint64_t id, struct cg_info *info)
{
	int i;

	for (i = 0; i < 200; i++) {
		if (cgroups_lookup(id, info))
			return true;
		sleep_ms(10);
	}
	return false;
}

static void test_cgroups_resolver(void)
{
	const char *mount = cgroups_v2_mount();
	char top[256], deep[512], rel[512];
	struct cg_stats before, after;
	struct cg_info info;
	uint64_t id = 0;

	if (!mount || cgroups_start())
		return;
	snprintf(top, sizeof(top), "%s/rtt-unit-%d", mount, (int)getpid());
	if (mkdir(top, 0755)) {
		cgroups_stop();
		return;
	}
	CHECK_INT(cgroups_id_of(top, &id), 0);
	CHECK(learnt(id, &info));
	CHECK_STR(info.path, top + strlen(mount));
	CHECK(info.ident.runtime == NULL);
	/* mkdir -p: the levels below appear before any watch on them. */
	snprintf(deep, sizeof(deep), "%s/kubepods", top);
	CHECK_INT(mkdir(deep, 0755), 0);
	snprintf(deep, sizeof(deep), "%s/kubepods/pod" UID, top);
	CHECK_INT(mkdir(deep, 0755), 0);
	snprintf(deep, sizeof(deep), "%s/kubepods/pod" UID "/" CID, top);
	CHECK_INT(mkdir(deep, 0755), 0);
	CHECK_INT(cgroups_id_of(deep, &id), 0);
	CHECK(learnt(id, &info));
	snprintf(rel, sizeof(rel), "/rtt-unit-%d/kubepods/pod" UID "/" CID, (int)getpid());
	CHECK_STR(info.path, rel);
	CHECK_STR(info.ident.runtime, "cri");
	CHECK_STR(info.ident.container_id, CID);
	CHECK_STR(info.ident.pod_uid, UID);
	/* The same by a path relative to the mount, as --cgroup takes it. */
	CHECK_INT(cgroups_id_of(rel, &after.entries), 0);
	CHECK_U64(after.entries, id);
	CHECK_INT(cgroups_id_of("/no/such/cgroup", &after.entries), -ENOENT);
	/* An id nobody has: one walk, then remembered as unknown. */
	cgroups_stats(&before);
	CHECK(!cgroups_lookup(1ull << 60, &info));
	CHECK(!info.known);
	sleep_ms(400);
	cgroups_stats(&after);
	CHECK_U64(after.walks, before.walks + 1);
	CHECK_U64(after.misses, before.misses + 1);
	CHECK(!cgroups_lookup(1ull << 60, &info));
	sleep_ms(300);
	cgroups_stats(&after);
	CHECK_U64(after.walks, before.walks + 1);
	rmdir(deep);
	snprintf(deep, sizeof(deep), "%s/kubepods/pod" UID, top);
	rmdir(deep);
	snprintf(deep, sizeof(deep), "%s/kubepods", top);
	rmdir(deep);
	CHECK_INT(rmdir(top), 0);
	cgroups_stop();
	/* Stopped: every lookup misses, nothing is asked. */
	CHECK(!cgroups_lookup(id, &info));
}

void run_cgroups_tests(void)
{
	RUN_TEST(test_cgroups_resolver);
}
