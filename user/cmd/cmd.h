/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The front-end's header: the subcommands (main.c's table) and what they
 * share.  Nothing outside cmd/ includes it.
 */
#ifndef CMD_CMD_H
#define CMD_CMD_H

#include <stdarg.h>
#include <getopt.h>
#include <stdbool.h>
#include "client/client.h"

extern const char *cmd_prog_name;
/* The subcommand running ("record"): main.c sets it before its *_main(). */
extern const char *cmd_name;

/*
 * The exit status of every subcommand, one rule (Documentation/cli.rst):
 *
 *   0 (EXIT_SUCCESS)  done
 *   1 (EXIT_FAILURE)  a runtime failure: vmtrace.ko not loaded or refusing,
 *                     no permission, out of memory, a guest that cannot be
 *                     read, an output that cannot be written
 *   2 (CMD_EXIT_USAGE)    a usage error (an unknown option, a bad or missing
 *                     value, a stray argument) or a bad input file (missing,
 *                     unreadable, not of its kind, newer, damaged beyond
 *                     reading)
 *
 * record -- COMMAND exits with COMMAND's status instead, as time(1) does.
 * CMD_HELP_FOOTER says it at the end of every --help.
 */
#define CMD_EXIT_USAGE 2
#define CMD_HELP_FOOTER \
	"\nExit status: 0 done, 1 runtime failure, 2 usage error or bad input file.\n"

/*
 * The status for an input file that could not be read, by its -errno:
 * EXIT_FAILURE for what is the system's fault (out of memory, an I/O
 * error), CMD_EXIT_USAGE for what is the file's (missing, not readable, not
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
 * CMD_EXIT_USAGE after naming an unknown option or a missing value in one line
 * (as cmd_usage_error()).  -q and -v are taken on the way.  Start with
 * optind = 1; @optstring starts with ':' (after a '+', if any).
 */
int cmd_getopt(int argc, char *argv[], const char *optstring,
	       const struct option *longopts, int *status);
/*
 * --format text|json of the listing subcommands (status, vms, ps): *json
 * set and 0, or CMD_EXIT_USAGE after naming the bad value.
 */
int cmd_parse_format(const char *arg, bool *json);
/* The one version line of every subcommand and of the program. */
void cmd_print_version(void);

int cmd_status(int argc, char *argv[]);
int cmd_record(int argc, char *argv[]);
int cmd_vms(int argc, char *argv[]);
int cmd_report(int argc, char *argv[]);
int cmd_script(int argc, char *argv[]);
int cmd_export(int argc, char *argv[]);
int cmd_top(int argc, char *argv[]);
int cmd_serve(int argc, char *argv[]);
int cmd_vmreport(int argc, char *argv[]);
int cmd_profile(int argc, char *argv[]);
int cmd_ps(int argc, char *argv[]);
int cmd_peek(int argc, char *argv[]);

/* --backend ARG into *@out: 0, or CMD_EXIT_USAGE after saying why not. */
int cmd_parse_backend(const char *arg, enum client_backend *out);
/*
 * Open @backend (client.h; auto: the module if loaded, else BPF), printing
 * the one-line reason on failure (no module, no BTF, no privilege).
 */
int cmd_collect_open(enum client_backend backend, struct client **c);
/* Print "<prog>: <what>: <strerror>[: <kernel message>]" to stderr. */
void cmd_error(struct client *c, const char *what, int err);

/*
 * A usage error of the running subcommand: the one line
 * "<prog> <cmd>: <why>" and where its usage is ("Try '<prog> <cmd>
 * --help'."), not the whole usage, on stderr.  Returns CMD_EXIT_USAGE.
 * Every usage error of every subcommand goes through it, as git's and
 * perf's option parsers print theirs.
 */
int cmd_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * Option @opt's value @value is bad: "<prog> <cmd>: <opt> <value>: <what
 * it must be>" and the --help line, by cmd_usage_error().  Returns CMD_EXIT_USAGE.
 */
int cmd_bad_value(const char *opt, const char *value, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* util/log.h's printer: "<prog>: <line>" to stderr. */
void cmd_log(const char *fmt, va_list ap);

struct trace_metrics_series;
/* view_vm_html_write(), its reason said as "<prog>: <why>": 0, or 1 (failed). */
int cmd_html_write(const struct trace_metrics_series *s, const char *path);

struct trace_input;
/*
 * Open a trace for a reading subcommand: on failure, print the one line
 * "<prog>: <path>: <what is wrong>" and return -errno.
 */
int cmd_input_open(struct trace_input *in, const char *path);
/*
 * After the last record: if damage left not one frame readable (the file
 * is corrupt, or was cut short before its first frame was complete),
 * print the one line "<prog>: <path>: no readable frame ..." and return
 * CMD_EXIT_USAGE; otherwise print a line per kind of damage met (bad frames,
 * cut-off end, ...), if any, and return 0.
 */
int cmd_input_finish(const struct trace_input *in);

#endif
