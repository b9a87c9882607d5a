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

/*
 * A VM, by its struct kvm's address, from its first exit seen on, or from
 * the VM iterator's first sight of it (then its VMCB is checked at its
 * first exit: checked 0 until then).
 */
struct client_bpf_vm {
	__u32 id;
	__u32 pid;			/* the VMM's tgid */
	__u32 state_ok;			/* the VMCB check passed */
	__u32 checked;			/* state_ok is known */
};

/*
 * What the VM iterator (vmt_vms_iter, a task_file iterator) writes for
 * each open KVM VM file: this header, then nr_slots struct
 * client_bpf_slot, of every address space.  KVM changes its memslots
 * under its SRCU lock, which BPF cannot take: the walk reads the table's
 * generation before and after, and says STALE when they differ (or a
 * change was in progress), for the loader to read again.
 */
#define VMT_BPF_SLOTS_MAX	512	/* KVM's 509 user slots and a few */
#define VMT_BPF_SLOT_CHAIN_MAX	32	/* memslots per hash bucket walked */

enum {
	VMT_BPF_DESC_F_STALE	 = 1 << 0,	/* memslots changed during the walk */
	VMT_BPF_DESC_F_TRUNCATED = 1 << 1,	/* more memslots than were read */
	VMT_BPF_DESC_F_NO_SLOTS	 = 1 << 2,	/* this kernel's memslot layout is unknown */
	VMT_BPF_DESC_F_NO_ID	 = 1 << 3,	/* the VM table is full: no id */
};

struct client_bpf_slot {
	__u64 gpa, size, hva;
	__u32 id;			/* address space << 16 | slot id, as the module's */
	__u32 flags;			/* KVM_MEM_* */
};

struct client_bpf_vm_desc {
	__u64 kvm;			/* the struct kvm's address: the vms key */
	__u32 id, pid, nr_vcpus, nr_slots;
	__u32 flags;			/* VMT_BPF_DESC_F_* */
	__u32 state_ok;			/* the VMCB check passed (if checked) */
};

/*
 * SET_TASK_SLOT, as the module's (client_set_task_slot()): where vCPU
 * @vcpu of the VM at @kvm keeps its current-task word in the VMM, for
 * records taken with kernel GS base @gs_base; and per VM, the direct map
 * and the largest RAM memslots for a sample's task's pid.
 */
#define VMT_BPF_TID_RANGES 8		/* as the module's VMT_TID_RANGES */

struct client_bpf_slot_key {
	__u64 kvm;
	__u32 vcpu;
	__u32 pad;
};

struct client_bpf_task_slot {
	__u64 gs_base, hva;
};

struct client_bpf_tid_map {
	__u64 direct_map;
	__u32 pid_offset, nr_ranges;
	struct {
		__u64 gpa, size, hva;
	} range[VMT_BPF_TID_RANGES];
};

/* The iterator's buffer: one VM's description, written at once. */
struct client_bpf_vm_buf {
	struct client_bpf_vm_desc desc;
	struct client_bpf_slot slots[VMT_BPF_SLOTS_MAX];
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
