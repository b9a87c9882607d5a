// SPDX-License-Identifier: GPL-2.0
/*
 * VM identity, without owning the VM.
 *
 * A VM gets an entry the first time one of its vCPUs is seen in a probe
 * while a session records it, and an id that is never reused while the
 * module is loaded.  vmtrace holds no reference on the struct kvm: KVM
 * destroys a VM when and where it always does (the VMM's last close), and
 * vmtrace hears of it from a hook on kvm_destroy_vm()'s entry, which drops
 * the entry and records VM_GONE there.  Why that hook is enough:
 *
 *  - kvm_destroy_vm() runs once users_count has reached zero, i.e. after
 *    every vCPU fd is closed: no vCPU of that VM runs, so no probe or
 *    sampling interrupt can look the VM up any more (kvm_put_kvm(),
 *    virt/kvm/kvm_main.c, 6.1 and 6.12).
 *  - The struct kvm is freed only at the end of kvm_destroy_vm(), after
 *    the hook removed the entry: an entry's kvm pointer is valid for as
 *    long as the entry is in the table, and a new VM that gets the same
 *    address gets a new entry and a new id.
 *
 * The hook is an ftrace_ops on kvm_destroy_vm (a static function of
 * kvm.ko, with an fentry call in Debian's 6.1 and 6.12), registered
 * PERMANENT so that ftrace_enabled cannot be switched off under it.  A
 * compiler may inline kvm_destroy_vm into kvm_put_kvm (it did in a 6.1
 * x86_64_defconfig + KASAN build); then the hook sits on
 * kvm_arch_pre_destroy_vm, a global function of x86.c that kvm_destroy_vm
 * alone calls, after the VM left vm_list and before its memslots, buses
 * and vCPUs are freed (6.1 and 6.12), which the argument above needs.  If
 * neither can be hooked, the module does not load.
 *
 * Entries come from a pool allocated at load (module parameter max_vms), so
 * probes never allocate.  Lookups happen in probes and sampling interrupts,
 * NMI included: an RCU hash table (hlist per bucket; the callers run with
 * preemption disabled, which is an RCU read-side section).  Inserts and
 * removals take vmt_vm_lock (raw, IRQ-safe; never taken in NMI: a VM first
 * seen in NMI is counted lost and tracked at its next exit).  A removed
 * entry returns to the pool after a grace period.  Since entries really
 * leave the table, a lookup costs the same after a million VMs as after
 * one.
 */
#include <linux/kvm_host.h>
#include <linux/hash.h>
#include <linux/log2.h>
#include <linux/moduleparam.h>
#include <linux/rculist.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/ftrace.h>
#include "vmtrace.h"
#include "compat.h"

/*
 * Told of each VM's end (probe.c's vmt_probes_vm_gone(), given by main.c
 * at load): vm.c calls nothing above it.  Set before the hook is.
 */
static vmt_vm_gone_fn vmt_vm_gone;

static unsigned int max_vms = 1024;
module_param(max_vms, uint, 0444);
MODULE_PARM_DESC(max_vms,
		 "VMs tracked at once (16 to 65536; default 1024); events of further VMs are counted as lost (vm_table)");

static bool fail_layout_check;
module_param(fail_layout_check, bool, 0644);
MODULE_PARM_DESC(fail_layout_check,
		 "fault injection for the selftests: treat every newly seen VM as failing the vendor layout check (its records carry no guest state)");

static struct vmt_vm *vmt_vm_pool;
static struct vmt_vm *vmt_vm_free_list;	/* under vmt_vm_lock */
static struct hlist_head *vmt_vm_buckets;
static u32 vmt_vm_hash_bits;
static DEFINE_RAW_SPINLOCK(vmt_vm_lock);
static u32 vmt_vm_next_id;		/* under vmt_vm_lock */
static atomic_t vmt_vm_count = ATOMIC_INIT(0);

static inline struct hlist_head *vmt_vm_bucket(const struct kvm *kvm)
{
	return &vmt_vm_buckets[hash_ptr(kvm, vmt_vm_hash_bits)];
}

/* Any context, with preemption disabled or vmt_vm_lock held. */
struct vmt_vm *vmt_vm_lookup(struct kvm *kvm)
{
	struct vmt_vm *vm;

	hlist_for_each_entry_rcu(vm, vmt_vm_bucket(kvm), node,
				 lockdep_is_held(&vmt_vm_lock))
		if (READ_ONCE(vm->kvm) == kvm)
			return vm;
	return NULL;
}

/*
 * Start tracking the VM of @vcpu, which is running on this CPU and stopped
 * in an exit.  @state_ok: the vendor layout check passed for it.  Not from
 * NMI.  Returns the entry (*@is_new true if this call made it), or NULL if
 * the pool is empty.
 */
struct vmt_vm *vmt_vm_track(struct kvm_vcpu *vcpu, bool state_ok,
			    bool *is_new)
{
	struct kvm *kvm = vcpu->kvm;
	struct vmt_vm *vm;
	unsigned long flags;

	*is_new = false;
	raw_spin_lock_irqsave(&vmt_vm_lock, flags);
	vm = vmt_vm_lookup(kvm);
	if (vm || !vmt_vm_free_list)
		goto out;
	vm = vmt_vm_free_list;
	vmt_vm_free_list = vm->next_free;
	vm->kvm = kvm;
	vm->id = ++vmt_vm_next_id ?: ++vmt_vm_next_id;
	vm->pid = current->tgid;
	vm->state_ok = state_ok && !READ_ONCE(fail_layout_check);
	RCU_INIT_POINTER(vm->task_slots, NULL);
	/* Pairs with the lookups' rcu_dereference: fields are set. */
	hlist_add_head_rcu(&vm->node, vmt_vm_bucket(kvm));
	atomic_inc(&vmt_vm_count);
	*is_new = true;
out:
	raw_spin_unlock_irqrestore(&vmt_vm_lock, flags);
	return vm;
}

static void vmt_vm_free_rcu(struct rcu_head *head)
{
	struct vmt_vm *vm = container_of(head, struct vmt_vm, rcu);
	unsigned long flags;

	/* Out of the table a grace period ago: no probe sees the slots. */
	kfree(rcu_dereference_protected(vm->task_slots, 1));
	RCU_INIT_POINTER(vm->task_slots, NULL);

	raw_spin_lock_irqsave(&vmt_vm_lock, flags);
	vm->next_free = vmt_vm_free_list;
	vmt_vm_free_list = vm;
	raw_spin_unlock_irqrestore(&vmt_vm_lock, flags);
}

/*
 * kvm_destroy_vm(@kvm) is starting: forget the VM, record VM_GONE.  Runs in
 * whatever task drops the last reference (normally the VMM, in close()),
 * with preemption disabled by the hook; it must not sleep and does not.
 */
static void vmt_vm_forget(struct kvm *kvm)
{
	struct vmt_vm *vm;
	unsigned long flags;

	raw_spin_lock_irqsave(&vmt_vm_lock, flags);
	vm = vmt_vm_lookup(kvm);
	if (vm) {
		hlist_del_rcu(&vm->node);
		atomic_dec(&vmt_vm_count);
	}
	raw_spin_unlock_irqrestore(&vmt_vm_lock, flags);
	if (!vm)
		return;
	/* The entry is ours until call_rcu: its id and pid are stable. */
	vmt_vm_gone(kvm, vm->id, vm->pid, atomic_read(&kvm->online_vcpus));
	call_rcu(&vm->rcu, vmt_vm_free_rcu);
}

static void notrace vmt_vm_destroy_hook(unsigned long ip,
					unsigned long parent_ip,
					struct ftrace_ops *op,
					struct ftrace_regs *fregs)
{
	struct pt_regs *regs = ftrace_get_regs(fregs);

	/*
	 * ftrace calls an ops without FTRACE_OPS_FL_RECURSION directly from
	 * the trampoline, preemptible (ftrace_ops_get_func(), 6.1 and 6.12).
	 * VM_GONE goes to this CPU's ring and the session pointer is read
	 * here: both need what the probes have, preemption off, which is
	 * also the read-side section that STOP's synchronize waits for.
	 */
	preempt_disable_notrace();
	if (regs)
		vmt_vm_forget((struct kvm *)regs_get_kernel_argument(regs, 0));
	preempt_enable_notrace();
}

static struct ftrace_ops vmt_vm_destroy_ops = {
	.func = vmt_vm_destroy_hook,
	/*
	 * SAVE_REGS for the argument; PERMANENT so that nobody can turn
	 * ftrace off (sysctl ftrace_enabled) while vmtrace relies on it.
	 */
	.flags = FTRACE_OPS_FL_SAVE_REGS | FTRACE_OPS_FL_PERMANENT,
};

/* Where VM teardown is hooked, in order of preference (see the top). */
static const char *const vmt_vm_destroy_funcs[] = {
	"kvm_destroy_vm", "kvm_arch_pre_destroy_vm",
};

int vmt_vm_for_each_memslot(const struct vmt_vm_info *vm,
			    int (*fn)(const struct vmt_memslot_info *slot, void *arg),
			    void *arg)
{
	struct kvm *kvm = vm->kvm;
	struct kvm_memory_slot *slot;
	int idx, as, bkt, err = 0;

	idx = srcu_read_lock(&kvm->srcu);
	for (as = 0; as < VMT_KVM_NR_ADDRESS_SPACES(kvm) && !err; as++) {
		struct kvm_memslots *slots = __kvm_memslots(kvm, as);

		kvm_for_each_memslot(slot, bkt, slots) {
			struct vmt_memslot_info info = {
				.id = (as << 16) | slot->id,
				.gpa = slot->base_gfn << PAGE_SHIFT,
				.size = slot->npages << PAGE_SHIFT,
				.hva = slot->userspace_addr,
				.flags = slot->flags,
			};

			err = fn(&info, arg);
			if (err)
				break;
		}
	}
	srcu_read_unlock(&kvm->srcu, idx);
	return err;
}

static bool vmt_vm_state_protected(struct kvm *kvm)
{
	struct kvm_vcpu *vcpu = kvm_get_vcpu(kvm, 0);

	return vcpu && vcpu->arch.guest_state_protected;
}

/*
 * Cursor: cursor[0] the bucket, cursor[1] 0 or the id of the last VM
 * @fill took from that bucket.  A bucket lists its VMs newest (highest id)
 * first, so "the next one" is the first with a lower id, and VMs added
 * meanwhile (at the head) are not repeated.
 *
 * Each VM is handed to @fill under vmt_vm_lock, which keeps
 * kvm_destroy_vm() from getting past the hook and freeing the struct kvm
 * meanwhile: that costs a VM being destroyed at most the time to describe
 * one VM, and holds no reference that could make vmtrace the one to
 * destroy it.
 */
int vmt_vm_dump(unsigned long *cursor,
		int (*fill)(const struct vmt_vm_info *vm, void *arg), void *arg)
{
	u32 nr_buckets = 1U << vmt_vm_hash_bits;
	int err = 0;

	for (; cursor[0] < nr_buckets; cursor[0]++, cursor[1] = 0) {
		for (;;) {
			u32 bound = cursor[1] ? cursor[1] : U32_MAX;
			struct vmt_vm *vm, *next = NULL;
			unsigned long flags;

			raw_spin_lock_irqsave(&vmt_vm_lock, flags);
			hlist_for_each_entry(vm, &vmt_vm_buckets[cursor[0]],
					     node) {
				if (vm->id < bound) {
					next = vm;
					break;
				}
			}
			if (next) {
				struct vmt_vm_info info = {
					.kvm = next->kvm,
					.id = next->id,
					.pid = next->pid,
					.nr_vcpus = atomic_read(&next->kvm->online_vcpus),
				};

				if (vmt_vm_state_protected(next->kvm))
					info.flags |= VMTRACE_VM_F_STATE_PROTECTED;
				if (!next->state_ok)
					info.flags |= VMTRACE_VM_F_NO_STATE;
				err = fill(&info, arg);
			}
			raw_spin_unlock_irqrestore(&vmt_vm_lock, flags);
			if (!next)
				break;		/* this bucket is done: the next */
			if (err)
				return err;
			cursor[1] = next->id;
		}
	}
	return 0;
}

/* The tracked VM with id @id, or NULL.  Under vmt_vm_lock. */
static struct vmt_vm *vmt_vm_find_id(u32 id)
{
	u32 b, nr_buckets = 1U << vmt_vm_hash_bits;
	struct vmt_vm *vm;

	lockdep_assert_held(&vmt_vm_lock);
	for (b = 0; b < nr_buckets; b++)
		hlist_for_each_entry(vm, &vmt_vm_buckets[b], node)
			if (vm->id == id)
				return vm;
	return NULL;
}

/*
 * The VM's largest memslots of address space 0 (its RAM; ROMs and VGA are
 * small) into @ts->range, for the probes' direct-map reads.  Under
 * vmt_vm_lock, which keeps the struct kvm alive; memslots under kvm->srcu
 * as GET_VMS reads them.
 */
static void vmt_vm_snapshot_ranges(struct kvm *kvm, struct vmt_task_slots *ts)
{
	struct kvm_memory_slot *slot;
	int idx, bkt;
	u32 i;

	ts->nr_ranges = 0;
	idx = srcu_read_lock(&kvm->srcu);
	kvm_for_each_memslot(slot, bkt, __kvm_memslots(kvm, 0)) {
		u64 size = slot->npages << PAGE_SHIFT;

		/* Insertion by size, largest first, at most VMT_TID_RANGES. */
		for (i = ts->nr_ranges; i > 0 && ts->range[i - 1].size < size; i--)
			if (i < VMT_TID_RANGES)
				ts->range[i] = ts->range[i - 1];
		if (i >= VMT_TID_RANGES)
			continue;
		ts->range[i].gpa = slot->base_gfn << PAGE_SHIFT;
		ts->range[i].size = size;
		ts->range[i].hva = slot->userspace_addr;
		if (ts->nr_ranges < VMT_TID_RANGES)
			ts->nr_ranges++;
	}
	srcu_read_unlock(&kvm->srcu, idx);
}

/*
 * SET_TASK_SLOT @req for the session @generation.  The slots are copied
 * and replaced whole under vmt_vm_lock, so two callers never lose each
 * other's slot and a probe reads a consistent set.  Memory: one struct
 * and 16 bytes per vCPU of the VM (charged to the caller's memory
 * cgroup), freed with the VM or at unload.  Sleeps (allocation): process
 * context, no lock of the caller's held but vmt_session_mutex.
 */
int vmt_vm_set_task_slot(const struct vmt_task_slot_req *req, u32 generation,
			 struct netlink_ext_ack *extack)
{
	struct vmt_task_slots *old, *fresh;
	struct vmt_vm *vm;
	unsigned long flags;
	u32 nr_vcpus = 0;

	raw_spin_lock_irqsave(&vmt_vm_lock, flags);
	vm = vmt_vm_find_id(req->vm_id);
	/* Its struct kvm lives while the entry is in the table. */
	if (vm)
		nr_vcpus = atomic_read(&vm->kvm->online_vcpus);
	raw_spin_unlock_irqrestore(&vmt_vm_lock, flags);
	if (!vm) {
		NL_SET_ERR_MSG(extack, "no such VM (not tracked, or destroyed)");
		return -ENOENT;
	}
	if (req->vcpu >= nr_vcpus) {
		NL_SET_ERR_MSG(extack, "no such vCPU in that VM");
		return -EINVAL;
	}
	fresh = kzalloc(struct_size(fresh, slot, nr_vcpus), GFP_KERNEL_ACCOUNT);
	if (!fresh)
		return -ENOMEM;
	fresh->generation = generation;
	fresh->nr = nr_vcpus;

	raw_spin_lock_irqsave(&vmt_vm_lock, flags);
	vm = vmt_vm_find_id(req->vm_id);
	if (!vm) {
		raw_spin_unlock_irqrestore(&vmt_vm_lock, flags);
		kfree(fresh);
		NL_SET_ERR_MSG(extack, "no such VM (destroyed meanwhile)");
		return -ENOENT;
	}
	old = rcu_dereference_protected(vm->task_slots,
					lockdep_is_held(&vmt_vm_lock));
	if (old && old->generation == generation) {
		memcpy(fresh->slot, old->slot,
		       min(old->nr, fresh->nr) * sizeof(fresh->slot[0]));
		fresh->direct_map = old->direct_map;
		fresh->pid_offset = old->pid_offset;
		fresh->nr_ranges = old->nr_ranges;
		memcpy(fresh->range, old->range, sizeof(fresh->range));
	}
	fresh->slot[req->vcpu].gs_base = req->gs_base;
	fresh->slot[req->vcpu].hva = req->hva;
	if (req->tid) {
		fresh->direct_map = req->direct_map;
		fresh->pid_offset = req->pid_offset;
		vmt_vm_snapshot_ranges(vm->kvm, fresh);
	}
	rcu_assign_pointer(vm->task_slots, fresh);
	raw_spin_unlock_irqrestore(&vmt_vm_lock, flags);
	if (old)
		kfree_rcu(old, rcu);
	return 0;
}

u32 vmt_vm_tracked(void)
{
	return atomic_read(&vmt_vm_count);
}

int vmt_vm_init(vmt_vm_gone_fn gone)
{
	const char *hooked = NULL;
	u32 i, nr_buckets;
	int err;

	if (max_vms < 16 || max_vms > 65536) {
		pr_err("vmtrace: max_vms=%u is outside 16..65536\n", max_vms);
		return -EINVAL;
	}
	vmt_vm_gone = gone;
	vmt_vm_hash_bits = ilog2(roundup_pow_of_two(max_vms));
	nr_buckets = 1U << vmt_vm_hash_bits;
	vmt_vm_buckets = kvcalloc(nr_buckets, sizeof(*vmt_vm_buckets),
				  GFP_KERNEL);
	vmt_vm_pool = kvcalloc(max_vms, sizeof(*vmt_vm_pool), GFP_KERNEL);
	if (!vmt_vm_buckets || !vmt_vm_pool) {
		err = -ENOMEM;
		goto err_free;
	}
	for (i = 0; i < nr_buckets; i++)
		INIT_HLIST_HEAD(&vmt_vm_buckets[i]);
	vmt_vm_free_list = NULL;
	for (i = max_vms; i-- > 0;) {
		vmt_vm_pool[i].next_free = vmt_vm_free_list;
		vmt_vm_free_list = &vmt_vm_pool[i];
	}

	/* -EINVAL: no such traceable function (inlined, say): the next. */
	for (i = 0; i < ARRAY_SIZE(vmt_vm_destroy_funcs); i++) {
		hooked = vmt_vm_destroy_funcs[i];
		err = ftrace_set_filter(&vmt_vm_destroy_ops, (unsigned char *)hooked,
					strlen(hooked), 1);
		if (err != -EINVAL)
			break;
	}
	if (err) {
		pr_err("vmtrace: cannot hook kvm_destroy_vm or kvm_arch_pre_destroy_vm (ftrace filter: %d)\n",
		       err);
		goto err_free;
	}
	err = register_ftrace_function(&vmt_vm_destroy_ops);
	if (err) {
		pr_err("vmtrace: cannot hook %s (ftrace: %d)\n", hooked, err);
		goto err_filter;
	}
	if (i)
		pr_info("vmtrace: kvm_destroy_vm is not traceable here (inlined?): VM teardown hooked at %s\n",
			hooked);
	return 0;

err_filter:
	ftrace_free_filter(&vmt_vm_destroy_ops);
err_free:
	kvfree(vmt_vm_pool);
	kvfree(vmt_vm_buckets);
	return err;
}

/* Probes are detached: nothing adds entries any more. */
void vmt_vm_exit(void)
{
	u32 i;

	unregister_ftrace_function(&vmt_vm_destroy_ops);
	ftrace_free_filter(&vmt_vm_destroy_ops);
	/* Entries on their way back to the pool, and replaced slots. */
	rcu_barrier();
	/* The slots of VMs still alive (those back in the pool have none). */
	for (i = 0; i < max_vms; i++)
		kfree(rcu_dereference_protected(vmt_vm_pool[i].task_slots, 1));
	kvfree(vmt_vm_pool);
	kvfree(vmt_vm_buckets);
}
