/* SPDX-License-Identifier: GPL-2.0 */
/* Is a process a Go program? Go's listeners take net.core.somaxconn as their backlog. */
#ifndef RSTTRACE_GOEXE_H
#define RSTTRACE_GOEXE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True when an ELF image (its first bytes and section table) has a .go.buildinfo section. */
bool goexe_elf_is_go(int fd);
/* The same for /proc/PID/exe, remembered per pid and start time (0: any). */
bool goexe_is_go(uint32_t tgid, uint64_t start_ns);

#endif
