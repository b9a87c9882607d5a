// SPDX-License-Identifier: GPL-2.0
/*
 * The producers: the kvm_entry/kvm_exit tracepoint probes and the
 * sampling interrupt (PMU cycles overflow in NMI, or a per-CPU hard-IRQ
 * hrtimer where the host has no PMU).  Each turns one event into one
 * record in this CPU's ring; nothing here sleeps or locks (but for the
 * first sight of a VM outside NMI).  Guest memory is touched at one word
 * only, the current-task slot the collector set (vmt_read_task()).
 */
#include <linux/kvm_host.h>
#include <linux/tracepoint.h>
#include <linux/perf_event.h>
#include <linux/hrtimer.h>
#include <linux/smp.h>
#include <linux/cpu.h>
#include <linux/sched/isolation.h>
#include <linux/uaccess.h>
#include <asm/irq_regs.h>
#include <asm/tsc.h>
#include "vmtrace.h"
#include "compat.h"

extern struct tracepoint __tracepoint_kvm_entry;
extern struct tracepoint __tracepoint_kvm_exit;

/*
 * Host TSC of the last guest entry on this CPU, and of which vCPU of which
 * VM (a vCPU freed with its VM can be reallocated at the same address by
 * another VM; the VM's destroy hook also forgets its stamps).
 */
struct vmt_entry_stamp {
	struct kvm_vcpu *vcpu;
	struct kvm *kvm;
	u64 tsc;
};
static DEFINE_PER_CPU(struct vmt_entry_stamp, vmt_entry_stamp);

/*
 * The session the probes record into, or NULL.  The probes stay attached
 * to the tracepoints from module load to unload, and a session starts and
 * stops by publishing and clearing this pointer: attaching and detaching
 * live-patch KVM's code (the tracepoints' static keys), which the session
 * churn of a monitoring tool has no need to do.  When idle, an exit costs
 * one call, one load and one branch.
 */
static struct vmt_session *vmt_recording;

/* Add the cycles since @start to this CPU's cost (and an event, if one). */
static __always_inline void vmt_cost(struct vmt_session *s, u64 start,
				     bool event)
{
	struct vmt_cpu *c = this_cpu_ptr(s->cpus);

	local64_add(rdtsc() - start, &c->cost_cycles);
	if (event)
		local64_inc(&c->cost_events);
}

/* Whether the vendor's guest state can be read for @vcpu (first sight). */
static bool vmt_state_readable(struct kvm_vcpu *vcpu)
{
	if (vmt_host_vendor == VMTRACE_VENDOR_SVM)
		return vmt_svm_vmcb_sane(vcpu);
	return vmt_vmx_state_readable();
}

/*
 * The pid of guest task @task (a SAMPLE's guest_tid, VMTRACE_REC_F_TID):
 * @task in the guest's direct map, its guest-physical address in one of
 * the VM's RAM slots as SET_TASK_SLOT saw them, read as vmt_read_task()
 * reads the task.  A task_struct reused by a new thread after this sample
 * cannot change what it says.  Nothing if the pointer is not in the direct
 * map or the read would fault (the task alone is kept).
 */
static __always_inline void vmt_read_tid(const struct vmt_task_slots *slots,
					 u64 task, struct vmtrace_record *rec)
{
	u64 gpa = task - slots->direct_map + slots->pid_offset;
	u32 i, tid;

	if (task < slots->direct_map)
		return;
	for (i = 0; i < slots->nr_ranges; i++) {
		const struct vmt_tid_range *r = &slots->range[i];

		if (gpa < r->gpa || gpa - r->gpa > r->size - sizeof(tid))
			continue;
		if (copy_from_user_nofault(&tid,
					   (const void __user *)(r->hva + (gpa - r->gpa)),
					   sizeof(tid)))
			return;
		rec->guest_tid = tid;
		rec->flags |= VMTRACE_REC_F_TID;
		return;
	}
}

/*
 * The guest's current task, from the slot the collector set for this vCPU
 * and GS base (SET_TASK_SLOT), in place of the GS base in @rec.
 *
 * Why this is safe where the probes run (kvm_exit: preemption off, IRQs
 * off on 6.12 and on 6.1 VMX, on in 6.1's svm_handle_exit; the sampling
 * hrtimer in hard IRQ; the PMU overflow in NMI):
 *  - The slot's address is in the VMM's address space, and current is one
 *    of that VM's vCPU threads (KVM runs a vCPU only from a task of the
 *    VM's mm: kvm_vcpu_ioctl() refuses others), checked again below.
 *  - copy_from_user_nofault() (mm/maccess.c, exported, 6.1 and 6.12)
 *    checks the range, refuses NMI contexts whose loaded mm is not
 *    current's (nmi_uaccess_okay()), and copies with page faults disabled:
 *    a page that is not present fails the read through the exception
 *    table; nothing sleeps, nothing is faulted in, nothing is retried.
 *  - The slot is read only while the record's kernel GS base is the one
 *    the collector translated it for: a guest that rebooted, or a record
 *    taken before SWAPGS, carries its GS base as before.
 * Cost: one 8-byte user read of a page the vCPU's own guest keeps hot;
 * for a SAMPLE, with the pid asked for (vmt_read_tid()), a 4-byte one more.
 */
static __always_inline void vmt_read_task(const struct vmt_session *s,
					  const struct vmt_vm *vm,
					  struct kvm_vcpu *vcpu,
					  struct vmtrace_record *rec)
{
	const struct vmt_task_slots *slots;
	const struct vmt_task_slot *slot;
	u64 task;

	slots = rcu_dereference_sched(vm->task_slots);
	if (likely(!slots) || slots->generation != s->generation ||
	    vcpu->vcpu_idx >= slots->nr)
		return;
	slot = &slots->slot[vcpu->vcpu_idx];
	if (!slot->hva || slot->gs_base != rec->u.g.guest_gs_base ||
	    current->mm != vcpu->kvm->mm)
		return;
	if (copy_from_user_nofault(&task, (const void __user *)slot->hva,
				   sizeof(task))) {
		rec->flags |= VMTRACE_REC_F_TASK_FAULT;
		return;
	}
	rec->u.g.guest_task = task;
	rec->flags |= VMTRACE_REC_F_TASK;
	if (rec->kind == VMTRACE_KIND_SAMPLE && slots->nr_ranges)
		vmt_read_tid(slots, task, rec);
}

/* vmt_fill()'s @exit_reason when the exit filter has not read it. */
#define VMT_EXIT_REASON_UNREAD 0xfffffffeU

/*
 * Fill @rec for @vcpu, stopped in an exit on this CPU.  Every field is
 * written (the record is zeroed first), so nothing of the slot's previous
 * record, possibly another VM's, survives; a VM whose layout check failed
 * gets no guest state at all.
 */
static __always_inline void vmt_fill(const struct vmt_session *s,
				     struct vmtrace_record *rec,
				     struct kvm_vcpu *vcpu,
				     const struct vmt_vm *vm, u64 tsc, u8 kind,
				     u32 exit_reason)
{
	memset(rec, 0, sizeof(*rec));
	rec->host_tsc = tsc;
	rec->guest_tsc = kvm_read_l1_tsc(vcpu, tsc);
	rec->entry_delta = VMTRACE_ENTRY_DELTA_UNKNOWN;
	rec->vm_id = vm->id;
	rec->vmm_pid = vm->pid;
	rec->host_cpu = smp_processor_id();
	rec->vcpu = vcpu->vcpu_idx;
	rec->kind = kind;
	rec->vendor = vmt_host_vendor;
	if (unlikely(!vm->state_ok)) {
		rec->exit_reason = VMTRACE_EXIT_REASON_UNKNOWN;
		rec->flags = VMTRACE_REC_F_NO_STATE;
		return;
	}
	if (vmt_host_vendor == VMTRACE_VENDOR_SVM)
		vmt_svm_read_state(vcpu, rec);
	else if (exit_reason != VMT_EXIT_REASON_UNREAD)
		vmt_vmx_read_state_reason(vcpu, rec, exit_reason);
	else
		vmt_vmx_read_state(vcpu, rec);
	if (vcpu->arch.hflags & HF_GUEST_MASK) {
		/*
		 * The vCPU runs its own (L2) guest.  On SVM, KVM VMSAVEs the
		 * GS bases into vmcb01 while the current VMCB is vmcb02; on
		 * VMX they would be L2's.  Either way they are not the L1
		 * kernel's per-CPU base the collector wants: leave them out.
		 */
		rec->mode |= VMTRACE_MODE_NESTED;
		rec->u.g.guest_gs_base = 0;
		rec->flags &= ~VMTRACE_REC_F_GS_USER;
		return;
	}
	if (!(rec->flags & VMTRACE_REC_F_NO_STATE) && rec->u.g.guest_gs_base)
		vmt_read_task(s, vm, vcpu, rec);
}

/* One VM_NEW or VM_GONE marker into @ring. */
static void vmt_emit_vm(struct vmt_ring *ring, u32 id, u32 pid, u32 nr_vcpus,
			u8 kind)
{
	struct vmtrace_record *rec = vmt_ring_reserve(ring);

	if (!rec)
		return;
	memset(rec, 0, sizeof(*rec));
	rec->host_tsc = rdtsc();
	rec->kind = kind;
	rec->vendor = vmt_host_vendor;
	rec->vm_id = id;
	rec->vmm_pid = pid;
	rec->host_cpu = smp_processor_id();
	rec->exit_reason = nr_vcpus;
	rec->entry_delta = VMTRACE_ENTRY_DELTA_UNKNOWN;
	vmt_ring_commit(ring);
}

/*
 * The VM of a running vCPU, tracking it if new (and then recording
 * VM_NEW); NULL, counted as lost, if it cannot be tracked.  The caller has
 * applied the VM filter already: excluded VMs are never tracked.
 */
static __always_inline struct vmt_vm *vmt_vm_of(struct vmt_ring *ring,
						struct kvm_vcpu *vcpu)
{
	struct vmt_vm *vm = vmt_vm_lookup(vcpu->kvm);
	bool is_new;

	if (likely(vm))
		return vm;
	if (in_nmi()) {
		/* Inserting takes a lock: leave it to the next exit. */
		vmt_ring_drop(ring, VMTRACE_LOST_VM_TABLE);
		return NULL;
	}
	vm = vmt_vm_track(vcpu, vmt_state_readable(vcpu), &is_new);
	if (!vm) {
		vmt_ring_drop(ring, VMTRACE_LOST_VM_TABLE);
		return NULL;
	}
	if (is_new) {
		if (!vm->state_ok)
			pr_warn_ratelimited("vmtrace: VM %u (pid %u): guest state not where expected; its records carry none\n",
					    vm->id, vm->pid);
		vmt_emit_vm(ring, vm->id, vm->pid,
			    atomic_read(&vcpu->kvm->online_vcpus),
			    VMTRACE_KIND_VM_NEW);
	}
	return vm;
}

void vmt_probes_vm_gone(struct kvm *kvm, u32 id, u32 pid, u32 nr_vcpus)
{
	struct vmt_session *s = READ_ONCE(vmt_recording);
	int cpu;

	/* No vCPU of @kvm runs: its stamps can only mislead a later VM. */
	for_each_possible_cpu(cpu) {
		struct vmt_entry_stamp *stamp = per_cpu_ptr(&vmt_entry_stamp,
							    cpu);

		if (READ_ONCE(stamp->kvm) == kvm)
			WRITE_ONCE(stamp->vcpu, NULL);
	}
	if (s)
		vmt_emit_vm(&this_cpu_ptr(s->cpus)->ring, id, pid, nr_vcpus,
			    VMTRACE_KIND_VM_GONE);
}

static void vmt_probe_entry(void *data, VMT_KVM_ENTRY_PROTO)
{
	struct vmt_session *s = READ_ONCE(vmt_recording);
	struct vmt_entry_stamp *stamp;
	u64 tsc;

	if (!s)
		return;
	tsc = rdtsc();
	stamp = this_cpu_ptr(&vmt_entry_stamp);
	stamp->vcpu = vcpu;
	stamp->kvm = vcpu->kvm;
	stamp->tsc = tsc;
	if (unlikely(s->cfg.flags & VMTRACE_CFG_F_COST))
		vmt_cost(s, tsc, false);
}

/* An exit of @vcpu at host TSC @tsc: one EXIT record, unless filtered. */
static __always_inline void vmt_record_exit(struct vmt_session *s,
					    struct kvm_vcpu *vcpu, u64 tsc)
{
	struct vmt_entry_stamp *stamp;
	struct vmtrace_record *rec;
	struct vmt_ring *ring;
	struct vmt_vm *vm;
	u32 reason = VMT_EXIT_REASON_UNREAD;

	if (s->cfg.flags & VMTRACE_CFG_F_NO_EXITS)
		return;
	/* Excluded VMs cost this and nothing more. */
	if (!vmt_session_wants_pid(s, current->tgid))
		return;
	ring = &this_cpu_ptr(s->cpus)->ring;
	vm = vmt_vm_of(ring, vcpu);
	if (!vm)
		return;
	/*
	 * The exit-reason filter reads the VMCB only for a VM that passed
	 * the layout check; the exits of one that did not are all kept
	 * (reason unknown), rather than dropped unseen.
	 */
	if (s->exit_filter && vm->state_ok) {
		/* Read once: on VMX each read may trap to a hypervisor. */
		reason = vmt_host_vendor == VMTRACE_VENDOR_SVM ?
			 vmt_svm_exit_reason(vcpu) : vmt_vmx_exit_reason();
		if (!vmt_session_wants_exit(s, reason))
			return;
	}
	rec = vmt_ring_reserve(ring);
	if (!rec)
		return;
	vmt_fill(s, rec, vcpu, vm, tsc, VMTRACE_KIND_EXIT, reason);
	/*
	 * Entry and exit of one guest run happen on one CPU with preemption
	 * off; a mismatch means this vCPU was migrated since (6.1 SVM fires
	 * kvm_exit with preemption enabled) and the delta is unknown.
	 */
	stamp = this_cpu_ptr(&vmt_entry_stamp);
	if (stamp->vcpu == vcpu && stamp->kvm == vcpu->kvm &&
	    tsc - stamp->tsc < VMTRACE_ENTRY_DELTA_UNKNOWN)
		rec->entry_delta = tsc - stamp->tsc;
	vmt_ring_commit(ring);
}

static void vmt_probe_exit(void *data, struct kvm_vcpu *vcpu, u32 isa)
{
	struct vmt_session *s = READ_ONCE(vmt_recording);
	u64 tsc;

	if (!s)
		return;
	tsc = rdtsc();
	vmt_record_exit(s, vcpu, tsc);
	if (unlikely(s->cfg.flags & VMTRACE_CFG_F_COST))
		vmt_cost(s, tsc, true);
}

/* One sampling interrupt on this CPU; @regs are the interrupted ones. */
static void vmt_record_sample(struct vmt_cpu *c, struct pt_regs *regs,
			      u64 tsc)
{
	struct vmt_session *s = c->session;
	struct kvm_vcpu *vcpu = kvm_get_running_vcpu();
	struct vmtrace_record *rec;
	struct vmt_vm *vm;

	if (vcpu && vmt_interrupted_guest(vcpu)) {
		if (!vmt_session_wants_pid(s, current->tgid))
			return;
		vm = vmt_vm_of(&c->ring, vcpu);
		if (!vm)
			return;
		rec = vmt_ring_reserve(&c->ring);
		if (!rec)
			return;
		vmt_fill(s, rec, vcpu, vm, tsc, VMTRACE_KIND_SAMPLE,
			 VMT_EXIT_REASON_UNREAD);
		vmt_ring_commit(&c->ring);
		return;
	}

	local64_inc(&c->ring.host_samples);
	if (!(s->cfg.flags & VMTRACE_CFG_F_HOST_SAMPLES))
		return;
	rec = vmt_ring_reserve(&c->ring);
	if (!rec)
		return;
	memset(rec, 0, sizeof(*rec));
	rec->host_tsc = tsc;
	rec->entry_delta = VMTRACE_ENTRY_DELTA_UNKNOWN;
	rec->kind = VMTRACE_KIND_SAMPLE;
	rec->flags = VMTRACE_REC_F_HOST;
	rec->host_cpu = smp_processor_id();
	rec->vmm_pid = current->tgid;
	if (regs) {
		/* The host RIP, in the guest_rip slot: see vmtrace.h. */
		rec->u.g.guest_rip = instruction_pointer(regs);
		rec->mode = user_mode(regs) ? 3 | VMTRACE_MODE_USER : 0;
	}
	vmt_ring_commit(&c->ring);
}

static void vmt_sample(struct vmt_cpu *c, struct pt_regs *regs)
{
	u64 tsc = rdtsc();

	vmt_record_sample(c, regs, tsc);
	if (unlikely(c->session->cfg.flags & VMTRACE_CFG_F_COST))
		vmt_cost(c->session, tsc, true);
}

static enum hrtimer_restart vmt_sample_timer(struct hrtimer *timer)
{
	struct vmt_cpu *c = container_of(timer, struct vmt_cpu, timer);
	struct vmt_session *s = c->session;

	/*
	 * A CPU going offline hands its hrtimers to another CPU; this one
	 * must not write a ring that is not its own.  Its sampling ends.
	 */
	if (unlikely(c->ring.cpu != smp_processor_id()))
		return HRTIMER_NORESTART;
	vmt_sample(c, get_irq_regs());
	if (!READ_ONCE(s->sampling))
		return HRTIMER_NORESTART;
	hrtimer_forward_now(timer, s->sample_period);
	return HRTIMER_RESTART;
}

static void vmt_sample_pmu(struct perf_event *event,
			   struct perf_sample_data *data, struct pt_regs *regs)
{
	vmt_sample(event->overflow_handler_context, regs);
}

static struct perf_event *vmt_pmu_create(int cpu, u32 hz, struct vmt_cpu *c)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_HARDWARE,
		.config = PERF_COUNT_HW_CPU_CYCLES,
		.size = sizeof(attr),
		/*
		 * Not pinned: where the NMI watchdog (itself a pinned
		 * cycles counter) or the guests' vPMU events leave no
		 * counter free, this one waits for one instead of taking
		 * it or going into error state.
		 */
		.pinned = 0,
		/* One overflow per 1/hz of a TSC-rate clock. */
		.sample_period = max_t(u64, (u64)tsc_khz * 1000 / max(hz, 1U),
				       10000),
	};

	return perf_event_create_kernel_counter(&attr, cpu, NULL,
						c ? vmt_sample_pmu : NULL, c);
}

/* VMTRACE_SAMPLE_PMU if this host has a cycles counter, else TIMER. */
u32 vmt_pmu_available(void)
{
	struct perf_event *event = vmt_pmu_create(raw_smp_processor_id(),
						  1000, NULL);

	if (IS_ERR(event))
		return VMTRACE_SAMPLE_TIMER;
	perf_event_release_kernel(event);
	return VMTRACE_SAMPLE_PMU;
}

/*
 * Whether @cpu is sampled: not the CPUs the operator isolated from the
 * scheduler tick or from load balancing (nohz_full=, isolcpus=), unless the
 * session asks for them.
 */
static bool vmt_cpu_sampled(const struct vmt_session *s, int cpu)
{
	if (s->cfg.flags & VMTRACE_CFG_F_SAMPLE_ISOLATED)
		return true;
	return housekeeping_test_cpu(cpu, HK_TYPE_TICK) &&
	       housekeeping_test_cpu(cpu, HK_TYPE_DOMAIN);
}

static void vmt_timer_start_here(void *info)
{
	struct vmt_session *s = info;
	struct vmt_cpu *c = this_cpu_ptr(s->cpus);

	if (vmt_cpu_sampled(s, smp_processor_id()))
		hrtimer_start(&c->timer, s->sample_period,
			      HRTIMER_MODE_REL_PINNED_HARD);
}

static int vmt_pmu_start_cpu(struct vmt_session *s, int cpu)
{
	struct vmt_cpu *c = per_cpu_ptr(s->cpus, cpu);
	struct perf_event *event;

	if (!vmt_cpu_sampled(s, cpu))
		return 0;
	event = vmt_pmu_create(cpu, s->cfg.sample_hz, c);
	if (IS_ERR(event))
		return PTR_ERR(event);
	c->pmu_event = event;
	return 0;
}

static void vmt_sampling_stop_cpu(struct vmt_session *s, int cpu)
{
	struct vmt_cpu *c = per_cpu_ptr(s->cpus, cpu);

	if (c->pmu_event) {
		perf_event_release_kernel(c->pmu_event);
		c->pmu_event = NULL;
	}
	hrtimer_cancel(&c->timer);
}

/* Start sampling on the online CPUs; the CPU hotplug lock is held. */
int vmt_sampling_start(struct vmt_session *s)
{
	int cpu, err = 0;

	s->sample_source = VMTRACE_SAMPLE_TIMER;
	for_each_possible_cpu(cpu) {
		struct vmt_cpu *c = per_cpu_ptr(s->cpus, cpu);

		c->session = s;
		c->pmu_event = NULL;
		hrtimer_init(&c->timer, CLOCK_MONOTONIC,
			     HRTIMER_MODE_REL_PINNED_HARD);
		c->timer.function = vmt_sample_timer;
	}
	if (!s->cfg.sample_hz)
		return 0;
	s->sample_period = ns_to_ktime(NSEC_PER_SEC / s->cfg.sample_hz);

	if (s->cfg.sample_source != VMTRACE_SAMPLE_TIMER) {
		for_each_online_cpu(cpu) {
			err = vmt_pmu_start_cpu(s, cpu);
			if (err)
				break;
		}
		if (!err) {
			s->sample_source = VMTRACE_SAMPLE_PMU;
			WRITE_ONCE(s->sampling, true);
			return 0;
		}
		vmt_sampling_stop(s);
		if (s->cfg.sample_source == VMTRACE_SAMPLE_PMU)
			return err;
	}

	/* The timer: started on each CPU, since it is pinned there. */
	WRITE_ONCE(s->sampling, true);
	on_each_cpu(vmt_timer_start_here, s, 1);
	return 0;
}

/* Stop sampling; no sampling handler runs once this returns. */
void vmt_sampling_stop(struct vmt_session *s)
{
	int cpu;

	/* A timer that fires meanwhile does not re-arm. */
	WRITE_ONCE(s->sampling, false);
	for_each_possible_cpu(cpu)
		vmt_sampling_stop_cpu(s, cpu);
}

/* @cpu came online during the session; called on it. */
void vmt_sampling_cpu_online(struct vmt_session *s, unsigned int cpu)
{
	if (!READ_ONCE(s->sampling))
		return;
	if (s->sample_source == VMTRACE_SAMPLE_PMU) {
		if (vmt_pmu_start_cpu(s, cpu))
			pr_warn_ratelimited("vmtrace: CPU %u came online; no PMU sampling event for it\n",
					    cpu);
		return;
	}
	vmt_timer_start_here(s);
}

/* @cpu is going offline; called on it.  Its ring stays readable. */
void vmt_sampling_cpu_offline(struct vmt_session *s, unsigned int cpu)
{
	vmt_sampling_stop_cpu(s, cpu);
}

/* Probes record into @s from now on.  No waiting. */
void vmt_probes_publish(struct vmt_session *s)
{
	int cpu;

	/*
	 * Entry stamps are not kept while idle: forget the old ones, or the
	 * first exit would measure from an entry of an earlier session.  No
	 * probe writes them until the session is published below.
	 */
	for_each_possible_cpu(cpu)
		per_cpu_ptr(&vmt_entry_stamp, cpu)->vcpu = NULL;
	/* Pairs with READ_ONCE in the probes: @s is fully set up. */
	smp_store_release(&vmt_recording, s);
}

/* Probes stop taking the session; some may still be in it. */
void vmt_probes_unpublish(void)
{
	WRITE_ONCE(vmt_recording, NULL);
}

/*
 * Wait until no probe, and no kvm_destroy_vm hook, that took the session
 * before vmt_probes_unpublish() is still running: both run with
 * preemption disabled, within what this waits for.
 */
void vmt_probes_sync(void)
{
	tracepoint_synchronize_unregister();
}

/* Attach to kvm_entry and kvm_exit, for the module's lifetime. */
int vmt_probes_attach(void)
{
	int err;

	err = tracepoint_probe_register(&__tracepoint_kvm_entry,
					vmt_probe_entry, NULL);
	if (err)
		goto err_out;
	err = tracepoint_probe_register(&__tracepoint_kvm_exit,
					vmt_probe_exit, NULL);
	if (err)
		goto err_entry;
	return 0;

err_entry:
	tracepoint_probe_unregister(&__tracepoint_kvm_entry, vmt_probe_entry,
				    NULL);
	tracepoint_synchronize_unregister();
err_out:
	return err;
}

/* Detach; no probe runs once this returns. */
void vmt_probes_detach(void)
{
	tracepoint_probe_unregister(&__tracepoint_kvm_exit, vmt_probe_exit,
				    NULL);
	tracepoint_probe_unregister(&__tracepoint_kvm_entry, vmt_probe_entry,
				    NULL);
	tracepoint_synchronize_unregister();
}
