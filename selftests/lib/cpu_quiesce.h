/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Run a step with every other CPU of the test host offline.
 *
 * Why: the first VM a host creates and the last it destroys (and the first
 * vCPU without an in-kernel irqchip) flip static keys, which live-patches
 * kernel text that the scheduler runs on every task switch (text_poke_bp:
 * an int3, then the new bytes).  On hardware that is safe.  Under QEMU's
 * multi-threaded TCG, another CPU now and then keeps executing a stale
 * translation of the patched site: the test host dies ("Oops: int3") or
 * its CPUs spin at the site for good (a soft lockup at
 * finish_task_switch+0x9f).  scripts/tcg-patch-race shows it without
 * vmtrace.  With one CPU online nothing else runs the site while it
 * changes, so a held VM (lib/kvm_hold.c) is made and destroyed that way.
 */
#ifndef SELFTEST_CPU_QUIESCE_H
#define SELFTEST_CPU_QUIESCE_H

#define CPU_QUIESCE_MAX 64

struct cpu_quiesce {
	unsigned int nr;			/* CPUs taken offline */
	unsigned int cpu[CPU_QUIESCE_MAX];
};

/*
 * Take every online CPU but CPU 0 offline (as root, through
 * /sys/devices/system/cpu/cpuN/online), remembering which in @q.  0 when
 * only CPU 0 is left online, else -errno (the CPUs already taken offline
 * are online again).  Without hotplug support (no online file) it does
 * nothing and returns 0.
 */
int cpu_quiesce(struct cpu_quiesce *q);

/* Bring back online the CPUs cpu_quiesce() took offline: 0 or the first
 * -errno (it still tries every CPU). */
int cpu_unquiesce(struct cpu_quiesce *q);

#endif
