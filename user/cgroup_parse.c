// SPDX-License-Identifier: GPL-2.0
/*
 * The shapes recognised, one path segment at a time (the last container
 * segment wins: kind and other nested setups put a node's cgroup above):
 *
 *   docker-<id>.scope              docker, systemd driver
 *   /docker/<id>                   docker, cgroupfs driver
 *   cri-containerd-<id>.scope      containerd CRI, systemd driver
 *   crio-<id>.scope, /crio-<id>    cri-o (crio-conmon-<id> is its monitor)
 *   libpod-<id>.scope, /libpod-<id> podman (libpod-conmon-<id> is its monitor)
 *   kubepods.../<id>               a CRI runtime under kubepods, cgroupfs driver ("cri")
 *   any other .../<id>             an OCI runtime by other hands ("oci"), e.g. runc
 *   pod<uid>, ...-pod<uid_with_underscores>.slice   the Kubernetes pod
 */
#define _GNU_SOURCE /* memmem */
#include <ctype.h>
#include <stddef.h>
#include <string.h>
#include "cgroup_parse.h"

static bool is_hex_id(const char *s, size_t len)
{
	size_t i;

	if (len != CG_CONTAINER_ID_LEN)
		return false;
	for (i = 0; i < len; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return false;
	return true;
}

/* "0b5e0f3a-...": systemd slices write the dashes as underscores. */
static bool take_uid(const char *s, size_t len, char *out)
{
	size_t i;

	if (len != CG_POD_UID_LEN)
		return false;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-' && c != '_')
				return false;
			c = '-';
		} else if (!isxdigit((unsigned char)c)) {
			return false;
		}
		out[i] = (char)tolower((unsigned char)c);
	}
	out[len] = '\0';
	return true;
}

static bool has_prefix(const char *s, size_t len, const char *prefix, size_t *plen)
{
	*plen = strlen(prefix);
	return len >= *plen && memcmp(s, prefix, *plen) == 0;
}

/* A pod segment: "pod<uid>" (cgroupfs) or "kubepods-<qos>-pod<uid>.slice" (systemd). */
static bool pod_segment(const char *s, size_t len, char *uid)
{
	const char *slice = ".slice";
	size_t sl = strlen(slice);
	size_t i;

	if (len > sl && memcmp(s + len - sl, slice, sl) == 0)
		len -= sl;
	for (i = 0; i + 3 <= len; i++)
		if (memcmp(s + i, "pod", 3) == 0 && (i == 0 || s[i - 1] == '-') &&
		    take_uid(s + i + 3, len - i - 3, uid))
			return true;
	return false;
}

struct shape {
	const char *prefix;
	const char *runtime;
};

/* Monitors (conmon) are matched first so that they are not taken for a container. */
static const struct shape scopes[] = {
    {"crio-conmon-", NULL}, {"libpod-conmon-", NULL},
    {"docker-", "docker"},  {"cri-containerd-", "containerd"},
    {"crio-", "cri-o"},	    {"libpod-", "podman"},
};

static const char *container_segment(const char *s, size_t len, const char *parent,
				     size_t parent_len, bool in_kubepods, char *cid)
{
	size_t i, plen;

	if (len > 6 && memcmp(s + len - 6, ".scope", 6) == 0)
		len -= 6;
	for (i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++) {
		if (!has_prefix(s, len, scopes[i].prefix, &plen))
			continue;
		if (!scopes[i].runtime || !is_hex_id(s + plen, len - plen))
			return NULL;
		memcpy(cid, s + plen, CG_CONTAINER_ID_LEN);
		cid[CG_CONTAINER_ID_LEN] = '\0';
		return scopes[i].runtime;
	}
	if (!is_hex_id(s, len))
		return NULL;
	memcpy(cid, s, CG_CONTAINER_ID_LEN);
	cid[CG_CONTAINER_ID_LEN] = '\0';
	if (parent_len == 6 && memcmp(parent, "docker", 6) == 0)
		return "docker";
	/* Under a pod with the cgroupfs driver containerd and cri-dockerd look alike. */
	if (in_kubepods)
		return "cri";
	/* runc by hand, containerd's own namespaces (/default/<id>), ... */
	return "oci";
}

bool cgroup_parse(const char *path, struct cg_identity *id)
{
	const char *seg = path, *parent = "", *end;
	size_t len, parent_len = 0;
	bool in_kubepods = false;
	char cid[CG_CONTAINER_ID_LEN + 1], uid[CG_POD_UID_LEN + 1];

	memset(id, 0, sizeof(*id));
	if (!path)
		return false;
	while (*seg) {
		const char *runtime;

		while (*seg == '/')
			seg++;
		end = strchr(seg, '/');
		len = end ? (size_t)(end - seg) : strlen(seg);
		if (!len)
			break;
		/* kubepods, kubepods.slice, kind's kubelet-kubepods.slice */
		if (memmem(seg, len, "kubepods", 8))
			in_kubepods = true;
		if (in_kubepods && pod_segment(seg, len, uid)) {
			memcpy(id->pod_uid, uid, sizeof(uid));
		} else {
			runtime = container_segment(seg, len, parent, parent_len, in_kubepods, cid);
			if (runtime) {
				id->runtime = runtime;
				memcpy(id->container_id, cid, sizeof(cid));
			}
		}
		parent = seg;
		parent_len = len;
		seg += len;
	}
	return id->runtime || id->pod_uid[0];
}
