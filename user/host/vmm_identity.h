/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Who a VM is, as its VMM process tells: its command name, and the VM's
 * name, UUID and MAC addresses where the command line gives them (QEMU's
 * -name, -uuid, mac=/macaddr= of -device/-nic/-net/-netdev, JSON -device;
 * mac= in any key=value list, as cloud-hypervisor's --net has it).
 */
#ifndef HOST_VMM_IDENTITY_H
#define HOST_VMM_IDENTITY_H

#include <stddef.h>
#include <sys/types.h>
#include "trace/trace.h"

/* Fill vm->name, uuid and macs from a command line given as
 * /proc/PID/cmdline has it: @len bytes of NUL-terminated arguments.
 * Fields the command line does not give are left as they are. */
void host_vmm_identity_parse_cmdline(const char *args, size_t len,
				struct trace_vm_meta *vm);

/* Read /proc/@pid/comm and /proc/@pid/cmdline into vm's comm, name, uuid
 * and macs.  -ESRCH (or the open error) if the process is gone; a zombie
 * still has its comm, but no command line. */
int host_vmm_identity_read(pid_t pid, struct trace_vm_meta *vm);

/* Append MAC address @s ("52:54:00:AB:cd:ef", dashes too; a '"' may end
 * it, as in JSON) to vm->macs, lowercase with colons, unless malformed,
 * already there or the list is full. */
void host_vmm_identity_add_mac(struct trace_vm_meta *vm, const char *s);

#endif
