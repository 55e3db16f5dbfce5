/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RSTTRACE_PRIVS_H
#define RSTTRACE_PRIVS_H

/*
 * Once attached, rsttrace only reads the ring buffer and maps through file
 * descriptors it already holds, and /proc/PID/stat. Every capability is
 * dropped except CAP_BPF: kernels before 6.5 with unprivileged BPF disabled
 * still check it for map reads. 0 or -1 with errno.
 */
int drop_privileges(void);

#endif
