// SPDX-License-Identifier: GPL-2.0
/*
 * vmtrace-collect ps --vm PID: the guest's processes, read live from the
 * host out of guest memory (as Volatility's linux.pslist does on images).
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd/cmd.h"
#include "guest/guest.h"
#include "cmd/guest_cmds.h"
#include "util/options.h"
#include "view/vm_report.h"

static void ps_usage(FILE *f)
{
	fprintf(f,
		"Usage: %s ps --vm PID [--threads] [--profile-dir DIR]\n"
		"          [--guest-profile PROFILE] [--format text|json]\n"
		"          [--backend module|bpf|auto]\n\n"
		"Lists the processes of the guest whose VMM has pid PID, read from\n"
		"guest memory: pid, parent, uid, state, page-table base (CR3) and\n"
		"name; --threads lists every thread (TID and its own name).  The guest\n"
		"kernel's profile is found in DIR (default %s)\n"
		"by its banner, or given.  --format json: one array of objects (keys\n"
		"in Documentation/cli.rst).  --backend: where the guest's memory map\n"
		"comes from: vmtrace.ko, or BPF (auto: BPF when vmtrace.ko is not\n"
		"loaded).\n" CMD_HELP_FOOTER,
		cmd_prog_name, GUEST_PROFILE_DIR_DEFAULT);
}

static void print_uid(uint32_t uid)
{
	if (uid == (uint32_t)-1)
		printf("%6s", "?");
	else
		printf("%6u", uid);
}

static void print_text(const struct guest_task *tasks, size_t nr, bool threads)
{
	size_t i;

	if (threads)
		printf("%7s %7s %7s %6s S %-16s %-16s %s\n", "PID", "TID", "PPID",
		       "UID", "CR3", "COMM", "THREAD");
	else
		printf("%7s %7s %6s S %-16s %s\n", "PID", "PPID", "UID", "CR3", "COMM");
	for (i = 0; i < nr; i++) {
		const struct guest_task *t = &tasks[i];

		printf("%7u ", t->pid);
		if (threads)
			printf("%7u ", t->tid);
		printf("%7u ", t->ppid);
		print_uid(t->uid);
		printf(" %c %-16llx %s%s%s", t->state, (unsigned long long)t->cr3,
		       t->flags & GUEST_TASK_KTHREAD ? "[" : "", t->comm,
		       t->flags & GUEST_TASK_KTHREAD ? "]" : "");
		if (threads)
			printf(" %s", t->thread_comm);
		printf("\n");
	}
}

/* The same as an array of objects; "tid" and "thread" with --threads only. */
static void print_json(const struct guest_task *tasks, size_t nr, bool threads)
{
	char state[2] = "";
	size_t i;

	printf("[");
	for (i = 0; i < nr; i++) {
		const struct guest_task *t = &tasks[i];

		printf("%s{\"pid\":%u,", i ? "," : "", t->pid);
		if (threads)
			printf("\"tid\":%u,", t->tid);
		printf("\"ppid\":%u,\"uid\":", t->ppid);
		if (t->uid == (uint32_t)-1)
			printf("null");
		else
			printf("%u", t->uid);
		state[0] = t->state;
		printf(",\"state\":");
		view_vm_json_str(stdout, state);
		printf(",\"cr3\":%llu,\"kthread\":%s,\"comm\":", (unsigned long long)t->cr3,
		       t->flags & GUEST_TASK_KTHREAD ? "true" : "false");
		view_vm_json_str(stdout, t->comm);
		if (threads) {
			printf(",\"thread\":");
			view_vm_json_str(stdout, t->thread_comm);
		}
		printf("}");
	}
	printf("]\n");
}

int cmd_ps(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "vm", required_argument, NULL, 'V' },
		{ "threads", no_argument, NULL, 'T' },
		{ "profile-dir", required_argument, NULL, 'D' },
		{ "guest-profile", required_argument, NULL, 'P' },
		{ "format", required_argument, NULL, 'f' },
		{ "backend", required_argument, NULL, 'k' },
		CMD_COMMON_OPTIONS,
		{ 0 }
	};
	struct guest_opts opts = { 0 };
	struct guest_task *tasks;
	struct guest *g;
	uint64_t vm_pid = 0;
	bool threads = false, json = false;
	enum client_backend backend = CLIENT_BACKEND_AUTO;
	int opt, ret = 1;
	size_t nr;

	optind = 1;
	while ((opt = cmd_getopt(argc, argv, ":h", longopts, &ret)) != -1) {
		switch (opt) {
		case 'V':
			if (util_parse_u64(optarg, 1, INT_MAX, &vm_pid))
				return cmd_bad_value("--vm", optarg, "not a VMM pid");
			break;
		case 'T': threads = true; break;
		case 'D': opts.profile_dir = optarg; break;
		case 'P': opts.profile_path = optarg; break;
		case 'f':
			if (cmd_parse_format(optarg, &json))
				return CMD_EXIT_USAGE;
			break;
		case 'k':
			if (cmd_parse_backend(optarg, &backend))
				return CMD_EXIT_USAGE;
			break;
		case 'h': ps_usage(stdout); return 0;
		}
	}
	if (ret >= 0)
		return ret;
	if (optind != argc)
		return cmd_usage_error("%s: unexpected argument", argv[optind]);
	if (!vm_pid)
		return cmd_usage_error("which VM? --vm PID (of its VMM; see %s vms)", cmd_prog_name);
	ret = cmd_load_guest_profile(opts.profile_path, NULL);
	if (ret)
		return ret;
	if (cmd_guest_open(vm_pid, backend, &opts, &g))
		return 1;
	ret = 1;
	if (!cmd_guest_ready(g))
		goto out;
	if (guest_tasks(g, threads, &tasks, &nr)) {
		fprintf(stderr, "%s: out of memory\n", cmd_prog_name);
		goto out;
	}
	if (json)
		print_json(tasks, nr, threads);
	else
		print_text(tasks, nr, threads);
	free(tasks);
	ret = fflush(stdout) ? 1 : 0;
out:
	guest_close(g);
	return ret;
}
