// SPDX-License-Identifier: GPL-2.0
/* What the guest-introspection subcommands share: finding and opening a VM. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cmd/cmd.h"
#include "guest/guest.h"
#include "guest/profile.h"
#include "cmd/guest_cmds.h"
#include "host/vmm_identity.h"
#include "view/vm_report.h"

/* The index of the VM of @vmm_pid in @vms, or @nr. */
static size_t find_vm(const struct client_vm_info *vms, size_t nr, pid_t vmm_pid)
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
static int track_vms(struct client *c, pid_t vmm_pid, unsigned int ms,
		     struct client_vm_info **vms, size_t *nr)
{
	/*
	 * The module notes a VM when it records something of it: record only
	 * external-interrupt and HLT exits (SVM 0x60, 0x78; VMX 1, 12; each
	 * code is unused in the other vendor's list), which every running
	 * guest makes on its timer ticks.
	 */
	static const uint32_t exits[] = { 0x60, 0x78, 1, 12 };
	uint32_t pid = vmm_pid;
	struct client_start_config cfg = {
		.nr_exits = sizeof(exits) / sizeof(exits[0]), .exits = exits,
		.nr_pids = vmm_pid ? 1 : 0, .pids = &pid,
	};
	unsigned int waited;
	int err, started;

	*vms = NULL;
	*nr = 0;
	err = client_start(c, &cfg);
	if (err && err != -EBUSY)
		return err;
	started = !err;
	for (waited = 0; waited < ms; waited += 50) {
		usleep(50000);
		client_vms_free(*vms, *nr);
		err = client_get_vms(c, vms, nr);
		if (err) {
			*vms = NULL;
			*nr = 0;
			break;
		}
		if (vmm_pid && find_vm(*vms, *nr, vmm_pid) < *nr)
			break;
	}
	if (started)
		client_stop(c);
	return err;
}

int cmd_guest_discover(struct client *c, struct client_vm_info **vms, size_t *nr)
{
	/* The BPF backend's VM iterator finds every VM, running or not. */
	if (client_get_backend(c) == CLIENT_BACKEND_BPF)
		return client_get_vms(c, vms, nr);
	return track_vms(c, 0, 200, vms, nr);
}

int cmd_guest_open(pid_t vmm_pid, enum client_backend backend,
		   const struct guest_opts *opts, struct guest **out)
{
	struct client_vm_info *vms;
	struct client *c;
	size_t nr, i;
	int err;

	if (cmd_collect_open(backend, &c))
		return 1;
	err = client_get_vms(c, &vms, &nr);
	if (!err && find_vm(vms, nr, vmm_pid) == nr &&
	    client_get_backend(c) == CLIENT_BACKEND_MODULE) {
		client_vms_free(vms, nr);
		err = track_vms(c, vmm_pid, 2000, &vms, &nr);
	}
	if (err) {
		cmd_error(c, "vms", err);
		client_close(c);
		return 1;
	}
	client_close(c);
	i = find_vm(vms, nr, vmm_pid);
	if (i == nr) {
		fprintf(stderr, "%s: no VM with VMM pid %d (see %s vms)\n", cmd_prog_name,
			(int)vmm_pid, cmd_prog_name);
		client_vms_free(vms, nr);
		return 1;
	}
	err = guest_open(&vms[i], opts, out);
	client_vms_free(vms, nr);
	if (err) {
		fprintf(stderr, "%s: %s\n", cmd_prog_name, strerror(-err));
		return 1;
	}
	return 0;
}

int cmd_load_guest_profile(const char *path, struct guest_profile **out)
{
	struct guest_profile *p;
	int err;

	if (!path)
		return 0;
	err = guest_profile_load(path, 0, &p);
	if (err) {
		fprintf(stderr, "%s: %s: %s\n", cmd_prog_name, path,
			err == -EBADMSG ? "not a valid profile" :
			err == -EPROTO ? "made by a newer vmtrace" : strerror(-err));
		return cmd_input_status(err);
	}
	if (out)
		*out = p;
	else
		guest_profile_free(p);
	return 0;
}

int cmd_guest_ready(struct guest *g)
{
	struct guest_info info;

	guest_info(g, &info);
	if (info.ready)
		return 1;
	fprintf(stderr, "%s: vm %u (pid %u): guest processes unavailable: %s\n",
		cmd_prog_name, info.vm_id, info.vmm_pid, info.status);
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

/* What vms says of a guest, gathered once for its text and its JSON. */
struct guest_facts {
	struct trace_vm_meta id;		/* the VMM's command line */
	bool have_id;
	struct guest *g;		/* NULL: out of memory */
	struct guest_info info;
	size_t nr_procs, nr_threads;
	bool partial;			/* the task list partly unreadable */
};

static void gather(const struct client_vm_info *vm, const char *profile_dir,
		   struct guest_facts *f)
{
	struct guest_opts opts = { .profile_dir = profile_dir };
	struct guest_task *tasks;

	memset(f, 0, sizeof(*f));
	f->have_id = !host_vmm_identity_read(vm->pid, &f->id);
	if (guest_open(vm, &opts, &f->g)) {
		f->g = NULL;
		return;
	}
	guest_info(f->g, &f->info);
	if (!f->info.ready)
		return;
	if (!guest_tasks(f->g, 0, &tasks, &f->nr_procs)) {
		free(tasks);
		if (!guest_tasks(f->g, 1, &tasks, &f->nr_threads))
			free(tasks);
	}
	f->partial = guest_stats(f->g)->walks_partial;
}

/* What the VMM's command line says the VM is: name, UUID, MACs. */
static void print_identity(const struct trace_vm_meta *id)
{
	uint32_t i;

	printf("  vmm: %s%s%s%s%s", id->comm, id->name[0] ? ", name " : "", id->name,
	       id->uuid[0] ? ", uuid " : "", id->uuid);
	for (i = 0; i < id->nr_macs; i++)
		printf("%s%s", i ? " " : ", mac ", id->macs[i]);
	printf("\n");
}

void cmd_vms_print_guest(const struct client_vm_info *vm, const char *profile_dir)
{
	struct guest_facts f;
	const struct guest_info *info = &f.info;

	gather(vm, profile_dir, &f);
	if (f.have_id)
		print_identity(&f.id);
	if (!f.g) {
		printf("  guest: out of memory\n");
		return;
	}
	printf("  guest kernel: %.*s\n", (int)strcspn(info->banner, "\n"),
	       info->banner[0] ? info->banner : "unknown");
	if (info->profile)
		printf("  profile: %s (linux %s)\n", info->profile, info->release);
	if (info->ready) {
		printf("  kaslr: kernel at guest-physical 0x%llx (physical slide %s0x%llx),"
		       " virtual slide %s0x%llx\n",
		       (unsigned long long)info->phys_load, sign(info->phys_slide),
		       magnitude(info->phys_slide), sign(info->virt_slide),
		       magnitude(info->virt_slide));
		printf("  paging: %s, kernel cr3 0x%llx, direct map 0x%llx\n",
		       guest_paging_name(info->paging),
		       (unsigned long long)info->kernel_cr3,
		       (unsigned long long)info->page_offset_base);
		printf("  processes: %zu (%zu threads)%s\n", f.nr_procs, f.nr_threads,
		       f.partial ? ", task list partly unreadable" : "");
	} else {
		printf("  names: unavailable: %s\n", info->status);
	}
	guest_close(f.g);
}

/* A JSON string, or null for NULL. */
static void json_str_or_null(const char *s)
{
	if (s)
		view_vm_json_str(stdout, s);
	else
		fputs("null", stdout);
}

void cmd_vms_print_guest_json(const struct client_vm_info *vm, const char *profile_dir)
{
	const struct guest_info *info;
	struct guest_facts f;
	uint32_t i;

	gather(vm, profile_dir, &f);
	info = &f.info;
	printf(",\"vmm\":");
	if (f.have_id) {
		printf("{\"comm\":");
		view_vm_json_str(stdout, f.id.comm);
		printf(",\"name\":");
		view_vm_json_str(stdout, f.id.name);
		printf(",\"uuid\":");
		view_vm_json_str(stdout, f.id.uuid);
		printf(",\"macs\":[");
		for (i = 0; i < f.id.nr_macs; i++) {
			printf("%s", i ? "," : "");
			view_vm_json_str(stdout, f.id.macs[i]);
		}
		printf("]}");
	} else {
		printf("null");
	}
	printf(",\"guest\":");
	if (!f.g) {
		printf("null");
		return;
	}
	printf("{\"banner\":");
	view_vm_json_str(stdout, info->banner);
	printf(",\"profile\":");
	json_str_or_null(info->profile);
	printf(",\"release\":");
	json_str_or_null(info->profile ? info->release : NULL);
	printf(",\"ready\":%s,\"status\":", info->ready ? "true" : "false");
	view_vm_json_str(stdout, info->status);
	if (info->ready) {
		printf(",\"phys_load\":%llu,\"phys_slide\":%lld,\"virt_slide\":%lld,"
		       "\"paging\":", (unsigned long long)info->phys_load,
		       (long long)info->phys_slide, (long long)info->virt_slide);
		view_vm_json_str(stdout, guest_paging_arg(info->paging));
		printf(",\"kernel_cr3\":%llu,\"page_offset_base\":%llu,\"processes\":%zu,"
		       "\"threads\":%zu,\"partial\":%s",
		       (unsigned long long)info->kernel_cr3,
		       (unsigned long long)info->page_offset_base, f.nr_procs, f.nr_threads,
		       f.partial ? "true" : "false");
	}
	printf("}");
	guest_close(f.g);
}
