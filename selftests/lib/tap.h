/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tiny kselftest-compatible TAP driver.  A test program lists its
 * subtests and hands them to tap_main():
 *
 *	static const struct tap_test tests[] = {
 *		TAP_TEST(port_writes),		(runs test_port_writes())
 *		TAP_TEST_TIMEOUT(hlt, 10),	(test_hlt(), 10 s at most)
 *	};
 *	int main(int argc, char **argv)
 *	{
 *		return tap_main(argc, argv, tests, ARRAY_SIZE(tests), TAP_NEEDS_KVM);
 *	}
 *
 * Output: "TAP version 13", "1..N", then "ok N - name", "not ok N - name"
 * or "ok N - name # SKIP reason" per subtest; diagnostics start with "#".
 * Each subtest runs in its own forked process with a timeout, so a failed
 * assertion, a crash or a hang fails that subtest only.
 * Exit status: 0 if nothing failed, 1 otherwise, 4 (KSFT_SKIP) when
 * TAP_NEEDS_KVM is given and /dev/kvm does not exist.
 * Arguments: subtest names to run only those; -l lists the names.
 */
#ifndef SELFTESTS_TAP_H
#define SELFTESTS_TAP_H

#include "test_util.h"

struct tap_test {
	const char *name;
	void (*fn)(void);
	unsigned int timeout_s;		/* 0: TAP_DEFAULT_TIMEOUT_S */
};

#define TAP_DEFAULT_TIMEOUT_S	60

#define TAP_TEST(test)		{ .name = #test, .fn = test_##test }
#define TAP_TEST_TIMEOUT(test, seconds) \
	{ .name = #test, .fn = test_##test, .timeout_s = (seconds) }

enum tap_flags {
	TAP_NEEDS_KVM = 1 << 0,		/* skip everything without /dev/kvm */
};

/* Set before tap_main(): one diagnostic line printed after the plan. */
extern const char *tap_note;

int tap_main(int argc, char **argv, const struct tap_test *tests,
	     unsigned int nr_tests, unsigned int flags);

/* In a subtest: end it as skipped, with a reason. */
void __attribute__((noreturn, format(printf, 1, 2)))
tap_skip(const char *fmt, ...);

#endif /* SELFTESTS_TAP_H */
