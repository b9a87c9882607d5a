// SPDX-License-Identifier: GPL-2.0
/* vmtrace-collect status: the module's version, state and counters. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "trace/names.h"
#include "cmd/cmd.h"

static void status_usage(FILE *file)
{
	fprintf(file, "Usage: %s status\n\n"
		"Prints vmtrace.ko's version, the number of possible CPUs, the\n"
		"session state and configuration, and per-CPU counters:\n"
		"produced = drained + lost + queued.\n", prog_name);
}

/*
 * GET_STATUS, then with a session GET_CPUS.  A session that ends or is
 * replaced in between (-ENOENT, -EINTR) is asked about again.
 */
static int status_get(struct vmt_client *c, struct vmt_status *st,
		      struct vmt_cpu_status **cpus, size_t *nr)
{
	int err, tries = 5;

	*cpus = NULL;
	*nr = 0;
	do {
		err = vmt_client_status(c, st);
		if (err) {
			collect_error(c, "status", err);
			return err;
		}
		if (!st->has_session)
			return 0;
		err = vmt_client_get_cpus(c, cpus, nr);
	} while ((err == -ENOENT || err == -EINTR) && --tries);
	if (err)
		collect_error(c, "status", err);
	return err;
}

int status_main(int argc, char *argv[])
{
	struct vmt_cpu_status *cpus;
	struct vmt_client *c;
	struct vmt_status st;
	int cause;
	size_t i, nr;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		status_usage(stdout);
		return 0;
	}
	if (argc != 1) {
		status_usage(stderr);
		return EXIT_USAGE;
	}
	if (collect_connect(&c))
		return 1;
	if (status_get(c, &st, &cpus, &nr)) {
		vmt_client_close(c);
		return 1;
	}
	printf("version: %s\n", st.version);
	printf("format: %u\n", st.format_version);
	printf("cpus: %u\n", st.nr_cpus);
	printf("tsc_khz: %u\n", st.tsc_khz);
	printf("ring_cap: %llu\n", (unsigned long long)st.ring_cap);
	printf("state: %s\n", vmt_state_name(st.state));
	if (st.has_session) {
		printf("sampling: %u Hz (%s)\n", st.sample_hz,
		       vmt_sample_source_name(st.sample_source));
		printf("ring_size: %u\n", st.ring_size);
		printf("flags: %#x  exit filter: %u  vm filter: %u\n", st.flags,
		       st.nr_exits, st.nr_pids);
		printf("%4s %12s %12s %12s", "cpu", "produced", "drained", "queued");
		for (cause = 0; cause < __VMTRACE_LOST_MAX; cause++)
			printf(" %12s", vmt_lost_cause_name(cause));
		printf(" %12s\n", "host_samples");
		for (i = 0; i < nr; i++) {
			const struct vmt_cpu_status *cs = &cpus[i];

			printf("%4u %12llu %12llu %12llu", cs->cpu,
			       (unsigned long long)cs->produced,
			       (unsigned long long)cs->drained,
			       (unsigned long long)cs->queued);
			for (cause = 0; cause < __VMTRACE_LOST_MAX; cause++)
				printf(" %12llu", (unsigned long long)cs->lost[cause]);
			printf(" %12llu\n", (unsigned long long)cs->host_samples);
		}
	}
	free(cpus);
	vmt_client_close(c);
	return 0;
}
