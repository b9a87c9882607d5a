// SPDX-License-Identifier: GPL-2.0
/* The both-sides view in Prometheus text format (view/prom.h). */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>
#include "view/prom.h"
#include "util/utf8.h"
#include <linux/vmtrace.h>

void view_prom_write_label_value(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = util_utf8_len(p);

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

/* Doubles as Prometheus writes them: NaN/Inf spelled out, else with 15
 * significant digits, exact for counters of bytes, exits and nanoseconds
 * up to 10^15 (what rate() needs: a counter that rounds steps). */
static void value(FILE *f, double v)
{
	if (isnan(v))
		fputs(" NaN\n", f);
	else if (isinf(v))
		fputs(v > 0 ? " +Inf\n" : " -Inf\n", f);
	else
		fprintf(f, " %.15g\n", v);
}

static void vm_labels(FILE *f, const struct trace_snapshot_vm *vm)
{
	fputs("vm=\"", f);
	view_prom_write_label_value(f, vm->id.name);
	fputs("\",uuid=\"", f);
	view_prom_write_label_value(f, vm->id.uuid);
	fprintf(f, "\",pid=\"%u\"", vm->id.vmm_pid);
}

static void vm_series(FILE *f, const char *name, const struct trace_snapshot_vm *vm,
		      const char *extra_key, const char *extra_value, double v)
{
	fprintf(f, "%s{", name);
	vm_labels(f, vm);
	if (extra_key) {
		fprintf(f, ",%s=\"", extra_key);
		view_prom_write_label_value(f, extra_value);
		fputc('"', f);
	}
	fputc('}', f);
	value(f, v);
}

static void proc_series(FILE *f, const char *name, const struct trace_snapshot_vm *vm,
			const struct trace_snapshot_proc *p, const char *extra_key,
			const char *extra_value, double v)
{
	fprintf(f, "%s{", name);
	vm_labels(f, vm);
	fprintf(f, ",guest_pid=\"%u\",comm=\"", p->pid);
	view_prom_write_label_value(f, p->comm);
	fputc('"', f);
	if (extra_key) {
		fprintf(f, ",%s=\"", extra_key);
		view_prom_write_label_value(f, extra_value);
		fputc('"', f);
	}
	fputc('}', f);
	value(f, v);
}

/* Every VM, one series per source where a getter gives a value.  A
 * family's series are written together under one HELP and TYPE, as the
 * format requires. */
typedef bool (*vm_getter)(const struct trace_snapshot_vm *vm, double *v);

struct vm_source {
	const char *source;		/* NULL: no source label */
	vm_getter get;
};

static void vm_family(FILE *f, const struct trace_snapshot *s, const char *name,
		      const char *type, const char *help, const struct vm_source *src,
		      size_t nr_src)
{
	bool any = false;
	size_t i, j;
	double v;

	for (j = 0; j < nr_src; j++)
		for (i = 0; i < s->nr_vms; i++) {
			if (!src[j].get(&s->vms[i], &v))
				continue;
			if (!any)
				header(f, name, type, help);
			any = true;
			vm_series(f, name, &s->vms[i], src[j].source ? "source" : NULL,
				  src[j].source, v);
		}
}

#define FAMILY(f, s, name, type, help, ...) do {				\
	static const struct vm_source src_[] = { __VA_ARGS__ };		\
	vm_family(f, s, name, type, help, src_, sizeof(src_) / sizeof(src_[0])); \
} while (0)

/* ---- counters: totals since the VMM started or the VM was first seen ---- */

static bool hv_cpu_total(const struct trace_snapshot_vm *vm, double *v)
{
	*v = vm->hv_cpu_ns / 1e9;
	return vm->hv_totals_valid;
}

static bool guest_cpu_total(const struct trace_snapshot_vm *vm, double *v)
{
	*v = vm->guest_busy_ns / 1e9;
	return vm->guest_totals_valid;
}

static bool vcpu_cpu_total(const struct trace_snapshot_vm *vm, double *v)
{
	*v = vm->hv_vcpu_ns / 1e9;
	return vm->hv_vcpu_totals_valid;
}

static bool run_delay_total(const struct trace_snapshot_vm *vm, double *v)
{
	*v = vm->hv_run_delay_ns / 1e9;
	return vm->hv_vcpu_totals_valid;
}

/* The same wait as the guest learnt it: its steal time. */
static bool guest_steal_total(const struct trace_snapshot_vm *vm, double *v)
{
	*v = vm->guest_steal_ns / 1e9;
	return vm->guest_totals_valid;
}

static bool exit_handling_total(const struct trace_snapshot_vm *vm, double *v)
{
	*v = vm->exit_handling_ns / 1e9;
	return vm->exit_totals_valid;
}

/* ---- gauges: the last interval's figures, in base units ---- */

/* Unknown (no vCPU thread found): no series, not a -1. */
static bool cpu_gap(const struct trace_snapshot_vm *vm, double *v)
{
	*v = vm->cpu_gap_pct / 100;
	return vm->gap_valid;
}

static bool hv_mem(const struct trace_snapshot_vm *vm, double *v)
{
	*v = (double)vm->hv_rss_bytes;
	return vm->hv_valid;
}

static bool guest_used_mem(const struct trace_snapshot_vm *vm, double *v)
{
	*v = (double)vm->guest_mem_used;
	return vm->guest_valid && vm->guest_mem_total;
}

static bool guest_total(const struct trace_snapshot_vm *vm, double *v)
{
	*v = (double)vm->guest_mem_total;
	return vm->guest_valid && vm->guest_mem_total;
}

static bool mem_given(const struct trace_snapshot_vm *vm, double *v)
{
	*v = (double)vm->mem_bytes;
	return vm->mem_bytes != 0;
}

/* Each VM's (or process's) bit flags, as label values of a gauge of 1. */
static void vm_flags(FILE *f, const struct trace_snapshot *s)
{
	bool any = false;

	for (size_t i = 0; i < s->nr_vms; i++)
		for (size_t k = 0; k < 8 * sizeof(unsigned int); k++) {
			if (!(s->vms[i].flags & (1U << k)))
				continue;
			if (!any)
				header(f, "vmtrace_vm_flag", "gauge",
				       "A notable change on the VM (cpu, mem: outside baseline; gap: hypervisor vs guest CPU).");
			any = true;
			vm_series(f, "vmtrace_vm_flag", &s->vms[i], "flag",
				  trace_snapshot_flag_name(1U << k), 1);
		}
}

static void vm_exits(FILE *f, const struct trace_snapshot *s)
{
	bool any = false;

	for (size_t i = 0; i < s->nr_vms; i++)
		for (size_t j = 0; j < s->vms[i].nr_exit_totals; j++) {
			if (!any)
				header(f, "vmtrace_vm_exits_total", "counter",
				       "VM-exits by exit reason since vmtrace first saw the VM (per second: rate()).");
			any = true;
			vm_series(f, "vmtrace_vm_exits_total", &s->vms[i], "reason",
				  s->vms[i].exit_totals[j].name, (double)s->vms[i].exit_totals[j].n);
		}
}

static void vm_gap_cause(FILE *f, const struct trace_snapshot *s)
{
	bool any = false;

	for (size_t i = 0; i < s->nr_vms; i++) {
		enum trace_snapshot_gap_cause c = trace_snapshot_vm_gap_cause(&s->vms[i]);

		if (c == TRACE_SNAPSHOT_GAP_UNKNOWN || !s->vms[i].gap_valid)
			continue;
		if (!any)
			header(f, "vmtrace_vm_cpu_gap_cause", "gauge",
			       "What explains the CPU gap (1 on the cause): none, contention (vCPUs waited for a host CPU), vmm-threads, vcpu-overhead, unexplained.");
		any = true;
		vm_series(f, "vmtrace_vm_cpu_gap_cause", &s->vms[i], "cause",
			  trace_snapshot_gap_cause_name(c), 1);
	}
}

/* Per guest process: CPU from both sides, memory, identity, flags. */
static void processes(FILE *f, const struct trace_snapshot *s)
{
	size_t i, j, k;
	bool any = false;

	for (i = 0; i < s->nr_vms; i++)
		for (j = 0; j < s->vms[i].nr_procs; j++) {
			const struct trace_snapshot_proc *p = &s->vms[i].procs[j];

			if (!p->acct_valid)
				continue;
			if (!any)
				header(f, "vmtrace_process_cpu_seconds_total", "counter",
				       "CPU time of a guest process as the guest kernel accounts it (its live threads and those it reaped), by mode.");
			any = true;
			proc_series(f, "vmtrace_process_cpu_seconds_total", &s->vms[i], p, "mode",
				    "user", p->utime_ns / 1e9);
			proc_series(f, "vmtrace_process_cpu_seconds_total", &s->vms[i], p, "mode",
				    "system", p->stime_ns / 1e9);
		}
	any = false;
	for (i = 0; i < s->nr_vms; i++)
		for (j = 0; j < s->vms[i].nr_procs; j++) {
			const struct trace_snapshot_proc *p = &s->vms[i].procs[j];

			if (p->sample_cpu_pct < 0)
				continue;
			if (!any)
				header(f, "vmtrace_process_sampled_cpu_ratio", "gauge",
				       "Share of one vCPU that vmtrace's samples found running a guest process over the last interval (0-1), the hypervisor's view of it.");
			any = true;
			proc_series(f, "vmtrace_process_sampled_cpu_ratio", &s->vms[i], p, NULL, NULL,
				    p->sample_cpu_pct / 100);
		}
	any = false;
	for (i = 0; i < s->nr_vms; i++)
		for (j = 0; j < s->vms[i].nr_procs; j++) {
			const struct trace_snapshot_proc *p = &s->vms[i].procs[j];

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
			const struct trace_snapshot_proc *p = &s->vms[i].procs[j];

			if (!any)
				header(f, "vmtrace_process_uid", "gauge",
				       "The real uid of a guest process (-1: unknown).");
			any = true;
			proc_series(f, "vmtrace_process_uid", &s->vms[i], p, "kind",
				    p->kthread ? "kernel" : "user",
				    p->uid == UINT32_MAX ? -1 : (double)p->uid);
		}
	any = false;
	for (i = 0; i < s->nr_vms; i++)
		for (j = 0; j < s->vms[i].nr_procs; j++) {
			const struct trace_snapshot_proc *p = &s->vms[i].procs[j];

			for (k = 0; k < 8 * sizeof(unsigned int); k++) {
				if (!(p->flags & (1U << k)))
					continue;
				if (!any)
					header(f, "vmtrace_process_flag", "gauge",
					       "A notable guest process (new: not seen before on the VM; uid: not an admin/service uid; cpu, mem: outside baseline).");
				any = true;
				proc_series(f, "vmtrace_process_flag", &s->vms[i], p,
					    "flag", trace_snapshot_flag_name(1U << k), 1);
			}
		}
}

int view_prom_write(FILE *f, const struct trace_snapshot *s)
{
	size_t i, j;

	header(f, "vmtrace_build_info", "gauge",
	       "vmtrace-collect's release and the record format it reads, as labels (1).");
	fprintf(f, "vmtrace_build_info{version=\"%s\",record_format=\"%d\"} 1\n", VMT_RELEASE,
		VMTRACE_FORMAT_VERSION);
	header(f, "vmtrace_vm_info", "gauge",
	       "A VM on this host: its identity (one series per MAC address).");
	for (i = 0; i < s->nr_vms; i++) {
		const struct trace_snapshot_vm *vm = &s->vms[i];

		if (!vm->id.nr_macs)
			vm_series(f, "vmtrace_vm_info", vm, "mac", "", 1);
		for (j = 0; j < vm->id.nr_macs && j < TRACE_MAX_MACS; j++)
			vm_series(f, "vmtrace_vm_info", vm, "mac", vm->id.macs[j], 1);
	}
	FAMILY(f, s, "vmtrace_vm_cpu_seconds_total", "counter",
	       "CPU time of the VM: the VMM process as the host accounts it since it started (hypervisor), the guest kernel's busy time of all its CPUs since it booted (guest; user, nice, system, irq, softirq).",
	       { "hypervisor", hv_cpu_total }, { "guest", guest_cpu_total });
	FAMILY(f, s, "vmtrace_vm_vcpu_cpu_seconds_total", "counter",
	       "Time the VM's vCPU threads ran on a host CPU.", { "hypervisor", vcpu_cpu_total });
	FAMILY(f, s, "vmtrace_vm_run_delay_seconds_total", "counter",
	       "Time the VM's vCPUs were runnable but waiting for a host CPU: the vCPU threads' run-queue wait (hypervisor), the guest's steal time (guest).",
	       { "hypervisor", run_delay_total }, { "guest", guest_steal_total });
	FAMILY(f, s, "vmtrace_vm_exit_handling_seconds_total", "counter",
	       "Time the host spent handling the VM's exits, from each exit to its vCPU's next entry, halts excluded, since vmtrace first saw the VM.",
	       { "hypervisor", exit_handling_total });
	vm_exits(f, s);
	FAMILY(f, s, "vmtrace_vm_cpu_gap_ratio", "gauge",
	       "Hypervisor minus guest CPU over the last interval, in CPUs (0.05: 5 % of one CPU): VMM overhead and CPU the guest did not account.",
	       { NULL, cpu_gap });
	vm_gap_cause(f, s);
	FAMILY(f, s, "vmtrace_vm_memory_bytes", "gauge",
	       "Memory of the VM: the VMM's resident memory (hypervisor), memory in use in the guest (guest).",
	       { "hypervisor", hv_mem }, { "guest", guest_used_mem });
	FAMILY(f, s, "vmtrace_vm_guest_memory_total_bytes", "gauge",
	       "Memory the guest kernel manages (totalram).", { "guest", guest_total });
	FAMILY(f, s, "vmtrace_vm_memory_given_bytes", "gauge",
	       "Guest RAM the VM was given (its memory slots).", { "hypervisor", mem_given });
	vm_flags(f, s);
	processes(f, s);
	header(f, "vmtrace_snapshot_timestamp_seconds", "gauge",
	       "When the figures above were taken (CLOCK_REALTIME).");
	fprintf(f, "vmtrace_snapshot_timestamp_seconds %.3f\n", s->real_ns / 1e9);
	fflush(f);
	return ferror(f) ? -EIO : 0;
}
