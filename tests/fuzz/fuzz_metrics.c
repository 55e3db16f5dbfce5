// SPDX-License-Identifier: GPL-2.0
/*
 * The parsers of what comes from outside for metrics and containers: an
 * HTTP request head (from the network), a --metrics address, a cgroup path
 * (from the kernel, named by whoever made the cgroup). The first byte picks.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "cgroup_parse.h"
#include "metrics_http.h"

static void check_identity(const char *path, const struct cg_identity *id)
{
	size_t i;

	/* An id is 64 lower-case hex digits found in the path; a uid has its shape. */
	if (id->runtime && (strlen(id->container_id) != CG_CONTAINER_ID_LEN ||
			    !strstr(path, id->container_id)))
		abort();
	if (!id->runtime && id->container_id[0])
		abort();
	if (id->pod_uid[0]) {
		if (strlen(id->pod_uid) != CG_POD_UID_LEN)
			abort();
		for (i = 0; i < CG_POD_UID_LEN; i++)
			if ((i == 8 || i == 13 || i == 18 || i == 23) != (id->pod_uid[i] == '-'))
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_storage ss;
	struct cg_identity id;
	socklen_t len;
	bool head;
	char *text;

	if (!size)
		return 0;
	text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	switch (data[0] % 3) {
	case 0:
		if (metrics_http_route(text, &head) == METRICS_ROUTE_METRICS &&
		    !strstr(text, "/metrics"))
			abort();
		break;
	case 1:
		if (metrics_parse_addr(text, &ss, &len) == 0 &&
		    ss.ss_family != AF_INET && ss.ss_family != AF_INET6)
			abort();
		break;
	default:
		cgroup_parse(text, &id);
		check_identity(text, &id);
		break;
	}
	free(text);
	return 0;
}
