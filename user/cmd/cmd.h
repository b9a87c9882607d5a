/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The front-end's header: the subcommands (main.c's table) and what they
 * share.  Nothing outside cmd/ includes it.
 */
#ifndef VMTRACE_COLLECT_H
#define VMTRACE_COLLECT_H

#include <stdarg.h>
#include "client/client.h"

extern const char *prog_name;

/* Exit statuses: 1 for operational failures, 2 for usage and bad input. */
#define EXIT_USAGE 2

int status_main(int argc, char *argv[]);
int record_main(int argc, char *argv[]);
int vms_main(int argc, char *argv[]);
int report_main(int argc, char *argv[]);
int script_main(int argc, char *argv[]);
int export_main(int argc, char *argv[]);
int top_main(int argc, char *argv[]);
int serve_main(int argc, char *argv[]);
int vmreport_main(int argc, char *argv[]);
int profile_main(int argc, char *argv[]);
int ps_main(int argc, char *argv[]);
int peek_main(int argc, char *argv[]);

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

/* util/log.h's printer: "<prog>: <line>" to stderr. */
void cmd_log(const char *fmt, va_list ap);

struct vv_series;
/* vm_html_write(), its reason said as "<prog>: <why>": 0, or 1 (failed). */
int cmd_html_write(const struct vv_series *s, const char *path);

struct vmt_input;
/*
 * Open a trace for a reading subcommand: on failure, print the one line
 * "<prog>: <path>: <what is wrong>" and return -errno.
 */
int cmd_input_open(struct vmt_input *in, const char *path);
/*
 * After the last record: if damage left not one frame readable (the file
 * is corrupt, or was cut short before its first frame was complete),
 * print the one line "<prog>: <path>: no readable frame ..." and return
 * EXIT_USAGE; otherwise print a line per kind of damage met (bad frames,
 * cut-off end, ...), if any, and return 0.
 */
int cmd_input_finish(const struct vmt_input *in);

#endif
