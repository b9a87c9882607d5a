// SPDX-License-Identifier: GPL-2.0
/*
 * vmtrace-collect vmreport: both sides of a metrics file (trace/metrics_file.h) per
 * VM and per guest process, as text, CSV or JSON (view/vm_report.c) or as one
 * VM's HTML page (view/vm_html.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "view/vm_report.h"
#include "util/options.h"
#include "cmd/cmd.h"
#include "trace/metrics_file.h"

static void vmreport_usage(FILE *f)
{
	fprintf(f,
		"Usage: %s vmreport [-i FILE] [--by vm|vm,process] [--format text|csv|json]\n"
		"                         [--vm KEY]... [--top N]\n"
		"       %s vmreport [-i FILE] --format html -o OUT.html [--vm KEY]\n\n"
		"Both sides of a metrics recording (top/serve --metrics-out FILE), per VM\n"
		"and per guest process, with their differences.  KEY: a VM's name, UUID,\n"
		"MAC, VMM pid or id:N.  html: CPU and memory over time for one VM (the\n"
		"first KEY, else the busiest VM), the whole VM solid, the process picked\n"
		"in the list dashed.  Default input: vmtrace.metrics.\n" CMD_HELP_FOOTER,
		cmd_prog_name, cmd_prog_name);
}

int cmd_vmreport(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "output", required_argument, NULL, 'o' },
		{ "by", required_argument, NULL, 'b' },
		{ "format", required_argument, NULL, 'f' },
		{ "vm", required_argument, NULL, 'V' },
		{ "top", required_argument, NULL, 't' },
		CMD_COMMON_OPTIONS,
		{ 0 }
	};
	const char *input = "vmtrace.metrics", *output = NULL, *format = "text";
	const char *keys[64];
	struct trace_metrics_series series;
	size_t nr_keys = 0;
	bool by_process = false;
	unsigned long top = 0;
	uint64_t value;
	int opt, err, ret;
	FILE *f;

	optind = 1;
	while ((opt = cmd_getopt(argc, argv, ":i:o:h", longopts, &err)) != -1) {
		switch (opt) {
		case 'i':
			input = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'b':
			if (!strcmp(optarg, "vm"))
				by_process = false;
			else if (!strcmp(optarg, "vm,process"))
				by_process = true;
			else
				return cmd_bad_value("--by", optarg, "vm or vm,process");
			break;
		case 'f':
			if (strcmp(optarg, "text") && strcmp(optarg, "csv") &&
			    strcmp(optarg, "json") && strcmp(optarg, "html"))
				return cmd_bad_value("--format", optarg, "text, csv, json or html");
			format = optarg;
			break;
		case 'V':
			if (nr_keys == sizeof(keys) / sizeof(keys[0]))
				return cmd_bad_value("--vm", optarg, "at most %zu VMs",
						 sizeof(keys) / sizeof(keys[0]));
			keys[nr_keys++] = optarg;
			break;
		case 't':
			if (util_parse_u64(optarg, 0, UINT32_MAX, &value))
				return cmd_bad_value("--top", optarg, "not a number of rows (0: all)");
			top = value;
			break;
		case 'h':
			vmreport_usage(stdout);
			return 0;
		}
	}
	if (err >= 0)
		return err;
	if (optind != argc)
		return cmd_usage_error("%s: unexpected argument", argv[optind]);
	if (!strcmp(format, "html") && !output)
		return cmd_usage_error("--format html: which file? -o OUT.html");
	if (output && strcmp(format, "html"))
		return cmd_usage_error("-o %s: only with --format html (the others print)", output);

	/* An input that cannot be read is bad input (2), as for report. */
	f = fopen(input, "re");
	if (!f) {
		fprintf(stderr, "%s: %s: %s\n", cmd_prog_name, input, strerror(errno));
		return CMD_EXIT_USAGE;
	}
	err = trace_metrics_file_read(f, &series);
	fclose(f);
	if (err) {
		fprintf(stderr, "%s: %s: %s\n", cmd_prog_name, input,
			err == -EMEDIUMTYPE ? "not a vmtrace metrics file" :
			err == -EPROTONOSUPPORT ? "written by a newer vmtrace" :
			strerror(-err));
		return cmd_input_status(err);
	}
	if (series.bad_lines)
		fprintf(stderr, "%s: %s: %zu malformed lines skipped\n", cmd_prog_name, input,
			series.bad_lines);
	view_vm_report_keep_vms(&series, keys, nr_keys);
	if (!strcmp(format, "html")) {
		ret = cmd_html_write(&series, output);
	} else {
		err = view_vm_report_write(stdout, &series, view_vm_report_format(format), by_process, top);
		if (err == -ENOMEM)
			fprintf(stderr, "%s: out of memory\n", cmd_prog_name);
		ret = err ? 1 : 0;
	}
	trace_metrics_series_free(&series);
	return ret;
}
