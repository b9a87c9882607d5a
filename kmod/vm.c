// SPDX-License-Identifier: GPL-2.0
/*
 * VM identity and lifetime.
 *
 * A VM is tracked from the first time one of its vCPUs enters the guest
 * while a session runs.  It gets an id that is never reused while the
 * module is loaded, and vmtrace holds a reference on it (kvm_get_kvm), so
 * the struct kvm cannot be freed, and its address reused by another VM,
 * while it is in the table.  A reaper notices when vmtrace's reference is
 * the last one (the VMM closed the VM and all vCPU fds), records VM_GONE
 * and drops it: destruction is delayed by at most VMT_VM_REAP_INTERVAL.
 *
 * Lookups happen in probes and sampling interrupts, so they are lock-free:
 * an open-addressed table whose slots are published with release stores.
 * Inserts take a raw spinlock (never from NMI: a VM first seen in NMI
 * context is counted as lost and tracked at its next entry).  Removals
 * happen only in the reaper, under vmt_vm_mutex, which also keeps the
 * table stable for GET_VMS.
 */
#include <linux/kvm_host.h>
#include <linux/hash.h>
#include <linux/sched.h>
#include <linux/workqueue.h>
#include <net/genetlink.h>
#include "vmtrace.h"
#include "compat.h"

#define VMT_VM_BITS 10
#define VMT_VM_SLOTS (1U << VMT_VM_BITS)
#define VMT_VM_TOMBSTONE ((struct kvm *)1UL)
#define VMT_VM_REAP_INTERVAL (HZ / 5)

static struct vmt_vm vmt_vms[VMT_VM_SLOTS];
static DEFINE_RAW_SPINLOCK(vmt_vm_lock);
static DEFINE_MUTEX(vmt_vm_mutex);
static atomic_t vmt_vm_next_id = ATOMIC_INIT(0);
static bool vmt_vm_exiting;

static void vmt_vm_reap(struct work_struct *work);
static DECLARE_DELAYED_WORK(vmt_vm_reaper, vmt_vm_reap);

static inline bool vmt_vm_live(const struct kvm *kvm)
{
	return kvm && kvm != VMT_VM_TOMBSTONE;
}

struct vmt_vm *vmt_vm_lookup(struct kvm *kvm)
{
	u32 h = hash_ptr(kvm, VMT_VM_BITS), i;

	for (i = 0; i < VMT_VM_SLOTS; i++) {
		struct vmt_vm *vm = &vmt_vms[(h + i) & (VMT_VM_SLOTS - 1)];
		/* Pairs with the release in vmt_vm_track(): fields are set. */
		struct kvm *k = smp_load_acquire(&vm->kvm);

		if (k == kvm)
			return vm;
		if (!k)
			return NULL;
	}
	return NULL;
}

static void vmt_vm_emit(struct vmt_session *s, const struct vmt_vm *vm,
			struct kvm *kvm, u8 kind)
{
	struct vmt_ring *ring = &this_cpu_ptr(s->cpus)->ring;
	struct vmtrace_record *rec = vmt_ring_reserve(ring);

	if (!rec)
		return;
	memset(rec, 0, sizeof(*rec));
	rec->host_tsc = rdtsc();
	rec->kind = kind;
	rec->vendor = vmt_host_vendor;
	rec->vm_id = vm->id;
	rec->vmm_pid = vm->pid;
	rec->host_cpu = smp_processor_id();
	rec->exit_reason = atomic_read(&kvm->online_vcpus);
	rec->entry_delta = VMTRACE_ENTRY_DELTA_UNKNOWN;
	vmt_ring_commit(ring);
}

/*
 * Find or start tracking @kvm.  Called with preemption disabled, from a
 * probe or a sampling interrupt of one of its vCPUs (so it is alive), in
 * the current task, the vCPU thread.  Returns NULL if it cannot be tracked.
 */
struct vmt_vm *vmt_vm_track(struct vmt_session *s, struct kvm *kvm)
{
	struct vmt_vm *vm, *free_slot = NULL;
	unsigned long flags;
	u32 h, i;

	vm = vmt_vm_lookup(kvm);
	if (vm || in_nmi())
		return vm;

	raw_spin_lock_irqsave(&vmt_vm_lock, flags);
	vm = vmt_vm_lookup(kvm);
	if (vm || vmt_vm_exiting) {
		raw_spin_unlock_irqrestore(&vmt_vm_lock, flags);
		return vm;
	}
	h = hash_ptr(kvm, VMT_VM_BITS);
	for (i = 0; i < VMT_VM_SLOTS && !free_slot; i++) {
		vm = &vmt_vms[(h + i) & (VMT_VM_SLOTS - 1)];
		if (!vmt_vm_live(vm->kvm))
			free_slot = vm;
	}
	if (!free_slot) {
		raw_spin_unlock_irqrestore(&vmt_vm_lock, flags);
		return NULL;
	}
	vm = free_slot;
	vm->id = atomic_inc_return(&vmt_vm_next_id);
	vm->pid = current->tgid;
	vm->filter_generation = 0;
	vm->wanted = false;
	kvm_get_kvm(kvm);
	smp_store_release(&vm->kvm, kvm);
	raw_spin_unlock_irqrestore(&vmt_vm_lock, flags);

	vmt_vm_emit(s, vm, kvm, VMTRACE_KIND_VM_NEW);
	/* Not from NMI (returned above): queueing work is IRQ-safe. */
	schedule_delayed_work(&vmt_vm_reaper, VMT_VM_REAP_INTERVAL);
	return vm;
}

bool vmt_vm_wanted(struct vmt_session *s, struct vmt_vm *vm)
{
	/* Racing CPUs compute the same answer: plain stores suffice. */
	if (READ_ONCE(vm->filter_generation) != s->generation) {
		WRITE_ONCE(vm->wanted, vmt_session_wants_pid(s, vm->pid));
		WRITE_ONCE(vm->filter_generation, s->generation);
	}
	return READ_ONCE(vm->wanted);
}

static void vmt_vm_reap(struct work_struct *work)
{
	bool live = false;
	u32 i;

	mutex_lock(&vmt_session_mutex);
	mutex_lock(&vmt_vm_mutex);
	for (i = 0; i < VMT_VM_SLOTS; i++) {
		struct vmt_vm *vm = &vmt_vms[i];
		struct kvm *kvm = vm->kvm;
		unsigned long flags;

		if (!vmt_vm_live(kvm))
			continue;
		/*
		 * Only vmtrace holds it: no fd, no vCPU thread, no probe can
		 * reach it any more.
		 */
		if (refcount_read(&kvm->users_count) != 1) {
			live = true;
			continue;
		}
		raw_spin_lock_irqsave(&vmt_vm_lock, flags);
		WRITE_ONCE(vm->kvm, VMT_VM_TOMBSTONE);
		raw_spin_unlock_irqrestore(&vmt_vm_lock, flags);
		if (vmt_session && vmt_session->state == VMTRACE_STATE_RUNNING) {
			preempt_disable();
			vmt_vm_emit(vmt_session, vm, kvm, VMTRACE_KIND_VM_GONE);
			preempt_enable();
		}
		kvm_put_kvm(kvm);
	}
	mutex_unlock(&vmt_vm_mutex);
	mutex_unlock(&vmt_session_mutex);
	if (live && !READ_ONCE(vmt_vm_exiting))
		schedule_delayed_work(&vmt_vm_reaper, VMT_VM_REAP_INTERVAL);
}

static int vmt_vm_put_memslots(struct sk_buff *skb, struct kvm *kvm)
{
	struct nlattr *slots_nest, *slot_nest;
	struct kvm_memory_slot *slot;
	int idx, as, bkt, err = 0;

	slots_nest = nla_nest_start(skb, VMTRACE_VM_A_MEMSLOTS);
	if (!slots_nest)
		return -EMSGSIZE;
	idx = srcu_read_lock(&kvm->srcu);
	for (as = 0; as < VMT_KVM_NR_ADDRESS_SPACES(kvm) && !err; as++) {
		struct kvm_memslots *slots = __kvm_memslots(kvm, as);

		kvm_for_each_memslot(slot, bkt, slots) {
			slot_nest = nla_nest_start(skb, 0);
			if (!slot_nest ||
			    nla_put_u32(skb, VMTRACE_SLOT_A_ID,
					(as << 16) | slot->id) ||
			    nla_put_u64_64bit(skb, VMTRACE_SLOT_A_GPA,
					      slot->base_gfn << PAGE_SHIFT,
					      VMTRACE_SLOT_A_PAD) ||
			    nla_put_u64_64bit(skb, VMTRACE_SLOT_A_SIZE,
					      slot->npages << PAGE_SHIFT,
					      VMTRACE_SLOT_A_PAD) ||
			    nla_put_u64_64bit(skb, VMTRACE_SLOT_A_HVA,
					      slot->userspace_addr,
					      VMTRACE_SLOT_A_PAD) ||
			    nla_put_u32(skb, VMTRACE_SLOT_A_FLAGS,
					slot->flags)) {
				err = -EMSGSIZE;
				break;
			}
			nla_nest_end(skb, slot_nest);
		}
	}
	srcu_read_unlock(&kvm->srcu, idx);
	if (err)
		return err;
	nla_nest_end(skb, slots_nest);
	return 0;
}

static bool vmt_vm_state_protected(struct kvm *kvm)
{
	struct kvm_vcpu *vcpu = kvm_get_vcpu(kvm, 0);

	return vcpu && vcpu->arch.guest_state_protected;
}

static int vmt_vm_put(struct sk_buff *skb, u32 portid, u32 seq,
		      const struct vmt_vm *vm, struct kvm *kvm)
{
	struct nlattr *nest;
	void *hdr;

	hdr = vmt_genlmsg_put(skb, portid, seq, NLM_F_MULTI,
			      VMTRACE_CMD_GET_VMS);
	if (!hdr)
		return -EMSGSIZE;
	nest = nla_nest_start(skb, VMTRACE_A_VM);
	if (!nest ||
	    nla_put_u32(skb, VMTRACE_VM_A_ID, vm->id) ||
	    nla_put_u32(skb, VMTRACE_VM_A_PID, vm->pid) ||
	    nla_put_u32(skb, VMTRACE_VM_A_NR_VCPUS,
			atomic_read(&kvm->online_vcpus)) ||
	    nla_put_u32(skb, VMTRACE_VM_A_VENDOR, vmt_host_vendor) ||
	    nla_put_u32(skb, VMTRACE_VM_A_FLAGS,
			vmt_vm_state_protected(kvm) ?
			VMTRACE_VM_F_STATE_PROTECTED : 0) ||
	    vmt_vm_put_memslots(skb, kvm)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	genlmsg_end(skb, hdr);
	return 0;
}

/* GET_VMS dump step: one message per live VM from slot *cursor on. */
int vmt_vm_fill_dump(struct sk_buff *skb, u32 portid, u32 seq,
		     unsigned long *cursor)
{
	int err = 0;

	mutex_lock(&vmt_vm_mutex);
	for (; *cursor < VMT_VM_SLOTS; (*cursor)++) {
		struct vmt_vm *vm = &vmt_vms[*cursor];
		struct kvm *kvm = smp_load_acquire(&vm->kvm);

		if (!vmt_vm_live(kvm))
			continue;
		err = vmt_vm_put(skb, portid, seq, vm, kvm);
		if (err)
			break;
	}
	mutex_unlock(&vmt_vm_mutex);
	/* A VM that does not fit in an empty message is an error. */
	if (err && !skb->len)
		return err;
	return skb->len;
}

int vmt_vm_init(void)
{
	vmt_vm_exiting = false;
	return 0;
}

/* Drop every reference.  Probes are unregistered: no more tracks. */
void vmt_vm_exit(void)
{
	u32 i;

	WRITE_ONCE(vmt_vm_exiting, true);
	cancel_delayed_work_sync(&vmt_vm_reaper);
	mutex_lock(&vmt_vm_mutex);
	for (i = 0; i < VMT_VM_SLOTS; i++) {
		struct kvm *kvm = vmt_vms[i].kvm;

		vmt_vms[i].kvm = NULL;
		if (vmt_vm_live(kvm))
			kvm_put_kvm(kvm);
	}
	mutex_unlock(&vmt_vm_mutex);
}
