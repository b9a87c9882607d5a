// SPDX-License-Identifier: GPL-2.0
/*
 * vmtrace-collect record: start a session, drain the rings until the
 * duration ends, COMMAND exits or a signal arrives, stop, drain what is
 * left, and account for every record; all of it written to a .vmt trace
 * (trace/trace.h) in time order, with the VMs' identities on the side.
 *
 * The file is usable at every moment: frames close at least every second,
 * so a collector killed outright loses at most its last second.
 *
 * Every --metrics-interval, the interval metrics of both sides (the VMMs'
 * CPU and memory from /proc, the guests' own accounting from guest
 * memory: view/metrics_recorder.h) go into the trace too.
 *
 * With COMMAND (and no --vm, no --all-vms), the trace holds only the VMs
 * that COMMAND or its descendants create, as `perf record -- COMMAND`
 * holds only COMMAND's events: the module records every VM, and the
 * collector keeps those whose VMM descends from COMMAND.
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
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "util/clock.h"
#include "trace/names.h"
#include "guest/record.h"
#include "host/host_info.h"
#include "util/options.h"
#include "trace/reorder.h"
#include "trace/trace.h"
#include "host/vmm_identity.h"
#include "cmd/cmd.h"
#include "cmd/guest_cmds.h"
#include "view/metrics_recorder.h"

#define DRAIN_IDLE_US 20000		/* rest between drains of a quiet ring */
#define DRAIN_BUSY 1024			/* records: drain again at once */
#define REORDER_MARGIN_MS 50		/* RDTSC to commit, at worst */
#define STATUS_INTERVAL_NS 500000000ull
#define MAX_KNOWN_VMS 4096

static volatile sig_atomic_t record_stop;

static void on_signal(int sig)
{
	(void)sig;
	record_stop = 1;
}

struct recorder {
	const char *output;
	const char *backend;		/* what counted: "module" or "bpf" */
	struct trace_writer *w;
	struct trace_reorder pending;
	uint64_t reorder_margin;	/* TSC cycles */
	int err;			/* first write error */
	/* The VMs seen, and whether the trace keeps their records. */
	struct {
		uint32_t id;
		bool wanted;
	} vms[MAX_KNOWN_VMS];
	size_t nr_vms;
	pid_t scope;			/* keep only VMs of this process tree;
					 * 0: all, -1: COMMAND's, not started */
	uint64_t left_out;		/* records of other VMs */
	struct guest_recorder *guests;	/* guest introspection, or NULL */
	struct view_recorder *metrics;	/* interval metrics, or NULL */
	struct vmtrace_record *kept;	/* scratch for filtering a batch */
	size_t kept_cap;
	/* Status line */
	bool tty;
	uint64_t start_ns, last_status_ns, last_status_records;
	uint64_t last_clock_ns;
	uint64_t cpu_start_ns;		/* this process's CPU time at start */
	uint32_t ring_records;		/* records a ring holds */
};

/* CPU time of this process, all its threads (not COMMAND's). */
static uint64_t own_cpu_ns(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return 0;
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ULL +
	       (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ULL;
}

/* The index of VM @vm_id in rec->vms, or -1. */
static long vm_index(const struct recorder *rec, uint32_t vm_id)
{
	for (size_t i = 0; i < rec->nr_vms; i++)
		if (rec->vms[i].id == vm_id)
			return i;
	return -1;
}

/* The parent of @pid, from /proc/PID/stat; 0 if it cannot be read. */
static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512], *paren;
	int ppid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	/* "pid (comm) state ppid": comm may hold anything, even ") ". */
	if (fgets(buf, sizeof(buf), f) && (paren = strrchr(buf, ')')))
		sscanf(paren + 1, " %*c %d", &ppid);
	fclose(f);
	return ppid;
}

/* Is the VMM @pid @scope or one of its descendants?  A VMM gone already
 * cannot tell: its VM is kept rather than lost. */
static bool in_scope(pid_t scope, pid_t pid)
{
	for (int depth = 0; depth < 64 && pid > 1; depth++) {
		if (pid == scope)
			return true;
		pid = parent_of(pid);
		if (!pid)
			return depth > 0 ? false : true;
	}
	return false;
}

/* Note a VM and write its metadata entry, with what its VMM process
 * tells, once; with a scope, only if the trace keeps it. */
static void describe_vm(struct recorder *rec, uint32_t vm_id, uint32_t pid,
			uint32_t vendor, uint32_t nr_vcpus, uint64_t seen_tsc)
{
	struct trace_vm_meta vm = {
		.vm_id = vm_id, .vmm_pid = pid, .vendor = vendor,
		.nr_vcpus = nr_vcpus, .seen_tsc = seen_tsc,
	};
	/* scope -1: COMMAND is not started yet, so this VM is not its. */
	bool wanted = !rec->scope || (rec->scope > 0 && in_scope(rec->scope, pid));
	int err;

	if (vm_index(rec, vm_id) >= 0)
		return;
	if (rec->nr_vms < MAX_KNOWN_VMS) {
		rec->vms[rec->nr_vms].id = vm_id;
		rec->vms[rec->nr_vms++].wanted = wanted;
	}
	if (!wanted)
		return;
	/* A VMM gone already leaves only the ids: still worth an entry. */
	host_vmm_identity_read(pid, &vm);
	/* Its guest is looked at after this READ dump (guest_rec_attach). */
	if (rec->guests)
		guest_rec_note_vm(rec->guests, &vm);
	err = trace_write_vm(rec->w, &vm);
	if (err && !rec->err)
		rec->err = err;
}

/* Does the trace keep @vm's interval metrics?  As its records. */
static bool keep_vm_metrics(void *arg, const struct trace_snapshot_vm *vm)
{
	struct recorder *rec = arg;
	long i;

	if (!rec->scope)
		return true;
	i = vm_index(rec, vm->id.vm_id);
	return i >= 0 && rec->vms[i].wanted;
}

/* Keep @r?  Loss markers and host samples concern every VM: always. */
static bool keep_record(struct recorder *rec, const struct vmtrace_record *r,
			long *last_vm)
{
	if (r->kind == VMTRACE_KIND_LOST || (r->flags & VMTRACE_REC_F_HOST))
		return true;
	if (*last_vm < 0 || rec->vms[*last_vm].id != r->vm_id)
		*last_vm = vm_index(rec, r->vm_id);
	/* A VM without VM_NEW in this session predates COMMAND. */
	return *last_vm >= 0 && rec->vms[*last_vm].wanted;
}

/* Each batch the module hands over: identify new VMs at once (their VMM
 * may not live long), then hold the records for sorting. */
static int sink_records(void *arg, uint32_t cpu, const struct vmtrace_record *recs,
			size_t n)
{
	struct recorder *rec = arg;

	(void)cpu;
	for (size_t i = 0; i < n; i++)
		if (recs[i].kind == VMTRACE_KIND_VM_NEW)
			describe_vm(rec, recs[i].vm_id, recs[i].vmm_pid, recs[i].vendor,
				    recs[i].exit_reason, recs[i].host_tsc);
	if (rec->metrics)
		view_recorder_feed(rec->metrics, recs, n);
	return trace_reorder_add(&rec->pending, recs, n);
}

/*
 * Write sorted records, only COMMAND's VMs' with a scope.  Deciding here,
 * not as they are drained: a VM's first records may be drained (from one
 * CPU) before its VM_NEW (from another); but whatever the reorder buffer
 * lets out is older than the drain before, and so is the VM_NEW, stamped
 * within microseconds of its VM's first record.
 */
static int write_sorted(void *arg, const struct vmtrace_record *recs, size_t n)
{
	struct recorder *rec = arg;
	long last_vm = -1;
	size_t kept = 0;
	int err;

	/* Guest tasks and symbols of these records, as metadata. */
	if (rec->guests) {
		err = guest_rec_decode(rec->guests, rec->w, recs, n);
		if (err)
			return err;
	}
	if (!rec->scope)
		return trace_write_records(rec->w, recs, n);
	if (rec->kept_cap < n) {
		struct vmtrace_record *k = realloc(rec->kept, n * sizeof(*k));

		if (!k)
			return -ENOMEM;
		rec->kept = k;
		rec->kept_cap = n;
	}
	for (size_t i = 0; i < n; i++)
		if (keep_record(rec, &recs[i], &last_vm))
			rec->kept[kept++] = recs[i];
	rec->left_out += n - kept;
	return trace_write_records(rec->w, rec->kept, kept);
}

/* Write out what is certainly complete up to @before (UINT64_MAX: all). */
static void flush_before(struct recorder *rec, uint64_t before)
{
	int err = trace_reorder_flush(&rec->pending, before, write_sorted, rec);

	if (err && !rec->err)
		rec->err = err;
}

/* The VMs alive before the session: they have no VM_NEW in it. */
static void describe_live_vms(struct recorder *rec, struct client *c)
{
	struct client_vm_info *vms;
	size_t nr;

	if (client_get_vms(c, &vms, &nr))
		return;		/* only the identities are missing then */
	for (size_t i = 0; i < nr; i++)
		describe_vm(rec, vms[i].id, vms[i].pid, vms[i].vendor, vms[i].nr_vcpus, 0);
	client_vms_free(vms, nr);
}

static void status_line(struct recorder *rec, bool final)
{
	struct trace_writer_stats st;
	uint64_t now = util_mono_ns(), lost = 0;
	double rate;

	if (cmd_verbosity < 0 || !rec->tty ||
	    (!final && now - rec->last_status_ns < STATUS_INTERVAL_NS))
		return;
	trace_writer_stats(rec->w, &st);
	for (int c = 0; c < __VMTRACE_LOST_MAX; c++)
		lost += st.lost[c];
	rate = now > rec->last_status_ns ?
	       (st.records - rec->last_status_records) * 1e9 / (now - rec->last_status_ns) : 0;
	if (final) {
		fprintf(stderr, "\r\033[K");
		return;
	}
	fprintf(stderr, "\r\033[K%s: %.1f s, %.0f records/s, %.2f MB written, lost %llu",
		cmd_prog_name, (now - rec->start_ns) / 1e9, rate, st.file_bytes / 1e6,
		(unsigned long long)lost);
	rec->last_status_ns = now;
	rec->last_status_records = st.records;
}

static void summary(struct recorder *rec, const struct trace_writer_stats *st,
		    const struct trace_end_meta *end, double seconds,
		    const struct view_recorder_stats *metrics)
{
	uint64_t raw = st->records * VMTRACE_RECORD_SIZE;
	double cpu_s = (own_cpu_ns() - rec->cpu_start_ns) / 1e9;

	/* -q: only the warning below. */
	if (cmd_verbosity < 0)
		goto warnings;
	fprintf(stderr, "%s: %llu records (%llu exits, %llu samples, %llu other) in %.1f s to %s\n",
		cmd_prog_name, (unsigned long long)st->records,
		(unsigned long long)st->by_kind[VMTRACE_KIND_EXIT],
		(unsigned long long)st->by_kind[VMTRACE_KIND_SAMPLE],
		(unsigned long long)(st->records - st->by_kind[VMTRACE_KIND_EXIT] -
				     st->by_kind[VMTRACE_KIND_SAMPLE]),
		seconds, rec->output);
	fprintf(stderr, "%s: lost:", cmd_prog_name);
	for (int c = 0; c < __VMTRACE_LOST_MAX; c++)
		fprintf(stderr, " %s %llu", trace_lost_cause_name(c),
			(unsigned long long)st->lost[c]);
	if (end->have_module_totals)
		fprintf(stderr, " (%s: produced %llu, drained %llu, lost %llu)", rec->backend,
			(unsigned long long)end->produced, (unsigned long long)end->drained,
			(unsigned long long)end->module_lost);
	if (rec->left_out)
		fprintf(stderr, "\n%s: %llu records of VMs not COMMAND's left out (--all-vms keeps them)",
			cmd_prog_name, (unsigned long long)rec->left_out);
	if (metrics)
		fprintf(stderr, "\n%s: interval metrics: %llu snapshots, %llu failed%s%s, slowest %.0f ms",
			cmd_prog_name, (unsigned long long)metrics->written,
			(unsigned long long)metrics->failed, metrics->first_error ? ": " : "",
			metrics->first_error ? strerror(-metrics->first_error) : "",
			metrics->slowest_ns / 1e6);
	if (metrics && metrics->unfed)
		fprintf(stderr, " (%llu records not counted in them: queue full)",
			(unsigned long long)metrics->unfed);
	fprintf(stderr, "\n%s: %llu bytes on disk, %.2f bytes/record, compression %.1f:1\n",
		cmd_prog_name, (unsigned long long)st->file_bytes,
		st->records ? (double)st->file_bytes / st->records : 0,
		st->file_bytes ? (double)raw / st->file_bytes : 0);
	/* What the recording cost this host, beside what it recorded. */
	fprintf(stderr, "%s: collector CPU %.2f s (%.1f %% of one CPU)",
		cmd_prog_name, cpu_s, seconds > 0 ? 100.0 * cpu_s / seconds : 0);
	if (st->records)
		fprintf(stderr, ", %.2f s per million records", cpu_s * 1e6 / st->records);
	fputc('\n', stderr);
warnings:
	if (st->lost[VMTRACE_LOST_RING_FULL])
		fprintf(stderr, "%s: %llu records lost to full rings: the drain fell "
			"behind the module (%.0f records/s kept on average; a ring holds "
			"%u records per CPU: --ring-size raises it)\n", cmd_prog_name,
			(unsigned long long)st->lost[VMTRACE_LOST_RING_FULL],
			seconds > 0 ? st->records / seconds : 0, rec->ring_records);
}

static void record_usage(FILE *file)
{
	fprintf(file,
		"Usage: %s record [-o FILE] [-d SECONDS] [--vm PID]... [--sample-hz N]\n"
		"         [--sample-source auto|pmu|timer] [--host-samples] [--sample-isolated]\n"
		"         [--no-exits] [--exit-reasons LIST] [--ring-size SIZE] [-z LEVEL]\n"
		"         [--all-vms] [--profile-dir DIR] [--guest-profile VMPID=PROFILE]...\n"
		"         [--no-guest] [--metrics-interval SECONDS] [--admin-uids LIST]\n"
		"         [--guest-btf FILE] [--guest-symbols FILE] [--backend module|bpf|auto]\n"
		"         [-- COMMAND [ARGS...]]\n\n"
		"Records VM-exits and guest samples to FILE (default vmtrace.vmt) until\n"
		"SECONDS pass, COMMAND exits (then exits with COMMAND's status) or\n"
		"SIGINT/SIGTERM arrives.  With COMMAND, only the VMs that COMMAND and\n"
		"its descendants run are kept, unless --vm or --all-vms says otherwise.\n"
		"LIST: exit reasons, comma-separated, as codes\n"
		"(decimal or 0x hex) or names of this host's vendor (io,hlt or\n"
		"IO_INSTRUCTION,HLT).  SIZE: bytes per CPU, a power of two, k/M suffix.\n"
		"CPUs isolated with isolcpus= or nohz_full= are sampled only with\n"
		"--sample-isolated.\n"
		"LEVEL: zstd level 1-19 (default 3).\n"
		"Guest processes, threads and kernel functions are named from guest\n"
		"memory with the Linux profile matching each guest's kernel (from DIR,\n"
		"default /var/lib/vmtrace/profiles; --guest-profile forces one for the\n"
		"VM of VMM VMPID); --no-guest: raw CR3s and RIPs only.\n"
		"Every --metrics-interval (default 1 s, 0: none) both sides' interval\n"
		"metrics (as top shows them) go into the trace too: report --by vm,process\n"
		"and --format html show them.  LIST: admin/service uids (0-999), FILE:\n"
		"the guest kernel's BTF and symbols, as for top.\n"
		"--backend: what records: vmtrace.ko (module), BPF programs on the same\n"
		"tracepoints for hosts that cannot load it (bpf: exits and timer samples;\n"
		"no guest names or interval metrics yet), or auto (default): the\n"
		"module if loaded, else BPF.\n"
		"-q: no progress line, summary or guest naming lines; -v: the session's\n"
		"settings first.\n"
		"See Documentation/vmtrace-collect-record.rst.\n" CMD_HELP_FOOTER,
		cmd_prog_name);
}

/* "io,0x78,HLT" -> codes, names looked up for the host's vendor. */
static int parse_exit_list(const char *s, uint32_t vendor, uint32_t *out,
			   uint32_t *nr)
{
	char buf[4096], *save, *tok;
	uint64_t v;

	if (strlen(s) >= sizeof(buf) || !*s || s[strlen(s) - 1] == ',' || strstr(s, ",,") ||
	    *s == ',')
		return -EINVAL;
	strcpy(buf, s);
	*nr = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (*nr == VMTRACE_FILTER_MAX)
			return -EINVAL;
		if (!util_parse_u64(tok, 0, UINT32_MAX, &v))
			out[(*nr)++] = v;
		else if (trace_exit_code(vendor, tok, &out[*nr]))
			return -EINVAL;
		else
			(*nr)++;
	}
	return 0;
}

/* The TSC frequency, measured, for a module that does not say it. */
static uint64_t measure_tsc_hz(void)
{
	struct trace_clock_pair a, b;

	host_clock_pair(&a);
	usleep(100000);
	host_clock_pair(&b);
	return b.mono_ns > a.mono_ns ?
	       (unsigned __int128)(b.tsc - a.tsc) * 1000000000ull / (b.mono_ns - a.mono_ns) : 0;
}

/* Did the child exit?  Leaves it a zombie (WNOWAIT): its /proc/PID/comm
 * stays readable for the final drain's VM identities. */
static bool child_exited(pid_t child)
{
	siginfo_t info = { 0 };

	return !waitid(P_PID, child, &info, WEXITED | WNOHANG | WNOWAIT) &&
	       info.si_pid == child;
}

/* What the command line asks for. */
struct record_args {
	struct client_start_config cfg;	/* pids and exits point below */
	uint32_t pids[VMTRACE_FILTER_MAX], exits[VMTRACE_FILTER_MAX];
	struct trace_writer_opts wopts;
	struct guest_rec_opts gopts;
	struct view_sampler_opts mopts;
	struct view_baseline_config baseline;
	const char *output;
	double duration;		/* 0: until stopped */
	double metrics_interval;	/* 0: no interval metrics */
	bool all_vms, guests;
	enum client_backend backend;	/* as asked: auto, module or bpf */
	int command;			/* argv index of COMMAND, or argc */
};

/*
 * Parse record's options into @a, and the host's description into @info
 * (the exit names depend on its vendor).  -1 to record, or the exit
 * status to return at once: 0 after --help or --version, CMD_EXIT_USAGE after
 * saying what is wrong.
 */
static int parse_args(int argc, char *argv[], struct record_args *a,
		      struct trace_info *info)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "duration", required_argument, NULL, 'd' },
		{ "vm", required_argument, NULL, 'V' },
		{ "sample-hz", required_argument, NULL, 'F' },
		{ "sample-source", required_argument, NULL, 'S' },
		{ "host-samples", no_argument, NULL, 'H' },
		{ "sample-isolated", no_argument, NULL, 'I' },
		{ "no-exits", no_argument, NULL, 'N' },
		{ "exit-reasons", required_argument, NULL, 'e' },
		{ "ring-size", required_argument, NULL, 'r' },
		{ "compression", required_argument, NULL, 'z' },
		{ "all-vms", no_argument, NULL, 'A' },
		{ "profile-dir", required_argument, NULL, 'D' },
		{ "guest-profile", required_argument, NULL, 'P' },
		{ "no-guest", no_argument, NULL, 'G' },
		{ "metrics-interval", required_argument, NULL, 'M' },
		{ "admin-uids", required_argument, NULL, 'U' },
		{ "guest-btf", required_argument, NULL, 'B' },
		{ "guest-symbols", required_argument, NULL, 'Y' },
		CMD_COMMON_OPTIONS,
		CMD_VERBOSITY_OPTIONS,
		{ "backend", required_argument, NULL, 'k' },
		{ 0 }
	};
	struct client_start_config *cfg = &a->cfg;
	const char *exit_list = NULL;
	uint64_t value;
	int opt, ret;

	memset(a, 0, sizeof(*a));
	cfg->pids = a->pids;
	cfg->exits = a->exits;
	view_baseline_config_default(&a->baseline);
	a->output = "vmtrace.vmt";
	a->metrics_interval = 1;
	a->guests = true;
	optind = 1;
	while ((opt = cmd_getopt(argc, argv, "+:o:d:z:hqv", longopts, &ret)) != -1) {
		switch (opt) {
		case 'o':
			a->output = optarg;
			break;
		case 'd':
			if (util_parse_seconds(optarg, &a->duration))
				return cmd_bad_value("-d", optarg, "not a number of seconds");
			break;
		case 'V':
			if (cfg->nr_pids == VMTRACE_FILTER_MAX)
				return cmd_bad_value("--vm", optarg, "at most %d VMs", VMTRACE_FILTER_MAX);
			if (util_parse_u64(optarg, 1, INT_MAX, &value))
				return cmd_bad_value("--vm", optarg, "not a VMM pid");
			a->pids[cfg->nr_pids++] = value;
			break;
		case 'F':
			if (util_parse_u64(optarg, 0, VMTRACE_SAMPLE_HZ_MAX, &value))
				return cmd_bad_value("--sample-hz", optarg, "not a rate from 0 to %d",
						 VMTRACE_SAMPLE_HZ_MAX);
			cfg->sample_hz = value;
			break;
		case 'S':
			if (!strcmp(optarg, "auto"))
				cfg->sample_source = VMTRACE_SAMPLE_AUTO;
			else if (!strcmp(optarg, "pmu"))
				cfg->sample_source = VMTRACE_SAMPLE_PMU;
			else if (!strcmp(optarg, "timer"))
				cfg->sample_source = VMTRACE_SAMPLE_TIMER;
			else
				return cmd_bad_value("--sample-source", optarg, "auto, pmu or timer");
			break;
		case 'H':
			cfg->flags |= VMTRACE_CFG_F_HOST_SAMPLES;
			break;
		case 'I':
			cfg->flags |= VMTRACE_CFG_F_SAMPLE_ISOLATED;
			break;
		case 'N':
			cfg->flags |= VMTRACE_CFG_F_NO_EXITS;
			break;
		case 'e':
			exit_list = optarg;
			break;
		case 'r':
			/* The module's bounds, said here rather than as its
			 * -EINVAL after the trace file is made. */
			if (util_parse_size(optarg, &value) || value < VMTRACE_RING_SIZE_MIN ||
			    value > VMTRACE_RING_SIZE_MAX || (value & (value - 1)))
				return cmd_bad_value("--ring-size", optarg,
						 "not a power of two from %uK to %uM bytes",
						 VMTRACE_RING_SIZE_MIN >> 10,
						 VMTRACE_RING_SIZE_MAX >> 20);
			cfg->ring_size = value;
			break;
		case 'z':
			if (util_parse_u64(optarg, 1, 19, &value))
				return cmd_bad_value("-z", optarg, "a zstd level from 1 to 19");
			a->wopts.level = value;
			break;
		case 'A':
			a->all_vms = true;
			break;
		case 'D':
			a->gopts.profile_dir = optarg;
			break;
		case 'P':
			if (guest_rec_add_forced(&a->gopts, optarg))
				return cmd_bad_value("--guest-profile", optarg, "VMPID=PROFILE");
			/* A bad profile is bad input: said now, not as a VM's
			 * missing names after the recording. */
			ret = cmd_load_guest_profile(strchr(optarg, '=') + 1, NULL);
			if (ret)
				return ret;
			break;
		case 'G':
			a->guests = false;
			break;
		case 'M':
			if (util_parse_seconds(optarg, &a->metrics_interval) ||
			    (a->metrics_interval > 0 && a->metrics_interval < 0.1))
				return cmd_bad_value("--metrics-interval", optarg,
						 "0 (none) or 0.1 seconds or more");
			break;
		case 'U':
			if (view_baseline_parse_uids(optarg, &a->baseline))
				return cmd_bad_value("--admin-uids", optarg,
						 "uids and ranges, e.g. 0-999,1500");
			break;
		case 'B':
			a->mopts.guest_btf = optarg;
			break;
		case 'Y':
			a->mopts.guest_symbols = optarg;
			break;
		case 'k':
			if (cmd_parse_backend(optarg, &a->backend))
				return CMD_EXIT_USAGE;
			break;
		case 'h':
			record_usage(stdout);
			return 0;
		}
	}
	if (ret >= 0)
		return ret;
	if (optind < argc && strcmp(argv[optind - 1], "--"))
		return cmd_usage_error("%s: unexpected argument (a COMMAND goes after --)",
				   argv[optind]);
	a->command = optind;
	host_info_fill(info);
	if (exit_list && parse_exit_list(exit_list, info->vendor, a->exits, &cfg->nr_exits))
		return cmd_bad_value("--exit-reasons", exit_list,
				 "exit names (as report prints them) or numbers of this host's %s",
				 info->vendor == VMTRACE_VENDOR_VMX ? "VMX" :
				 info->vendor == VMTRACE_VENDOR_SVM ? "SVM" : "CPU");
	return -1;
}

/* The trace's header: the host (parse_args()), the module, the session. */
static int describe_session(struct client *c, const struct record_args *a,
			    struct trace_info *info, struct recorder *rec)
{
	struct client_status st;
	int err;

	err = client_status(c, &st);
	if (err) {
		cmd_error(c, "status", err);
		return err;
	}
	info->tsc_hz = st.tsc_khz ? st.tsc_khz * 1000ull : measure_tsc_hz();
	info->nr_cpus = st.nr_cpus;
	snprintf(info->backend, sizeof(info->backend), "%s",
		 client_backend_name(client_get_backend(c)));
	/* The BPF programs are the collector's own: no module version. */
	if (client_get_backend(c) == CLIENT_BACKEND_MODULE)
		snprintf(info->module_version, sizeof(info->module_version), "%.31s",
			 st.version);
	snprintf(info->collector, sizeof(info->collector), "vmtrace-collect %d",
		 TRACE_VERSION);
	info->sample_hz = a->cfg.sample_hz;
	info->sample_source = a->cfg.sample_source;
	info->cfg_flags = a->cfg.flags;
	info->ring_size = a->cfg.ring_size ? a->cfg.ring_size : VMTRACE_RING_SIZE_DEFAULT;
	rec->ring_records = info->ring_size / VMTRACE_RECORD_SIZE;
	info->nr_exit_filters = a->cfg.nr_exits;
	host_clock_pair(&info->clock);
	rec->reorder_margin = info->tsc_hz / 1000 * REORDER_MARGIN_MS;
	return 0;
}

/* Fork and exec COMMAND: its pid, or -1 (said; the recording stops). */
static pid_t run_command(char *argv[], struct recorder *rec)
{
	pid_t child = fork();

	if (child < 0) {
		fprintf(stderr, "%s: fork: %s\n", cmd_prog_name, strerror(errno));
		record_stop = 1;
	} else if (child == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		execvp(argv[0], argv);
		fprintf(stderr, "%s: %s: %s\n", cmd_prog_name, argv[0], strerror(errno));
		_exit(127);
	} else if (rec->scope) {
		rec->scope = child;
	}
	return child;
}

/*
 * Interval metrics, on a thread of their own (view/metrics_recorder.h).
 * After the session started (and COMMAND): the first snapshot opens guest
 * decoders, seconds under emulation, and the session must not start that
 * much later than asked (the records wait in the rings meanwhile; losses
 * would be counted).
 */
static void open_metrics(struct record_args *a, struct recorder *rec)
{
	int err;

	a->mopts.profile_dir = a->gopts.profile_dir;
	a->mopts.sample_hz = a->cfg.sample_hz;
	a->mopts.no_guest = !a->guests;
	a->mopts.vm_pids = a->pids;
	a->mopts.nr_vm_pids = a->cfg.nr_pids;
	err = view_recorder_open(&a->mopts, &a->baseline, a->metrics_interval, rec->w,
			       keep_vm_metrics, rec, &rec->metrics);
	if (err)
		fprintf(stderr, "%s: no interval metrics: %s\n", cmd_prog_name, strerror(-err));
}

static void write_clock(struct recorder *rec)
{
	struct trace_clock_pair pair;

	host_clock_pair(&pair);
	trace_write_clock(rec->w, &pair);
}

/*
 * Drain until stopped (signal), the duration ends or COMMAND (@child)
 * exits; true in that last case.
 */
static bool drain_loop(struct recorder *rec, struct client *c, double duration,
		       pid_t child)
{
	int err;

	while (!record_stop && !rec->err) {
		uint64_t drain_start = host_tsc();
		long n = client_read(c, sink_records, rec);
		uint64_t now;

		if (n < 0) {
			cmd_error(c, "read", n);
			break;
		}
		/* New VMs' decoders open before their records are written. */
		if (rec->guests && (err = guest_rec_attach(rec->guests, c, rec->w)) &&
		    !rec->err)
			rec->err = err;
		flush_before(rec, drain_start - rec->reorder_margin);
		if (rec->guests)
			guest_rec_set_slots(rec->guests, c);
		if (rec->metrics)
			view_recorder_poll(rec->metrics);
		now = util_mono_ns();
		if (now - rec->last_clock_ns >= 1000000000ull) {
			write_clock(rec);
			rec->last_clock_ns = now;
		}
		err = trace_poll(rec->w);
		if (err && !rec->err)
			rec->err = err;
		status_line(rec, false);
		if (child > 0 && child_exited(child))
			return true;
		if (duration > 0 && now - rec->start_ns >= duration * 1e9)
			break;
		/* A busy ring is drained again at once; an idle one rests. */
		if (n < DRAIN_BUSY)
			usleep(DRAIN_IDLE_US);
	}
	return false;
}

/*
 * Stop the session, drain what is left, write the end frame with what the
 * module counted (to check against) and close the trace; the summary.
 * 0, or 1 after saying why the trace is not whole.
 */
static int finish(struct recorder *rec, struct client *c, pid_t child,
		  bool child_done, int *child_status)
{
	struct view_recorder_stats mst = { 0 };
	bool metrics_taken = false;
	struct trace_end_meta end = { 0 };
	struct trace_writer_stats wst;
	struct client_status st;
	struct stat sb;
	double seconds;
	int err;

	err = client_stop(c);
	if (err)
		cmd_error(c, "stop", err);
	/* Stopped: one more READ drains all and flushes pending loss. */
	if (client_read(c, sink_records, rec) < 0)
		cmd_error(c, "read", -EIO);
	if (rec->guests && (err = guest_rec_attach(rec->guests, c, rec->w)) && !rec->err)
		rec->err = err;
	flush_before(rec, UINT64_MAX);
	if (rec->metrics) {
		view_recorder_close(rec->metrics, &mst);
		rec->metrics = NULL;
		metrics_taken = true;
	}
	if (child > 0) {
		if (!child_done)
			kill(child, SIGTERM);
		waitpid(child, child_status, 0);
	}

	end.end_tsc = host_tsc();
	if (!client_status(c, &st) && st.has_session) {
		end.have_module_totals = true;
		end.produced = st.totals.produced;
		end.drained = st.totals.drained;
		for (int k = 0; k < __VMTRACE_LOST_MAX; k++)
			end.module_lost += st.totals.lost[k];
	}
	write_clock(rec);
	trace_flush(rec->w);
	trace_writer_stats(rec->w, &wst);
	end.records = wst.records;
	memcpy(end.lost, wst.lost, sizeof(end.lost));
	seconds = (util_mono_ns() - rec->start_ns) / 1e9;
	status_line(rec, true);
	err = trace_close(rec->w, &end);
	rec->w = NULL;
	if (rec->err || err) {
		fprintf(stderr, "%s: %s: %s\n", cmd_prog_name, rec->output,
			strerror(-(rec->err ? rec->err : err)));
		return 1;
	}
	/* The close added the end frame. */
	wst.file_bytes = !stat(rec->output, &sb) ? sb.st_size : 0;
	summary(rec, &wst, &end, seconds, metrics_taken ? &mst : NULL);
	return 0;
}

/*
 * Create the trace and start the session: 0, or 1 after saying why not
 * (no trace file left behind).
 */
static int start_recording(struct record_args *a, bool command,
			   const struct trace_info *info, struct recorder *rec,
			   struct client *c)
{
	int err;

	/* Guest decoders only for the VMs recorded (--vm), if it says. */
	a->gopts.pids = a->pids;
	a->gopts.nr_pids = a->cfg.nr_pids;
	if (a->guests && guest_rec_new(&a->gopts, &rec->guests)) {
		fprintf(stderr, "%s: out of memory\n", cmd_prog_name);
		return 1;
	}
	err = trace_create(rec->output, info, &a->wopts, &rec->w);
	if (err) {
		fprintf(stderr, "%s: %s: %s\n", cmd_prog_name, rec->output, strerror(-err));
		return 1;
	}
	if (command && !a->all_vms && !a->cfg.nr_pids)
		rec->scope = -1;
	/*
	 * The VMs known from earlier sessions, before this one starts: their
	 * guest decoders then poll from the session's first record on.
	 */
	describe_live_vms(rec, c);
	if (rec->guests && (err = guest_rec_attach(rec->guests, c, rec->w)) && !rec->err)
		rec->err = err;
	err = client_start(c, &a->cfg);
	if (err) {
		cmd_error(c, "start", err);
		trace_abandon(rec->w);
		rec->w = NULL;
		unlink(rec->output);
		return 1;
	}
	/*
	 * The current-task slots of the guests opened above, now that the
	 * session runs (a slot needs one): their samples then carry their
	 * task from the first ones on, not from after the first drain.  A
	 * drain can take long on a busy host (the BPF backend sets a slot
	 * through its VM iterator): waiting for it left 179 of 9,859
	 * samples of a 10-s recording named by their process alone.
	 */
	if (rec->guests)
		guest_rec_set_slots(rec->guests, c);
	return 0;
}

/*
 * The session started: run COMMAND (argv[a->command]...), if any, and
 * record until stopped, the duration ends or COMMAND exits, then finish
 * the trace.  COMMAND's exit status (as time(1)), else 0; or 1 after
 * saying why the trace is not whole.
 */
static int record_session(struct record_args *a, bool command, char *argv[],
			  struct recorder *rec, struct client *c)
{
	struct sigaction sa = { .sa_handler = on_signal };
	int child_status = 0;
	bool child_done;
	pid_t child = -1;

	/* No SA_RESTART: a signal cuts the rest between drains short. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* From here on a signal stops the recording cleanly (tests wait for it). */
	cmd_verbose("session started (%s backend)", client_backend_name(client_get_backend(c)));
	if (command)
		child = run_command(argv + a->command, rec);
	rec->tty = isatty(STDERR_FILENO);
	rec->start_ns = rec->last_status_ns = rec->last_clock_ns = util_mono_ns();
	rec->cpu_start_ns = own_cpu_ns();
	if (a->metrics_interval > 0 && !record_stop)
		open_metrics(a, rec);
	child_done = drain_loop(rec, c, a->duration, child);
	if (finish(rec, c, child, child_done, &child_status))
		return 1;
	if (!command)
		return 0;
	return WIFEXITED(child_status) ? WEXITSTATUS(child_status) :
	       128 + WTERMSIG(child_status);
}

int cmd_record(int argc, char *argv[])
{
	static struct record_args args;
	static struct recorder rec;
	struct trace_info info = { 0 };
	struct client *c = NULL;
	bool command;
	int err, ret = 1;

	err = parse_args(argc, argv, &args, &info);
	if (err >= 0)
		return err;
	command = args.command < argc;
	memset(&rec, 0, sizeof(rec));
	rec.output = args.output;
	if (cmd_collect_open(args.backend, &c))
		return 1;
	rec.backend = client_backend_name(client_get_backend(c));
	if (describe_session(c, &args, &info, &rec))
		goto out;
	cmd_verbose("recording to %s: %s exits (%u reasons filtered), guest samples at %u Hz "
		    "(%s), rings of %u bytes per CPU, %s, metrics every %.1f s",
		    rec.output, args.cfg.flags & VMTRACE_CFG_F_NO_EXITS ? "no" : "all",
		    args.cfg.nr_exits, args.cfg.sample_hz,
		    client_sample_source_name(args.cfg.sample_source), info.ring_size,
		    args.cfg.nr_pids ? "the VMs of --vm" : command && !args.all_vms ?
		    "COMMAND's VMs" : "every VM", args.metrics_interval);
	if (start_recording(&args, command, &info, &rec, c))
		goto out;
	ret = record_session(&args, command, argv, &rec, c);
out:
	/* finish() closes the trace: one left open ends as a killed writer's. */
	if (rec.w) {
		trace_abandon(rec.w);
		rec.w = NULL;
	}
	if (rec.metrics)
		view_recorder_close(rec.metrics, NULL);
	trace_reorder_free(&rec.pending);
	free(rec.kept);
	/* After the summary: how much of each guest was named, and why not. */
	guest_rec_free(rec.guests);
	client_close(c);
	return ret;
}
