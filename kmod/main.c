// SPDX-License-Identifier: GPL-2.0
/*
 * vmtrace.ko: records VM-exits and samples of KVM guests into per-CPU
 * rings, drained over generic netlink.  See Documentation/design.rst.
 *
 * Order: everything the netlink commands use is set up before the family
 * is registered (last), and the family is removed first, so no command
 * runs on a half-built or half-torn-down module.
 */
#include <linux/module.h>
#include <linux/kvm_host.h>
#include <net/genetlink.h>
#include <asm/processor.h>
#include "vmtrace.h"

u8 vmt_host_vendor;

static u8 __init vmt_detect_vendor(void)
{
	/* The same tests kvm-amd and kvm-intel make before loading. */
	switch (boot_cpu_data.x86_vendor) {
	case X86_VENDOR_AMD:
	case X86_VENDOR_HYGON:
		return boot_cpu_has(X86_FEATURE_SVM) ? VMTRACE_VENDOR_SVM :
						       VMTRACE_VENDOR_UNKNOWN;
	case X86_VENDOR_INTEL:
	case X86_VENDOR_CENTAUR:
	case X86_VENDOR_ZHAOXIN:
		return boot_cpu_has(X86_FEATURE_VMX) ? VMTRACE_VENDOR_VMX :
						       VMTRACE_VENDOR_UNKNOWN;
	}
	return VMTRACE_VENDOR_UNKNOWN;
}

static int __init vmt_init(void)
{
	int err;

	vmt_host_vendor = vmt_detect_vendor();
	if (vmt_host_vendor == VMTRACE_VENDOR_UNKNOWN) {
		pr_err("vmtrace: this CPU has neither SVM nor VMX\n");
		return -ENODEV;
	}
	if (vmt_host_vendor == VMTRACE_VENDOR_VMX)
		vmt_vmx_init();
	if (vmt_host_vendor == VMTRACE_VENDOR_SVM) {
		err = vmt_svm_layout_init();
		if (err)
			goto err_out;
	}
	err = vmt_vm_init(vmt_probes_vm_gone);
	if (err)
		goto err_svm;
	err = vmt_session_init();
	if (err)
		goto err_vm;
	err = vmt_probes_attach();
	if (err)
		goto err_session;
	err = vmt_genl_init();
	if (err)
		goto err_probes;
	pr_info("vmtrace " VMT_VERSION " loaded (%s)\n",
		vmt_host_vendor == VMTRACE_VENDOR_SVM ? "SVM" : "VMX");
	return 0;

err_probes:
	vmt_probes_detach();
err_session:
	vmt_session_exit();
err_vm:
	vmt_vm_exit();
err_svm:
	if (vmt_host_vendor == VMTRACE_VENDOR_SVM)
		vmt_svm_layout_exit();
err_out:
	return err;
}

static void __exit vmt_exit(void)
{
	vmt_genl_exit();
	vmt_session_exit();
	vmt_probes_detach();
	vmt_vm_exit();
	if (vmt_host_vendor == VMTRACE_VENDOR_SVM)
		vmt_svm_layout_exit();
}

module_init(vmt_init);
module_exit(vmt_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Host-side tracing of KVM guests");
MODULE_VERSION(VMT_VERSION);
/*
 * No MODULE_ALIAS_GENL_FAMILY: resolving the family name must not let any
 * process load a module that hooks KVM's run loop.  The operator loads it.
 */
