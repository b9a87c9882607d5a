// SPDX-License-Identifier: GPL-2.0
/*
 * Intel VMX: guest state straight from the current VMCS.
 *
 * KVM loads RIP and CR3 lazily on VMX, and its helpers for that are
 * internal; but wherever vmtrace looks (the kvm_exit probe, which runs in
 * vmx_vcpu_run() with IRQs off, and KVM's interrupt-handling windows after
 * an exit) the vCPU's VMCS is the current one on this CPU, so VMREAD with
 * the architectural field encodings reads exactly what the CPU saved at
 * the exit.  For a nested guest that is vmcs02, i.e. L2's state.
 *
 * These readers run in tracepoint probes, hard-IRQ timers and PMU NMIs,
 * so nothing here may oops, and each of them assumes the worst:
 *
 * - VMX may be off.  cpu_emergency_disable_virtualization() (crash, reboot
 *   and kexec NMIs) does VMXOFF behind KVM's back, and then VMPTRST and
 *   VMREAD raise #UD.  CR4.VMXE is checked first, and every VMX
 *   instruction has an exception-table fixup (asm goto + _ASM_EXTABLE, as
 *   in KVM's vmx_ops.h), so a fault is a failed read, never an oops.
 * - No VMCS may be current: VMPTRST reads all-ones, and a VMREAD fails
 *   with VMfailInvalid (CF=1).  Then nothing is read.
 * - KVM may be using Hyper-V's enlightened VMCS (KVM on Hyper-V): the
 *   guest state lives in a memory structure that Hyper-V, not the CPU,
 *   keeps, and there is no current VMCS in the hardware sense.  KVM picks
 *   eVMCS at load when Hyper-V recommends it; vmtrace makes the same test
 *   (vmt_vmx_evmcs_possible()) and then never issues a VMX instruction.
 * - The host may itself be a guest (X86_FEATURE_HYPERVISOR).  Every VMREAD
 *   may then trap to L0 (unless L0 shadows that field) and VMPTRST always
 *   does, so the count per record is kept small: see vmt_vmx_fill().
 *
 * Any of these gives a record with VMTRACE_REC_F_NO_STATE, guest fields and
 * mode zero, and exit_reason VMTRACE_EXIT_REASON_UNKNOWN unless it was read.
 *
 * Which VMCS is current is checked, not whose: struct vcpu_vmx is internal
 * to kvm-intel.  The readers run only where KVM itself has this vCPU's
 * VMCS loaded (see above); KVM's one other use of VMPTRLD in the host, the
 * shadow VMCS sync for nested guests, runs in the vCPU thread outside
 * those windows.
 *
 * This file cannot run in the project's QEMU test bed (TCG emulates SVM
 * only); it is compiled for every supported kernel and kept small.
 */
#include <linux/kvm_host.h>
#include <asm/vmx.h>
#include <asm/asm.h>
#include <asm/msr.h>
#include <asm/cpufeature.h>
#include <asm/hypervisor.h>
#include <asm/mshyperv.h>
#include <asm/special_insns.h>
#include <asm/processor-flags.h>
#include "vmtrace.h"

/* VMPTRST's answer when no VMCS is current. */
#define VMT_VMCS_NONE (~0ULL)

/*
 * The VMX instructions, with failure and #UD/#GP as a false return.
 *
 * The destination is memory, through a pointer: asm goto with output
 * operands is avoided because Debian's kernels are built with GCC 12.2,
 * which 6.12's Kconfig marks GCC_ASM_GOTO_OUTPUT_BROKEN (so KVM there
 * falls back to a trampoline); one form serves both kernels.  A fault
 * jumps to the same label as a VMfail (jna: CF or ZF set).
 */
static __always_inline bool vmt_vmread(unsigned long field,
				       unsigned long *value)
{
	asm goto("1: vmread %[field], (%[value])\n\t"
		 "jna %l[fail]\n\t"
		 _ASM_EXTABLE(1b, %l[fail])
		 : : [field] "r"(field), [value] "r"(value)
		 : "cc", "memory" : fail);
	return true;
fail:
	return false;
}

/* VMPTRST always succeeds in VMX root operation; it can only fault. */
static __always_inline bool vmt_vmptrst(u64 *pa)
{
	asm goto("1: vmptrst (%[pa])\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : [pa] "r"(pa) : "memory" : fault);
	return true;
fault:
	return false;
}

/*
 * Would kvm-intel use Hyper-V's enlightened VMCS on this host?  The same
 * test as its vmx_init() (6.1) / hv_init_evmcs() (6.12): Hyper-V
 * recommends eVMCS and offers version 1 or later.  kvm-intel can still
 * decline (its enlightened_vmcs=0 parameter, or a CPU without a VP
 * assist page), but neither is visible from here, so this errs towards
 * reading nothing.  Only boot-time constants: cheap, and safe in NMI.
 */
static __always_inline bool vmt_vmx_evmcs_possible(void)
{
	return IS_ENABLED(CONFIG_HYPERV) &&
	       hypervisor_is_type(X86_HYPER_MS_HYPERV) &&
	       (ms_hyperv.hints & HV_X64_ENLIGHTENED_VMCS_RECOMMENDED) &&
	       (ms_hyperv.nested_features & HV_X64_ENLIGHTENED_VMCS_VERSION) >= 1;
}

/*
 * Is a VMCS current on this CPU, so that VMREAD reads it?  VMXE in CR4 is
 * cleared with every VMXOFF, emergency ones included, and a CR4 read never
 * exits to a hypervisor.  VMPTRST then tells whether a VMCS is current.
 * Under a hypervisor VMPTRST always traps, and a VMREAD with no current
 * VMCS fails (VMfailInvalid) just as cleanly, so there the caller's first
 * VMREAD is the check and VMPTRST is skipped.
 */
static __always_inline bool vmt_vmcs_current(void)
{
	u64 pa;

	if (unlikely(vmt_vmx_evmcs_possible()))
		return false;
	if (unlikely(!(__read_cr4() & X86_CR4_VMXE)))
		return false;
	if (static_cpu_has(X86_FEATURE_HYPERVISOR))
		return true;
	return vmt_vmptrst(&pa) && pa != VMT_VMCS_NONE;
}

/* The basic reason, and bit 31 if the VM-entry itself failed. */
static __always_inline bool vmt_read_exit_reason(u32 *reason)
{
	unsigned long v;

	if (!vmt_vmread(VM_EXIT_REASON, &v))
		return false;
	*reason = v & (0xffffU | VMX_EXIT_REASONS_FAILED_VMENTRY);
	return true;
}

/* Called once at load, after the vendor is known to be VMX. */
void vmt_vmx_init(void)
{
	if (vmt_vmx_evmcs_possible())
		pr_info("vmtrace: Hyper-V recommends the enlightened VMCS: VMX guest state is not recorded (records have NO_STATE)\n");
	else if (boot_cpu_has(X86_FEATURE_HYPERVISOR))
		pr_info("vmtrace: host runs under a hypervisor: up to 5 VMREADs per record may trap to it\n");
}

/*
 * Whether any VMCS state can be read on this host: for probe.c's per-VM
 * check at first sight (vm->state_ok), so that under eVMCS the records get
 * NO_STATE, the VM VMTRACE_VM_F_NO_STATE, and vmx.c is not even called.
 */
bool vmt_vmx_state_readable(void)
{
	return !vmt_vmx_evmcs_possible();
}

/* The exit reason for the exit filter; VMTRACE_EXIT_REASON_UNKNOWN if none. */
u32 vmt_vmx_exit_reason(void)
{
	u32 reason;

	if (!vmt_vmcs_current() || !vmt_read_exit_reason(&reason))
		return VMTRACE_EXIT_REASON_UNKNOWN;
	return reason;
}

/*
 * One of the paging bits of a guest control register, as the guest set it.
 * KVM intercepts every change of a bit the guest does not own, keeping
 * vcpu->arch.cr0/cr4 current for them; CR0.PG and CR4.PAE/LA57 are never
 * guest-owned (not in KVM_POSSIBLE_CR{0,4}_GUEST_BITS in 6.1 or 6.12), so
 * this is KVM's own kvm_read_cr{0,4}_bits() and costs no VMREAD.  The VMCS
 * copy would be wrong here anyway: without unrestricted guest KVM forces
 * PG on in real mode and, without EPT, PAE always.  Should a bit ever be
 * guest-owned, the VMCS holds the guest's value for it.
 */
static __always_inline bool vmt_cr_bits(unsigned long cached,
					unsigned long owned, unsigned long mask,
					unsigned long field, unsigned long *val)
{
	unsigned long hw;

	if (likely(!(owned & mask))) {
		*val = cached & mask;
		return true;
	}
	if (!vmt_vmread(field, &hw))
		return false;
	*val = ((cached & ~owned) | (hw & owned)) & mask;
	return true;
}

/*
 * The guest state, the VMCS known to be current and the exit reason read.
 * VMREADs: GUEST_RIP, GUEST_SS_AR_BYTES, GUEST_CR3 only with EPT and guest
 * paging on, GUEST_GS_BASE only at CPL 0; so with the exit reason 3 to 5
 * (typically 5 for a guest kernel, 4 for user mode), plus one VMPTRST on
 * bare metal.  The old reader did 7 to 8 (CR0, CR4 and the execution
 * controls besides, and the exit reason twice with the exit filter on).
 */
static __always_inline bool vmt_vmx_fill(struct kvm_vcpu *vcpu,
					 struct vmtrace_record *rec)
{
	unsigned long rip, cr3, ss_ar, gs, cr0, cr4;
	u8 cpl, mode;

	if (!vmt_vmread(GUEST_RIP, &rip) ||
	    !vmt_vmread(GUEST_SS_AR_BYTES, &ss_ar) ||
	    !vmt_cr_bits(vcpu->arch.cr0, vcpu->arch.cr0_guest_owned_bits,
			 X86_CR0_PG, GUEST_CR0, &cr0) ||
	    !vmt_cr_bits(vcpu->arch.cr4, vcpu->arch.cr4_guest_owned_bits,
			 X86_CR4_PAE | X86_CR4_LA57, GUEST_CR4, &cr4))
		return false;
	/*
	 * GUEST_CR3 is the guest's own CR3 only when KVM does not intercept
	 * CR3 loads.  KVM intercepts them for shadow paging (no EPT), and,
	 * with EPT but without unrestricted guest, while the guest has paging
	 * off (GUEST_CR3 is then KVM's identity map); in both cases
	 * vcpu->arch.cr3 is the guest's, kept current by the intercept.  KVM
	 * asks its cached execution controls, which are internal; root_mmu
	 * (L1's MMU, public in kvm_host.h) tells the same without a VMREAD:
	 * with EPT its roots are direct, without EPT they are not while the
	 * guest pages.  (Running L2, root_mmu is L2's MMU without EPT in L0,
	 * and with EPT in L0 vmcs02's GUEST_CR3 is L2's CR3 whatever L1 asked.)
	 * With paging off CR3 translates nothing, and arch.cr3 is reported.
	 */
	if ((cr0 & X86_CR0_PG) && vcpu->arch.root_mmu.root_role.direct) {
		if (!vmt_vmread(GUEST_CR3, &cr3))
			return false;
	} else {
		cr3 = vcpu->arch.cr3;
	}
	/* The SS access rights' DPL is the CPL (SDM 3C 24.4.1). */
	cpl = (ss_ar >> 5) & 3;
	if (cpl) {
		/*
		 * KVM swaps MSR_KERNEL_GS_BASE only when it puts the vCPU,
		 * so while it is loaded the MSR holds the guest's value.
		 */
		rdmsrl(MSR_KERNEL_GS_BASE, gs);
		rec->flags |= VMTRACE_REC_F_GS_USER;
	} else if (!vmt_vmread(GUEST_GS_BASE, &gs)) {
		return false;
	}
	rec->u.g.guest_rip = rip;
	rec->u.g.guest_cr3 = cr3;
	rec->u.g.guest_gs_base = gs;
	mode = cpl;
	if (cpl == 3)
		mode |= VMTRACE_MODE_USER;
	if (vcpu->arch.efer & EFER_LMA)
		mode |= VMTRACE_MODE_LONG;
	if (cr4 & X86_CR4_LA57)
		mode |= VMTRACE_MODE_LA57;
	if (cr4 & X86_CR4_PAE)
		mode |= VMTRACE_MODE_PAE;
	if (cr0 & X86_CR0_PG)
		mode |= VMTRACE_MODE_PAGING;
	rec->mode = mode;
	return true;
}

static void vmt_vmx_no_state(struct vmtrace_record *rec)
{
	rec->u.g.guest_rip = 0;
	rec->u.g.guest_cr3 = 0;
	rec->u.g.guest_gs_base = 0;
	rec->mode = 0;
	rec->flags = (rec->flags & ~VMTRACE_REC_F_GS_USER) |
		     VMTRACE_REC_F_NO_STATE;
}

/*
 * As vmt_vmx_read_state(), for the kvm_exit probe once the exit filter has
 * read @exit_reason with vmt_vmx_exit_reason() in the same probe call (so
 * with IRQs off since): the VMCS checks and the exit reason are not
 * repeated.
 */
void vmt_vmx_read_state_reason(struct kvm_vcpu *vcpu,
			       struct vmtrace_record *rec, u32 exit_reason)
{
	rec->exit_reason = exit_reason;
	if (exit_reason == VMTRACE_EXIT_REASON_UNKNOWN ||
	    vcpu->arch.guest_state_protected || !vmt_vmx_fill(vcpu, rec))
		vmt_vmx_no_state(rec);
}

void vmt_vmx_read_state(struct kvm_vcpu *vcpu, struct vmtrace_record *rec)
{
	u32 reason;

	if (!vmt_vmcs_current() || !vmt_read_exit_reason(&reason)) {
		rec->exit_reason = VMTRACE_EXIT_REASON_UNKNOWN;
		vmt_vmx_no_state(rec);
		return;
	}
	vmt_vmx_read_state_reason(vcpu, rec, reason);
}
