// SPDX-License-Identifier: GPL-2.0
/* vmtrace-collect status: the module's version, state and counters. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "trace/names.h"
#include "view/vm_report.h"
#include "cmd/cmd.h"

static void status_usage(FILE *file)
{
	fprintf(file, "Usage: %s status [--format text|json]\n\n"
		"Prints vmtrace.ko's version, the number of possible CPUs, the\n"
		"session state and configuration, and per-CPU counters:\n"
		"produced = drained + lost + queued.  --format json: one object\n"
		"(keys in Documentation/cli.rst).\n" CMD_HELP_FOOTER, cmd_prog_name);
}

/*
 * GET_STATUS, then with a session GET_CPUS.  A session that ends or is
 * replaced in between (-ENOENT, -EINTR) is asked about again.
 */
static int status_get(struct client *c, struct client_status *st,
		      struct client_cpu_status **cpus, size_t *nr)
{
	int err, tries = 5;

	*cpus = NULL;
	*nr = 0;
	do {
		err = client_status(c, st);
		if (err) {
			cmd_error(c, "status", err);
			return err;
		}
		if (!st->has_session)
			return 0;
		err = client_get_cpus(c, cpus, nr);
	} while ((err == -ENOENT || err == -EINTR) && --tries);
	if (err)
		cmd_error(c, "status", err);
	return err;
}

static void print_text(const struct client_status *st, const struct client_cpu_status *cpus,
		       size_t nr)
{
	int cause;
	size_t i;

	printf("version: %s\n", st->version);
	printf("format: %u\n", st->format_version);
	printf("cpus: %u\n", st->nr_cpus);
	printf("tsc_khz: %u\n", st->tsc_khz);
	printf("ring_cap: %llu\n", (unsigned long long)st->ring_cap);
	printf("state: %s\n", client_state_name(st->state));
	if (!st->has_session)
		return;
	printf("sampling: %u Hz (%s)\n", st->sample_hz,
	       client_sample_source_name(st->sample_source));
	printf("ring_size: %u\n", st->ring_size);
	printf("flags: %#x  exit filter: %u  vm filter: %u\n", st->flags,
	       st->nr_exits, st->nr_pids);
	printf("%4s %12s %12s %12s", "cpu", "produced", "drained", "queued");
	for (cause = 0; cause < __VMTRACE_LOST_MAX; cause++)
		printf(" %12s", trace_lost_cause_name(cause));
	printf(" %12s\n", "host_samples");
	for (i = 0; i < nr; i++) {
		const struct client_cpu_status *cs = &cpus[i];

		printf("%4u %12llu %12llu %12llu", cs->cpu,
		       (unsigned long long)cs->produced,
		       (unsigned long long)cs->drained,
		       (unsigned long long)cs->queued);
		for (cause = 0; cause < __VMTRACE_LOST_MAX; cause++)
			printf(" %12llu", (unsigned long long)cs->lost[cause]);
		printf(" %12llu\n", (unsigned long long)cs->host_samples);
	}
}

/* "produced":N,...,"lost":{"ring_full":N,...},"host_samples":N */
static void json_counters(const struct client_cpu_status *cs)
{
	int cause;

	printf("\"produced\":%llu,\"drained\":%llu,\"queued\":%llu,\"lost\":{",
	       (unsigned long long)cs->produced, (unsigned long long)cs->drained,
	       (unsigned long long)cs->queued);
	for (cause = 0; cause < __VMTRACE_LOST_MAX; cause++) {
		printf("%s", cause ? "," : "");
		view_vm_json_str(stdout, trace_lost_cause_name(cause));
		printf(":%llu", (unsigned long long)cs->lost[cause]);
	}
	printf("},\"host_samples\":%llu", (unsigned long long)cs->host_samples);
}

/* The same as one object; "session" null without a session. */
static void print_json(const struct client_status *st, const struct client_cpu_status *cpus,
		       size_t nr)
{
	size_t i;

	printf("{\"version\":");
	view_vm_json_str(stdout, st->version);
	printf(",\"format\":%u,\"cpus\":%u,\"tsc_khz\":%u,\"ring_cap\":%llu,\"state\":",
	       st->format_version, st->nr_cpus, st->tsc_khz,
	       (unsigned long long)st->ring_cap);
	view_vm_json_str(stdout, client_state_name(st->state));
	printf(",\"session\":");
	if (!st->has_session) {
		printf("null}\n");
		return;
	}
	printf("{\"sample_hz\":%u,\"sample_source\":", st->sample_hz);
	view_vm_json_str(stdout, client_sample_source_name(st->sample_source));
	printf(",\"ring_size\":%u,\"flags\":%u,\"exit_filters\":%u,\"vm_filters\":%u,"
	       "\"totals\":{", st->ring_size, st->flags, st->nr_exits, st->nr_pids);
	json_counters(&st->totals);
	printf("},\"per_cpu\":[");
	for (i = 0; i < nr; i++) {
		printf("%s{\"cpu\":%u,", i ? "," : "", cpus[i].cpu);
		json_counters(&cpus[i]);
		printf("}");
	}
	printf("]}}\n");
}

int cmd_status(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		CMD_COMMON_OPTIONS,
		{ 0 }
	};
	struct client_cpu_status *cpus;
	struct client *c;
	struct client_status st;
	bool json = false;
	int opt, ret;
	size_t nr;

	optind = 1;
	while ((opt = cmd_getopt(argc, argv, ":h", longopts, &ret)) != -1) {
		switch (opt) {
		case 'f':
			if (cmd_parse_format(optarg, &json))
				return CMD_EXIT_USAGE;
			break;
		case 'h':
			status_usage(stdout);
			return 0;
		}
	}
	if (ret >= 0)
		return ret;
	if (optind != argc)
		return cmd_usage_error("%s: unexpected argument", argv[optind]);
	if (cmd_connect(&c))
		return 1;
	if (status_get(c, &st, &cpus, &nr)) {
		client_close(c);
		return 1;
	}
	if (json)
		print_json(&st, cpus, nr);
	else
		print_text(&st, cpus, nr);
	free(cpus);
	client_close(c);
	return fflush(stdout) ? 1 : 0;
}
