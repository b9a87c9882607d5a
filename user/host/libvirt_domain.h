/* SPDX-License-Identifier: GPL-2.0 */
/*
 * VM identity from libvirt: the status XML that libvirtd keeps for each
 * running QEMU domain (/run/libvirt/qemu/NAME.xml, root <domstatus
 * pid='N'> around the <domain>) gives the VM's name, UUID and MAC
 * addresses, keyed by the VMM pid that vmtrace.ko reports.  Where it
 * exists it is what the operator named the VM; QEMU's command line
 * (host/vmm_identity.h) is the fallback.
 *
 * The XML is parsed with libxml2 without network access and without
 * entity substitution (the file is root-owned, but a parser should not
 * fetch or expand anything anyway); files are bounded in size.
 */
#ifndef HOST_LIBVIRT_DOMAIN_H
#define HOST_LIBVIRT_DOMAIN_H

#include <stddef.h>
#include <sys/types.h>
#include "trace/trace.h"

#define HOST_LIBVIRT_RUN_DIR "/run/libvirt/qemu"
#define HOST_LIBVIRT_XML_MAX (4U << 20)

/*
 * Parse one status XML document: *pid from <domstatus pid=...> (0 if the
 * root is a bare <domain>), and vm->name, uuid, macs (appended, lowercase,
 * duplicates dropped) from its <domain>.  0, -EBADMSG (not XML, or neither
 * domstatus nor domain), -ENOMEM.
 */
int host_libvirt_parse_status(const char *xml, size_t len, pid_t *pid,
			 struct trace_vm_meta *vm);

/*
 * Find the domain whose VMM is @pid among @dir's *.xml (HOST_LIBVIRT_RUN_DIR
 * normally) and fill @vm's name, uuid and macs from it (name and uuid
 * replace what @vm had; MACs are merged).  0, -ENOENT (none matches or no
 * such directory), or another -errno.
 */
int host_libvirt_lookup(const char *dir, pid_t pid, struct trace_vm_meta *vm);

/*
 * Everything known about VM @vm_id, VMM @pid: the VMM's comm and command
 * line (host_vmm_identity_read()), then libvirt's status XML under @libvirt_dir
 * (NULL: HOST_LIBVIRT_RUN_DIR) on top.  0 or -ESRCH (the VMM is gone).
 */
int host_vm_identity_read(const char *libvirt_dir, uint32_t vm_id, pid_t pid,
		     struct trace_vm_meta *vm);

#endif
