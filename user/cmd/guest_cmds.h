/* SPDX-License-Identifier: GPL-2.0 */
/* The guest-introspection subcommands of vmtrace-collect (guest/guest.h). */
#ifndef VMT_GUEST_CMDS_H
#define VMT_GUEST_CMDS_H

#include <sys/types.h>
#include "client/client.h"

struct vmt_guest;
struct vmt_guest_opts;

/*
 * For vms: print what the guest of @vm says about itself (banner, profile,
 * KASLR slide, paging, name/UUID/MAC from the VMM's command line), indented.
 * @profile_dir: NULL for the default.
 */
void vms_print_guest(const struct vmt_vm_info *vm, const char *profile_dir);
/* The same as the members "vmm" and "guest" of @vm's JSON object (each
 * null when unknown), each after a comma (Documentation/cli.rst). */
void vms_print_guest_json(const struct vmt_vm_info *vm, const char *profile_dir);

/*
 * Open the guest of the VM whose VMM is @vmm_pid.  0, or 1 after printing
 * why not (module not loaded, no such VM).
 */
int guest_cmd_open(pid_t vmm_pid, const struct vmt_guest_opts *opts,
		   struct vmt_guest **out);
/*
 * Get every running VM known to vmtrace.ko: a session that records next
 * to nothing runs for 200 ms first (unless one runs already), because the
 * module learns of a VM only when it enters the guest during a session.
 * 0 or -errno, as vmt_client_get_vms().
 */
int guest_cmd_discover(struct vmt_client *c, struct vmt_vm_info **vms, size_t *nr);

/*
 * Load the profile at @path (NULL: none, 0) into *@out, or only check it
 * (@out NULL: --guest-profile, read before anything else): 0, or the exit
 * status (EXIT_USAGE: a bad input file) after saying why not.
 */
struct vmt_profile;
int guest_cmd_load_profile(const char *path, struct vmt_profile **out);

/* 1 if processes can be named; else 0 after printing why not. */
int guest_cmd_ready(struct vmt_guest *g);

#endif
