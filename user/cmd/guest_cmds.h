/* SPDX-License-Identifier: GPL-2.0 */
/* The guest-introspection subcommands of vmtrace-collect (guest/guest.h). */
#ifndef CMD_GUEST_CMDS_H
#define CMD_GUEST_CMDS_H

#include <sys/types.h>
#include "client/client.h"

struct guest;
struct guest_opts;

/*
 * For vms: print what the guest of @vm says about itself (banner, profile,
 * KASLR slide, paging, name/UUID/MAC from the VMM's command line), indented.
 * @profile_dir: NULL for the default.
 */
void cmd_vms_print_guest(const struct client_vm_info *vm, const char *profile_dir);
/* The same as the members "vmm" and "guest" of @vm's JSON object (each
 * null when unknown), each after a comma (Documentation/cli.rst). */
void cmd_vms_print_guest_json(const struct client_vm_info *vm, const char *profile_dir);

/*
 * Open the guest of the VM whose VMM is @vmm_pid, its memslots from
 * @backend (auto: the module if loaded, else BPF).  0, or 1 after printing
 * why not (no backend, no such VM).
 */
int cmd_guest_open(pid_t vmm_pid, enum client_backend backend,
		   const struct guest_opts *opts, struct guest **out);
/*
 * Get every running VM: from vmtrace.ko, after a session that records
 * next to nothing has run for 200 ms (unless one runs already), because
 * the module learns of a VM only when it enters the guest during a
 * session; from the BPF backend's VM iterator at once.  0 or -errno, as
 * client_get_vms().
 */
int cmd_guest_discover(struct client *c, struct client_vm_info **vms, size_t *nr);

/*
 * Load the profile at @path (NULL: none, 0) into *@out, or only check it
 * (@out NULL: --guest-profile, read before anything else): 0, or the exit
 * status (CMD_EXIT_USAGE: a bad input file) after saying why not.
 */
struct guest_profile;
int cmd_load_guest_profile(const char *path, struct guest_profile **out);

/* 1 if processes can be named; else 0 after printing why not. */
int cmd_guest_ready(struct guest *g);

#endif
