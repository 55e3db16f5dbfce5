// SPDX-License-Identifier: GPL-2.0
/*
 * Read here rather than with a __kconfig extern in BPF: libbpf refuses to
 * load the whole object when the configuration cannot be found (seen in a
 * guest without /boot), and only client timings need it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <zlib.h>
#include "kconfig.h"

static unsigned int hz_from(const char *path)
{
	gzFile f = gzopen(path, "r"); /* plain files are read as they are */
	char line[256];
	unsigned int hz = 0;

	if (!f)
		return 0;
	while (gzgets(f, line, sizeof(line)))
		if (!strncmp(line, "CONFIG_HZ=", 10)) {
			hz = (unsigned int)strtoul(line + 10, NULL, 10);
			break;
		}
	gzclose(f);
	return hz;
}

unsigned int kconfig_hz(void)
{
	struct utsname u;
	char path[128 + sizeof(u.release)];
	unsigned int hz = 0;

	if (uname(&u) == 0) {
		snprintf(path, sizeof(path), "/boot/config-%s", u.release);
		hz = hz_from(path);
	}
	return hz ? hz : hz_from("/proc/config.gz");
}
