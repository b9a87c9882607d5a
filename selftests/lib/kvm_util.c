// SPDX-License-Identifier: GPL-2.0
/*
 * VMs, vCPUs, guest memory and guest page tables for selftests.
 * See kvm_util.h for the API and Documentation/selftests.rst for the design.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm_util.h"

/* Control-register and EFER bits for 64-bit mode with paging. */
#define X86_CR0_PE	(1ull << 0)
#define X86_CR0_MP	(1ull << 1)
#define X86_CR0_ET	(1ull << 4)
#define X86_CR0_NE	(1ull << 5)
#define X86_CR0_WP	(1ull << 16)
#define X86_CR0_AM	(1ull << 18)
#define X86_CR0_PG	(1ull << 31)
#define X86_CR4_PAE	(1ull << 5)
#define EFER_LME	(1ull << 8)
#define EFER_LMA	(1ull << 10)
#define EFER_NXE	(1ull << 11)

/* Flat 64-bit segment descriptors (base 0, limit 4 GiB, G, accessed so the
 * CPU never writes the GDT). */
#define GDT_KERNEL_CODE64	0x00af9b000000ffffull	/* L, DPL 0, exec/read */
#define GDT_KERNEL_DATA		0x00cf93000000ffffull	/* D/B, DPL 0, read/write */
#define GDT_USER_DATA		0x00cff3000000ffffull	/* D/B, DPL 3, read/write */
#define GDT_USER_CODE64		0x00affb000000ffffull	/* L, DPL 3, exec/read */

#define SEG_TYPE_CODE		11	/* execute/read, accessed */
#define SEG_TYPE_DATA		3	/* read/write, accessed */
#define SEG_TYPE_TSS64_BUSY	11
#define IDT_GATE_INTR64		0xe	/* 64-bit interrupt gate */
#define TSS64_LIMIT		0x67
#define TSS64_RSP0_OFFSET	4
#define TSS64_IOMAP_OFFSET	0x66

/* ---- CPUID supported by KVM (read once per process) ---- */

static pthread_once_t supported_cpuid_once = PTHREAD_ONCE_INIT;
static struct kvm_cpuid2 *supported_cpuid;

static size_t cpuid_size(uint32_t nent)
{
	return sizeof(struct kvm_cpuid2) + nent * sizeof(struct kvm_cpuid_entry2);
}

static void read_supported_cpuid(void)
{
	int kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	uint32_t nent = 64;

	TEST_ASSERT(kvm_fd >= 0, "open /dev/kvm: %m");
	for (;;) {
		struct kvm_cpuid2 *c = calloc(1, cpuid_size(nent));

		TEST_ASSERT(c, "out of memory");
		c->nent = nent;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0) {
			supported_cpuid = c;
			break;
		}
		TEST_ASSERT(errno == E2BIG, "KVM_GET_SUPPORTED_CPUID: %m");
		free(c);
		nent *= 2;
	}
	close(kvm_fd);
}

const struct kvm_cpuid2 *kvm_supported_cpuid(void)
{
	pthread_once(&supported_cpuid_once, read_supported_cpuid);
	return supported_cpuid;
}

const struct kvm_cpuid_entry2 *cpuid_find(const struct kvm_cpuid2 *cpuid,
					  uint32_t leaf, uint32_t index)
{
	for (uint32_t i = 0; i < cpuid->nent; i++) {
		const struct kvm_cpuid_entry2 *e = &cpuid->entries[i];

		if (e->function == leaf &&
		    (e->index == index || !(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX)))
			return e;
	}
	return NULL;
}

static void vcpu_cpuid_apply(struct kvm_vcpu *vcpu)
{
	int ret = ioctl(vcpu->fd, KVM_SET_CPUID2, vcpu->cpuid);

	TEST_ASSERT(ret == 0, "KVM_SET_CPUID2 on vCPU %u (%u entries): %m",
		    vcpu->id, vcpu->cpuid->nent);
}

void vcpu_cpuid_set_entry(struct kvm_vcpu *vcpu, uint32_t leaf, uint32_t index,
			  uint32_t eax, uint32_t ebx, uint32_t ecx, uint32_t edx)
{
	struct kvm_cpuid_entry2 *e = (struct kvm_cpuid_entry2 *)
		cpuid_find(vcpu->cpuid, leaf, index);

	if (!e) {
		uint32_t n = vcpu->cpuid->nent;

		vcpu->cpuid = realloc(vcpu->cpuid, cpuid_size(n + 1));
		TEST_ASSERT(vcpu->cpuid, "out of memory");
		e = &vcpu->cpuid->entries[n];
		memset(e, 0, sizeof(*e));
		e->function = leaf;
		e->index = index;
		/* A new entry answers for its own index only. */
		e->flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
		vcpu->cpuid->nent = n + 1;
	}
	e->eax = eax;
	e->ebx = ebx;
	e->ecx = ecx;
	e->edx = edx;
	vcpu_cpuid_apply(vcpu);
}

/* ---- guest memory ---- */

void *addr_gpa2hva(struct kvm_vm *vm, uint64_t gpa)
{
	TEST_ASSERT(gpa < vm->mem_size,
		    "GPA 0x%llx is outside guest memory [0, 0x%llx)",
		    (unsigned long long)gpa, (unsigned long long)vm->mem_size);
	return vm->mem + gpa;
}

uint64_t addr_hva2gpa(struct kvm_vm *vm, const void *hva)
{
	const uint8_t *p = hva;

	TEST_ASSERT(p >= vm->mem && p < vm->mem + vm->mem_size,
		    "host address %p is not guest memory", hva);
	return (uint64_t)(p - vm->mem);
}

static uint64_t round_up(uint64_t x, uint64_t align)
{
	return (x + align - 1) & ~(align - 1);
}

uint64_t vm_alloc_pages_aligned(struct kvm_vm *vm, uint64_t npages, uint64_t align)
{
	uint64_t gpa, end;

	TEST_ASSERT(align >= GUEST_PAGE_SIZE && !(align & (align - 1)),
		    "alignment 0x%llx is not a power of two >= the page size",
		    (unsigned long long)align);
	pthread_mutex_lock(&vm->lock);
	gpa = round_up(vm->alloc_next, align);
	end = gpa + npages * GUEST_PAGE_SIZE;
	TEST_ASSERT(npages && end <= vm->mem_size,
		    "cannot allocate %llu guest pages at GPA 0x%llx: guest memory ends at 0x%llx",
		    (unsigned long long)npages, (unsigned long long)gpa,
		    (unsigned long long)vm->mem_size);
	vm->alloc_next = end;
	pthread_mutex_unlock(&vm->lock);
	memset(vm->mem + gpa, 0, end - gpa);
	return gpa;
}

uint64_t vm_alloc_pages(struct kvm_vm *vm, uint64_t npages)
{
	return vm_alloc_pages_aligned(vm, npages, GUEST_PAGE_SIZE);
}

/* ---- page tables ---- */

/* Called with vm->lock held. */
static uint64_t pt_alloc(struct kvm_vm *vm)
{
	uint64_t gpa = vm->pt_next;

	TEST_ASSERT(gpa < GUEST_PT_POOL_GPA + GUEST_PT_POOL_SIZE,
		    "out of page-table pages (%u KiB pool)", GUEST_PT_POOL_SIZE / 1024);
	vm->pt_next += GUEST_PAGE_SIZE;
	memset(vm->mem + gpa, 0, GUEST_PAGE_SIZE);
	return gpa;
}

/* The entry for va in the table at table_gpa, a table of the given level
 * (4 = PML4, 3 = PDPT, 2 = PD, 1 = PT). */
static uint64_t *pte_in(struct kvm_vm *vm, uint64_t table_gpa, uint64_t va, int level)
{
	uint64_t *table = addr_gpa2hva(vm, table_gpa);

	return &table[(va >> (12 + 9 * (level - 1))) & 511];
}

static bool va_is_canonical(uint64_t va)
{
	return (uint64_t)((int64_t)(va << 16) >> 16) == va;
}

/* Map one page of the leaf level's size.  Called with vm->lock held. */
static void map_page(struct guest_as *as, uint64_t va, uint64_t gpa, int leaf_level,
		     unsigned int flags)
{
	struct kvm_vm *vm = as->vm;
	uint64_t table = as->cr3, *e;

	for (int level = 4; level > leaf_level; level--) {
		e = pte_in(vm, table, va, level);
		/* Intermediate entries allow everything; the leaf decides. */
		if (!(*e & PTE_PRESENT))
			*e = pt_alloc(vm) | PTE_PRESENT | PTE_WRITE | PTE_USER;
		TEST_ASSERT(!(*e & PTE_LARGE),
			    "address space %u: VA 0x%llx is already mapped by a large page",
			    as->index, (unsigned long long)va);
		table = *e & PTE_ADDR_MASK;
	}
	e = pte_in(vm, table, va, leaf_level);
	TEST_ASSERT(!(*e & PTE_PRESENT),
		    "address space %u: VA 0x%llx is already mapped (entry 0x%llx)",
		    as->index, (unsigned long long)va, (unsigned long long)*e);
	*e = gpa | PTE_PRESENT;
	if (flags & GUEST_MAP_WRITE)
		*e |= PTE_WRITE;
	if (flags & GUEST_MAP_USER)
		*e |= PTE_USER;
	if (flags & GUEST_MAP_NOEXEC)
		*e |= PTE_NX;
	if (leaf_level == 2)
		*e |= PTE_LARGE;
}

/* Called with vm->lock held. */
static void as_map_locked(struct guest_as *as, uint64_t va, uint64_t gpa,
			  uint64_t size, unsigned int flags)
{
	uint64_t page = flags & GUEST_MAP_LARGE ? GUEST_LARGE_PAGE_SIZE : GUEST_PAGE_SIZE;

	TEST_ASSERT(!(va & (page - 1)) && !(gpa & (page - 1)) && !(size & (page - 1)) && size,
		    "mapping VA 0x%llx -> GPA 0x%llx, 0x%llx bytes: not aligned to 0x%llx",
		    (unsigned long long)va, (unsigned long long)gpa,
		    (unsigned long long)size, (unsigned long long)page);
	TEST_ASSERT(va_is_canonical(va) && va_is_canonical(va + size - 1),
		    "VA range 0x%llx + 0x%llx is not canonical",
		    (unsigned long long)va, (unsigned long long)size);
	TEST_ASSERT(gpa + size <= as->vm->mem_size,
		    "GPA range 0x%llx + 0x%llx is outside guest memory",
		    (unsigned long long)gpa, (unsigned long long)size);
	for (uint64_t off = 0; off < size; off += page)
		map_page(as, va + off, gpa + off, page == GUEST_PAGE_SIZE ? 1 : 2, flags);
}

void guest_as_map(struct guest_as *as, uint64_t va, uint64_t gpa, uint64_t size,
		  unsigned int flags)
{
	pthread_mutex_lock(&as->vm->lock);
	as_map_locked(as, va, gpa, size, flags);
	pthread_mutex_unlock(&as->vm->lock);
}

void vm_map_shared(struct kvm_vm *vm, uint64_t va, uint64_t gpa, uint64_t size,
		   unsigned int flags)
{
	pthread_mutex_lock(&vm->lock);
	TEST_ASSERT(vm->nr_shared < GUEST_MAX_SHARED, "more than %u shared mappings",
		    GUEST_MAX_SHARED);
	vm->shared[vm->nr_shared++] = (struct guest_mapping){
		.va = va, .gpa = gpa, .size = size, .flags = flags,
	};
	for (unsigned int i = 0; i < vm->nr_as; i++)
		as_map_locked(vm->as[i], va, gpa, size, flags);
	pthread_mutex_unlock(&vm->lock);
}

struct guest_as *guest_as_create(struct kvm_vm *vm)
{
	struct guest_as *as = calloc(1, sizeof(*as));

	TEST_ASSERT(as, "out of memory");
	pthread_mutex_lock(&vm->lock);
	TEST_ASSERT(vm->nr_as < GUEST_MAX_AS, "more than %u address spaces", GUEST_MAX_AS);
	as->vm = vm;
	as->index = vm->nr_as;
	as->cr3 = pt_alloc(vm);
	vm->as[vm->nr_as++] = as;
	for (unsigned int i = 0; i < vm->nr_shared; i++) {
		const struct guest_mapping *m = &vm->shared[i];

		as_map_locked(as, m->va, m->gpa, m->size, m->flags);
	}
	pthread_mutex_unlock(&vm->lock);
	return as;
}

struct guest_as *vm_default_as(struct kvm_vm *vm)
{
	return vm->as[0];
}

uint64_t *guest_as_pte(struct guest_as *as, uint64_t va, int *level)
{
	uint64_t table = as->cr3;

	if (!va_is_canonical(va))
		return NULL;
	for (int l = 4; l >= 1; l--) {
		uint64_t *e = pte_in(as->vm, table, va, l);

		if (!(*e & PTE_PRESENT))
			return NULL;
		if (l == 1 || (l <= 3 && (*e & PTE_LARGE))) {
			if (level)
				*level = l;
			return e;
		}
		table = *e & PTE_ADDR_MASK;
	}
	return NULL;
}

int __guest_as_va2gpa(struct guest_as *as, uint64_t va, uint64_t *gpa)
{
	int level;
	uint64_t *e = guest_as_pte(as, va, &level);
	uint64_t page_mask;

	if (!e)
		return -EFAULT;
	page_mask = (1ull << (12 + 9 * (level - 1))) - 1;
	*gpa = (*e & PTE_ADDR_MASK & ~page_mask) | (va & page_mask);
	return 0;
}

uint64_t guest_as_va2gpa(struct guest_as *as, uint64_t va)
{
	uint64_t gpa = 0;

	TEST_ASSERT(!__guest_as_va2gpa(as, va, &gpa),
		    "VA 0x%llx is not mapped in address space %u (CR3 0x%llx)",
		    (unsigned long long)va, as->index, (unsigned long long)as->cr3);
	return gpa;
}

void *guest_as_va2hva(struct guest_as *as, uint64_t va)
{
	return addr_gpa2hva(as->vm, guest_as_va2gpa(as, va));
}

uint64_t guest_as_load_code(struct guest_as *as, uint64_t va, const uint8_t *start,
			    const uint8_t *end, unsigned int flags)
{
	uint64_t size = round_up((uint64_t)(end - start), GUEST_PAGE_SIZE);
	uint64_t gpa;

	TEST_ASSERT(end > start, "empty code range");
	gpa = vm_alloc_pages(as->vm, size / GUEST_PAGE_SIZE);
	memcpy(addr_gpa2hva(as->vm, gpa), start, (size_t)(end - start));
	guest_as_map(as, va, gpa, size, flags & ~(GUEST_MAP_NOEXEC | GUEST_MAP_LARGE));
	return gpa;
}

/* ---- guest code ---- */

uint64_t vm_code_va(struct kvm_vm *vm, const uint8_t *sym)
{
	(void)vm;	/* every VM has the blob at the same place */
	TEST_ASSERT(sym >= guest_code_start && sym <= guest_code_end,
		    "%p is not in the guest code blob", (const void *)sym);
	return GUEST_CODE_GPA + (uint64_t)(sym - guest_code_start);
}

/* ---- descriptor tables ---- */

static void write_idt_gate(struct kvm_vm *vm, unsigned int vector, uint64_t handler, int dpl)
{
	uint64_t *gate = addr_gpa2hva(vm, GUEST_IDT_GPA + 16 * vector);

	gate[0] = (handler & 0xffff) | ((uint64_t)GUEST_SEL_KERNEL_CS << 16) |
		  ((uint64_t)(0x80 | dpl << 5 | IDT_GATE_INTR64) << 40) |
		  ((handler >> 16 & 0xffff) << 48);
	gate[1] = handler >> 32;
}

static void vm_setup_descriptor_tables(struct kvm_vm *vm)
{
	uint64_t *gdt = addr_gpa2hva(vm, GUEST_GDT_GPA);
	uint64_t stubs = vm_code_va(vm, guest_exception_stubs);

	gdt[GUEST_SEL_KERNEL_CS >> 3] = GDT_KERNEL_CODE64;
	gdt[GUEST_SEL_KERNEL_DS >> 3] = GDT_KERNEL_DATA;
	gdt[GUEST_SEL_USER_DS >> 3] = GDT_USER_DATA;
	gdt[GUEST_SEL_USER_CS >> 3] = GDT_USER_CODE64;
	/* TSS descriptors: written per vCPU by vm_vcpu_add(). */

	for (unsigned int v = 0; v < GUEST_NR_EXCEPTIONS; v++)
		write_idt_gate(vm, v, stubs + v * GUEST_EXCEPTION_STUB_SIZE, 0);
	/* DPL 3, so that "int" from CPL 3 may use it. */
	write_idt_gate(vm, GUEST_VECTOR_USER_EXIT, vm_code_va(vm, guest_user_exit), 3);
}

/* The vCPU's 64-bit TSS (RSP0 = its CPL 0 stack, for CPL 3 -> 0 entries)
 * and its GDT descriptor, busy as TR's hidden part says. */
static uint64_t vcpu_setup_tss(struct kvm_vcpu *vcpu)
{
	struct kvm_vm *vm = vcpu->vm;
	uint64_t tss = GUEST_TSS_GPA + vcpu->id * GUEST_TSS_SIZE;
	uint8_t *t = addr_gpa2hva(vm, tss);
	uint64_t *desc = addr_gpa2hva(vm, GUEST_GDT_GPA + GUEST_SEL_TSS(vcpu->id));
	uint16_t iomap = TSS64_LIMIT + 1;	/* no I/O bitmap: IOPL decides */

	memset(t, 0, GUEST_TSS_SIZE);
	memcpy(t + TSS64_RSP0_OFFSET, &vcpu->stack_top, 8);
	memcpy(t + TSS64_IOMAP_OFFSET, &iomap, 2);
	desc[0] = TSS64_LIMIT | (tss & 0xffffff) << 16 |
		  (uint64_t)(0x80 | SEG_TYPE_TSS64_BUSY) << 40 | (tss >> 24 & 0xff) << 56;
	desc[1] = tss >> 32;
	return tss;
}

/* ---- VMs ---- */

int __vm_create(uint64_t mem_size, struct kvm_vm **out)
{
	struct kvm_userspace_memory_region region;
	struct kvm_vm *vm;
	uint64_t code_size = (uint64_t)(guest_code_end - guest_code_start);
	int ret;

	if (!mem_size || mem_size % GUEST_LARGE_PAGE_SIZE || mem_size > GUEST_MEM_MAX ||
	    mem_size <= GUEST_ALLOC_GPA)
		return -EINVAL;
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	vm->fd = -1;
	vm->mem = MAP_FAILED;
	pthread_mutex_init(&vm->lock, NULL);

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		goto fail;
	ret = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (ret != KVM_API_VERSION) {
		errno = ret < 0 ? errno : EINVAL;
		goto fail;
	}
	do {
		vm->fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	} while (vm->fd < 0 && errno == EINTR);
	if (vm->fd < 0)
		goto fail;
	ret = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (ret < 0)
		goto fail;
	vm->run_size = (size_t)ret;

	vm->mem_size = mem_size;
	vm->mem = mmap(NULL, mem_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->mem == MAP_FAILED)
		goto fail;
	region = (struct kvm_userspace_memory_region){
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = mem_size,
		.userspace_addr = (uint64_t)(uintptr_t)vm->mem,
	};
	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &region))
		goto fail;

	/* From here on only memory writes: failures are bugs, so assert. */
	TEST_ASSERT(code_size <= GUEST_CODE_MAX, "guest code is %llu bytes, over %u",
		    (unsigned long long)code_size, GUEST_CODE_MAX);
	memcpy(vm->mem + GUEST_CODE_GPA, guest_code_start, code_size);
	vm_setup_descriptor_tables(vm);
	vm->pt_next = GUEST_PT_POOL_GPA;
	vm->alloc_next = GUEST_ALLOC_GPA;

	guest_as_create(vm);	/* the default address space, index 0 */
	vm_map_shared(vm, GUEST_GDT_GPA, GUEST_GDT_GPA,
		      GUEST_TSS_GPA + GUEST_PAGE_SIZE - GUEST_GDT_GPA,
		      GUEST_MAP_WRITE | GUEST_MAP_NOEXEC);
	/* User-accessible so that any snippet can also run at CPL 3. */
	vm_map_shared(vm, GUEST_CODE_GPA, GUEST_CODE_GPA,
		      round_up(code_size, GUEST_PAGE_SIZE), GUEST_MAP_USER);
	vm_map_shared(vm, GUEST_KSTACKS_GPA, GUEST_KSTACKS_GPA,
		      GUEST_MAX_VCPUS * GUEST_STACK_SIZE, GUEST_MAP_WRITE | GUEST_MAP_NOEXEC);
	vm_map_shared(vm, GUEST_USTACKS_GPA, GUEST_USTACKS_GPA,
		      GUEST_MAX_VCPUS * GUEST_STACK_SIZE,
		      GUEST_MAP_WRITE | GUEST_MAP_NOEXEC | GUEST_MAP_USER);
	*out = vm;
	return 0;

fail:
	ret = -errno;
	if (vm->mem != MAP_FAILED)
		munmap(vm->mem, mem_size);
	if (vm->fd >= 0)
		close(vm->fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	pthread_mutex_destroy(&vm->lock);
	free(vm);
	return ret;
}

struct kvm_vm *vm_create_with_mem(uint64_t mem_size)
{
	struct kvm_vm *vm = NULL;
	int ret = __vm_create(mem_size, &vm);

	TEST_ASSERT(ret == 0, "creating a VM with 0x%llx bytes of memory: %s",
		    (unsigned long long)mem_size, strerror(-ret));
	return vm;
}

struct kvm_vm *vm_create(void)
{
	return vm_create_with_mem(GUEST_MEM_DEFAULT);
}

void vcpu_free(struct kvm_vcpu *vcpu)
{
	struct kvm_vm *vm = vcpu->vm;

	pthread_mutex_lock(&vm->lock);
	vm->vcpus[vcpu->id] = NULL;
	pthread_mutex_unlock(&vm->lock);
	munmap(vcpu->run, vm->run_size);
	close(vcpu->fd);
	free(vcpu->cpuid);
	free(vcpu);
}

void vm_free(struct kvm_vm *vm)
{
	if (!vm)
		return;
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		if (vm->vcpus[i])
			vcpu_free(vm->vcpus[i]);
	for (unsigned int i = 0; i < vm->nr_as; i++)
		free(vm->as[i]);
	munmap(vm->mem, vm->mem_size);
	close(vm->fd);
	close(vm->kvm_fd);
	pthread_mutex_destroy(&vm->lock);
	free(vm);
}

/* ---- vCPUs ---- */

static void seg_flat(struct kvm_segment *s, uint16_t selector, bool code, int dpl)
{
	*s = (struct kvm_segment){
		.base = 0,
		.limit = 0xffffffff,
		.selector = selector,
		.type = code ? SEG_TYPE_CODE : SEG_TYPE_DATA,
		.present = 1,
		.dpl = (uint8_t)dpl,
		.db = code ? 0 : 1,
		.s = 1,
		.l = code ? 1 : 0,
		.g = 1,
	};
}

struct kvm_vcpu *vm_vcpu_add(struct kvm_vm *vm)
{
	const struct kvm_cpuid2 *supported = kvm_supported_cpuid();
	struct kvm_vcpu *vcpu = calloc(1, sizeof(*vcpu));
	struct kvm_sregs sregs;
	uint64_t tss;

	TEST_ASSERT(vcpu, "out of memory");
	pthread_mutex_lock(&vm->lock);
	TEST_ASSERT(vm->nr_vcpus < GUEST_MAX_VCPUS, "more than %u vCPUs", GUEST_MAX_VCPUS);
	vcpu->id = vm->nr_vcpus++;
	vm->vcpus[vcpu->id] = vcpu;
	pthread_mutex_unlock(&vm->lock);
	vcpu->vm = vm;
	vcpu->stack_top = GUEST_KSTACKS_GPA + (vcpu->id + 1) * GUEST_STACK_SIZE;
	vcpu->user_stack_top = GUEST_USTACKS_GPA + (vcpu->id + 1) * GUEST_STACK_SIZE;

	vcpu->fd = ioctl(vm->fd, KVM_CREATE_VCPU, vcpu->id);
	TEST_ASSERT(vcpu->fd >= 0, "KVM_CREATE_VCPU %u: %m", vcpu->id);
	vcpu->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd, 0);
	TEST_ASSERT(vcpu->run != MAP_FAILED, "mmap of vCPU %u's kvm_run: %m", vcpu->id);

	/* CPUID first: 6.12 rejects a long-mode EFER unless CPUID has LM. */
	vcpu->cpuid = malloc(cpuid_size(supported->nent));
	TEST_ASSERT(vcpu->cpuid, "out of memory");
	memcpy(vcpu->cpuid, supported, cpuid_size(supported->nent));
	vcpu_cpuid_apply(vcpu);

	tss = vcpu_setup_tss(vcpu);
	vcpu_sregs_get(vcpu, &sregs);
	seg_flat(&sregs.cs, GUEST_SEL_KERNEL_CS, true, 0);
	seg_flat(&sregs.ds, GUEST_SEL_KERNEL_DS, false, 0);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.tr = (struct kvm_segment){
		.base = tss, .limit = TSS64_LIMIT, .selector = GUEST_SEL_TSS(vcpu->id),
		.type = SEG_TYPE_TSS64_BUSY, .present = 1,
	};
	sregs.ldt = (struct kvm_segment){ .unusable = 1 };
	sregs.gdt.base = GUEST_GDT_GPA;
	sregs.gdt.limit = GUEST_SEL_TSS(GUEST_MAX_VCPUS) - 1;
	sregs.idt.base = GUEST_IDT_GPA;
	sregs.idt.limit = GUEST_PAGE_SIZE - 1;
	sregs.cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP |
		    X86_CR0_AM | X86_CR0_PG;
	sregs.cr4 = X86_CR4_PAE;
	sregs.efer = EFER_LME | EFER_LMA | EFER_NXE;
	sregs.cr3 = vm_default_as(vm)->cr3;
	vcpu_sregs_set(vcpu, &sregs);

	vcpu_set_entry(vcpu, vm_code_va(vm, guest_hlt));
	return vcpu;
}

void vcpu_regs_get(struct kvm_vcpu *vcpu, struct kvm_regs *regs)
{
	TEST_ASSERT(!ioctl(vcpu->fd, KVM_GET_REGS, regs), "KVM_GET_REGS on vCPU %u: %m",
		    vcpu->id);
}

void vcpu_regs_set(struct kvm_vcpu *vcpu, const struct kvm_regs *regs)
{
	TEST_ASSERT(!ioctl(vcpu->fd, KVM_SET_REGS, regs), "KVM_SET_REGS on vCPU %u: %m",
		    vcpu->id);
}

void vcpu_sregs_get(struct kvm_vcpu *vcpu, struct kvm_sregs *sregs)
{
	TEST_ASSERT(!ioctl(vcpu->fd, KVM_GET_SREGS, sregs), "KVM_GET_SREGS on vCPU %u: %m",
		    vcpu->id);
}

int __vcpu_sregs_set(struct kvm_vcpu *vcpu, const struct kvm_sregs *sregs)
{
	return ioctl(vcpu->fd, KVM_SET_SREGS, sregs);
}

void vcpu_sregs_set(struct kvm_vcpu *vcpu, const struct kvm_sregs *sregs)
{
	TEST_ASSERT(!__vcpu_sregs_set(vcpu, sregs),
		    "KVM_SET_SREGS on vCPU %u (CR0 0x%llx CR4 0x%llx EFER 0x%llx): %m",
		    vcpu->id, sregs->cr0, sregs->cr4, sregs->efer);
}

void vcpu_set_cr3(struct kvm_vcpu *vcpu, uint64_t cr3)
{
	struct kvm_sregs sregs;

	vcpu_sregs_get(vcpu, &sregs);
	sregs.cr3 = cr3;
	vcpu_sregs_set(vcpu, &sregs);
}

static void regs_set_args(struct kvm_regs *regs, const uint64_t *args, unsigned int nargs)
{
	__u64 *slots[] = { &regs->rdi, &regs->rsi, &regs->rdx, &regs->rcx,
			   &regs->r8, &regs->r9 };

	TEST_ASSERT(nargs <= ARRAY_SIZE(slots), "%u guest arguments; at most %zu",
		    nargs, ARRAY_SIZE(slots));
	for (unsigned int i = 0; i < nargs; i++)
		*slots[i] = args[i];
}

void vcpu_set_entry_args(struct kvm_vcpu *vcpu, uint64_t rip,
			 const uint64_t *args, unsigned int nargs)
{
	struct kvm_regs regs = {
		.rip = rip,
		.rsp = vcpu->stack_top,
		.rflags = 2,
	};

	regs_set_args(&regs, args, nargs);
	vcpu_regs_set(vcpu, &regs);
}

void vcpu_set_entry_user_args(struct kvm_vcpu *vcpu, uint64_t user_rip,
			      const uint64_t *args, unsigned int nargs)
{
	struct kvm_regs regs = {
		.rip = vm_code_va(vcpu->vm, guest_enter_user),
		.rsp = vcpu->stack_top,
		.rflags = 2,
		.r14 = user_rip,
		.r15 = vcpu->user_stack_top,
	};

	regs_set_args(&regs, args, nargs);
	vcpu_regs_set(vcpu, &regs);
}

void vcpu_set_interrupt_flag(struct kvm_vcpu *vcpu)
{
	struct kvm_regs regs;

	vcpu_regs_get(vcpu, &regs);
	regs.rflags |= 1u << 9;		/* X86_EFLAGS_IF */
	vcpu_regs_set(vcpu, &regs);
}

/* ---- running and exits ---- */

static const char *const exit_reason_names[] = {
#define NAME(x) [KVM_EXIT_##x] = #x
	NAME(UNKNOWN), NAME(EXCEPTION), NAME(IO), NAME(HYPERCALL), NAME(DEBUG),
	NAME(HLT), NAME(MMIO), NAME(IRQ_WINDOW_OPEN), NAME(SHUTDOWN),
	NAME(FAIL_ENTRY), NAME(INTR), NAME(SET_TPR), NAME(TPR_ACCESS),
	NAME(S390_SIEIC), NAME(S390_RESET), NAME(DCR), NAME(NMI),
	NAME(INTERNAL_ERROR), NAME(OSI), NAME(PAPR_HCALL), NAME(S390_UCONTROL),
	NAME(WATCHDOG), NAME(S390_TSCH), NAME(EPR), NAME(SYSTEM_EVENT),
	NAME(S390_STSI), NAME(IOAPIC_EOI), NAME(HYPERV),
#undef NAME
};

const char *exit_reason_str(uint32_t exit_reason)
{
	if (exit_reason < ARRAY_SIZE(exit_reason_names) && exit_reason_names[exit_reason])
		return exit_reason_names[exit_reason];
	return "(unknown exit reason)";
}

static const char *const exception_names[GUEST_NR_EXCEPTIONS] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "(9)",
	"#TS", "#NP", "#SS", "#GP", "#PF", "(15)", "#MF", "#AC", "#MC", "#XM",
	"#VE", "#CP", "(22)", "(23)", "(24)", "(25)", "(26)", "(27)", "#HV",
	"#VC", "#SX", "(31)",
};

bool vcpu_get_exception(struct kvm_vcpu *vcpu, struct guest_exception *exc)
{
	struct kvm_run *run = vcpu->run;
	struct kvm_regs regs;

	if (run->exit_reason != KVM_EXIT_IO || run->io.port != GUEST_PORT_EXCEPTION ||
	    run->io.direction != KVM_EXIT_IO_OUT)
		return false;
	vcpu_regs_get(vcpu, &regs);
	*exc = (struct guest_exception){
		.vector = (uint32_t)regs.rax,
		.error_code = regs.rbx,
		.rip = regs.rcx,
		.cs = regs.rdi,
		.rflags = regs.r8,
		.rsp = regs.r9,
		.cr2 = regs.rsi,
	};
	return true;
}

/* Fail the test on exits that mean the guest or KVM gave up. */
static void vcpu_check_fatal_exit(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	struct guest_exception exc;
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	if (vcpu_get_exception(vcpu, &exc))
		TEST_FAIL("vCPU %u: guest exception %s (vector %u), error code 0x%llx, "
			  "at RIP 0x%llx (CS 0x%llx, RFLAGS 0x%llx, RSP 0x%llx), CR2 0x%llx",
			  vcpu->id, exc.vector < GUEST_NR_EXCEPTIONS ?
			  exception_names[exc.vector] : "?", exc.vector,
			  (unsigned long long)exc.error_code, (unsigned long long)exc.rip,
			  (unsigned long long)exc.cs, (unsigned long long)exc.rflags,
			  (unsigned long long)exc.rsp, (unsigned long long)exc.cr2);

	switch (run->exit_reason) {
	case KVM_EXIT_SHUTDOWN:
		vcpu_regs_get(vcpu, &regs);
		vcpu_sregs_get(vcpu, &sregs);
		TEST_FAIL("vCPU %u: guest shut down (triple fault) at RIP 0x%llx, "
			  "RSP 0x%llx, CR3 0x%llx, CS 0x%x",
			  vcpu->id, regs.rip, regs.rsp, sregs.cr3, sregs.cs.selector);
	case KVM_EXIT_FAIL_ENTRY:
		TEST_FAIL("vCPU %u: VM entry failed, hardware reason 0x%llx on CPU %u",
			  vcpu->id, run->fail_entry.hardware_entry_failure_reason,
			  run->fail_entry.cpu);
	case KVM_EXIT_INTERNAL_ERROR:
		TEST_FAIL("vCPU %u: KVM internal error, suberror %u (%u data words, "
			  "first 0x%llx)", vcpu->id, run->internal.suberror,
			  run->internal.ndata,
			  run->internal.ndata ? run->internal.data[0] : 0ull);
	default:
		break;
	}
}

int __vcpu_run(struct kvm_vcpu *vcpu)
{
	return ioctl(vcpu->fd, KVM_RUN, NULL);
}

void vcpu_run(struct kvm_vcpu *vcpu)
{
	int ret;

	/* A signal (EINTR, exit KVM_EXIT_INTR) is no guest event: go on. */
	do {
		ret = __vcpu_run(vcpu);
	} while (ret == -1 && errno == EINTR);
	TEST_ASSERT(ret == 0, "KVM_RUN on vCPU %u: %m", vcpu->id);
	vcpu_check_fatal_exit(vcpu);
}

void vcpu_assert_exit(struct kvm_vcpu *vcpu, uint32_t exit_reason)
{
	struct kvm_regs regs;
	uint32_t got = vcpu->run->exit_reason;

	if (got == exit_reason)
		return;
	vcpu_regs_get(vcpu, &regs);
	if (got == KVM_EXIT_IO)
		TEST_FAIL("vCPU %u: expected exit %s, got IO (%s port 0x%x, size %u) at RIP 0x%llx",
			  vcpu->id, exit_reason_str(exit_reason),
			  vcpu->run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in",
			  vcpu->run->io.port, vcpu->run->io.size, regs.rip);
	TEST_FAIL("vCPU %u: expected exit %s, got %s (%u) at RIP 0x%llx",
		  vcpu->id, exit_reason_str(exit_reason), exit_reason_str(got), got, regs.rip);
}

uint32_t vcpu_assert_io_out(struct kvm_vcpu *vcpu, uint16_t port, uint8_t size)
{
	struct kvm_run *run = vcpu->run;
	uint32_t data = 0;

	vcpu_assert_exit(vcpu, KVM_EXIT_IO);
	TEST_ASSERT(run->io.direction == KVM_EXIT_IO_OUT && run->io.port == port &&
		    run->io.size == size && run->io.count == 1,
		    "vCPU %u: expected OUT of %u bytes to port 0x%x, got %s of %u x %u bytes to port 0x%x",
		    vcpu->id, size, port, run->io.direction == KVM_EXIT_IO_OUT ? "OUT" : "IN",
		    run->io.count, run->io.size, run->io.port);
	memcpy(&data, (uint8_t *)run + run->io.data_offset, size);
	return data;
}

void vcpu_run_expect_out(struct kvm_vcpu *vcpu, uint16_t port, uint8_t size, uint32_t data)
{
	uint32_t got;

	vcpu_run(vcpu);
	got = vcpu_assert_io_out(vcpu, port, size);
	TEST_ASSERT(got == data, "vCPU %u: OUT to port 0x%x wrote 0x%x, expected 0x%x",
		    vcpu->id, port, got, data);
}

void vcpu_assert_done(struct kvm_vcpu *vcpu)
{
	uint64_t hlt = vm_code_va(vcpu->vm, guest_hlt);
	struct kvm_regs regs;

	vcpu_assert_exit(vcpu, KVM_EXIT_HLT);
	vcpu_regs_get(vcpu, &regs);
	/* KVM reports HLT with RIP past the one-byte instruction. */
	TEST_ASSERT(regs.rip == hlt + 1, "vCPU %u: HLT at RIP 0x%llx, expected guest_hlt + 1 = 0x%llx",
		    vcpu->id, regs.rip, (unsigned long long)hlt + 1);
}
