// SPDX-License-Identifier: GPL-2.0
/* What the guest-introspection subcommands share: finding and opening a VM. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cmd/cmd.h"
#include "guest/guest.h"
#include "cmd/guest_cmds.h"
#include "host/vmm_identity.h"

/* The index of the VM of @vmm_pid in @vms, or @nr. */
static size_t find_vm(const struct vmt_vm_info *vms, size_t nr, pid_t vmm_pid)
{
	size_t i;

	for (i = 0; i < nr && vms[i].pid != (uint32_t)vmm_pid; i++)
		;
	return i;
}

/*
 * vmtrace.ko learns of a VM when one of its vCPUs enters the guest while a
 * session runs.  Run a session that records next to nothing for the VMM
 * @vmm_pid (0: every VM) until the VM is there
 * (an idle guest still enters on its timer ticks) or @ms pass.  If another
 * session runs, it sees the VMs as well: just wait.  Leaves the last VM
 * list in *vms.
 */
static int track_vms(struct vmt_client *c, pid_t vmm_pid, unsigned int ms,
		     struct vmt_vm_info **vms, size_t *nr)
{
	/*
	 * The module notes a VM when it records something of it: record only
	 * external-interrupt and HLT exits (SVM 0x60, 0x78; VMX 1, 12; each
	 * code is unused in the other vendor's list), which every running
	 * guest makes on its timer ticks.
	 */
	static const uint32_t exits[] = { 0x60, 0x78, 1, 12 };
	uint32_t pid = vmm_pid;
	struct vmt_start_config cfg = {
		.nr_exits = sizeof(exits) / sizeof(exits[0]), .exits = exits,
		.nr_pids = vmm_pid ? 1 : 0, .pids = &pid,
	};
	unsigned int waited;
	int err, started;

	*vms = NULL;
	*nr = 0;
	err = vmt_client_start(c, &cfg);
	if (err && err != -EBUSY)
		return err;
	started = !err;
	for (waited = 0; waited < ms; waited += 50) {
		usleep(50000);
		vmt_vms_free(*vms, *nr);
		err = vmt_client_get_vms(c, vms, nr);
		if (err) {
			*vms = NULL;
			*nr = 0;
			break;
		}
		if (vmm_pid && find_vm(*vms, *nr, vmm_pid) < *nr)
			break;
	}
	if (started)
		vmt_client_stop(c);
	return err;
}

int guest_cmd_discover(struct vmt_client *c, struct vmt_vm_info **vms, size_t *nr)
{
	return track_vms(c, 0, 200, vms, nr);
}

int guest_cmd_open(pid_t vmm_pid, const struct vmt_guest_opts *opts,
		   struct vmt_guest **out)
{
	struct vmt_vm_info *vms;
	struct vmt_client *c;
	size_t nr, i;
	int err;

	if (collect_connect(&c))
		return 1;
	err = vmt_client_get_vms(c, &vms, &nr);
	if (!err && find_vm(vms, nr, vmm_pid) == nr) {
		vmt_vms_free(vms, nr);
		err = track_vms(c, vmm_pid, 2000, &vms, &nr);
	}
	if (err) {
		collect_error(c, "vms", err);
		vmt_client_close(c);
		return 1;
	}
	vmt_client_close(c);
	i = find_vm(vms, nr, vmm_pid);
	if (i == nr) {
		fprintf(stderr, "%s: no VM with VMM pid %d (see %s vms)\n", prog_name,
			(int)vmm_pid, prog_name);
		vmt_vms_free(vms, nr);
		return 1;
	}
	err = vmt_guest_open(&vms[i], opts, out);
	vmt_vms_free(vms, nr);
	if (err) {
		fprintf(stderr, "%s: %s\n", prog_name, strerror(-err));
		return 1;
	}
	return 0;
}

int guest_cmd_ready(struct vmt_guest *g)
{
	struct vmt_guest_info info;

	vmt_guest_info(g, &info);
	if (info.ready)
		return 1;
	fprintf(stderr, "%s: vm %u (pid %u): guest processes unavailable: %s\n",
		prog_name, info.vm_id, info.vmm_pid, info.status);
	return 0;
}

static const char *sign(int64_t v)
{
	return v < 0 ? "-" : "+";
}

static unsigned long long magnitude(int64_t v)
{
	return v < 0 ? -(unsigned long long)v : (unsigned long long)v;
}

/* What the VMM's command line says the VM is: name, UUID, MACs. */
static void print_identity(const struct vmt_vm_info *vm)
{
	struct vmt_vm_meta id = { 0 };
	uint32_t i;

	if (vmm_identity_read(vm->pid, &id))
		return;
	printf("  vmm: %s%s%s%s%s", id.comm, id.name[0] ? ", name " : "", id.name,
	       id.uuid[0] ? ", uuid " : "", id.uuid);
	for (i = 0; i < id.nr_macs; i++)
		printf("%s%s", i ? " " : ", mac ", id.macs[i]);
	printf("\n");
}

void vms_print_guest(const struct vmt_vm_info *vm, const char *profile_dir)
{
	struct vmt_guest_opts opts = { .profile_dir = profile_dir };
	const struct vmt_guest_stats *st;
	struct vmt_guest_task *tasks;
	struct vmt_guest_info info;
	struct vmt_guest *g;
	size_t nr_procs = 0, nr_threads = 0;

	print_identity(vm);

	if (vmt_guest_open(vm, &opts, &g)) {
		printf("  guest: out of memory\n");
		return;
	}
	vmt_guest_info(g, &info);
	printf("  guest kernel: %.*s\n", (int)strcspn(info.banner, "\n"),
	       info.banner[0] ? info.banner : "unknown");
	if (info.profile)
		printf("  profile: %s (linux %s)\n", info.profile, info.release);
	if (info.ready) {
		printf("  kaslr: kernel at guest-physical 0x%llx (physical slide %s0x%llx),"
		       " virtual slide %s0x%llx\n",
		       (unsigned long long)info.phys_load, sign(info.phys_slide),
		       magnitude(info.phys_slide), sign(info.virt_slide),
		       magnitude(info.virt_slide));
		printf("  paging: %s, kernel cr3 0x%llx, direct map 0x%llx\n",
		       vmt_paging_name(info.paging),
		       (unsigned long long)info.kernel_cr3,
		       (unsigned long long)info.page_offset_base);
		if (!vmt_guest_tasks(g, 0, &tasks, &nr_procs)) {
			free(tasks);
			if (!vmt_guest_tasks(g, 1, &tasks, &nr_threads))
				free(tasks);
		}
		st = vmt_guest_stats(g);
		printf("  processes: %zu (%zu threads)%s\n", nr_procs, nr_threads,
		       st->walks_partial ? ", task list partly unreadable" : "");
	} else {
		printf("  names: unavailable: %s\n", info.status);
	}
	vmt_guest_close(g);
}
