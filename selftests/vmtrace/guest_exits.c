// SPDX-License-Identifier: GPL-2.0
/*
 * guest_exits: a tiny in-process KVM guest that makes exactly the exits it
 * is told to, and prints where they happen, for the tests of
 * vmtrace-collect (collect_test) and the demo:
 *
 *   guest_exits [--vcpus N] [--writes N] [--spin SECONDS] [--exit-status S]
 *   guest_exits --triple-fault
 *
 * One VM; each vCPU i (0-based, on its own thread) makes (i + 1) * writes
 * port writes (OUT) to port 0x5000, then a HLT: so the exits of each vCPU
 * tell them apart.  With --spin, each vCPU then spins in guest code for
 * SECONDS (in rounds that each end with one more OUT and HLT), for
 * samples.  Prints, before it starts the vCPUs:
 *
 *   pid=P vcpus=N
 *   memslot=0 gpa=0x0 size=0x.. hva=0x..   (its guest memory)
 *   vcpu=I writes=W out_rip=0x.. hlt_rip=0x.. cr3=0x..
 *   spin_loop=0x..-0x..   (with --spin: [start, end) of the loop)
 *
 * and after, "spin_rounds=R" per vCPU with --spin.  Exits with S (0).
 */
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvm_util.h"

#define PORT 0x5000
#define MAX_VCPUS 8

struct job {
	struct kvm_vcpu *vcpu;
	uint32_t writes;
	double spin_s;
	uint64_t rounds;
};

static void run_writes(struct kvm_vcpu *vcpu, uint32_t count)
{
	vcpu_set_entry(vcpu, vm_code_va(vcpu->vm, guest_port_writes), PORT, count, 0);
	for (uint32_t i = 0; i < count; i++)
		vcpu_run_expect_out(vcpu, PORT, 4, i);
	vcpu_run(vcpu);
	vcpu_assert_done(vcpu);
}

/* Spin rounds of about a million iterations until @seconds have passed. */
static uint64_t run_spin(struct kvm_vcpu *vcpu, double seconds)
{
	uint64_t end = test_now_ns() + seconds * 1e9, rounds = 0;
	const uint64_t iterations = 1000000;

	while (test_now_ns() < end) {
		vcpu_set_entry(vcpu, vm_code_va(vcpu->vm, guest_spin), iterations, PORT);
		/* Sampled while it spins, under Bochs too (kvm_util.h). */
		vcpu_set_interrupt_flag(vcpu);
		vcpu_run_expect_out(vcpu, PORT, 4, (uint32_t)iterations);
		vcpu_run(vcpu);
		vcpu_assert_done(vcpu);
		rounds++;
	}
	return rounds;
}

static void *vcpu_thread(void *arg)
{
	struct job *job = arg;

	if (job->writes)
		run_writes(job->vcpu, job->writes);
	if (job->spin_s > 0)
		job->rounds = run_spin(job->vcpu, job->spin_s);
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: guest_exits [--vcpus N] [--writes N] [--spin SECONDS] "
		"[--exit-status S]\n"
		"       guest_exits --triple-fault\n");
}

/*
 * A guest that triple-faults at once, as the emulator's nested paging now
 * and then makes an L2 guest do (for selftests/run's rerun, checked by
 * selftests/harness/run): no IDT, RIP on an unmapped page, so the fetch's
 * #PF becomes #DF, then a shutdown: KVM_EXIT_SHUTDOWN, 0 if it came.
 */
static int triple_fault(void)
{
	struct kvm_vm *vm = vm_create();
	struct kvm_vcpu *vcpu = vm_vcpu_add(vm);
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	int ret;

	vcpu_sregs_get(vcpu, &sregs);
	sregs.idt.limit = 0;
	vcpu_sregs_set(vcpu, &sregs);
	vcpu_regs_get(vcpu, &regs);
	regs.rip = 0xdead0000;
	vcpu_regs_set(vcpu, &regs);
	ret = __vcpu_run(vcpu);
	printf("triple fault: KVM_RUN %d, exit %s\n", ret, exit_reason_str(vcpu->run->exit_reason));
	ret = !ret && vcpu->run->exit_reason == KVM_EXIT_SHUTDOWN ? 0 : 1;
	vm_free(vm);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "vcpus", required_argument, NULL, 'n' },
		{ "writes", required_argument, NULL, 'w' },
		{ "spin", required_argument, NULL, 's' },
		{ "exit-status", required_argument, NULL, 'x' },
		{ "triple-fault", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	unsigned int nr_vcpus = 1, writes = 100, status = 0;
	pthread_t threads[MAX_VCPUS];
	struct job jobs[MAX_VCPUS];
	double spin_s = 0;
	struct kvm_vm *vm;
	int opt;

	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			nr_vcpus = atoi(optarg);
			break;
		case 'w':
			writes = atoi(optarg);
			break;
		case 's':
			spin_s = atof(optarg);
			break;
		case 'x':
			status = atoi(optarg);
			break;
		case 't':
			return triple_fault();
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || !nr_vcpus || nr_vcpus > MAX_VCPUS) {
		usage(stderr);
		return 2;
	}

	vm = vm_create();
	printf("pid=%d vcpus=%u\n", getpid(), nr_vcpus);
	/* Its one memslot, as KVM_SET_USER_MEMORY_REGION got it. */
	printf("memslot=0 gpa=0x0 size=0x%llx hva=0x%llx\n", (unsigned long long)vm->mem_size,
	       (unsigned long long)(uintptr_t)vm->mem);
	for (unsigned int i = 0; i < nr_vcpus; i++) {
		jobs[i] = (struct job){
			.vcpu = vm_vcpu_add(vm),
			.writes = writes * (i + 1),
			.spin_s = spin_s,
		};
		printf("vcpu=%u writes=%u out_rip=0x%llx hlt_rip=0x%llx cr3=0x%llx\n", i,
		       jobs[i].writes,
		       (unsigned long long)vm_code_va(vm, guest_port_writes_out),
		       (unsigned long long)vm_code_va(vm, guest_hlt),
		       (unsigned long long)vm_default_as(vm)->cr3);
	}
	if (spin_s > 0)
		printf("spin_loop=0x%llx-0x%llx\n",
		       (unsigned long long)vm_code_va(vm, guest_spin_loop),
		       (unsigned long long)vm_code_va(vm, guest_spin_loop_end));
	fflush(stdout);

	for (unsigned int i = 0; i < nr_vcpus; i++)
		TEST_ASSERT(!pthread_create(&threads[i], NULL, vcpu_thread, &jobs[i]),
			    "pthread_create");
	for (unsigned int i = 0; i < nr_vcpus; i++)
		pthread_join(threads[i], NULL);
	for (unsigned int i = 0; i < nr_vcpus && spin_s > 0; i++)
		printf("vcpu=%u spin_rounds=%llu\n", i, (unsigned long long)jobs[i].rounds);
	vm_free(vm);
	return status;
}
