/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Container identity from a cgroup v2 path, as the common runtimes name
 * their cgroups: docker, containerd (CRI), cri-o, podman, plain runc, with
 * the systemd or the cgroupfs driver, and the Kubernetes pod UID. Pure
 * string work: no file is read here.
 */
#ifndef RSTTRACE_CGROUP_PARSE_H
#define RSTTRACE_CGROUP_PARSE_H

#include <stdbool.h>

#define CG_CONTAINER_ID_LEN 64 /* the runtimes' ids: 64 hex digits */
#define CG_POD_UID_LEN	    36 /* 8-4-4-4-12 */

struct cg_identity {
	/* "docker", "containerd", "cri-o", "podman", "cri", "oci"; NULL: no container */
	const char *runtime;
	char container_id[CG_CONTAINER_ID_LEN + 1];
	char pod_uid[CG_POD_UID_LEN + 1]; /* "" outside Kubernetes */
};

/* True when the path names a container or a pod; *id is filled either way. */
bool cgroup_parse(const char *path, struct cg_identity *id);

#endif
