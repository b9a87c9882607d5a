/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The front-end's header: the subcommands (main.c's table) and what they
 * share.  Nothing outside cmd/ includes it.
 */
#ifndef VMTRACE_COLLECT_H
#define VMTRACE_COLLECT_H

#include <stdarg.h>
#include <getopt.h>
#include <stdbool.h>
#include "client/client.h"

extern const char *prog_name;
/* The subcommand running ("record"): main.c sets it before its *_main(). */
extern const char *cmd_name;

/*
 * The exit status of every subcommand, one rule (Documentation/cli.rst):
 *
 *   0 (EXIT_SUCCESS)  done
 *   1 (EXIT_FAILURE)  a runtime failure: vmtrace.ko not loaded or refusing,
 *                     no permission, out of memory, a guest that cannot be
 *                     read, an output that cannot be written
 *   2 (EXIT_USAGE)    a usage error (an unknown option, a bad or missing
 *                     value, a stray argument) or a bad input file (missing,
 *                     unreadable, not of its kind, newer, damaged beyond
 *                     reading)
 *
 * record -- COMMAND exits with COMMAND's status instead, as time(1) does.
 * CMD_HELP_FOOTER says it at the end of every --help.
 */
#define EXIT_USAGE 2
#define CMD_HELP_FOOTER \
	"\nExit status: 0 done, 1 runtime failure, 2 usage error or bad input file.\n"

/*
 * The status for an input file that could not be read, by its -errno:
 * EXIT_FAILURE for what is the system's fault (out of memory, an I/O
 * error), EXIT_USAGE for what is the file's (missing, not readable, not
 * of its kind, damaged).
 */
int cmd_input_status(int err);

/*
 * The options every subcommand takes besides its own: --version (the
 * release), and -h/--help, which each subcommand answers with its usage.
 * CMD_VERBOSITY_OPTIONS: -q/--quiet and -v/--verbose, for the subcommands
 * that print progress or summary lines on stderr (record, serve); their
 * getopt string adds "qv".
 */
#define CMD_OPT_VERSION 0x2000
#define CMD_COMMON_OPTIONS \
	{ "help", no_argument, NULL, 'h' }, \
	{ "version", no_argument, NULL, CMD_OPT_VERSION }
#define CMD_VERBOSITY_OPTIONS \
	{ "quiet", no_argument, NULL, 'q' }, \
	{ "verbose", no_argument, NULL, 'v' }

/* -q: -1 (errors and warnings only), default 0, -v: 1 (-vv: 2). */
extern int cmd_verbosity;
/* A progress or summary line, "<prog>: <line>" on stderr, unless -q. */
void cmd_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A line only -v asks for, "<prog>: <line>" on stderr. */
void cmd_verbose(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * getopt_long() for a subcommand: its next own option, or -1 when there
 * is none left to give, with *@status -1 when the options ran out (parse
 * on) or the exit status to return at once: 0 after printing the version,
 * EXIT_USAGE after naming an unknown option or a missing value in one line
 * (as usage_error()).  -q and -v are taken on the way.  Start with
 * optind = 1; @optstring starts with ':' (after a '+', if any).
 */
int cmd_getopt(int argc, char *argv[], const char *optstring,
	       const struct option *longopts, int *status);
/*
 * --format text|json of the listing subcommands (status, vms, ps): *json
 * set and 0, or EXIT_USAGE after naming the bad value.
 */
int cmd_parse_format(const char *arg, bool *json);
/* The one version line of every subcommand and of the program. */
void cmd_print_version(void);

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
/*
 * Open @backend (client.h; auto: the module if loaded, else BPF), printing
 * the one-line reason on failure (no module, no BTF, no privilege).
 */
int collect_open(enum vmt_backend backend, struct vmt_client **c);
/* Print "<prog>: <what>: <strerror>[: <kernel message>]" to stderr. */
void collect_error(struct vmt_client *c, const char *what, int err);

/*
 * A usage error of the running subcommand: the one line
 * "<prog> <cmd>: <why>" and where its usage is ("Try '<prog> <cmd>
 * --help'."), not the whole usage, on stderr.  Returns EXIT_USAGE.
 * Every usage error of every subcommand goes through it, as git's and
 * perf's option parsers print theirs.
 */
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * Option @opt's value @value is bad: "<prog> <cmd>: <opt> <value>: <what
 * it must be>" and the --help line, by usage_error().  Returns EXIT_USAGE.
 */
int bad_value(const char *opt, const char *value, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

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
