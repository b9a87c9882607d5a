// SPDX-License-Identifier: GPL-2.0
/* The /proc sampler against a fake proc tree: exact figures, odd names. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "host/proc_sample.h"
#include "tap.h"

static char root[64];

static void put(const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	TEST_ASSERT(f, "fopen %s", path);
	fputs(text, f);
	fclose(f);
}

static void dir(const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	TEST_ASSERT_SYSCALL(mkdir(path, 0755), "mkdir");
}

/* A stat line with @comm, utime and stime in ticks. */
static void put_stat(const char *rel, int pid, const char *comm,
		     unsigned long ut, unsigned long st)
{
	char line[512];

	snprintf(line, sizeof(line),
		 "%d (%s) S 1 %d %d 0 -1 4194560 100 0 0 0 %lu %lu 0 0 20 0 4 0 "
		 "1000 1234567 890 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0\n",
		 pid, comm, pid, pid, ut, st);
	put(rel, line);
}

static void make_vmm(unsigned long scale)
{
	char rel[128];
	static const struct {
		int tid;
		const char *comm;
	} threads[] = {
		{ 100, "qemu-system-x86" }, { 101, "qemu-system-x86" },
		{ 102, "CPU 0/KVM" }, { 103, "CPU 1/KVM" }, { 104, "vnc_worker" },
	};
	size_t i;

	if (scale == 1) {
		snprintf(root, sizeof(root), "/tmp/host_sample_test.XXXXXX");
		TEST_ASSERT(mkdtemp(root), "mkdtemp");
		dir("100");
		dir("100/task");
		for (i = 0; i < ARRAY_SIZE(threads); i++) {
			snprintf(rel, sizeof(rel), "100/task/%d", threads[i].tid);
			dir(rel);
		}
	}
	put_stat("100/stat", 100, "qemu-system-x86", 300 * scale, 100 * scale);
	put("100/status",
	    "Name:\tqemu-system-x86\nVmPeak:\t 9999 kB\nVmRSS:\t  524288 kB\n"
	    "RssAnon:\t  500000 kB\nRssFile:\t   24288 kB\nRssShmem:\t       0 kB\n");
	for (i = 0; i < ARRAY_SIZE(threads); i++) {
		char sched[128];

		snprintf(rel, sizeof(rel), "100/task/%d/stat", threads[i].tid);
		put_stat(rel, threads[i].tid, threads[i].comm, 50 * scale * i,
			 10 * scale * i);
		snprintf(rel, sizeof(rel), "100/task/%d/schedstat", threads[i].tid);
		snprintf(sched, sizeof(sched), "%lu %lu %lu\n",
			 600000000UL * scale * i, 5000000UL * scale * i, 7UL);
		put(rel, sched);
	}
}

static void cleanup(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	TEST_ASSERT_EQ(system(cmd), 0);
}

static void test_vcpu_names(void)
{
	TEST_ASSERT_EQ(host_vcpu_index("CPU 0/KVM"), 0);
	TEST_ASSERT_EQ(host_vcpu_index("CPU 12/KVM"), 12);
	TEST_ASSERT_EQ(host_vcpu_index("vcpu3"), 3);
	TEST_ASSERT_EQ(host_vcpu_index("fc_vcpu 1"), 1);
	TEST_ASSERT_EQ(host_vcpu_index("crosvm_vcpu7"), 7);
	TEST_ASSERT_EQ(host_vcpu_index("CPU /KVM"), -1);
	TEST_ASSERT_EQ(host_vcpu_index("CPU 1/KVMX"), -1);
	TEST_ASSERT_EQ(host_vcpu_index("CPU 1/TCG"), -1);
	TEST_ASSERT_EQ(host_vcpu_index("qemu-system-x86"), -1);
	TEST_ASSERT_EQ(host_vcpu_index("CPU 999/KVM"), -1);	/* > HOST_MAX_VCPUS */
}

static void test_parse_stat(void)
{
	char comm[16];
	uint64_t ut = 0, st = 0;

	/* A name with ") (" and spaces: the last ')' ends it. */
	TEST_ASSERT_EQ(host_parse_stat("7 (a) (b c) R 1 2 3 4 5 6 7 8 9 10 42 43 0 0\n",
				     comm, sizeof(comm), &ut, &st), 0);
	TEST_ASSERT(!strcmp(comm, "a) (b c"), "comm %s", comm);
	TEST_ASSERT_EQ(ut, 42);
	TEST_ASSERT_EQ(st, 43);
	TEST_ASSERT_EQ(host_parse_stat("7 (x) R 1 2\n", comm, sizeof(comm), &ut, &st),
		       -EINVAL);
	TEST_ASSERT_EQ(host_parse_stat("7 x R 1 2 3 4 5 6 7 8 9 10 42 43\n", comm,
				     sizeof(comm), &ut, &st), -EINVAL);
	TEST_ASSERT_EQ(host_parse_stat("7 (x) R 1 2 3 4 5 6 7 8 9 10 -4 43\n", comm,
				     sizeof(comm), &ut, &st), -EINVAL);
	TEST_ASSERT_EQ(host_parse_stat("7 (x) R 1 2 3 4 5 6 7 8 9 10 99999999999999999999 1\n",
				     comm, sizeof(comm), &ut, &st), -EINVAL);
}

static void test_parse_schedstat(void)
{
	uint64_t run = 0, wait = 0;

	TEST_ASSERT_EQ(host_parse_schedstat("123 456 7\n", &run, &wait), 0);
	TEST_ASSERT_EQ(run, 123);
	TEST_ASSERT_EQ(wait, 456);
	TEST_ASSERT_EQ(host_parse_schedstat("123\n", &run, &wait), -EINVAL);
	TEST_ASSERT_EQ(host_parse_schedstat("", &run, &wait), -EINVAL);
}

static void test_read_fake_proc(void)
{
	struct host_proc_sample s;

	make_vmm(1);
	TEST_ASSERT_EQ(host_sample_read(root, 100, 100, 5, &s), 0);
	TEST_ASSERT(!strcmp(s.comm, "qemu-system-x86"), "comm %s", s.comm);
	TEST_ASSERT_EQ(s.utime_ns, 3000000000ULL);
	TEST_ASSERT_EQ(s.stime_ns, 1000000000ULL);
	TEST_ASSERT_EQ(s.rss_bytes, 524288ULL << 10);
	TEST_ASSERT_EQ(s.rss_anon_bytes, 500000ULL << 10);
	TEST_ASSERT_EQ(s.rss_file_bytes, 24288ULL << 10);
	TEST_ASSERT_EQ(s.nr_threads, 5);
	TEST_ASSERT_EQ(s.threads[0].tid, 100);
	TEST_ASSERT_EQ(s.threads[2].vcpu, 0);
	TEST_ASSERT_EQ(s.threads[3].vcpu, 1);
	TEST_ASSERT_EQ(s.threads[4].vcpu, -1);
	TEST_ASSERT(s.threads[3].have_schedstat, "schedstat");
	TEST_ASSERT_EQ(s.threads[3].run_ns, 1800000000ULL);
	TEST_ASSERT_EQ(s.threads[3].wait_ns, 15000000ULL);
	host_sample_free(&s);
	TEST_ASSERT_EQ(host_sample_read(root, 100, 999, 5, &s), -ESRCH);
	host_sample_free(&s);
	cleanup();
}

/* QEMU without debug-threads: KVM's debugfs names the vCPU threads. */
static void test_vcpus_from_debugfs(void)
{
	struct host_proc_sample s;
	char kvm[128];

	make_vmm(1);
	/* Every thread unnamed, as QEMU leaves them. */
	put_stat("100/task/102/stat", 102, "qemu-system-x86", 50, 10);
	put_stat("100/task/103/stat", 103, "qemu-system-x86", 100, 20);
	dir("kvm");
	dir("kvm/100-12");
	dir("kvm/100-12/vcpu0");
	dir("kvm/100-12/vcpu1");
	dir("kvm/100-12/vcpu2");	/* never ran: pid 0 */
	put("kvm/100-12/vcpu0/pid", "102\n");
	put("kvm/100-12/vcpu1/pid", "103\n");
	put("kvm/100-12/vcpu2/pid", "0\n");
	/* Another VMM's VM (its prefix starts like ours) and a stale pid. */
	dir("kvm/1000-5");
	dir("kvm/1000-5/vcpu0");
	put("kvm/1000-5/vcpu0/pid", "104\n");
	dir("kvm/100-13");
	dir("kvm/100-13/vcpu0");
	put("kvm/100-13/vcpu0/pid", "99999\n");
	snprintf(kvm, sizeof(kvm), "%s/kvm", root);

	TEST_ASSERT_EQ(host_sample_read(root, 100, 100, 5, &s), 0);
	TEST_ASSERT(s.threads[2].vcpu == -1 && s.threads[3].vcpu == -1, "unnamed");
	TEST_ASSERT_EQ(host_vcpus_from_debugfs(kvm, &s), 2);
	TEST_ASSERT_EQ(s.threads[2].tid, 102);
	TEST_ASSERT_EQ(s.threads[2].vcpu, 0);
	TEST_ASSERT_EQ(s.threads[3].vcpu, 1);
	TEST_ASSERT_EQ(s.threads[4].vcpu, -1);	/* 104: the other VMM's */
	TEST_ASSERT_EQ(s.threads[0].vcpu, -1);
	host_sample_free(&s);
	/* No debugfs (not mounted, not root): nothing marked, no error. */
	TEST_ASSERT_EQ(host_sample_read(root, 100, 100, 5, &s), 0);
	TEST_ASSERT_EQ(host_vcpus_from_debugfs("/nonexistent/kvm", &s), 0);
	host_sample_free(&s);
	/* Named threads are left as named. */
	put_stat("100/task/102/stat", 102, "CPU 0/KVM", 50, 10);
	put("kvm/100-12/vcpu0/pid", "103\n");
	TEST_ASSERT_EQ(host_sample_read(root, 100, 100, 5, &s), 0);
	TEST_ASSERT_EQ(host_vcpus_from_debugfs(kvm, &s), 0);
	TEST_ASSERT_EQ(s.threads[2].vcpu, 0);
	TEST_ASSERT_EQ(s.threads[3].vcpu, -1);
	host_sample_free(&s);
	cleanup();
}

static void test_rates(void)
{
	struct host_proc_sample a, b;
	static struct host_rates r;

	make_vmm(1);
	TEST_ASSERT_EQ(host_sample_read(root, 100, 100, 1000000000ULL, &a), 0);
	make_vmm(2);	/* every counter doubled, one second later */
	TEST_ASSERT_EQ(host_sample_read(root, 100, 100, 2000000000ULL, &b), 0);
	TEST_ASSERT_EQ(host_rates(&a, &b, &r), 0);
	TEST_ASSERT(r.interval_s > 0.999 && r.interval_s < 1.001, "interval");
	/* Ticks: +300 user, +100 sys at 100 Hz in 1 s. */
	TEST_ASSERT(r.user_pct > 299.9 && r.user_pct < 300.1, "user %f", r.user_pct);
	TEST_ASSERT(r.sys_pct > 99.9 && r.sys_pct < 100.1, "sys %f", r.sys_pct);
	/* schedstat: threads 1..4 ran 0.6 s * i more: 0.6+1.2+1.8+2.4 = 6 s. */
	TEST_ASSERT(r.cpu_pct > 599.9 && r.cpu_pct < 600.1, "cpu %f", r.cpu_pct);
	TEST_ASSERT_EQ(r.nr_vcpus, 2);
	TEST_ASSERT_EQ(r.vcpus[0].vcpu, 0);
	TEST_ASSERT(r.vcpus[0].cpu_pct > 119.9 && r.vcpus[0].cpu_pct < 120.1,
		    "vcpu0 %f", r.vcpus[0].cpu_pct);
	TEST_ASSERT(r.vcpus[1].run_delay_pct > 1.49 && r.vcpus[1].run_delay_pct < 1.51,
		    "delay %f", r.vcpus[1].run_delay_pct);
	TEST_ASSERT(r.vcpu_pct > 299.9 && r.vcpu_pct < 300.1, "vcpus %f", r.vcpu_pct);
	TEST_ASSERT(r.other_pct > 299.9 && r.other_pct < 300.1, "other %f", r.other_pct);
	/* Backwards in time, or another process: refused. */
	TEST_ASSERT_EQ(host_rates(&b, &a, &r), -EINVAL);
	/* Counters going backwards (pid reuse) give 0, not huge numbers. */
	a.when_ns = 0;
	TEST_ASSERT_EQ(host_rates(&b, &a, &r), -EINVAL);
	b.when_ns = 1000000000ULL;
	a.when_ns = 2000000000ULL;
	TEST_ASSERT_EQ(host_rates(&b, &a, &r), 0);
	TEST_ASSERT(r.user_pct == 0 && r.cpu_pct == 0, "backwards");
	host_sample_free(&a);
	host_sample_free(&b);
	cleanup();
}

/* A fd link as /proc shows it: a symlink to @target. */
static void fd_link(const char *rel, const char *target)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	TEST_ASSERT(!symlink(target, path), "symlink %s", path);
}

/*
 * The VMs without vmtrace.ko: the processes with a "anon_inode:kvm-vm"
 * fd, sorted by pid, each once, with their vCPU fds counted; a process
 * with /dev/kvm open but no VM, one without fds to read, and a
 * non-process entry are not VMs.
 */
static void test_find_kvm_vms(void)
{
	struct hv_kvm_vm *vms;
	size_t nr;

	make_vmm(1);
	dir("100/fd");
	fd_link("100/fd/0", "/dev/null");
	fd_link("100/fd/9", "/dev/kvm");
	fd_link("100/fd/12", "anon_inode:kvm-vm");
	fd_link("100/fd/14", "anon_inode:kvm-vcpu:0");
	fd_link("100/fd/15", "anon_inode:kvm-vcpu:1");
	fd_link("100/fd/16", "anon_inode:kvm-vcpu-stats:0");
	dir("42");
	dir("42/fd");
	fd_link("42/fd/3", "anon_inode:kvm-vm");
	fd_link("42/fd/4", "anon_inode:kvm-vm");	/* a second VM fd: still one entry */
	fd_link("42/fd/5", "anon_inode:kvm-vcpu:0");
	dir("77");
	dir("77/fd");
	fd_link("77/fd/3", "/dev/kvm");			/* no VM made yet */
	dir("78");					/* fds not readable */
	dir("self");
	dir("self/fd");
	fd_link("self/fd/3", "anon_inode:kvm-vm");	/* not a pid */

	TEST_ASSERT_EQ(host_find_kvm_vms(root, &vms, &nr), 0);
	TEST_ASSERT_EQ(nr, 2);
	TEST_ASSERT_EQ(vms[0].pid, 42);
	TEST_ASSERT_EQ(vms[0].nr_vcpus, 1);
	TEST_ASSERT_EQ(vms[1].pid, 100);
	TEST_ASSERT_EQ(vms[1].nr_vcpus, 2);
	free(vms);
	TEST_ASSERT_EQ(host_find_kvm_vms("/nonexistent/proc", &vms, &nr), -ENOENT);
	TEST_ASSERT(!vms && !nr, "nothing on failure");
	cleanup();
}

static void test_real_self(void)
{
	struct host_proc_sample s;

	TEST_ASSERT_EQ(host_sample_read("/proc", sysconf(_SC_CLK_TCK), getpid(), 1, &s), 0);
	TEST_ASSERT(s.nr_threads >= 1, "threads");
	TEST_ASSERT(s.rss_bytes > 0, "rss");
	TEST_ASSERT_EQ(s.threads[0].tid, getpid());
	host_sample_free(&s);
}

static const struct tap_test tests[] = {
	TAP_TEST(vcpu_names),
	TAP_TEST(parse_stat),
	TAP_TEST(parse_schedstat),
	TAP_TEST(read_fake_proc),
	TAP_TEST(vcpus_from_debugfs),
	TAP_TEST(rates),
	TAP_TEST(find_kvm_vms),
	TAP_TEST(real_self),
};

int main(int argc, char **argv)
{
	return tap_main(argc, argv, tests, ARRAY_SIZE(tests), 0);
}
