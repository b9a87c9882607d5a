// SPDX-License-Identifier: GPL-2.0
/* The printer of util/log.h. */
#include <stdio.h>
#include "util/log.h"

static void log_stderr(const char *fmt, va_list ap)
{
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static util_log_fn log_fn = log_stderr;

void util_log_set(util_log_fn fn)
{
	log_fn = fn ? fn : log_stderr;
}

void util_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_fn(fmt, ap);
	va_end(ap);
}
