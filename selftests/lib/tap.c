// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"

#define SKIP_REASON_MAX	256

/* Shared with the forked subtest so that tap_skip() can pass its reason
 * back to the parent, which prints the result line. */
static char *skip_reason;

void tap_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (skip_reason)
		vsnprintf(skip_reason, SKIP_REASON_MAX, fmt, ap);
	va_end(ap);
	fflush(stdout);
	fflush(stderr);
	_exit(KSFT_SKIP);
}

static bool selected(int argc, char **argv, const char *name)
{
	if (argc <= 1)
		return true;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], name))
			return true;
	return false;
}

/*
 * TAP_TIMEOUT_SCALE=N (1 - 100) in the environment multiplies every
 * subtest's time limit.  The limits are sized for make check's test hosts;
 * make stress runs the same subtests on the debug kernel in an emulator
 * that may get only what a busy machine leaves it, where a limit must only
 * catch a hang.
 */
static unsigned int timeout_scale(void)
{
	const char *s = getenv("TAP_TIMEOUT_SCALE");
	unsigned long n = s ? strtoul(s, NULL, 10) : 1;

	return n >= 1 && n <= 100 ? n : 1;
}

/* Run one subtest in a child; return its KSFT_* result. */
static int run_one(const struct tap_test *t, unsigned int number)
{
	unsigned int timeout = (t->timeout_s ? t->timeout_s : TAP_DEFAULT_TIMEOUT_S) *
			       timeout_scale();
	uint64_t start = test_now_ns();
	int status, result;
	pid_t pid;

	skip_reason[0] = '\0';
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	TEST_ASSERT_SYSCALL(pid, "fork");
	if (pid == 0) {
		/* SIGALRM's default action ends the child: that is the timeout. */
		alarm(timeout);
		t->fn();
		fflush(stdout);
		fflush(stderr);
		_exit(KSFT_PASS);
	}
	while (waitpid(pid, &status, 0) < 0)
		TEST_ASSERT(errno == EINTR, "waitpid: %m");

	if (WIFEXITED(status) && WEXITSTATUS(status) == KSFT_PASS) {
		result = KSFT_PASS;
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == KSFT_SKIP) {
		result = KSFT_SKIP;
	} else {
		result = KSFT_FAIL;
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
			printf("# %s: timed out after %u s\n", t->name, timeout);
		else if (WIFSIGNALED(status))
			printf("# %s: killed by signal %d (%s)\n", t->name,
			       WTERMSIG(status), strsignal(WTERMSIG(status)));
		else
			printf("# %s: exit status %d\n", t->name, WEXITSTATUS(status));
	}

	printf("# %s: %.3f s\n", t->name, (test_now_ns() - start) / 1e9);
	if (result == KSFT_PASS)
		printf("ok %u - %s\n", number, t->name);
	else if (result == KSFT_SKIP)
		printf("ok %u - %s # SKIP %s\n", number, t->name,
		       skip_reason[0] ? skip_reason : "");
	else
		printf("not ok %u - %s\n", number, t->name);
	fflush(stdout);
	return result;
}

const char *tap_note;

int tap_main(int argc, char **argv, const struct tap_test *tests,
	     unsigned int nr_tests, unsigned int flags)
{
	unsigned int plan = 0, number = 0, failed = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);

	if (argc > 1 && !strcmp(argv[1], "-l")) {
		for (unsigned int i = 0; i < nr_tests; i++)
			printf("%s\n", tests[i].name);
		return KSFT_PASS;
	}
	for (unsigned int i = 0; i < nr_tests; i++)
		plan += selected(argc, argv, tests[i].name);
	if (argc > 1 && plan != (unsigned int)argc - 1) {
		fprintf(stderr, "unknown subtest name; -l lists them\n");
		return KSFT_FAIL;
	}

	printf("TAP version 13\n");
	/* Only a missing /dev/kvm skips: a /dev/kvm that exists but does not
	 * work is a failure the subtests will report. */
	if ((flags & TAP_NEEDS_KVM) && access("/dev/kvm", F_OK) && errno == ENOENT) {
		printf("1..0 # SKIP /dev/kvm does not exist\n");
		return KSFT_SKIP;
	}
	printf("1..%u\n", plan);
	if (tap_note)
		printf("# %s\n", tap_note);

	skip_reason = mmap(NULL, SKIP_REASON_MAX, PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(skip_reason != MAP_FAILED, "mmap: %m");

	for (unsigned int i = 0; i < nr_tests; i++) {
		if (!selected(argc, argv, tests[i].name))
			continue;
		if (run_one(&tests[i], ++number) == KSFT_FAIL)
			failed++;
	}
	return failed ? KSFT_FAIL : KSFT_PASS;
}
