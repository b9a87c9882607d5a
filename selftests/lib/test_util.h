/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Assertions for selftests.  A failed assertion prints where and why to
 * stderr (every line starting with "# ", so the output stays valid TAP) and
 * ends the process with KSFT_FAIL; under tap_main() that process is the
 * forked subtest, so only that subtest fails.  Safe from any thread.
 */
#ifndef SELFTESTS_TEST_UTIL_H
#define SELFTESTS_TEST_UTIL_H

#include <stdbool.h>
#include <stdint.h>

/* kselftest exit codes */
#define KSFT_PASS	0
#define KSFT_FAIL	1
#define KSFT_SKIP	4

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

void __attribute__((noreturn, format(printf, 4, 5)))
test_assert_fail(const char *file, int line, const char *expr,
		 const char *fmt, ...);

/* TEST_ASSERT(cond, "what went wrong: %d", x) */
#define TEST_ASSERT(cond, fmt, ...) do {					\
	if (!(cond))							\
		test_assert_fail(__FILE__, __LINE__, #cond, fmt, ##__VA_ARGS__); \
} while (0)

#define TEST_FAIL(fmt, ...) \
	test_assert_fail(__FILE__, __LINE__, NULL, fmt, ##__VA_ARGS__)

/* Compare two integers; the message shows both in decimal and hex. */
#define TEST_ASSERT_EQ(a, b) do {					\
	uint64_t __a = (uint64_t)(a), __b = (uint64_t)(b);		\
	if (__a != __b)							\
		test_assert_fail(__FILE__, __LINE__, #a " == " #b,	\
				 "%s is %llu (0x%llx), %s is %llu (0x%llx)", \
				 #a, (unsigned long long)__a,		\
				 (unsigned long long)__a, #b,		\
				 (unsigned long long)__b,		\
				 (unsigned long long)__b);		\
} while (0)

/* For a system call that returns -1 and sets errno: the message has the
 * call's name and strerror(errno). */
#define TEST_ASSERT_SYSCALL(ret, name) \
	TEST_ASSERT((ret) != -1, "%s failed: %m", name)

/* Print a "# " diagnostic line on stdout. */
void __attribute__((format(printf, 1, 2))) test_diag(const char *fmt, ...);

/* Monotonic time in nanoseconds. */
uint64_t test_now_ns(void);

#endif /* SELFTESTS_TEST_UTIL_H */
