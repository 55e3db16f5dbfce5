// SPDX-License-Identifier: GPL-2.0
/* The one definition of the shared maps and globals (see maps.bpf.h). */
#define RT_DEFINE_SHARED
#include "common.bpf.h"

char LICENSE[] SEC("license") = "GPL";
