// SPDX-License-Identifier: GPL-2.0
/* The SYN detector armed on pressure: when it is attached and detached. */
#include "syn_arm.h"
#include "unit.h"

#define S 1000000000ull

static void test_syn_arm_queue_then_quiet(void)
{
	struct syn_arm a = {0};

	/* Healthy: nothing counted, no queue at half: stays disarmed. */
	CHECK_INT(syn_arm_step(&a, false, 0, 1 * S), 0);
	CHECK(!a.armed);
	CHECK_INT(syn_arm_step(&a, true, 0, 2 * S), SYN_ARM_QUEUE);
	CHECK(a.armed);
	/* Already armed: pressure only moves the quiet period on. */
	CHECK_INT(syn_arm_step(&a, true, 0, 3 * S), 0);
	CHECK_INT(syn_arm_step(&a, false, 5, 4 * S), 0);
	CHECK_INT(syn_arm_step(&a, false, 5, 4 * S + SYN_ARM_QUIET_MS * 1000000ull - 1), 0);
	CHECK(a.armed);
	CHECK_INT(syn_arm_step(&a, false, 5, 4 * S + SYN_ARM_QUIET_MS * 1000000ull), SYN_ARM_QUIET);
	CHECK(!a.armed);
	CHECK_INT(syn_arm_step(&a, false, 5, 30 * S), 0);
}

static void test_syn_arm_counted(void)
{
	struct syn_arm a = {0};

	/* Overflows counted (an ACK-path event, or the sweep's unattributed). */
	CHECK_INT(syn_arm_step(&a, false, 3, 1 * S), SYN_ARM_COUNTED);
	CHECK_STR(syn_arm_why_name(SYN_ARM_COUNTED), "overflow_counted");
	CHECK_STR(syn_arm_why_name(SYN_ARM_QUEUE), "accept_queue");
	CHECK_STR(syn_arm_why_name(SYN_ARM_QUIET), "quiet");
}

void run_syn_arm_tests(void)
{
	RUN_TEST(test_syn_arm_queue_then_quiet);
	RUN_TEST(test_syn_arm_counted);
}
