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
 * This file cannot run in the project's test bed (QEMU's TCG emulates SVM
 * only); it is compiled for every supported kernel and kept small.
 */
#include <linux/kvm_host.h>
#include <asm/vmx.h>
#include <asm/msr.h>
#include <asm/processor-flags.h>
#include "vmtrace.h"

/* VMREAD; false if there is no current VMCS (VMfailInvalid). */
static __always_inline bool vmt_vmread(unsigned long field,
				       unsigned long *value)
{
	bool fail;

	asm volatile("vmread %[field], %[value]\n\tsetna %[fail]"
		     : [value] "=rm"(*value), [fail] "=qm"(fail)
		     : [field] "r"(field)
		     : "cc");
	return !fail;
}

u32 vmt_vmx_exit_reason(void)
{
	unsigned long reason;

	if (!vmt_vmread(VM_EXIT_REASON, &reason))
		return ~0U;
	/* The basic reason, and bit 31 if the VM-entry itself failed. */
	return reason & (0xffffU | VMX_EXIT_REASONS_FAILED_VMENTRY);
}

void vmt_vmx_read_state(struct kvm_vcpu *vcpu, struct vmtrace_record *rec)
{
	unsigned long rip, cr3, cr0, cr4, ss_ar, gs, exec;
	u8 cpl, mode;

	rec->exit_reason = vmt_vmx_exit_reason();
	if (vcpu->arch.guest_state_protected ||
	    !vmt_vmread(GUEST_RIP, &rip) ||
	    !vmt_vmread(GUEST_SS_AR_BYTES, &ss_ar) ||
	    !vmt_vmread(GUEST_CR0, &cr0) ||
	    !vmt_vmread(GUEST_CR4, &cr4) ||
	    !vmt_vmread(CPU_BASED_VM_EXEC_CONTROL, &exec)) {
		rec->flags |= VMTRACE_REC_F_NO_STATE;
		return;
	}
	/*
	 * When KVM intercepts CR3 loads (no EPT, or EPT while the guest has
	 * paging off without unrestricted guest), GUEST_CR3 is KVM's root
	 * and vcpu->arch.cr3 is the guest's, kept current by the intercept.
	 */
	if (exec & CPU_BASED_CR3_LOAD_EXITING)
		cr3 = vcpu->arch.cr3;
	else if (!vmt_vmread(GUEST_CR3, &cr3))
		cr3 = 0;
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
		gs = 0;
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
}
