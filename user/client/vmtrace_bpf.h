/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the BPF programs (vmtrace.bpf.c) and their loader (bpf.c) share:
 * the per-CPU counters, a VM's entry, the clock mapping.  Fixed-width
 * types only, the same layout in both compilations.
 */
#ifndef VMT_BPF_SHARED_H
#define VMT_BPF_SHARED_H

#include <linux/types.h>
#include <linux/vmtrace.h>

/*
 * One CPU's figures, written only by the programs running on that CPU
 * (atomically: a VM_GONE program runs preemptible and may share the CPU
 * with an exit's).  produced counts every event offered, LOST markers
 * aside; lost[] the events dropped, per cause; pending[] those not yet
 * told by a LOST marker, which the next record that fits carries.
 * drained is the loader's, counted as it reads.
 */
struct client_bpf_cpu {
	__u64 produced;
	__u64 lost[__VMTRACE_LOST_MAX];
	__u64 pending[__VMTRACE_LOST_MAX];
	__u64 host_samples;		/* samples of host code */
	/* The last guest entry on this CPU (kvm_entry), for entry_delta. */
	__u64 entry_vcpu;
	__u64 entry_kvm;
	__u64 entry_tsc;
};

/* A VM, by its struct kvm's address, from its first exit seen on. */
struct client_bpf_vm {
	__u32 id;
	__u32 pid;			/* the VMM's tgid */
	__u32 state_ok;			/* the VMCB check passed */
	__u32 pad;
};

/*
 * BPF has no TSC on these kernels (6.1, 6.12): the programs read
 * CLOCK_MONOTONIC (bpf_ktime_get_ns()) and map it onto the host TSC with
 * the loader's latest (ns, tsc) pair and rate:
 *     tsc = tsc0 + (ns - ns0) * (rate_int + rate_frac / 2^32)
 * Two slots: the loader writes the one not in use, then flips seq.
 */
struct client_bpf_clock {
	__u64 ns, tsc;
	__u64 rate_int;			/* TSC cycles per ns, integer part */
	__u64 rate_frac;		/* and fraction, in 2^-32 */
};

#define VMT_BPF_NO_VM_ID 0

#endif /* VMT_BPF_SHARED_H */
