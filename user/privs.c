// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>
#include "privs.h"

int drop_privileges(void)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2] = {};
	int cap;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	/* The bounding set first: nothing dropped can come back through exec. */
	for (cap = 0; cap <= CAP_LAST_CAP; cap++)
		if (cap != CAP_BPF && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) && errno != EINVAL)
			return -1;
	data[CAP_BPF / 32].effective = 1u << (CAP_BPF % 32);
	data[CAP_BPF / 32].permitted = 1u << (CAP_BPF % 32);
	return (int)syscall(SYS_capset, &hdr, data);
}
