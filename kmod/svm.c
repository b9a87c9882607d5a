// SPDX-License-Identifier: GPL-2.0
/*
 * AMD SVM: guest state straight from the VMCB.
 *
 * KVM's own copies are not good enough at kvm_exit: vcpu->arch.cr3 is
 * refreshed from the VMCB only later, in svm_handle_exit(), so in a probe
 * it still holds the previous exit's CR3 and would attribute the exit to
 * the wrong guest process.  The VMCB's save area is what the CPU wrote at
 * #VMEXIT (KVM does VMSAVE right after VMRUN, so the GS and KERNEL_GS
 * bases are fresh too), and stays so until the next VMRUN.
 *
 * The VMCB is found through struct vcpu_svm, which is internal to
 * kvm-amd: it starts with struct kvm_vcpu followed by the VMCB pointer.
 * That is checked at build time against the BTF of the kvm-amd.ko the
 * module is built for (kvm_layout.h, made by scripts/kvm-layout), at load
 * and at each kvm-amd load against the running kvm-amd's BTF
 * (svm_layout.c), and for each VM before the first dereference.
 */
#include <linux/kvm_host.h>
#include <asm/svm.h>
#include <asm/processor-flags.h>
#include "vmtrace.h"
#include "kvm_layout.h"

#ifndef VMT_LAYOUT_UNCHECKED
static_assert(VMT_KVM_VCPU_SIZE == sizeof(struct kvm_vcpu),
	      "struct kvm_vcpu in the headers differs from the kvm.ko build");
static_assert(VMT_SVM_VMCB_OFFSET == sizeof(struct kvm_vcpu),
	      "struct vcpu_svm no longer starts with vcpu, vmcb");
#endif

static inline struct vmcb *vmt_svm_vmcb(struct kvm_vcpu *vcpu)
{
	return *(struct vmcb **)((char *)vcpu + sizeof(struct kvm_vcpu));
}

/*
 * Run-time check, once per VM seen first: the pointer after struct
 * kvm_vcpu must be a direct-map address whose save.rip equals the RIP
 * KVM copied out of it.  Called from the kvm_exit probe only.
 */
bool vmt_svm_vmcb_sane(struct kvm_vcpu *vcpu)
{
	struct vmcb *vmcb;

	if (!vmt_svm_layout_ok())
		return false;
	vmcb = vmt_svm_vmcb(vcpu);
	if (!virt_addr_valid(vmcb) || !PAGE_ALIGNED(vmcb))
		return false;
	if (vcpu->arch.guest_state_protected)
		return true;
	return vmcb->save.rip == vcpu->arch.regs[VCPU_REGS_RIP];
}

u32 vmt_svm_exit_reason(struct kvm_vcpu *vcpu)
{
	return vmt_svm_vmcb(vcpu)->control.exit_code;
}

void vmt_svm_read_state(struct kvm_vcpu *vcpu, struct vmtrace_record *rec)
{
	const struct vmcb *vmcb = vmt_svm_vmcb(vcpu);
	const struct vmcb_save_area *save = &vmcb->save;
	u8 cpl, mode;

	rec->exit_reason = vmcb->control.exit_code;
	if (vcpu->arch.guest_state_protected) {
		/* SEV-ES/SNP: the save area is encrypted; never read it. */
		rec->flags |= VMTRACE_REC_F_NO_STATE;
		return;
	}
	cpl = save->cpl & 3;
	rec->u.g.guest_rip = save->rip;
	/*
	 * With nested paging the VMCB holds the guest's own CR3.  Without
	 * it, the VMCB holds KVM's shadow root, but then every guest CR3
	 * write is intercepted and vcpu->arch.cr3 is always current.
	 */
	if (vmcb->control.nested_ctl & SVM_NESTED_CTL_NP_ENABLE)
		rec->u.g.guest_cr3 = save->cr3;
	else
		rec->u.g.guest_cr3 = vcpu->arch.cr3;
	if (cpl) {
		/* At CPL 3 Linux keeps its per-CPU base in KERNEL_GS_BASE. */
		rec->u.g.guest_gs_base = save->kernel_gs_base;
		rec->flags |= VMTRACE_REC_F_GS_USER;
	} else {
		rec->u.g.guest_gs_base = save->gs.base;
	}
	mode = cpl;
	if (cpl == 3)
		mode |= VMTRACE_MODE_USER;
	if (vcpu->arch.efer & EFER_LMA)
		mode |= VMTRACE_MODE_LONG;
	if (save->cr4 & X86_CR4_LA57)
		mode |= VMTRACE_MODE_LA57;
	if (save->cr4 & X86_CR4_PAE)
		mode |= VMTRACE_MODE_PAE;
	if (save->cr0 & X86_CR0_PG)
		mode |= VMTRACE_MODE_PAGING;
	rec->mode = mode;
}
