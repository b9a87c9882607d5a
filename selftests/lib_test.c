// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the selftest guest library itself: what the guest snippets do
 * is exactly what KVM shows the host (exits, ports, data, RIPs, CR3s, CPL),
 * and the library's page tables and descriptor tables say what they should.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "kvm_util.h"
#include "tap.h"

/* Any port that KVM does not handle itself and without quirks (not 0x7e). */
#define TEST_PORT	0x5000

/* Page-fault error code bits. */
#define PF_INSTRUCTION_FETCH	(1u << 4)

#define UD_VECTOR	6
#define PF_VECTOR	14

static void assert_rip(struct kvm_vcpu *vcpu, uint64_t rip)
{
	struct kvm_regs regs;

	vcpu_regs_get(vcpu, &regs);
	TEST_ASSERT(regs.rip == rip, "vCPU %u: RIP 0x%llx, expected 0x%llx",
		    vcpu->id, regs.rip, (unsigned long long)rip);
}

static uint64_t get_cr3(struct kvm_vcpu *vcpu)
{
	struct kvm_sregs sregs;

	vcpu_sregs_get(vcpu, &sregs);
	return sregs.cr3;
}

/* A guest doing N OUTs is seen as exactly N KVM_EXIT_IO exits (port, size,
 * direction, data, RIP of the OUT), then the HLT. */
static void test_port_writes(void)
{
	const uint32_t first = 0xabc00000, count = 7;
	struct kvm_vm *vm = vm_create();
	struct kvm_vcpu *vcpu = vm_vcpu_add(vm);
	uint64_t out_rip = vm_code_va(vm, guest_port_writes_out);
	struct kvm_regs regs;

	vcpu_set_entry(vcpu, vm_code_va(vm, guest_port_writes), TEST_PORT, count, first);
	for (uint32_t i = 0; i < count; i++) {
		vcpu_run_expect_out(vcpu, TEST_PORT, 4, first + i);
		assert_rip(vcpu, out_rip);
	}
	vcpu_run(vcpu);
	vcpu_assert_done(vcpu);
	vcpu_regs_get(vcpu, &regs);
	TEST_ASSERT_EQ(regs.rax, first + count);

	/* Zero writes: straight to the HLT. */
	vcpu_set_entry(vcpu, vm_code_va(vm, guest_port_writes), TEST_PORT, 0, first);
	vcpu_run(vcpu);
	vcpu_assert_done(vcpu);
	vm_free(vm);
}

/* HLT exits with KVM_EXIT_HLT, RIP past the HLT, in 64-bit mode at CPL 0
 * with the default address space; running again halts again. */
static void test_hlt(void)
{
	struct kvm_vm *vm = vm_create();
	struct kvm_vcpu *vcpu = vm_vcpu_add(vm);
	uint64_t hlt = vm_code_va(vm, guest_hlt);
	struct kvm_sregs sregs;

	vcpu_set_entry(vcpu, hlt);
	for (int i = 0; i < 3; i++) {
		vcpu_run(vcpu);
		vcpu_assert_exit(vcpu, KVM_EXIT_HLT);
		assert_rip(vcpu, hlt + 1);
	}
	vcpu_sregs_get(vcpu, &sregs);
	TEST_ASSERT_EQ(sregs.cs.selector, GUEST_SEL_KERNEL_CS);
	TEST_ASSERT_EQ(sregs.cs.dpl, 0);
	TEST_ASSERT_EQ(sregs.cs.l, 1);
	TEST_ASSERT(sregs.efer & (1u << 10), "EFER 0x%llx: LMA clear", sregs.efer);
	TEST_ASSERT(sregs.cr0 & (1ull << 31), "CR0 0x%llx: PG clear", sregs.cr0);
	TEST_ASSERT_EQ(sregs.cr3, vm_default_as(vm)->cr3);
	vm_free(vm);
}

static void run_cpuid(struct kvm_vcpu *vcpu, uint32_t leaf, uint32_t index,
		      uint32_t eax, uint32_t ebx, uint32_t ecx, uint32_t edx)
{
	vcpu_set_entry(vcpu, vm_code_va(vcpu->vm, guest_cpuid), leaf, index, TEST_PORT);
	vcpu_run_expect_out(vcpu, TEST_PORT, 4, eax);
	vcpu_run_expect_out(vcpu, TEST_PORT, 4, ebx);
	vcpu_run_expect_out(vcpu, TEST_PORT, 4, ecx);
	vcpu_run_expect_out(vcpu, TEST_PORT, 4, edx);
	vcpu_run(vcpu);
	vcpu_assert_done(vcpu);
}

/* CPUID in the guest returns what KVM_SET_CPUID2 configured: two subleaves
 * of a leaf of our own, and leaf 0 as KVM supports it. */
static void test_cpuid(void)
{
	const uint32_t leaf = 0x40000100;
	struct kvm_vm *vm = vm_create();
	struct kvm_vcpu *vcpu = vm_vcpu_add(vm);
	const struct kvm_cpuid_entry2 *e;

	vcpu_cpuid_set_entry(vcpu, leaf, 0, 0x12345678, 0x9abcdef0, 0x0badf00d, 0xfeedface);
	vcpu_cpuid_set_entry(vcpu, leaf, 1, 0x11111111, 0x22222222, 0x33333333, 0x44444444);
	run_cpuid(vcpu, leaf, 0, 0x12345678, 0x9abcdef0, 0x0badf00d, 0xfeedface);
	run_cpuid(vcpu, leaf, 1, 0x11111111, 0x22222222, 0x33333333, 0x44444444);

	e = cpuid_find(vcpu->cpuid, 0, 0);
	TEST_ASSERT(e, "no CPUID leaf 0 in KVM_GET_SUPPORTED_CPUID");
	run_cpuid(vcpu, 0, 0, e->eax, e->ebx, e->ecx, e->edx);
	vm_free(vm);
}

/* A spin of K iterations ends with the count K, reported and in %rax. */
static void test_spin(void)
{
	const uint64_t iterations = 1000000;
	struct kvm_vm *vm = vm_create();
	struct kvm_vcpu *vcpu = vm_vcpu_add(vm);
	struct kvm_regs regs;
	uint64_t start;

	vcpu_set_entry(vcpu, vm_code_va(vm, guest_spin), iterations, TEST_PORT);
	start = test_now_ns();
	vcpu_run_expect_out(vcpu, TEST_PORT, 4, (uint32_t)iterations);
	test_diag("spin: %llu iterations in %.3f s", (unsigned long long)iterations,
		  (test_now_ns() - start) / 1e9);
	assert_rip(vcpu, vm_code_va(vm, guest_spin_out));
	vcpu_run(vcpu);
	vcpu_assert_done(vcpu);
	vcpu_regs_get(vcpu, &regs);
	TEST_ASSERT_EQ(regs.rax, iterations);

	vcpu_set_entry(vcpu, vm_code_va(vm, guest_spin), 0, TEST_PORT);
	vcpu_run_expect_out(vcpu, TEST_PORT, 4, 0);
	vcpu_run(vcpu);
	vcpu_assert_done(vcpu);
	vm_free(vm);
}

/* Two address spaces that map the same VA to different pages (marker bytes
 * 'A' and 'B'). */
struct as_pair {
	struct guest_as *a, *b;
	uint64_t marker_va;
};

static struct as_pair as_pair_create(struct kvm_vm *vm, uint8_t marker_a, uint8_t marker_b)
{
	struct as_pair p = {
		.a = guest_as_create(vm),
		.b = guest_as_create(vm),
		.marker_va = GUEST_PRIVATE_VA,
	};
	uint64_t page_a = vm_alloc_pages(vm, 1), page_b = vm_alloc_pages(vm, 1);

	*(uint8_t *)addr_gpa2hva(vm, page_a) = marker_a;
	*(uint8_t *)addr_gpa2hva(vm, page_b) = marker_b;
	guest_as_map(p.a, p.marker_va, page_a, GUEST_PAGE_SIZE, GUEST_MAP_NOEXEC);
	guest_as_map(p.b, p.marker_va, page_b, GUEST_PAGE_SIZE, GUEST_MAP_NOEXEC);
	return p;
}

/* Run guest_cr3_switch (already set up) and check every exit: data =
 * round << 8 | marker read through the live page tables, RIP of the OUT,
 * and the CR3 KVM_GET_SREGS reports. */
static void check_cr3_switch(struct kvm_vcpu *vcpu, const struct as_pair *p,
			     uint8_t marker_a, uint8_t marker_b, uint16_t port,
			     uint32_t rounds)
{
	uint64_t out_a = vm_code_va(vcpu->vm, guest_cr3_switch_out_a);
	uint64_t out_b = vm_code_va(vcpu->vm, guest_cr3_switch_out_b);

	for (uint32_t i = 0; i < rounds; i++) {
		vcpu_run_expect_out(vcpu, port, 4, i << 8 | marker_a);
		assert_rip(vcpu, out_a);
		TEST_ASSERT_EQ(get_cr3(vcpu), p->a->cr3);
		vcpu_run_expect_out(vcpu, port, 4, i << 8 | marker_b);
		assert_rip(vcpu, out_b);
		TEST_ASSERT_EQ(get_cr3(vcpu), p->b->cr3);
	}
	vcpu_run(vcpu);
	vcpu_assert_done(vcpu);
	TEST_ASSERT_EQ(get_cr3(vcpu), p->b->cr3);
}

/* CR3 switches with no exit in between: each OUT reports the address space
 * it ran in, and KVM agrees on CR3 at every exit. */
static void test_cr3_switch(void)
{
	const uint32_t rounds = 50;
	struct kvm_vm *vm = vm_create();
	struct kvm_vcpu *vcpu = vm_vcpu_add(vm);
	struct as_pair p = as_pair_create(vm, 'A', 'B');

	TEST_ASSERT(p.a->cr3 != p.b->cr3 && p.a->cr3 != vm_default_as(vm)->cr3,
		    "address spaces share a CR3");
	TEST_ASSERT(!guest_as_pte(vm_default_as(vm), p.marker_va, NULL),
		    "marker VA mapped in the default address space");
	vcpu_set_entry(vcpu, vm_code_va(vm, guest_cr3_switch), p.a->cr3, p.b->cr3,
		       rounds, TEST_PORT, p.marker_va);
	check_cr3_switch(vcpu, &p, 'A', 'B', TEST_PORT, rounds);
	vm_free(vm);
}

/* Alternate spinning in code mapped only under CR3 A and code mapped only
 * under CR3 B: both ran every round, each for exactly K iterations. */
static void test_alternate_spin(void)
{
	const uint64_t rounds = 20, iterations = 50000;
	const uint64_t code_a = GUEST_PRIVATE_VA + 0x100000;
	const uint64_t code_b = GUEST_PRIVATE_VA + 0x200000;
	struct kvm_vm *vm = vm_create();
	struct kvm_vcpu *vcpu = vm_vcpu_add(vm);
	struct as_pair p = as_pair_create(vm, 'A', 'B');
	struct kvm_regs regs;
	uint64_t start;

	guest_as_load_code(p.a, code_a, guest_private_spin, guest_private_spin_end, 0);
	guest_as_load_code(p.b, code_b, guest_private_spin, guest_private_spin_end, 0);
	TEST_ASSERT(!guest_as_pte(p.b, code_a, NULL) && !guest_as_pte(p.a, code_b, NULL),
		    "private code mapped in the other address space");

	vcpu_set_entry(vcpu, vm_code_va(vm, guest_alternate_spin), p.a->cr3, p.b->cr3,
		       rounds, iterations, code_a, code_b);
	start = test_now_ns();
	vcpu_run(vcpu);
	vcpu_assert_done(vcpu);
	test_diag("alternate spin: 2 x %llu x %llu iterations in %.3f s",
		  (unsigned long long)rounds, (unsigned long long)iterations,
		  (test_now_ns() - start) / 1e9);
	vcpu_regs_get(vcpu, &regs);
	TEST_ASSERT_EQ(regs.r12, rounds * iterations);
	TEST_ASSERT_EQ(regs.r13, rounds * iterations);
	TEST_ASSERT_EQ(get_cr3(vcpu), p.b->cr3);
	vm_free(vm);
}

/* Code mapped only in A runs under CR3 A and faults (instruction fetch,
 * not present, at its VA) under CR3 B; the exception report says so. */
static void test_private_code(void)
{
	const uint64_t code = GUEST_PRIVATE_VA + 0x100000;
	struct kvm_vm *vm = vm_create();
	struct kvm_vcpu *vcpu = vm_vcpu_add(vm);
	struct as_pair p = as_pair_create(vm, 'A', 'B');
	uint64_t call_in_as = vm_code_va(vm, guest_call_in_as);
	struct guest_exception exc;
	struct kvm_regs regs;

	guest_as_load_code(p.a, code, guest_private_spin, guest_private_spin_end, 0);

	vcpu_set_entry(vcpu, call_in_as, p.a->cr3, code, 1234);
	vcpu_run(vcpu);
	vcpu_assert_done(vcpu);
	vcpu_regs_get(vcpu, &regs);
	TEST_ASSERT_EQ(regs.rax, 1234);

	vcpu_set_entry(vcpu, call_in_as, p.b->cr3, code, 1234);
	TEST_ASSERT_SYSCALL(__vcpu_run(vcpu), "KVM_RUN");
	TEST_ASSERT(vcpu_get_exception(vcpu, &exc), "exit %s, expected the #PF report",
		    exit_reason_str(vcpu->run->exit_reason));
	TEST_ASSERT_EQ(exc.vector, PF_VECTOR);
	TEST_ASSERT_EQ(exc.error_code, PF_INSTRUCTION_FETCH);
	TEST_ASSERT_EQ(exc.rip, code);
	TEST_ASSERT_EQ(exc.cr2, code);
	TEST_ASSERT_EQ(exc.cs, GUEST_SEL_KERNEL_CS);
	vm_free(vm);
}

/* Code at CPL 3: every OUT exit shows CS and SS with DPL 3 (the user
 * selectors) and IOPL 3; the snippet then returns to CPL 0 to halt. */
static void test_user_mode(void)
{
	const uint32_t first = 0x300, count = 5;
	struct kvm_vm *vm = vm_create();
	struct kvm_vcpu *vcpu = vm_vcpu_add(vm);
	uint64_t out_rip = vm_code_va(vm, guest_port_writes_out);
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	vcpu_set_entry_user(vcpu, vm_code_va(vm, guest_port_writes), TEST_PORT, count, first);
	for (uint32_t i = 0; i < count; i++) {
		vcpu_run_expect_out(vcpu, TEST_PORT, 4, first + i);
		vcpu_regs_get(vcpu, &regs);
		vcpu_sregs_get(vcpu, &sregs);
		TEST_ASSERT_EQ(regs.rip, out_rip);
		TEST_ASSERT_EQ(sregs.cs.dpl, 3);
		TEST_ASSERT_EQ(sregs.ss.dpl, 3);
		TEST_ASSERT_EQ(sregs.cs.selector, GUEST_SEL_USER_CS);
		TEST_ASSERT_EQ(sregs.ss.selector, GUEST_SEL_USER_DS);
		TEST_ASSERT_EQ(regs.rflags & 0x3000, 0x3000);
		TEST_ASSERT_EQ(regs.rsp, vcpu->user_stack_top);
	}
	vcpu_run(vcpu);
	vcpu_assert_done(vcpu);
	vcpu_sregs_get(vcpu, &sregs);
	TEST_ASSERT_EQ(sregs.cs.dpl, 0);
	TEST_ASSERT_EQ(sregs.cs.selector, GUEST_SEL_KERNEL_CS);
	vm_free(vm);
}

/* A guest exception is reported with vector, RIP and CS, at CPL 0 and 3. */
static void test_exception_report(void)
{
	struct kvm_vm *vm = vm_create();
	struct kvm_vcpu *vcpu = vm_vcpu_add(vm);
	uint64_t ud2 = vm_code_va(vm, guest_ud2);
	struct guest_exception exc;

	vcpu_set_entry(vcpu, ud2);
	TEST_ASSERT_SYSCALL(__vcpu_run(vcpu), "KVM_RUN");
	TEST_ASSERT(vcpu_get_exception(vcpu, &exc), "exit %s, expected the #UD report",
		    exit_reason_str(vcpu->run->exit_reason));
	TEST_ASSERT_EQ(exc.vector, UD_VECTOR);
	TEST_ASSERT_EQ(exc.rip, ud2);
	TEST_ASSERT_EQ(exc.cs, GUEST_SEL_KERNEL_CS);

	vcpu_set_entry_user(vcpu, ud2);
	TEST_ASSERT_SYSCALL(__vcpu_run(vcpu), "KVM_RUN");
	TEST_ASSERT(vcpu_get_exception(vcpu, &exc), "exit %s, expected the #UD report",
		    exit_reason_str(vcpu->run->exit_reason));
	TEST_ASSERT_EQ(exc.vector, UD_VECTOR);
	TEST_ASSERT_EQ(exc.rip, ud2);
	TEST_ASSERT_EQ(exc.cs, GUEST_SEL_USER_CS);
	vm_free(vm);
}

/* The page tables the library builds: identity-mapped shared regions with
 * the right permissions in every address space (also ones created before
 * a shared mapping was added), nothing at page 0 or GUEST_PRIVATE_VA, and
 * GPA <-> host pointer translation. */
static void test_page_tables(void)
{
	struct kvm_vm *vm = vm_create();
	struct guest_as *def = vm_default_as(vm), *other = guest_as_create(vm);
	struct guest_as *spaces[] = { def, other };
	uint64_t extra = vm_alloc_pages(vm, 2), gpa;
	struct kvm_vcpu *vcpu = vm_vcpu_add(vm);
	uint64_t *pte;

	vm_map_shared(vm, 0x20000000, extra, 2 * GUEST_PAGE_SIZE, GUEST_MAP_WRITE);
	for (unsigned int i = 0; i < ARRAY_SIZE(spaces); i++) {
		struct guest_as *as = spaces[i];
		uint64_t code = vm_code_va(vm, guest_port_writes_out);

		TEST_ASSERT_EQ(guest_as_va2gpa(as, code), code);
		pte = guest_as_pte(as, code, NULL);
		TEST_ASSERT((*pte & (PTE_USER | PTE_WRITE | PTE_NX)) == PTE_USER,
			    "code PTE 0x%llx: want user, read-only, executable",
			    (unsigned long long)*pte);
		pte = guest_as_pte(as, vcpu->stack_top - 8, NULL);
		TEST_ASSERT((*pte & (PTE_USER | PTE_WRITE | PTE_NX)) == (PTE_WRITE | PTE_NX),
			    "stack PTE 0x%llx: want supervisor, writable, NX",
			    (unsigned long long)*pte);
		pte = guest_as_pte(as, vcpu->user_stack_top - 8, NULL);
		TEST_ASSERT((*pte & (PTE_USER | PTE_WRITE | PTE_NX)) ==
			    (PTE_USER | PTE_WRITE | PTE_NX),
			    "user stack PTE 0x%llx: want user, writable, NX",
			    (unsigned long long)*pte);
		TEST_ASSERT_EQ(guest_as_va2gpa(as, GUEST_GDT_GPA), GUEST_GDT_GPA);
		TEST_ASSERT_EQ(guest_as_va2gpa(as, 0x20001234), extra + 0x1234);
		TEST_ASSERT(__guest_as_va2gpa(as, 0, &gpa) == -EFAULT, "page 0 is mapped");
		TEST_ASSERT(__guest_as_va2gpa(as, GUEST_PRIVATE_VA, &gpa) == -EFAULT,
			    "GUEST_PRIVATE_VA is mapped");
		TEST_ASSERT(__guest_as_va2gpa(as, GUEST_PT_POOL_GPA, &gpa) == -EFAULT,
			    "page tables are mapped");
	}
	TEST_ASSERT_EQ(addr_hva2gpa(vm, addr_gpa2hva(vm, 0x123456)), 0x123456);
	TEST_ASSERT(guest_as_va2hva(def, 0x20000010) == addr_gpa2hva(vm, extra + 0x10),
		    "VA -> host pointer disagrees with GPA -> host pointer");
	TEST_ASSERT(!memcmp(addr_gpa2hva(vm, GUEST_CODE_GPA), guest_code_start,
			    (size_t)(guest_code_end - guest_code_start)),
		    "guest code not at GUEST_CODE_GPA");
	vm_free(vm);
}

/* 2 MiB pages: a large page maps code at its last 4 KiB, which runs. */
static void test_large_pages(void)
{
	const uint64_t va = GUEST_PRIVATE_VA + 0x40000000, offset = 0x1ff000;
	struct kvm_vm *vm = vm_create();
	struct kvm_vcpu *vcpu = vm_vcpu_add(vm);
	struct guest_as *as = guest_as_create(vm);
	uint64_t gpa = vm_alloc_pages_aligned(vm, 512, GUEST_LARGE_PAGE_SIZE);
	struct kvm_regs regs;
	uint64_t *pte;
	int level;

	memcpy(addr_gpa2hva(vm, gpa + offset), guest_private_spin,
	       (size_t)(guest_private_spin_end - guest_private_spin));
	guest_as_map(as, va, gpa, GUEST_LARGE_PAGE_SIZE, GUEST_MAP_LARGE);
	pte = guest_as_pte(as, va + offset, &level);
	TEST_ASSERT(pte && level == 2 && (*pte & PTE_LARGE), "no 2 MiB page at 0x%llx",
		    (unsigned long long)va);
	TEST_ASSERT_EQ(guest_as_va2gpa(as, va + offset + 0x123), gpa + offset + 0x123);

	vcpu_set_entry(vcpu, vm_code_va(vm, guest_call_in_as), as->cr3, va + offset, 777);
	vcpu_run(vcpu);
	vcpu_assert_done(vcpu);
	vcpu_regs_get(vcpu, &regs);
	TEST_ASSERT_EQ(regs.rax, 777);
	vm_free(vm);
}

/* Two VMs with two vCPUs each, every vCPU on its own thread at once, each
 * doing the CR3-switch loop with its own address spaces, markers and port:
 * every exit carries exactly its own vCPU's values. */
#define NR_VMS		2
#define VCPUS_PER_VM	2

struct vcpu_job {
	struct kvm_vcpu *vcpu;
	struct as_pair spaces;
	uint8_t marker_a, marker_b;
	uint16_t port;
	uint32_t rounds;
	pthread_barrier_t *start;
};

static void *vcpu_job_run(void *arg)
{
	struct vcpu_job *job = arg;

	pthread_barrier_wait(job->start);
	check_cr3_switch(job->vcpu, &job->spaces, job->marker_a, job->marker_b,
			 job->port, job->rounds);
	return NULL;
}

static void test_two_vms(void)
{
	struct vcpu_job jobs[NR_VMS * VCPUS_PER_VM];
	pthread_t threads[NR_VMS * VCPUS_PER_VM];
	struct kvm_vm *vms[NR_VMS];
	pthread_barrier_t start;

	pthread_barrier_init(&start, NULL, ARRAY_SIZE(jobs));
	for (unsigned int v = 0; v < NR_VMS; v++) {
		vms[v] = vm_create();
		for (unsigned int c = 0; c < VCPUS_PER_VM; c++) {
			struct vcpu_job *job = &jobs[v * VCPUS_PER_VM + c];

			job->vcpu = vm_vcpu_add(vms[v]);
			job->marker_a = (uint8_t)(0x10 + 4 * v + 2 * c);
			job->marker_b = job->marker_a + 1;
			job->spaces = as_pair_create(vms[v], job->marker_a, job->marker_b);
			job->port = (uint16_t)(TEST_PORT + 16 * v + c);
			job->rounds = 200;
			job->start = &start;
			vcpu_set_entry(job->vcpu, vm_code_va(vms[v], guest_cr3_switch),
				       job->spaces.a->cr3, job->spaces.b->cr3, job->rounds,
				       job->port, job->spaces.marker_va);
		}
	}
	for (unsigned int i = 0; i < ARRAY_SIZE(jobs); i++)
		TEST_ASSERT(!pthread_create(&threads[i], NULL, vcpu_job_run, &jobs[i]),
			    "pthread_create failed");
	for (unsigned int i = 0; i < ARRAY_SIZE(jobs); i++)
		pthread_join(threads[i], NULL);
	for (unsigned int v = 0; v < NR_VMS; v++)
		vm_free(vms[v]);
	pthread_barrier_destroy(&start);
}

static const struct tap_test tests[] = {
	TAP_TEST(page_tables),
	TAP_TEST(hlt),
	TAP_TEST(port_writes),
	TAP_TEST(cpuid),
	TAP_TEST(spin),
	TAP_TEST(exception_report),
	TAP_TEST(cr3_switch),
	TAP_TEST(private_code),
	TAP_TEST(alternate_spin),
	TAP_TEST(large_pages),
	TAP_TEST(user_mode),
	TAP_TEST(two_vms),
};

int main(int argc, char **argv)
{
	return tap_main(argc, argv, tests, ARRAY_SIZE(tests), TAP_NEEDS_KVM);
}
