// SPDX-License-Identifier: GPL-2.0
/*
 * vmtrace-collect status: the module's version, state and counters; with
 * --backend bpf, whether the BPF backend can record here and which
 * processes record with it now.
 */
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
	fprintf(file, "Usage: %s status [--format text|json] [--backend module|bpf|auto]\n\n"
		"Prints vmtrace.ko's version, the number of possible CPUs, the\n"
		"session state and configuration, and per-CPU counters:\n"
		"produced = drained + lost + queued.  --backend bpf: whether the\n"
		"BPF backend can record on this host (else why not, exit status 1)\n"
		"and the processes recording with it now (a BPF session is its\n"
		"recorder's own); auto: the module if loaded, else bpf.\n"
		"--format json: one object (keys in Documentation/cli.rst).\n"
		CMD_HELP_FOOTER, cmd_prog_name);
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

/* The BPF backend: it can load here (@st from it), and who records now. */
static int print_bpf(const struct client_status *st, bool json)
{
	struct client_bpf_holder *h;
	size_t nr, i;
	int err = client_bpf_holders(&h, &nr);

	if (err) {
		fprintf(stderr, "%s: status: cannot list the BPF programs: %s\n", cmd_prog_name,
			strerror(-err));
		return err;
	}
	if (json) {
		printf("{\"backend\":\"bpf\",\"version\":");
		view_vm_json_str(stdout, st->version);
		printf(",\"format\":%u,\"cpus\":%u,\"tsc_khz\":%u,\"sessions\":[",
		       st->format_version, st->nr_cpus, st->tsc_khz);
		for (i = 0; i < nr; i++) {
			printf("%s{\"pid\":%u,\"comm\":", i ? "," : "", h[i].pid);
			view_vm_json_str(stdout, h[i].comm);
			printf(",\"programs\":%u}", h[i].nr_programs);
		}
		printf("]}\n");
	} else {
		printf("backend: bpf (BTF, kvm and privileges present; the programs load when a session starts)\n");
		printf("version: %s\n", st->version);
		printf("format: %u\n", st->format_version);
		printf("cpus: %u\n", st->nr_cpus);
		printf("tsc_khz: %u\n", st->tsc_khz);
		printf("sessions: %zu\n", nr);
		for (i = 0; i < nr; i++)
			printf("  pid %u (%s): %u programs\n", h[i].pid, h[i].comm,
			       h[i].nr_programs);
	}
	free(h);
	return 0;
}

int cmd_status(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "backend", required_argument, NULL, 'k' },
		CMD_COMMON_OPTIONS,
		{ 0 }
	};
	enum client_backend backend = CLIENT_BACKEND_MODULE;
	struct client_cpu_status *cpus;
	struct client *c;
	struct client_status st;
	bool json = false;
	int opt, ret, err;
	size_t nr;

	optind = 1;
	while ((opt = cmd_getopt(argc, argv, ":h", longopts, &ret)) != -1) {
		switch (opt) {
		case 'f':
			if (cmd_parse_format(optarg, &json))
				return CMD_EXIT_USAGE;
			break;
		case 'k':
			if (cmd_parse_backend(optarg, &backend))
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
	if (cmd_collect_open(backend, &c))
		return 1;
	if (client_get_backend(c) == CLIENT_BACKEND_BPF) {
		err = client_status(c, &st);
		if (!err)
			err = print_bpf(&st, json);
		client_close(c);
		return err || fflush(stdout) ? 1 : 0;
	}
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
