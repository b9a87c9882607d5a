// SPDX-License-Identifier: GPL-2.0
/* The both-sides view of the host's VMs: helpers (trace/snapshot.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "util/sorted.h"
#include "trace/snapshot.h"

static const char *const flag_names[] = { "new", "uid", "cpu", "mem", "gap" };

const char *trace_snapshot_flag_name(unsigned int flag)
{
	unsigned int i;

	for (i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
		if (flag == 1U << i)
			return flag_names[i];
	return "?";
}

void trace_snapshot_flags_string(unsigned int flags, char *buf, size_t len)
{
	size_t used = 0;
	unsigned int i;
	int n;

	if (!len)
		return;
	buf[0] = 0;
	for (i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++) {
		if (!(flags & (1U << i)))
			continue;
		n = snprintf(buf + used, len - used, "%s%s", used ? "," : "", flag_names[i]);
		if (n < 0 || (size_t)n >= len - used)
			return;
		used += (size_t)n;
	}
}

int trace_snapshot_flags_parse(const char *s, unsigned int *flags)
{
	unsigned int f = 0, i;
	const char *p = s;

	while (*p) {
		size_t n = strcspn(p, ",");

		for (i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
			if (strlen(flag_names[i]) == n && !strncmp(p, flag_names[i], n))
				break;
		if (i == sizeof(flag_names) / sizeof(flag_names[0]))
			return -EINVAL;
		f |= 1U << i;
		p += n;
		if (*p == ',' && *++p == 0)
			return -EINVAL;
	}
	*flags = f;
	return 0;
}

void trace_snapshot_free(struct trace_snapshot *s)
{
	size_t i;

	for (i = 0; i < s->nr_vms; i++)
		free(s->vms[i].procs);
	free(s->vms);
	s->vms = NULL;
	s->nr_vms = 0;
}

int trace_snapshot_copy(struct trace_snapshot *dst, const struct trace_snapshot *src)
{
	size_t i;

	*dst = *src;
	dst->vms = NULL;
	dst->nr_vms = 0;
	if (!src->nr_vms)
		return 0;
	dst->vms = calloc(src->nr_vms, sizeof(*dst->vms));
	if (!dst->vms)
		return -ENOMEM;
	for (i = 0; i < src->nr_vms; i++) {
		dst->vms[i] = src->vms[i];
		dst->vms[i].procs = NULL;
		dst->nr_vms = i + 1;
		if (!src->vms[i].nr_procs)
			continue;
		dst->vms[i].procs = malloc(src->vms[i].nr_procs * sizeof(struct trace_snapshot_proc));
		if (!dst->vms[i].procs) {
			dst->vms[i].nr_procs = 0;
			trace_snapshot_free(dst);
			return -ENOMEM;
		}
		memcpy(dst->vms[i].procs, src->vms[i].procs,
		       src->vms[i].nr_procs * sizeof(struct trace_snapshot_proc));
	}
	return 0;
}

const char *trace_snapshot_vm_label(const struct trace_snapshot_vm *vm, char *buf, size_t len)
{
	if (vm->id.name[0])
		return vm->id.name;
	if (vm->id.uuid[0])
		return vm->id.uuid;
	snprintf(buf, len, "pid %u", vm->id.vmm_pid);
	return buf;
}

static bool parse_u32(const char *s, uint32_t *v)
{
	char *end;
	unsigned long x;

	if (*s < '0' || *s > '9')
		return false;
	x = strtoul(s, &end, 10);
	if (*end || x > UINT32_MAX)
		return false;
	*v = (uint32_t)x;
	return true;
}

bool trace_snapshot_vm_matches(const struct trace_snapshot_vm *vm, const char *key)
{
	uint32_t v, i;

	if (!strncmp(key, "id:", 3))
		return parse_u32(key + 3, &v) && v == vm->id.vm_id;
	if (!strncmp(key, "pid:", 4))
		return parse_u32(key + 4, &v) && v == vm->id.vmm_pid;
	if (parse_u32(key, &v) && v == vm->id.vmm_pid)
		return true;
	if (vm->id.name[0] && !strcmp(key, vm->id.name))
		return true;
	if (vm->id.uuid[0] && !strcasecmp(key, vm->id.uuid))
		return true;
	for (i = 0; i < vm->id.nr_macs && i < TRACE_MAX_MACS; i++)
		if (!strcasecmp(key, vm->id.macs[i]))
			return true;
	return false;
}

struct trace_snapshot_proc *trace_snapshot_find_proc(const struct trace_snapshot_vm *vm, uint32_t pid)
{
	return util_find_by_id(vm->procs, vm->nr_procs, sizeof(*vm->procs), pid);
}

static bool known(double v)
{
	return !isnan(v) && v >= 0;
}

enum trace_snapshot_gap_cause trace_snapshot_gap_cause(const struct trace_snapshot_gap_figures *f)
{
	const double tol = TRACE_SNAPSHOT_GAP_TOLERANCE_PP;
	double gap;

	if (!known(f->hv_cpu) || !known(f->guest_cpu))
		return TRACE_SNAPSHOT_GAP_UNKNOWN;
	gap = f->hv_cpu - f->guest_cpu;
	if (fabs(gap) <= tol)
		return TRACE_SNAPSHOT_GAP_NONE;
	if (gap < 0) {
		/* The vCPU threads' own CPU where known, else the VMM's; the
		 * host's view of the wait where known, else the guest's. */
		double ran = known(f->hv_vcpu) ? f->hv_vcpu : f->hv_cpu;
		double wait = known(f->run_delay) ? f->run_delay : f->guest_steal;

		if (known(wait) && ran + wait >= f->guest_cpu - tol)
			return TRACE_SNAPSHOT_GAP_CONTENTION;
		return TRACE_SNAPSHOT_GAP_UNEXPLAINED;
	}
	if (!known(f->hv_vcpu))
		return known(f->exit_handling) && f->exit_handling >= gap - tol ?
		       TRACE_SNAPSHOT_GAP_VCPU_OVERHEAD : TRACE_SNAPSHOT_GAP_UNEXPLAINED;
	/* hv = vCPU threads + the rest: whichever holds more of the excess. */
	return f->hv_cpu - f->hv_vcpu >= f->hv_vcpu - f->guest_cpu ? TRACE_SNAPSHOT_GAP_VMM_THREADS :
								     TRACE_SNAPSHOT_GAP_VCPU_OVERHEAD;
}

const char *trace_snapshot_gap_cause_name(enum trace_snapshot_gap_cause c)
{
	static const char *const names[] = {
		[TRACE_SNAPSHOT_GAP_UNKNOWN] = "-",
		[TRACE_SNAPSHOT_GAP_NONE] = "none",
		[TRACE_SNAPSHOT_GAP_CONTENTION] = "contention",
		[TRACE_SNAPSHOT_GAP_VMM_THREADS] = "vmm-threads",
		[TRACE_SNAPSHOT_GAP_VCPU_OVERHEAD] = "vcpu-overhead",
		[TRACE_SNAPSHOT_GAP_UNEXPLAINED] = "unexplained",
	};

	return (unsigned int)c < sizeof(names) / sizeof(names[0]) ? names[c] : "-";
}

enum trace_snapshot_gap_cause trace_snapshot_vm_gap_cause(const struct trace_snapshot_vm *vm)
{
	if (!vm->hv_valid || !vm->guest_valid)
		return TRACE_SNAPSHOT_GAP_UNKNOWN;
	struct trace_snapshot_gap_figures f = {
		.hv_cpu = vm->hv_cpu_pct, .hv_vcpu = vm->hv_vcpu_pct,
		.run_delay = vm->hv_run_delay_pct, .exit_handling = vm->hv_exit_pct,
		.guest_cpu = vm->guest_cpu_pct, .guest_steal = vm->guest_steal_pct,
	};

	return trace_snapshot_gap_cause(&f);
}
