// SPDX-License-Identifier: GPL-2.0
/* What every vmtrace-collect subcommand shares: the name, and connecting. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "view/vm_html.h"
#include "cmd/cmd.h"

const char *prog_name = "vmtrace-collect";

void cmd_log(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", prog_name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int collect_connect(struct vmt_client **c)
{
	int err = vmt_client_open(c);

	if (err == -ENOENT)
		fprintf(stderr, "%s: vmtrace.ko is not loaded\n", prog_name);
	else if (err)
		fprintf(stderr, "%s: cannot open a generic netlink socket: %s\n",
			prog_name, strerror(-err));
	return err;
}

void collect_error(struct vmt_client *c, const char *what, int err)
{
	const char *msg = vmt_client_error(c);

	if (err == -EPERM && !*msg)
		msg = "vmtrace needs CAP_SYS_ADMIN (run as root)";
	fprintf(stderr, "%s: %s: %s%s%s\n", prog_name, what, strerror(-err),
		*msg ? ": " : "", msg);
}

int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s %s: ", prog_name, cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s %s --help'.\n", prog_name, cmd);
	return EXIT_USAGE;
}

int cmd_html_write(const struct vv_series *s, const char *path)
{
	char why[300];

	if (!vm_html_write(s, path, why, sizeof(why)))
		return 0;
	fprintf(stderr, "%s: %s\n", prog_name, why);
	return 1;
}
