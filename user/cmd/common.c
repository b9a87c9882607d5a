// SPDX-License-Identifier: GPL-2.0
/*
 * What every vmtrace-collect subcommand shares: the name, the options and
 * messages of the command line (Documentation/cli.rst), and connecting.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "trace/trace.h"
#include "view/vm_html.h"
#include "cmd/cmd.h"

const char *cmd_prog_name = "vmtrace-collect";
const char *cmd_name = "";
int cmd_verbosity;

static void say(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", cmd_prog_name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

/* The parts below cmd/ log progress and summaries (util/log.h): -q hides them. */
void cmd_log(const char *fmt, va_list ap)
{
	if (cmd_verbosity >= 0)
		say(fmt, ap);
}

void cmd_info(const char *fmt, ...)
{
	va_list ap;

	if (cmd_verbosity < 0)
		return;
	va_start(ap, fmt);
	say(fmt, ap);
	va_end(ap);
}

void cmd_verbose(const char *fmt, ...)
{
	va_list ap;

	if (cmd_verbosity < 1)
		return;
	va_start(ap, fmt);
	say(fmt, ap);
	va_end(ap);
}

void cmd_print_version(void)
{
	printf("vmtrace-collect %s (trace file format %d, record format %d)\n",
	       VMT_RELEASE, TRACE_VERSION, VMTRACE_FORMAT_VERSION);
}

int cmd_parse_format(const char *arg, bool *json)
{
	if (strcmp(arg, "text") && strcmp(arg, "json"))
		return cmd_bad_value("--format", arg, "text or json");
	*json = !strcmp(arg, "json");
	return 0;
}

int cmd_input_status(int err)
{
	return err == -ENOMEM || err == -EIO ? EXIT_FAILURE : CMD_EXIT_USAGE;
}

/* "--vm" of "--vm=3"; "-d" of a short option @c. */
static const char *option_name(const char *arg, int c, char *buf, size_t size)
{
	if (!strncmp(arg, "--", 2)) {
		snprintf(buf, size, "%.*s", (int)strcspn(arg, "="), arg);
		return buf;
	}
	snprintf(buf, size, "-%c", c);
	return buf;
}

/* What cmd_getopt() does with -q, -v, --version and errors: -1 to parse on,
 * else the exit status. */
static int common_option(int opt, char *const argv[])
{
	/* getopt_long() has stepped past the option it complains about,
	 * unless that was a short one inside a group ("-qx"): then optopt
	 * names it. */
	const char *arg = optind > 0 ? argv[optind - 1] : "";
	char name[64];

	switch (opt) {
	case 'q':
		cmd_verbosity = -1;
		return -1;
	case 'v':
		cmd_verbosity = cmd_verbosity < 0 ? 1 : cmd_verbosity + 1;
		return -1;
	case CMD_OPT_VERSION:
		cmd_print_version();
		return 0;
	case ':':
		return cmd_usage_error("%s: needs a value", option_name(arg, optopt, name,
								     sizeof(name)));
	case '?':
		if (optopt && !strncmp(arg, "--", 2) && strchr(arg, '='))
			return cmd_usage_error("%s: takes no value", option_name(arg, 0, name,
									     sizeof(name)));
		if (optopt && optopt < 0x100 && strncmp(arg, "--", 2))
			return cmd_usage_error("-%c: unknown option", optopt);
		return cmd_usage_error("%s: unknown option", option_name(arg, 0, name, sizeof(name)));
	default:
		return -1;
	}
}

int cmd_getopt(int argc, char *argv[], const char *optstring,
	       const struct option *longopts, int *status)
{
	int opt;

	*status = -1;
	opterr = 0;	/* the errors are said here, in the subcommand's words */
	while ((opt = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
		if (opt != 'q' && opt != 'v' && opt != CMD_OPT_VERSION && opt != ':' &&
		    opt != '?')
			return opt;
		*status = common_option(opt, argv);
		if (*status >= 0)
			return -1;
	}
	return -1;
}

int cmd_collect_open(enum client_backend backend, struct client **c)
{
	char why[256];
	int err = client_open_backend(backend, c, why, sizeof(why));

	if (!err)
		return 0;
	if (backend == CLIENT_BACKEND_AUTO && why[0])
		fprintf(stderr, "%s: vmtrace.ko is not loaded, and %s\n", cmd_prog_name, why);
	else if (why[0])
		fprintf(stderr, "%s: %s\n", cmd_prog_name, why);
	else
		fprintf(stderr, "%s: cannot open a generic netlink socket: %s\n",
			cmd_prog_name, strerror(-err));
	return err;
}

int cmd_parse_backend(const char *arg, enum client_backend *out)
{
	if (client_backend_parse(arg, out))
		return cmd_bad_value("--backend", arg, "module, bpf or auto");
	return 0;
}

void cmd_error(struct client *c, const char *what, int err)
{
	const char *msg = client_error(c);

	if (err == -EPERM && !*msg)
		msg = "vmtrace needs CAP_SYS_ADMIN (run as root)";
	fprintf(stderr, "%s: %s: %s%s%s\n", cmd_prog_name, what, strerror(-err),
		*msg ? ": " : "", msg);
}

static int vusage_error(const char *prefix, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s %s: %s", cmd_prog_name, cmd_name, prefix);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\nTry '%s %s --help'.\n", cmd_prog_name, cmd_name);
	return CMD_EXIT_USAGE;
}

int cmd_usage_error(const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vusage_error("", fmt, ap);
	va_end(ap);
	return ret;
}

int cmd_bad_value(const char *opt, const char *value, const char *fmt, ...)
{
	char prefix[512];
	va_list ap;
	int ret;

	snprintf(prefix, sizeof(prefix), "%s %s: ", opt, value);
	va_start(ap, fmt);
	ret = vusage_error(prefix, fmt, ap);
	va_end(ap);
	return ret;
}

int cmd_html_write(const struct trace_metrics_series *s, const char *path)
{
	char why[300];

	if (!view_vm_html_write(s, path, why, sizeof(why)))
		return 0;
	fprintf(stderr, "%s: %s\n", cmd_prog_name, why);
	return 1;
}
