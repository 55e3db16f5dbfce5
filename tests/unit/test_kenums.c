// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <bpf/btf.h>
#include "fixtures.h"
#include "kenums.h"
#include "unit.h"

/* enum test_reason: prefixed names, a gap, an alias, a value too big, a negative one. */
static struct btf *test_btf(void)
{
	struct btf *btf = btf__new_empty();

	if (!btf)
		return NULL;
	if (btf__add_int(btf, "int", 4, BTF_INT_SIGNED) < 0 ||
	    btf__add_enum(btf, "test_reason", 4) < 0 ||
	    btf__add_enum_value(btf, "TR_ZERO", 0) < 0 ||
	    btf__add_enum_value(btf, "TR_TWO", 2) < 0 ||
	    btf__add_enum_value(btf, "TR_TWO_ALIAS", 2) < 0 ||
	    btf__add_enum_value(btf, "OTHER_THREE", 3) < 0 ||
	    btf__add_enum_value(btf, "TR_HUGE", 100000) < 0 ||
	    btf__add_enum_value(btf, "TR_NEG", -1) < 0 || btf__add_enum(btf, "empty", 4) < 0) {
		btf__free(btf);
		return NULL;
	}
	return btf;
}

static void test_kenum_load(void)
{
	struct btf *btf = test_btf();
	struct kenum ke;

	CHECK(btf != NULL);
	if (!btf)
		return;
	CHECK_INT(kenum_load(&ke, btf, "test_reason", "TR_"), 0);
	CHECK_STR(kenum_name(&ke, 0), "ZERO");
	CHECK_STR(kenum_name(&ke, 1), NULL);
	CHECK_STR(kenum_name(&ke, 2), "TWO");
	CHECK_STR(kenum_name(&ke, 3), "OTHER_THREE");
	CHECK_STR(kenum_name(&ke, 4), NULL);
	CHECK_STR(kenum_name(&ke, 100000), NULL);
	CHECK_STR(kenum_name(&ke, UINT32_MAX), NULL);
	CHECK_INT(kenum_value(&ke, "TWO"), 2);
	CHECK_INT(kenum_value(&ke, "ZERO"), 0);
	CHECK_INT(kenum_value(&ke, "OTHER_THREE"), 3);
	CHECK_INT(kenum_value(&ke, "TWO_ALIAS"), -1);
	CHECK_INT(kenum_value(&ke, "TR_TWO"), -1);
	CHECK_INT(kenum_value(&ke, "HUGE"), -1);
	CHECK_INT(kenum_value(&ke, "NEG"), -1);
	CHECK_INT(kenum_value(&ke, ""), -1);
	kenum_free(&ke);
	CHECK_STR(kenum_name(&ke, 0), NULL);
	kenum_free(&ke);
	btf__free(btf);
}

static void test_kenum_missing_and_empty(void)
{
	struct btf *btf = test_btf();
	struct kenum ke;

	if (!btf) {
		CHECK(btf != NULL);
		return;
	}
	CHECK_INT(kenum_load(&ke, btf, "no_such_enum", "X_"), -ENOENT);
	CHECK_STR(kenum_name(&ke, 0), NULL);
	CHECK_INT(kenum_value(&ke, "ZERO"), -1);
	kenum_free(&ke);
	/* An int of that name is not an enum. */
	CHECK_INT(kenum_load(&ke, btf, "int", ""), -ENOENT);
	kenum_free(&ke);
	CHECK_INT(kenum_load(&ke, btf, "empty", ""), 0);
	CHECK_STR(kenum_name(&ke, 0), NULL);
	kenum_free(&ke);
	btf__free(btf);
}

static void test_kenum_kernel_names(void)
{
	struct rt_names n;

	CHECK_INT(fixture_names(&n), 0);
	CHECK_STR(kenum_name(&n.rst_reasons, 0), "NOT_SPECIFIED");
	CHECK_STR(kenum_name(&n.rst_reasons, 1), "NO_SOCKET");
	CHECK_STR(kenum_name(&n.rst_reasons, 10), "INVALID_SYN");
	CHECK_INT(kenum_value(&n.rst_reasons, "TCP_ABORT_ON_CLOSE"), 11);
	CHECK_STR(kenum_name(&n.drop_reasons, 40), "TCP_LISTEN_OVERFLOW");
	CHECK_STR(kenum_name(&n.drop_reasons, 39), NULL);
	CHECK_STR(kenum_name(&n.drop_reasons, 41), NULL);
	fixture_names_free(&n);
}

static void test_tcp_state_name(void)
{
	CHECK_STR(tcp_state_name(1), "ESTABLISHED");
	CHECK_STR(tcp_state_name(2), "SYN_SENT");
	CHECK_STR(tcp_state_name(7), "CLOSE");
	CHECK_STR(tcp_state_name(8), "CLOSE_WAIT");
	CHECK_STR(tcp_state_name(10), "LISTEN");
	CHECK_STR(tcp_state_name(12), "NEW_SYN_RECV");
	CHECK_STR(tcp_state_name(0), NULL);
	CHECK_STR(tcp_state_name(14), NULL);
	CHECK_STR(tcp_state_name(255), NULL);
	CHECK_STR(tcp_state_name(UINT32_MAX), NULL);
}

void run_kenums_tests(void)
{
	RUN_TEST(test_kenum_load);
	RUN_TEST(test_kenum_missing_and_empty);
	RUN_TEST(test_kenum_kernel_names);
	RUN_TEST(test_tcp_state_name);
}
