// SPDX-License-Identifier: GPL-2.0
/*
 * A module that cannot be unloaded: it has no exit function, so rmmod
 * fails with EBUSY.  selftests/harness/run loads it with VMTEST_MODULE to
 * check that scripts/vmtest fails a run whose module does not unload.  It
 * is never part of vmtrace.
 */
#include <linux/module.h>

static int __init vmtest_pinned_init(void)
{
	return 0;
}

module_init(vmtest_pinned_init);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vmtest harness: a module without an exit function");
