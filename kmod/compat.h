/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels vmtrace supports (Debian 6.1 and 6.12),
 * kept in one place.  Code elsewhere uses only what this file defines.
 */
#ifndef _VMT_COMPAT_H
#define _VMT_COMPAT_H

#include <linux/version.h>
#include <linux/kvm_host.h>

/*
 * kvm_entry gained a force_immediate_exit argument upstream in 6.9, and in
 * the 6.1 stable series at 6.1.149.  The probe ignores it, but its
 * prototype must match what the tracepoint passes.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 9, 0) || \
	(LINUX_VERSION_CODE >= KERNEL_VERSION(6, 1, 149) && \
	 LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0))
#define VMT_KVM_ENTRY_PROTO struct kvm_vcpu *vcpu, bool force_immediate_exit
#else
#define VMT_KVM_ENTRY_PROTO struct kvm_vcpu *vcpu
#endif

/* kvm_exit's isa argument; the values are internal to KVM (trace.h). */
#define VMT_KVM_ISA_VMX 1
#define VMT_KVM_ISA_SVM 2

/*
 * KVM's "was this interrupt taken while the vCPU ran guest code" test.
 * 6.12 also checks that an NMI-window flag is only trusted in NMI context,
 * and the macro does that itself; 6.1's is the plain flag test.
 */
#define vmt_interrupted_guest(vcpu) kvm_arch_pmi_in_guest(vcpu)

/* KVM_ADDRESS_SPACE_NUM became KVM_MAX_NR_ADDRESS_SPACES in 6.8. */
#ifdef KVM_MAX_NR_ADDRESS_SPACES
#define VMT_KVM_NR_ADDRESS_SPACES(kvm) kvm_arch_nr_memslot_as_ids(kvm)
#else
#define VMT_KVM_NR_ADDRESS_SPACES(kvm) KVM_ADDRESS_SPACE_NUM
#endif

#endif /* _VMT_COMPAT_H */
