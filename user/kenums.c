// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include "kenums.h"

/* Enum values above this are not indexes but flags; none of ours has them. */
#define KENUM_MAX_VALUE 4096

int kenum_load(struct kenum *ke, const struct btf *btf, const char *enum_name, const char *prefix)
{
	size_t plen = strlen(prefix);
	const struct btf_enum *ev;
	const struct btf_type *t;
	uint32_t i, nr = 0;
	int id;

	memset(ke, 0, sizeof(*ke));
	id = btf__find_by_name_kind(btf, enum_name, BTF_KIND_ENUM);
	if (id < 0)
		return -ENOENT;
	t = btf__type_by_id(btf, id);
	ev = btf_enum(t);
	for (i = 0; i < btf_vlen(t); i++)
		if (ev[i].val >= 0 && ev[i].val < KENUM_MAX_VALUE && (uint32_t)ev[i].val >= nr)
			nr = (uint32_t)ev[i].val + 1;
	ke->names = calloc(nr ? nr : 1, sizeof(*ke->names));
	if (!ke->names)
		return -ENOMEM;
	ke->nr = nr;
	for (i = 0; i < btf_vlen(t); i++) {
		const char *name = btf__name_by_offset(btf, ev[i].name_off);

		if (ev[i].val < 0 || ev[i].val >= KENUM_MAX_VALUE || !name)
			continue;
		if (strncmp(name, prefix, plen) == 0)
			name += plen;
		/* Aliases share a value; the first name is the canonical one. */
		if (!ke->names[ev[i].val])
			ke->names[ev[i].val] = strdup(name);
	}
	return 0;
}

void kenum_free(struct kenum *ke)
{
	uint32_t i;

	for (i = 0; i < ke->nr; i++)
		free(ke->names[i]);
	free(ke->names);
	memset(ke, 0, sizeof(*ke));
}

const char *kenum_name(const struct kenum *ke, uint32_t value)
{
	return value < ke->nr ? ke->names[value] : NULL;
}

int64_t kenum_value(const struct kenum *ke, const char *name)
{
	uint32_t i;

	for (i = 0; i < ke->nr; i++)
		if (ke->names[i] && strcmp(ke->names[i], name) == 0)
			return i;
	return -1;
}

const char *tcp_state_name(unsigned int state)
{
	static const char *const names[] = {
	    [1] = "ESTABLISHED",     [2] = "SYN_SENT",	[3] = "SYN_RECV", [4] = "FIN_WAIT1",
	    [5] = "FIN_WAIT2",	     [6] = "TIME_WAIT", [7] = "CLOSE",	  [8] = "CLOSE_WAIT",
	    [9] = "LAST_ACK",	     [10] = "LISTEN",	[11] = "CLOSING", [12] = "NEW_SYN_RECV",
	    [13] = "BOUND_INACTIVE",
	};

	if (state < sizeof(names) / sizeof(names[0]) && names[state])
		return names[state];
	return NULL;
}
