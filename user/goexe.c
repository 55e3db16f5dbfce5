// SPDX-License-Identifier: GPL-2.0
/*
 * Go programs carry a .go.buildinfo section (the linker writes it for
 * `go version -m`): the cheapest sure sign. Read once per process, only for
 * the owners of listeners that overflowed.
 */
#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "goexe.h"

#define GO_SECTION   ".go.buildinfo"
#define MAX_SECTIONS 256
#define GOEXE_CACHE  16

static bool read_at(int fd, void *buf, size_t len, off_t off)
{
	return pread(fd, buf, len, off) == (ssize_t)len;
}

bool goexe_elf_is_go(int fd)
{
	Elf64_Shdr sh[MAX_SECTIONS], *strs;
	char names[4096];
	Elf64_Ehdr eh;
	size_t n, i;

	if (!read_at(fd, &eh, sizeof(eh), 0) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_shentsize != sizeof(Elf64_Shdr) ||
	    eh.e_shnum == 0 || eh.e_shnum > MAX_SECTIONS || eh.e_shstrndx >= eh.e_shnum)
		return false;
	n = eh.e_shnum;
	if (!read_at(fd, sh, n * sizeof(sh[0]), (off_t)eh.e_shoff))
		return false;
	strs = &sh[eh.e_shstrndx];
	if (strs->sh_size == 0)
		return false;
	n = strs->sh_size < sizeof(names) ? strs->sh_size : sizeof(names);
	if (!read_at(fd, names, n, (off_t)strs->sh_offset))
		return false;
	names[n - 1] = '\0';
	for (i = 0; i < eh.e_shnum; i++)
		if (sh[i].sh_name + sizeof(GO_SECTION) <= n &&
		    memcmp(names + sh[i].sh_name, GO_SECTION, sizeof(GO_SECTION)) == 0)
			return true;
	return false;
}

static int open_argv0(uint32_t tgid)
{
	char path[32], argv0[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/cmdline", tgid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, argv0, sizeof(argv0) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	argv0[n] = '\0';
	if (argv0[0] != '/')
		return -1;
	return open(argv0, O_RDONLY | O_CLOEXEC);
}

struct goexe_seen {
	uint32_t tgid;
	uint64_t start_ns;
	bool go;
};

bool goexe_is_go(uint32_t tgid, uint64_t start_ns)
{
	static struct goexe_seen seen[GOEXE_CACHE];
	static unsigned int next;
	char path[32];
	unsigned int i;
	bool go;
	int fd;

	if (!tgid)
		return false;
	for (i = 0; i < GOEXE_CACHE; i++)
		/* start_ns 0 (the summary does not know it): any answer for the pid. */
		if (seen[i].tgid == tgid && (seen[i].start_ns == start_ns || !start_ns))
			return seen[i].go;
	snprintf(path, sizeof(path), "/proc/%u/exe", tgid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	/*
	 * After the start-up rsttrace keeps CAP_BPF alone, and /proc/PID/exe
	 * wants ptrace access to a process with more: the program it was
	 * started as (an absolute argv[0]) is the next best, in our mount ns.
	 */
	if (fd < 0)
		fd = open_argv0(tgid);
	go = fd >= 0 && goexe_elf_is_go(fd);
	if (fd >= 0)
		close(fd);
	seen[next % GOEXE_CACHE] = (struct goexe_seen){tgid, start_ns, go};
	next++;
	return go;
}
