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

struct client {
	enum client_backend backend;	/* MODULE or BPF */
	struct client_genl *genl;		/* the one in use, the other NULL */
	struct client_bpf *bpf;
};

int client_backend_parse(const char *name, enum client_backend *out)
{
	if (!strcmp(name, "auto"))
		*out = CLIENT_BACKEND_AUTO;
	else if (!strcmp(name, "module"))
		*out = CLIENT_BACKEND_MODULE;
	else if (!strcmp(name, "bpf"))
		*out = CLIENT_BACKEND_BPF;
	else
		return -EINVAL;
	return 0;
}

const char *client_backend_name(enum client_backend backend)
{
	switch (backend) {
	case CLIENT_BACKEND_AUTO: return "auto";
	case CLIENT_BACKEND_MODULE: return "module";
	case CLIENT_BACKEND_BPF: return "bpf";
	}
	return "unknown";
}

int client_open_backend(enum client_backend want, struct client **out,
			    char *why, size_t why_size)
{
	struct client *c = calloc(1, sizeof(*c));
	int err;

	if (why_size)
		why[0] = '\0';
	if (!c)
		return -ENOMEM;
	if (want != CLIENT_BACKEND_BPF) {
		err = client_genl_open(&c->genl);
		/* auto: no family means no module, and then BPF. */
		if (!err || want == CLIENT_BACKEND_MODULE || err != -ENOENT) {
			if (err == -ENOENT && why_size)
				snprintf(why, why_size, "vmtrace.ko is not loaded");
			c->backend = CLIENT_BACKEND_MODULE;
			goto out;
		}
	}
	c->backend = CLIENT_BACKEND_BPF;
	err = client_bpf_open(&c->bpf, why, why_size);
out:
	if (err) {
		free(c);
		return err;
	}
	*out = c;
	return 0;
}

int client_open(struct client **out)
{
	return client_open_backend(CLIENT_BACKEND_MODULE, out, NULL, 0);
}

enum client_backend client_get_backend(const struct client *c)
{
	return c->backend;
}

void client_close(struct client *c)
{
	if (!c)
		return;
	if (c->bpf)
		client_bpf_close(c->bpf);
	else
		client_genl_close(c->genl);
	free(c);
}

const char *client_error(const struct client *c)
{
	if (!c)
		return "";
	return c->bpf ? client_bpf_error(c->bpf) : client_genl_error(c->genl);
}

int client_status(struct client *c, struct client_status *st)
{
	return c->bpf ? client_bpf_status(c->bpf, st) : client_genl_status(c->genl, st);
}

int client_get_cpus(struct client *c, struct client_cpu_status **cpus,
			size_t *nr)
{
	return c->bpf ? client_bpf_get_cpus(c->bpf, cpus, nr) :
			client_genl_get_cpus(c->genl, cpus, nr);
}

int client_start(struct client *c, const struct client_start_config *cfg)
{
	return c->bpf ? client_bpf_start(c->bpf, cfg) : client_genl_start(c->genl, cfg);
}

int client_stop(struct client *c)
{
	return c->bpf ? client_bpf_stop(c->bpf) : client_genl_stop(c->genl);
}

int client_set_task_slot(struct client *c, const struct client_task_slot *s)
{
	return c->bpf ? client_bpf_set_task_slot(c->bpf, s) :
			client_genl_set_task_slot(c->genl, s);
}

long client_read(struct client *c, client_records_fn fn, void *arg)
{
	return c->bpf ? client_bpf_read(c->bpf, fn, arg) : client_genl_read(c->genl, fn, arg);
}

int client_get_vms(struct client *c, struct client_vm_info **vms,
		       size_t *nr)
{
	return c->bpf ? client_bpf_get_vms(c->bpf, vms, nr) :
			client_genl_get_vms(c->genl, vms, nr);
}

int client_send_raw(struct client *c, uint8_t cmd, uint16_t flags,
			const void *attrs, size_t len)
{
	/* Netlink requests by hand mean nothing to the BPF backend. */
	if (c->bpf)
		return -EOPNOTSUPP;
	return client_genl_send_raw(c->genl, cmd, flags, attrs, len);
}

void client_vms_free(struct client_vm_info *vms, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++)
		free(vms[i].slots);
	free(vms);
}

const char *client_state_name(uint32_t state)
{
	switch (state) {
	case VMTRACE_STATE_IDLE: return "idle";
	case VMTRACE_STATE_RUNNING: return "running";
	case VMTRACE_STATE_STOPPED: return "stopped";
	}
	return "unknown";
}

const char *client_sample_source_name(uint32_t source)
{
	switch (source) {
	case VMTRACE_SAMPLE_AUTO: return "auto";
	case VMTRACE_SAMPLE_PMU: return "pmu";
	case VMTRACE_SAMPLE_TIMER: return "timer";
	}
	return "unknown";
}

