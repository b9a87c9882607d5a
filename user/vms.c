// SPDX-License-Identifier: GPL-2.0
/* vmtrace-collect vms: the VMs vmtrace.ko tracks, with their memslots. */
#include <stdio.h>
#include <string.h>
#include "vmtrace-collect.h"

static const char *vendor_name(uint32_t vendor)
{
	return vendor == VMTRACE_VENDOR_SVM ? "svm" :
	       vendor == VMTRACE_VENDOR_VMX ? "vmx" : "unknown";
}

int vms_main(int argc, char *argv[])
{
	struct vmt_vm_info *vms;
	struct vmt_client *c;
	size_t nr, i, j;
	int err;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("Usage: %s vms\n\nLists the VMs vmtrace.ko has seen and that are alive:\n"
		       "VM id, VMM pid, vCPUs, vendor, and each memslot's guest-physical\n"
		       "range and VMM host-virtual address.\n", prog_name);
		return 0;
	}
	if (argc != 1) {
		fprintf(stderr, "Usage: %s vms\n", prog_name);
		return EXIT_USAGE;
	}
	if (collect_connect(&c))
		return 1;
	err = vmt_client_get_vms(c, &vms, &nr);
	if (err) {
		collect_error(c, "vms", err);
		vmt_client_close(c);
		return 1;
	}
	for (i = 0; i < nr; i++) {
		printf("vm %u: pid %u, %u vcpus, %s%s\n", vms[i].id, vms[i].pid,
		       vms[i].nr_vcpus, vendor_name(vms[i].vendor),
		       vms[i].flags & VMTRACE_VM_F_STATE_PROTECTED ?
		       ", state protected" : "");
		for (j = 0; j < vms[i].nr_slots; j++) {
			const struct vmt_memslot *s = &vms[i].slots[j];

			printf("  slot %u.%u: gpa 0x%llx-0x%llx hva 0x%llx flags %#x\n",
			       s->id >> 16, s->id & 0xffff,
			       (unsigned long long)s->gpa,
			       (unsigned long long)(s->gpa + s->size),
			       (unsigned long long)s->hva, s->flags);
		}
	}
	vmt_vms_free(vms, nr);
	vmt_client_close(c);
	return 0;
}
