// SPDX-License-Identifier: GPL-2.0
/* Paths as the runtimes really write them (from /proc/PID/cgroup of real hosts). */
#include "cgroup_parse.h"
#include "unit.h"

#define CID  "3f6b1c2d9e8a7f605142332415f6e7d8c9b0a1f2e3d4c5b6a798897a6b5c4d3e"
#define UID  "0b5e0f3a-7c1d-4e2f-9a8b-112233445566"
#define UIDU "0b5e0f3a_7c1d_4e2f_9a8b_112233445566"

static void expect(const char *path, const char *runtime, const char *cid, const char *uid)
{
	struct cg_identity id;
	bool found = cgroup_parse(path, &id);

	CHECK_INT(found, runtime || (uid && uid[0]));
	CHECK_STR(id.runtime, runtime);
	CHECK_STR(id.container_id, cid ? cid : "");
	CHECK_STR(id.pod_uid, uid ? uid : "");
}

static void test_cgroup_parse_docker(void)
{
	expect("/system.slice/docker-" CID ".scope", "docker", CID, NULL);
	expect("/docker/" CID, "docker", CID, NULL);
	/* The daemon itself is no container. */
	expect("/system.slice/docker.service", NULL, NULL, NULL);
}

static void test_cgroup_parse_kubernetes(void)
{
	/* containerd, systemd driver */
	expect("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UIDU
	       ".slice/cri-containerd-" CID ".scope",
	       "containerd", CID, UID);
	expect("/kubepods.slice/kubepods-pod" UIDU ".slice/cri-containerd-" CID ".scope",
	       "containerd", CID, UID);
	/* cri-o, systemd driver; its conmon is not the container */
	expect("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UIDU
	       ".slice/crio-" CID ".scope",
	       "cri-o", CID, UID);
	expect("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UIDU
	       ".slice/crio-conmon-" CID ".scope",
	       NULL, NULL, UID);
	/* cgroupfs driver */
	expect("/kubepods/besteffort/pod" UID "/" CID, "cri", CID, UID);
	expect("/kubepods/pod" UID "/" CID, "cri", CID, UID);
	expect("/kubepods/burstable/pod" UID "/crio-" CID, "cri-o", CID, UID);
	/* docker as the CRI runtime, systemd driver */
	expect("/kubepods.slice/kubepods-pod" UIDU ".slice/docker-" CID ".scope", "docker", CID,
	       UID);
	/* The pod's own slice, and the QoS slices above it. */
	expect("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UIDU ".slice",
	       NULL, NULL, UID);
	expect("/kubepods.slice/kubepods-burstable.slice", NULL, NULL, NULL);
	/* kind: a node in a docker container, the pod's container below it. */
	expect("/docker/" CID "/kubelet.slice/kubelet-kubepods.slice/"
	       "kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod" UIDU
	       ".slice/cri-containerd-"
	       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.scope",
	       "containerd", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	       UID);
}

static void test_cgroup_parse_podman(void)
{
	expect("/machine.slice/libpod-" CID ".scope", "podman", CID, NULL);
	expect("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" CID ".scope",
	       "podman", CID, NULL);
	expect("/machine.slice/libpod-conmon-" CID ".scope", NULL, NULL, NULL);
	expect("/libpod_parent/libpod-" CID, "podman", CID, NULL);
	/* podman's container gets a sub-cgroup when it runs systemd inside. */
	expect("/machine.slice/libpod-" CID ".scope/container", "podman", CID, NULL);
}

static void test_cgroup_parse_other(void)
{
	expect("/default/" CID, "oci", CID, NULL);
	expect("/", NULL, NULL, NULL);
	expect("", NULL, NULL, NULL);
	expect("/user.slice/user-0.slice/session-3.scope", NULL, NULL, NULL);
	expect("/system.slice/containerd.service", NULL, NULL, NULL);
	/* Almost ids: too short, upper case, not hex, a uid with a wrong shape. */
	expect("/docker/3f6b1c2d9e8a", NULL, NULL, NULL);
	expect("/docker/3F6B1C2D9E8A7F605142332415F6E7D8C9B0A1F2E3D4C5B6A798897A6B5C4D3E", NULL,
	       NULL, NULL);
	expect("/system.slice/docker-" CID "x.scope", NULL, NULL, NULL);
	expect("/kubepods/pod0b5e0f3a-7c1d-4e2f-9a8b/x", NULL, NULL, NULL);
	/* "pod" outside kubepods is a name like any other. */
	expect("/pod" UID, NULL, NULL, NULL);
	expect("//kubepods//pod" UID "//" CID "/", "cri", CID, UID);
}

void run_cgroup_parse_tests(void)
{
	RUN_TEST(test_cgroup_parse_docker);
	RUN_TEST(test_cgroup_parse_kubernetes);
	RUN_TEST(test_cgroup_parse_podman);
	RUN_TEST(test_cgroup_parse_other);
}
