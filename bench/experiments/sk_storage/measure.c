// SPDX-License-Identifier: GPL-2.0
/*
 * Attaches both variants of socket_state.bpf.c for SECONDS, then prints
 * what each spent: bpf_stats per program run, and the map work timed
 * inside the programs per entry created and per entry updated.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "socket_state.skel.h"

static double per(__u64 ns, __u64 n)
{
	return n ? (double)ns / n : 0.0;
}

static void print_runs(const struct bpf_program *prog)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len)) {
		perror("bpf_obj_get_info_by_fd");
		return;
	}
	printf("program %-14s runs %9llu  ns/run %6.1f\n", bpf_program__name(prog),
	       (unsigned long long)info.run_cnt, per(info.run_time_ns, info.run_cnt));
}

int main(int argc, char **argv)
{
	int seconds = argc > 1 ? atoi(argv[1]) : 5;
	struct socket_state_bpf *skel;
	struct bpf_program *prog;

	if (seconds <= 0) {
		fprintf(stderr, "usage: measure SECONDS\n");
		return 2;
	}
	skel = socket_state_bpf__open_and_load();
	if (!skel || socket_state_bpf__attach(skel)) {
		fprintf(stderr, "measure: cannot load or attach socket_state.bpf.o\n");
		return 1;
	}
	printf("attached\n");
	fflush(stdout);
	sleep(seconds);
	bpf_object__for_each_program (prog, skel->obj)
		print_runs(prog);
	printf("hash  create %6.1f ns (%llu)  update %6.1f ns (%llu)  misses %llu\n",
	       per(skel->bss->hash_create_ns, skel->bss->hash_creates),
	       (unsigned long long)skel->bss->hash_creates,
	       per(skel->bss->hash_update_ns, skel->bss->hash_updates),
	       (unsigned long long)skel->bss->hash_updates,
	       (unsigned long long)skel->bss->hash_misses);
	printf("local create %6.1f ns (%llu)  update %6.1f ns (%llu)  misses %llu\n",
	       per(skel->bss->local_create_ns, skel->bss->local_creates),
	       (unsigned long long)skel->bss->local_creates,
	       per(skel->bss->local_update_ns, skel->bss->local_updates),
	       (unsigned long long)skel->bss->local_updates,
	       (unsigned long long)skel->bss->local_misses);
	socket_state_bpf__destroy(skel);
	return 0;
}
