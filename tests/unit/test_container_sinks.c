// SPDX-License-Identifier: GPL-2.0
/* The owner's cgroup and container as the sinks show them (schema 2 additions). */
#include <stdio.h>
#include "cgroup_parse.h"
#include "fixtures.h"
#include "outcheck.h"
#include "unit.h"

#define CID "3f6b1c2d9e8a7f605142332415f6e7d8c9b0a1f2e3d4c5b6a798897a6b5c4d3e"
#define UID "0b5e0f3a-7c1d-4e2f-9a8b-112233445566"

static struct output out;

static void record_in(struct rt_record *r, const char *path)
{
	struct rt_kevent e;

	fixture_ev_received(&e);
	pipeline_build(outcheck_names(), &e, 0, r);
	r->owner_cg.known = path != NULL;
	if (path) {
		snprintf(r->owner_cg.path, sizeof(r->owner_cg.path), "%s", path);
		cgroup_parse(path, &r->owner_cg.ident);
	}
}

static void test_json_container(void)
{
	struct rt_record r;

	outcheck_open(&out, true);
	record_in(&r, "/kubepods/besteffort/pod" UID "/" CID);
	sink_json_record(&out, &r);
	CHECK_JSON_LINE(out.sb.buf, out.sb.len);
	CHECK_FIELD(out.sb.buf, "owner.cgroup", "\"/kubepods/besteffort/pod" UID "/" CID "\"");
	CHECK_FIELD(out.sb.buf, "owner.container.id", "\"" CID "\"");
	CHECK_FIELD(out.sb.buf, "owner.container.runtime", "\"cri\"");
	CHECK_FIELD(out.sb.buf, "owner.container.pod_uid", "\"" UID "\"");
	sb_reset(&out.sb);
	/* A pod's own cgroup: a pod, no container. */
	record_in(&r, "/kubepods/besteffort/pod" UID);
	sink_json_record(&out, &r);
	CHECK_FIELD(out.sb.buf, "owner.container.id", "null");
	CHECK_FIELD(out.sb.buf, "owner.container.runtime", "null");
	CHECK_FIELD(out.sb.buf, "owner.container.pod_uid", "\"" UID "\"");
	sb_reset(&out.sb);
	/* No container: the path alone. */
	record_in(&r, "/system.slice/nginx.service");
	sink_json_record(&out, &r);
	CHECK_FIELD(out.sb.buf, "owner.cgroup", "\"/system.slice/nginx.service\"");
	CHECK_FIELD(out.sb.buf, "owner.container", "null");
	sb_reset(&out.sb);
	/* Not resolved (yet): both null, every key still there. */
	record_in(&r, NULL);
	sink_json_record(&out, &r);
	CHECK_FIELD(out.sb.buf, "owner.cgroup", "null");
	CHECK_FIELD(out.sb.buf, "owner.container", "null");
	outcheck_close(&out);
}

static void test_text_container(void)
{
	struct rt_record r;

	outcheck_open(&out, false);
	out.header_done = true;
	record_in(&r, "/system.slice/docker-" CID ".scope");
	sink_text_record(&out, &r);
	CHECK_CONTAINS(out.sb.buf, " [container docker:3f6b1c2d9e8a]\n");
	sb_reset(&out.sb);
	record_in(&r, "/kubepods.slice/kubepods-pod0b5e0f3a_7c1d_4e2f_9a8b_112233445566.slice/"
		      "cri-containerd-" CID ".scope");
	sink_text_record(&out, &r);
	CHECK_CONTAINS(out.sb.buf, " [container containerd:3f6b1c2d9e8a pod " UID "]\n");
	sb_reset(&out.sb);
	record_in(&r, "/system.slice/nginx.service");
	sink_text_record(&out, &r);
	CHECK_CONTAINS(out.sb.buf, " [cgroup /system.slice/nginx.service]\n");
	sb_reset(&out.sb);
	/* The root cgroup and an unknown one add nothing. */
	record_in(&r, "/");
	sink_text_record(&out, &r);
	CHECK(!strchr(out.sb.buf, '['));
	sb_reset(&out.sb);
	record_in(&r, NULL);
	sink_text_record(&out, &r);
	CHECK(!strchr(out.sb.buf, '['));
	outcheck_close(&out);
}

void run_container_sinks_tests(void)
{
	RUN_TEST(test_json_container);
	RUN_TEST(test_text_container);
}
