// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include "node_identity.h"

static const char *env_or_null(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

const struct node_identity *node_identity(void)
{
	static struct node_identity id;
	static bool read;

	/* Single-threaded by then: sinks run on the event loop only. */
	if (!read) {
		id.name = env_or_null("RSTTRACE_NODE_NAME");
		id.pod = env_or_null("RSTTRACE_POD_NAME");
		id.namespace = env_or_null("RSTTRACE_POD_NAMESPACE");
		read = true;
	}
	return &id;
}

bool node_identity_known(const struct node_identity *id)
{
	return id->name || id->pod || id->namespace;
}

void node_identity_json(struct json_writer *jw)
{
	const struct node_identity *id = node_identity();

	if (!node_identity_known(id))
		return;
	jw_name(jw, "node");
	jw_start_object(jw);
	jw_string_field(jw, "name", id->name);
	jw_string_field(jw, "pod", id->pod);
	jw_string_field(jw, "namespace", id->namespace);
	jw_end_object(jw);
}
