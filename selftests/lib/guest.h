/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest side of the selftest library: the fixed guest-physical memory
 * layout, the GDT selectors, the ports and vectors the library itself uses,
 * and the guest code snippets (lib/guest_code.S).
 *
 * Shared between C and assembly: keep everything above the !__ASSEMBLER__
 * part plain #defines.  Documentation/selftests.rst describes the layout.
 */
#ifndef SELFTESTS_GUEST_H
#define SELFTESTS_GUEST_H

/* Integer constants usable in assembly and, 64 bits wide, in C. */
#ifdef __ASSEMBLER__
#define GUEST_U64(x)		x
#else
#define GUEST_U64(x)		x##ull
#endif

#define GUEST_PAGE_SIZE		0x1000
#define GUEST_LARGE_PAGE_SIZE	GUEST_U64(0x200000)

/*
 * Guest-physical layout of every VM.  Everything below GUEST_ALLOC_GPA is
 * the library's, and what the guest must see of it is identity-mapped
 * (VA == GPA) in every address space.  Page 0 stays unmapped so that a
 * null pointer in the guest faults.
 */
#define GUEST_GDT_GPA		0x1000
#define GUEST_IDT_GPA		0x2000
#define GUEST_TSS_GPA		0x3000	/* GUEST_TSS_SIZE bytes per vCPU */
#define GUEST_TSS_SIZE		0x80
#define GUEST_CODE_GPA		GUEST_U64(0x10000)	/* the snippet blob, page aligned */
#define GUEST_CODE_MAX		0x10000
#define GUEST_PT_POOL_GPA	GUEST_U64(0x100000) /* page-table pages, not mapped */
#define GUEST_PT_POOL_SIZE	0x100000
#define GUEST_KSTACKS_GPA	GUEST_U64(0x200000) /* CPL 0 stack of vCPU i at + i * size */
#define GUEST_USTACKS_GPA	GUEST_U64(0x240000) /* CPL 3 stack of vCPU i at + i * size */
#define GUEST_STACK_SIZE	0x4000
#define GUEST_MAX_VCPUS		16
#define GUEST_ALLOC_GPA		GUEST_U64(0x400000) /* vm_alloc_pages() hands out from here */
#define GUEST_MEM_DEFAULT	GUEST_U64(0x1000000) /* 16 MiB of guest memory by default */
#define GUEST_MEM_MAX		GUEST_U64(0x40000000)

/*
 * Virtual addresses from here up are never mapped by the library: tests put
 * per-address-space mappings there.  The identity map stays below
 * GUEST_MEM_MAX, so this holds whatever the VM's memory size.
 */
#define GUEST_PRIVATE_VA	GUEST_U64(0x40000000)

/* GDT selectors.  The user data segment precedes the user code segment as
 * SYSRET would want; the TSS descriptors (16 bytes each) come last. */
#define GUEST_SEL_KERNEL_CS	0x08
#define GUEST_SEL_KERNEL_DS	0x10
#define GUEST_SEL_USER_DS	0x1b	/* index 3, RPL 3 */
#define GUEST_SEL_USER_CS	0x23	/* index 4, RPL 3 */
#define GUEST_SEL_TSS_BASE	0x28
#define GUEST_SEL_TSS(vcpu_id)	(GUEST_SEL_TSS_BASE + 16 * (vcpu_id))

/* RFLAGS for CPL 3 code: IOPL 3 so that IN/OUT do not fault, IF clear
 * (nothing injects interrupts), bit 1 (always set). */
#define GUEST_USER_RFLAGS	0x3002

/* The guest reports an exception by an OUT of the vector to this port;
 * vcpu_run() turns that exit into a test failure. */
#define GUEST_PORT_EXCEPTION	0xe0

/* The gate (DPL 3) through which CPL 3 code returns to CPL 0 to halt. */
#define GUEST_VECTOR_USER_EXIT	0x80
#define GUEST_NR_EXCEPTIONS	32
#define GUEST_EXCEPTION_STUB_SIZE 16

#ifndef __ASSEMBLER__
#include <stdint.h>

/*
 * Guest code (lib/guest_code.S).  Each symbol is a position in the blob
 * that vm_create() copies to GUEST_CODE_GPA; vm_code_va() turns it into the
 * guest VA (identity-mapped, so also the GPA) in every address space.
 * Arguments are passed in registers, set with vcpu_set_entry(): %rdi, %rsi,
 * %rdx, %rcx, %r8, %r9 in that order.  Every snippet ends in guest_done:
 * HLT at guest_hlt at CPL 0; from CPL 3 through GUEST_VECTOR_USER_EXIT to the
 * same HLT.  A HLT exit therefore reports RIP == guest_hlt + 1.
 */
extern const uint8_t guest_code_start[], guest_code_end[];

/* HLT forever. */
extern const uint8_t guest_hlt[];

/* (port, count, first): OUT count dwords first, first + 1, ... to port.
 * guest_port_writes_out is the OUT; KVM reports that RIP at each exit. */
extern const uint8_t guest_port_writes[], guest_port_writes_out[];

/* (leaf, subleaf, port): CPUID, then OUT eax, ebx, ecx, edx to port. */
extern const uint8_t guest_cpuid[], guest_cpuid_insn[];

/* (iterations, port): count %rax from 0 up to iterations in the loop
 * [guest_spin_loop, guest_spin_loop_end), OUT the count (low 32 bits). */
extern const uint8_t guest_spin[], guest_spin_loop[], guest_spin_loop_end[],
	guest_spin_out[];

/* (cr3_a, cr3_b, rounds, port, marker_va): each round, load CR3 A and OUT
 * (round << 8 | the byte at marker_va), then the same under CR3 B. */
extern const uint8_t guest_cr3_switch[], guest_cr3_switch_out_a[],
	guest_cr3_switch_out_b[];

/* (cr3_a, cr3_b, rounds, iterations, code_a, code_b): each round, load
 * CR3 A and call code_a, then CR3 B and call code_b, with iterations in
 * %rcx; sums the returned %rax in %r12 (A) and %r13 (B). */
extern const uint8_t guest_alternate_spin[], guest_alternate_spin_call_a[],
	guest_alternate_spin_call_b[];

/* (cr3, target, arg): load CR3 and call target with arg in %rcx. */
extern const uint8_t guest_call_in_as[], guest_call_in_as_call[];

/* IRETQ to CPL 3 at %r14 with stack %r15 (vcpu_set_entry_user()). */
extern const uint8_t guest_enter_user[], guest_enter_user_iretq[];

/* UD2: the library's exception report at work. */
extern const uint8_t guest_ud2[];

/* The IDT's handlers (the library points the IDT at these). */
extern const uint8_t guest_exception_stubs[], guest_user_exit[];

/*
 * Self-contained snippets: they only jump within themselves, so
 * guest_as_load_code() can copy them to a page of one address space.
 *
 * guest_private_spin: count %rax from 0 up to %rcx in the loop
 * [guest_private_spin_loop, guest_private_spin_loop_end), then RET.
 */
extern const uint8_t guest_private_spin[], guest_private_spin_loop[],
	guest_private_spin_loop_end[], guest_private_spin_end[];

#endif /* !__ASSEMBLER__ */
#endif /* SELFTESTS_GUEST_H */
