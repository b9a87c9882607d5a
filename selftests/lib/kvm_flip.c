// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_flip: flip KVM's static keys in the host kernel as fast as possible,
 * while two processes switch tasks on every CPU; no vmtrace involved.
 *
 *   kvm_flip [--quiesce] ROUNDS
 *
 * Each round creates a VM and a vCPU without an in-kernel irqchip and
 * closes both: kvm_create_vm() and kvm_destroy_vm() turn
 * preempt_notifier_key on and off, the vCPU kvm_has_noapic_vcpu, so every
 * round live-patches kernel text (text_poke_bp: int3 first, then the new
 * bytes) at sites that the scheduler runs on every task switch
 * (finish_task_switch(), through fire_sched_in_preempt_notifiers()).  On
 * real hardware that is safe.  Under QEMU's multi-threaded TCG the test
 * host now and then executes a stale translation holding the int3 after
 * the patch is done: "Oops: int3" in finish_task_switch, then "Fatal
 * exception in interrupt".  This is the reproducer without vmtrace that
 * scripts/tcg-patch-race runs with and without -accel tcg,thread=single.
 *
 * --quiesce makes and destroys each round's VM with every other CPU offline
 * (lib/cpu_quiesce.h), as lib/kvm_hold does: the workaround, shown to hold
 * by the same reproducer.
 *
 * Output: one line, "ROUNDS rounds, SWITCHES task switches".  Exit 0 when
 * all rounds ran, 1 on an error, 4 (KSFT_SKIP) without /dev/kvm.  Only
 * meaningful with nothing else holding a VM (no selftests/run holder).
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "cpu_quiesce.h"

/*
 * Two processes that hand one byte back and forth: a task switch on each
 * hand-over, on whichever CPUs they run.  The pinging one counts the
 * hand-overs in *@count (shared memory).  Returns its pid (it kills the
 * other when it dies), or -1.
 */
static pid_t start_ping_pong(volatile unsigned long long *count)
{
	int ab[2], ba[2];
	pid_t pid;
	char c = 0;

	if (pipe(ab) || pipe(ba))
		return -1;
	pid = fork();
	if (pid != 0)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (fork() == 0) {	/* the echo side dies with the ping side */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		while (read(ab[0], &c, 1) == 1 && write(ba[1], &c, 1) == 1)
			;
		_exit(0);
	}
	while (write(ab[1], &c, 1) == 1 && read(ba[0], &c, 1) == 1)
		*count += 2;
	_exit(1);
}

int main(int argc, char **argv)
{
	volatile unsigned long long *switches;
	int quiesce = argc == 3 && !strcmp(argv[1], "--quiesce");
	long rounds, i;
	pid_t pp;
	int kvm;

	if (argc != 2 + quiesce || (rounds = strtol(argv[1 + quiesce], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: kvm_flip [--quiesce] ROUNDS\n");
		return 1;
	}
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		printf("kvm_flip: no /dev/kvm\n");
		return 4;
	}
	switches = mmap(NULL, sizeof(*switches), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (switches == MAP_FAILED) {
		perror("kvm_flip: mmap");
		return 1;
	}
	pp = start_ping_pong(switches);
	if (pp < 0) {
		perror("kvm_flip: ping-pong");
		return 1;
	}
	for (i = 0; i < rounds; i++) {
		struct cpu_quiesce q = { 0 };
		int vm, vcpu, err;

		if (quiesce && (err = cpu_quiesce(&q))) {
			fprintf(stderr, "kvm_flip: taking CPUs offline: %s\n", strerror(-err));
			goto err_stop;
		}
		if (quiesce && !q.nr) {
			fprintf(stderr, "kvm_flip: --quiesce: no other CPU to take offline\n");
			goto err_stop;
		}
		vm = ioctl(kvm, KVM_CREATE_VM, 0);
		vcpu = vm < 0 ? -1 : ioctl(vm, KVM_CREATE_VCPU, 0);
		if (vcpu < 0) {
			perror("kvm_flip: KVM_CREATE_VM/VCPU");
			cpu_unquiesce(&q);
			goto err_stop;
		}
		close(vcpu);
		close(vm);
		if ((err = cpu_unquiesce(&q))) {
			fprintf(stderr, "kvm_flip: bringing CPUs online: %s\n", strerror(-err));
			goto err_stop;
		}
	}
	kill(pp, SIGKILL);
	waitpid(pp, NULL, 0);
	printf("%ld rounds%s, %llu task switches\n", rounds,
	       quiesce ? " (each with the other CPUs offline)" : "", *switches);
	return 0;

err_stop:
	kill(pp, SIGKILL);
	return 1;
}
