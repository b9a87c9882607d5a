/* SPDX-License-Identifier: GPL-2.0 */
/* A fixed two-VM snapshot for the vmview unit tests. */
#ifndef VV_FIXTURE_H
#define VV_FIXTURE_H

#include <string.h>
#include "trace/snapshot.h"

/* VM "web1" (pid 4242) with three processes, and a VM with no name whose
 * guest side is unknown.  @cpu_busy: the CPU % of process "spin". */
static inline void vv_fixture(struct trace_snapshot *s, struct trace_snapshot_vm vms[2],
			      struct trace_snapshot_proc procs[3], double cpu_busy)
{
	memset(s, 0, sizeof(*s));
	memset(vms, 0, 2 * sizeof(vms[0]));
	memset(procs, 0, 3 * sizeof(procs[0]));
	s->seq = 7;
	s->interval_s = 1;
	s->real_ns = 1700000000123000000ULL;
	s->mono_ns = 5000000000ULL;
	s->vms = vms;
	s->nr_vms = 2;

	vms[0].id.vm_id = 1;
	vms[0].id.vmm_pid = 4242;
	strcpy(vms[0].id.name, "web1");
	strcpy(vms[0].id.uuid, "6f1c3e0a-2b1d-4c7e-9a55-0d5b8e1f2a3c");
	vms[0].id.nr_macs = 2;
	strcpy(vms[0].id.macs[0], "52:54:00:ab:cd:01");
	strcpy(vms[0].id.macs[1], "52:54:00:ab:cd:02");
	vms[0].mem_bytes = 256ULL << 20;
	vms[0].hv_valid = true;
	vms[0].hv_cpu_pct = cpu_busy + 5;
	vms[0].hv_user_pct = 1;
	vms[0].hv_sys_pct = cpu_busy + 4;
	vms[0].hv_vcpu_pct = cpu_busy + 3;
	vms[0].hv_other_pct = 2;
	vms[0].hv_run_delay_pct = 0.5;
	vms[0].hv_exit_pct = 1.5;
	vms[0].hv_rss_bytes = 200ULL << 20;
	vms[0].exits_per_s = 1500;
	vms[0].samples_per_s = 100;
	vms[0].nr_exit_rates = 2;
	vms[0].exit_rates[0] = (struct trace_snapshot_exit_rate){ 0x400, "npf", 1000 };
	vms[0].exit_rates[1] = (struct trace_snapshot_exit_rate){ 0x78, "hlt", 500 };
	vms[0].guest_valid = true;
	strcpy(vms[0].guest_status, "ok");
	vms[0].guest_cpu_pct = cpu_busy + 1;
	vms[0].guest_kernel_pct = 1;
	vms[0].guest_steal_pct = 0.3;
	vms[0].guest_mem_total = 230ULL << 20;
	vms[0].guest_mem_free = 150ULL << 20;
	vms[0].guest_mem_used = 80ULL << 20;
	vms[0].gap_valid = true;
	vms[0].cpu_gap_pct = 4;
	/* Totals (live only: metrics files do not keep them). */
	vms[0].hv_totals_valid = vms[0].hv_vcpu_totals_valid = true;
	vms[0].hv_cpu_ns = 123456789012ULL;		/* 123.456789012 s */
	vms[0].hv_vcpu_ns = 120000000000ULL;
	vms[0].hv_run_delay_ns = 500000000ULL;
	vms[0].exit_totals_valid = true;
	vms[0].exits_total = 1500000;
	vms[0].exit_handling_ns = 2250000000ULL;
	vms[0].nr_exit_totals = 2;
	vms[0].exit_totals[0] = (struct trace_snapshot_exit_total){ 0x400, "npf", 1000000 };
	vms[0].exit_totals[1] = (struct trace_snapshot_exit_total){ 0x78, "hlt", 500000 };
	vms[0].guest_totals_valid = true;
	vms[0].guest_busy_ns = 110000000000ULL;
	vms[0].guest_steal_ns = 300000000ULL;
	vms[0].flags = TRACE_SNAPSHOT_F_CPU_GAP;
	vms[0].proc_flags = TRACE_SNAPSHOT_F_NEW_PROCESS | TRACE_SNAPSHOT_F_UID;
	vms[0].procs = procs;
	vms[0].nr_procs = 3;

	procs[0] = (struct trace_snapshot_proc){ .pid = 1, .ppid = 0, .uid = 0, .state = 'S',
		.comm = "init", .nr_threads = 1, .acct_valid = true,
		.guest_cpu_pct = 0, .sample_cpu_pct = 0, .rss_bytes = 1 << 20,
		.rss_valid = true };
	procs[1] = (struct trace_snapshot_proc){ .pid = 2, .ppid = 0, .uid = 0, .state = 'S',
		.kthread = true, .comm = "kthreadd", .nr_threads = 1, .acct_valid = true,
		.guest_cpu_pct = 0, .sample_cpu_pct = -1 };
	procs[2] = (struct trace_snapshot_proc){ .pid = 77, .ppid = 1, .uid = 1000, .state = 'R',
		.comm = "spin \"x\"\\\n", .nr_threads = 1, .acct_valid = true,
		.guest_cpu_pct = cpu_busy, .guest_user_pct = cpu_busy,
		.utime_ns = 90000000000ULL, .stime_ns = 1500000000ULL,
		.sample_cpu_pct = cpu_busy - 2, .rss_bytes = 3 << 20, .rss_valid = true,
		.flags = TRACE_SNAPSHOT_F_NEW_PROCESS | TRACE_SNAPSHOT_F_UID };

	vms[1].id.vm_id = 2;
	vms[1].id.vmm_pid = 5000;
	vms[1].hv_valid = true;
	vms[1].hv_cpu_pct = 3;
	vms[1].hv_rss_bytes = 64ULL << 20;
	vms[1].hv_totals_valid = true;
	vms[1].hv_cpu_ns = 7000000000ULL;
	/* A VMM whose vCPU threads were not found (unnamed threads). */
	vms[1].hv_vcpu_pct = vms[1].hv_run_delay_pct = -1;
	vms[1].exits_per_s = vms[1].hv_exit_pct = -1;
	vms[1].guest_steal_pct = -1;
	vms[1].samples_per_s = -1;
	vms[1].guest_cpu_pct = -1;
	strcpy(vms[1].guest_status, "no profile");
}

#endif
