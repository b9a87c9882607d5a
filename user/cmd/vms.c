// SPDX-License-Identifier: GPL-2.0
/* vmtrace-collect vms: the VMs vmtrace.ko tracks, with their memslots. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "cmd/cmd.h"
#include "cmd/guest_cmds.h"
#include "guest/profile.h"

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

	static const struct option longopts[] = {
		{ "profile-dir", required_argument, NULL, 'D' },
		{ "no-guest", no_argument, NULL, 'n' },
		{ "no-discover", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *profile_dir = NULL;
	int opt, guest = 1, discover = 1;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'D':
			profile_dir = optarg;
			break;
		case 'n':
			guest = 0;
			break;
		case 'd':
			discover = 0;
			break;
		case 'h':
			printf("Usage: %s vms [--profile-dir DIR] [--no-guest] [--no-discover]\n\n"
			       "Lists the running VMs vmtrace.ko knows (it learns of a VM when it\n"
			       "enters the guest during a session: unless a session runs, or\n"
			       "--no-discover, a session recording next to nothing runs for 200 ms):\n"
			       "VM id, VMM pid, vCPUs, vendor, and each memslot's guest-physical\n"
			       "range and VMM host-virtual address; then what guest memory says:\n"
			       "the guest kernel's banner, the profile that matches it (from DIR,\n"
			       "default " VMT_PROFILE_DIR_DEFAULT "), its KASLR slides and\n"
			       "paging mode (--no-guest: not that).\n", prog_name);
			return 0;
		default:
			goto usage;
		}
	}
	if (optind != argc)
		goto usage;
	if (collect_connect(&c))
		return 1;
	err = discover ? guest_cmd_discover(c, &vms, &nr) :
	      vmt_client_get_vms(c, &vms, &nr);
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
		if (guest)
			vms_print_guest(&vms[i], profile_dir);
	}
	vmt_vms_free(vms, nr);
	vmt_client_close(c);
	return 0;
usage:
	fprintf(stderr, "Usage: %s vms [--profile-dir DIR] [--no-guest] [--no-discover]\n",
		prog_name);
	return EXIT_USAGE;
}
