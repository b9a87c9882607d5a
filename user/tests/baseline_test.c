// SPDX-License-Identifier: GPL-2.0
/* Baselines and flags: which change is notable, exactly when. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "view/baseline.h"
#include "tap.h"

/* A snapshot of one VM with the given processes (name, uid, cpu %, rss MiB). */
struct fake_proc {
	uint32_t pid, uid;
	const char *comm;
	double cpu;
	unsigned int rss_mib;
	bool kthread;
};

static struct trace_snapshot_proc procs[16];
static struct trace_snapshot_vm vm;
static struct trace_snapshot snap = { .vms = &vm, .nr_vms = 1 };

static void fill(const struct fake_proc *fp, size_t n, double hv_cpu, double guest_cpu)
{
	size_t i;

	memset(&vm, 0, sizeof(vm));
	memset(procs, 0, sizeof(procs));
	vm.id.vm_id = 1;
	vm.id.vmm_pid = 100;
	strcpy(vm.id.uuid, "6f1c3e0a-2b1d-4c7e-9a55-0d5b8e1f2a3c");
	vm.hv_valid = true;
	vm.hv_cpu_pct = hv_cpu;
	vm.hv_rss_bytes = 512ULL << 20;
	vm.guest_valid = true;
	vm.guest_cpu_pct = guest_cpu;
	vm.gap_valid = true;
	vm.cpu_gap_pct = hv_cpu - guest_cpu;
	for (i = 0; i < n; i++) {
		procs[i].pid = fp[i].pid;
		procs[i].uid = fp[i].uid;
		procs[i].kthread = fp[i].kthread;
		strcpy(procs[i].comm, fp[i].comm);
		procs[i].guest_cpu_pct = fp[i].cpu;
		procs[i].sample_cpu_pct = -1;
		procs[i].rss_bytes = (uint64_t)fp[i].rss_mib << 20;
		procs[i].rss_valid = true;
	}
	vm.procs = procs;
	vm.nr_procs = n;
	snap.interval_s = 1;
	snap.seq++;
}

static void test_series(void)
{
	struct view_baseline_series s = { 0 };
	double mean, sd;
	int i;

	TEST_ASSERT_EQ(view_baseline_series_stats(&s, &mean, &sd), -ENODATA);
	for (i = 0; i < 10; i++)
		view_baseline_series_push(&s, i, 4);	/* keeps 6, 7, 8, 9 */
	TEST_ASSERT_EQ(s.n, 4);
	TEST_ASSERT_EQ(view_baseline_series_stats(&s, &mean, &sd), 0);
	TEST_ASSERT(mean == 7.5, "mean %f", mean);
	TEST_ASSERT(sd > 1.118 && sd < 1.119, "sd %f", sd);
	/* Band: max(3 * 1.118, 1) = 3.354 around 7.5. */
	TEST_ASSERT(!view_baseline_series_outside(&s, 10.8, 3, 1, 4), "inside");
	TEST_ASSERT(view_baseline_series_outside(&s, 10.9, 3, 1, 4), "outside");
	TEST_ASSERT(view_baseline_series_outside(&s, 4.1, 3, 1, 4), "outside below");
	TEST_ASSERT(!view_baseline_series_outside(&s, 100, 3, 1, 5), "history too short");
	/* A flat series: the floor decides. */
	memset(&s, 0, sizeof(s));
	for (i = 0; i < 5; i++)
		view_baseline_series_push(&s, 50, 30);
	TEST_ASSERT(!view_baseline_series_outside(&s, 59, 3, 10, 5), "within floor");
	TEST_ASSERT(view_baseline_series_outside(&s, 61, 3, 10, 5), "beyond floor");
}

static void test_uids(void)
{
	struct view_baseline_config c;

	view_baseline_config_default(&c);
	TEST_ASSERT_EQ(view_baseline_parse_uids("0,33,100-199", &c), 0);
	TEST_ASSERT_EQ(c.nr_admin_uids, 3);
	TEST_ASSERT(view_baseline_uid_allowed(&c, 0) && view_baseline_uid_allowed(&c, 33), "0, 33");
	TEST_ASSERT(view_baseline_uid_allowed(&c, 100) && view_baseline_uid_allowed(&c, 199), "range");
	TEST_ASSERT(!view_baseline_uid_allowed(&c, 1000) && !view_baseline_uid_allowed(&c, 34), "outside");
	TEST_ASSERT_EQ(view_baseline_parse_uids("", &c), -EINVAL);
	TEST_ASSERT_EQ(view_baseline_parse_uids("5-1", &c), -EINVAL);
	TEST_ASSERT_EQ(view_baseline_parse_uids("1,", &c), -EINVAL);
	TEST_ASSERT_EQ(view_baseline_parse_uids("a", &c), -EINVAL);
	TEST_ASSERT_EQ(view_baseline_parse_uids("4294967295", &c), -EINVAL);
	TEST_ASSERT_EQ(c.nr_admin_uids, 3);	/* failures change nothing */
}

static void test_new_process(void)
{
	static const struct fake_proc base[] = {
		{ 1, 0, "init", 0, 1, false }, { 2, 0, "kthreadd", 0, 0, true },
		{ 50, 0, "sshd", 1, 5, false },
	};
	static const struct fake_proc later[] = {
		{ 1, 0, "init", 0, 1, false }, { 2, 0, "kthreadd", 0, 0, true },
		{ 50, 0, "sshd", 1, 5, false }, { 60, 0, "sshd", 1, 5, false },
		{ 70, 0, "miner", 90, 50, false }, { 80, 0, "kworker/0:2", 0, 0, true },
	};
	struct view_baseline_config c;
	struct view_baseline_state *b;
	int i;

	view_baseline_config_default(&c);
	c.new_hold = 2;
	TEST_ASSERT_EQ(view_baseline_new(&c, &b), 0);
	/* The first interval is the baseline: nothing is new. */
	fill(base, 3, 10, 10);
	TEST_ASSERT_EQ(view_baseline_update(b, &snap), 0);
	TEST_ASSERT_EQ(vm.proc_flags, 0);
	fill(later, 6, 10, 10);
	TEST_ASSERT_EQ(view_baseline_update(b, &snap), 0);
	/* A second sshd is not new; miner is; a new kernel thread is not. */
	TEST_ASSERT_EQ(procs[3].flags & TRACE_SNAPSHOT_F_NEW_PROCESS, 0);
	TEST_ASSERT_EQ(procs[4].flags & TRACE_SNAPSHOT_F_NEW_PROCESS, TRACE_SNAPSHOT_F_NEW_PROCESS);
	TEST_ASSERT_EQ(procs[5].flags & TRACE_SNAPSHOT_F_NEW_PROCESS, 0);
	TEST_ASSERT(vm.proc_flags & TRACE_SNAPSHOT_F_NEW_PROCESS, "vm proc_flags");
	/* "new" holds for new_hold intervals, then clears. */
	fill(later, 6, 10, 10);
	TEST_ASSERT_EQ(view_baseline_update(b, &snap), 0);
	TEST_ASSERT_EQ(procs[4].flags & TRACE_SNAPSHOT_F_NEW_PROCESS, TRACE_SNAPSHOT_F_NEW_PROCESS);
	for (i = 0; i < 2; i++) {
		fill(later, 6, 10, 10);
		TEST_ASSERT_EQ(view_baseline_update(b, &snap), 0);
	}
	TEST_ASSERT_EQ(procs[4].flags & TRACE_SNAPSHOT_F_NEW_PROCESS, 0);
	view_baseline_free(b);
}

static void test_uid_flag(void)
{
	static const struct fake_proc p[] = {
		{ 1, 0, "init", 0, 1, false }, { 40, 1000, "bash", 0, 1, false },
		{ 41, 33, "nginx", 0, 1, false }, { 42, 1000, "kthread?", 0, 0, true },
		{ 43, UINT32_MAX, "unknown", 0, 0, false },
	};
	struct view_baseline_config c;
	struct view_baseline_state *b;

	view_baseline_config_default(&c);
	/* Without an allow-list nothing is flagged. */
	TEST_ASSERT_EQ(view_baseline_new(&c, &b), 0);
	fill(p, 5, 10, 10);
	TEST_ASSERT_EQ(view_baseline_update(b, &snap), 0);
	TEST_ASSERT_EQ(vm.proc_flags & TRACE_SNAPSHOT_F_UID, 0);
	view_baseline_free(b);
	TEST_ASSERT_EQ(view_baseline_parse_uids("0-999", &c), 0);
	TEST_ASSERT_EQ(view_baseline_new(&c, &b), 0);
	fill(p, 5, 10, 10);
	TEST_ASSERT_EQ(view_baseline_update(b, &snap), 0);
	TEST_ASSERT_EQ(procs[0].flags & TRACE_SNAPSHOT_F_UID, 0);
	TEST_ASSERT_EQ(procs[1].flags & TRACE_SNAPSHOT_F_UID, TRACE_SNAPSHOT_F_UID);
	TEST_ASSERT_EQ(procs[2].flags & TRACE_SNAPSHOT_F_UID, 0);
	TEST_ASSERT_EQ(procs[3].flags & TRACE_SNAPSHOT_F_UID, 0);	/* kernel thread */
	TEST_ASSERT_EQ(procs[4].flags & TRACE_SNAPSHOT_F_UID, 0);	/* uid unknown */
	view_baseline_free(b);
}

static void test_cpu_mem_baseline(void)
{
	struct fake_proc p[] = { { 1, 0, "init", 0, 1, false }, { 9, 0, "db", 20, 100, false } };
	struct view_baseline_config c;
	struct view_baseline_state *b;
	int i;

	view_baseline_config_default(&c);
	TEST_ASSERT_EQ(view_baseline_new(&c, &b), 0);
	/* Five intervals of history at 20 +- 1 %, 100 MiB. */
	for (i = 0; i < 6; i++) {
		p[1].cpu = 20 + (i % 2 ? 1 : -1);
		fill(p, 2, 30, 25);
		TEST_ASSERT_EQ(view_baseline_update(b, &snap), 0);
		TEST_ASSERT_EQ(procs[1].flags & (TRACE_SNAPSHOT_F_CPU_BASELINE | TRACE_SNAPSHOT_F_MEM_BASELINE), 0);
	}
	/* 29 %: outside 3 sd (3) but within the 10 pp floor. */
	p[1].cpu = 29;
	fill(p, 2, 30, 25);
	TEST_ASSERT_EQ(view_baseline_update(b, &snap), 0);
	TEST_ASSERT_EQ(procs[1].flags & TRACE_SNAPSHOT_F_CPU_BASELINE, 0);
	p[1].cpu = 95;
	p[1].rss_mib = 400;
	fill(p, 2, 100, 98);
	TEST_ASSERT_EQ(view_baseline_update(b, &snap), 0);
	TEST_ASSERT_EQ(procs[1].flags & TRACE_SNAPSHOT_F_CPU_BASELINE, TRACE_SNAPSHOT_F_CPU_BASELINE);
	TEST_ASSERT_EQ(procs[1].flags & TRACE_SNAPSHOT_F_MEM_BASELINE, TRACE_SNAPSHOT_F_MEM_BASELINE);
	TEST_ASSERT_EQ(procs[0].flags, 0);
	/* The VM's own CPU (hypervisor side, 30 -> 100) is flagged too. */
	TEST_ASSERT_EQ(vm.flags & TRACE_SNAPSHOT_F_CPU_BASELINE, TRACE_SNAPSHOT_F_CPU_BASELINE);
	/* A pid reused by another program starts a new history. */
	p[1].comm = "other";
	fill(p, 2, 30, 25);
	TEST_ASSERT_EQ(view_baseline_update(b, &snap), 0);
	TEST_ASSERT_EQ(procs[1].flags & TRACE_SNAPSHOT_F_CPU_BASELINE, 0);
	view_baseline_free(b);
}

static void test_gap(void)
{
	static const struct fake_proc p[] = { { 1, 0, "init", 0, 1, false } };
	struct view_baseline_config c;
	struct view_baseline_state *b;

	view_baseline_config_default(&c);
	TEST_ASSERT_EQ(view_baseline_new(&c, &b), 0);
	fill(p, 1, 90, 40);	/* gap 50 pp: 1st */
	TEST_ASSERT_EQ(view_baseline_update(b, &snap), 0);
	TEST_ASSERT_EQ(vm.flags & TRACE_SNAPSHOT_F_CPU_GAP, 0);
	fill(p, 1, 90, 40);	/* 2nd */
	TEST_ASSERT_EQ(view_baseline_update(b, &snap), 0);
	TEST_ASSERT_EQ(vm.flags & TRACE_SNAPSHOT_F_CPU_GAP, 0);
	fill(p, 1, 90, 40);	/* 3rd in a row: flagged */
	TEST_ASSERT_EQ(view_baseline_update(b, &snap), 0);
	TEST_ASSERT_EQ(vm.flags & TRACE_SNAPSHOT_F_CPU_GAP, TRACE_SNAPSHOT_F_CPU_GAP);
	fill(p, 1, 90, 80);	/* gap 10: cleared */
	TEST_ASSERT_EQ(view_baseline_update(b, &snap), 0);
	TEST_ASSERT_EQ(vm.flags & TRACE_SNAPSHOT_F_CPU_GAP, 0);
	view_baseline_free(b);
}

static void test_flag_names(void)
{
	char buf[64];
	unsigned int f = 0;

	trace_snapshot_flags_string(TRACE_SNAPSHOT_F_NEW_PROCESS | TRACE_SNAPSHOT_F_CPU_GAP, buf, sizeof(buf));
	TEST_ASSERT(!strcmp(buf, "new,gap"), "%s", buf);
	TEST_ASSERT_EQ(trace_snapshot_flags_parse(buf, &f), 0);
	TEST_ASSERT_EQ(f, TRACE_SNAPSHOT_F_NEW_PROCESS | TRACE_SNAPSHOT_F_CPU_GAP);
	TEST_ASSERT_EQ(trace_snapshot_flags_parse("", &f), 0);
	TEST_ASSERT_EQ(f, 0);
	TEST_ASSERT_EQ(trace_snapshot_flags_parse("new,", &f), -EINVAL);
	TEST_ASSERT_EQ(trace_snapshot_flags_parse("bogus", &f), -EINVAL);
	trace_snapshot_flags_string(TRACE_SNAPSHOT_F_ALL, buf, 8);	/* cut, still terminated */
	TEST_ASSERT(strlen(buf) < 8, "cut");
}

static const struct tap_test tests[] = {
	TAP_TEST(series),
	TAP_TEST(uids),
	TAP_TEST(new_process),
	TAP_TEST(uid_flag),
	TAP_TEST(cpu_mem_baseline),
	TAP_TEST(gap),
	TAP_TEST(flag_names),
};

int main(int argc, char **argv)
{
	return tap_main(argc, argv, tests, ARRAY_SIZE(tests), 0);
}
