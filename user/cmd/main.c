// SPDX-License-Identifier: GPL-2.0
/* vmtrace-collect: the subcommand table. */
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "util/log.h"
#include "cmd/cmd.h"

static const struct {
	const char *name;
	int (*main)(int argc, char *argv[]);
	const char *description;
} subcommands[] = {
	{ "status", cmd_status, "Shows the module's version, state and counters" },
	{ "record", cmd_record, "Records VM-exits and samples to a file" },
	{ "report", cmd_report, "Counts a trace's exits and samples by VM, vCPU, exit, task, symbol" },
	{ "script", cmd_script, "Prints a trace's records, one per line (CSV or JSON lines)" },
	{ "export", cmd_export, "Converts a trace for Perfetto/Chrome or flame graphs" },
	{ "vms", cmd_vms, "Lists the VMs the module has seen" },
	{ "profile", cmd_profile, "Makes a Linux guest profile from a kernel's BTF and symbols" },
	{ "ps", cmd_ps, "Lists a guest's processes, read from the host" },
	{ "peek", cmd_peek, "Reads a guest process's memory from the host" },
	{ "top", cmd_top, "Live view of the VMs: hypervisor and guest CPU, memory, exits, processes" },
	{ "serve", cmd_serve, "Serves per-VM and per-process figures to Prometheus (/metrics)" },
	{ "vmreport", cmd_vmreport, "Both sides of a metrics recording by VM and process (text, csv, json, html)" },
};

static void show_usage(FILE *file)
{
	size_t i;

	fprintf(file, "Usage: %s <cmd> [<args>]\n\n", cmd_prog_name);
	fprintf(file, "Available subcommands:\n");
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(file, "  %s: %s\n", subcommands[i].name,
			subcommands[i].description);
	fprintf(file, "You may pass `--help' to any of these subcommands to view usage,\n"
		"`--version' to any of them for the release.\n"
		"Documentation/cli.rst: the options, messages and exit status all share.\n"
		CMD_HELP_FOOTER);
}

/*
 * libbpf's own warnings ("libbpf: failed to get EHDR from ...") come
 * before the one line that says what was wrong with the file: -v only.
 */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG || cmd_verbosity < 1)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

int main(int argc, char *argv[])
{
	size_t i;

	util_log_set(cmd_log);
	libbpf_set_print(libbpf_print);
	if (argc < 2) {
		show_usage(stderr);
		return CMD_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "-h")) {
		show_usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		cmd_print_version();
		return 0;
	}
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++) {
		if (!strcmp(argv[1], subcommands[i].name)) {
			cmd_name = subcommands[i].name;
			return subcommands[i].main(argc - 1, argv + 1);
		}
	}
	fprintf(stderr, "%s: %s: unknown subcommand\nTry '%s --help'.\n", cmd_prog_name,
		argv[1], cmd_prog_name);
	return CMD_EXIT_USAGE;
}
