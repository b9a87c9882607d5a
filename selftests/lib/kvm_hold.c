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
 * few runs of lib_test without this; none in 60 runs with it), or a CPU
 * spins for ever at a patched site (a soft lockup).  While a VM and a vCPU
 * are held those keys stay on, so the tests' VMs patch nothing.
 *
 * A vCPU with an in-kernel local APIC flips two more: apic_sw_disabled
 * (on at its creation, off a second after the guest enables its APIC) and
 * apic_hw_disabled (while its APIC base MSR says disabled).  Every L2
 * Linux guest the selftests boot flips the first twice: a soft lockup was
 * seen at that very site in __apic_accept_irq.  So a second VM holds a
 * vCPU with an in-kernel irqchip whose APIC is software-disabled (it never
 * runs, so its SPIV is never written) and hardware-disabled (its APIC base
 * set without the enable bit).
 * The held vCPUs never run: they cause no exits and no guest samples.
 *
 * Making and destroying the held VMs flips those keys once each way; under
 * QEMU's TCG (the test host) that is done with every other CPU offline
 * (lib/cpu_quiesce.h), so that no CPU runs a site while it is patched.
 * SIGTERM (also sent when the parent dies) destroys the VMs that way
 * before exiting; SIGKILL cannot.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "cpu_quiesce.h"
#include "kvm_util.h"

#define HOLD_READY_NAME "kvm_hold-ready"
#define MSR_IA32_APICBASE 0x1b
#define APIC_DEFAULT_BASE 0xfee00000ULL

static volatile sig_atomic_t stop;

/*
 * Whether this host's CPUs are QEMU's emulated ones (the test host), the
 * only place the patch race exists: on a real host, taking CPUs offline
 * would disturb other work for nothing.
 */
static int under_qemu_tcg(void)
{
	char line[256];
	int found = 0;
	FILE *f = fopen("/proc/cpuinfo", "r");

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		found = !strncmp(line, "model name", 10) && strstr(line, "QEMU TCG CPU");
	fclose(f);
	return found;
}

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

/* The VM with an irqchip and a vCPU whose local APIC is disabled both
 * ways, its fds in @fds (kvm, VM, vCPU).  0 or -1 (what failed is
 * printed). */
static int hold_disabled_apic(int fds[3])
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry entry;
	} msrs;
	int kvm, vm, vcpu;

	fds[0] = kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	fds[1] = vm = kvm < 0 ? -1 : ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0 || ioctl(vm, KVM_CREATE_IRQCHIP, 0)) {
		perror("kvm_hold: a VM with an irqchip");
		return -1;
	}
	fds[2] = vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0) {
		perror("kvm_hold: KVM_CREATE_VCPU");
		return -1;
	}
	memset(&msrs, 0, sizeof(msrs));
	msrs.hdr.nmsrs = 1;
	msrs.entry.index = MSR_IA32_APICBASE;
	msrs.entry.data = APIC_DEFAULT_BASE;	/* no MSR_IA32_APICBASE_ENABLE */
	if (ioctl(vcpu, KVM_SET_MSRS, &msrs) != 1) {
		perror("kvm_hold: KVM_SET_MSRS APIC base");
		return -1;
	}
	return 0;
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_term };
	struct cpu_quiesce q = { 0 };
	int fds[3] = { -1, -1, -1 };
	int tcg;
	struct kvm_vm *vm;
	int err;

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() == 1)	/* the parent is gone already */
		return 1;
	/* Without hotplug (not root, one CPU) hold anyway, as before. */
	tcg = under_qemu_tcg();
	if (tcg && cpu_quiesce(&q))
		perror("kvm_hold: taking the other CPUs offline");
	vm = vm_create_with_mem(GUEST_ALLOC_GPA + GUEST_LARGE_PAGE_SIZE);
	vm_vcpu_add(vm);
	err = hold_disabled_apic(fds);
	if (cpu_unquiesce(&q))
		perror("kvm_hold: bringing the other CPUs back online");
	if (err)
		return 1;
	prctl(PR_SET_NAME, HOLD_READY_NAME);
	while (!stop)
		pause();
	if (tcg && cpu_quiesce(&q))
		perror("kvm_hold: taking the other CPUs offline");
	for (int i = 2; i >= 0; i--)
		close(fds[i]);
	vm_free(vm);
	cpu_unquiesce(&q);
	return 0;
}
