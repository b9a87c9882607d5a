// SPDX-License-Identifier: GPL-2.0
/* Metrics files: exact round trips, escaping, damaged and foreign input. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tap.h"
#include "trace/metrics_file.h"
#include "vv_fixture.h"

static struct trace_snapshot_vm vms[2];
static struct trace_snapshot_proc procs[3];

static FILE *written(int snapshots)
{
	struct trace_snapshot s;
	FILE *f = tmpfile();
	int i;

	TEST_ASSERT(f, "tmpfile");
	TEST_ASSERT_EQ(trace_metrics_file_write_header(f), 0);
	for (i = 0; i < snapshots; i++) {
		vv_fixture(&s, vms, procs, 50 + i);
		s.seq = (uint64_t)i;
		TEST_ASSERT_EQ(trace_metrics_file_write(f, &s), 0);
	}
	/* A second header call on a non-empty file writes nothing. */
	TEST_ASSERT_EQ(trace_metrics_file_write_header(f), 0);
	rewind(f);
	return f;
}

static void test_escape(void)
{
	char buf[64];

	TEST_ASSERT_EQ(trace_metrics_escape("a b%c,\n\xff", buf, sizeof(buf)), 18);
	TEST_ASSERT(!strcmp(buf, "a%20b%25c%2C%0A%FF"), "%s", buf);
	TEST_ASSERT_EQ(trace_metrics_unescape(buf), 0);
	TEST_ASSERT(!strcmp(buf, "a b%c,\n\xff"), "round trip");
	TEST_ASSERT_EQ(trace_metrics_escape("", buf, sizeof(buf)), 1);
	TEST_ASSERT(!strcmp(buf, "%"), "empty");
	TEST_ASSERT_EQ(trace_metrics_unescape(buf), 0);
	TEST_ASSERT_EQ(buf[0], 0);
	TEST_ASSERT_EQ(trace_metrics_escape("abcdef", buf, 4), -ENOSPC);
	strcpy(buf, "%4");
	TEST_ASSERT_EQ(trace_metrics_unescape(buf), -EINVAL);
	strcpy(buf, "%00");
	TEST_ASSERT_EQ(trace_metrics_unescape(buf), -EINVAL);
	strcpy(buf, "%zz");
	TEST_ASSERT_EQ(trace_metrics_unescape(buf), -EINVAL);
}

static void test_round_trip(void)
{
	struct trace_metrics_series s;
	struct trace_snapshot want;
	FILE *f = written(3);
	const struct trace_snapshot_vm *vm;

	TEST_ASSERT_EQ(trace_metrics_file_read(f, &s), 0);
	fclose(f);
	TEST_ASSERT_EQ(s.nr, 3);
	TEST_ASSERT_EQ(s.bad_lines, 0);
	vv_fixture(&want, vms, procs, 52);
	TEST_ASSERT_EQ(s.snaps[2].seq, 2);
	TEST_ASSERT_EQ(s.snaps[2].real_ns, want.real_ns);
	TEST_ASSERT_EQ(s.snaps[2].nr_vms, 2);
	vm = &s.snaps[2].vms[0];
	TEST_ASSERT(!strcmp(vm->id.name, "web1"), "name");
	TEST_ASSERT(!strcmp(vm->id.uuid, vms[0].id.uuid), "uuid");
	TEST_ASSERT_EQ(vm->id.nr_macs, 2);
	TEST_ASSERT(!strcmp(vm->id.macs[1], "52:54:00:ab:cd:02"), "mac");
	TEST_ASSERT(vm->hv_cpu_pct == 57 && vm->guest_cpu_pct == 53, "cpu");
	TEST_ASSERT(vm->hv_exit_pct == 1.5 && vm->guest_steal_pct == 0.3, "G line: %g %g",
		    vm->hv_exit_pct, vm->guest_steal_pct);
	TEST_ASSERT_EQ(vm->hv_rss_bytes, 200ULL << 20);
	TEST_ASSERT_EQ(vm->guest_mem_used, 80ULL << 20);
	TEST_ASSERT_EQ(vm->flags, TRACE_SNAPSHOT_F_CPU_GAP);
	TEST_ASSERT_EQ(vm->nr_exit_rates, 2);
	TEST_ASSERT(!strcmp(vm->exit_rates[0].name, "npf") && vm->exit_rates[0].per_s == 1000,
		    "exit rate");
	TEST_ASSERT_EQ(vm->nr_procs, 3);
	TEST_ASSERT(!strcmp(vm->procs[2].comm, "spin \"x\"\\\n"), "comm %s", vm->procs[2].comm);
	TEST_ASSERT_EQ(vm->procs[2].uid, 1000);
	TEST_ASSERT_EQ(vm->procs[2].state, 'R');
	TEST_ASSERT(vm->procs[2].guest_cpu_pct == 52 && vm->procs[2].sample_cpu_pct == 50,
		    "proc cpu");
	TEST_ASSERT_EQ(vm->procs[2].flags, TRACE_SNAPSHOT_F_NEW_PROCESS | TRACE_SNAPSHOT_F_UID);
	TEST_ASSERT(vm->procs[1].kthread, "kthread");
	/* The unnamed VM: empty strings survive, unknowns stay unknown. */
	vm = &s.snaps[2].vms[1];
	TEST_ASSERT(!vm->id.name[0] && !vm->id.uuid[0] && !vm->id.nr_macs, "empty");
	TEST_ASSERT(vm->exits_per_s < 0 && !vm->guest_valid, "unknowns");
	TEST_ASSERT(vm->hv_exit_pct < 0 && vm->guest_steal_pct < 0, "unknown G figures");
	TEST_ASSERT(!strcmp(vm->guest_status, "no profile"), "status");
	trace_metrics_series_free(&s);
}

static void test_damage(void)
{
	static const char text[] =
		"vmtrace-metrics 1\n"
		"S 0 1 2 1.0\n"
		"V 1 42 vm1 % % qemu 0 1 10 5 5 9 1 0 100 -1 -1 0 % -1 -1 0 0 0 0 0 0 0 0 1\n"
		"P 1 0 0 S 0 init 1 1 0 0 0 0 0 -1 0 0 0\n"
		"G 1\n"
		"P 2 0 0 S 0 bad-field-count\n"
		"X a future line type\n"
		"P 3 0 0 SS 0 two-letter-state 1 1 0 0 0 0 0 -1 0 0 0\n"
		"P 4 0 0 S 0 flags 1 1 0 0 0 0 0 -1 0 0 999\n"
		"S 1 2 3 1.0\n"
		"V 1 42 vm1 % % qemu 0 1 10 5 5 9 1 0 100 -1 -1 0 % -1 -1 0 0 0 0 0 0 0 0 1\n"
		"G 2.5 7\n"
		"V 2 43 vm2 % % qemu 0 1 10 5 5 9 1 0 100 -1 -1 0 % -1 -1 0 0 0 0 0 0 0 0 1\n"
		"P 5 1 0 R 0 torn 1 1 0";
	struct trace_metrics_series s;
	FILE *f = fmemopen((void *)text, sizeof(text) - 1, "r");

	TEST_ASSERT_EQ(trace_metrics_file_read(f, &s), 0);
	fclose(f);
	TEST_ASSERT_EQ(s.nr, 2);
	TEST_ASSERT_EQ(s.snaps[0].vms[0].nr_procs, 1);
	TEST_ASSERT_EQ(s.snaps[1].vms[0].nr_procs, 0);
	TEST_ASSERT_EQ(s.bad_lines, 5);
	/* A malformed G line leaves its figures unknown; a V line without
	 * one (an older writer's) has them unknown; a good one sets them. */
	TEST_ASSERT(s.snaps[0].vms[0].guest_steal_pct == -1 &&
		    s.snaps[0].vms[0].hv_exit_pct == -1, "bad G");
	TEST_ASSERT(s.snaps[1].vms[0].guest_steal_pct == 2.5 &&
		    s.snaps[1].vms[0].hv_exit_pct == 7, "G");
	TEST_ASSERT(s.snaps[1].vms[1].guest_steal_pct == -1 &&
		    s.snaps[1].vms[1].hv_exit_pct == -1, "no G");
	trace_metrics_series_free(&s);

	f = fmemopen((void *)"hello\n", 6, "r");
	TEST_ASSERT_EQ(trace_metrics_file_read(f, &s), -EMEDIUMTYPE);
	fclose(f);
	f = fmemopen((void *)"vmtrace-metrics 9\n", 18, "r");
	TEST_ASSERT_EQ(trace_metrics_file_read(f, &s), -EPROTONOSUPPORT);
	fclose(f);
}

static const struct tap_test tests[] = {
	TAP_TEST(escape),
	TAP_TEST(round_trip),
	TAP_TEST(damage),
};

int main(int argc, char **argv)
{
	return tap_main(argc, argv, tests, ARRAY_SIZE(tests), 0);
}
