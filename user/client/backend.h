/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The backends behind client.h, for client.c alone: the same few
 * operations, each backend with its own handle.  Their meaning is
 * client.h's client_* of the same name.
 */
#ifndef VMT_CLIENT_BACKEND_H
#define VMT_CLIENT_BACKEND_H

#include "client/client.h"

/* vmtrace.ko over generic netlink (genl.c). */
struct client_genl;
int client_genl_open(struct client_genl **out);
void client_genl_close(struct client_genl *g);
const char *client_genl_error(const struct client_genl *g);
int client_genl_status(struct client_genl *g, struct client_status *st);
int client_genl_get_cpus(struct client_genl *g, struct client_cpu_status **cpus, size_t *nr);
int client_genl_start(struct client_genl *g, const struct client_start_config *cfg);
int client_genl_stop(struct client_genl *g);
int client_genl_set_task_slot(struct client_genl *g, const struct client_task_slot *s);
long client_genl_read(struct client_genl *g, client_records_fn fn, void *arg);
int client_genl_get_vms(struct client_genl *g, struct client_vm_info **vms, size_t *nr);
int client_genl_send_raw(struct client_genl *g, uint8_t cmd, uint16_t flags,
		      const void *attrs, size_t len);

/* BPF programs loaded through libbpf (bpf.c). */
struct client_bpf;
int client_bpf_open(struct client_bpf **out, char *why, size_t why_size);
void client_bpf_close(struct client_bpf *b);
const char *client_bpf_error(const struct client_bpf *b);
int client_bpf_status(struct client_bpf *b, struct client_status *st);
int client_bpf_get_cpus(struct client_bpf *b, struct client_cpu_status **cpus, size_t *nr);
int client_bpf_start(struct client_bpf *b, const struct client_start_config *cfg);
int client_bpf_stop(struct client_bpf *b);
int client_bpf_set_task_slot(struct client_bpf *b, const struct client_task_slot *s);
long client_bpf_read(struct client_bpf *b, client_records_fn fn, void *arg);
int client_bpf_get_vms(struct client_bpf *b, struct client_vm_info **vms, size_t *nr);

#endif /* VMT_CLIENT_BACKEND_H */
