// SPDX-License-Identifier: GPL-2.0
/*
 * A module whose init warns.  selftests/harness/run loads it with
 * VMTEST_MODULE to check that scripts/vmtest fails a run whose dmesg holds
 * a WARNING.  It is never part of vmtrace.
 */
#include <linux/module.h>
#include <linux/bug.h>

static int __init vmtest_warn_init(void)
{
	WARN_ON(1);
	return 0;
}

static void __exit vmtest_warn_exit(void)
{
}

module_init(vmtest_warn_init);
module_exit(vmtest_warn_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vmtest harness: a WARN_ON(1) in init");
