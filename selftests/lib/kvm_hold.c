// SPDX-License-Identifier: GPL-2.0
/*
 * Hold one VM with one vCPU open until killed (selftests/run starts it
 * around the test programs).
 *
 * Why: creating the first VM and the first vCPU without an in-kernel
 * irqchip, and destroying the last ones, flip static keys in the host
 * kernel (preempt notifiers, kvm_has_noapic_vcpu), which live-patches
 * kernel text with int3.  The test host runs under QEMU TCG, which now and
 * then executes a stale int3 from such a patch on another CPU, and the
 * test host dies ("Oops: int3", "Fatal exception in interrupt").  With a
 * VM and vCPU held open for the whole run those keys stay on, so the test
 * programs' VMs patch nothing.  The held vCPU never runs, so it produces
 * no exits or guest samples.
 */
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "kvm_util.h"

int main(void)
{
	struct kvm_vm *vm;

	/* Never outlive the runner, however it ends. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		return 1;
	vm = vm_create_with_mem(GUEST_ALLOC_GPA + GUEST_LARGE_PAGE_SIZE);

	vm_vcpu_add(vm);
	for (;;)
		pause();
}
