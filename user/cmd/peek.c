// SPDX-License-Identifier: GPL-2.0
/*
 * vmtrace-collect peek: read a guest process's virtual memory from the host
 * through the guest's page tables, once or watching for changes.
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
#include "util/clock.h"
#include "cmd/cmd.h"
#include "guest/guest.h"
#include "cmd/guest_cmds.h"
#include "util/options.h"

#define PEEK_LEN_MAX (1U << 20)

static volatile sig_atomic_t peek_stop;

static void on_signal(int sig)
{
	(void)sig;
	peek_stop = 1;
}

static void peek_usage(FILE *f)
{
	fprintf(f,
		"Usage: %s peek --vm PID (--guest-pid N | --cr3 CR3 --paging MODE)\n"
		"          --addr VA [--len N] [--watch SECONDS] [--interval MS]\n"
		"          [--format hex|u32|u64] [--profile-dir DIR] [--guest-profile PROFILE]\n"
		"          [--backend module|bpf|auto]\n\n"
		"Reads LEN bytes (default 64, at most 1M) at virtual address VA of guest\n"
		"process N (0: the kernel) of the VM whose VMM has pid PID, through the\n"
		"guest's page tables, and prints them: a hex dump, or little-endian\n"
		"unsigned numbers.  --watch: reads again every --interval ms (default\n"
		"100) for SECONDS and prints the memory each time it changed.\n"
		"--cr3 CR3 --paging 32|pae|4|5: through those page tables (a CR3 from a\n"
		"record: script shows them), no profile needed (any guest, 32-bit too).\n"
		"--backend: where the guest's memory map comes from: vmtrace.ko, or\n"
		"BPF (auto: BPF when vmtrace.ko is not loaded).\n"
		CMD_HELP_FOOTER, cmd_prog_name);
}

enum peek_format { FMT_HEX, FMT_U32, FMT_U64 };

static void dump(uint64_t va, const uint8_t *buf, size_t len, enum peek_format fmt,
		 const char *prefix)
{
	size_t i, j, step = fmt == FMT_U64 ? 8 : fmt == FMT_U32 ? 4 : 16;

	for (i = 0; i < len; i += step) {
		printf("%s%016llx:", prefix, (unsigned long long)(va + i));
		if (fmt != FMT_HEX) {
			uint64_t v = 0;

			for (j = step; j > 0; j--)
				v = v << 8 | (i + j - 1 < len ? buf[i + j - 1] : 0);
			printf(" %llu\n", (unsigned long long)v);
			continue;
		}
		for (j = 0; j < 16; j++) {
			if (i + j < len)
				printf(" %02x", buf[i + j]);
			else
				printf("   ");
		}
		printf("  |");
		for (j = 0; j < 16 && i + j < len; j++)
			putchar(buf[i + j] >= 0x20 && buf[i + j] < 0x7f ? buf[i + j] : '.');
		printf("|\n");
	}
	fflush(stdout);
}

static const char *read_error(int err)
{
	switch (err) {
	case -ESRCH: return "no such guest process (or a kernel thread)";
	case -ENOENT: return "not mapped in those page tables";
	case -ERANGE: return "not a valid address in the guest's paging mode";
	case -EFAULT: return "the guest's page tables point outside its memory";
	default: return strerror(-err);
	}
}

/* What the command line asks for. */
struct peek_args {
	struct guest_opts opts;
	uint64_t vm_pid;
	uint64_t gpid;			/* UINT64_MAX: none, --cr3 instead */
	uint64_t cr3;			/* 0: none, --guest-pid instead */
	enum guest_paging paging;
	uint64_t va, len;
	double watch;			/* seconds; < 0: read once */
	uint64_t interval;		/* ms */
	enum peek_format fmt;
	enum client_backend backend;	/* of the memory map */
};

/* Through a guest process's page tables, or the CR3 given. */
static int read_mem(struct guest *g, const struct peek_args *a, void *buf, size_t *done)
{
	if (a->cr3)
		return guest_read_cr3(g, a->paging, a->cr3, a->va, buf, a->len, done);
	return guest_read_virt(g, a->gpid, a->va, buf, a->len, done);
}

static void print_read_error(const struct peek_args *a, uint64_t at, int err)
{
	if (a->cr3)
		fprintf(stderr, "%s: cr3 0x%llx, 0x%llx: %s\n", cmd_prog_name,
			(unsigned long long)a->cr3, (unsigned long long)at, read_error(err));
	else
		fprintf(stderr, "%s: guest pid %llu, 0x%llx: %s\n", cmd_prog_name,
			(unsigned long long)a->gpid, (unsigned long long)at, read_error(err));
}

/*
 * Parse peek's options into @a.  -1 to peek, or the exit status to return
 * at once: 0 after --help or --version, CMD_EXIT_USAGE after saying what
 * is wrong.
 */
static int parse_args(int argc, char *argv[], struct peek_args *a)
{
	static const struct option longopts[] = {
		{ "vm", required_argument, NULL, 'V' },
		{ "guest-pid", required_argument, NULL, 'p' },
		{ "addr", required_argument, NULL, 'a' },
		{ "len", required_argument, NULL, 'l' },
		{ "watch", required_argument, NULL, 'w' },
		{ "interval", required_argument, NULL, 'i' },
		{ "format", required_argument, NULL, 'f' },
		{ "cr3", required_argument, NULL, 'c' },
		{ "paging", required_argument, NULL, 'g' },
		{ "profile-dir", required_argument, NULL, 'D' },
		{ "guest-profile", required_argument, NULL, 'P' },
		{ "backend", required_argument, NULL, 'k' },
		CMD_COMMON_OPTIONS,
		{ 0 }
	};
	bool have_addr = false;
	int opt, ret;

	*a = (struct peek_args){ .gpid = UINT64_MAX, .len = 64, .interval = 100,
				 .paging = GUEST_PAGING_NONE, .fmt = FMT_HEX, .watch = -1 };
	optind = 1;
	while ((opt = cmd_getopt(argc, argv, ":h", longopts, &ret)) != -1) {
		switch (opt) {
		case 'V':
			if (util_parse_u64(optarg, 1, INT_MAX, &a->vm_pid))
				return cmd_bad_value("--vm", optarg, "not a VMM pid");
			break;
		case 'p':
			if (util_parse_u64(optarg, 0, INT_MAX, &a->gpid))
				return cmd_bad_value("--guest-pid", optarg, "not a guest pid (0: the kernel)");
			break;
		case 'a':
			if (util_parse_u64(optarg, 0, UINT64_MAX, &a->va))
				return cmd_bad_value("--addr", optarg, "not an address (0x hex or decimal)");
			have_addr = true;
			break;
		case 'l':
			if (util_parse_size(optarg, &a->len) || !a->len || a->len > PEEK_LEN_MAX)
				return cmd_bad_value("--len", optarg, "not a length from 1 to 1M bytes");
			break;
		case 'w':
			if (util_parse_seconds(optarg, &a->watch))
				return cmd_bad_value("--watch", optarg, "not a number of seconds");
			break;
		case 'i':
			if (util_parse_u64(optarg, 1, 3600000, &a->interval))
				return cmd_bad_value("--interval", optarg,
						 "not a number of milliseconds from 1 to 3600000");
			break;
		case 'f':
			if (!strcmp(optarg, "hex"))
				a->fmt = FMT_HEX;
			else if (!strcmp(optarg, "u32"))
				a->fmt = FMT_U32;
			else if (!strcmp(optarg, "u64"))
				a->fmt = FMT_U64;
			else
				return cmd_bad_value("--format", optarg, "hex, u32 or u64");
			break;
		case 'c':
			if (util_parse_u64(optarg, 1, UINT64_MAX, &a->cr3))
				return cmd_bad_value("--cr3", optarg, "not a page-table base (0x hex)");
			break;
		case 'g':
			if (guest_paging_parse(optarg, &a->paging))
				return cmd_bad_value("--paging", optarg, "32, pae, 4 or 5");
			break;
		case 'D': a->opts.profile_dir = optarg; break;
		case 'P': a->opts.profile_path = optarg; break;
		case 'k':
			if (cmd_parse_backend(optarg, &a->backend))
				return CMD_EXIT_USAGE;
			break;
		case 'h': peek_usage(stdout); return 0;
		}
	}
	if (ret >= 0)
		return ret;
	if (optind != argc)
		return cmd_usage_error("%s: unexpected argument", argv[optind]);
	if (!a->vm_pid)
		return cmd_usage_error("which VM? --vm PID (of its VMM; see %s vms)", cmd_prog_name);
	if (!have_addr)
		return cmd_usage_error("where? --addr VA");
	/* One way to the page tables: a guest process, or a CR3 and its mode. */
	if ((a->gpid == UINT64_MAX) == !a->cr3)
		return cmd_usage_error("whose memory? either --guest-pid N or --cr3 CR3");
	if (!a->cr3 != (a->paging == GUEST_PAGING_NONE))
		return cmd_usage_error("--cr3 and --paging go together");
	return -1;
}

/*
 * Read again every --interval ms for --watch seconds (or until a signal),
 * printing the memory each time it changed, then how many times it did.
 * 0, or 1 after a read failed.
 */
static int watch_changes(struct guest *g, const struct peek_args *a, uint8_t *buf,
			 uint8_t *prev)
{
	unsigned long changes = 0;
	double start;
	size_t done;
	int err, ret = 0;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	start = util_mono_s();
	while (!peek_stop && util_mono_s() - start < a->watch) {
		usleep(a->interval * 1000);
		memcpy(prev, buf, a->len);
		err = read_mem(g, a, buf, &done);
		if (!a->cr3 && (err == -ESRCH || err == -ENOENT)) {
			/* The process exited or unmapped it: the task list says. */
			guest_rewalk(g);
			err = read_mem(g, a, buf, &done);
		}
		if (err) {
			print_read_error(a, a->va + done, err);
			ret = 1;
			break;
		}
		if (!memcmp(prev, buf, a->len))
			continue;
		changes++;
		printf("change %lu at +%.3f s\n", changes, util_mono_s() - start);
		dump(a->va, buf, a->len, a->fmt, "");
	}
	printf("watched %.1f s: %lu changes\n", util_mono_s() - start, changes);
	return ret;
}

/* Read and print the memory, then watch it if asked: 0, or 1 after saying why not. */
static int peek(struct guest *g, const struct peek_args *a, uint8_t *buf, uint8_t *prev)
{
	size_t done;
	int err;

	if (!a->cr3 && !cmd_guest_ready(g))
		return 1;
	err = read_mem(g, a, buf, &done);
	if (err) {
		print_read_error(a, a->va + done, err);
		return 1;
	}
	dump(a->va, buf, a->len, a->fmt, "");
	if (a->watch < 0)
		return 0;
	return watch_changes(g, a, buf, prev);
}

int cmd_peek(int argc, char *argv[])
{
	struct peek_args a;
	uint8_t *buf, *prev;
	struct guest *g;
	int ret;

	ret = parse_args(argc, argv, &a);
	if (ret >= 0)
		return ret;
	ret = cmd_load_guest_profile(a.opts.profile_path, NULL);
	if (ret)
		return ret;
	ret = 1;
	buf = malloc(a.len);
	prev = malloc(a.len);
	if (!buf || !prev) {
		fprintf(stderr, "%s: out of memory\n", cmd_prog_name);
		goto out;
	}
	if (cmd_guest_open(a.vm_pid, a.backend, &a.opts, &g))
		goto out;
	ret = peek(g, &a, buf, prev);
	guest_close(g);
out:
	free(buf);
	free(prev);
	return ret;
}
