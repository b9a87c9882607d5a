// SPDX-License-Identifier: GPL-2.0
#include <linux/module.h>
#include <linux/kvm_host.h>

static int __init vmt_init(void)
{
	pr_info("vmtrace: loaded %p\n", kvm_get_running_vcpu);
	return 0;
}

static void __exit vmt_exit(void)
{
}

module_init(vmt_init);
module_exit(vmt_exit);
MODULE_LICENSE("GPL");
