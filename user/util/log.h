/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the parts below cmd/ have to say that is not an error returned to
 * their caller (progress, summaries, a feature the module lacks): one
 * line each, through the printer the front-end sets, as libbpf's
 * libbpf_set_print() does.  By default a line goes to stderr as it is;
 * vmtrace-collect prefixes its name.
 */
#ifndef UTIL_LOG_H
#define UTIL_LOG_H

#include <stdarg.h>

/* Prints one line (@fmt has no newline) of @fmt and @ap. */
typedef void (*util_log_fn)(const char *fmt, va_list ap);

/* Use @fn from now on; NULL restores the default. */
void util_log_set(util_log_fn fn);

void util_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
