// SPDX-License-Identifier: GPL-2.0
/*
 * vmtrace's BPF backend, kernel side: the records vmtrace.ko's probes make
 * (kmod/probe.c), made by BPF programs on the same tracepoints, for hosts
 * that cannot load the module.  Loaded and read by bpf.c.
 *
 *  - tp_btf/kvm_entry stamps this CPU's last guest entry (entry_delta).
 *  - tp_btf/kvm_exit writes one 64-byte struct vmtrace_record per exit
 *    into one shared BPF ring buffer, and a VM_NEW record before the first
 *    exit of a VM.
 *  - perf_event (a cpu-clock event per CPU at the sampling rate) writes
 *    a SAMPLE record: of the guest when the timer's interrupt made the
 *    vCPU exit and KVM handles it in its interrupt window
 *    (handling_intr_from_guest, as the module's timer source), else
 *    counted as a host sample (and recorded with --host-samples).
 *  - fentry/kvm_destroy_vm forgets the VM and records VM_GONE, as the
 *    module's hook on the same function (kmod/vm.c): no vCPU of it runs
 *    any more, and its struct kvm is freed only after, so a new VM at the
 *    same address gets a new entry and id.  Where kvm_destroy_vm is not
 *    in kvm's BTF (inlined), the loader points it at
 *    kvm_arch_pre_destroy_vm, as the module does.
 *
 * No vmlinux.h: the few kernel types read are declared below with the
 * members used only, preserve_access_index, so that libbpf relocates every
 * access (CO-RE) against the running kernel's BTF: vmlinux, kvm and, for
 * struct vcpu_svm (internal to kvm-amd), kvm_amd's module BTF.  The build
 * needs no BTF and no kernel headers; a kernel whose layout differs is
 * read right, one without a member refuses the load.
 *
 * Cost per exit: the tracepoints' struct kvm_vcpu is a BTF pointer, read
 * with plain loads (VCPU_READ); the VMCB, reachable by number only, in a
 * few spans of one bpf_probe_read_kernel() each (SPAN_READ) rather than a
 * helper call per field.
 *
 * Accounting as the module's rings (kmod/ring.h): every event offered
 * counts in produced, and is either written or lost per cause; loss not
 * yet told travels as a LOST marker in front of the next record that fits
 * (the two reserved together), so produced == drained + lost.
 */
#include <stdbool.h>
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <linux/bpf_perf_event.h>
#include <asm/processor-flags.h>	/* X86_CR0_PG, X86_CR4_PAE, _LA57 */
#include "client/vmtrace_bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* ---- the kernel's types, only what is read (CO-RE) ---- */

struct hlist_node {
	struct hlist_node *next, **pprev;
} __attribute__((preserve_access_index));

struct hlist_head {
	struct hlist_node *first;
} __attribute__((preserve_access_index));

/* Since 5.17 (both test kernels): a hash of slots by id per set. */
struct kvm_memslots {
	__u64 generation;
	struct hlist_head id_hash[128];
	int node_idx;
} __attribute__((preserve_access_index));

struct kvm_memory_slot {
	struct hlist_node id_node[2];
	__u64 base_gfn;
	unsigned long npages;
	unsigned long userspace_addr;
	__u32 flags;
	short id;
} __attribute__((preserve_access_index));

struct mm_struct;

struct kvm {
	struct mm_struct *mm;
	struct kvm_memslots *memslots[2];
	struct {
		int counter;
	} online_vcpus;
} __attribute__((preserve_access_index));

/* The VM iterator's: a task's open file, and what names it. */
struct qstr {
	const unsigned char *name;
} __attribute__((preserve_access_index));

struct dentry {
	struct qstr d_name;
} __attribute__((preserve_access_index));

struct path {
	struct dentry *dentry;
} __attribute__((preserve_access_index));

struct file {
	struct path f_path;
	void *private_data;
} __attribute__((preserve_access_index));

struct task_struct {
	int tgid;
	struct mm_struct *mm;
} __attribute__((preserve_access_index));

struct seq_file;

struct bpf_iter_meta {
	struct seq_file *seq;
} __attribute__((preserve_access_index));

struct bpf_iter__task_file {
	struct bpf_iter_meta *meta;
	struct task_struct *task;
	__u32 fd;
	struct file *file;
} __attribute__((preserve_access_index));

struct kvm_vcpu_arch {
	unsigned long regs[17];		/* NR_VCPU_REGS on x86-64 */
	__u8 handling_intr_from_guest;
	unsigned long cr3;
	__u64 efer;
	__u64 l1_tsc_offset;
	__u64 l1_tsc_scaling_ratio;
	_Bool guest_state_protected;
} __attribute__((preserve_access_index));

struct kvm_vcpu {
	struct kvm *kvm;
	int cpu;
	int vcpu_idx;
	struct kvm_vcpu_arch arch;
} __attribute__((preserve_access_index));

struct vmcb_seg {
	__u64 base;
} __attribute__((preserve_access_index));

struct vmcb_control_area {
	__u32 exit_code;
	__u64 nested_ctl;
} __attribute__((preserve_access_index));

struct vmcb_save_area {
	struct vmcb_seg gs;
	__u8 cpl;
	__u64 cr4;
	__u64 cr3;
	__u64 cr0;
	__u64 rip;
	__u64 kernel_gs_base;
} __attribute__((preserve_access_index));

struct vmcb {
	struct vmcb_control_area control;
	struct vmcb_save_area save;
} __attribute__((preserve_access_index));

struct kvm_vmcb_info {
	struct vmcb *ptr;
} __attribute__((preserve_access_index));

/* kvm-amd's: struct kvm_vcpu first, then the current VMCB. */
struct vcpu_svm {
	struct kvm_vcpu vcpu;
	struct vmcb *vmcb;
	struct kvm_vmcb_info vmcb01;
} __attribute__((preserve_access_index));

/* kvm-intel's: the exit reason KVM read from the VMCS at this exit. */
union vmx_exit_reason {
	__u32 full;
} __attribute__((preserve_access_index));

struct vcpu_vmx {
	union vmx_exit_reason exit_reason;
} __attribute__((preserve_access_index));

#define VCPU_REGS_RIP 16
#define EFER_LMA (1ULL << 10)
#define SVM_NESTED_CTL_NP_ENABLE 1ULL
/* KVM's internal enum kvm_intr_type (arch/x86/kvm/x86.h, 6.1 and 6.12). */
#define KVM_HANDLING_IRQ 1

/* ---- reading kernel memory ---- */

/*
 * A member of struct kvm_vcpu.  @btf: @vcpu is a tracepoint's argument, a
 * BTF pointer, and this a plain load (CO-RE relocated) that the verifier
 * checks against the kernel's BTF and the JIT makes fault-safe
 * (PROBE_MEM): no helper call.  Else @vcpu is a number (the sampling
 * program's last entry, or a cast past struct kvm_vcpu), which only
 * bpf_probe_read_kernel() reads.  Callers pass a constant.
 */
#define VCPU_READ(btf, vcpu, member) \
	((btf) ? (vcpu)->member : BPF_CORE_READ(vcpu, member))

/*
 * The bytes of *@src from member @first to the end of member @last,
 * copied into @buf (an array) by one bpf_probe_read_kernel(): one helper
 * call for the span instead of one per member.  @sp says which bytes of
 * *@src @buf holds; none where the span would not fit (another layout),
 * and then SPAN_GET reads each member apart.  The offsets are CO-RE's,
 * constants to the verifier, which so checks the copy against @buf and
 * drops the unused way.  A failed read leaves @buf zero, as it leaves each
 * BPF_CORE_READ.
 */
struct span {
	__u64 lo, hi;
};

#define SPAN_READ(sp, buf, src, first, last) do {				\
	(sp).lo = bpf_core_field_offset((src)->first);				\
	(sp).hi = bpf_core_field_offset((src)->last) +				\
		  bpf_core_field_size((src)->last);				\
	if ((sp).hi > (sp).lo && (sp).hi - (sp).lo <= sizeof(buf))		\
		bpf_probe_read_kernel(buf, (sp).hi - (sp).lo,			\
				      (const char *)(src) + (sp).lo);		\
	else									\
		(sp).hi = (sp).lo;						\
} while (0)

#define SPAN_HAS(sp, src, member)						\
	(bpf_core_field_offset((src)->member) >= (sp).lo &&			\
	 bpf_core_field_offset((src)->member) +					\
	 bpf_core_field_size((src)->member) <= (sp).hi)

/*
 * Where @buf holds byte @off of the source.  The verifier refuses to
 * subtract from a stack pointer: @off - @lo is reckoned apart (the barrier
 * keeps clang from folding it into the pointer).
 */
static __always_inline const void *span_at(const void *buf, __u64 off, __u64 lo)
{
	__u64 rel = off - lo;

	barrier_var(rel);
	return (const char *)buf + rel;
}

/* Member @member of *@src, from @buf where SPAN_READ put it. */
#define SPAN_GET(sp, buf, src, member)						\
	(SPAN_HAS(sp, src, member) ?						\
	 *(const typeof((src)->member) *)span_at(buf,				\
		bpf_core_field_offset((src)->member), (sp).lo) :		\
	 BPF_CORE_READ(src, member))

/* ---- configuration (the loader's) ---- */

/* Set before load: the verifier drops the other vendor's code. */
const volatile __u8 host_vendor = VMTRACE_VENDOR_UNKNOWN;

/* Per session, set by the loader before it sets recording. */
__u32 recording;
__u32 cfg_flags;		/* VMTRACE_CFG_F_* */
__u32 nr_pids;			/* 0: all VMs, else those in vm_pids */
__u32 nr_exits;			/* 0: all exit codes, else those in exit_codes */
__u32 next_vm_id;
__u32 clock_seq;
__u32 have_task_slots;		/* SET_TASK_SLOT set one this session */
struct client_bpf_clock clocks[2];

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 2 << 20);	/* the loader sizes it */
} records SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct client_bpf_cpu);
} cpus SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);	/* the loader sizes it */
	__type(key, __u64);		/* struct kvm * */
	__type(value, struct client_bpf_vm);
} vms SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VMTRACE_FILTER_MAX);
	__type(key, __u32);
	__type(value, __u8);
} vm_pids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VMTRACE_FILTER_MAX);
	__type(key, __u32);
	__type(value, __u8);
} exit_codes SEC(".maps");

/* SET_TASK_SLOT's (bpf.c): emptied at each START, as the module's. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct client_bpf_slot_key);
	__type(value, struct client_bpf_task_slot);
} task_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);	/* the loader sizes it: one per VM */
	__type(key, __u64);		/* struct kvm * */
	__type(value, struct client_bpf_tid_map);
} tid_maps SEC(".maps");

/* ---- time ---- */

/* CLOCK_MONOTONIC now, on the host TSC's scale (struct client_bpf_clock). */
static __always_inline __u64 host_tsc_now(void)
{
	__u64 ns = bpf_ktime_get_ns();
	const struct client_bpf_clock *c = &clocks[clock_seq & 1];
	__u64 tsc0 = c->tsc, ns0 = c->ns, ri = c->rate_int, rf = c->rate_frac;
	__u64 d = ns >= ns0 ? ns - ns0 : ns0 - ns;
	/* d * rf / 2^32 without 128 bits: d's halves apart. */
	__u64 cycles = d * ri + (d >> 32) * rf + (((d & 0xffffffffULL) * rf) >> 32);

	return ns >= ns0 ? tsc0 + cycles : tsc0 - cycles;
}

/*
 * (a * b) >> shift of the exact 128-bit product, 0 < shift < 64, as the
 * kernel's mul_u64_u64_shr() in kvm_scale_tsc().
 */
static __always_inline __u64 mul_shr(__u64 a, __u64 b, unsigned int shift)
{
	__u64 ah = a >> 32, al = a & 0xffffffffULL;
	__u64 bh = b >> 32, bl = b & 0xffffffffULL;
	__u64 p0 = al * bl, p1 = al * bh, p2 = ah * bl;
	__u64 mid = (p0 >> 32) + (p1 & 0xffffffffULL) + (p2 & 0xffffffffULL);
	__u64 lo = (p0 & 0xffffffffULL) | (mid << 32);
	__u64 hi = ah * bh + (p1 >> 32) + (p2 >> 32) + (mid >> 32);

	return (hi << (64 - shift)) | (lo >> shift);
}

/*
 * The guest's TSC at host TSC @tsc: kvm_read_l1_tsc().  The ratio has
 * KVM's fraction bits of the vendor (kvm_caps.tsc_scaling_ratio_frac_bits:
 * SVM 32, VMX 48); KVM's default ratio, 1 << those bits, or 1 where the
 * host cannot scale, leaves the TSC as it is, for every guest that did not
 * ask for another TSC rate.
 */
static __always_inline __u64 guest_tsc_of(struct kvm_vcpu *vcpu, bool btf, __u64 tsc)
{
	__u64 offset = VCPU_READ(btf, vcpu, arch.l1_tsc_offset);
	__u64 ratio = VCPU_READ(btf, vcpu, arch.l1_tsc_scaling_ratio);
	unsigned int frac = host_vendor == VMTRACE_VENDOR_VMX ? 48 : 32;

	if (ratio == 1 || ratio == 1ULL << frac)
		return offset + tsc;
	return offset + mul_shr(tsc, ratio, frac);
}

/* ---- the ring ---- */

/*
 * The collector drains by polling (client_bpf_read(): ring_buffer__consume()
 * between sleeps) and never waits on the ring's epoll fd: no wakeup, whose
 * irq_work a submit would queue each time the reader had caught up.
 */
#define SUBMIT_FLAGS BPF_RB_NO_WAKEUP

static __always_inline void lose(struct client_bpf_cpu *c, int cause)
{
	__sync_fetch_and_add(&c->lost[cause], 1);
	__sync_fetch_and_add(&c->pending[cause], 1);
}

/* An event offered but not recorded (no record reserved). */
static __always_inline void drop(struct client_bpf_cpu *c, int cause)
{
	__sync_fetch_and_add(&c->produced, 1);
	lose(c, cause);
}

static __always_inline void fill_marker(struct vmtrace_record *m,
					struct client_bpf_cpu *c, __u64 tsc)
{
	__builtin_memset(m, 0, sizeof(*m));
	m->host_tsc = tsc;
	m->kind = VMTRACE_KIND_LOST;
	m->host_cpu = bpf_get_smp_processor_id();
	/* xchg: a VM_GONE program preempted here may add to pending. */
	m->u.lost[0] = __sync_lock_test_and_set(&c->pending[0], 0);
	m->u.lost[1] = __sync_lock_test_and_set(&c->pending[1], 0);
	m->u.lost[2] = __sync_lock_test_and_set(&c->pending[2], 0);
}

/* Fill the event part of a record: what every kind has. */
static __always_inline void fill_common(struct vmtrace_record *r, __u64 tsc,
					__u8 kind, __u32 vm_id, __u32 pid)
{
	__builtin_memset(r, 0, sizeof(*r));
	r->host_tsc = tsc;
	r->entry_delta = VMTRACE_ENTRY_DELTA_UNKNOWN;
	r->vm_id = vm_id;
	r->vmm_pid = pid;
	r->host_cpu = bpf_get_smp_processor_id();
	r->kind = kind;
	r->vendor = host_vendor;
}

/*
 * Offer one event: its record reserved, behind a LOST marker if loss is
 * owed (the two at once, so the marker is never alone); *@base is what
 * to submit.  NULL: the ring is full, the event counted as lost.
 */
static __always_inline struct vmtrace_record *
reserve_event(struct client_bpf_cpu *c, __u64 tsc, struct vmtrace_record **base)
{
	__sync_fetch_and_add(&c->produced, 1);
	if (c->pending[0] | c->pending[1] | c->pending[2]) {
		*base = bpf_ringbuf_reserve(&records, 2 * sizeof(**base), 0);
		if (!*base) {
			lose(c, VMTRACE_LOST_RING_FULL);
			return NULL;
		}
		fill_marker(*base, c, tsc);
		return *base + 1;
	}
	*base = bpf_ringbuf_reserve(&records, sizeof(**base), 0);
	if (!*base)
		lose(c, VMTRACE_LOST_RING_FULL);
	return *base;
}

/* A VM_NEW (a VM first seen now) or VM_GONE (destroyed) record. */
static __always_inline void emit_vm(struct client_bpf_cpu *c, __u64 tsc, __u8 kind,
				    __u32 id, __u32 pid, struct kvm *kvm)
{
	struct vmtrace_record *base, *r = reserve_event(c, tsc, &base);

	if (!r)
		return;
	fill_common(r, tsc, kind, id, pid);
	r->exit_reason = BPF_CORE_READ(kvm, online_vcpus.counter);
	bpf_ringbuf_submit(base, SUBMIT_FLAGS);
}

/* ---- guest state ---- */

/*
 * Whether the VMCB after struct kvm_vcpu is this vCPU's, checked at the
 * VM's first exit as the module does (kmod/svm.c): page-aligned, and its
 * saved RIP the one KVM copied out of it (RIP is copied eagerly on SVM).
 */
static __always_inline int svm_vmcb_sane(struct kvm_vcpu *vcpu, bool btf)
{
	struct vmcb *vmcb = BPF_CORE_READ((struct vcpu_svm *)vcpu, vmcb);

	if (!vmcb || ((unsigned long)vmcb & 0xfff))
		return 0;
	if (VCPU_READ(btf, vcpu, arch.guest_state_protected))
		return 1;
	return BPF_CORE_READ(vmcb, save.rip) ==
	       VCPU_READ(btf, vcpu, arch.regs[VCPU_REGS_RIP]);
}

/*
 * Guest state from the VMCB, as kmod/svm.c reads it: what the CPU saved
 * at this #VMEXIT.  Not vcpu->arch.cr3: KVM refreshes it from the VMCB
 * only after kvm_exit (svm_handle_exit()), so here it is the previous
 * exit's CR3 and would name the wrong guest process.
 */
static __always_inline void svm_read_state(struct kvm_vcpu *vcpu, bool btf,
					   struct vmtrace_record *r)
{
	/*
	 * struct vcpu_svm lies past the struct kvm_vcpu the verifier knows:
	 * read by number, as the VMCB.  Four spans, 232 bytes of stack:
	 * the VMCB's exit code and nested paging control, GS to CPL, CR4 to
	 * RIP; KERNEL_GS_BASE apart, at CPL 3 only.
	 */
	struct vcpu_svm *svm = (struct vcpu_svm *)vcpu;
	__u64 svm_buf[2], ctl_buf[5], seg_buf[15], cr_buf[7];
	struct span svm_sp, ctl_sp, seg_sp, cr_sp;
	struct vmcb *vmcb;
	__u64 cr0, cr4;
	__u8 cpl, mode;

	SPAN_READ(svm_sp, svm_buf, svm, vmcb, vmcb01.ptr);
	vmcb = SPAN_GET(svm_sp, svm_buf, svm, vmcb);
	SPAN_READ(ctl_sp, ctl_buf, vmcb, control.exit_code, control.nested_ctl);
	r->exit_reason = SPAN_GET(ctl_sp, ctl_buf, vmcb, control.exit_code);
	if (VCPU_READ(btf, vcpu, arch.guest_state_protected)) {
		/* SEV-ES/SNP: the save area is encrypted. */
		r->flags |= VMTRACE_REC_F_NO_STATE;
		return;
	}
	SPAN_READ(seg_sp, seg_buf, vmcb, save.gs.base, save.cpl);
	SPAN_READ(cr_sp, cr_buf, vmcb, save.cr4, save.rip);
	cpl = SPAN_GET(seg_sp, seg_buf, vmcb, save.cpl) & 3;
	r->u.g.guest_rip = SPAN_GET(cr_sp, cr_buf, vmcb, save.rip);
	/* Without nested paging every CR3 write exits: arch.cr3 is current. */
	if (SPAN_GET(ctl_sp, ctl_buf, vmcb, control.nested_ctl) & SVM_NESTED_CTL_NP_ENABLE)
		r->u.g.guest_cr3 = SPAN_GET(cr_sp, cr_buf, vmcb, save.cr3);
	else
		r->u.g.guest_cr3 = VCPU_READ(btf, vcpu, arch.cr3);
	if (cpl) {
		/* At CPL 3 Linux keeps its per-CPU base in KERNEL_GS_BASE. */
		r->u.g.guest_gs_base = BPF_CORE_READ(vmcb, save.kernel_gs_base);
		r->flags |= VMTRACE_REC_F_GS_USER;
	} else {
		r->u.g.guest_gs_base = SPAN_GET(seg_sp, seg_buf, vmcb, save.gs.base);
	}
	cr0 = SPAN_GET(cr_sp, cr_buf, vmcb, save.cr0);
	cr4 = SPAN_GET(cr_sp, cr_buf, vmcb, save.cr4);
	mode = cpl;
	if (cpl == 3)
		mode |= VMTRACE_MODE_USER;
	if (VCPU_READ(btf, vcpu, arch.efer) & EFER_LMA)
		mode |= VMTRACE_MODE_LONG;
	if (cr4 & X86_CR4_LA57)
		mode |= VMTRACE_MODE_LA57;
	if (cr4 & X86_CR4_PAE)
		mode |= VMTRACE_MODE_PAE;
	if (cr0 & X86_CR0_PG)
		mode |= VMTRACE_MODE_PAGING;
	/*
	 * The vCPU runs its own (L2) guest when the current VMCB is not
	 * vmcb01: the state is L2's, and the GS bases are not the L1
	 * kernel's per-CPU base (KVM VMSAVEs them into vmcb01).  The
	 * module asks HF_GUEST_MASK, a #define whose value changed between
	 * 6.1 and 6.12 and that BTF cannot tell.
	 */
	if (vmcb != SPAN_GET(svm_sp, svm_buf, svm, vmcb01.ptr)) {
		mode |= VMTRACE_MODE_NESTED;
		r->u.g.guest_gs_base = 0;
		r->flags &= ~VMTRACE_REC_F_GS_USER;
	}
	r->mode = mode;
}

/*
 * The basic exit reason, and bit 31 if the VM-entry itself failed, as
 * the module records it on VMX (kmod/vmx.c).
 */
#define VMX_EXIT_REASONS_FAILED_VMENTRY 0x80000000U

static __always_inline __u32 vmx_exit_reason(struct kvm_vcpu *vcpu)
{
	return BPF_CORE_READ((struct vcpu_vmx *)vcpu, exit_reason.full) &
	       (0xffffU | VMX_EXIT_REASONS_FAILED_VMENTRY);
}

/* ---- the guest's current task (SET_TASK_SLOT) ---- */

/*
 * The pid of guest task @task, for a SAMPLE (VMTRACE_REC_F_TID), as the
 * module's vmt_read_tid(): @task in the guest's direct map, its pid field's
 * guest-physical address in one of the VM's RAM memslots as SET_TASK_SLOT
 * saw them, read in the VMM.  Nothing if it is not there or would fault.
 */
static __always_inline void read_tid(__u64 kvm, __u64 task, struct vmtrace_record *r)
{
	const struct client_bpf_tid_map *m = bpf_map_lookup_elem(&tid_maps, &kvm);
	__u64 gpa;
	__u32 tid;

	if (!m || task < m->direct_map)
		return;
	gpa = task - m->direct_map + m->pid_offset;
	for (int i = 0; i < VMT_BPF_TID_RANGES; i++) {
		if (i >= m->nr_ranges)
			return;
		if (gpa < m->range[i].gpa || gpa - m->range[i].gpa > m->range[i].size - sizeof(tid))
			continue;
		if (bpf_probe_read_user(&tid, sizeof(tid),
					(const void *)(m->range[i].hva + (gpa - m->range[i].gpa))))
			return;
		r->guest_tid = tid;
		r->flags |= VMTRACE_REC_F_TID;
		return;
	}
}

/*
 * The guest's current task, from the slot the collector set for this vCPU
 * and GS base, in place of the GS base, as the module's vmt_read_task():
 * the slot is an address in the VMM, and the program runs in one of its
 * vCPU threads (checked: current's mm is the VM's); bpf_probe_read_user()
 * copies with page faults off, so a page not present fails the read
 * (TASK_FAULT), and nothing sleeps or is faulted in.
 */
static __always_inline void read_task(struct kvm_vcpu *vcpu, bool btf, struct vmtrace_record *r)
{
	struct kvm *kvm = VCPU_READ(btf, vcpu, kvm);
	struct client_bpf_slot_key key = { .kvm = (__u64)kvm, .vcpu = r->vcpu };
	const struct client_bpf_task_slot *slot;
	struct task_struct *cur;
	__u64 task;

	/* No slot set this session: not even the lookup. */
	if (!have_task_slots)
		return;
	slot = bpf_map_lookup_elem(&task_slots, &key);
	if (!slot || !slot->hva || slot->gs_base != r->u.g.guest_gs_base)
		return;
	cur = (struct task_struct *)bpf_get_current_task();
	if (BPF_CORE_READ(cur, mm) != BPF_CORE_READ(kvm, mm))
		return;
	if (bpf_probe_read_user(&task, sizeof(task), (const void *)slot->hva)) {
		r->flags |= VMTRACE_REC_F_TASK_FAULT;
		return;
	}
	r->u.g.guest_task = task;
	r->flags |= VMTRACE_REC_F_TASK;
	if (r->kind == VMTRACE_KIND_SAMPLE)
		read_tid((__u64)kvm, task, r);
}

/* ---- VMs ---- */

/* Whether the records of @vcpu's VM can carry guest state (vm->state_ok). */
static __always_inline __u32 vm_state_ok(struct kvm_vcpu *vcpu, bool btf)
{
	if (host_vendor == VMTRACE_VENDOR_SVM)
		return svm_vmcb_sane(vcpu, btf);
	/* VMX: the exit reason alone, from kvm_intel's BTF. */
	return host_vendor == VMTRACE_VENDOR_VMX;
}

/*
 * Track the VM at @kvm of VMM @tgid from now on: a fresh id, its VMCB not
 * yet checked (its first exit does), and a VM_NEW record if @tell.  The
 * entry, or NULL when the table is full.  Two CPUs inserting at once: one
 * insert wins, the other uses it (its id is skipped).
 */
static __always_inline struct client_bpf_vm *vm_track(struct client_bpf_cpu *c, __u64 tsc,
						    struct kvm *kvm, __u32 tgid, bool tell)
{
	struct client_bpf_vm *vm, fresh = { .pid = tgid };
	__u64 key = (__u64)kvm;
	long err;

	fresh.id = __sync_add_and_fetch(&next_vm_id, 1);
	err = bpf_map_update_elem(&vms, &key, &fresh, BPF_NOEXIST);
	vm = bpf_map_lookup_elem(&vms, &key);
	if (!err && vm && tell && c)
		emit_vm(c, tsc, VMTRACE_KIND_VM_NEW, vm->id, vm->pid, kvm);
	return vm;
}

/*
 * The VM of @vcpu, tracked from its first exit on (or the VM iterator's
 * first sight of it), with a VM_NEW record then; NULL, counted as lost
 * (vm_table), when the table is full.
 */
static __always_inline struct client_bpf_vm *vm_of(struct client_bpf_cpu *c,
						struct kvm_vcpu *vcpu, bool btf,
						__u32 tgid, __u64 tsc)
{
	struct kvm *kvm = VCPU_READ(btf, vcpu, kvm);
	__u64 key = (__u64)kvm;
	struct client_bpf_vm *vm = bpf_map_lookup_elem(&vms, &key);

	/*
	 * A VM's vCPUs run in its VMM's threads only (KVM refuses the vCPU
	 * ioctls of another mm): another pid is another VM at a freed
	 * struct kvm's address, whose end no VM_GONE hook saw.
	 */
	if (vm && vm->pid != tgid) {
		bpf_map_delete_elem(&vms, &key);
		vm = NULL;
	}
	if (!vm)
		vm = vm_track(c, tsc, kvm, tgid, true);
	if (!vm) {
		drop(c, VMTRACE_LOST_VM_TABLE);
		return NULL;
	}
	if (!vm->checked) {
		vm->state_ok = vm_state_ok(vcpu, btf);
		vm->checked = 1;
	}
	return vm;
}

/* ---- the programs ---- */

/*
 * An EXIT or SAMPLE record of @vcpu of @vm, stopped in an exit on this
 * CPU, as the module's vmt_fill(): every field written.  @btf: see
 * VCPU_READ.
 */
static __always_inline void fill_guest(struct vmtrace_record *r, __u64 tsc, __u8 kind,
				       struct kvm_vcpu *vcpu, bool btf,
				       const struct client_bpf_vm *vm)
{
	fill_common(r, tsc, kind, vm->id, vm->pid);
	r->guest_tsc = guest_tsc_of(vcpu, btf, tsc);
	r->vcpu = VCPU_READ(btf, vcpu, vcpu_idx);
	if (vm->state_ok && host_vendor == VMTRACE_VENDOR_SVM) {
		svm_read_state(vcpu, btf, r);
		/* Not of a nested guest: its GS base is left out, 0. */
		if (!(r->flags & VMTRACE_REC_F_NO_STATE) && r->u.g.guest_gs_base)
			read_task(vcpu, btf, r);
		return;
	}
	/*
	 * Intel: the guest's registers are in the VMCS, which only VMREAD
	 * reads (the module's way); the exit reason KVM read at the exit is
	 * in struct vcpu_vmx.  Elsewhere (the VMCB check failed, no vendor
	 * module): nothing.
	 */
	r->exit_reason = vm->state_ok && host_vendor == VMTRACE_VENDOR_VMX ?
			 vmx_exit_reason(vcpu) : VMTRACE_EXIT_REASON_UNKNOWN;
	r->flags = VMTRACE_REC_F_NO_STATE;
}

static __always_inline struct client_bpf_cpu *this_cpu(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&cpus, &zero);
}

SEC("tp_btf/kvm_entry")
int BPF_PROG(vmt_entry, struct kvm_vcpu *vcpu)
{
	struct client_bpf_cpu *c;

	/*
	 * Never NULL, but 6.12's verifier takes a raw tracepoint's pointer
	 * arguments as maybe-NULL (stable backport of "bpf: Mark raw_tp
	 * arguments with PTR_MAYBE_NULL") and refuses the CO-RE offset
	 * arithmetic on them until they are checked.  Checked, @vcpu is a
	 * BTF pointer, its members plain loads (VCPU_READ).
	 */
	if (!vcpu || !recording)
		return 0;
	c = this_cpu();
	if (!c)
		return 0;
	c->entry_vcpu = (__u64)vcpu;
	c->entry_kvm = (__u64)vcpu->kvm;
	c->entry_tsc = host_tsc_now();
	return 0;
}

SEC("tp_btf/kvm_exit")
int BPF_PROG(vmt_exit, struct kvm_vcpu *vcpu, __u32 isa)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct vmtrace_record *base, *r;
	struct client_bpf_cpu *c;
	struct client_bpf_vm *vm;
	__u32 reason;
	__u64 tsc;

	/* vcpu: see vmt_entry(). */
	if (!vcpu || !recording || (cfg_flags & VMTRACE_CFG_F_NO_EXITS))
		return 0;
	/* Excluded VMs cost this and nothing more. */
	if (nr_pids && !bpf_map_lookup_elem(&vm_pids, &tgid))
		return 0;
	c = this_cpu();
	if (!c)
		return 0;
	tsc = host_tsc_now();
	vm = vm_of(c, vcpu, true, tgid, tsc);
	if (!vm)
		return 0;
	/* A VM that failed the check keeps all its exits, reason unknown. */
	if (nr_exits && vm->state_ok && host_vendor != VMTRACE_VENDOR_UNKNOWN) {
		reason = host_vendor == VMTRACE_VENDOR_SVM ?
			 BPF_CORE_READ((struct vcpu_svm *)vcpu, vmcb, control.exit_code) :
			 vmx_exit_reason(vcpu);
		if (!bpf_map_lookup_elem(&exit_codes, &reason))
			return 0;
	}

	r = reserve_event(c, tsc, &base);
	if (!r)
		return 0;
	fill_guest(r, tsc, VMTRACE_KIND_EXIT, vcpu, true, vm);
	/* Entry and exit on one CPU: else the vCPU moved, delta unknown. */
	if (c->entry_vcpu == (__u64)vcpu &&
	    c->entry_kvm == (__u64)vcpu->kvm &&
	    tsc >= c->entry_tsc && tsc - c->entry_tsc < VMTRACE_ENTRY_DELTA_UNKNOWN)
		r->entry_delta = tsc - c->entry_tsc;
	bpf_ringbuf_submit(base, SUBMIT_FLAGS);
	return 0;
}

SEC("fentry/kvm_destroy_vm")
int BPF_PROG(vmt_vm_gone, struct kvm *kvm)
{
	__u64 key = (__u64)kvm;
	struct client_bpf_vm *vm = bpf_map_lookup_elem(&vms, &key);
	struct client_bpf_cpu *c;
	__u32 id, pid;

	if (!vm || !kvm)
		return 0;
	id = vm->id;
	pid = vm->pid;
	bpf_map_delete_elem(&vms, &key);
	if (!recording)
		return 0;
	c = this_cpu();
	if (c)
		emit_vm(c, host_tsc_now(), VMTRACE_KIND_VM_GONE, id, pid, kvm);
	return 0;
}

/*
 * One sampling interrupt (cpu-clock: a hard-IRQ hrtimer).  It hit the
 * guest when KVM took it in its interrupt window after the exit it
 * caused: the vCPU that last entered the guest on this CPU (kvm_entry's
 * stamp) is still loaded here and handles an IRQ from the guest, as
 * kvm_arch_pmi_in_guest() asks; the VMCB then holds the guest's state at
 * the interrupt.
 */
SEC("perf_event")
int vmt_sample(struct bpf_perf_event_data *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct vmtrace_record *base, *r;
	struct kvm_vcpu *vcpu;
	struct client_bpf_cpu *c;
	struct client_bpf_vm *vm;
	__u64 tsc;

	if (!recording)
		return 0;
	c = this_cpu();
	if (!c)
		return 0;
	tsc = host_tsc_now();
	/*
	 * A number, not a BTF pointer (VCPU_READ's other way): nor would
	 * KVM's per-CPU kvm_running_vcpu give one, bpf_this_cpu_ptr() of a
	 * pointer variable being memory whose loads are numbers.
	 */
	vcpu = (struct kvm_vcpu *)c->entry_vcpu;
	if (vcpu && BPF_CORE_READ(vcpu, arch.handling_intr_from_guest) == KVM_HANDLING_IRQ &&
	    BPF_CORE_READ(vcpu, cpu) == (int)bpf_get_smp_processor_id()) {
		if (nr_pids && !bpf_map_lookup_elem(&vm_pids, &tgid))
			return 0;
		vm = vm_of(c, vcpu, false, tgid, tsc);
		if (!vm)
			return 0;
		r = reserve_event(c, tsc, &base);
		if (!r)
			return 0;
		fill_guest(r, tsc, VMTRACE_KIND_SAMPLE, vcpu, false, vm);
		bpf_ringbuf_submit(base, SUBMIT_FLAGS);
		return 0;
	}

	__sync_fetch_and_add(&c->host_samples, 1);
	if (!(cfg_flags & VMTRACE_CFG_F_HOST_SAMPLES))
		return 0;
	r = reserve_event(c, tsc, &base);
	if (!r)
		return 0;
	fill_common(r, tsc, VMTRACE_KIND_SAMPLE, 0, tgid);
	r->vendor = VMTRACE_VENDOR_UNKNOWN;
	r->flags = VMTRACE_REC_F_HOST;
	/* The host RIP, in the guest_rip slot, as the module's. */
	r->u.g.guest_rip = ctx->regs.rip;
	r->mode = (ctx->regs.cs & 3) == 3 ? 3 | VMTRACE_MODE_USER : 0;
	bpf_ringbuf_submit(base, SUBMIT_FLAGS);
	return 0;
}

/* ---- the VM iterator: every VM's identity and memslots ---- */

/*
 * One VM's description, built here and written to the seq_file at once
 * (bpf_seq_write() of a bounded length; bpf_loop()'s callbacks cannot
 * hold the seq_file).
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct client_bpf_vm_buf);
} vm_buf SEC(".maps");

struct slot_walk {
	struct kvm_memslots *slots;	/* a number: read with probe reads */
	__u64 node_off;			/* of the set's id_node[] in a slot */
	__u32 as;
	__u32 truncated;
};

/*
 * Bucket @i of one memslot set's id hash: each slot on its chain, at most
 * VMT_BPF_SLOT_CHAIN_MAX (KVM hashes up to 509 user slots into 128
 * buckets by id).  Every pointer is read by number, through
 * bpf_probe_read_kernel(): a table changing under the walk reads wrong,
 * never faults, and walk_slots() then says STALE.
 */
static long walk_bucket(__u32 i, void *arg)
{
	struct slot_walk *w = arg;
	struct kvm_memslots *slots = w->slots;
	struct client_bpf_vm_buf *buf;
	struct hlist_node *node = NULL;
	struct kvm_memory_slot *slot;
	__u32 zero = 0, n, j;

	buf = bpf_map_lookup_elem(&vm_buf, &zero);
	if (!buf || i >= 128)
		return 1;
	bpf_probe_read_kernel(&node, sizeof(node), &slots->id_hash[i].first);
	for (j = 0; j < VMT_BPF_SLOT_CHAIN_MAX && node; j++) {
		struct client_bpf_slot *out;

		n = buf->desc.nr_slots;
		if (n >= VMT_BPF_SLOTS_MAX) {
			w->truncated = 1;
			return 1;
		}
		slot = (struct kvm_memory_slot *)((char *)node - w->node_off);
		out = &buf->slots[n];
		out->gpa = BPF_CORE_READ(slot, base_gfn) << 12;
		out->size = BPF_CORE_READ(slot, npages) << 12;
		out->hva = BPF_CORE_READ(slot, userspace_addr);
		out->flags = BPF_CORE_READ(slot, flags);
		out->id = w->as << 16 | (__u16)BPF_CORE_READ(slot, id);
		buf->desc.nr_slots = n + 1;
		node = BPF_CORE_READ(node, next);
	}
	if (node)
		w->truncated = 1;
	return 0;
}

/*
 * Address space @as's memslots into @buf; 0, or STALE when the set
 * changed meanwhile (another active set, another generation, or a swap
 * in progress: KVM's bit 63).
 */
static __always_inline __u32 walk_slots(struct kvm *kvm, __u32 as,
					struct client_bpf_vm_buf *buf)
{
	struct slot_walk w = { .as = as };
	struct kvm_memslots *slots, *again;
	__u64 gen, gen_after;
	int node_idx;

	/* A plain pointer: BPF_CORE_READ of w.slots would relocate w too. */
	slots = as ? BPF_CORE_READ(kvm, memslots[1]) : BPF_CORE_READ(kvm, memslots[0]);
	if (!slots)
		return 0;
	gen = BPF_CORE_READ(slots, generation);
	node_idx = BPF_CORE_READ(slots, node_idx);
	if (node_idx & ~1)
		return VMT_BPF_DESC_F_STALE;
	w.slots = slots;
	w.node_off = bpf_core_field_offset(struct kvm_memory_slot, id_node) +
		     node_idx * bpf_core_type_size(struct hlist_node);
	bpf_loop(128, walk_bucket, &w, 0);
	again = as ? BPF_CORE_READ(kvm, memslots[1]) : BPF_CORE_READ(kvm, memslots[0]);
	gen_after = BPF_CORE_READ(slots, generation);
	if (w.truncated)
		buf->desc.flags |= VMT_BPF_DESC_F_TRUNCATED;
	if (again != slots || gen_after != gen || (gen >> 63))
		return VMT_BPF_DESC_F_STALE;
	return 0;
}

/*
 * Each open KVM VM file ("kvm-vm", KVM's anonymous inode) of each process
 * (the task_file iterator visits a process's file table once, holding a
 * reference to the file, so the struct kvm lives while read here): the
 * VM's id (given now if no exit has been seen yet, with VM_NEW during a
 * session), VMM pid, vCPUs and memslots.
 */
SEC("iter/task_file")
int vmt_vms_iter(struct bpf_iter__task_file *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct client_bpf_vm_buf *buf;
	struct client_bpf_vm *vm;
	const unsigned char *name;
	union {
		char c[8];
		__u64 u;
	} nbuf = {};
	__u32 zero = 0, n, tgid;
	struct kvm *kvm;
	__u64 key;

	if (!task || !file)
		return 0;
	name = BPF_CORE_READ(file, f_path.dentry, d_name.name);
	/* "kvm-vm" and its NUL, as one little-endian number. */
	if (bpf_probe_read_kernel_str(nbuf.c, sizeof(nbuf.c), name) != 7 ||
	    nbuf.u != 0x00006d762d6d766bULL)
		return 0;
	kvm = BPF_CORE_READ(file, private_data);
	buf = bpf_map_lookup_elem(&vm_buf, &zero);
	if (!kvm || !buf)
		return 0;
	tgid = BPF_CORE_READ(task, tgid);
	key = (__u64)kvm;
	__builtin_memset(&buf->desc, 0, sizeof(buf->desc));
	buf->desc.kvm = key;
	buf->desc.pid = tgid;
	buf->desc.nr_vcpus = BPF_CORE_READ(kvm, online_vcpus.counter);

	/*
	 * Not seen yet: an id now.  An entry there is kept, even of another
	 * pid (a file passed to another process): its first exit decides
	 * (vm_of()).
	 */
	vm = bpf_map_lookup_elem(&vms, &key);
	if (!vm)
		vm = vm_track(this_cpu(), host_tsc_now(), kvm, tgid,
			      recording && (!nr_pids || bpf_map_lookup_elem(&vm_pids, &tgid)));
	if (vm) {
		buf->desc.id = vm->id;
		buf->desc.pid = vm->pid;
		buf->desc.state_ok = vm->checked ? vm->state_ok : 1;
	} else {
		buf->desc.flags |= VMT_BPF_DESC_F_NO_ID;
	}

	if (bpf_core_field_exists(struct kvm_memslots, node_idx) &&
	    bpf_core_field_exists(struct kvm_memslots, id_hash)) {
		buf->desc.flags |= walk_slots(kvm, 0, buf);
		buf->desc.flags |= walk_slots(kvm, 1, buf);
	} else {
		buf->desc.flags |= VMT_BPF_DESC_F_NO_SLOTS;
	}
	n = buf->desc.nr_slots;
	if (n > VMT_BPF_SLOTS_MAX)
		n = VMT_BPF_SLOTS_MAX;
	bpf_seq_write(seq, buf, sizeof(buf->desc) + n * sizeof(buf->slots[0]));
	return 0;
}
