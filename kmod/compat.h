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
 * KVM's "was this interrupt taken while the vCPU ran guest code" test,
 * with 6.12's check that the window KVM opened is for this kind of
 * interrupt (an NMI window only in NMI context, an IRQ window only outside
 * it).  6.1's kvm_arch_pmi_in_guest() is the plain flag test, which an NMI
 * landing in an IRQ window would trust.  2 is KVM_HANDLING_NMI of KVM's
 * internal enum kvm_intr_type (arch/x86/kvm/x86.h, 6.1 and 6.12).
 */
#define VMT_KVM_HANDLING_NMI 2
#define vmt_interrupted_guest(vcpu)					\
	((vcpu) && (vcpu)->arch.handling_intr_from_guest &&		\
	 (!!in_nmi() ==							\
	  ((vcpu)->arch.handling_intr_from_guest == VMT_KVM_HANDLING_NMI)))

/*
 * A START refused for the ring memory cap: name the cap where extack can
 * carry a formatted message (6.2+), else say where to find it.
 */
#ifdef NL_SET_ERR_MSG_FMT
#define vmt_set_err_cap(extack, ring_size, cpus, cap)			\
	NL_SET_ERR_MSG_FMT(extack,					\
			   "rings %u KiB x %u CPUs over the cap of %llu KiB (max_ring_mb)", \
			   (ring_size) >> 10, (cpus), (unsigned long long)(cap) >> 10)
#else
#define vmt_set_err_cap(extack, ring_size, cpus, cap)			\
	do {								\
		NL_SET_ERR_MSG(extack, "ring size x online CPUs is above the ring memory cap (module parameter max_ring_mb; GET_STATUS ring_cap)"); \
		(void)(ring_size); (void)(cpus); (void)(cap);		\
	} while (0)
#endif

/* KVM_ADDRESS_SPACE_NUM became KVM_MAX_NR_ADDRESS_SPACES in 6.8. */
#ifdef KVM_MAX_NR_ADDRESS_SPACES
#define VMT_KVM_NR_ADDRESS_SPACES(kvm) kvm_arch_nr_memslot_as_ids(kvm)
#else
#define VMT_KVM_NR_ADDRESS_SPACES(kvm) KVM_ADDRESS_SPACE_NUM
#endif

#endif /* _VMT_COMPAT_H */
