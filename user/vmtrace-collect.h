/* SPDX-License-Identifier: GPL-2.0 */
/* Shared declarations of the vmtrace-collect subcommands. */
#ifndef VMTRACE_COLLECT_H
#define VMTRACE_COLLECT_H

#include "client.h"

extern const char *prog_name;

/* Exit statuses: 1 for operational failures, 2 for usage and bad input. */
#define EXIT_USAGE 2

int status_main(int argc, char *argv[]);
int record_main(int argc, char *argv[]);
int vms_main(int argc, char *argv[]);
int report_main(int argc, char *argv[]);
int script_main(int argc, char *argv[]);
int export_main(int argc, char *argv[]);

/*
 * Connect to vmtrace.ko, printing the one-line reason on failure
 * ("vmtrace.ko is not loaded", permission) to stderr.  Returns 0 or -errno.
 */
int collect_connect(struct vmt_client **c);
/* Print "<prog>: <what>: <strerror>[: <kernel message>]" to stderr. */
void collect_error(struct vmt_client *c, const char *what, int err);

/*
 * A bad argument of subcommand @cmd: "<prog> <cmd>: <why>" and where its
 * usage is, not the whole usage, to stderr.  Returns EXIT_USAGE.
 */
int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
