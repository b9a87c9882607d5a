/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The backends behind client.h, for client.c alone: the same few
 * operations, each backend with its own handle.  Their meaning is
 * client.h's vmt_client_* of the same name.
 */
#ifndef VMT_CLIENT_BACKEND_H
#define VMT_CLIENT_BACKEND_H

#include "client/client.h"

/* vmtrace.ko over generic netlink (genl.c). */
struct vmt_genl;
int vmt_genl_open(struct vmt_genl **out);
void vmt_genl_close(struct vmt_genl *g);
const char *vmt_genl_error(const struct vmt_genl *g);
int vmt_genl_status(struct vmt_genl *g, struct vmt_status *st);
int vmt_genl_get_cpus(struct vmt_genl *g, struct vmt_cpu_status **cpus, size_t *nr);
int vmt_genl_start(struct vmt_genl *g, const struct vmt_start_config *cfg);
int vmt_genl_stop(struct vmt_genl *g);
int vmt_genl_set_task_slot(struct vmt_genl *g, const struct vmt_task_slot *s);
long vmt_genl_read(struct vmt_genl *g, vmt_records_fn fn, void *arg);
int vmt_genl_get_vms(struct vmt_genl *g, struct vmt_vm_info **vms, size_t *nr);
int vmt_genl_send_raw(struct vmt_genl *g, uint8_t cmd, uint16_t flags,
		      const void *attrs, size_t len);

/* BPF programs loaded through libbpf (bpf.c). */
struct vmt_bpf;
int vmt_bpf_open(struct vmt_bpf **out, char *why, size_t why_size);
void vmt_bpf_close(struct vmt_bpf *b);
const char *vmt_bpf_error(const struct vmt_bpf *b);
int vmt_bpf_status(struct vmt_bpf *b, struct vmt_status *st);
int vmt_bpf_get_cpus(struct vmt_bpf *b, struct vmt_cpu_status **cpus, size_t *nr);
int vmt_bpf_start(struct vmt_bpf *b, const struct vmt_start_config *cfg);
int vmt_bpf_stop(struct vmt_bpf *b);
int vmt_bpf_set_task_slot(struct vmt_bpf *b, const struct vmt_task_slot *s);
long vmt_bpf_read(struct vmt_bpf *b, vmt_records_fn fn, void *arg);
int vmt_bpf_get_vms(struct vmt_bpf *b, struct vmt_vm_info **vms, size_t *nr);

#endif /* VMT_CLIENT_BACKEND_H */
