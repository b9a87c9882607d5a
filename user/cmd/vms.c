// SPDX-License-Identifier: GPL-2.0
/* vmtrace-collect vms: the VMs vmtrace.ko or the BPF backend sees, with their memslots. */
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

static void vms_usage(FILE *f)
{
	fprintf(f, "Usage: %s vms [--profile-dir DIR] [--no-guest] [--no-discover]\n"
		"          [--format text|json] [--backend module|bpf|auto]\n\n"
		"Lists the running VMs vmtrace.ko knows (it learns of a VM when it\n"
		"enters the guest during a session: unless a session runs, or\n"
		"--no-discover, a session recording next to nothing runs for 200 ms),\n"
		"or, with --backend bpf (auto: when vmtrace.ko is not loaded), every VM\n"
		"a process has open, found by a BPF iterator (ids are this run's):\n"
		"VM id, VMM pid, vCPUs, vendor, and each memslot's guest-physical\n"
		"range and VMM host-virtual address; then what guest memory says:\n"
		"the guest kernel's banner, the profile that matches it (from DIR,\n"
		"default " GUEST_PROFILE_DIR_DEFAULT "), its KASLR slides and\n"
		"paging mode (--no-guest: not that).  --format json: one array of\n"
		"objects (keys in Documentation/cli.rst).\n" CMD_HELP_FOOTER, cmd_prog_name);
}

static void print_text(const struct client_vm_info *vm, bool guest, const char *profile_dir)
{
	size_t j;

	printf("vm %u: pid %u, %u vcpus, %s%s\n", vm->id, vm->pid, vm->nr_vcpus,
	       vendor_name(vm->vendor),
	       vm->flags & VMTRACE_VM_F_STATE_PROTECTED ? ", state protected" : "");
	for (j = 0; j < vm->nr_slots; j++) {
		const struct client_memslot *s = &vm->slots[j];

		printf("  slot %u.%u: gpa 0x%llx-0x%llx hva 0x%llx flags %#x\n",
		       s->id >> 16, s->id & 0xffff, (unsigned long long)s->gpa,
		       (unsigned long long)(s->gpa + s->size), (unsigned long long)s->hva,
		       s->flags);
	}
	if (guest)
		cmd_vms_print_guest(vm, profile_dir);
}

static void print_json(const struct client_vm_info *vm, bool guest, const char *profile_dir)
{
	size_t j;

	printf("{\"id\":%u,\"pid\":%u,\"vcpus\":%u,\"vendor\":\"%s\",\"state_protected\":%s,"
	       "\"memslots\":[", vm->id, vm->pid, vm->nr_vcpus, vendor_name(vm->vendor),
	       vm->flags & VMTRACE_VM_F_STATE_PROTECTED ? "true" : "false");
	for (j = 0; j < vm->nr_slots; j++) {
		const struct client_memslot *s = &vm->slots[j];

		printf("%s{\"as\":%u,\"slot\":%u,\"gpa\":%llu,\"size\":%llu,\"hva\":%llu,"
		       "\"flags\":%u}", j ? "," : "", s->id >> 16, s->id & 0xffff,
		       (unsigned long long)s->gpa, (unsigned long long)s->size,
		       (unsigned long long)s->hva, s->flags);
	}
	printf("]");
	if (guest)
		cmd_vms_print_guest_json(vm, profile_dir);
	printf("}");
}

int cmd_vms(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "profile-dir", required_argument, NULL, 'D' },
		{ "no-guest", no_argument, NULL, 'n' },
		{ "no-discover", no_argument, NULL, 'd' },
		{ "format", required_argument, NULL, 'f' },
		{ "backend", required_argument, NULL, 'k' },
		CMD_COMMON_OPTIONS,
		{ 0 }
	};
	const char *profile_dir = NULL;
	bool guest = true, discover = true, json = false;
	enum client_backend backend = CLIENT_BACKEND_AUTO;
	struct client_vm_info *vms;
	struct client *c;
	int opt, err;
	size_t nr, i;

	optind = 1;
	while ((opt = cmd_getopt(argc, argv, ":h", longopts, &err)) != -1) {
		switch (opt) {
		case 'D':
			profile_dir = optarg;
			break;
		case 'n':
			guest = false;
			break;
		case 'd':
			discover = false;
			break;
		case 'f':
			if (cmd_parse_format(optarg, &json))
				return CMD_EXIT_USAGE;
			break;
		case 'k':
			if (cmd_parse_backend(optarg, &backend))
				return CMD_EXIT_USAGE;
			break;
		case 'h':
			vms_usage(stdout);
			return 0;
		}
	}
	if (err >= 0)
		return err;
	if (optind != argc)
		return cmd_usage_error("%s: unexpected argument", argv[optind]);
	if (cmd_collect_open(backend, &c))
		return 1;
	err = discover ? cmd_guest_discover(c, &vms, &nr) :
	      client_get_vms(c, &vms, &nr);
	if (err) {
		cmd_error(c, "vms", err);
		client_close(c);
		return 1;
	}
	if (json)
		printf("[");
	for (i = 0; i < nr; i++) {
		if (json) {
			printf("%s", i ? "," : "");
			print_json(&vms[i], guest, profile_dir);
		} else {
			print_text(&vms[i], guest, profile_dir);
		}
	}
	if (json)
		printf("]\n");
	client_vms_free(vms, nr);
	client_close(c);
	return fflush(stdout) ? 1 : 0;
}
