/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal test framework: a test case is a void function; CHECK* macros
 * print one line per failed check and mark the running case as failed.
 */
#ifndef RSTTRACE_UNIT_H
#define RSTTRACE_UNIT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

void unit_run(const char *name, void (*fn)(void));
void unit_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void unit_fail_str(const char *file, int line, const char *what, const char *a, const char *b);
bool unit_str_eq(const char *a, const char *b);

#define RUN_TEST(fn) unit_run(#fn, fn)

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			unit_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);                         \
	} while (0)

#define CHECK_INT(a, b)                                                                            \
	do {                                                                                       \
		long long a_ = (long long)(a), b_ = (long long)(b);                                \
		if (a_ != b_)                                                                      \
			unit_fail(__FILE__, __LINE__, "CHECK_INT(%s, %s): %lld != %lld", #a, #b,   \
				  a_, b_);                                                         \
	} while (0)

#define CHECK_U64(a, b)                                                                            \
	do {                                                                                       \
		unsigned long long a_ = (a), b_ = (b);                                             \
		if (a_ != b_)                                                                      \
			unit_fail(__FILE__, __LINE__, "CHECK_U64(%s, %s): %llu != %llu", #a, #b,   \
				  a_, b_);                                                         \
	} while (0)

#define CHECK_STR(a, b)                                                                            \
	do {                                                                                       \
		const char *a_ = (a), *b_ = (b);                                                   \
		if (!unit_str_eq(a_, b_))                                                          \
			unit_fail_str(__FILE__, __LINE__, "CHECK_STR(" #a ", " #b ")", a_, b_);    \
	} while (0)

#define CHECK_CONTAINS(hay, needle)                                                                \
	do {                                                                                       \
		const char *h_ = (hay), *n_ = (needle);                                            \
		if (!h_ || !strstr(h_, n_))                                                        \
			unit_fail_str(__FILE__, __LINE__, "CHECK_CONTAINS(" #hay ", " #needle ")", \
				      h_, n_);                                                     \
	} while (0)

#define CHECK_NOT_CONTAINS(hay, needle)                                                            \
	do {                                                                                       \
		const char *h_ = (hay), *n_ = (needle);                                            \
		if (h_ && strstr(h_, n_))                                                          \
			unit_fail_str(__FILE__, __LINE__,                                          \
				      "CHECK_NOT_CONTAINS(" #hay ", " #needle ")", h_, n_);        \
	} while (0)

/*
 * Every test file defines one void run_<name>_tests(void); the build
 * collects them into unit_registry.h (Makefile), so a new file registers
 * itself.
 */

#endif
