// SPDX-License-Identifier: GPL-2.0
#include "syn_arm.h"

int syn_arm_step(struct syn_arm *a, bool queue, uint64_t overflows, uint64_t now_ns)
{
	bool counted = overflows > a->overflows;
	int why = queue ? SYN_ARM_QUEUE : counted ? SYN_ARM_COUNTED : 0;

	a->overflows = overflows;
	if (why) {
		a->last_pressure_ns = now_ns;
		if (a->armed)
			return 0;
		a->armed = true;
		return why;
	}
	if (a->armed && now_ns - a->last_pressure_ns >= SYN_ARM_QUIET_MS * 1000000ull) {
		a->armed = false;
		return SYN_ARM_QUIET;
	}
	return 0;
}

const char *syn_arm_why_name(int why)
{
	switch (why) {
	case SYN_ARM_QUEUE:
		return "accept_queue";
	case SYN_ARM_COUNTED:
		return "overflow_counted";
	case SYN_ARM_QUIET:
		return "quiet";
	}
	return "?";
}
