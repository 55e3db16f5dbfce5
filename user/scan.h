/* SPDX-License-Identifier: GPL-2.0 */
/* Start-up scan: owners and listeners of the sockets that already exist. */
#ifndef RSTTRACE_SCAN_H
#define RSTTRACE_SCAN_H

#include <stdint.h>

struct rsttrace_bpf;

struct scan_result {
	uint64_t sockets; /* distinct TCP sockets held by a process */
	uint64_t listeners;
	uint64_t processes; /* distinct processes holding at least one */
	uint64_t netns;	    /* distinct network namespaces */
	uint64_t elapsed_us;
};

/* Runs the task_file iterator once. 0 or -errno. */
int scan_existing_sockets(struct rsttrace_bpf *skel, struct scan_result *r);

#endif
