// SPDX-License-Identifier: GPL-2.0
/*
 * The client's front (client.h): one handle, the backend chosen at open,
 * every call passed on to it (backend.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "client/backend.h"

struct vmt_client {
	enum vmt_backend backend;	/* MODULE or BPF */
	struct vmt_genl *genl;		/* the one in use, the other NULL */
	struct vmt_bpf *bpf;
};

int vmt_backend_parse(const char *name, enum vmt_backend *out)
{
	if (!strcmp(name, "auto"))
		*out = VMT_BACKEND_AUTO;
	else if (!strcmp(name, "module"))
		*out = VMT_BACKEND_MODULE;
	else if (!strcmp(name, "bpf"))
		*out = VMT_BACKEND_BPF;
	else
		return -EINVAL;
	return 0;
}

const char *vmt_backend_name(enum vmt_backend backend)
{
	switch (backend) {
	case VMT_BACKEND_AUTO: return "auto";
	case VMT_BACKEND_MODULE: return "module";
	case VMT_BACKEND_BPF: return "bpf";
	}
	return "unknown";
}

int vmt_client_open_backend(enum vmt_backend want, struct vmt_client **out,
			    char *why, size_t why_size)
{
	struct vmt_client *c = calloc(1, sizeof(*c));
	int err;

	if (why_size)
		why[0] = '\0';
	if (!c)
		return -ENOMEM;
	if (want != VMT_BACKEND_BPF) {
		err = vmt_genl_open(&c->genl);
		/* auto: no family means no module, and then BPF. */
		if (!err || want == VMT_BACKEND_MODULE || err != -ENOENT) {
			if (err == -ENOENT && why_size)
				snprintf(why, why_size, "vmtrace.ko is not loaded");
			c->backend = VMT_BACKEND_MODULE;
			goto out;
		}
	}
	c->backend = VMT_BACKEND_BPF;
	err = vmt_bpf_open(&c->bpf, why, why_size);
out:
	if (err) {
		free(c);
		return err;
	}
	*out = c;
	return 0;
}

int vmt_client_open(struct vmt_client **out)
{
	return vmt_client_open_backend(VMT_BACKEND_MODULE, out, NULL, 0);
}

enum vmt_backend vmt_client_backend(const struct vmt_client *c)
{
	return c->backend;
}

void vmt_client_close(struct vmt_client *c)
{
	if (!c)
		return;
	if (c->bpf)
		vmt_bpf_close(c->bpf);
	else
		vmt_genl_close(c->genl);
	free(c);
}

const char *vmt_client_error(const struct vmt_client *c)
{
	if (!c)
		return "";
	return c->bpf ? vmt_bpf_error(c->bpf) : vmt_genl_error(c->genl);
}

int vmt_client_status(struct vmt_client *c, struct vmt_status *st)
{
	return c->bpf ? vmt_bpf_status(c->bpf, st) : vmt_genl_status(c->genl, st);
}

int vmt_client_get_cpus(struct vmt_client *c, struct vmt_cpu_status **cpus,
			size_t *nr)
{
	return c->bpf ? vmt_bpf_get_cpus(c->bpf, cpus, nr) :
			vmt_genl_get_cpus(c->genl, cpus, nr);
}

int vmt_client_start(struct vmt_client *c, const struct vmt_start_config *cfg)
{
	return c->bpf ? vmt_bpf_start(c->bpf, cfg) : vmt_genl_start(c->genl, cfg);
}

int vmt_client_stop(struct vmt_client *c)
{
	return c->bpf ? vmt_bpf_stop(c->bpf) : vmt_genl_stop(c->genl);
}

int vmt_client_set_task_slot(struct vmt_client *c, const struct vmt_task_slot *s)
{
	return c->bpf ? vmt_bpf_set_task_slot(c->bpf, s) :
			vmt_genl_set_task_slot(c->genl, s);
}

long vmt_client_read(struct vmt_client *c, vmt_records_fn fn, void *arg)
{
	return c->bpf ? vmt_bpf_read(c->bpf, fn, arg) : vmt_genl_read(c->genl, fn, arg);
}

int vmt_client_get_vms(struct vmt_client *c, struct vmt_vm_info **vms,
		       size_t *nr)
{
	return c->bpf ? vmt_bpf_get_vms(c->bpf, vms, nr) :
			vmt_genl_get_vms(c->genl, vms, nr);
}

int vmt_client_send_raw(struct vmt_client *c, uint8_t cmd, uint16_t flags,
			const void *attrs, size_t len)
{
	/* Netlink requests by hand mean nothing to the BPF backend. */
	if (c->bpf)
		return -EOPNOTSUPP;
	return vmt_genl_send_raw(c->genl, cmd, flags, attrs, len);
}

void vmt_vms_free(struct vmt_vm_info *vms, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++)
		free(vms[i].slots);
	free(vms);
}

const char *vmt_state_name(uint32_t state)
{
	switch (state) {
	case VMTRACE_STATE_IDLE: return "idle";
	case VMTRACE_STATE_RUNNING: return "running";
	case VMTRACE_STATE_STOPPED: return "stopped";
	}
	return "unknown";
}

const char *vmt_sample_source_name(uint32_t source)
{
	switch (source) {
	case VMTRACE_SAMPLE_AUTO: return "auto";
	case VMTRACE_SAMPLE_PMU: return "pmu";
	case VMTRACE_SAMPLE_TIMER: return "timer";
	}
	return "unknown";
}

