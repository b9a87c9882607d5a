/* SPDX-License-Identifier: GPL-2.0 */
/*
 * In-process KVM guests for selftests, in the style of the kernel's
 * tools/testing/selftests/kvm: the test creates VMs and vCPUs itself and
 * runs small guest code snippets (guest.h) in 64-bit long mode with paging.
 *
 * Naming: __x() returns the raw result (0 or -errno, or the ioctl's value)
 * and never asserts; x() asserts success and fails the test with a clear
 * message otherwise.
 *
 * Threads: each vCPU may run on its own thread, and several VMs may run at
 * once.  Set up memory, address spaces and vCPUs before the vCPU threads
 * start (those calls take the VM's lock, but a running vCPU may see a
 * half-written page table); after that a thread may use its own vCPU
 * freely.  Documentation/selftests.rst has the details and the layout.
 */
#ifndef SELFTESTS_KVM_UTIL_H
#define SELFTESTS_KVM_UTIL_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

#include "guest.h"
#include "test_util.h"

#define GUEST_MAX_AS		16	/* address spaces per VM */
#define GUEST_MAX_SHARED	32	/* shared mappings per VM */

struct kvm_vm;

/* One guest address space: a page-table tree whose root is its CR3. */
struct guest_as {
	struct kvm_vm *vm;
	unsigned int index;		/* 0 is the VM's default */
	uint64_t cr3;			/* GPA of the PML4; PCID 0 */
};

struct guest_mapping {
	uint64_t va, gpa, size;
	unsigned int flags;
};

struct kvm_vcpu {
	struct kvm_vm *vm;
	unsigned int id;		/* KVM vCPU id, 0, 1, ... */
	int fd;
	struct kvm_run *run;		/* the vCPU's shared kvm_run page */
	struct kvm_cpuid2 *cpuid;	/* what KVM_SET_CPUID2 was last given */
	uint64_t stack_top;		/* CPL 0 stack (also the TSS's RSP0) */
	uint64_t user_stack_top;	/* CPL 3 stack */
};

struct kvm_vm {
	int kvm_fd;			/* /dev/kvm */
	int fd;				/* the VM */
	uint8_t *mem;			/* host mapping of guest memory at GPA 0 */
	uint64_t mem_size;
	size_t run_size;		/* KVM_GET_VCPU_MMAP_SIZE */
	pthread_mutex_t lock;		/* allocators, page tables, lists below */
	uint64_t alloc_next;		/* vm_alloc_pages() */
	uint64_t pt_next;		/* next free page-table page */
	struct guest_as *as[GUEST_MAX_AS];
	unsigned int nr_as;
	struct guest_mapping shared[GUEST_MAX_SHARED];
	unsigned int nr_shared;
	struct kvm_vcpu *vcpus[GUEST_MAX_VCPUS];
	unsigned int nr_vcpus;
};

/* ---- VMs and vCPUs ---- */

/* A VM with mem_size bytes of guest memory at GPA 0 (a multiple of 2 MiB,
 * at most GUEST_MEM_MAX), the GDT, IDT, TSSs and guest code loaded, and a
 * default address space with the shared mappings.  0: -errno. */
int __vm_create(uint64_t mem_size, struct kvm_vm **vm);
struct kvm_vm *vm_create_with_mem(uint64_t mem_size);
struct kvm_vm *vm_create(void);			/* GUEST_MEM_DEFAULT */
void vm_free(struct kvm_vm *vm);		/* and its vCPUs */

/* A vCPU in 64-bit mode at CPL 0: CPUID set to everything KVM supports
 * (before the long-mode SREGS, which 6.12 requires), CR3 = the default
 * address space, RIP = guest_hlt, RSP = its own stack. */
struct kvm_vcpu *vm_vcpu_add(struct kvm_vm *vm);
void vcpu_free(struct kvm_vcpu *vcpu);

/* KVM_RUN.  __vcpu_run() returns the ioctl's result (-1 and errno on
 * failure) and looks at nothing else.  vcpu_run() asserts that the ioctl
 * worked and that the guest did not report an exception or triple-fault,
 * or fail entry or emulation; it leaves every other exit to the caller. */
int __vcpu_run(struct kvm_vcpu *vcpu);
void vcpu_run(struct kvm_vcpu *vcpu);

void vcpu_regs_get(struct kvm_vcpu *vcpu, struct kvm_regs *regs);
void vcpu_regs_set(struct kvm_vcpu *vcpu, const struct kvm_regs *regs);
void vcpu_sregs_get(struct kvm_vcpu *vcpu, struct kvm_sregs *sregs);
int __vcpu_sregs_set(struct kvm_vcpu *vcpu, const struct kvm_sregs *sregs);
void vcpu_sregs_set(struct kvm_vcpu *vcpu, const struct kvm_sregs *sregs);

/*
 * Point the vCPU at guest code: RIP = rip, RSP = its CPL 0 stack, RFLAGS =
 * 2, the arguments (at most 6, each converted to uint64_t) in %rdi, %rsi,
 * %rdx, %rcx, %r8, %r9 and every other GPR zero:
 *	vcpu_set_entry(vcpu, vm_code_va(vm, guest_port_writes), port, 3, 100);
 * Use it before the first run or after a HLT exit, not while an I/O exit
 * is pending completion.
 */
#define vcpu_set_entry(vcpu, rip, ...)					\
	vcpu_set_entry_args(vcpu, rip, (const uint64_t[]){ __VA_ARGS__ },	\
			    sizeof((const uint64_t[]){ __VA_ARGS__ }) / sizeof(uint64_t))
void vcpu_set_entry_args(struct kvm_vcpu *vcpu, uint64_t rip,
			 const uint64_t *args, unsigned int nargs);
/*
 * The same, but at CPL 3: the vCPU starts at guest_enter_user, which
 * IRETQs to user_rip with the vCPU's CPL 3 stack, RFLAGS =
 * GUEST_USER_RFLAGS (IOPL 3) and the arguments still in their registers.
 * The code at user_rip must be mapped GUEST_MAP_USER (the snippet blob is).
 */
#define vcpu_set_entry_user(vcpu, user_rip, ...)				\
	vcpu_set_entry_user_args(vcpu, user_rip, (const uint64_t[]){ __VA_ARGS__ }, \
				 sizeof((const uint64_t[]){ __VA_ARGS__ }) / sizeof(uint64_t))
void vcpu_set_entry_user_args(struct kvm_vcpu *vcpu, uint64_t user_rip,
			      const uint64_t *args, unsigned int nargs);
void vcpu_set_cr3(struct kvm_vcpu *vcpu, uint64_t cr3);
/*
 * Set RFLAGS.IF, after vcpu_set_entry(), for a guest that the host's
 * sampling interrupts must stop while it spins without exits.  On the
 * hardware the guest's IF does not matter (VMX external-interrupt
 * exiting, SVM's V_INTR_MASKING: the host's interrupts exit either way),
 * but Bochs 2.7 (scripts/vmtest --vmx) takes a host interrupt in a VMX
 * guest only while the guest's IF is 1: it recomputes which interrupts
 * are masked when IF changes, not at VM entry, so a guest entered with
 * IF 0 (KVM enters with the host's IF 0) keeps them masked until its
 * next exit.  Nothing is injected into these guests (no in-kernel
 * irqchip, no KVM_INTERRUPT), so IF 1 changes nothing else; a stray
 * vector would hit the exception stubs' IDT and fail the test.
 */
void vcpu_set_interrupt_flag(struct kvm_vcpu *vcpu);

/* CPUID: the list KVM_GET_SUPPORTED_CPUID gave (read once per process). */
const struct kvm_cpuid2 *kvm_supported_cpuid(void);
const struct kvm_cpuid_entry2 *cpuid_find(const struct kvm_cpuid2 *cpuid,
					  uint32_t leaf, uint32_t index);
/* Set one entry of the vCPU's CPUID, then KVM_SET_CPUID2: replace the
 * entry cpuid_find() finds, else add one that answers for this index only
 * (KVM_CPUID_FLAG_SIGNIFCANT_INDEX).  Only before the vCPU's first run. */
void vcpu_cpuid_set_entry(struct kvm_vcpu *vcpu, uint32_t leaf, uint32_t index,
			  uint32_t eax, uint32_t ebx, uint32_t ecx, uint32_t edx);

/* ---- exits ---- */

const char *exit_reason_str(uint32_t exit_reason);

/* Assert the last exit was exit_reason. */
void vcpu_assert_exit(struct kvm_vcpu *vcpu, uint32_t exit_reason);
/* Assert the last exit was a one-item OUT of size bytes to port and return
 * the data written. */
uint32_t vcpu_assert_io_out(struct kvm_vcpu *vcpu, uint16_t port, uint8_t size);
/* Assert the last exit was the HLT at guest_hlt, where every snippet ends. */
void vcpu_assert_done(struct kvm_vcpu *vcpu);
/* vcpu_run() then vcpu_assert_io_out() and check the data too. */
void vcpu_run_expect_out(struct kvm_vcpu *vcpu, uint16_t port, uint8_t size,
			 uint32_t data);

/* A guest exception as the guest's handler reported it. */
struct guest_exception {
	uint32_t vector;
	uint64_t error_code, rip, cs, rflags, rsp, cr2;
};
/* If the last exit is the guest's exception report, fill *exc. */
bool vcpu_get_exception(struct kvm_vcpu *vcpu, struct guest_exception *exc);

/* ---- guest memory ---- */

/* Page-aligned guest-physical pages from GUEST_ALLOC_GPA up, zeroed, not
 * mapped anywhere yet; align is a power of two >= the page size. */
uint64_t vm_alloc_pages(struct kvm_vm *vm, uint64_t npages);
uint64_t vm_alloc_pages_aligned(struct kvm_vm *vm, uint64_t npages, uint64_t align);
/* Host pointer to guest-physical gpa, asserting [gpa, gpa + 1) is memory. */
void *addr_gpa2hva(struct kvm_vm *vm, uint64_t gpa);
uint64_t addr_hva2gpa(struct kvm_vm *vm, const void *hva);

/* ---- guest code ---- */

/* Guest VA (= GPA) of a position in the snippet blob, e.g.
 * vm_code_va(vm, guest_port_writes_out). */
uint64_t vm_code_va(struct kvm_vm *vm, const uint8_t *sym);
/* Offset of sym inside the snippet that starts at start. */
static inline uint64_t guest_code_offset(const uint8_t *start, const uint8_t *sym)
{
	return (uint64_t)(sym - start);
}

/* ---- address spaces ---- */

enum guest_map_flags {
	GUEST_MAP_WRITE	= 1 << 0,	/* writable */
	GUEST_MAP_USER	= 1 << 1,	/* reachable from CPL 3 */
	GUEST_MAP_NOEXEC = 1 << 2,	/* NX (EFER.NXE is on) */
	GUEST_MAP_LARGE	= 1 << 3,	/* 2 MiB pages: va, gpa, size aligned */
};

/* A new address space holding every shared mapping (and later ones). */
struct guest_as *guest_as_create(struct kvm_vm *vm);
struct guest_as *vm_default_as(struct kvm_vm *vm);

/* Map [gpa, gpa + size) at va in one address space only.  va, gpa and size
 * are page aligned (2 MiB aligned with GUEST_MAP_LARGE); the range must not
 * be mapped already. */
void guest_as_map(struct guest_as *as, uint64_t va, uint64_t gpa, uint64_t size,
		  unsigned int flags);
/* Map in every address space of the VM, present and future. */
void vm_map_shared(struct kvm_vm *vm, uint64_t va, uint64_t gpa, uint64_t size,
		   unsigned int flags);

/* Walk as's page tables: 0 and *gpa, or -EFAULT if va is not mapped. */
int __guest_as_va2gpa(struct guest_as *as, uint64_t va, uint64_t *gpa);
uint64_t guest_as_va2gpa(struct guest_as *as, uint64_t va);
void *guest_as_va2hva(struct guest_as *as, uint64_t va);
/* The leaf page-table entry that maps va, and its level (1 = 4 KiB page,
 * 2 = 2 MiB page); NULL if va is not mapped. */
uint64_t *guest_as_pte(struct guest_as *as, uint64_t va, int *level);

/* Copy the code [start, end) (a self-contained snippet, such as
 * guest_private_spin..guest_private_spin_end) to fresh pages and map them
 * at va in as only, executable and read-only, plus the given flags
 * (GUEST_MAP_USER for CPL 3).  Returns the GPA of the copy.  The guest RIP
 * of a label L in the copy is va + guest_code_offset(start, L). */
uint64_t guest_as_load_code(struct guest_as *as, uint64_t va, const uint8_t *start,
			    const uint8_t *end, unsigned int flags);

/* x86 page-table entry bits the tests look at. */
#define PTE_PRESENT	(1ull << 0)
#define PTE_WRITE	(1ull << 1)
#define PTE_USER	(1ull << 2)
#define PTE_LARGE	(1ull << 7)
#define PTE_NX		(1ull << 63)
#define PTE_ADDR_MASK	0x000ffffffffff000ull

#endif /* SELFTESTS_KVM_UTIL_H */
