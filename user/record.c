// SPDX-License-Identifier: GPL-2.0
/*
 * vmtrace-collect record: start a session, drain the rings until the
 * duration ends, COMMAND exits or a signal arrives, stop, drain what is
 * left, and account for every record.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include "vmtrace-collect.h"
#include "options.h"
#include "rawfile.h"

static volatile sig_atomic_t record_stop;

static void on_signal(int sig)
{
	(void)sig;
	record_stop = 1;
}

struct record_sink {
	FILE *out;
	uint64_t records;
	uint64_t events;
	uint64_t lost[__VMTRACE_LOST_MAX];
	int err;
};

static int sink_records(void *arg, uint32_t cpu,
			const struct vmtrace_record *recs, size_t n)
{
	struct record_sink *sink = arg;
	size_t i;
	int c;

	(void)cpu;
	for (i = 0; i < n; i++) {
		if (recs[i].kind == VMTRACE_KIND_LOST)
			for (c = 0; c < __VMTRACE_LOST_MAX; c++)
				sink->lost[c] += recs[i].u.lost[c];
		else if (recs[i].kind == VMTRACE_KIND_EXIT ||
			 recs[i].kind == VMTRACE_KIND_SAMPLE)
			sink->events++;
	}
	sink->records += n;
	if (fwrite(recs, sizeof(*recs), n, sink->out) != n)
		return -EIO;
	return 0;
}

static void record_usage(FILE *file)
{
	fprintf(file,
		"Usage: %s record [-o FILE] [-d SECONDS] [--vm PID]... [--sample-hz N]\n"
		"         [--sample-source auto|pmu|timer] [--host-samples] [--no-exits]\n"
		"         [--exit-reasons LIST] [--ring-size SIZE] [-- COMMAND [ARGS...]]\n\n"
		"Records VM-exits and guest samples until SECONDS pass, COMMAND exits\n"
		"(then exits with COMMAND's status) or SIGINT/SIGTERM arrives.\n"
		"Default output: vmtrace.raw.  LIST: exit codes, comma-separated\n"
		"(decimal or 0x hex).  SIZE: bytes per CPU, power of two, k/M suffix.\n",
		prog_name);
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int record_main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "duration", required_argument, NULL, 'd' },
		{ "vm", required_argument, NULL, 'V' },
		{ "sample-hz", required_argument, NULL, 'F' },
		{ "sample-source", required_argument, NULL, 'S' },
		{ "host-samples", no_argument, NULL, 'H' },
		{ "no-exits", no_argument, NULL, 'N' },
		{ "exit-reasons", required_argument, NULL, 'e' },
		{ "ring-size", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	static uint32_t pids[VMTRACE_FILTER_MAX], exits[VMTRACE_FILTER_MAX];
	struct vmt_start_config cfg = { .pids = pids, .exits = exits };
	struct record_sink sink = { 0 };
	const char *output = "vmtrace.raw";
	double duration = 0, start;
	struct vmt_status st;
	struct vmt_client *c = NULL;
	pid_t child = -1;
	int opt, err, ret = 1, child_status = 0, cause;
	uint64_t value;
	size_t i;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "+o:d:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			output = optarg;
			break;
		case 'd':
			if (parse_seconds(optarg, &duration))
				goto usage;
			break;
		case 'V':
			if (cfg.nr_pids == VMTRACE_FILTER_MAX ||
			    parse_u64(optarg, 1, INT_MAX, &value))
				goto usage;
			pids[cfg.nr_pids++] = value;
			break;
		case 'F':
			if (parse_u64(optarg, 0, VMTRACE_SAMPLE_HZ_MAX, &value))
				goto usage;
			cfg.sample_hz = value;
			break;
		case 'S':
			if (!strcmp(optarg, "auto"))
				cfg.sample_source = VMTRACE_SAMPLE_AUTO;
			else if (!strcmp(optarg, "pmu"))
				cfg.sample_source = VMTRACE_SAMPLE_PMU;
			else if (!strcmp(optarg, "timer"))
				cfg.sample_source = VMTRACE_SAMPLE_TIMER;
			else
				goto usage;
			break;
		case 'H':
			cfg.flags |= VMTRACE_CFG_F_HOST_SAMPLES;
			break;
		case 'N':
			cfg.flags |= VMTRACE_CFG_F_NO_EXITS;
			break;
		case 'e':
			if (parse_u32_list(optarg, exits, VMTRACE_FILTER_MAX,
					   &cfg.nr_exits))
				goto usage;
			break;
		case 'r':
			if (parse_size(optarg, &value) || value > UINT32_MAX ||
			    !value || (value & (value - 1)))
				goto usage;
			cfg.ring_size = value;
			break;
		case 'h':
			record_usage(stdout);
			return 0;
		default:
			goto usage;
		}
	}
	if (optind < argc && strcmp(argv[optind - 1], "--"))
		goto usage;

	if (collect_connect(&c))
		return 1;
	err = vmt_client_status(c, &st);
	if (err) {
		collect_error(c, "status", err);
		goto out_close;
	}
	vmt_status_free(&st);

	sink.out = fopen(output, "wb");
	if (!sink.out) {
		fprintf(stderr, "%s: %s: %s\n", prog_name, output, strerror(errno));
		goto out_close;
	}
	if (vmt_raw_write_header(sink.out, st.tsc_khz))
		goto out_write_error;

	err = vmt_client_start(c, &cfg);
	if (err) {
		collect_error(c, "start", err);
		goto out_remove;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (optind < argc) {
		child = fork();
		if (child < 0) {
			fprintf(stderr, "%s: fork: %s\n", prog_name, strerror(errno));
			record_stop = 1;
		} else if (child == 0) {
			signal(SIGINT, SIG_DFL);
			signal(SIGTERM, SIG_DFL);
			execvp(argv[optind], argv + optind);
			fprintf(stderr, "%s: %s: %s\n", prog_name, argv[optind],
				strerror(errno));
			_exit(127);
		}
	}

	start = now_seconds();
	while (!record_stop) {
		long n = vmt_client_read(c, sink_records, &sink);

		if (n < 0) {
			collect_error(c, "read", n);
			break;
		}
		if (child > 0 && waitpid(child, &child_status, WNOHANG) == child)
			child = 0;
		if (child == 0 || (duration > 0 && now_seconds() - start >= duration))
			break;
		/* A busy ring is drained again at once; an idle one rests. */
		if (n < 1024)
			usleep(20000);
	}
	err = vmt_client_stop(c);
	if (err)
		collect_error(c, "stop", err);
	/* Stopped: one more READ drains all and flushes pending loss. */
	if (vmt_client_read(c, sink_records, &sink) < 0)
		collect_error(c, "read", -EIO);
	if (child > 0) {
		kill(child, SIGTERM);
		waitpid(child, &child_status, 0);
	}
	err = vmt_client_status(c, &st);
	if (fflush(sink.out) || ferror(sink.out))
		goto out_write_error;
	fclose(sink.out);
	sink.out = NULL;

	fprintf(stderr, "%s: %llu records (%llu events) written to %s\n", prog_name,
		(unsigned long long)sink.records, (unsigned long long)sink.events,
		output);
	fprintf(stderr, "%s: lost:", prog_name);
	for (cause = 0; cause < __VMTRACE_LOST_MAX; cause++)
		fprintf(stderr, " %s %llu", vmt_lost_cause_name(cause),
			(unsigned long long)sink.lost[cause]);
	fprintf(stderr, "\n");
	if (!err) {
		uint64_t produced = 0, drained = 0, lost = 0;

		for (i = 0; i < st.nr_cpu_stats; i++) {
			produced += st.cpu_stats[i].produced;
			drained += st.cpu_stats[i].drained;
			for (cause = 0; cause < __VMTRACE_LOST_MAX; cause++)
				lost += st.cpu_stats[i].lost[cause];
		}
		fprintf(stderr, "%s: module: produced %llu drained %llu lost %llu\n",
			prog_name, (unsigned long long)produced,
			(unsigned long long)drained, (unsigned long long)lost);
		vmt_status_free(&st);
	}
	ret = 0;
	if (optind < argc)
		ret = WIFEXITED(child_status) ? WEXITSTATUS(child_status) :
		      128 + WTERMSIG(child_status);
	goto out_close;

out_write_error:
	fprintf(stderr, "%s: %s: write error\n", prog_name, output);
out_remove:
	if (sink.out)
		fclose(sink.out);
	unlink(output);
out_close:
	vmt_client_close(c);
	return ret;

usage:
	record_usage(stderr);
	return EXIT_USAGE;
}
