// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_hold: hold one VM with one vCPU open until killed or until the
 * parent (selftests/run) is gone.  Once both exist, the process renames
 * itself to HOLD_READY_NAME (see /proc/PID/comm), which the runner waits for.
 *
 * Why: creating the first VM, or the first vCPU without an in-kernel
 * irqchip, and destroying the last, flip static keys in the host kernel
 * (preempt_notifier_key, kvm_has_noapic_vcpu), which live-patches kernel
 * text with int3.  The test host runs under QEMU TCG, which now and then
 * executes a stale int3 of such a patch on another CPU: the test host dies
 * with "Oops: int3" and "Fatal exception in interrupt" (on 6.12, within a
 * few runs of lib_test without this; none in 60 runs with it).  While a VM
 * and a vCPU are held those keys stay on, so the tests' VMs patch nothing.
 * The held vCPU never runs: it causes no exits and no guest samples.
 */
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "kvm_util.h"

#define HOLD_READY_NAME "kvm_hold-ready"

int main(void)
{
	struct kvm_vm *vm;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)	/* the parent is gone already */
		return 1;
	vm = vm_create_with_mem(GUEST_ALLOC_GPA + GUEST_LARGE_PAGE_SIZE);
	vm_vcpu_add(vm);
	prctl(PR_SET_NAME, HOLD_READY_NAME);
	for (;;)
		pause();
}
