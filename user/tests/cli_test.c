// SPDX-License-Identifier: GPL-2.0
/*
 * vmtrace-collect report, script and export, run as the program is run,
 * on traces made here with the writer: exact output for known records and
 * metadata (times from the clock pairs, guest tasks, symbols, handling
 * times), damaged traces read with warnings, and bad files and bad usage
 * failing with status 2, one line naming the file, and no output file.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "util/crc32.h"
#include "tap.h"
#include "trace/trace.h"
#include "trace/format.h"
#include "trace/metrics_file.h"
#include "vv_fixture.h"

static char dir[64];
/* run_prog()'s child drops to uid/gid 65534 first when this is set. */
static bool as_nobody;
static char collect[PATH_MAX + 32];

struct run {
	int status;		/* exit status, or 128 + signal */
	char out[1 << 16], err[4096];
};

static void read_back(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? 0 : read(fd, buf, size - 1);

	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
}

/* Run @prog (found in PATH) with @args (NULL-terminated), capturing output. */
static void run_prog(struct run *r, const char *prog, const char *const *args)
{
	char out_path[128], err_path[128];
	const char *argv[32] = { prog };
	int status, i;
	pid_t pid;

	for (i = 0; args[i]; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	snprintf(out_path, sizeof(out_path), "%s/stdout", dir);
	snprintf(err_path, sizeof(err_path), "%s/stderr", dir);
	pid = fork();
	TEST_ASSERT_SYSCALL(pid, "fork");
	if (!pid) {
		int o = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int e = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(o, 1);
		dup2(e, 2);
		if (as_nobody && geteuid() == 0 && (setgroups(0, NULL) || setgid(65534) ||
						    setuid(65534)))
			_exit(126);
		execvp(prog, (char *const *)argv);
		_exit(127);
	}
	TEST_ASSERT_SYSCALL(waitpid(pid, &status, 0), "waitpid");
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	read_back(out_path, r->out, sizeof(r->out));
	read_back(err_path, r->err, sizeof(r->err));
}

/* Run vmtrace-collect with @args (NULL-terminated), capturing output. */
static void run(struct run *r, const char *const *args)
{
	run_prog(r, collect, args);
}

static char *path_of(const char *name)
{
	static char paths[8][128];
	static int next;
	char *p = paths[next++ % 8];

	snprintf(p, 128, "%s/%s", dir, name);
	return p;
}

static size_t count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

#define TSC_HZ 1000000000ull	/* 1 GHz: cycles are nanoseconds */
#define T0 1000000000ull	/* TSC of the header's clock pair */
#define MONO0 5000000000ull	/* its CLOCK_MONOTONIC */

static struct vmtrace_record exit_rec(uint64_t tsc, uint32_t vcpu, uint32_t reason,
				      uint64_t rip, uint32_t entry_delta)
{
	struct vmtrace_record r = {
		.host_tsc = tsc, .guest_tsc = tsc + 100,
		.u.g = { .guest_rip = rip, .guest_cr3 = 0x5000, .guest_gs_base = 0 },
		.entry_delta = entry_delta, .vm_id = 3, .vmm_pid = 777,
		.exit_reason = reason, .host_cpu = 1, .vcpu = vcpu, .kind = VMTRACE_KIND_EXIT,
		.vendor = VMTRACE_VENDOR_SVM, .mode = VMTRACE_MODE_LONG | VMTRACE_MODE_PAGING,
	};

	return r;
}

/*
 * The known trace: VM 3 "web" (pid 777), guest task "nginx" 40/41 under
 * CR3 0x5000 from TSC T0, symbol "do_work" at 0xffffffff81000000 (0x100),
 * and on vCPU 0: io exits at T0+1000, T0+3000 (entry 500 before: handled
 * 1500), T0+6000 (entry 1000 before: handled 2000), then a HLT exit at
 * T0+9000 (entry 500 before: handled 2500) and two samples in do_work and
 * one user sample, a loss marker.
 */
static void write_known_with(const char *path, bool end, int nr_snapshots)
{
	struct trace_info info = {
		.tsc_hz = TSC_HZ, .clock = { T0, MONO0, 1700000000000000000ull },
		.nr_cpus = 2, .vendor = VMTRACE_VENDOR_SVM, .host_kernel = "6.1.0-test",
		.hostname = "test", .cpu_model = "cpu", .cpu_vendor = "AuthenticAMD",
		.collector = "cli_test",
	};
	struct trace_vm_meta vm = {
		.vm_id = 3, .vmm_pid = 777, .vendor = VMTRACE_VENDOR_SVM, .nr_vcpus = 1,
		.comm = "qemu-system-x86", .name = "web",
	};
	struct trace_task_meta task = {
		.vm_id = 3, .pid = 40, .tid = 41, .cr3 = 0x5000, .valid_from_tsc = T0,
		.comm = "nginx",
	};
	struct trace_symbol_meta sym = {
		.vm_id = 3, .start = 0xffffffff81000000ull, .size = 0x100, .name = "do_work",
	};
	struct vmtrace_record recs[8], new_vm = {
		.host_tsc = T0 + 10, .vm_id = 3, .vmm_pid = 777, .kind = VMTRACE_KIND_VM_NEW,
		.vendor = VMTRACE_VENDOR_SVM, .exit_reason = 1,
	};
	struct trace_end_meta e = { .records = 8 };
	struct trace_writer *w;
	int n = 0;

	recs[n++] = new_vm;
	recs[n++] = exit_rec(T0 + 1000, 0, 0x7b, 0xffffffff81000010ull, 300);
	recs[n++] = exit_rec(T0 + 3000, 0, 0x7b, 0xffffffff81000010ull, 500);
	recs[n] = exit_rec(T0 + 4000, 0, 0, 0xffffffff81000020ull, 0);
	recs[n].kind = VMTRACE_KIND_SAMPLE;
	recs[n++].entry_delta = VMTRACE_ENTRY_DELTA_UNKNOWN;
	recs[n++] = exit_rec(T0 + 6000, 0, 0x7b, 0xffffffff81000010ull, 1000);
	recs[n] = exit_rec(T0 + 7000, 0, 0, 0x401000, 0);
	recs[n].kind = VMTRACE_KIND_SAMPLE;
	/* In user mode under 32-bit PAE paging (script's guest_paging). */
	recs[n].mode = 3 | VMTRACE_MODE_USER | VMTRACE_MODE_PAGING | VMTRACE_MODE_PAE;
	recs[n++].entry_delta = VMTRACE_ENTRY_DELTA_UNKNOWN;
	recs[n++] = exit_rec(T0 + 9000, 0, 0x78, 0xffffffff81000030ull, 500);
	memset(&recs[n], 0, sizeof(recs[n]));
	recs[n].host_tsc = T0 + 9500;
	recs[n].kind = VMTRACE_KIND_LOST;
	recs[n].u.lost[VMTRACE_LOST_RING_FULL] = 4;
	recs[n++].entry_delta = VMTRACE_ENTRY_DELTA_UNKNOWN;

	TEST_ASSERT(!trace_create(path, &info, NULL, &w), "create %s", path);
	TEST_ASSERT(!trace_write_vm(w, &vm), "vm");
	TEST_ASSERT(!trace_write_task(w, &task), "task");
	TEST_ASSERT(!trace_write_symbol(w, &sym), "symbol");
	TEST_ASSERT(!trace_flush(w), "flush");
	TEST_ASSERT(!trace_write_records(w, recs, n), "records");
	for (int i = 0; i < nr_snapshots; i++) {
		struct trace_snapshot snap;
		struct trace_snapshot_vm vms[2];
		struct trace_snapshot_proc procs[3];

		/* VM web1 (pid 4242) at spin + 5 %, spin at 80, 82, 84 %,
		 * the first without rates. */
		vv_fixture(&snap, vms, procs, 80 + 2 * i);
		snap.seq = i;
		snap.mono_ns += i * 1000000000ull;
		snap.real_ns += i * 1000000000ull;
		if (!i)
			snap.interval_s = 0;
		TEST_ASSERT(!trace_write_metrics(w, &snap), "metrics");
	}
	if (end) {
		TEST_ASSERT(!trace_close(w, &e), "close");
	} else {
		TEST_ASSERT(!trace_flush(w), "flush");
		trace_abandon(w);
	}
}

static void write_known(const char *path, bool end)
{
	write_known_with(path, end, 0);
}

/* script: the exact CSV of the known trace. */
static void test_script_csv(void)
{
	const char *expected =
		"time_ns,host_cpu,kind,vm_id,vm_pid,vcpu,exit_code,exit_name,guest_rip,"
		"guest_cr3,guest_mode,guest_pid,guest_tid,guest_comm,symbol,guest_paging\n"
		"5000001000,1,exit,3,777,0,123,io,0xffffffff81000010,0x5000,kernel,40,41,nginx,do_work+0x10,4\n"
		"5000003000,1,exit,3,777,0,123,io,0xffffffff81000010,0x5000,kernel,40,41,nginx,do_work+0x10,4\n"
		"5000004000,1,sample,3,777,0,,,0xffffffff81000020,0x5000,kernel,40,41,nginx,do_work+0x20,4\n"
		"5000006000,1,exit,3,777,0,123,io,0xffffffff81000010,0x5000,kernel,40,41,nginx,do_work+0x10,4\n"
		"5000007000,1,sample,3,777,0,,,0x401000,0x5000,user,40,41,nginx,,pae\n"
		"5000009000,1,exit,3,777,0,120,hlt,0xffffffff81000030,0x5000,kernel,40,41,nginx,do_work+0x30,4\n"
		"5000009500,0,lost,,,,,,,,,,,,,\n";
	struct run r;

	write_known(path_of("known.vmt"), true);
	run(&r, (const char *[]){ "script", "-i", path_of("known.vmt"), NULL });
	TEST_ASSERT(r.status == 0, "status %d: %s", r.status, r.err);
	TEST_ASSERT(!strcmp(r.out, expected), "got:\n%s\nexpected:\n%s", r.out, expected);
	TEST_ASSERT(!r.err[0], "stderr: %s", r.err);
}

/* script --format jsonl: the same facts, as JSON. */
static void test_script_jsonl(void)
{
	struct run r;

	write_known(path_of("known.vmt"), true);
	run(&r, (const char *[]){ "script", "-i", path_of("known.vmt"), "--format", "jsonl", NULL });
	TEST_ASSERT(r.status == 0, "status %d: %s", r.status, r.err);
	TEST_ASSERT_EQ(count_lines(r.out), 7);
	TEST_ASSERT(strstr(r.out, "{\"time_ns\":5000001000,\"host_cpu\":1,\"kind\":\"exit\","
			  "\"vm_id\":3,\"vm_pid\":777,\"vcpu\":0,\"exit_code\":123,"
			  "\"exit_name\":\"io\",\"guest_rip\":\"0xffffffff81000010\","
			  "\"guest_cr3\":\"0x5000\",\"guest_mode\":\"kernel\",\"guest_pid\":40,"
			  "\"guest_tid\":41,\"guest_comm\":\"nginx\",\"symbol\":\"do_work\","
			  "\"symbol_offset\":16,\"guest_paging\":\"4\"}\n"), "%s", r.out);
	TEST_ASSERT(strstr(r.out, "\"guest_rip\":\"0x401000\",\"guest_cr3\":\"0x5000\","
			  "\"guest_mode\":\"user\",\"guest_pid\":40,\"guest_tid\":41,"
			  "\"guest_comm\":\"nginx\",\"guest_paging\":\"pae\"}\n"), "%s", r.out);
	TEST_ASSERT(strstr(r.out, "{\"time_ns\":5000009500,\"host_cpu\":0,\"kind\":\"lost\","
			  "\"lost\":{\"ring_full\":4,\"nested\":0,\"vm_table\":0}}\n"), "%s", r.out);
}

/* report: counts, shares, handling times (exact: 1500, 2000, 2500 ns). */
static void test_report_csv(void)
{
	const char *expected =
		"vm_id,vm_pid,vm_name,exit_code,exit_name,exits,exit_share,exits_per_s,samples,"
		"sample_share,samples_per_s,timed_exits,time_share,min_ns,avg_ns,p99_ns,max_ns\n"
		"3,777,web,123,io,3,0.750000,375000.000000,0,0.000000,0.000000,3,1.000000,"
		"1500,2000,2500,2500\n"
		"3,777,web,,,0,0.000000,0.000000,2,1.000000,250000.000000,0,0.000000,,,,\n"
		"3,777,web,120,hlt,1,0.250000,125000.000000,0,0.000000,0.000000,0,0.000000,,,,\n";
	struct run r;

	write_known(path_of("known.vmt"), true);
	run(&r, (const char *[]){ "report", "-i", path_of("known.vmt"), "--by", "vm,exit",
				  "--format", "csv", NULL });
	TEST_ASSERT(r.status == 0, "status %d: %s", r.status, r.err);
	TEST_ASSERT(!strcmp(r.out, expected), "got:\n%s\nexpected:\n%s", r.out, expected);
}

/* report --by process,symbol and --top: tasks and symbols as keys. */
static void test_report_keys(void)
{
	struct run r;

	write_known(path_of("known.vmt"), true);
	run(&r, (const char *[]){ "report", "-i", path_of("known.vmt"), "--by",
				  "process,thread,symbol", "--format", "csv", "--top", "1", NULL });
	TEST_ASSERT(r.status == 0, "status %d: %s", r.status, r.err);
	/* The biggest symbol row only: do_work, 4 exits and 1 sample. */
	TEST_ASSERT(strstr(r.out, "\n40,nginx,41,nginx,do_work,4,1.000000,"), "%s", r.out);
	TEST_ASSERT_EQ(count_lines(r.out), 2);
	run(&r, (const char *[]){ "report", "-i", path_of("known.vmt"), "--by", "vcpu,exit", NULL });
	TEST_ASSERT(r.status == 0, "status %d: %s", r.status, r.err);
	TEST_ASSERT(strstr(r.out, "vcpu 0"), "%s", r.out);
	TEST_ASSERT(strstr(r.out, "    io\n"), "%s", r.out);
	TEST_ASSERT(strstr(r.out, "lost 4 (ring_full 4"), "%s", r.out);
	run(&r, (const char *[]){ "report", "-i", path_of("known.vmt"), "--by", "vm,exit",
				  "--format", "json", NULL });
	TEST_ASSERT(r.status == 0, "status %d: %s", r.status, r.err);
	TEST_ASSERT(strstr(r.out, "\"rows\":[{\"vm_id\":3,\"vm_pid\":777,\"vm_name\":\"web\","
			  "\"exits\":4,"), "%s", r.out);
}

/*
 * report on a trace with interval metrics: --by vm,process adds both
 * sides (means over the two intervals with rates) after the rows, in
 * text, CSV and JSON; --format html writes vmreport's page with both
 * series.  Without metrics: the rows alone, and html refused (status 2,
 * no file).
 */
static void test_report_metrics(void)
{
	const char *trace = path_of("metrics.vmt"), *html = path_of("report.html");
	const char *csv_tail =
		"\n"
		"level,vm,uuid,vmm_pid,guest_pid,comm,uid,hv_cpu_pct,guest_cpu_pct,gap_pct,"
		"sample_cpu_pct,exits_per_s,hv_rss_bytes,guest_mem_used_bytes,rss_bytes,flags,"
		"vcpu_cpu_pct,run_delay_pct,gap_cause,exit_handling_pct,guest_steal_pct\n"
		"vm,web1,6f1c3e0a-2b1d-4c7e-9a55-0d5b8e1f2a3c,4242,,,,88.000,84.000,4.000,,"
		"1500.000,209715200,83886080,,\"new,uid,gap\",86.000,0.500,none,1.500,0.300\n"
		"process,web1,6f1c3e0a-2b1d-4c7e-9a55-0d5b8e1f2a3c,4242,77,\"spin \"\"x\"\"\\\n\","
		"1000,,83.000,,81.000,,,3145728,\"new,uid\",,,,,\n"
		"process,web1,6f1c3e0a-2b1d-4c7e-9a55-0d5b8e1f2a3c,4242,1,init,0,,0.000,,0.000,,,"
		"1048576,,,,,,\n"
		"process,web1,6f1c3e0a-2b1d-4c7e-9a55-0d5b8e1f2a3c,4242,2,kthreadd,0,,0.000,,,,,0,,,,,,\n"
		"vm,,,5000,,,,3.000,,,,,67108864,0,,,,,-,,\n";
	const char *text_lines[] = {
		"\n# Both sides, from the trace's interval metrics (3 snapshots):\n"
		"FLAGS VM             VMM-PID    HV%   GST%    GAP  EXITS/s TOP-EXITS        "
		"VMM-RSS  G-USED  VCPU%  WAIT%  EXIT% STEAL%  GAP-CAUSE\n",
		"NU..G web1              4242   88.0   84.0    4.0     1500 npf,hlt           "
		"  200M     80M   86.0    0.5    1.5    0.3  none\n",
		"      NU...      77   1000       1   81.0   83.0   -2.0    3.0M  spin \"x\"\\\n\n",
		"      .....       1      0       0    0.0    0.0    0.0    1.0M  init\n",
		"      .....       2      0       0      -    0.0      -       -  [kthreadd]\n",
		"..... -                 5000    3.0      -      -        -"
		" -                    64M       -      -      -      -      -  -\n",
	};
	struct run r;
	char *page;

	write_known_with(trace, true, 3);
	run(&r, (const char *[]){ "report", "-i", trace, "--by", "vm,process", NULL });
	TEST_ASSERT(r.status == 0, "status %d: %s", r.status, r.err);
	TEST_ASSERT(strstr(r.out, "  vm 3 web (pid 777)\n"), "rows first: %s", r.out);
	for (size_t i = 0; i < ARRAY_SIZE(text_lines); i++)
		TEST_ASSERT(strstr(r.out, text_lines[i]), "line %zu:\n%s\nin:\n%s", i,
			    text_lines[i], r.out);

	run(&r, (const char *[]){ "report", "-i", trace, "--by", "vm,process", "--format",
				  "csv", NULL });
	TEST_ASSERT(r.status == 0, "status %d: %s", r.status, r.err);
	TEST_ASSERT(!strncmp(r.out, "vm_id,vm_pid,vm_name,guest_pid,guest_comm,exits,", 48),
		    "rows first: %s", r.out);
	TEST_ASSERT(strlen(r.out) > strlen(csv_tail) &&
		    !strcmp(r.out + strlen(r.out) - strlen(csv_tail), csv_tail),
		    "got:\n%s\nexpected to end in:\n%s", r.out, csv_tail);

	run(&r, (const char *[]){ "report", "-i", trace, "--by", "vm", "--format", "json",
				  NULL });
	TEST_ASSERT(r.status == 0, "status %d: %s", r.status, r.err);
	TEST_ASSERT(strstr(r.out, "\"max_ns\":2500}],\"both_sides\":{\"vms\":[\n{\"name\":\"web1\","
			  "\"uuid\":\"6f1c3e0a-2b1d-4c7e-9a55-0d5b8e1f2a3c\",\"vmm_pid\":4242,"
			  "\"macs\":[\"52:54:00:ab:cd:01\",\"52:54:00:ab:cd:02\"],"
			  "\"seconds\":2.000,\"hv_cpu_pct\":88.000,\"guest_cpu_pct\":84.000,"
			  "\"gap_pct\":4.000,\"vcpu_cpu_pct\":86.000,\"run_delay_pct\":0.500,"
			  "\"exit_handling_pct\":1.500,\"guest_steal_pct\":0.300,"
			  "\"gap_cause\":\"none\",\"guest_status\":\"ok\",\"exits_per_s\":1500.000,"
			  "\"exit_reasons\":{\"npf\":1000.000,\"hlt\":500.000},"
			  "\"hv_rss_max_bytes\":209715200,\"guest_mem_used_max_bytes\":83886080,"
			  "\"guest_mem_total_bytes\":241172480,\"mem_given_bytes\":268435456,"
			  "\"flags\":\"new,uid,gap\"}"), "%s", r.out);
	TEST_ASSERT(!strstr(r.out, "\"processes\""), "--by vm: no processes: %s", r.out);
	TEST_ASSERT(!strcmp(r.out + strlen(r.out) - 5, "\n]}\n}") ||
		    !strcmp(r.out + strlen(r.out) - 6, "\n]}\n}\n"), "end: %s", r.out);
	/* Other keys: the rows alone. */
	run(&r, (const char *[]){ "report", "-i", trace, "--by", "vm,exit", NULL });
	TEST_ASSERT(r.status == 0 && !strstr(r.out, "Both sides"), "%s", r.out);

	run(&r, (const char *[]){ "report", "-i", trace, "--format", "html", "-o", html,
				  "--vm", "4242", NULL });
	TEST_ASSERT(r.status == 0, "status %d: %s", r.status, r.err);
	TEST_ASSERT_EQ(r.out[0], '\0');
	page = calloc(1, 1 << 20);
	TEST_ASSERT(page, "calloc");
	read_back(html, page, 1 << 20);
	TEST_ASSERT(strstr(page, "{\"vm\":{\"name\":\"web1\","), "vm: %.3000s", page);
	/* The VM's series (hypervisor) and the process's (guest). */
	TEST_ASSERT(strstr(page, "\"vm_cpu\":[87,89],\n\"vm_mem\":[2.09715e+08,2.09715e+08],"),
		    "vm series: %.3000s", page);
	TEST_ASSERT(strstr(page, "\"comm\":\"spin \\\"x\\\"\\\\\\u000a\",\"mean_cpu\":83.000,"
			  "\"max_mem\":3145728.000,\"flags\":\"new,uid\",\"cpu\":[82,84],"
			  "\"mem\":[3.14573e+06,3.14573e+06]}"), "process series: %.3000s", page);
	TEST_ASSERT(strstr(page, "Content-Security-Policy"), "CSP");
	free(page);

	/* No metrics: the rows as before; no page, status 2, one line. */
	write_known(path_of("known.vmt"), true);
	unlink(html);
	run(&r, (const char *[]){ "report", "-i", path_of("known.vmt"), "--by", "vm,process",
				  NULL });
	TEST_ASSERT(r.status == 0 && !strstr(r.out, "Both sides") &&
		    strstr(r.out, "    nginx 40\n"), "%s", r.out);
	run(&r, (const char *[]){ "report", "-i", path_of("known.vmt"), "--format", "html",
				  "-o", html, NULL });
	TEST_ASSERT(r.status == 2, "status %d", r.status);
	TEST_ASSERT(strstr(r.err, "no interval metrics in this trace") &&
		    count_lines(r.err) == 1, "%s", r.err);
	TEST_ASSERT(access(html, F_OK) != 0, "no page");
	TEST_ASSERT_EQ(r.out[0], '\0');
}

/* export folded and chrome-json of the known trace. */
static void test_export(void)
{
	const char *folded =
		"vm3:web;nginx:40;0x401000 1\n"
		"vm3:web;nginx:40;do_work 1\n";
	char buf[8192];
	struct run r;

	write_known(path_of("known.vmt"), true);
	run(&r, (const char *[]){ "export", "-i", path_of("known.vmt"), "--format", "folded", NULL });
	TEST_ASSERT(r.status == 0, "status %d: %s", r.status, r.err);
	TEST_ASSERT(!strcmp(r.out, folded), "got:\n%s", r.out);

	run(&r, (const char *[]){ "export", "-i", path_of("known.vmt"), "--format", "chrome-json",
				  "-o", path_of("known.json"), NULL });
	TEST_ASSERT(r.status == 0, "status %d: %s", r.status, r.err);
	read_back(path_of("known.json"), buf, sizeof(buf));
	TEST_ASSERT(strstr(buf, "{\"ph\":\"M\",\"pid\":3,\"name\":\"process_name\","
			   "\"args\":{\"name\":\"VM 3 web\"}}"), "%s", buf);
	TEST_ASSERT(strstr(buf, "{\"ph\":\"X\",\"cat\":\"exit\",\"name\":\"io\",\"pid\":3,"
			   "\"tid\":0,\"ts\":5000001.000,\"dur\":1.500,"), "%s", buf);
	TEST_ASSERT(strstr(buf, "\"name\":\"hlt\",\"pid\":3,\"tid\":0,\"ts\":5000009.000,\"args\""),
		    "untimed HLT instant: %s", buf);
	TEST_ASSERT(strstr(buf, "\"cat\":\"sample\",\"name\":\"do_work\""), "%s", buf);
}

static size_t count_of(const char *s, const char *what)
{
	size_t n = 0;

	for (; (s = strstr(s, what)); s += strlen(what))
		n++;
	return n;
}

/*
 * export --format perfetto of the known trace, decoded by protoc against
 * the schema subset in the tree: 16 packets, the exact tracks (VM 3 web of
 * VMM 777, its exits/s counter, vCPU 0, nginx's samples track, lost), the
 * three timed io exits as slices of their handling times, the HLT exit,
 * two samples and the loss marker as instants, one exit-rate value.
 */
static void test_export_perfetto(void)
{
	char schema[sizeof(collect) + 8], buf[1 << 16];
	struct run r;

	/* util/ beside the program: ".../tests/../vmtrace-collect" -> ".../tests/../util". */
	strcpy(schema, collect);
	strcpy(strrchr(schema, '/'), "/util");
	run_prog(&r, "protoc", (const char *[]){ "--version", NULL });
	if (r.status)
		tap_skip("no protoc (protobuf-compiler, scripts/deps installs it): %s", r.err);
	write_known(path_of("known.vmt"), true);
	run(&r, (const char *[]){ "export", "-i", path_of("known.vmt"), "--format", "perfetto",
				  "-o", path_of("known.pftrace"), NULL });
	TEST_ASSERT(r.status == 0 && !r.out[0], "status %d: %s", r.status, r.err);
	/* protoc reads the trace on stdin: through sh for the redirection. */
	snprintf(buf, sizeof(buf), "protoc --decode=perfetto.protos.Trace -I '%s' "
		 "'%s/perfetto_trace.proto' < '%s'", schema, schema, path_of("known.pftrace"));
	run_prog(&r, "sh", (const char *[]){ "-c", buf, NULL });
	TEST_ASSERT(r.status == 0, "protoc: status %d: %s", r.status, r.err);
	TEST_ASSERT_EQ(count_of(r.out, "packet {"), 16);
	TEST_ASSERT_EQ(count_of(r.out, "track_descriptor {"), 5);
	TEST_ASSERT(strstr(r.out, "process {\n      pid: 777\n      process_name: \"VM 3 web\""),
		    "%s", r.out);
	TEST_ASSERT(strstr(r.out, "name: \"vCPU 0\"") && strstr(r.out, "name: \"nginx (pid 40)\"") &&
		    strstr(r.out, "name: \"lost\"") && strstr(r.out, "unit_name: \"exits/s\""),
		    "%s", r.out);
	TEST_ASSERT_EQ(count_of(r.out, "type: TYPE_SLICE_BEGIN"), 3);
	TEST_ASSERT_EQ(count_of(r.out, "type: TYPE_SLICE_END"), 3);
	TEST_ASSERT_EQ(count_of(r.out, "type: TYPE_INSTANT"), 4);
	TEST_ASSERT_EQ(count_of(r.out, "type: TYPE_COUNTER"), 1);
	/* The first io exit: from 5000001000 (MONO0 + 1000) for 1500 ns. */
	TEST_ASSERT(strstr(r.out, "timestamp: 5000001000\n") &&
		    strstr(r.out, "timestamp: 5000002500\n"), "%s", r.out);
	/* Four exits in the one second: one rate value of 4. */
	TEST_ASSERT(strstr(r.out, "counter_value: 4\n"), "%s", r.out);
	/* Each name once in the interned data, then by number. */
	TEST_ASSERT_EQ(count_of(r.out, "name: \"io\""), 1);
	TEST_ASSERT_EQ(count_of(r.out, "name: \"hlt\""), 1);
	TEST_ASSERT_EQ(count_of(r.out, "name: \"do_work\""), 1);
	TEST_ASSERT_EQ(count_of(r.out, "name: \"ring_full\""), 1);
	TEST_ASSERT(strstr(r.out, "uint_value: 4\n"), "ring_full 4: %s", r.out);
}

/*
 * The pprof trace: sampling at 1 kHz, VM 3 "web" with guest tasks nginx
 * (pid 40, thread "worker" 41, CR3 0x5000) and postgres (50, CR3 0x6000),
 * kernel symbols do_work and do_io, and 15 samples: nginx 6 in do_work and
 * 3 in user mode at 0x401000 on vCPU 0, 1 in do_io on vCPU 1; postgres 4 in
 * do_io on vCPU 1; one under an unknown CR3 at 0xffffffff82000000 on
 * vCPU 0.
 */
static void write_profiled(const char *path)
{
	struct trace_info info = {
		.tsc_hz = TSC_HZ, .clock = { T0, MONO0, 1700000000000000000ull },
		.nr_cpus = 2, .vendor = VMTRACE_VENDOR_SVM, .sample_hz = 1000,
		.collector = "cli_test",
	};
	struct trace_vm_meta vm = {
		.vm_id = 3, .vmm_pid = 777, .vendor = VMTRACE_VENDOR_SVM, .nr_vcpus = 2,
		.comm = "qemu-system-x86", .name = "web",
		.uuid = "11111111-2222-3333-4444-555555555555",
	};
	struct trace_task_meta tasks[] = {
		{ .vm_id = 3, .pid = 40, .tid = 41, .cr3 = 0x5000, .valid_from_tsc = T0,
		  .comm = "nginx", .thread_comm = "worker" },
		{ .vm_id = 3, .pid = 50, .tid = 50, .cr3 = 0x6000, .valid_from_tsc = T0,
		  .comm = "postgres" },
	};
	struct trace_symbol_meta syms[] = {
		{ .vm_id = 3, .start = 0xffffffff81000000ull, .size = 0x100, .name = "do_work" },
		{ .vm_id = 3, .start = 0xffffffff81000100ull, .size = 0x100, .name = "do_io" },
	};
	static const struct { uint64_t cr3, rip; uint16_t vcpu; bool user; int n; } runs[] = {
		{ 0x5000, 0xffffffff81000010ull, 0, false, 6 },
		{ 0x5000, 0x401000, 0, true, 3 },
		{ 0x5000, 0xffffffff81000110ull, 1, false, 1 },
		{ 0x6000, 0xffffffff81000120ull, 1, false, 4 },
		{ 0x9000, 0xffffffff82000000ull, 0, false, 1 },
	};
	struct vmtrace_record recs[16];
	struct trace_end_meta e = { 0 };
	struct trace_writer *w;
	uint64_t tsc = T0 + 1000;
	int n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(runs); i++)
		for (int k = 0; k < runs[i].n; k++, tsc += 1000000) {
			recs[n] = exit_rec(tsc, runs[i].vcpu, 0, runs[i].rip, 0);
			recs[n].kind = VMTRACE_KIND_SAMPLE;
			recs[n].u.g.guest_cr3 = runs[i].cr3;
			recs[n].entry_delta = VMTRACE_ENTRY_DELTA_UNKNOWN;
			if (runs[i].user)
				recs[n].mode |= 3 | VMTRACE_MODE_USER;
			n++;
		}
	e.records = n;
	TEST_ASSERT(!trace_create(path, &info, NULL, &w), "create %s", path);
	TEST_ASSERT(!trace_write_vm(w, &vm), "vm");
	for (size_t i = 0; i < ARRAY_SIZE(tasks); i++)
		TEST_ASSERT(!trace_write_task(w, &tasks[i]), "task");
	for (size_t i = 0; i < ARRAY_SIZE(syms); i++)
		TEST_ASSERT(!trace_write_symbol(w, &syms[i]), "symbol");
	TEST_ASSERT(!trace_flush(w), "flush");
	TEST_ASSERT(!trace_write_records(w, recs, n), "records");
	TEST_ASSERT(!trace_close(w, &e), "close");
}

/* In `go tool pprof -top` output, the cum column of the row named @name. */
static const char *pprof_cum(const char *out, const char *name)
{
	static char cum[32];
	const char *line = out;

	while (line && *line) {
		const char *end = strchr(line, '\n');
		char flat[32], fp[16], sp[16], cp[16], row[128];

		if (sscanf(line, "%31s %15s %15s %31s %15s %127[^\n]", flat, fp, sp, cum, cp,
			   row) == 6 && !strcmp(row, name))
			return cum;
		line = end ? end + 1 : NULL;
	}
	return "(none)";
}

/*
 * In `go tool pprof -tags` output, the value of label @key = @value:
 * " key: Total N" heads a block of "  N (P%): value" lines.  -1 if none.
 */
static double pprof_tag(const char *out, const char *key, const char *value)
{
	char head[64];
	const char *line;

	snprintf(head, sizeof(head), " %s: Total ", key);
	line = strstr(out, head);
	if (!line)
		return -1;
	for (line = strchr(line, '\n'); line && line[1] && line[1] != '\n';
	     line = strchr(line + 1, '\n')) {
		const char *colon = strstr(line + 1, "): ");
		const char *end = strchr(line + 1, '\n');
		size_t len = end ? (size_t)(end - colon - 3) : strlen(colon ? colon + 3 : "");
		double v;

		if (colon && (!end || colon < end) && len == strlen(value) &&
		    !strncmp(colon + 3, value, len) && sscanf(line + 1, "%lf", &v) == 1)
			return v;
	}
	return -1;
}

/*
 * export --format pprof of the pprof trace, read by go tool pprof: the
 * exact samples of each frame (VM, process, thread, kernel/user, symbol),
 * the CPU time they stand for at 1 kHz, and the labels.
 */
static void test_export_pprof(void)
{
	static const struct { const char *frame, *cum; } expect[] = {
		{ "vm3:web", "15" }, { "nginx (pid 40)", "10" }, { "worker (tid 41)", "10" },
		{ "postgres (pid 50)", "4" }, { "postgres (tid 50)", "4" },
		{ "[unknown process]", "1" }, { "[unknown thread]", "1" },
		{ "[kernel]", "12" }, { "[user]", "3" }, { "do_work", "6" }, { "do_io", "5" },
		{ "0x401000", "3" }, { "0xffffffff82000000", "1" },
	};
	const char *prof = path_of("prof.pb.gz");
	struct run r;

	run_prog(&r, "go", (const char *[]){ "version", NULL });
	if (r.status)
		tap_skip("no go tool (golang-go, scripts/deps installs it): %s", r.err);
	write_profiled(path_of("prof.vmt"));
	run(&r, (const char *[]){ "export", "-i", path_of("prof.vmt"), "--format", "pprof",
				  "-o", prof, NULL });
	TEST_ASSERT(r.status == 0 && !r.out[0], "status %d: %s", r.status, r.err);

	run_prog(&r, "go", (const char *[]){ "tool", "pprof", "-top", "-cum",
		 "-sample_index=samples", "-nodecount=100", prof, NULL });
	TEST_ASSERT(r.status == 0, "go tool pprof: status %d: %s", r.status, r.err);
	TEST_ASSERT(strstr(r.out, "Total samples = 15"), "%s", r.out);
	for (size_t i = 0; i < ARRAY_SIZE(expect); i++)
		TEST_ASSERT(!strcmp(pprof_cum(r.out, expect[i].frame), expect[i].cum),
			    "%s: %s samples, not %s:\n%s", expect[i].frame,
			    pprof_cum(r.out, expect[i].frame), expect[i].cum, r.out);

	/* One 1 ms period per sample. */
	run_prog(&r, "go", (const char *[]){ "tool", "pprof", "-top", "-cum",
		 "-sample_index=cpu", "-nodecount=100", prof, NULL });
	TEST_ASSERT(r.status == 0 && strstr(r.out, "Total samples = 15ms"), "%s", r.out);
	TEST_ASSERT(!strcmp(pprof_cum(r.out, "nginx (pid 40)"), "10ms"), "%s", r.out);

	run_prog(&r, "go", (const char *[]){ "tool", "pprof", "-tags", "-sample_index=samples",
		 prof, NULL });
	TEST_ASSERT(r.status == 0, "status %d: %s", r.status, r.err);
	TEST_ASSERT(pprof_tag(r.out, "vcpu", "0") == 10 && pprof_tag(r.out, "vcpu", "1") == 5,
		    "vcpu labels:\n%s", r.out);
	TEST_ASSERT(pprof_tag(r.out, "comm", "nginx") == 10 &&
		    pprof_tag(r.out, "comm", "postgres") == 4 && pprof_tag(r.out, "pid", "40") == 10 &&
		    pprof_tag(r.out, "tid", "41") == 10, "task labels:\n%s", r.out);
	TEST_ASSERT(pprof_tag(r.out, "vm_uuid", "11111111-2222-3333-4444-555555555555") == 15 &&
		    pprof_tag(r.out, "vm", "vm3:web") == 15, "VM labels:\n%s", r.out);
}

/* --version: the release, the trace file format, the record format. */
static void test_version(void)
{
	char want[128];
	struct run r;

	snprintf(want, sizeof(want), "vmtrace-collect %s (trace file format %d, record format %d)\n",
		 VMT_TEST_RELEASE, TRACE_VERSION, VMTRACE_FORMAT_VERSION);
	run(&r, (const char *[]){ "--version", NULL });
	TEST_ASSERT(r.status == 0 && !strcmp(r.out, want), "status %d: %s", r.status, r.out);
}

/* A trace cut short, and one with a corrupt frame: the readable records,
 * a warning on stderr, status 0. */
static void test_damaged(void)
{
	struct run r;
	struct stat st;
	char *p = path_of("cut.vmt");

	write_known(p, false);
	TEST_ASSERT(!stat(p, &st), "stat");
	TEST_ASSERT(!truncate(p, st.st_size - 10), "truncate");
	run(&r, (const char *[]){ "script", "-i", p, NULL });
	TEST_ASSERT(r.status == 0, "status %d: %s", r.status, r.err);
	TEST_ASSERT_EQ(count_lines(r.out), 1);		/* the header: the data frame is cut */
	TEST_ASSERT(strstr(r.err, "unusable") && strstr(r.err, p), "stderr: %s", r.err);

	p = path_of("bad.vmt");
	write_known(p, true);
	{
		int fd = open(p, O_RDWR);

		/* Into the data frame's payload: after the header (424),
		 * the metadata frame, and the data frame's own header. */
		TEST_ASSERT(fd >= 0, "open");
		TEST_ASSERT(!stat(p, &st), "stat");
		TEST_ASSERT(pwrite(fd, "\xde\xad\xbe\xef", 4, st.st_size - 120) == 4, "pwrite");
		close(fd);
	}
	run(&r, (const char *[]){ "report", "-i", p, NULL });
	TEST_ASSERT(r.status == 0, "status %d: %s", r.status, r.err);
	TEST_ASSERT(strstr(r.err, "damaged frame"), "stderr: %s", r.err);
	TEST_ASSERT(strstr(r.out, "0 exits"), "%s", r.out);
}

static void write_bytes(const char *path, const void *data, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	TEST_ASSERT(fd >= 0 && write(fd, data, n) == (ssize_t)n && !close(fd), "write %s", path);
}

/* Missing, empty, foreign, truncated, corrupt, newer, unreadable: status
 * 2, one line naming the file and what is wrong, no output file. */
static void test_bad_files(void)
{
	static const struct {
		const char *name, *why;
	} cases[] = {
		{ "missing.vmt", "No such file" },
		{ "empty.vmt", "empty file" },
		{ "foreign.vmt", "not a vmtrace trace" },
		{ "short.vmt", "truncated header" },
		{ "corrupt.vmt", "corrupt header" },
		{ "newer.vmt", "newer than this reader" },
		{ "garbage.vmt", "no readable frame" },
	};
	struct trace_file_header h;
	uint8_t buf[4096];
	struct run r;
	int fd;

	write_known(path_of("known.vmt"), true);
	fd = open(path_of("known.vmt"), O_RDONLY);
	TEST_ASSERT(fd >= 0 && read(fd, buf, sizeof(buf)) > (ssize_t)sizeof(h), "read");
	close(fd);
	write_bytes(path_of("empty.vmt"), "", 0);
	write_bytes(path_of("foreign.vmt"), "PK\3\4 a zip file, say", 21);
	write_bytes(path_of("short.vmt"), buf, 100);
	buf[300] ^= 0x20;
	write_bytes(path_of("corrupt.vmt"), buf, sizeof(h));
	buf[300] ^= 0x20;
	memcpy(&h, buf, sizeof(h));
	h.version = 2;
	h.crc = util_crc32(0, &h, offsetof(struct trace_file_header, crc));
	write_bytes(path_of("newer.vmt"), &h, sizeof(h));
	memset(buf + sizeof(h), 0x55, 500);	/* a good header, then junk */
	write_bytes(path_of("garbage.vmt"), buf, sizeof(h) + 500);

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *in = path_of(cases[i].name);
		const char *cmds[][8] = {
			{ "report", "-i", in, NULL },
			{ "script", "-i", in, NULL },
			{ "export", "-i", in, "--format", "chrome-json", "-o", path_of("out.json"), NULL },
		};

		for (size_t c = 0; c < ARRAY_SIZE(cmds); c++) {
			run(&r, cmds[c]);
			TEST_ASSERT(r.status == 2, "%s %s: status %d", cmds[c][0], cases[i].name,
				    r.status);
			TEST_ASSERT(count_lines(r.err) == 1 && strstr(r.err, in) &&
				    strstr(r.err, cases[i].why),
				    "%s %s: stderr: %s", cmds[c][0], cases[i].name, r.err);
			TEST_ASSERT(access(path_of("out.json"), F_OK), "%s: output file left",
				    cases[i].name);
			/* Nothing on stdout but for script's header line when
			 * the damage shows only while reading. */
			TEST_ASSERT(!r.out[0] || (!strcmp(cases[i].name, "garbage.vmt") &&
						  count_lines(r.out) <= 1),
				    "%s %s: stdout: %s", cmds[c][0], cases[i].name, r.out);
		}
	}
}

/* The subcommand whose --help a usage error of @args points to. */
static const char *help_of(const char *const *args, char *buf, size_t size)
{
	if (!strcmp(args[0], "profile") && args[1] &&
	    (!strcmp(args[1], "create") || !strcmp(args[1], "show")))
		snprintf(buf, size, "vmtrace-collect profile %s --help", args[1]);
	else
		snprintf(buf, size, "vmtrace-collect %s --help", args[0]);
	return buf;
}

/*
 * Usage errors of every subcommand: status 2 and exactly two lines on
 * stderr, the first naming the option or argument and what is wrong with
 * it, the second pointing to the subcommand's --help; nothing on stdout.
 * None of them gets as far as the module.
 */
static void test_usage(void)
{
	const char *known = path_of("known.vmt");
	static const struct {
		const char *args[10];
		const char *err;	/* after "vmtrace-collect " */
	} cases[] = {
		{ { "status", "--bogus" }, "status: --bogus: unknown option" },
		{ { "status", "extra" }, "status: extra: unexpected argument" },
		{ { "status", "--format", "xml" }, "status: --format xml: text or json" },
		{ { "status", "-q" }, "status: -q: unknown option" },
		{ { "status", "--format" }, "status: --format: needs a value" },
		{ { "record", "-d", "abc" }, "record: -d abc: not a number of seconds" },
		{ { "record", "-d", "-1" }, "record: -d -1: not a number of seconds" },
		{ { "record", "--ring-size", "3" },
		  "record: --ring-size 3: not a power of two from 4K to 256M bytes" },
		{ { "record", "--ring-size", "1G" },
		  "record: --ring-size 1G: not a power of two from 4K to 256M bytes" },
		{ { "record", "--sample-source", "x" }, "record: --sample-source x: auto, pmu or timer" },
		{ { "record", "--backend", "ebpf" }, "record: --backend ebpf: module, bpf or auto" },
		{ { "record", "-z", "0" }, "record: -z 0: a zstd level from 1 to 19" },
		{ { "record", "-z", "20" }, "record: -z 20: a zstd level from 1 to 19" },
		{ { "record", "--vm", "abc" }, "record: --vm abc: not a VMM pid" },
		{ { "record", "--vm=abc" }, "record: --vm abc: not a VMM pid" },
		{ { "record", "--vm" }, "record: --vm: needs a value" },
		{ { "record", "-d" }, "record: -d: needs a value" },
		{ { "record", "--bogus" }, "record: --bogus: unknown option" },
		{ { "record", "-qx" }, "record: -x: unknown option" },
		{ { "record", "--all-vms=yes" }, "record: --all-vms: takes no value" },
		{ { "record", "stray" }, "record: stray: unexpected argument (a COMMAND goes after --)" },
		{ { "record", "--metrics-interval", "0.01" },
		  "record: --metrics-interval 0.01: 0 (none) or 0.1 seconds or more" },
		{ { "record", "--admin-uids", "x" },
		  "record: --admin-uids x: uids and ranges, e.g. 0-999,1500" },
		{ { "record", "--guest-profile", "nope" }, "record: --guest-profile nope: VMPID=PROFILE" },
		{ { "report", "--by", "nope" }, "report: --by nope: keys of vm, vcpu, exit, process, "
		  "thread, symbol, comma-separated, each once" },
		{ { "report", "--by", "vm,vm" }, "report: --by vm,vm: keys of vm, vcpu, exit, process, "
		  "thread, symbol, comma-separated, each once" },
		{ { "report", "--by", "vm,,exit" }, "report: --by vm,,exit: keys of vm, vcpu, exit, "
		  "process, thread, symbol, comma-separated, each once" },
		{ { "report", "--format", "xml" }, "report: --format xml: text, csv, json or html" },
		{ { "report", "--top", "0" }, "report: --top 0: not a number of rows from 1 to 4294967295" },
		{ { "report", "stray" }, "report: stray: unexpected argument" },
		{ { "report", "--format", "html" }, "report: --format html: which file? -o OUT.html" },
		{ { "report", "-o", "x.html" },
		  "report: -o x.html: only with --format html (the others print)" },
		{ { "report", "--vm", "web" }, "report: --vm web: only with --format html" },
		{ { "script", "--format", "tsv" }, "script: --format tsv: csv or jsonl" },
		{ { "script", "--bogus" }, "script: --bogus: unknown option" },
		{ { "export", "-i", "t.vmt" },
		  "export: which format? --format chrome-json, perfetto, folded or pprof" },
		{ { "export", "--format", "svg" },
		  "export: --format svg: chrome-json, perfetto, folded or pprof" },
		{ { "vms", "--format", "xml" }, "vms: --format xml: text or json" },
		{ { "vms", "--no-guest=1" }, "vms: --no-guest: takes no value" },
		{ { "vms", "extra" }, "vms: extra: unexpected argument" },
		{ { "profile" }, "profile: create or show?" },
		{ { "profile", "list" }, "profile: list: neither create nor show" },
		{ { "profile", "create" },
		  "profile create: which kernel? one of --btf, --vmlinux or --vmlinuz" },
		{ { "profile", "create", "--vmlinuz", "v" }, "profile create: which file? -o PROFILE" },
		{ { "profile", "create", "--btf", "b", "-o", "p" },
		  "profile create: --btf b: needs --system-map FILE (BTF has no addresses)" },
		{ { "profile", "show" }, "profile show: which profile? profile show PROFILE" },
		{ { "profile", "show", "a", "b" }, "profile show: b: unexpected argument" },
		{ { "ps" }, "ps: which VM? --vm PID (of its VMM; see vmtrace-collect vms)" },
		{ { "ps", "--vm", "abc" }, "ps: --vm abc: not a VMM pid" },
		{ { "ps", "--vm", "1", "--format", "xml" }, "ps: --format xml: text or json" },
		{ { "peek", "--vm", "1" }, "peek: where? --addr VA" },
		{ { "peek", "--vm", "1", "--addr", "0x1000" },
		  "peek: whose memory? either --guest-pid N or --cr3 CR3" },
		{ { "peek", "--vm", "1", "--addr", "0x1000", "--cr3", "0x5000" },
		  "peek: --cr3 and --paging go together" },
		{ { "peek", "--len", "0" }, "peek: --len 0: not a length from 1 to 1M bytes" },
		{ { "peek", "--paging", "6" }, "peek: --paging 6: 32, pae, 4 or 5" },
		{ { "top", "--interval", "0" }, "top: --interval 0: not from 0.1 to 3600 seconds" },
		{ { "top", "--sort", "nope" },
		  "top: --sort nope: cpu, guest, gap, mem, exits, name, pid or flags" },
		{ { "top", "--bogus" }, "top: --bogus: unknown option" },
		{ { "top", "--count", "0" }, "top: --count 0: not a number of snapshots from 1 on" },
		{ { "serve", "--listen", "localhost" }, "serve: --listen localhost: not a numeric ADDR:PORT" },
		{ { "serve", "--baseline", "1,2" },
		  "serve: --baseline 1,2: N,K: N intervals from 2 to 256, K std devs" },
		{ { "serve", "--sample-hz", "x" }, "serve: --sample-hz x: not a rate from 0 to 100000" },
		{ { "vmreport", "--by", "process" }, "vmreport: --by process: vm or vm,process" },
		{ { "vmreport", "--top", "x" }, "vmreport: --top x: not a number of rows (0: all)" },
		{ { "vmreport", "--format", "html" }, "vmreport: --format html: which file? -o OUT.html" },
	};
	char want[512], help[128];
	const char *args[12];
	struct run r;

	write_known(known, true);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		size_t n = 0;

		/* Reading subcommands get a good trace: only the option is bad. */
		for (; cases[i].args[n]; n++)
			args[n] = cases[i].args[n];
		if (!strcmp(args[0], "report") || !strcmp(args[0], "script")) {
			args[n++] = "-i";
			args[n++] = known;
		}
		args[n] = NULL;
		run(&r, args);
		snprintf(want, sizeof(want), "vmtrace-collect %s\nTry '%s'.\n", cases[i].err,
			 help_of(cases[i].args, help, sizeof(help)));
		TEST_ASSERT(r.status == 2 && !strcmp(r.err, want) && !r.out[0],
			    "%s %s: status %d, said:\n%s", args[0], args[1] ? args[1] : "",
			    r.status, r.err);
	}
	run(&r, (const char *[]){ "no-such-command", NULL });
	TEST_ASSERT(r.status == 2 && !strcmp(r.err, "vmtrace-collect: no-such-command: unknown "
					     "subcommand\nTry 'vmtrace-collect --help'.\n"),
		    "status %d: %s", r.status, r.err);
	/* Flags without a value parse: what follows needs the module (0 or 1). */
	for (const char *const *flag = (const char *[]){ "--host-samples", "--no-exits",
							 "--sample-isolated", "-q", "-v", NULL };
	     *flag; flag++) {
		run(&r, (const char *[]){ "record", *flag, "-d", "0.1", "-o",
					  path_of("flag.vmt"), NULL });
		TEST_ASSERT(r.status <= 1 && !strstr(r.err, "--help"), "record %s: %d: %s", *flag,
			    r.status, r.err);
	}
}

static const char *const subcommands[] = {
	"status", "record", "report", "script", "export", "vms", "profile", "ps", "peek",
	"top", "serve", "vmreport",
};

/* --version in every subcommand: the release line, status 0; --help: the
 * usage on stdout, ending with the exit-status rule, status 0. */
static void test_version_help(void)
{
	static const char rule[] =
		"Exit status: 0 done, 1 runtime failure, 2 usage error or bad input file.\n";
	char want[128];
	struct run r;

	snprintf(want, sizeof(want), "vmtrace-collect %s (trace file format %d, record format %d)\n",
		 VMT_TEST_RELEASE, TRACE_VERSION, VMTRACE_FORMAT_VERSION);
	for (size_t i = 0; i < ARRAY_SIZE(subcommands); i++) {
		size_t len;

		run(&r, (const char *[]){ subcommands[i], "--version", NULL });
		TEST_ASSERT(r.status == 0 && !strcmp(r.out, want) && !r.err[0],
			    "%s --version: status %d: %s%s", subcommands[i], r.status, r.out, r.err);
		run(&r, (const char *[]){ subcommands[i], "--help", NULL });
		len = strlen(r.out);
		TEST_ASSERT(r.status == 0 && !strncmp(r.out, "Usage: vmtrace-collect ", 23) &&
			    len > sizeof(rule) && !strcmp(r.out + len - (sizeof(rule) - 1), rule) &&
			    !r.err[0], "%s --help: status %d:\n%s", subcommands[i], r.status, r.out);
	}
	run(&r, (const char *[]){ "profile", "create", "--version", NULL });
	TEST_ASSERT(r.status == 0 && !strcmp(r.out, want), "profile create --version: %d: %s",
		    r.status, r.out);
	run(&r, (const char *[]){ "--help", NULL });
	TEST_ASSERT(r.status == 0 && strstr(r.out, rule), "--help: %d:\n%s", r.status, r.out);
}

/*
 * Bad input files of every subcommand that reads one: status 2 and the one
 * line "vmtrace-collect: FILE: what is wrong" (serve and profile create
 * name themselves first); and runtime failures, an output that cannot
 * be written: status 1.
 */
static void test_exit_status(void)
{
	const char *known = path_of("known.vmt"), *metrics = path_of("status.metrics");
	const char *missing = path_of("missing.file"), *foreign = path_of("foreign.file");
	const char *vvm = path_of("status.vvm"), *noout = "/nonexistent-dir/out";
	char forced[160];
	const struct {
		const char *args[10];
		int status;
		const char *file;	/* named by the message */
		const char *err_fmt;	/* after "vmtrace-collect: ", %s: file */
	} cases[] = {
		{ { "report", "-i", missing }, 2, missing, "%s: No such file or directory" },
		{ { "script", "-i", missing }, 2, missing, "%s: No such file or directory" },
		{ { "export", "--format", "folded", "-i", missing }, 2, missing,
		  "%s: No such file or directory" },
		{ { "export", "--format", "folded", "-i", foreign }, 2, foreign,
		  "%s: not a vmtrace trace file" },
		{ { "vmreport", "-i", missing }, 2, missing, "%s: No such file or directory" },
		{ { "vmreport", "-i", foreign }, 2, foreign, "%s: not a vmtrace metrics file" },
		{ { "profile", "show", missing }, 2, missing, "%s: No such file or directory" },
		{ { "profile", "show", foreign }, 2, foreign, "%s: not a valid profile" },
		{ { "profile", "create", "--vmlinuz", missing, "-o", noout }, 2, missing,
		  "profile create: %s: No such file or directory" },
		{ { "profile", "create", "--vmlinuz", foreign, "-o", noout }, 2, foreign,
		  "profile create: %s: not a kernel image" },
		{ { "profile", "create", "--btf", foreign, "--system-map", foreign, "-o", noout }, 2,
		  foreign, "profile create: %s: cannot parse BTF: BPF object format invalid" },
		{ { "ps", "--vm", "1", "--guest-profile", missing }, 2, missing,
		  "%s: No such file or directory" },
		{ { "ps", "--vm", "1", "--guest-profile", foreign }, 2, foreign,
		  "%s: not a valid profile" },
		{ { "peek", "--vm", "1", "--guest-pid", "1", "--addr", "0", "--guest-profile",
		    foreign }, 2, foreign, "%s: not a valid profile" },
		{ { "record", "--guest-profile", forced, "-o", noout }, 2, missing,
		  "%s: No such file or directory" },
		{ { "serve", "--basic-auth-file", missing }, 2, missing,
		  "serve: %s: No such file or directory" },
		{ { "serve", "--basic-auth-file", foreign }, 2, foreign,
		  "serve: %s: no USER:PASSWORD line" },
		/* Runtime failures: an output that cannot be written. */
		{ { "export", "--format", "folded", "-i", known, "-o", noout }, 1, noout,
		  "%s: No such file or directory" },
		{ { "report", "-i", metrics, "--format", "html", "-o", noout }, 1, noout, NULL },
		{ { "vmreport", "-i", vvm, "--format", "html", "-o", noout }, 1, noout, NULL },
	};
	char want[512];
	struct run r;
	FILE *f;

	snprintf(forced, sizeof(forced), "1=%s", missing);
	write_known(known, true);
	write_known_with(metrics, true, 3);
	write_bytes(foreign, "PK\3\4 a zip file, say", 21);
	f = fopen(vvm, "w");
	TEST_ASSERT(f && !trace_metrics_file_write_header(f), "metrics file");
	for (int i = 0; i < 2; i++) {
		struct trace_snapshot snap;
		struct trace_snapshot_vm vms[2];
		struct trace_snapshot_proc procs[3];

		vv_fixture(&snap, vms, procs, 80);
		snap.seq = i;
		TEST_ASSERT(!trace_metrics_file_write(f, &snap), "snapshot");
	}
	TEST_ASSERT(!fclose(f), "close");
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		run(&r, cases[i].args);
		TEST_ASSERT(r.status == cases[i].status, "%s %s: status %d, not %d: %s",
			    cases[i].args[0], cases[i].args[1], r.status, cases[i].status, r.err);
		if (!cases[i].err_fmt) {
			/* One line, naming the output (vm_html says how). */
			TEST_ASSERT(count_lines(r.err) == 1 && strstr(r.err, cases[i].file),
				    "%s: %s", cases[i].args[0], r.err);
			continue;
		}
		strcpy(want, "vmtrace-collect: ");
		snprintf(want + strlen(want), sizeof(want) - strlen(want) - 1, cases[i].err_fmt,
			 cases[i].file);
		strcat(want, "\n");
		TEST_ASSERT(!strcmp(r.err, want), "%s %s: said:\n%s\nnot:\n%s", cases[i].args[0],
			    cases[i].args[1], r.err, want);
	}
	TEST_ASSERT(access(noout, F_OK), "%s made", noout);
}

/*
 * top and serve without vmtrace.ko: status 0, the VMs from /proc, and
 * the header (top) or stderr (serve) saying that only /proc figures are
 * there; serve -q says nothing, -v a line per snapshot.
 */
static void test_no_module(void)
{
	static const char no_module[] =
		"no vmtrace.ko: /proc figures only (no exits, samples or guest memory)";
	static const char serving[] = "vmtrace-collect: serving http://127.0.0.1:0/metrics (port ";
	char want[256], *nl;
	struct run r;

	if (!access("/sys/module/vmtrace", F_OK))
		tap_skip("vmtrace.ko is loaded here");
	run(&r, (const char *[]){ "top", "--batch", "--count", "1", "--interval", "0.1", NULL });
	nl = strchr(r.out, '\n');
	TEST_ASSERT(r.status == 0 && !r.err[0] && nl && (size_t)(nl - r.out) > sizeof(no_module) &&
		    !strncmp(nl - (sizeof(no_module) - 1), no_module, sizeof(no_module) - 1),
		    "top: status %d:\n%s%s", r.status, r.out, r.err);
	run(&r, (const char *[]){ "serve", "--listen", "127.0.0.1:0", "--count", "1",
				  "--interval", "0.1", NULL });
	nl = strchr(r.err, '\n');
	snprintf(want, sizeof(want), "vmtrace-collect: %s\n", no_module);
	TEST_ASSERT(r.status == 0 && nl && !strncmp(r.err, serving, sizeof(serving) - 1) &&
		    !strcmp(nl + 1, want), "serve: status %d:\n%s", r.status, r.err);
	run(&r, (const char *[]){ "serve", "-q", "--listen", "127.0.0.1:0", "--count", "1",
				  "--interval", "0.1", NULL });
	TEST_ASSERT(r.status == 0 && !r.err[0], "serve -q: status %d:\n%s", r.status, r.err);
	run(&r, (const char *[]){ "serve", "-v", "--listen", "127.0.0.1:0", "--count", "1",
				  "--interval", "0.1", NULL });
	TEST_ASSERT(r.status == 0 && count_lines(r.err) == 4 &&
		    strstr(r.err, "\nvmtrace-collect: snapshot 1: ") &&
		    strstr(r.err, "\nvmtrace-collect: snapshot 2: "),
		    "serve -v: status %d:\n%s", r.status, r.err);
}

/*
 * The BPF backend without the privileges it needs (an unprivileged user:
 * uid 65534 when the test runs as root): one line naming them, exit 1, no
 * trace file left; with --backend auto and no module, both reasons.
 */
static void test_bpf_unprivileged(void)
{
	static const char caps[] = "the BPF backend needs CAP_BPF and CAP_PERFMON, or "
				   "CAP_SYS_ADMIN (run as root)";
	char want[256], *out = path_of("bpf.vmt");
	struct run r;

	if (!access("/sys/module/vmtrace", F_OK))
		tap_skip("vmtrace.ko is loaded here (auto would take it)");
	/* Open to uid 65534, so that only the missing privileges can stop it. */
	TEST_ASSERT_SYSCALL(chmod(dir, 0777), "chmod");
	as_nobody = true;
	run(&r, (const char *[]){ "record", "--backend", "bpf", "-d", "1", "-o", out, NULL });
	snprintf(want, sizeof(want), "vmtrace-collect: %s\n", caps);
	TEST_ASSERT(r.status == 1 && !strcmp(r.err, want) && !r.out[0] && access(out, F_OK),
		    "bpf: status %d, file %s:\n%s", r.status,
		    access(out, F_OK) ? "absent" : "left", r.err);
	run(&r, (const char *[]){ "record", "--backend", "auto", "-d", "1", "-o", out, NULL });
	snprintf(want, sizeof(want), "vmtrace-collect: vmtrace.ko is not loaded, and %s\n", caps);
	TEST_ASSERT(r.status == 1 && !strcmp(r.err, want) && access(out, F_OK),
		    "auto: status %d:\n%s", r.status, r.err);
	/* top, serve and status say the same and start nothing. */
	run(&r, (const char *[]){ "status", "--backend", "bpf", NULL });
	snprintf(want, sizeof(want), "vmtrace-collect: %s\n", caps);
	TEST_ASSERT(r.status == 1 && !strcmp(r.err, want) && !r.out[0],
		    "status --backend bpf: status %d:\n%s", r.status, r.err);
	run(&r, (const char *[]){ "top", "--batch", "--backend", "bpf", "--count", "1", NULL });
	TEST_ASSERT(r.status == 1 && !strcmp(r.err, want) && !r.out[0],
		    "top --backend bpf: status %d:\n%s", r.status, r.err);
	as_nobody = false;
	TEST_ASSERT_SYSCALL(chmod(dir, 0700), "chmod");
}

static const struct tap_test tests[] = {
	TAP_TEST(script_csv),
	TAP_TEST(script_jsonl),
	TAP_TEST(report_csv),
	TAP_TEST(report_keys),
	TAP_TEST(report_metrics),
	TAP_TEST(export),
	TAP_TEST(export_pprof),
	TAP_TEST(export_perfetto),
	TAP_TEST(version),
	TAP_TEST(damaged),
	TAP_TEST(bad_files),
	TAP_TEST(usage),
	TAP_TEST(version_help),
	TAP_TEST(exit_status),
	TAP_TEST(no_module),
	TAP_TEST(bpf_unprivileged),
};

int main(int argc, char **argv)
{
	char self[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	int ret;

	if (n < 0)
		return 1;
	self[n] = '\0';
	slash = strrchr(self, '/');
	*slash = '\0';
	snprintf(collect, sizeof(collect), "%s/../vmtrace-collect", self);
	strcpy(dir, "/tmp/cli_test.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	ret = tap_main(argc, argv, tests, ARRAY_SIZE(tests), 0);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd))
			ret = 1;
	}
	return ret;
}
