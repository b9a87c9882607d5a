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

static void ps_usage(FILE *f)
{
	fprintf(f,
		"Usage: %s ps --vm PID [--threads] [--profile-dir DIR]\n"
		"          [--guest-profile PROFILE]\n\n"
		"Lists the processes of the guest whose VMM has pid PID, read from\n"
		"guest memory: pid, parent, uid, state, page-table base (CR3) and\n"
		"name; --threads lists every thread (TID and its own name).  The guest\n"
		"kernel's profile is found in DIR (default %s)\n"
		"by its banner, or given.\n",
		prog_name, VMT_PROFILE_DIR_DEFAULT);
}

static void print_uid(uint32_t uid)
{
	if (uid == (uint32_t)-1)
		printf("%6s", "?");
	else
		printf("%6u", uid);
}

int ps_main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "vm", required_argument, NULL, 'V' },
		{ "threads", no_argument, NULL, 'T' },
		{ "profile-dir", required_argument, NULL, 'D' },
		{ "guest-profile", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct vmt_guest_opts opts = { 0 };
	struct vmt_guest_task *tasks;
	struct vmt_guest *g;
	uint64_t vm_pid = 0;
	int opt, threads = 0, ret = 1;
	size_t nr, i;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'V':
			if (parse_u64(optarg, 1, INT_MAX, &vm_pid))
				goto usage;
			break;
		case 'T': threads = 1; break;
		case 'D': opts.profile_dir = optarg; break;
		case 'P': opts.profile_path = optarg; break;
		case 'h': ps_usage(stdout); return 0;
		default: goto usage;
		}
	}
	if (optind != argc || !vm_pid)
		goto usage;
	if (guest_cmd_open(vm_pid, &opts, &g))
		return 1;
	if (!guest_cmd_ready(g))
		goto out;
	if (vmt_guest_tasks(g, threads, &tasks, &nr)) {
		fprintf(stderr, "%s: out of memory\n", prog_name);
		goto out;
	}
	if (threads)
		printf("%7s %7s %7s %6s S %-16s %-16s %s\n", "PID", "TID", "PPID",
		       "UID", "CR3", "COMM", "THREAD");
	else
		printf("%7s %7s %6s S %-16s %s\n", "PID", "PPID", "UID", "CR3", "COMM");
	for (i = 0; i < nr; i++) {
		const struct vmt_guest_task *t = &tasks[i];

		printf("%7u ", t->pid);
		if (threads)
			printf("%7u ", t->tid);
		printf("%7u ", t->ppid);
		print_uid(t->uid);
		printf(" %c %-16llx %s%s%s", t->state, (unsigned long long)t->cr3,
		       t->flags & VMT_GTASK_KTHREAD ? "[" : "", t->comm,
		       t->flags & VMT_GTASK_KTHREAD ? "]" : "");
		if (threads)
			printf(" %s", t->thread_comm);
		printf("\n");
	}
	free(tasks);
	ret = 0;
out:
	vmt_guest_close(g);
	return ret;
usage:
	ps_usage(stderr);
	return EXIT_USAGE;
}
