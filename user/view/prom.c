// SPDX-License-Identifier: GPL-2.0
/* The both-sides view in Prometheus text format (view/prom.h). */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>
#include "view/prom.h"
#include "util/utf8.h"

void prom_write_label_value(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = vmt_utf8_len(p);

		if (*p == '\\')
			fputs("\\\\", f);
		else if (*p == '"')
			fputs("\\\"", f);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (n == 0 || *p < 0x20 || *p == 0x7f)
			fputc('?', f);
		else
			fwrite(p, 1, n, f);
		p += n ? n : 1;
	}
}

static void header(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Doubles as Prometheus writes them: NaN/Inf spelled out, else %.17g-free
 * short form (%.6g loses nothing that matters for percentages). */
static void value(FILE *f, double v)
{
	if (isnan(v))
		fputs(" NaN\n", f);
	else if (isinf(v))
		fputs(v > 0 ? " +Inf\n" : " -Inf\n", f);
	else
		fprintf(f, " %.6g\n", v);
}

static void vm_labels(FILE *f, const struct vv_vm *vm)
{
	fputs("vm=\"", f);
	prom_write_label_value(f, vm->id.name);
	fputs("\",uuid=\"", f);
	prom_write_label_value(f, vm->id.uuid);
	fprintf(f, "\",pid=\"%u\"", vm->id.vmm_pid);
}

static void vm_series(FILE *f, const char *name, const struct vv_vm *vm,
		      const char *extra_key, const char *extra_value, double v)
{
	fprintf(f, "%s{", name);
	vm_labels(f, vm);
	if (extra_key) {
		fprintf(f, ",%s=\"", extra_key);
		prom_write_label_value(f, extra_value);
		fputc('"', f);
	}
	fputc('}', f);
	value(f, v);
}

static void proc_series(FILE *f, const char *name, const struct vv_vm *vm,
			const struct vv_proc *p, const char *extra_key,
			const char *extra_value, double v)
{
	fprintf(f, "%s{", name);
	vm_labels(f, vm);
	fprintf(f, ",guest_pid=\"%u\",comm=\"", p->pid);
	prom_write_label_value(f, p->comm);
	fputc('"', f);
	if (extra_key) {
		fprintf(f, ",%s=\"", extra_key);
		prom_write_label_value(f, extra_value);
		fputc('"', f);
	}
	fputc('}', f);
	value(f, v);
}

/* Every VM, one series per source where a getter gives a value.  A
 * family's series are written together under one HELP and TYPE, as the
 * format requires. */
typedef bool (*vm_getter)(const struct vv_vm *vm, double *v);

struct vm_source {
	const char *source;		/* NULL: no source label */
	vm_getter get;
};

static void vm_family(FILE *f, const struct vv_snapshot *s, const char *name,
		      const char *help, const struct vm_source *src, size_t nr_src)
{
	bool any = false;
	size_t i, j;
	double v;

	for (j = 0; j < nr_src; j++)
		for (i = 0; i < s->nr_vms; i++) {
			if (!src[j].get(&s->vms[i], &v))
				continue;
			if (!any)
				header(f, name, "gauge", help);
			any = true;
			vm_series(f, name, &s->vms[i], src[j].source ? "source" : NULL,
				  src[j].source, v);
		}
}

#define FAMILY(f, s, name, help, ...) do {					\
	static const struct vm_source src_[] = { __VA_ARGS__ };		\
	vm_family(f, s, name, help, src_, sizeof(src_) / sizeof(src_[0]));	\
} while (0)

static bool hv_cpu(const struct vv_vm *vm, double *v)
{
	*v = vm->hv_cpu_pct;
	return vm->hv_valid;
}

static bool guest_cpu(const struct vv_vm *vm, double *v)
{
	*v = vm->guest_cpu_pct;
	return vm->guest_valid && vm->guest_cpu_pct >= 0;
}

static bool cpu_gap(const struct vv_vm *vm, double *v)
{
	*v = vm->cpu_gap_pct;
	return vm->gap_valid;
}

/* Unknown (no vCPU thread found): no series, not a -1. */
static bool vcpu_cpu(const struct vv_vm *vm, double *v)
{
	*v = vm->hv_vcpu_pct;
	return vm->hv_valid && vm->hv_vcpu_pct >= 0;
}

static bool run_delay(const struct vv_vm *vm, double *v)
{
	*v = vm->hv_run_delay_pct;
	return vm->hv_valid && vm->hv_run_delay_pct >= 0;
}

/* The same wait as the guest learnt it: its steal time. */
static bool guest_steal(const struct vv_vm *vm, double *v)
{
	*v = vm->guest_steal_pct;
	return vm->guest_valid && vm->guest_steal_pct >= 0;
}

static bool exit_handling(const struct vv_vm *vm, double *v)
{
	*v = vm->hv_exit_pct;
	return vm->hv_exit_pct >= 0;
}

static bool hv_mem(const struct vv_vm *vm, double *v)
{
	*v = (double)vm->hv_rss_bytes;
	return vm->hv_valid;
}

static bool guest_mem(const struct vv_vm *vm, double *v)
{
	*v = (double)vm->guest_mem_used;
	return vm->guest_valid && vm->guest_mem_total;
}

static bool guest_total(const struct vv_vm *vm, double *v)
{
	*v = (double)vm->guest_mem_total;
	return vm->guest_valid && vm->guest_mem_total;
}

static bool mem_given(const struct vv_vm *vm, double *v)
{
	*v = (double)vm->mem_bytes;
	return vm->mem_bytes != 0;
}

static bool exits(const struct vv_vm *vm, double *v)
{
	*v = vm->exits_per_s;
	return vm->exits_per_s >= 0;
}

int prom_write(FILE *f, const struct vv_snapshot *s)
{
	size_t i, j, k;
	bool any;

	header(f, "vmtrace_vm_info", "gauge",
	       "A VM on this host: its identity (one series per MAC address).");
	for (i = 0; i < s->nr_vms; i++) {
		const struct vv_vm *vm = &s->vms[i];

		if (!vm->id.nr_macs)
			vm_series(f, "vmtrace_vm_info", vm, "mac", "", 1);
		for (j = 0; j < vm->id.nr_macs && j < VMT_MAX_MACS; j++)
			vm_series(f, "vmtrace_vm_info", vm, "mac", vm->id.macs[j], 1);
	}
	FAMILY(f, s, "vmtrace_vm_cpu_percent",
	       "CPU of the VM, % of one CPU: the VMM process as the host sees it (hypervisor), its tasks' time as the guest kernel accounts it (guest).",
	       { "hypervisor", hv_cpu }, { "guest", guest_cpu });
	FAMILY(f, s, "vmtrace_vm_cpu_gap_percent",
	       "Hypervisor minus guest CPU %: VMM overhead and CPU the guest did not account.",
	       { NULL, cpu_gap });
	any = false;
	for (i = 0; i < s->nr_vms; i++) {
		enum vv_gap_cause c = vv_vm_gap_cause(&s->vms[i]);

		if (c == VV_GAP_UNKNOWN || !s->vms[i].gap_valid)
			continue;
		if (!any)
			header(f, "vmtrace_vm_cpu_gap_cause", "gauge",
			       "What explains the CPU gap (1 on the cause): none, contention (vCPUs waited for a host CPU), vmm-threads, vcpu-overhead, unexplained.");
		any = true;
		vm_series(f, "vmtrace_vm_cpu_gap_cause", &s->vms[i], "cause",
			  vv_gap_cause_name(c), 1);
	}
	FAMILY(f, s, "vmtrace_vm_vcpu_cpu_percent",
	       "CPU of the VM's vCPU threads, % of one CPU.", { "hypervisor", vcpu_cpu });
	FAMILY(f, s, "vmtrace_vm_run_delay_percent",
	       "Time the VM's vCPUs were runnable but waiting for a host CPU, % of one CPU: the vCPU threads' run-queue wait (hypervisor), the guest's steal time (guest).",
	       { "hypervisor", run_delay }, { "guest", guest_steal });
	FAMILY(f, s, "vmtrace_vm_exit_handling_percent",
	       "Time the host spent handling the VM's exits, from each exit to its vCPU's next entry, halts excluded, % of one CPU.",
	       { "hypervisor", exit_handling });
	FAMILY(f, s, "vmtrace_vm_memory_bytes",
	       "Memory of the VM: the VMM's resident memory (hypervisor), memory in use in the guest (guest).",
	       { "hypervisor", hv_mem }, { "guest", guest_mem });
	FAMILY(f, s, "vmtrace_vm_guest_memory_total_bytes",
	       "Memory the guest kernel manages (totalram).", { "guest", guest_total });
	FAMILY(f, s, "vmtrace_vm_memory_given_bytes",
	       "Guest RAM the VM was given (its memory slots).", { "hypervisor", mem_given });
	FAMILY(f, s, "vmtrace_vm_exits_per_second",
	       "VM-exits per second, all reasons.", { "hypervisor", exits });

	any = false;
	for (i = 0; i < s->nr_vms; i++)
		for (j = 0; j < s->vms[i].nr_exit_rates; j++) {
			if (!any)
				header(f, "vmtrace_vm_exit_reason_per_second", "gauge",
				       "VM-exits per second by exit reason.");
			any = true;
			vm_series(f, "vmtrace_vm_exit_reason_per_second", &s->vms[i],
				  "reason", s->vms[i].exit_rates[j].name,
				  s->vms[i].exit_rates[j].per_s);
		}
	any = false;
	for (i = 0; i < s->nr_vms; i++)
		for (k = 0; k < 8 * sizeof(unsigned int); k++) {
			if (!(s->vms[i].flags & (1U << k)))
				continue;
			if (!any)
				header(f, "vmtrace_vm_flag", "gauge",
				       "A notable change on the VM (cpu, mem: outside baseline; gap: hypervisor vs guest CPU).");
			any = true;
			vm_series(f, "vmtrace_vm_flag", &s->vms[i], "flag",
				  vv_flag_name(1U << k), 1);
		}

	/* Per process: CPU from both sides, memory, identity, flags. */
	any = false;
	for (i = 0; i < s->nr_vms; i++)
		for (j = 0; j < s->vms[i].nr_procs; j++) {
			const struct vv_proc *p = &s->vms[i].procs[j];

			if (p->guest_cpu_pct < 0 && p->sample_cpu_pct < 0)
				continue;
			if (!any)
				header(f, "vmtrace_process_cpu_percent", "gauge",
				       "CPU of a guest process, % of one vCPU: from vmtrace's samples (hypervisor) or the guest kernel's accounting (guest).");
			any = true;
			if (p->sample_cpu_pct >= 0)
				proc_series(f, "vmtrace_process_cpu_percent", &s->vms[i], p,
					    "source", "hypervisor", p->sample_cpu_pct);
			if (p->guest_cpu_pct >= 0)
				proc_series(f, "vmtrace_process_cpu_percent", &s->vms[i], p,
					    "source", "guest", p->guest_cpu_pct);
		}
	any = false;
	for (i = 0; i < s->nr_vms; i++)
		for (j = 0; j < s->vms[i].nr_procs; j++) {
			const struct vv_proc *p = &s->vms[i].procs[j];

			if (!p->rss_valid)
				continue;
			if (!any)
				header(f, "vmtrace_process_memory_bytes", "gauge",
				       "Resident memory of a guest process (its mm counters).");
			any = true;
			proc_series(f, "vmtrace_process_memory_bytes", &s->vms[i], p,
				    "source", "guest", (double)p->rss_bytes);
		}
	any = false;
	for (i = 0; i < s->nr_vms; i++)
		for (j = 0; j < s->vms[i].nr_procs; j++) {
			const struct vv_proc *p = &s->vms[i].procs[j];
			char uid[16];

			if (!any)
				header(f, "vmtrace_process_uid", "gauge",
				       "The real uid of a guest process (-1: unknown).");
			any = true;
			snprintf(uid, sizeof(uid), "%s", p->kthread ? "kernel" : "user");
			proc_series(f, "vmtrace_process_uid", &s->vms[i], p, "kind", uid,
				    p->uid == UINT32_MAX ? -1 : (double)p->uid);
		}
	any = false;
	for (i = 0; i < s->nr_vms; i++)
		for (j = 0; j < s->vms[i].nr_procs; j++) {
			const struct vv_proc *p = &s->vms[i].procs[j];

			for (k = 0; k < 8 * sizeof(unsigned int); k++) {
				if (!(p->flags & (1U << k)))
					continue;
				if (!any)
					header(f, "vmtrace_process_flag", "gauge",
					       "A notable guest process (new: not seen before on the VM; uid: not an admin/service uid; cpu, mem: outside baseline).");
				any = true;
				proc_series(f, "vmtrace_process_flag", &s->vms[i], p,
					    "flag", vv_flag_name(1U << k), 1);
			}
		}
	header(f, "vmtrace_snapshot_timestamp_seconds", "gauge",
	       "When the figures above were taken (CLOCK_REALTIME).");
	fprintf(f, "vmtrace_snapshot_timestamp_seconds %.3f\n", s->real_ns / 1e9);
	fflush(f);
	return ferror(f) ? -EIO : 0;
}
