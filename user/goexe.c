// SPDX-License-Identifier: GPL-2.0
/*
 * Go programs carry a .go.buildinfo section (the linker writes it for
 * `go version -m`): the cheapest sure sign. Read once per process, only for
 * the owners of listeners that overflowed.
 */
#include <elf.h>
#include <fcntl.h>
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
		if (seen[i].tgid == tgid && seen[i].start_ns == start_ns)
			return seen[i].go;
	snprintf(path, sizeof(path), "/proc/%u/exe", tgid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	go = fd >= 0 && goexe_elf_is_go(fd);
	if (fd >= 0)
		close(fd);
	seen[next % GOEXE_CACHE] = (struct goexe_seen){tgid, start_ns, go};
	next++;
	return go;
}
