/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Deployment metadata: the node and pod rsttrace runs as, from the environment
 * (RSTTRACE_NODE_NAME, RSTTRACE_POD_NAME, RSTTRACE_POD_NAMESPACE; a Kubernetes
 * DaemonSet sets them from the downward API), so that records shipped from many
 * nodes say where they come from.
 */
#ifndef RSTTRACE_NODE_IDENTITY_H
#define RSTTRACE_NODE_IDENTITY_H

#include <stdbool.h>
#include "json_writer.h"

struct node_identity {
	const char *name;      /* RSTTRACE_NODE_NAME, NULL when unset or empty */
	const char *pod;       /* RSTTRACE_POD_NAME */
	const char *namespace; /* RSTTRACE_POD_NAMESPACE */
};

/* Read once, at start-up: the strings point into the environment. */
const struct node_identity *node_identity(void);
/* True when at least one of the variables is set. */
bool node_identity_known(const struct node_identity *id);
/*
 * Every JSON record's "node" object, right after "time", only when one of the
 * variables is set (schema 2 addition, docs/schema.md).
 */
void node_identity_json(struct json_writer *jw);

#endif
