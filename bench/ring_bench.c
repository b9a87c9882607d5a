// SPDX-License-Identifier: GPL-2.0
/*
 * The ring's producer path, natively: kmod/ring.c built against userspace
 * stand-ins (bench/kshim), with a record filled as the kvm_exit probe fills
 * one from the VMCB.  Run under callgrind, the instructions of
 * produce_exit() per call are the ring write's deterministic cost.
 *
 *   ring_bench N        N exit records into a ring drained every 1024
 */
#include <stdio.h>
#include <stdlib.h>
#include "ring.h"

/* What the SVM probe reads, in the order it reads it. */
struct fake_vmcb {
	uint32_t exit_code;
	uint8_t cpl;
	uint64_t rip, cr3, gs_base, kernel_gs_base, cr0, cr4, efer;
};

/* The probe's work but for the tracepoint call and kvm_read_l1_tsc(). */
__attribute__((noinline)) void produce_exit(struct vmt_ring *ring,
					    const struct fake_vmcb *v, uint64_t tsc,
					    uint64_t entry_tsc)
{
	struct vmtrace_record *rec = vmt_ring_reserve(ring);
	uint8_t mode;

	if (!rec)
		return;
	rec->host_tsc = tsc;
	rec->guest_tsc = tsc + 12345;
	rec->entry_delta = tsc - entry_tsc;
	rec->vm_id = 1;
	rec->vmm_pid = 4242;
	rec->host_cpu = 0;
	rec->vcpu = 0;
	rec->kind = VMTRACE_KIND_EXIT;
	rec->vendor = VMTRACE_VENDOR_SVM;
	rec->flags = 0;
	rec->exit_reason = v->exit_code;
	rec->u.g.guest_rip = v->rip;
	rec->u.g.guest_cr3 = v->cr3;
	rec->u.g.guest_gs_base = v->cpl ? v->kernel_gs_base : v->gs_base;
	mode = v->cpl;
	if (v->efer & (1 << 10))
		mode |= VMTRACE_MODE_LONG;
	if (v->cr4 & (1 << 12))
		mode |= VMTRACE_MODE_LA57;
	if (v->cr4 & (1 << 5))
		mode |= VMTRACE_MODE_PAE;
	if (v->cr0 & (1u << 31))
		mode |= VMTRACE_MODE_PAGING;
	rec->mode = mode;
	vmt_ring_commit(ring);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	static struct vmtrace_record out[1024];
	struct fake_vmcb v = {
		.exit_code = 0x7b, .rip = 0xffffffff81000000, .cr3 = 0x1234000,
		.gs_base = 0xffff888000000000, .cr0 = 0x80050033, .cr4 = 0x3506f0,
		.efer = 0xd01,
	};
	struct vmt_ring ring;
	uint64_t drained = 0;

	vmt_ring_init(&ring, 0);
	if (vmt_ring_alloc(&ring, 1 << 20))
		return 1;
	for (long i = 0; i < n; i++) {
		produce_exit(&ring, &v, 1000000 + i * 300, 1000000 + i * 300 - 200);
		v.rip += 4;
		if ((i & 1023) == 1023)
			drained += vmt_ring_read(&ring, out, 1024, false);
	}
	drained += vmt_ring_read(&ring, out, 1024, true);
	printf("produced %lld drained %llu lost %lld\n",
	       (long long)local64_read(&ring.produced), (unsigned long long)drained,
	       (long long)local64_read(&ring.lost[0]));
	vmt_ring_free(&ring);
	return drained != (uint64_t)n;
}
