/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the parts below cmd/ have to say that is not an error returned to
 * their caller (progress, summaries, a feature the module lacks): one
 * line each, through the printer the front-end sets, as libbpf's
 * libbpf_set_print() does.  By default a line goes to stderr as it is;
 * vmtrace-collect prefixes its name.
 */
#ifndef VMT_UTIL_LOG_H
#define VMT_UTIL_LOG_H

#include <stdarg.h>

/* Prints one line (@fmt has no newline) of @fmt and @ap. */
typedef void (*vmt_log_fn)(const char *fmt, va_list ap);

/* Use @fn from now on; NULL restores the default. */
void vmt_log_set(vmt_log_fn fn);

void vmt_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
