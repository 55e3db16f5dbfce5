// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "mib_sweep.h"
#include "rsttrace.skel.h"

struct bpf_link *mib_sweep_attach(struct rsttrace_bpf *skel)
{
	if (!bpf_program__autoload(skel->progs.sweep_task_file)) {
		errno = EOPNOTSUPP;
		return NULL;
	}
	return bpf_program__attach_iter(skel->progs.sweep_task_file, NULL);
}

int mib_sweep_run(struct rsttrace_bpf *skel, struct bpf_link *link, unsigned int how)
{
	char buf[256];
	ssize_t n;
	int fd;

	if (!link)
		return -EOPNOTSUPP;
	/* Each run sweeps each netns once (bpf/sweep.bpf.c). */
	skel->bss->sweep_gen++;
	skel->bss->sweep_how = how;
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0)
		return -errno;
	/* The program writes nothing: reading to the end runs it over every file. */
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	close(fd);
	return n < 0 ? -errno : 0;
}
