/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One interval's view of the host's VMs, both sides: what the hypervisor
 * sees of each VM from outside (the VMM's CPU and memory from /proc,
 * VM-exits and guest samples from vmtrace.ko) next to what the guest OS
 * accounts from inside (its processes' CPU time and memory, read out of
 * guest memory through the guest's profile), and the flags that a
 * baseline (view/baseline.h) sets on what is notable.
 *
 * top, serve, the metrics files and the VM reports all read this; the
 * live sampler (view/sampler.h) and the metrics file reader fill it.
 *
 * Figures not known are negative (percentages, rates) or 0 with a
 * *_valid flag false: "0 %" and "unknown" must stay different.
 */
#ifndef TRACE_SNAPSHOT_H
#define TRACE_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "trace/trace.h"

#define TRACE_SNAPSHOT_COMM_LEN 32		/* guest comm (Linux: 16), cut */
#define TRACE_SNAPSHOT_MAX_EXIT_REASONS 32	/* per VM and interval; the rest summed */
#define TRACE_SNAPSHOT_EXIT_NAME_LEN 32
#define TRACE_SNAPSHOT_STATUS_LEN 64

/* Flags, on a VM or a process (trace_snapshot_vm.flags, trace_snapshot_proc.flags). */
#define TRACE_SNAPSHOT_F_NEW_PROCESS	0x01	/* a process name not seen on this VM */
#define TRACE_SNAPSHOT_F_UID		0x02	/* a user process of a uid outside the
					 * admin/service allow-list */
#define TRACE_SNAPSHOT_F_CPU_BASELINE	0x04	/* CPU far outside its baseline */
#define TRACE_SNAPSHOT_F_MEM_BASELINE	0x08	/* memory far outside its baseline */
#define TRACE_SNAPSHOT_F_CPU_GAP		0x10	/* VM: hypervisor and guest CPU differ
					 * by more than the allowed gap */
#define TRACE_SNAPSHOT_F_ALL		0x1f

/* Short names for the flags: "new", "uid", "cpu", "mem", "gap". */
const char *trace_snapshot_flag_name(unsigned int flag);
/* The flags as "new,uid" (or "" for none) into @buf. */
void trace_snapshot_flags_string(unsigned int flags, char *buf, size_t len);
/* Parse "new,uid,..." back: 0 or -EINVAL. */
int trace_snapshot_flags_parse(const char *s, unsigned int *flags);

struct trace_snapshot_proc {
	uint32_t pid;			/* guest tgid */
	uint32_t ppid;			/* parent's tgid; 0 unknown */
	uint32_t uid;			/* real uid; UINT32_MAX unknown */
	char state;			/* ps letter; '?' unknown */
	bool kthread;			/* a kernel thread (no mm) */
	char comm[TRACE_SNAPSHOT_COMM_LEN];
	uint32_t nr_threads;
	/* The guest kernel's own accounting, cumulative over its live
	 * threads: task_struct utime/stime (ns). */
	bool acct_valid;
	uint64_t utime_ns, stime_ns;
	/* % of one vCPU over the interval; < 0 unknown (first sight). */
	double guest_cpu_pct, guest_user_pct, guest_sys_pct;
	/* % of one vCPU from vmtrace's guest samples naming this process;
	 * < 0 when the interval had no sampling. */
	double sample_cpu_pct;
	uint64_t rss_bytes;		/* mm counters: file + anon + shmem */
	bool rss_valid;
	unsigned int flags;		/* VV_F_* */
};

struct trace_snapshot_exit_rate {
	uint32_t reason;		/* vendor exit code */
	char name[TRACE_SNAPSHOT_EXIT_NAME_LEN];	/* "hlt", "npf", ...; or the number */
	double per_s;
};

/* Exits of one reason since the sampler first saw the VM. */
struct trace_snapshot_exit_total {
	uint32_t reason;
	char name[TRACE_SNAPSHOT_EXIT_NAME_LEN];
	uint64_t n;
};

struct trace_snapshot_vm {
	/* Identity: vm_id, vmm_pid, comm, name, uuid, macs. */
	struct trace_vm_meta id;
	uint64_t mem_bytes;		/* guest RAM given: memslots, space 0 */

	/* Hypervisor side, % of one host CPU over the interval. */
	bool hv_valid;
	double hv_cpu_pct, hv_user_pct, hv_sys_pct;
	double hv_vcpu_pct;		/* vCPU threads */
	double hv_other_pct;		/* the VMM's other threads */
	double hv_run_delay_pct;	/* vCPU threads runnable, not running */
	uint64_t hv_rss_bytes;		/* the VMM's resident memory */
	/* From the module's records; < 0 without a session. */
	double exits_per_s;
	/* Exits' handling time, from each exit to its vCPU's next entry
	 * (what `perf kvm stat` times), halts excluded (a halted vCPU
	 * sleeps, it does not use the CPU), summed over the vCPUs: % of one
	 * host CPU; < 0 unknown. */
	double hv_exit_pct;
	double samples_per_s;		/* guest samples */
	size_t nr_exit_rates;		/* sorted by per_s, highest first */
	struct trace_snapshot_exit_rate exit_rates[TRACE_SNAPSHOT_MAX_EXIT_REASONS];

	/* Guest side. */
	bool guest_valid;		/* processes could be read */
	char guest_status[TRACE_SNAPSHOT_STATUS_LEN];	/* "ok" or why not */
	double guest_cpu_pct;		/* every task's utime+stime; < 0 unknown */
	double guest_kernel_pct;	/* stime of all + kernel threads' time */
	/* The guest's own steal time (its vCPUs runnable on the host, not
	 * running, as the hypervisor told it: KVM steal time), summed over
	 * its CPUs, % of one CPU; < 0 unknown. */
	double guest_steal_pct;
	uint64_t guest_mem_total;	/* totalram, bytes; 0 unknown */
	uint64_t guest_mem_free;	/* free pages, bytes */
	uint64_t guest_mem_used;	/* total - free */
	uint64_t guest_rss_bytes;	/* its processes' resident memory, summed */

	/* hv_cpu_pct - guest_cpu_pct: hypervisor overhead and what the
	 * guest did not account; only with both sides known. */
	bool gap_valid;
	double cpu_gap_pct;

	/*
	 * Running totals, for counters (Prometheus): never stored in metrics
	 * files (a file read back has them all unset).
	 */
	bool hv_totals_valid;
	uint64_t hv_cpu_ns;		/* the VMM process: utime + stime */
	bool hv_vcpu_totals_valid;	/* vCPU threads known */
	uint64_t hv_vcpu_ns;		/* vCPU threads' run time */
	uint64_t hv_run_delay_ns;	/* vCPU threads' runnable waits */
	bool exit_totals_valid;		/* a session counts exits */
	uint64_t exits_total;		/* since the sampler first saw it */
	uint64_t exit_handling_ns;	/* handling time of those, halts out */
	size_t nr_exit_totals;
	struct trace_snapshot_exit_total exit_totals[TRACE_SNAPSHOT_MAX_EXIT_REASONS];
	bool guest_totals_valid;
	uint64_t guest_busy_ns;		/* guest CPUs' user+nice+system+irq+softirq */
	uint64_t guest_steal_ns;	/* guest CPUs' steal */

	unsigned int flags;		/* VV_F_* of the VM itself */
	unsigned int proc_flags;	/* every process's flags ORed */
	size_t nr_procs;
	struct trace_snapshot_proc *procs;		/* by pid */
};

struct trace_snapshot {
	uint64_t seq;			/* 0, 1, 2, ... per sampler */
	uint64_t mono_ns, real_ns;	/* end of the interval */
	double interval_s;		/* 0: the first snapshot (no rates) */
	size_t nr_vms;
	struct trace_snapshot_vm *vms;		/* by vm_id */
};

void trace_snapshot_free(struct trace_snapshot *s);
/* Deep copy: 0 or -ENOMEM. */
int trace_snapshot_copy(struct trace_snapshot *dst, const struct trace_snapshot *src);

/*
 * What explains a VM's gap between hypervisor and guest CPU (gap = hv -
 * guest, % of one CPU), from the figures beside it:
 *
 *   none           |gap| within TRACE_SNAPSHOT_GAP_TOLERANCE_PP
 *   contention     the guest accounted more than the VMM got, and its
 *                  vCPU threads' CPU plus their run-queue wait covers the
 *                  guest's figure: the guest's clock ran on while its
 *                  vCPUs waited for a host CPU.  The wait is the host's
 *                  (schedstat), else the guest's own steal time (the same
 *                  wait, as KVM tells it to the guest)
 *   vmm-threads    the VMM used more than the guest accounted, mostly in
 *                  threads other than the vCPUs' (I/O, device emulation)
 *   vcpu-overhead  more than the guest accounted, mostly on the vCPU
 *                  threads themselves (exit handling, halt polling); with
 *                  the vCPU threads' CPU unknown, when the exits' handling
 *                  time covers the gap
 *   unexplained    a gap none of these figures covers
 *   -              a figure is unknown
 */
enum trace_snapshot_gap_cause {
	TRACE_SNAPSHOT_GAP_UNKNOWN,
	TRACE_SNAPSHOT_GAP_NONE,
	TRACE_SNAPSHOT_GAP_CONTENTION,
	TRACE_SNAPSHOT_GAP_VMM_THREADS,
	TRACE_SNAPSHOT_GAP_VCPU_OVERHEAD,
	TRACE_SNAPSHOT_GAP_UNEXPLAINED,
};
#define TRACE_SNAPSHOT_GAP_TOLERANCE_PP 10.0
/* % of one CPU each; < 0 (or NaN) when unknown. */
struct trace_snapshot_gap_figures {
	double hv_cpu;			/* the VMM's CPU */
	double hv_vcpu;			/* its vCPU threads' */
	double run_delay;		/* their run-queue wait */
	double exit_handling;		/* exits' handling time, no halts */
	double guest_cpu;		/* what the guest accounted */
	double guest_steal;		/* the guest's steal time */
};
enum trace_snapshot_gap_cause trace_snapshot_gap_cause(const struct trace_snapshot_gap_figures *f);
const char *trace_snapshot_gap_cause_name(enum trace_snapshot_gap_cause c);
/* The same for one snapshot's VM. */
enum trace_snapshot_gap_cause trace_snapshot_vm_gap_cause(const struct trace_snapshot_vm *vm);

/* A label for the VM: its name, else its UUID, else "pid N". */
const char *trace_snapshot_vm_label(const struct trace_snapshot_vm *vm, char *buf, size_t len);

/*
 * Does @vm match @key?  A key is a VM name, a UUID, a MAC address (case
 * insensitive), a VMM pid ("1234" or "pid:1234") or a vm id ("id:3").
 */
bool trace_snapshot_vm_matches(const struct trace_snapshot_vm *vm, const char *key);

/* The process with guest pid @pid in @vm, or NULL. */
struct trace_snapshot_proc *trace_snapshot_find_proc(const struct trace_snapshot_vm *vm, uint32_t pid);

#endif
