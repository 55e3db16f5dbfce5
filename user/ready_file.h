/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --ready-file PATH: a file that exists while rsttrace is attached, for
 * readiness probes (Kubernetes exec probe, systemd ExecStartPost= waits).
 */
#ifndef RSTTRACE_READY_FILE_H
#define RSTTRACE_READY_FILE_H

/* At parse time: 0, or -errno when the directory PATH would go in is missing. */
int ready_file_check(const char *path);
/* Right after "attached": 0 or -errno. */
int ready_file_create(const char *path);
/* At exit; a missing file is no error. */
void ready_file_remove(const char *path);

#endif
