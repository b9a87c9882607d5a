/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmtrace.ko internals shared between its files.
 *
 *   main.c     module init/exit order
 *   netlink.c  the generic netlink family (commands, policies, replies)
 *   session.c  one recording session: config, rings, start/stop, owner
 *   probe.c    kvm_entry/kvm_exit probes and sampling interrupts -> rings
 *   ring.c     per-CPU lock-free rings
 *   vm.c       VM identity: ids, VMM pid, lifetime, memslots
 *   svm.c      AMD: guest state from the VMCB
 *   svm_layout.c  AMD: kvm-amd's struct vcpu_svm checked at load
 *   vmx.c      Intel: guest state from the current VMCS
 */
#ifndef _VMT_VMTRACE_H
#define _VMT_VMTRACE_H

#include <linux/types.h>
#include <linux/bitops.h>
#include <linux/mutex.h>
#include <linux/hrtimer.h>
#include <linux/netlink.h>
#include <linux/list.h>
#include <linux/rcupdate.h>
#include <uapi/linux/vmtrace.h>
#include "ring.h"

#define VMT_VERSION "0.1.0"

struct kvm;
struct kvm_vcpu;
struct perf_event;
struct sk_buff;
struct netlink_ext_ack;

/* ---- configuration (netlink.c parses, session.c applies) ---- */

#define VMT_EXIT_BITMAP_BITS 2048	/* SVM codes < 0x800, VMX < 80 */

struct vmt_config {
	u32 ring_size;
	u32 sample_hz;
	u32 sample_source;		/* enum vmtrace_sample_source */
	u32 flags;			/* VMTRACE_CFG_F_* */
	u32 nr_exits;			/* 0: all exit reasons */
	u32 exits[VMTRACE_FILTER_MAX];
	u32 nr_pids;			/* 0: all VMs */
	u32 pids[VMTRACE_FILTER_MAX];
};

/* ---- session ---- */

struct vmt_cpu {
	struct vmt_ring ring;
	local64_t cost_cycles;		/* VMTRACE_CFG_F_COST */
	local64_t cost_events;
	struct hrtimer timer;
	struct perf_event *pmu_event;
	struct vmt_session *session;
};

struct vmt_session {
	struct vmt_config cfg;
	enum vmtrace_state state;
	u32 sample_source;		/* the source actually in use */
	u32 owner_portid;
	u32 generation;			/* distinguishes sessions, for VM
					 * filter caching */
	ktime_t sample_period;
	bool sampling;			/* timers re-arm while true */
	bool stopping;			/* STOP or the end is quiescing it */
	DECLARE_BITMAP(exit_bitmap, VMT_EXIT_BITMAP_BITS);
	bool exit_filter;
	u64 ring_bytes;			/* ring memory, all CPUs */
	struct vmt_cpu __percpu *cpus;
};

/* Guards vmt_session and its state; never held across a wait. */
extern struct mutex vmt_session_mutex;
/* The session, or NULL.  Changes only under vmt_session_mutex. */
extern struct vmt_session *vmt_session;

int vmt_session_start(const struct vmt_config *cfg, u32 portid,
		      struct netlink_ext_ack *extack);
int vmt_session_stop(u32 portid, struct netlink_ext_ack *extack);
u64 vmt_ring_cap(void);

/*
 * The session's filters, asked by the probes on every event: inline, so
 * that the probes call nothing in session.c.
 */

/* Whether the exit filter lets exit code @exit_reason through. */
static inline bool vmt_session_wants_exit(const struct vmt_session *s,
					  u32 exit_reason)
{
	u32 i;

	if (!s->exit_filter)
		return true;
	if (exit_reason < VMT_EXIT_BITMAP_BITS)
		return test_bit(exit_reason, s->exit_bitmap);
	for (i = 0; i < s->cfg.nr_exits; i++)
		if (s->cfg.exits[i] == exit_reason)
			return true;
	return false;
}

/* Whether the VM filter lets the VMs of process @pid through. */
static inline bool vmt_session_wants_pid(const struct vmt_session *s, u32 pid)
{
	u32 lo = 0, hi = s->cfg.nr_pids;

	if (!hi)
		return true;
	/* cfg.pids is sorted (vmt_session_alloc()). */
	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;

		if (s->cfg.pids[mid] == pid)
			return true;
		if (s->cfg.pids[mid] < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}
int vmt_session_init(void);
void vmt_session_exit(void);

/* ---- probes and sampling (probe.c) ---- */

int vmt_probes_attach(void);
void vmt_probes_detach(void);
void vmt_probes_publish(struct vmt_session *s);
void vmt_probes_unpublish(void);
void vmt_probes_sync(void);
int vmt_sampling_start(struct vmt_session *s);
void vmt_sampling_stop(struct vmt_session *s);
void vmt_sampling_cpu_online(struct vmt_session *s, unsigned int cpu);
void vmt_sampling_cpu_offline(struct vmt_session *s, unsigned int cpu);
u32 vmt_pmu_available(void);
/*
 * A VM's end (vm.c's kvm_destroy_vm hook, through vmt_vm_init()'s
 * argument): forget its vCPUs' entry stamps, record VM_GONE if a session
 * records.  Preemption off.
 */
void vmt_probes_vm_gone(struct kvm *kvm, u32 id, u32 pid, u32 nr_vcpus);

/* ---- VMs (vm.c) ---- */

/*
 * Where each vCPU's guest current-task word is in the VMM (SET_TASK_SLOT),
 * for the session @generation.  Replaced whole (RCU), never edited in
 * place: a probe sees one vCPU's gs_base and hva together.
 */
#define VMT_TID_RANGES 8

struct vmt_task_slots {
	struct rcu_head rcu;
	u32 generation;
	u32 nr;				/* vCPU indexes covered */
	/*
	 * For the task's pid (SAMPLE records): guest-virtual direct_map + x
	 * is guest-physical x, which the VM's RAM slots (as they were at the
	 * last SET_TASK_SLOT) put at hva + (x - gpa).  nr_ranges 0: no pid.
	 */
	u64 direct_map;
	u32 pid_offset;
	u32 nr_ranges;
	struct vmt_tid_range {
		u64 gpa, size, hva;
	} range[VMT_TID_RANGES];
	struct vmt_task_slot {
		u64 gs_base;
		u64 hva;		/* 0: none */
	} slot[];
};

struct vmt_vm {
	struct hlist_node node;		/* in its bucket while tracked */
	union {
		struct vmt_vm *next_free;	/* in the pool */
		struct rcu_head rcu;		/* on its way back to it */
	};
	struct kvm *kvm;		/* valid while in the table */
	u32 id;				/* never reused while loaded */
	u32 pid;			/* VMM tgid */
	bool state_ok;			/* vendor layout check passed */
	struct vmt_task_slots __rcu *task_slots; /* or NULL */
};

struct vmt_vm *vmt_vm_lookup(struct kvm *kvm);
struct vmt_vm *vmt_vm_track(struct kvm_vcpu *vcpu, bool state_ok,
			    bool *is_new);
u32 vmt_vm_tracked(void);
struct vmt_task_slot_req {
	u32 vm_id, vcpu;
	u64 gs_base, hva;
	bool tid;			/* direct_map and pid_offset given */
	u64 direct_map;
	u32 pid_offset;
};
int vmt_vm_set_task_slot(const struct vmt_task_slot_req *req, u32 generation,
			 struct netlink_ext_ack *extack);

/* A tracked VM as GET_VMS describes it (vmt_vm_dump()). */
struct vmt_vm_info {
	struct kvm *kvm;		/* for vmt_vm_for_each_memslot() */
	u32 id, pid, nr_vcpus;
	u32 flags;			/* VMTRACE_VM_F_* */
};

struct vmt_memslot_info {
	u32 id;				/* address space << 16 | slot id */
	u32 flags;			/* KVM_MEM_* */
	u64 gpa, size, hva;
};

/*
 * Hand each tracked VM from @cursor (two longs, zero at the start) on to
 * @fill, under vmt_vm_lock (no sleeping, no allocation but GFP_ATOMIC),
 * until @fill returns nonzero: that is returned, and the cursor names the
 * same VM again for the next call.  0 once every VM was taken.
 */
int vmt_vm_dump(unsigned long *cursor,
		int (*fill)(const struct vmt_vm_info *vm, void *arg), void *arg);
/* Inside @fill: @fn for each memslot of @vm until it returns nonzero. */
int vmt_vm_for_each_memslot(const struct vmt_vm_info *vm,
			    int (*fn)(const struct vmt_memslot_info *slot, void *arg),
			    void *arg);
/* Called with each tracked VM's end, preemption off (vmt_probes_vm_gone). */
typedef void (*vmt_vm_gone_fn)(struct kvm *kvm, u32 id, u32 pid, u32 nr_vcpus);
int vmt_vm_init(vmt_vm_gone_fn gone);
void vmt_vm_exit(void);

/* ---- vendor code ---- */

/* enum vmtrace_vendor of this host, decided once at load */
extern u8 vmt_host_vendor;

/*
 * Fill exit_reason, the guest fields, mode and flags of @rec from the
 * hardware state of @vcpu, which is loaded on this CPU and stopped in an
 * exit (kvm_exit probe, or a KVM interrupt-handling window).
 */
void vmt_svm_read_state(struct kvm_vcpu *vcpu, struct vmtrace_record *rec);
void vmt_vmx_read_state(struct kvm_vcpu *vcpu, struct vmtrace_record *rec);
/*
 * The vendor's exit code alone, for the exit-reason filter;
 * VMTRACE_EXIT_REASON_UNKNOWN if it cannot be read.
 */
u32 vmt_svm_exit_reason(struct kvm_vcpu *vcpu);
u32 vmt_vmx_exit_reason(void);
/*
 * vmt_vmx_read_state() in the kvm_exit probe once the filter has read
 * @exit_reason with vmt_vmx_exit_reason(): no VMX check or read repeated.
 */
void vmt_vmx_read_state_reason(struct kvm_vcpu *vcpu,
			       struct vmtrace_record *rec, u32 exit_reason);
/* False if no VMCS state can be read on this host (Hyper-V eVMCS). */
bool vmt_vmx_state_readable(void);
/* Once at load on a VMX host: logs what vmx.c will not be able to read. */
void vmt_vmx_init(void);
/* Run-time check of the VMCB location, before trusting it for a VM. */
bool vmt_svm_vmcb_sane(struct kvm_vcpu *vcpu);
/*
 * kvm-amd's struct vcpu_svm against the build's (svm_layout.c): refuses
 * the load (-ENOEXEC) if the loaded kvm-amd's differs; a kvm-amd loaded
 * later that differs makes vmt_svm_layout_ok() false.
 */
int vmt_svm_layout_init(void);
void vmt_svm_layout_exit(void);
bool vmt_svm_layout_ok(void);

/* ---- netlink ---- */

int vmt_genl_init(void);
void vmt_genl_exit(void);

#endif /* _VMT_VMTRACE_H */
