/* SPDX-License-Identifier: GPL-2.0 */
/* Command line: parsing and validation, no side effects beyond stat(). */
#ifndef RSTTRACE_CLI_H
#define RSTTRACE_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "../include/rsttrace.h"

#define CLI_DEFAULT_FOLD_AFTER 3

/* cli_parse_netns(): the file exists but is no network namespace. */
#define ENOTNETNS 10001

struct cli_opts {
	bool json;
	bool wide; /* text: one line per event even on a terminal */
	bool verbose;
	bool raw_tp;	      /* force raw_tp instead of tp_btf programs */
	bool no_scan;	      /* skip the start-up scan of existing sockets */
	bool no_syn_detector; /* no consume_skb hook: no SYN-path/SYN-queue events */
	bool syn_always;      /* --syn-detector=always: not armed on pressure */
	uint32_t pid;	      /* 0 = any */
	uint16_t ports[RT_MAX_PORTS];
	uint32_t nr_ports;
	uint8_t family; /* 0, AF_INET or AF_INET6 */
	uint32_t netns; /* inode, 0 = any */
	uint32_t event_mask;
	uint64_t duration_ms; /* 0 = until interrupted */
	uint32_t ring_bytes;
	bool summary;		      /* print a summary at exit */
	uint64_t summary_interval_ms; /* and every so often, 0 = only at exit */
	bool every_event;	      /* never fold in the kernel */
	uint32_t fold_after;	      /* events of a storm streamed before folding */
	uint64_t bench_events;	      /* --bench-format N: time the formatters, no BPF */
	bool probe;		      /* --probe: print the hooks this kernel allows, exit */
	uint64_t cgroup_id;	      /* --cgroup: only sockets whose owner is in it, 0 = any */
	const char *metrics_addr;     /* --metrics ADDR:PORT, NULL = no metrics server */
	const char *ready_file;	      /* --ready-file PATH: exists while attached */
};

enum cli_status {
	CLI_RUN = 0,	 /* go on and trace */
	CLI_HELP = 1,	 /* --help asked for */
	CLI_VERSION = 2, /* --version asked for */
	CLI_ERROR = 3,	 /* err holds a one-line message */
};

enum cli_status cli_parse(int argc, char **argv, struct cli_opts *o, char *err, size_t errlen);
#include <stdio.h>
void cli_usage(FILE *f);

/* Individual value parsers, exposed for tests and fuzzing. */
int cli_parse_port(const char *s, uint16_t *port);
int cli_parse_pid(const char *s, uint32_t *pid);
int cli_parse_events(const char *s, uint32_t *mask);
int cli_parse_duration(const char *s, uint64_t *ms);
int cli_parse_netns(const char *s, uint32_t *inode);
int cli_parse_size(const char *s, uint32_t *bytes);

#endif
