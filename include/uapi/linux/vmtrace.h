/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * vmtrace: host-side tracing of KVM guests.
 *
 * This is the one interface between vmtrace.ko and its collector.  It is a
 * generic netlink family, VMTRACE_GENL_NAME, version VMTRACE_GENL_VERSION.
 * Every command requires CAP_SYS_ADMIN (GENL_ADMIN_PERM).  Attributes are
 * validated strictly: an unknown, mistyped or out-of-range attribute fails
 * the whole message with -EINVAL and an extended-ack message, and changes
 * nothing.
 *
 * VMTRACE_CMD_GET_STATUS
 * ----------------------
 *   Request: no attributes.
 *   Reply (one small message, whatever the number of CPUs):
 *     VMTRACE_A_VERSION: NLA_NUL_STRING, the module version
 *     VMTRACE_A_FORMAT_VERSION: NLA_U32, VMTRACE_FORMAT_VERSION
 *     VMTRACE_A_NR_CPUS: NLA_U32, number of possible CPUs
 *     VMTRACE_A_STATE: NLA_U32, enum vmtrace_state
 *     VMTRACE_A_SAMPLE_SOURCE: NLA_U32, enum vmtrace_sample_source
 *     VMTRACE_A_TSC_KHZ: NLA_U32, host TSC frequency in kHz
 *     VMTRACE_A_RING_CAP: NLA_U64, bytes of ring memory a session may take
 *                         over all its CPUs (module parameter max_ring_mb,
 *                         by default 1/16 of RAM); START refuses more with
 *                         -ENOSPC
 *     VMTRACE_A_CONFIG: NLA_NESTED, the running configuration, as START
 *                       takes it (present unless state is IDLE)
 *     VMTRACE_A_TOTALS: NLA_NESTED, the per-CPU counters of GET_CPUS
 *                       summed over all possible CPUs (all but
 *                       VMTRACE_CPU_A_CPU and VMTRACE_CPU_A_RING_BYTES;
 *                       present unless state is IDLE)
 *
 * VMTRACE_CMD_GET_CPUS (dump)
 * ---------------------------
 *   Request: no attributes.  -ENOENT if there is no session.  Every
 *   possible CPU once, in ascending order, several per message:
 *     VMTRACE_A_CPUS: NLA_NESTED
 *       0: NLA_NESTED (one per CPU; the type is ignored)
 *         VMTRACE_CPU_A_CPU: NLA_U32
 *         VMTRACE_CPU_A_PRODUCED: NLA_U64, records offered to the ring
 *                                 (all kinds but the ring's own LOST)
 *         VMTRACE_CPU_A_DRAINED: NLA_U64, of those, read by READ
 *         VMTRACE_CPU_A_LOST: NLA_NESTED, one NLA_U64 per enum
 *                             vmtrace_lost_cause, attribute type = cause
 *         VMTRACE_CPU_A_HOST_SAMPLES: NLA_U64, samples of host code
 *         VMTRACE_CPU_A_QUEUED: NLA_U64, records in the ring right now
 *                               (LOST markers included)
 *         VMTRACE_CPU_A_COST_CYCLES: NLA_U64, with VMTRACE_CFG_F_COST: host
 *                                    TSC cycles spent in vmtrace's probes
 *                                    and sampling handlers
 *         VMTRACE_CPU_A_COST_EVENTS: NLA_U64, the events those cycles made
 *         VMTRACE_CPU_A_RING_BYTES: NLA_U32, the CPU's ring memory; 0 if
 *                                   it has no ring (it was not online
 *                                   during the session, or came online
 *                                   with the ring memory cap reached)
 *   For every CPU, once drained: PRODUCED == DRAINED + sum(LOST).  The
 *   figures of one CPU are read together; different CPUs (and TOTALS)
 *   are read at different times while the session runs.  If the session
 *   ends or is replaced during the dump, the dump ends early and its last
 *   message carries NLM_F_DUMP_INTR: ask again.
 *
 * VMTRACE_CMD_START
 * -----------------
 *   Request:
 *     VMTRACE_A_CONFIG: NLA_NESTED (optional; every member optional)
 *       VMTRACE_CFG_A_RING_SIZE: NLA_U32, bytes per CPU, a power of two in
 *                                [VMTRACE_RING_SIZE_MIN, VMTRACE_RING_SIZE_MAX]
 *       VMTRACE_CFG_A_SAMPLE_HZ: NLA_U32, 0 (off) or up to
 *                                VMTRACE_SAMPLE_HZ_MAX per CPU
 *       VMTRACE_CFG_A_SAMPLE_SOURCE: NLA_U32, enum vmtrace_sample_source
 *       VMTRACE_CFG_A_FLAGS: NLA_U32, VMTRACE_CFG_F_* bits
 *       VMTRACE_CFG_A_EXIT_FILTER: NLA_BINARY, an array of __u32 exit codes
 *                                  (vendor codes); empty or absent: all
 *       VMTRACE_CFG_A_VM_PIDS: NLA_BINARY, an array of __u32 VMM pids
 *                              (tgids); empty or absent: all VMs
 *   Starts a session owned by the caller's netlink socket.  -EBUSY if a
 *   session is running.  A stopped session's records are discarded.
 *
 * VMTRACE_CMD_STOP
 * ----------------
 *   Request: no attributes.  Stops producers; the rings stay readable by
 *   READ until the next START or until the owner's socket closes.
 *   -ENOENT if there is no session, -EPERM from a socket that is not the
 *   owner.
 *
 * VMTRACE_CMD_READ (dump)
 * -----------------------
 *   Request: no attributes.  Owner socket only.  Drains whole records:
 *   each message holds VMTRACE_A_CPU (NLA_U32) and VMTRACE_A_RECORDS
 *   (NLA_BINARY, an array of struct vmtrace_record).  The dump ends when
 *   every ring was found empty once.
 *
 * VMTRACE_CMD_GET_VMS (dump)
 * --------------------------
 *   Request: no attributes.  One message per VM seen since the module
 *   was loaded and still alive:
 *     VMTRACE_A_VM: NLA_NESTED
 *       VMTRACE_VM_A_ID: NLA_U32
 *       VMTRACE_VM_A_PID: NLA_U32, the VMM's tgid
 *       VMTRACE_VM_A_NR_VCPUS: NLA_U32
 *       VMTRACE_VM_A_VENDOR: NLA_U32, enum vmtrace_vendor
 *       VMTRACE_VM_A_FLAGS: NLA_U32, VMTRACE_VM_F_* bits
 *       VMTRACE_VM_A_MEMSLOTS: NLA_NESTED
 *         0: NLA_NESTED (one per memslot; the type is ignored)
 *           VMTRACE_SLOT_A_ID: NLA_U32 (address space << 16 | slot id)
 *           VMTRACE_SLOT_A_GPA: NLA_U64, guest-physical base
 *           VMTRACE_SLOT_A_SIZE: NLA_U64, bytes
 *           VMTRACE_SLOT_A_HVA: NLA_U64, VMM host-virtual base
 *           VMTRACE_SLOT_A_FLAGS: NLA_U32, KVM_MEM_* flags
 *
 * VMTRACE_CMD_SET_TASK_SLOT
 * -------------------------
 *   Request:
 *     VMTRACE_A_TASK_SLOT: NLA_NESTED
 *       VMTRACE_TSLOT_A_VM_ID: NLA_U32, a VM of GET_VMS
 *       VMTRACE_TSLOT_A_VCPU: NLA_U32, its vCPU index (< its vCPUs)
 *       VMTRACE_TSLOT_A_GS_BASE: NLA_U64, the guest kernel's GS base (its
 *                                per-CPU area) the slot belongs to
 *       VMTRACE_TSLOT_A_HVA: NLA_U64, where the guest's current-task word
 *                            of that per-CPU area is in the VMM's address
 *                            space (8-byte aligned); 0 forgets the slot
 *       VMTRACE_TSLOT_A_DIRECT_MAP: NLA_U64 (optional, with PID_OFFSET),
 *                            the guest's direct-map base: guest-virtual
 *                            DIRECT_MAP + x is guest-physical x
 *       VMTRACE_TSLOT_A_PID_OFFSET: NLA_U32 (optional), the offset of
 *                            task_struct.pid in the guest kernel
 *   Owner socket of a running session only (-EPERM otherwise, -ENOENT
 *   without a session or for a VM not tracked).  From then on, each EXIT
 *   and SAMPLE record of that vCPU whose kernel GS base equals GS_BASE
 *   carries the 8 bytes at HVA, read as the record is taken, in place of
 *   the GS base (VMTRACE_REC_F_TASK); a read that would fault is not
 *   retried (VMTRACE_REC_F_TASK_FAULT).  With DIRECT_MAP and PID_OFFSET,
 *   each SAMPLE record with the task also carries that task's pid (the
 *   thread id), read at the same moment through the direct map and the
 *   VM's RAM memslots as they were at this request (VMTRACE_REC_F_TID):
 *   a task_struct that a new thread takes over later cannot make the
 *   sample name the newcomer.  The module reads the VMM's memory
 *   only from that VM's own vCPU threads, only these 8 bytes, never
 *   faulting a page in.  Slots are forgotten when the session ends or the
 *   VM is destroyed; one slot per vCPU, the last one set counts.
 */
#ifndef _UAPI_LINUX_VMTRACE_H
#define _UAPI_LINUX_VMTRACE_H

#include <linux/types.h>

#define VMTRACE_GENL_NAME "vmtrace"
#define VMTRACE_GENL_VERSION 2

/* Version of struct vmtrace_record and of the meaning of its fields. */
#define VMTRACE_FORMAT_VERSION 2	/* 2: VMTRACE_REC_F_TASK, _TASK_FAULT,
					 * _TID */

#define VMTRACE_RING_SIZE_MIN (4U << 10)
#define VMTRACE_RING_SIZE_MAX (256U << 20)
#define VMTRACE_RING_SIZE_DEFAULT (2U << 20)
#define VMTRACE_SAMPLE_HZ_MAX 100000U
#define VMTRACE_SAMPLE_HZ_DEFAULT 0U
#define VMTRACE_FILTER_MAX 256U

enum vmtrace_cmd {
	VMTRACE_CMD_UNSPEC,
	VMTRACE_CMD_GET_STATUS,
	VMTRACE_CMD_START,
	VMTRACE_CMD_STOP,
	VMTRACE_CMD_READ,
	VMTRACE_CMD_GET_VMS,
	VMTRACE_CMD_GET_CPUS,
	VMTRACE_CMD_SET_TASK_SLOT,
	__VMTRACE_CMD_MAX
};
#define VMTRACE_CMD_MAX (__VMTRACE_CMD_MAX - 1)

enum vmtrace_attr {
	VMTRACE_A_UNSPEC,
	VMTRACE_A_VERSION,
	VMTRACE_A_FORMAT_VERSION,
	VMTRACE_A_NR_CPUS,
	VMTRACE_A_STATE,
	VMTRACE_A_SAMPLE_SOURCE,
	VMTRACE_A_TSC_KHZ,
	VMTRACE_A_CONFIG,
	VMTRACE_A_CPUS,
	VMTRACE_A_CPU,
	VMTRACE_A_RECORDS,
	VMTRACE_A_VM,
	VMTRACE_A_PAD,
	VMTRACE_A_TOTALS,
	VMTRACE_A_RING_CAP,
	VMTRACE_A_TASK_SLOT,
	__VMTRACE_A_LAST
};
#define VMTRACE_A_MAX (__VMTRACE_A_LAST - 1)

enum vmtrace_cfg_attr {
	VMTRACE_CFG_A_UNSPEC,
	VMTRACE_CFG_A_RING_SIZE,
	VMTRACE_CFG_A_SAMPLE_HZ,
	VMTRACE_CFG_A_SAMPLE_SOURCE,
	VMTRACE_CFG_A_FLAGS,
	VMTRACE_CFG_A_EXIT_FILTER,
	VMTRACE_CFG_A_VM_PIDS,
	__VMTRACE_CFG_A_LAST
};
#define VMTRACE_CFG_A_MAX (__VMTRACE_CFG_A_LAST - 1)

/* VMTRACE_CFG_A_FLAGS */
#define VMTRACE_CFG_F_NO_EXITS (1U << 0)     /* do not record VM-exits */
#define VMTRACE_CFG_F_HOST_SAMPLES (1U << 1) /* record samples of host code */
#define VMTRACE_CFG_F_COST (1U << 2)	      /* measure the probes' own cost */
#define VMTRACE_CFG_F_SAMPLE_ISOLATED (1U << 3) /* sample nohz_full= and
						 * isolcpus= CPUs too */
#define VMTRACE_CFG_F_ALL (VMTRACE_CFG_F_NO_EXITS | VMTRACE_CFG_F_HOST_SAMPLES | \
			   VMTRACE_CFG_F_COST | VMTRACE_CFG_F_SAMPLE_ISOLATED)

enum vmtrace_cpu_attr {
	VMTRACE_CPU_A_UNSPEC,
	VMTRACE_CPU_A_CPU,
	VMTRACE_CPU_A_PRODUCED,
	VMTRACE_CPU_A_DRAINED,
	VMTRACE_CPU_A_LOST,
	VMTRACE_CPU_A_HOST_SAMPLES,
	VMTRACE_CPU_A_QUEUED,
	VMTRACE_CPU_A_COST_CYCLES,
	VMTRACE_CPU_A_COST_EVENTS,
	VMTRACE_CPU_A_PAD,
	VMTRACE_CPU_A_RING_BYTES,
	__VMTRACE_CPU_A_LAST
};
#define VMTRACE_CPU_A_MAX (__VMTRACE_CPU_A_LAST - 1)

enum vmtrace_vm_attr {
	VMTRACE_VM_A_UNSPEC,
	VMTRACE_VM_A_ID,
	VMTRACE_VM_A_PID,
	VMTRACE_VM_A_NR_VCPUS,
	VMTRACE_VM_A_VENDOR,
	VMTRACE_VM_A_FLAGS,
	VMTRACE_VM_A_MEMSLOTS,
	__VMTRACE_VM_A_LAST
};
#define VMTRACE_VM_A_MAX (__VMTRACE_VM_A_LAST - 1)

/* VMTRACE_VM_A_FLAGS */
#define VMTRACE_VM_F_STATE_PROTECTED (1U << 0) /* SEV-ES/SNP: no RIP/CR3 */
#define VMTRACE_VM_F_NO_STATE (1U << 1)	/* the vendor layout check failed
					 * for this VM, or (VMX) the host's
					 * KVM may use Hyper-V's enlightened
					 * VMCS: its records carry no guest
					 * state (NO_STATE) */

enum vmtrace_slot_attr {
	VMTRACE_SLOT_A_UNSPEC,
	VMTRACE_SLOT_A_ID,
	VMTRACE_SLOT_A_GPA,
	VMTRACE_SLOT_A_SIZE,
	VMTRACE_SLOT_A_HVA,
	VMTRACE_SLOT_A_FLAGS,
	VMTRACE_SLOT_A_PAD,
	__VMTRACE_SLOT_A_LAST
};
#define VMTRACE_SLOT_A_MAX (__VMTRACE_SLOT_A_LAST - 1)

enum vmtrace_tslot_attr {
	VMTRACE_TSLOT_A_UNSPEC,
	VMTRACE_TSLOT_A_VM_ID,
	VMTRACE_TSLOT_A_VCPU,
	VMTRACE_TSLOT_A_GS_BASE,
	VMTRACE_TSLOT_A_HVA,
	VMTRACE_TSLOT_A_PAD,
	VMTRACE_TSLOT_A_DIRECT_MAP,
	VMTRACE_TSLOT_A_PID_OFFSET,
	__VMTRACE_TSLOT_A_LAST
};
#define VMTRACE_TSLOT_A_MAX (__VMTRACE_TSLOT_A_LAST - 1)

enum vmtrace_state {
	VMTRACE_STATE_IDLE,	/* no session */
	VMTRACE_STATE_RUNNING,	/* producers on */
	VMTRACE_STATE_STOPPED,	/* producers off, rings readable */
};

enum vmtrace_sample_source {
	VMTRACE_SAMPLE_AUTO,	/* PMU cycles if the host has them, else timer */
	VMTRACE_SAMPLE_PMU,	/* PMU cycles counter overflow (NMI) */
	VMTRACE_SAMPLE_TIMER,	/* per-CPU hrtimer (hard IRQ) */
	__VMTRACE_SAMPLE_LAST
};

enum vmtrace_vendor {
	VMTRACE_VENDOR_UNKNOWN,
	VMTRACE_VENDOR_SVM,	/* exit_reason is an SVM_EXIT_* code */
	VMTRACE_VENDOR_VMX,	/* exit_reason is a VMX basic exit reason */
};

enum vmtrace_kind {
	VMTRACE_KIND_EXIT = 1,	/* a VM-exit */
	VMTRACE_KIND_SAMPLE,	/* a sampling interrupt */
	VMTRACE_KIND_LOST,	/* records were lost on this CPU before this */
	VMTRACE_KIND_VM_NEW,	/* a VM was seen for the first time */
	VMTRACE_KIND_VM_GONE,	/* a VM was destroyed */
};

/* Why records were lost.  Counted per CPU and carried by LOST markers. */
enum vmtrace_lost_cause {
	VMTRACE_LOST_RING_FULL,	/* the reader fell behind */
	VMTRACE_LOST_NESTED,	/* an NMI/IRQ hit a write in progress */
	VMTRACE_LOST_VM_TABLE,	/* the VM could not be tracked (table full,
				 * or first seen in NMI context) */
	__VMTRACE_LOST_MAX
};

/* vmtrace_record.mode: where the guest was */
#define VMTRACE_MODE_CPL_MASK 0x03	/* guest CPL, 0 = kernel */
#define VMTRACE_MODE_USER 0x04		/* CPL 3 */
#define VMTRACE_MODE_LONG 0x08		/* EFER.LMA */
#define VMTRACE_MODE_LA57 0x10		/* CR4.LA57: 5-level paging */
#define VMTRACE_MODE_PAE 0x20		/* CR4.PAE */
#define VMTRACE_MODE_PAGING 0x40	/* CR0.PG */
#define VMTRACE_MODE_NESTED 0x80	/* the vCPU ran a nested (L2) guest */

/* vmtrace_record.flags */
#define VMTRACE_REC_F_NO_STATE 0x01	/* rip/cr3/gs_base/mode unknown (and
					 * zero): SEV-ES/SNP state is
					 * protected, the vendor layout
					 * check failed, or no VMCS was
					 * current; exit_reason is
					 * VMTRACE_EXIT_REASON_UNKNOWN if
					 * it could not be read either */
#define VMTRACE_REC_F_GS_USER 0x02	/* CPL 3: gs_base is MSR_KERNEL_GS_BASE
					 * (the swapped-out kernel base) */
#define VMTRACE_REC_F_HOST 0x04		/* a sample of host code */
#define VMTRACE_REC_F_TASK 0x08		/* guest_task, not gs_base: the
					 * guest's current task, read at the
					 * record's moment from the slot
					 * set for this vCPU and GS base
					 * (VMTRACE_CMD_SET_TASK_SLOT) */
#define VMTRACE_REC_F_TASK_FAULT 0x10	/* a slot was set and the GS base
					 * matched, but reading it would
					 * have faulted: gs_base as usual */
#define VMTRACE_REC_F_TID 0x20		/* SAMPLE with _TASK: guest_tid, not
					 * entry_delta: that task's pid */

#define VMTRACE_ENTRY_DELTA_UNKNOWN 0xffffffffU
#define VMTRACE_EXIT_REASON_UNKNOWN 0xffffffffU

/*
 * One event, 64 bytes, little-endian, no implicit padding.
 *
 * EXIT and SAMPLE: every field as named.  guest_cr3 is the raw CR3 (PCID
 * bits included) and gs_base the guest kernel's GS base (its per-CPU area),
 * both as they were at the moment of the exit or sample.  entry_delta is
 * the number of host TSC cycles since this vCPU last entered the guest
 * (EXIT only; VMTRACE_ENTRY_DELTA_UNKNOWN if not known or too large), so the
 * time KVM spent handling the previous exit of this vCPU is
 *     (host_tsc - entry_delta) - previous_exit.host_tsc.
 * guest_tsc is the guest's TSC (L1 offset and scaling applied).  With
 * VMTRACE_MODE_NESTED (the vCPU ran its own L2 guest) rip, cr3 and mode are
 * L2's and gs_base is 0.  With VMTRACE_REC_F_NO_STATE the guest fields and
 * mode are 0.  With VMTRACE_REC_F_TASK the third guest word is guest_task,
 * the guest's current task_struct pointer at that moment (as the guest
 * wrote it: untrusted), in place of the GS base, which then equals the
 * one the slot was set for.  A SAMPLE's entry_delta is always unknown; with
 * VMTRACE_REC_F_TID that slot is guest_tid, the pid field of that task as
 * read at the same moment.  Every byte of a record not named here is 0.
 *
 * LOST: u.lost[cause] records were dropped on host_cpu since the previous
 * record on that CPU; vm_id and the guest fields are zero.
 *
 * VM_NEW, VM_GONE: vm_id, vmm_pid, vendor; exit_reason holds the number of
 * vCPUs known at that moment.
 */
struct vmtrace_record {
	__u64 host_tsc;
	__u64 guest_tsc;
	union {
		struct {
			__u64 guest_rip;
			__u64 guest_cr3;
			union {
				__u64 guest_gs_base;
				__u64 guest_task; /* VMTRACE_REC_F_TASK */
			};
		} g;
		__u64 lost[3];		/* indexed by enum vmtrace_lost_cause */
	} u;
	union {
		__u32 entry_delta;
		__u32 guest_tid;	/* VMTRACE_REC_F_TID */
	};
	__u32 vm_id;
	__u32 vmm_pid;
	__u32 exit_reason;
	__u16 host_cpu;
	__u16 vcpu;
	__u8 kind;			/* enum vmtrace_kind */
	__u8 vendor;			/* enum vmtrace_vendor */
	__u8 mode;			/* VMTRACE_MODE_* */
	__u8 flags;			/* VMTRACE_REC_F_* */
} __attribute__((packed, aligned(8)));

#define VMTRACE_RECORD_SIZE 64

#endif /* _UAPI_LINUX_VMTRACE_H */
