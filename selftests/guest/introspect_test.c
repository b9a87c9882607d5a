// SPDX-License-Identifier: GPL-2.0
/*
 * Guest introspection against a real Linux guest: one L2 guest (the test
 * host's own Debian kernel, KASLR on, KPTI forced on with pti=on) booted
 * with scripts/l2guest, running vmtguest's programs (vmtguest.c): a CPU
 * burner, an idle process, a two-thread process whose threads spin in
 * turn, a process whose threads come and go (each about 0.2 s), a process
 * with one thread in user mode and one in the kernel, and a process that
 * keeps changing a variable and prints its address and value.  The guest also prints its own process list, its
 * kernel's _text and load address: the ground truth.
 *
 * The checks, all from the test host with no help from the guest:
 *   vms          banner, profile, KASLR slides (equal to the guest's own),
 *                paging mode (5-level when the guest CPU offers LA57)
 *   vms_bpf      the same, from the BPF backend's memslots
 *   ps           the same pids and names as the guest's own list
 *   ps_bpf       the same, from the BPF backend's memslots
 *   ps_json      ps --format json: the documented keys, the same facts
 *   threads      the two threads, by tid and name
 *   record_report  record 1 kHz samples in 10 s pieces until each loop has
 *                its minimum (at most 40 s), then script and report:
 *                >= 90 % of the user samples whose RIP is in the burner's
 *                loop name its pid and comm; >= 99 % of the samples in each
 *                thread's own loop name that thread (duo-a, duo-b, mix-user,
 *                and the short-lived churn threads, whose tids the guest
 *                printed as they started), the module having copied the
 *                guest's current task, and for a sample its pid, into each
 *                record; >= 99 % of
 *                vmtmix's kernel-mode samples in the /dev/zero read path
 *                name mix-kern, the thread that reads it (mix-user runs
 *                beside it, in the kernel only for interrupts); kernel
 *                samples name functions;
 *                the report names the processes and the guest kernel
 *   record_bpf   record_report on the BPF backend
 *   no_profile   without a matching profile vms says why names are missing
 *   peek         reads the value the guest printed; --watch sees changes
 *
 * The guest boots once (about 25 s or more in the test host); every check
 * uses it.  On the 6.1 test host the guest runs with no5lvl (4-level
 * paging); elsewhere as the CPU allows (5-level: the test host's -cpu max
 * offers LA57, and KVM passes it on), so the two test hosts cover both
 * of the walker's x86-64 modes on real guests.
 * VMT_L2_SMP sets the guest's vCPUs (default 1; introspect_cross_test
 * uses 2).  VMTEST_L2_APPEND adds kernel arguments (e.g. no5lvl) for
 * manual runs.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include "tap.h"

#define PEEK_BASE 0x5eed000000000000ULL
#define OUT_MAX (16 << 20)
#define MAX_PROCS 512

static char dir[64], profile_dir[96], log_path[96], setup_error[256];
static char prog_dir[4096];	/* where vmtguest and vmtrace-collect are */
static char collect[4200];
static pid_t qemu_pid;
static int expect_5level;
/* The guest's kernel release: VMT_L2_KERNEL, else the test host's own. */
static char guest_release[128];

/* What the guest said about itself. */
static struct {
	uint32_t pid;
	char comm[32];
} guest_ps[MAX_PROCS];
static unsigned int nr_guest_ps;
static uint32_t ps_self, burn_pid, duo_pid, duo_a, duo_b, peek_pid;
static uint32_t churn_pid, mix_pid, mix_user, mix_kern;
static unsigned int guest_smp = 1;
static uint64_t peek_addr, guest_text, guest_phys;
static int guest_la57;
static char guest_banner[512];	/* its /proc/version */
/* vmtguest's loops, from its symbol table. */
static uint64_t burn_lo, burn_hi, duo_a_lo, duo_a_hi, duo_b_lo, duo_b_hi;
static uint64_t churn_even_lo, churn_even_hi, churn_odd_lo, churn_odd_hi, mix_lo, mix_hi;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void setup_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void setup_fail(const char *fmt, ...)
{
	va_list ap;

	if (setup_error[0])
		return;
	va_start(ap, fmt);
	vsnprintf(setup_error, sizeof(setup_error), fmt, ap);
	va_end(ap);
	printf("# setup: %s\n", setup_error);
}

static int run(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Fail with what the guest's kernel said if it died (QEMU then exits). */
static void need_guest_alive(void)
{
	char *out;

	if (!kill(qemu_pid, 0))
		return;
	run(&out, "tr -d '\\r' < %s | grep -m 3 -E 'BUG|Oops|panic|WARNING'", log_path);
	TEST_FAIL("the guest (QEMU pid %d) is gone; its console says:\n%s", qemu_pid, out);
}

static void need_setup(void)
{
	if (setup_error[0])
		TEST_FAIL("no guest to test: %s", setup_error);
	need_guest_alive();
}

/* Run a shell command; its output (stdout and stderr) into a new buffer. */
static int run(char **out, const char *fmt, ...)
{
	char *cmd, *buf = calloc(1, OUT_MAX + 1);
	size_t len = 0, n;
	va_list ap;
	FILE *p;
	int status;

	va_start(ap, fmt);
	TEST_ASSERT(vasprintf(&cmd, fmt, ap) >= 0 && buf, "no memory");
	va_end(ap);
	p = popen(cmd, "r");
	TEST_ASSERT(p, "popen %s: %m", cmd);
	while (len < OUT_MAX && (n = fread(buf + len, 1, OUT_MAX - len, p)) > 0)
		len += n;
	/* Read to the end: a command cut off by SIGPIPE would fail for us. */
	if (len == OUT_MAX) {
		char sink[4096];

		while (fread(sink, 1, sizeof(sink), p) > 0)
			;
		printf("# %.60s...: output cut at %d bytes\n", cmd, OUT_MAX);
	}
	status = pclose(p);
	free(cmd);
	*out = buf;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static char *read_log(void)
{
	char *text;

	run(&text, "tr -d '\\r' < %s", log_path);
	return text;
}

/* [lo, hi) of a symbol of vmtguest. */
static int symbol_range(const char *nm, const char *name, uint64_t *lo, uint64_t *hi)
{
	char pattern[64];
	const char *at;
	unsigned long long a, size;

	snprintf(pattern, sizeof(pattern), " T %s\n", name);
	at = strstr(nm, pattern);
	if (!at)
		return -1;
	/* "ADDR SIZE T name": back to the start of the line. */
	while (at > nm && at[-1] != '\n')
		at--;
	if (sscanf(at, "%llx %llx", &a, &size) != 2)
		return -1;
	*lo = a;
	*hi = a + size;
	return 0;
}

/* Parse the guest's lines (one pass; later lines win). */
static void parse_guest_log(const char *text)
{
	const char *line = text;
	unsigned int pid;
	unsigned long long v;
	char name[32], comm[32];

	nr_guest_ps = 0;
	for (; *line; line = strchrnul(line, '\n') + (strchr(line, '\n') != NULL)) {
		if (sscanf(line, "vmtps: self %u", &pid) == 1)
			ps_self = pid;
		else if (sscanf(line, "vmtps: %u %31s", &pid, comm) == 2 &&
			 nr_guest_ps < MAX_PROCS) {
			guest_ps[nr_guest_ps].pid = pid;
			snprintf(guest_ps[nr_guest_ps++].comm, 32, "%s", comm);
		} else if (sscanf(line, "vmtburn: pid %u", &pid) == 1)
			burn_pid = pid;
		else if (sscanf(line, "vmtduo: pid %u %31s tid %llu", &pid, name, &v) == 3) {
			duo_pid = pid;
			if (!strcmp(name, "duo-a"))
				duo_a = v;
			else
				duo_b = v;
		} else if (sscanf(line, "vmtchurn: pid %u", &pid) == 1) {
			churn_pid = pid;
		} else if (sscanf(line, "vmtmix: pid %u %31s tid %llu", &pid, name, &v) == 3) {
			mix_pid = pid;
			if (!strcmp(name, "mix-user"))
				mix_user = v;
			else
				mix_kern = v;
		} else if (sscanf(line, "vmtpeek: pid %u addr %llx", &pid, &v) == 2) {
			peek_pid = pid;
			peek_addr = v;
		} else if (sscanf(line, "guest: text %llx", &v) == 1)
			guest_text = v;
		else if (sscanf(line, "guest: phys %llx", &v) == 1)
			guest_phys = v;
		else if (!strncmp(line, "guest: banner ", 14))
			snprintf(guest_banner, sizeof(guest_banner), "%.*s",
				 (int)strcspn(line + 14, "\r\n"), line + 14);
		else if (!strncmp(line, "guest: flags", 12))
			guest_la57 = !!strstr(line, "la57");
		if (!strchr(line, '\n'))
			break;
	}
}

static char init_path[4400];

/* Start the guest (l2guest, daemonized): 0 and qemu_pid, or l2guest's status. */
static int start_guest(const char *append)
{
	char *out, pin[48] = "";
	int rc;

	/*
	 * A guest of several vCPUs runs them on one CPU of the test host:
	 * two of its vCPUs in guest mode at once, on two of the emulator's
	 * threads, now and then triple-faulted (Documentation/testing.rst:
	 * vCPU 1's SHUTDOWN exits, at RIPs no guest instruction explains).
	 * Its vCPUs, their per-CPU areas and current-task slots are as many.
	 */
	if (guest_smp > 1)
		snprintf(pin, sizeof(pin), "--host-cpus %ld ",
			 sysconf(_SC_NPROCESSORS_ONLN) - 1);
	rc = run(&out, "%s/../../scripts/l2guest --log %s --init %s --prog %s/vmtguest "
		 "--kernel %s --smp %u %s--append '%s' 2>&1", prog_dir, log_path, init_path,
		 prog_dir, guest_release, guest_smp, pin, append);

	/*
	 * l2guest prints the pid on a line of its own; QEMU's warnings (on
	 * stderr, merged here) may come before it, e.g. "Number of SMP cpus
	 * requested (2) exceeds the recommended cpus supported by KVM (1)"
	 * in a test host of one CPU.
	 */
	qemu_pid = 0;
	for (const char *line = out; *line;) {
		size_t digits = strspn(line, "0123456789");
		const char *eol = strchrnul(line, '\n');

		if (digits && line + digits == eol)
			qemu_pid = atoi(line);
		line = *eol ? eol + 1 : eol;
	}
	if (!rc && qemu_pid <= 0)
		rc = 125;
	if (rc)
		printf("# l2guest: %s", out);
	free(out);
	return rc;
}

static void setup(void)
{
	char *out, append[256], path[4400], *nm;
	struct utsname u;
	double t0 = now_s();
	int rc, tries;

	if (access("/dev/kvm", R_OK | W_OK))
		return setup_fail("no /dev/kvm");
	if (getenv("VMT_L2_SMP"))
		guest_smp = atoi(getenv("VMT_L2_SMP"));
	if (guest_smp < 1 || guest_smp > 8)
		return setup_fail("VMT_L2_SMP=%s: 1 to 8 vCPUs", getenv("VMT_L2_SMP"));
	if (access(collect, X_OK))
		return setup_fail("%s not built (make -C user)", collect);
	snprintf(path, sizeof(path), "%s/vmtguest", prog_dir);
	if (access(path, X_OK))
		return setup_fail("%s not built (make -C selftests)", path);
	rc = run(&nm, "nm -S --defined-only %s", path);
	if (rc || symbol_range(nm, "burn_loop", &burn_lo, &burn_hi) ||
	    symbol_range(nm, "duo_spin_a", &duo_a_lo, &duo_a_hi) ||
	    symbol_range(nm, "duo_spin_b", &duo_b_lo, &duo_b_hi) ||
	    symbol_range(nm, "churn_spin_even", &churn_even_lo, &churn_even_hi) ||
	    symbol_range(nm, "churn_spin_odd", &churn_odd_lo, &churn_odd_hi) ||
	    symbol_range(nm, "mix_spin", &mix_lo, &mix_hi))
		return setup_fail("no loop symbols in %s (nm status %d)", path, rc);
	free(nm);

	strcpy(dir, "/tmp/vmt-introspect-XXXXXX");
	if (!mkdtemp(dir))
		return setup_fail("mkdtemp: %m");
	snprintf(profile_dir, sizeof(profile_dir), "%s/profiles", dir);
	snprintf(log_path, sizeof(log_path), "%s/console.log", dir);
	mkdir(profile_dir, 0755);
	uname(&u);
	snprintf(guest_release, sizeof(guest_release), "%s",
		 getenv("VMT_L2_KERNEL") ?: u.release);
	snprintf(path, sizeof(path), "%s/init.sh", prog_dir);
	/*
	 * 4-level paging on 6.1 (no5lvl), 5-level where the CPU has LA57 on
	 * the others.  pti=on: KPTI, which this (AMD) CPU would not need.
	 * noxsave: through TCG and KVM the guest's CPUID describes an XSAVE
	 * area that does not match its features, which the kernel WARNs
	 * about ("XSAVE consistency problem") and then uses.
	 */
	snprintf(append, sizeof(append), "pti=on noxsave%s %s",
		 !strncmp(guest_release, "6.1.", 4) ? " no5lvl" : "",
		 getenv("VMTEST_L2_APPEND") ?: "");
	snprintf(init_path, sizeof(init_path), "%s", path);
	rc = start_guest(append);
	if (rc)
		return setup_fail("the guest did not start (l2guest status %d)", rc);
	/*
	 * While it boots: the profile.  The guest runs the test host's
	 * kernel; make -C selftests made its profile from the vmlinuz alone
	 * (BTF and the image's kallsyms tables).  If not, it is made here
	 * from this kernel's BTF and kallsyms.
	 */
	snprintf(path, sizeof(path), "%s/profiles/%s", prog_dir, guest_release);
	if (!access(path, R_OK)) {
		rc = run(&out, "cp %s %s/ 2>&1", path, profile_dir);
		printf("# setup: profile %s, made from the vmlinuz\n", path);
	} else if (strcmp(guest_release, u.release)) {
		/* Another kernel than the test host's: its vmlinuz is all there is. */
		return setup_fail("no profile %s (make -C selftests makes it from "
				  "/boot/vmlinuz-%s)", path, guest_release);
	} else {
		rc = run(&out, "%s profile create --btf /sys/kernel/btf/vmlinux "
			 "--system-map /proc/kallsyms --banner \"$(cat /proc/version)\" "
			 "-o %s/%s 2>&1", collect, profile_dir, u.release);
		printf("# %s", out);
	}
	free(out);
	if (rc)
		return setup_fail("no profile for %s (%d)", guest_release, rc);
	printf("# setup: profile made at +%.1f s\n", now_s() - t0);
	for (tries = 0;; tries++) {
		rc = run(&out, "%s/../../scripts/l2guest --log %s --pid %d --wait-for "
			 "'^guest: ready' --within 480 2>&1", prog_dir, log_path, qemu_pid);
		if (!rc)
			break;
		printf("# l2guest: %s", out);
		free(out);
		/*
		 * QEMU gone before "ready" (status 1), no session of vmtrace's
		 * running yet: the test bed's emulator now and then kills a
		 * nested guest in its boot (Documentation/testing.rst).  Once,
		 * said and its console kept, it boots again; a timeout (124)
		 * or a second death fails.
		 */
		if (rc != 1 || tries)
			return setup_fail("the guest did not come up (l2guest status %d)", rc);
		run(&out, "dmesg | tail -n 5; [ -z \"$VMTEST_OUT\" ] || "
		    "cp %s \"$VMTEST_OUT\"/introspect-died-console.log", log_path);
		printf("# setup: the guest (QEMU pid %d) died while booting; the test "
		       "host's last kernel lines:\n%s# setup: booting it once more\n",
		       qemu_pid, out);
		free(out);
		rc = start_guest(append);
		if (rc)
			return setup_fail("the guest did not start again (l2guest status %d)", rc);
	}
	free(out);
	out = read_log();
	parse_guest_log(out);
	free(out);
	expect_5level = guest_la57 && !strstr(append, "no5lvl");
	printf("# setup: guest up at +%.1f s\n", now_s() - t0);
	printf("# guest: QEMU pid %d, %u vCPUs, append \"%s\", %u processes, la57 %d, "
	       "_text %#llx, load %#llx\n", qemu_pid, guest_smp, append, nr_guest_ps,
	       guest_la57, (unsigned long long)guest_text, (unsigned long long)guest_phys);
	if (!burn_pid || !duo_a || !duo_b || !peek_pid || !ps_self || !guest_text ||
	    !churn_pid || !mix_user || !mix_kern || !guest_banner[0])
		setup_fail("the guest's report is incomplete");
}

static void teardown(void)
{
	char *out;

	if (qemu_pid > 0) {
		run(&out, "%s/../../scripts/l2guest --stop %d", prog_dir, qemu_pid);
		free(out);
	}
	if (dir[0] && getenv("VMTEST_OUT")) {
		run(&out, "cp %s %s/introspect-console.log", log_path, getenv("VMTEST_OUT"));
		free(out);
	}
	if (dir[0]) {
		run(&out, "rm -rf %s", dir);
		free(out);
	}
}

/* The "vm N: pid P" block of `vms` output for our guest. */
static char *vm_block(char *vms)
{
	char head[64], *at, *end;

	snprintf(head, sizeof(head), ": pid %d,", qemu_pid);
	at = strstr(vms, head);
	TEST_ASSERT(at, "vms does not list QEMU pid %d:\n%s", qemu_pid, vms);
	end = strstr(at, "\nvm ");
	if (end)
		end[1] = 0;
	return at;
}

/* @backend: "" (vms's default: the module here) or " --backend bpf". */
static void vms_on(const char *backend)
{
	char *out, *block, *line, *b;
	unsigned long long phys, vslide;
	int rc;

	need_setup();
	rc = run(&out, "%s vms%s --profile-dir %s 2>&1", collect, backend, profile_dir);
	TEST_ASSERT(!rc, "vms failed (%d):\n%s", rc, out);
	block = vm_block(out);
	printf("%s", block);
	/* The banner the guest's own /proc/version shows. */
	b = strstr(block, "guest kernel: ");
	TEST_ASSERT(b && !strncmp(b + 14, guest_banner, strlen(guest_banner)),
		    "banner is not the guest kernel's (%s)", guest_banner);
	TEST_ASSERT(strstr(block, "profile: "), "no profile matched");
	line = strstr(block, "kaslr: kernel at guest-physical ");
	TEST_ASSERT(line && sscanf(line, "kaslr: kernel at guest-physical %llx", &phys) == 1,
		    "no KASLR line");
	TEST_ASSERT(strstr(line, "virtual slide +") &&
		    sscanf(strstr(line, "virtual slide +") + 15, "%llx", &vslide) == 1,
		    "no virtual slide");
	/* The guest's own view: _text and the "Kernel code" load address. */
	TEST_ASSERT_EQ(vslide, guest_text - 0xffffffff81000000ULL);
	TEST_ASSERT_EQ(phys, guest_phys);
	TEST_ASSERT(strstr(block, expect_5level ? "paging: 5-level" : "paging: 4-level"),
		    "paging mode: expected %s", expect_5level ? "5-level" : "4-level");
	free(out);
}

static void test_vms(void)
{
	vms_on("");
}

/* The same from the memslots the BPF backend's VM iterator read. */
static void test_vms_bpf(void)
{
	vms_on(" --backend bpf");
}

/* Rows of `ps`: "PID PPID UID S CR3 COMM" (kernel threads in brackets). */
static unsigned int parse_ps(char *text, uint32_t *pids, char (*comms)[32], unsigned int max)
{
	unsigned int n = 0, pid, ppid;
	char uid[16], st[4], cr3[32], comm[40], *line;

	for (line = strtok(text, "\n"); line && n < max; line = strtok(NULL, "\n")) {
		if (sscanf(line, "%u %u %15s %3s %31s %39s", &pid, &ppid, uid, st, cr3,
			   comm) != 6)
			continue;
		if (comm[0] == '[') {
			memmove(comm, comm + 1, strlen(comm));
			comm[strcspn(comm, "]")] = 0;
		}
		pids[n] = pid;
		snprintf(comms[n++], 32, "%s", comm);
	}
	return n;
}

/*
 * task_struct.comm as /proc/PID/comm shows it: a kworker's gets "-" and
 * its current work queue appended there (wq_worker_comm()).
 */
static int same_comm(const char *task_comm, const char *proc_comm)
{
	size_t n = strlen(task_comm);

	if (!strcmp(task_comm, proc_comm))
		return 1;
	/* A kernel thread's full name, of which comm holds 15 characters. */
	if (n == 15 && !strncmp(proc_comm, task_comm, n))
		return 1;
	return !strncmp(task_comm, "kworker", 7) && !strncmp(proc_comm, task_comm, n) &&
	       proc_comm[n] == '-';
}

static void ps_on(const char *backend)
{
	static uint32_t pids[MAX_PROCS];
	static char comms[MAX_PROCS][32];
	unsigned int n, i, j, missing = 0, extra = 0, max_guest_pid = 0;
	char *out;
	int rc;

	need_setup();
	rc = run(&out, "%s ps%s --vm %d --profile-dir %s 2>&1", collect, backend, qemu_pid,
		 profile_dir);
	TEST_ASSERT(!rc, "ps failed (%d):\n%s", rc, out);
	n = parse_ps(out, pids, comms, MAX_PROCS);
	TEST_ASSERT(n > 10, "only %u processes", n);
	/* Every process the guest listed (but its lister, gone since). */
	for (i = 0; i < nr_guest_ps; i++) {
		if (guest_ps[i].pid == ps_self)
			continue;
		if (guest_ps[i].pid > max_guest_pid)
			max_guest_pid = guest_ps[i].pid;
		for (j = 0; j < n && pids[j] != guest_ps[i].pid; j++)
			;
		if (j == n) {
			/* Kernel workers come and go; nothing else may. */
			printf("# guest pid %u (%s) not listed\n", guest_ps[i].pid,
			       guest_ps[i].comm);
			missing++;
			TEST_ASSERT(!strncmp(guest_ps[i].comm, "kworker", 7),
				    "pid %u %s missing", guest_ps[i].pid, guest_ps[i].comm);
			continue;
		}
		TEST_ASSERT(same_comm(comms[j], guest_ps[i].comm), "pid %u: %s, guest says %s",
			    pids[j], comms[j], guest_ps[i].comm);
	}
	/* And nothing the guest did not list, but pid 0 and newer kworkers. */
	for (j = 0; j < n; j++) {
		for (i = 0; i < nr_guest_ps && guest_ps[i].pid != pids[j]; i++)
			;
		if (i < nr_guest_ps || !pids[j])
			continue;
		printf("# pid %u (%s) not in the guest's list\n", pids[j], comms[j]);
		extra++;
		TEST_ASSERT(!strncmp(comms[j], "kworker", 7) || pids[j] > max_guest_pid,
			    "pid %u %s unknown to the guest", pids[j], comms[j]);
	}
	TEST_ASSERT(missing + extra <= 4, "%u missing, %u extra", missing, extra);
	printf("# %u processes, %u as the guest listed them\n", n, nr_guest_ps - 1 - missing);
	free(out);
}

static void test_ps(void)
{
	ps_on("");
}

static void test_ps_bpf(void)
{
	ps_on(" --backend bpf");
}

/*
 * The guest's own accounting, its layout from the profile made from the
 * vmlinuz alone: top --batch (no session) for 3 intervals.  In the last,
 * the guest's CPU (at most 100 % per vCPU, give or take the guest's ticks
 * against the host's interval: up to 105 %) is 90 % per vCPU or more, as
 * five CPU-bound threads share them: vmtburn, vmtduo's (spinning in turn),
 * vmtchurn's (one at a time) and vmtmix's two; vmtburn and vmtduo each
 * with 10 - 75 %; the guest's memory and its steal time (read through the
 * profile's kernel_cpustat and __per_cpu_offset) are known, the steal
 * time within 0 - 100 % per vCPU.
 */
static void test_accounting(void)
{
	char *out, *last, *p, comm[32], gst[16], steal[16] = "", mem[128] = "";
	double burn = -1, duo = -1, vm = -1;
	int rc;

	need_setup();
	rc = run(&out, "%s top --batch --no-session --interval 2 --count 3 --procs 40 "
		 "--vm %d --profile-dir %s 2>&1", collect, qemu_pid, profile_dir);
	TEST_ASSERT(!rc, "top failed (%d):\n%s", rc, out);
	last = out;
	for (p = out; (p = strstr(p, "vmtrace-collect top ")); p++)
		last = p;
	TEST_ASSERT(!strstr(last, "no accounting"), "accounting unknown:\n%s", last);
	for (p = last; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		/* FLAGS PID PPID UID S SMP% GST% RSS THR COMM */
		if (sscanf(p, "%*s %*u %*u %*u %*s %*s %15s %*s %*u %31s", gst, comm) == 2 &&
		    strcmp(gst, "-")) {
			if (!strcmp(comm, "vmtburn"))
				burn = atof(gst);
			if (!strcmp(comm, "vmtduo"))
				duo = atof(gst);
		}
		if (sscanf(p, "guest: cpu %15[0-9.]%% (kernel %*[^)]) steal %15[^%]%% mem used "
			   "%127[^,]", gst, steal, mem) == 3)
			vm = atof(gst);
	}
	TEST_ASSERT(mem[0] && !strstr(mem, "- of -"), "guest memory unknown:\n%s", last);
	TEST_ASSERT(steal[0] && strcmp(steal, "-") && atof(steal) >= 0 &&
		    atof(steal) <= 100.0 * guest_smp,
		    "the guest's steal time '%s':\n%s", steal, last);
	/* The guest's ticks over the host's interval: a few points either way. */
	TEST_ASSERT(vm >= 90.0 * guest_smp && vm <= 105.0 * guest_smp,
		    "the guest's CPU %.1f%% on %u vCPUs:\n%s", vm, guest_smp, last);
	TEST_ASSERT(burn >= 10 && burn <= 75 && duo >= 10 && duo <= 75,
		    "vmtburn %.1f%%, vmtduo %.1f%%:\n%s", burn, duo, last);
	printf("# guest-accounted (layout from the profile): VM %.1f%%, vmtburn %.1f%%, "
	       "vmtduo %.1f%%, steal %s%%, memory used %s\n", vm, burn, duo, steal, mem);
	free(out);
}

static void test_threads(void)
{
	char *out, want[96];
	int rc;

	need_setup();
	rc = run(&out, "%s ps --vm %d --threads --profile-dir %s 2>&1", collect, qemu_pid,
		 profile_dir);
	TEST_ASSERT(!rc, "ps --threads failed (%d):\n%s", rc, out);
	snprintf(want, sizeof(want), " %u %7u ", duo_pid, duo_a);
	TEST_ASSERT(strstr(out, want), "no thread %u of %u", duo_a, duo_pid);
	TEST_ASSERT(strstr(strstr(out, want), "vmtduo duo-a"), "duo-a misnamed");
	snprintf(want, sizeof(want), " %u %7u ", duo_pid, duo_b);
	TEST_ASSERT(strstr(out, want), "no thread %u of %u", duo_b, duo_pid);
	TEST_ASSERT(strstr(strstr(out, want), "vmtduo duo-b"), "duo-b misnamed");
	free(out);
}

/*
 * ps --format json, with and without --threads: one array, every object
 * with exactly the documented keys (Documentation/cli.rst); vmtduo's two
 * threads by tid with their names, the process once without --threads;
 * kthreadd (pid 2) a kernel thread without page tables, init (pid 1) not.
 */
static void test_ps_json(void)
{
	char *out;
	int rc;

	need_setup();
	rc = run(&out, "%s ps --vm %d --profile-dir %s --format json >%s/ps.json && "
		 "%s ps --vm %d --threads --profile-dir %s --format json >%s/threads.json && "
		 "python3 - %s %u %u %u 2>&1 <<'EOF'\n"
		 "import json, sys\n"
		 "d, duo, a, b = sys.argv[1], *map(int, sys.argv[2:])\n"
		 "KEYS = {'pid', 'ppid', 'uid', 'state', 'cr3', 'kthread', 'comm'}\n"
		 "procs = json.load(open(d + '/ps.json'))\n"
		 "threads = json.load(open(d + '/threads.json'))\n"
		 "assert all(set(p) == KEYS for p in procs), procs[0]\n"
		 "assert all(set(t) == KEYS | {'tid', 'thread'} for t in threads), threads[0]\n"
		 "by_pid = {p['pid']: p for p in procs}\n"
		 "assert len(by_pid) == len(procs), 'a process listed twice'\n"
		 "assert by_pid[duo]['comm'] == 'vmtduo', by_pid.get(duo)\n"
		 "assert by_pid[2]['kthread'] and by_pid[2]['cr3'] == 0, by_pid[2]\n"
		 "assert not by_pid[1]['kthread'] and by_pid[1]['cr3'] > 0, by_pid[1]\n"
		 "assert all(len(p['state']) == 1 for p in procs), 'state letters'\n"
		 "tids = {t['tid']: t for t in threads if t['pid'] == duo}\n"
		 "assert tids[a]['thread'] == 'duo-a' and tids[b]['thread'] == 'duo-b', tids\n"
		 "assert tids[a]['comm'] == 'vmtduo' and tids[a]['cr3'] == by_pid[duo]['cr3'], tids[a]\n"
		 "print('# %%d processes, %%d threads' %% (len(procs), len(threads)))\n"
		 "EOF",
		 collect, qemu_pid, profile_dir, dir, collect, qemu_pid, profile_dir, dir,
		 dir, duo_pid, duo_a, duo_b);
	TEST_ASSERT(!rc, "ps --format json (%d):\n%s", rc, out);
	printf("%s", out);
	free(out);
}

/* One CSV line of `script`: the fields the checks use. */
struct script_line {
	char kind[16], mode[8], comm[32], symbol[128];
	uint64_t rip;
	long pid, tid;
};

/*
 * time_ns,host_cpu,kind,vm_id,vm_pid,vcpu,exit_code,exit_name,guest_rip,
 * guest_cr3,guest_mode,guest_pid,guest_tid,guest_comm,symbol
 */
static int parse_script_line(char *line, struct script_line *l)
{
	char *f[16], *p = line;
	int n = 0;

	while (n < 16) {
		f[n++] = p;
		p = strchr(p, ',');
		if (!p)
			break;
		*p++ = 0;
	}
	if (n < 15)
		return -1;
	snprintf(l->kind, sizeof(l->kind), "%s", f[2]);
	l->rip = strtoull(f[8], NULL, 16);
	snprintf(l->mode, sizeof(l->mode), "%s", f[10]);
	l->pid = *f[11] ? atol(f[11]) : -1;
	l->tid = *f[12] ? atol(f[12]) : -1;
	snprintf(l->comm, sizeof(l->comm), "%s", f[13]);
	snprintf(l->symbol, sizeof(l->symbol), "%s", f[14]);
	return 0;
}

#define MAX_CHURN 16384

/*
 * Is @symbol ("function+0xoff") one of the functions a read() of /dev/zero
 * spends its time in (6.1 and 6.12: read_iter_zero, iov_iter_zero, the
 * clear_user variants, rep_stos_alternative)?
 */
static int zero_read_path(const char *symbol)
{
	static const char *const fns[] = {
		"read_iter_zero", "iov_iter_zero", "clear_user", "__clear_user",
		"clear_user_rep_good", "clear_user_erms", "clear_user_original",
		"rep_stos_alternative",
	};
	size_t len = strcspn(symbol, "+");

	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
		if (strlen(fns[i]) == len && !strncmp(symbol, fns[i], len))
			return 1;
	return 0;
}

/* vmtchurn's threads so far, from the guest's log: tid and number. */
static unsigned int churn_threads(uint32_t *tid, uint32_t *k, unsigned int max)
{
	char *log = read_log(), *line, *save;
	unsigned long kk, t;
	unsigned int n = 0;

	for (line = strtok_r(log, "\n", &save); line && n < max;
	     line = strtok_r(NULL, "\n", &save))
		if (sscanf(line, "vmtchurn: thread %lu tid %lu", &kk, &t) == 2) {
			tid[n] = t;
			k[n++] = kk;
		}
	free(log);
	return n;
}

/* Is @tid a churn thread of parity @odd?  -1: not a churn thread at all. */
static int churn_parity_ok(const uint32_t *tid, const uint32_t *k, unsigned int n,
			   long t, int odd)
{
	for (unsigned int i = 0; i < n; i++)
		if (tid[i] == t)
			return (int)(k[i] & 1) == odd;
	return -1;
}

/* What the recordings of test_record_report showed, summed over pieces. */
struct rr_counts {
	uint64_t burn, burn_ok, a, a_ok, b, b_ok, kernel, kernel_named, user, user_named;
	uint64_t churn, churn_ok, mixu, mixu_ok, mixk, mixk_ok;
	unsigned long long by_task, misfit, unknown, named, records, faulted;
};

/* Has every loop enough samples for its ratio to mean something? */
static int rr_enough(const struct rr_counts *c)
{
	return c->burn >= 100 && c->a >= 20 && c->b >= 20 && c->mixu >= 20 &&
	       c->churn >= 20 && c->mixk >= 20;
}

/*
 * Record piece @piece (10 s) to p<piece>.vmt, check its naming summary,
 * script it and add what each loop's samples were named to @c.
 */
static void rr_record_piece(unsigned int piece, struct rr_counts *c, bool bpf)
{
	unsigned long long by_task, misfit, unknown, slots, named, records, faulted;
	static uint32_t churn_tid[MAX_CHURN], churn_k[MAX_CHURN];
	unsigned int nr_churn;
	struct script_line l;
	char *out, *line, *save, *at;
	int rc, odd;

	need_setup();
	rc = run(&out, "%s record -d 10 --vm %d --sample-hz 1000 --sample-source timer "
		 "--no-exits --profile-dir %s --backend %s -o %s/p%u.vmt 2>&1", collect,
		 qemu_pid, profile_dir, bpf ? "bpf" : "module", dir, piece);
	printf("%s", out);
	TEST_ASSERT(!rc, "record failed (%d)", rc);
	/* "N of M guest records named (...); threads: T by the record's task
	 * (F not fitting, U unknown; S vCPU slots set, R reads faulted), ..." */
	at = strstr(out, " guest records named");
	while (at && at > out && at[-1] != ':')
		at--;
	TEST_ASSERT(at && sscanf(at, " %llu of %llu", &named, &records) == 2,
		    "no naming summary in record's output");
	at = strstr(at, "threads: ");
	TEST_ASSERT(at && sscanf(at, "threads: %llu by the record's task (%llu not fitting, "
				 "%llu unknown; %llu vCPU slots set, %llu reads faulted)",
				 &by_task, &misfit, &unknown, &slots, &faulted) == 5,
		    "no thread summary in record's output");
	free(out);
	/* Each vCPU's current-task slot was set in every session. */
	TEST_ASSERT(slots >= guest_smp, "piece %u: %llu vCPU slots set for %u vCPUs", piece,
		    slots, guest_smp);
	c->by_task += by_task;
	c->misfit += misfit;
	c->unknown += unknown;
	c->named += named;
	c->records += records;
	c->faulted += faulted;
	nr_churn = churn_threads(churn_tid, churn_k, MAX_CHURN);
	rc = run(&out, "%s script -i %s/p%u.vmt 2>&1", collect, dir, piece);
	TEST_ASSERT(!rc, "script failed (%d):\n%.2000s", rc, out);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char line_copy[512];

		snprintf(line_copy, sizeof(line_copy), "%s", line);
		if (parse_script_line(line, &l) || strcmp(l.kind, "sample"))
			continue;
		if (!strcmp(l.mode, "kernel")) {
			c->kernel++;
			c->kernel_named += l.symbol[0] && strncmp(l.symbol, "0x", 2);
			/* In the /dev/zero read path (only mix-kern reads): its
			 * samples, whatever else ran on its vCPU. */
			if (l.pid == mix_pid && zero_read_path(l.symbol)) {
				c->mixk++;
				c->mixk_ok += l.tid == mix_kern;
				if (l.tid != mix_kern && c->mixk - c->mixk_ok <= 5)
					printf("# vmtmix kernel sample in %s named tid %ld\n",
					       l.symbol, l.tid);
			}
			continue;
		}
		c->user++;
		c->user_named += l.pid >= 0;
		if (l.rip >= burn_lo && l.rip < burn_hi) {
			c->burn++;
			c->burn_ok += l.pid == burn_pid && !strcmp(l.comm, "vmtburn");
		} else if (l.rip >= duo_a_lo && l.rip < duo_a_hi) {
			c->a++;
			c->a_ok += l.tid == duo_a && l.pid == duo_pid;
			if (!(l.tid == duo_a && l.pid == duo_pid) && c->a - c->a_ok <= 3)
				printf("# duo-a sample named pid %ld tid %ld: %s\n", l.pid, l.tid,
				       line_copy);
		} else if (l.rip >= duo_b_lo && l.rip < duo_b_hi) {
			c->b++;
			c->b_ok += l.tid == duo_b && l.pid == duo_pid;
			if (!(l.tid == duo_b && l.pid == duo_pid) && c->b - c->b_ok <= 3)
				printf("# duo-b sample named pid %ld tid %ld: %s\n", l.pid, l.tid,
				       line_copy);
		} else if (l.rip >= mix_lo && l.rip < mix_hi) {
			c->mixu++;
			c->mixu_ok += l.tid == mix_user && l.pid == mix_pid;
		} else if ((l.rip >= churn_even_lo && l.rip < churn_even_hi) ||
			   (l.rip >= churn_odd_lo && l.rip < churn_odd_hi)) {
			int ok;

			odd = l.rip >= churn_odd_lo && l.rip < churn_odd_hi;
			c->churn++;
			ok = l.pid == churn_pid && l.tid != churn_pid &&
			     churn_parity_ok(churn_tid, churn_k, nr_churn, l.tid, odd) == 1;
			c->churn_ok += ok;
			/* The first few misnamed, to tell how. */
			if (!ok && c->churn - c->churn_ok <= 5)
				printf("# churn sample in the %s loop named pid %ld tid %ld "
				       "(%s; parity %d)\n", odd ? "odd" : "even", l.pid, l.tid,
				       l.comm, churn_parity_ok(churn_tid, churn_k, nr_churn,
							       l.tid, odd));
		}
	}
	free(out);
	printf("# piece %u: user samples: %" PRIu64 ", %" PRIu64 " named; burner %" PRIu64
	       "/%" PRIu64 ", duo-a %" PRIu64 "/%" PRIu64 ", duo-b %" PRIu64 "/%" PRIu64
	       ", mix-user %" PRIu64 "/%" PRIu64 ", churn threads %" PRIu64 "/%" PRIu64
	       " (%u threads so far); kernel samples: %" PRIu64 ", %" PRIu64
	       " with a symbol, vmtmix's in the /dev/zero read %" PRIu64 "/%" PRIu64
	       " mix-kern (so far)\n", piece, c->user, c->user_named, c->burn_ok, c->burn,
	       c->a_ok, c->a, c->b_ok, c->b, c->mixu_ok, c->mixu, c->churn_ok, c->churn,
	       nr_churn, c->kernel, c->kernel_named, c->mixk_ok, c->mixk);
}

/*
 * record, then script and report: the trace names the process and thread
 * of the guest-user samples in each loop (ground truth: the loop's
 * addresses, and for vmtchurn the tids the guest printed), the thread of
 * vmtmix's kernel-mode samples, and kernel samples' functions.
 *
 * Recorded in 10 s pieces until every loop has its minimum of samples
 * (at most RR_PIECES): the guest's scheduler owes no thread a share of
 * any given 10 s.  On a starved emulator a guest thread that was running
 * when its vCPU stalled is charged the stall (the guest clock is the
 * host's TSC), and CFS then runs the others until they catch up: once,
 * beside a busy neighbour, mix-user took none of 8,561 samples in 10 s.
 */
#define RR_PIECES 4

/* Pieces until every loop has its minimum, at most RR_PIECES: how many. */
static unsigned int rr_record(struct rr_counts *c, bool bpf)
{
	unsigned int piece;

	for (piece = 0; piece < RR_PIECES && !rr_enough(c); piece++) {
		if (piece)
			printf("# too few samples in a loop after %u s: 10 s more\n",
			       piece * 10);
		rr_record_piece(piece, c, bpf);
	}
	return piece;
}

/* @bpf: on the BPF backend, whose report then says so. */
static void record_report_on(bool bpf)
{
	struct rr_counts c = {};
	unsigned int piece, pieces;
	char *out, *all, want[64];
	size_t all_len = 0;
	int rc;

	pieces = rr_record(&c, bpf);
	printf("# records: %llu of %llu named, threads by the record's task %llu (%llu not "
	       "fitting, %llu unknown), %llu reads faulted, %u vCPUs, %u pieces of 10 s\n",
	       c.named, c.records, c.by_task, c.misfit, c.unknown, c.faulted, guest_smp,
	       pieces);
	TEST_ASSERT(c.burn >= 100, "only %" PRIu64 " samples in the burner's loop", c.burn);
	TEST_ASSERT(c.burn_ok * 10 >= c.burn * 9, "burner: %" PRIu64 " of %" PRIu64 " named",
		    c.burn_ok, c.burn);
	TEST_ASSERT(c.a >= 20 && c.b >= 20 && c.mixu >= 20 && c.churn >= 20,
		    "thread loops in %u s: %" PRIu64 ", %" PRIu64 ", %" PRIu64 " and %" PRIu64
		    " samples", pieces * 10, c.a, c.b, c.mixu, c.churn);
	/* The backend's copy of the guest's current task named nearly every
	 * record's thread. */
	TEST_ASSERT(c.by_task * 10 >= c.named * 9, "threads by the record's task: %llu of %llu",
		    c.by_task, c.named);
	TEST_ASSERT(c.a_ok * 100 >= c.a * 99 && c.b_ok * 100 >= c.b * 99 &&
		    c.mixu_ok * 100 >= c.mixu * 99,
		    "threads: duo-a %" PRIu64 "/%" PRIu64 ", duo-b %" PRIu64 "/%" PRIu64
		    ", mix-user %" PRIu64 "/%" PRIu64, c.a_ok, c.a, c.b_ok, c.b, c.mixu_ok, c.mixu);
	/* The next churn thread may take the last one's task_struct over
	 * before that one's last samples are decoded: their own pid, read
	 * with the task, still names them. */
	TEST_ASSERT(c.churn_ok * 100 >= c.churn * 99, "short-lived threads: %" PRIu64 "/%" PRIu64,
		    c.churn_ok, c.churn);
	TEST_ASSERT(c.mixk >= 20 && c.mixk_ok * 100 >= c.mixk * 99,
		    "vmtmix's samples in the /dev/zero read path: %" PRIu64 " of %" PRIu64
		    " name mix-kern", c.mixk_ok, c.mixk);
	TEST_ASSERT(c.kernel < 10 || c.kernel_named * 10 >= c.kernel * 9,
		    "kernel samples: %" PRIu64 " of %" PRIu64 " symbolized", c.kernel_named,
		    c.kernel);

	/* The reports of the pieces: processes by name, and what the guest
	 * is (a name in any piece: each names what ran in it). */
	all = calloc(1, 1);
	TEST_ASSERT(all, "no memory");
	for (piece = 0; piece < pieces; piece++) {
		rc = run(&out, "%s report -i %s/p%u.vmt --by process,thread 2>&1", collect, dir,
			 piece);
		TEST_ASSERT(!rc, "report failed (%d):\n%.2000s", rc, out);
		if (!piece)
			printf("%.3000s", out);
		TEST_ASSERT(strstr(out, "guest: Linux "), "no guest line in piece %u's report",
			    piece);
		TEST_ASSERT(!bpf || strstr(out, "\n# backend: bpf"),
			    "piece %u's report does not say the BPF backend recorded", piece);
		all = realloc(all, all_len + strlen(out) + 1);
		TEST_ASSERT(all, "no memory");
		strcpy(all + all_len, out);
		all_len += strlen(out);
		free(out);
	}
	snprintf(want, sizeof(want), "vmtburn %u", burn_pid);
	TEST_ASSERT(strstr(all, want), "no \"%s\" in the reports", want);
	snprintf(want, sizeof(want), "duo-a %u", duo_a);
	TEST_ASSERT(strstr(all, want), "no \"%s\" (a thread) in the reports", want);
	snprintf(want, sizeof(want), "duo-b %u", duo_b);
	TEST_ASSERT(strstr(all, want), "no \"%s\" (a thread) in the reports", want);
	free(all);
	rc = run(&out, "%s report -i %s/p0.vmt --by symbol --top 5 2>&1", collect, dir);
	TEST_ASSERT(!rc, "report --by symbol failed (%d)", rc);
	printf("%.2000s", out);
	free(out);
}

static void test_record_report(void)
{
	record_report_on(false);
}

/*
 * The same on the BPF backend: the guest's memory map from its VM
 * iterator, the current task copied into each record by its programs.
 */
static void test_record_bpf(void)
{
	record_report_on(true);
}

/*
 * No profile for the guest: vms says why there are no names.  (That a
 * recording of such a guest says so too is guest_record_test's: each
 * session started here patches probes into a running L2's vCPU loop, which
 * QEMU TCG now and then gets wrong, so this test keeps to two.)
 */
static void test_no_profile(void)
{
	char *out, want[400];
	int rc;

	need_setup();
	rc = run(&out, "mkdir -p %s/empty && %s vms --no-discover --profile-dir %s/empty 2>&1",
		 dir, collect, dir);
	TEST_ASSERT(!rc, "vms failed (%d):\n%s", rc, out);
	printf("%s", vm_block(out));
	snprintf(want, sizeof(want), "names: unavailable: no profile in %s/empty matches "
		 "this guest's kernel, Linux %s", dir, guest_release);
	TEST_ASSERT(strstr(out, want), "vms does not say why there are no names");
	TEST_ASSERT(strstr(out, "guest kernel: Linux version "), "no banner without a profile");
	free(out);
}

/* The seq numbers the guest printed for its variable, lowest and highest. */
static void printed_seqs(uint64_t *lo, uint64_t *hi)
{
	char *log = read_log(), *line;
	unsigned long long seq;

	*lo = ~0ULL;
	*hi = 0;
	for (line = strtok(log, "\n"); line; line = strtok(NULL, "\n")) {
		if (!strncmp(line, "vmtpeek:", 8) && strstr(line, " seq ") &&
		    sscanf(strstr(line, " seq ") + 5, "%llu", &seq) == 1) {
			if (seq < *lo)
				*lo = seq;
			if (seq > *hi)
				*hi = seq;
		}
	}
	free(log);
}

static void test_peek(void)
{
	uint64_t lo, before, after;
	unsigned long long addr, value;
	char *out;
	int rc;

	need_setup();
	printed_seqs(&lo, &before);
	rc = run(&out, "%s peek --vm %d --guest-pid %u --addr %#llx --len 8 --format u64 "
		 "--profile-dir %s 2>&1", collect, qemu_pid, peek_pid,
		 (unsigned long long)peek_addr, profile_dir);
	printed_seqs(&lo, &after);
	TEST_ASSERT(!rc, "peek failed (%d):\n%s", rc, out);
	TEST_ASSERT(sscanf(out, "%llx: %llu", &addr, &value) == 2, "peek printed: %s", out);
	TEST_ASSERT_EQ(addr, peek_addr);
	/* What the guest printed just before or after (it changes every 2 s;
	 * it writes the value, then prints it). */
	TEST_ASSERT(value >= PEEK_BASE + before && value <= PEEK_BASE + after + 1,
		    "read %llu (seq %lld), the guest printed seq %llu..%llu", value,
		    (long long)(value - PEEK_BASE), (unsigned long long)before,
		    (unsigned long long)after);
	printf("# read seq %llu, guest printed seq %llu..%llu\n",
	       (unsigned long long)(value - PEEK_BASE), (unsigned long long)before,
	       (unsigned long long)after);
	free(out);
}

static void test_peek_watch(void)
{
	uint64_t lo, hi;
	unsigned long long value, seq_first = 0, seq_last = 0;
	unsigned int changes = 0;
	char *out, *line;
	int rc;

	need_setup();
	rc = run(&out, "%s peek --vm %d --guest-pid %u --addr %#llx --len 8 --format u64 "
		 "--watch 5 --interval 100 --profile-dir %s 2>&1", collect, qemu_pid,
		 peek_pid, (unsigned long long)peek_addr, profile_dir);
	TEST_ASSERT(!rc, "peek --watch failed (%d):\n%s", rc, out);
	printf("%s", out);
	sleep(1);
	printed_seqs(&lo, &hi);
	for (line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
		unsigned long long a;

		if (sscanf(line, "%llx: %llu", &a, &value) != 2)
			continue;
		/* Every value seen is one the guest printed. */
		TEST_ASSERT(value >= PEEK_BASE + lo && value <= PEEK_BASE + hi,
			    "value %llu was never printed", value);
		if (!seq_first)
			seq_first = value - PEEK_BASE;
		else
			TEST_ASSERT(value - PEEK_BASE == seq_last + 1, "a change was missed");
		seq_last = value - PEEK_BASE;
		changes++;
	}
	/* 5 s, a change every 2 s: the first read and at least two changes. */
	TEST_ASSERT(changes >= 3, "%u values seen", changes);
	free(out);
}

static const struct tap_test tests[] = {
	TAP_TEST(vms),
	TAP_TEST(vms_bpf),
	TAP_TEST(ps),
	TAP_TEST(ps_bpf),
	TAP_TEST(threads),
	TAP_TEST(ps_json),
	TAP_TEST(accounting),
	TAP_TEST(no_profile),
	TAP_TEST_TIMEOUT(record_report, 360),
	TAP_TEST_TIMEOUT(record_bpf, 360),
	TAP_TEST(peek),
	TAP_TEST(peek_watch),
};

int main(int argc, char **argv)
{
	char self[4096], *slash;
	ssize_t n;
	int rc;

	/* Line by line: a timeout must not eat the setup's diagnostics. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* Helpers beside this program; vmtrace-collect in user/ of the tree. */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = 0;
	slash = strrchr(self, '/');
	if (slash)
		*slash = 0;
	snprintf(prog_dir, sizeof(prog_dir), "%s", self);
	snprintf(collect, sizeof(collect), "%s/../../user/vmtrace-collect", self);
	if (argc > 1 && !strcmp(argv[1], "-l"))
		return tap_main(argc, argv, tests, ARRAY_SIZE(tests), 0);
	if (access("/dev/kvm", F_OK))
		return tap_main(argc, argv, tests, ARRAY_SIZE(tests), TAP_NEEDS_KVM);
	setup();
	rc = tap_main(argc, argv, tests, ARRAY_SIZE(tests), 0);
	teardown();
	return rc;
}
