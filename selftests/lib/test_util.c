// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "test_util.h"

/* Print a possibly multi-line message with "# " in front of every line. */
static void print_prefixed(FILE *f, const char *text)
{
	const char *line = text;

	while (*line) {
		const char *nl = strchr(line, '\n');
		int len = nl ? (int)(nl - line) : (int)strlen(line);

		fprintf(f, "#   %.*s\n", len, line);
		line += len + (nl ? 1 : 0);
	}
}

void test_assert_fail(const char *file, int line, const char *expr,
		      const char *fmt, ...)
{
	int saved_errno = errno;
	char msg[4096];
	va_list ap;

	va_start(ap, fmt);
	errno = saved_errno;	/* for %m */
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	/* One write per line keeps messages from several threads apart. */
	flockfile(stderr);
	fflush(stdout);
	fprintf(stderr, "# ==== Test Assertion Failure ====\n");
	if (expr)
		fprintf(stderr, "#   %s:%d: %s\n", file, line, expr);
	else
		fprintf(stderr, "#   %s:%d\n", file, line);
	print_prefixed(stderr, msg);
	fflush(stderr);
	funlockfile(stderr);
	/* _exit: other threads may still be running vCPUs; atexit handlers
	 * and stdio teardown must not race with them. */
	_exit(KSFT_FAIL);
}

void test_diag(const char *fmt, ...)
{
	char msg[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	flockfile(stdout);
	fputs("# ", stdout);
	fputs(msg, stdout);
	fputc('\n', stdout);
	fflush(stdout);
	funlockfile(stdout);
}

uint64_t test_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
