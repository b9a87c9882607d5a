// SPDX-License-Identifier: GPL-2.0
/*
 * The VM reports of interval metrics (view/vm_report.h), both sides per VM and
 * per guest process, with the differences, as vmtrace-collect vmreport
 * shows them for a metrics file (trace/metrics_file.h) and report for a trace that
 * holds metrics entries:
 *
 *   --by vm            per VM: hypervisor CPU %, guest CPU %, their gap,
 *                      exits/s and top reasons, memory, flags
 *   --by vm,process    and below each VM its processes: CPU % from
 *                      vmtrace's samples and from the guest's accounting,
 *                      their difference, memory, uid, flags
 *   --format text|csv|json   for people and tools
 *   --format html -o FILE    one VM (--vm) over time: CPU and memory
 *                      graphs, a solid line for the whole VM (hypervisor),
 *                      a dashed one for the process picked in its list
 *                      (guest); one self-contained file (view/vm_html.c)
 *
 * Averages are over the recording's intervals, weighted by their length;
 * a figure unknown in an interval does not count in that interval.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "view/top_view.h"
#include "util/utf8.h"
#include "view/vm_report.h"
#include "trace/metrics_file.h"

/* A weighted mean: sum of value * seconds over seconds known. */
struct wmean {
	double sum, secs;
};

static void wm_add(struct wmean *m, double v, double secs)
{
	if (v < 0 || isnan(v))
		return;
	m->sum += v * secs;
	m->secs += secs;
}

/* For figures that may be negative (the gap): every value counts. */
static void wm_add_signed(struct wmean *m, double v, double secs)
{
	m->sum += v * secs;
	m->secs += secs;
}

/* The mean, or NAN if nothing was known. */
static double wm_get(const struct wmean *m)
{
	return m->secs > 0 ? m->sum / m->secs : NAN;
}

struct rep_proc {
	uint32_t pid, ppid, uid;
	char comm[TRACE_SNAPSHOT_COMM_LEN];
	bool kthread;
	struct wmean guest_cpu, sample_cpu;
	uint64_t rss_max;
	unsigned int flags;
	uint64_t first_ns, last_ns;
};

struct rep_exit {
	char name[TRACE_SNAPSHOT_EXIT_NAME_LEN];
	double sum;			/* exits: per_s * seconds */
};

struct rep_vm {
	struct trace_vm_meta id;
	struct wmean hv_cpu, guest_cpu, gap, exits, run_delay, vcpu, exit_handling, steal;
	char guest_status[TRACE_SNAPSHOT_STATUS_LEN];	/* the latest: "ok" or why not */
	uint64_t hv_rss_max, guest_used_max, guest_total, mem_bytes;
	double secs;
	unsigned int flags, proc_flags;
	struct rep_exit exits_by[TRACE_SNAPSHOT_MAX_EXIT_REASONS];
	size_t nr_exits;
	struct rep_proc *procs;
	size_t nr_procs;
};

static void report_free(struct rep_vm *vms, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++)
		free(vms[i].procs);
	free(vms);
}

static struct rep_vm *find_rep_vm(struct rep_vm *vms, size_t nr, const struct trace_snapshot_vm *vm)
{
	size_t i;

	for (i = 0; i < nr; i++)
		if (vms[i].id.vm_id == vm->id.vm_id && vms[i].id.vmm_pid == vm->id.vmm_pid)
			return &vms[i];
	return NULL;
}

static struct rep_proc *find_rep_proc(struct rep_vm *v, const struct trace_snapshot_proc *p)
{
	size_t i;

	for (i = 0; i < v->nr_procs; i++)
		if (v->procs[i].pid == p->pid && !strcmp(v->procs[i].comm, p->comm))
			return &v->procs[i];
	return NULL;
}

/* Fold the series into per-VM and per-process totals. */
static int aggregate(const struct trace_metrics_series *s, struct rep_vm **out, size_t *nr_out)
{
	struct rep_vm *vms = NULL, *v, *nv;
	size_t nr = 0, i, j, k;

	for (i = 0; i < s->nr; i++) {
		const struct trace_snapshot *snap = &s->snaps[i];
		double secs = snap->interval_s;

		if (secs <= 0)
			continue;
		for (j = 0; j < snap->nr_vms; j++) {
			const struct trace_snapshot_vm *vm = &snap->vms[j];

			v = find_rep_vm(vms, nr, vm);
			if (!v) {
				nv = realloc(vms, (nr + 1) * sizeof(*vms));
				if (!nv)
					goto nomem;
				vms = nv;
				v = &vms[nr++];
				memset(v, 0, sizeof(*v));
			}
			v->id = vm->id;		/* the latest identity */
			memcpy(v->guest_status, vm->guest_status, sizeof(v->guest_status));
			v->guest_status[sizeof(v->guest_status) - 1] = 0;
			v->secs += secs;
			wm_add(&v->hv_cpu, vm->hv_valid ? vm->hv_cpu_pct : -1, secs);
			wm_add(&v->guest_cpu, vm->guest_valid ? vm->guest_cpu_pct : -1, secs);
			if (vm->gap_valid)
				wm_add_signed(&v->gap, vm->cpu_gap_pct, secs);
			wm_add(&v->exits, vm->exits_per_s, secs);
			wm_add(&v->run_delay, vm->hv_valid ? vm->hv_run_delay_pct : -1, secs);
			wm_add(&v->vcpu, vm->hv_valid ? vm->hv_vcpu_pct : -1, secs);
			wm_add(&v->exit_handling, vm->hv_exit_pct, secs);
			wm_add(&v->steal, vm->guest_valid ? vm->guest_steal_pct : -1, secs);
			if (vm->hv_rss_bytes > v->hv_rss_max)
				v->hv_rss_max = vm->hv_rss_bytes;
			if (vm->guest_mem_used > v->guest_used_max)
				v->guest_used_max = vm->guest_mem_used;
			if (vm->guest_mem_total)
				v->guest_total = vm->guest_mem_total;
			if (vm->mem_bytes)
				v->mem_bytes = vm->mem_bytes;
			v->flags |= vm->flags;
			v->proc_flags |= vm->proc_flags;
			for (k = 0; k < vm->nr_exit_rates; k++) {
				size_t e;

				for (e = 0; e < v->nr_exits; e++)
					if (!strcmp(v->exits_by[e].name, vm->exit_rates[k].name))
						break;
				if (e == v->nr_exits) {
					if (e == TRACE_SNAPSHOT_MAX_EXIT_REASONS)
						continue;
					memcpy(v->exits_by[e].name, vm->exit_rates[k].name,
					       sizeof(v->exits_by[e].name));
					v->nr_exits++;
				}
				v->exits_by[e].sum += vm->exit_rates[k].per_s * secs;
			}
			for (k = 0; k < vm->nr_procs; k++) {
				const struct trace_snapshot_proc *p = &vm->procs[k];
				struct rep_proc *rp = find_rep_proc(v, p), *np;

				if (!rp) {
					np = realloc(v->procs, (v->nr_procs + 1) * sizeof(*np));
					if (!np)
						goto nomem;
					v->procs = np;
					rp = &v->procs[v->nr_procs++];
					memset(rp, 0, sizeof(*rp));
					rp->pid = p->pid;
					memcpy(rp->comm, p->comm, sizeof(rp->comm));
					rp->first_ns = snap->real_ns;
				}
				rp->ppid = p->ppid;
				rp->uid = p->uid;
				rp->kthread = p->kthread;
				rp->last_ns = snap->real_ns;
				/* A process's CPU is averaged over the time it
				 * was seen with a figure. */
				wm_add(&rp->guest_cpu, p->guest_cpu_pct, secs);
				wm_add(&rp->sample_cpu, p->sample_cpu_pct, secs);
				if (p->rss_valid && p->rss_bytes > rp->rss_max)
					rp->rss_max = p->rss_bytes;
				rp->flags |= p->flags;
			}
		}
	}
	*out = vms;
	*nr_out = nr;
	return 0;
nomem:
	report_free(vms, nr);
	return -ENOMEM;
}

/* What explains the gap, over the whole report (means). */
static const char *cause_of(const struct rep_vm *v)
{
	struct trace_snapshot_gap_figures f = {
		.hv_cpu = wm_get(&v->hv_cpu), .hv_vcpu = wm_get(&v->vcpu),
		.run_delay = wm_get(&v->run_delay), .exit_handling = wm_get(&v->exit_handling),
		.guest_cpu = wm_get(&v->guest_cpu), .guest_steal = wm_get(&v->steal),
	};

	return trace_snapshot_gap_cause_name(trace_snapshot_gap_cause(&f));
}

static double gap_of(const struct rep_vm *v)
{
	return wm_get(&v->gap);
}

static int cmp_proc_cpu(const void *a, const void *b)
{
	const struct rep_proc *x = a, *y = b;
	double cx = wm_get(&x->guest_cpu), cy = wm_get(&y->guest_cpu);

	if (isnan(cx))
		cx = wm_get(&x->sample_cpu);
	if (isnan(cy))
		cy = wm_get(&y->sample_cpu);
	if (isnan(cx))
		cx = -1;
	if (isnan(cy))
		cy = -1;
	if (cx != cy)
		return cx < cy ? 1 : -1;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

static int cmp_exit(const void *a, const void *b)
{
	const struct rep_exit *x = a, *y = b;

	return (x->sum < y->sum) - (x->sum > y->sum);
}

static void pct_or_dash(char *buf, size_t len, double v)
{
	view_top_pct(v, buf, len);
}

static void print_text(FILE *f, const struct rep_vm *vms, size_t nr, bool by_process,
		       unsigned long top)
{
	char a[16], b[16], c[16], d[16], e[16], flags[6], label[64], exits[64];
	size_t i, j, k, used;

	fprintf(f, "%-5s %-14s %7s %6s %6s %6s %8s %-16s %7s %7s %6s %6s %6s %6s  %s\n",
		"FLAGS", "VM", "VMM-PID", "HV%", "GST%", "GAP", "EXITS/s", "TOP-EXITS", "VMM-RSS",
		"G-USED", "VCPU%", "WAIT%", "EXIT%", "STEAL%", "GAP-CAUSE");
	for (i = 0; i < nr; i++) {
		const struct rep_vm *v = &vms[i];
		double gap = gap_of(v);

		view_top_flag_letters(v->flags | v->proc_flags, flags);
		pct_or_dash(a, sizeof(a), wm_get(&v->hv_cpu));
		pct_or_dash(b, sizeof(b), wm_get(&v->guest_cpu));
		if (isnan(gap))
			snprintf(c, sizeof(c), "-");
		else
			snprintf(c, sizeof(c), "%.1f", gap);
		if (!isnan(wm_get(&v->exits)))
			snprintf(d, sizeof(d), "%.0f", wm_get(&v->exits));
		else
			snprintf(d, sizeof(d), "-");
		exits[0] = 0;
		for (k = 0, used = 0; k < v->nr_exits && k < 3; k++)
			used += (size_t)snprintf(exits + used, sizeof(exits) - used, "%s%s",
						 k ? "," : "", v->exits_by[k].name);
		view_top_bytes(v->hv_rss_max, e, sizeof(e));
		view_top_bytes(v->guest_used_max, label, sizeof(label));
		{
			char vc[16], w[16], x[16], st[16];

			pct_or_dash(vc, sizeof(vc), wm_get(&v->vcpu));
			pct_or_dash(w, sizeof(w), wm_get(&v->run_delay));
			pct_or_dash(x, sizeof(x), wm_get(&v->exit_handling));
			pct_or_dash(st, sizeof(st), wm_get(&v->steal));
			fprintf(f, "%-5s %-14.14s %7u %6s %6s %6s %8s %-16.16s %7s %7s %6s %6s %6s %6s"
				"  %s\n", flags,
				v->id.name[0] ? v->id.name : v->id.uuid[0] ? v->id.uuid : "-",
				v->id.vmm_pid, a, b, c, d, exits[0] ? exits : "-", e, label, vc, w,
				x, st, cause_of(v));
		}
		if (!by_process)
			continue;
		fprintf(f, "      %-5s %7s %6s %7s %6s %6s %6s %7s  %s\n", "FLAGS", "PID", "UID",
			"PPID", "SMP%", "GST%", "DIFF", "RSS", "COMM");
		for (j = 0; j < v->nr_procs && (!top || j < top); j++) {
			const struct rep_proc *p = &v->procs[j];
			double g = wm_get(&p->guest_cpu), s = wm_get(&p->sample_cpu);

			view_top_flag_letters(p->flags, flags);
			pct_or_dash(a, sizeof(a), s);
			pct_or_dash(b, sizeof(b), g);
			if (!isnan(g) && !isnan(s))
				snprintf(c, sizeof(c), "%.1f", s - g);
			else
				snprintf(c, sizeof(c), "-");
			view_top_bytes(p->rss_max, e, sizeof(e));
			if (p->uid == UINT32_MAX)
				snprintf(d, sizeof(d), "?");
			else
				snprintf(d, sizeof(d), "%u", p->uid);
			fprintf(f, "      %-5s %7u %6s %7u %6s %6s %6s %7s  %s%s%s\n", flags, p->pid,
				d, p->ppid, a, b, c, e, p->kthread ? "[" : "", p->comm,
				p->kthread ? "]" : "");
		}
	}
	fprintf(f, "\nHV%%: the VMM process as the host sees it; GST%%: the guest kernel's own\n"
		"accounting; GAP = HV%% - GST%%; VCPU%%: the VMM's vCPU threads; WAIT%%: their\n"
		"run-queue wait; EXIT%%: exits' handling time (exit to next entry, halts\n"
		"excluded); STEAL%%: the guest's own steal time; GAP-CAUSE: contention (VCPU%% +\n"
		"WAIT%% covers GST%%), vmm-threads, vcpu-overhead, unexplained or none (within %.0f\n"
		"points).\n"
		"SMP%%: vmtrace's guest samples; DIFF = SMP%% - GST%%.\n", TRACE_SNAPSHOT_GAP_TOLERANCE_PP);
	fprintf(f, "Flags: N new process, U uid outside the admin list, C cpu / M memory outside\n"
		"baseline, G hypervisor/guest CPU gap.  CPU %% of one CPU, averaged.\n");
}

/* A CSV field: quoted when it has a comma, quote or line break. */
static void csv_str(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* A CSV number field, preceded by its comma; empty when unknown. */
static void csv_num(FILE *f, double v)
{
	if (v < 0 || isnan(v))
		fputs(",", f);
	else
		fprintf(f, ",%.3f", v);
}

static void csv_signed(FILE *f, double v)
{
	if (isnan(v))
		fputs(",", f);
	else
		fprintf(f, ",%.3f", v);
}

static void print_csv(FILE *f, const struct rep_vm *vms, size_t nr, bool by_process)
{
	char flags[64];
	size_t i, j;

	fprintf(f, "level,vm,uuid,vmm_pid,guest_pid,comm,uid,hv_cpu_pct,guest_cpu_pct,gap_pct,"
		"sample_cpu_pct,exits_per_s,hv_rss_bytes,guest_mem_used_bytes,rss_bytes,flags,"
		"vcpu_cpu_pct,run_delay_pct,gap_cause,exit_handling_pct,guest_steal_pct\n");
	for (i = 0; i < nr; i++) {
		const struct rep_vm *v = &vms[i];

		fprintf(f, "vm,");
		csv_str(f, v->id.name);
		fputc(',', f);
		csv_str(f, v->id.uuid);
		fprintf(f, ",%u,,,", v->id.vmm_pid);		/* guest_pid, comm, uid */
		csv_num(f, wm_get(&v->hv_cpu));
		csv_num(f, wm_get(&v->guest_cpu));
		csv_signed(f, gap_of(v));
		fprintf(f, ",");					/* sample_cpu_pct */
		csv_num(f, wm_get(&v->exits));
		fprintf(f, ",%llu,%llu,,", (unsigned long long)v->hv_rss_max,
			(unsigned long long)v->guest_used_max);
		trace_snapshot_flags_string(v->flags | v->proc_flags, flags, sizeof(flags));
		csv_str(f, flags);
		csv_num(f, wm_get(&v->vcpu));
		csv_num(f, wm_get(&v->run_delay));
		fputc(',', f);
		csv_str(f, cause_of(v));
		csv_num(f, wm_get(&v->exit_handling));
		csv_num(f, wm_get(&v->steal));
		fputc('\n', f);
		if (!by_process)
			continue;
		for (j = 0; j < v->nr_procs; j++) {
			const struct rep_proc *p = &v->procs[j];

			fprintf(f, "process,");
			csv_str(f, v->id.name);
			fputc(',', f);
			csv_str(f, v->id.uuid);
			fprintf(f, ",%u,%u,", v->id.vmm_pid, p->pid);
			csv_str(f, p->comm);
			if (p->uid == UINT32_MAX)
				fprintf(f, ",");
			else
				fprintf(f, ",%u", p->uid);
			fprintf(f, ",");					/* hv_cpu_pct */
			csv_num(f, wm_get(&p->guest_cpu));
			fprintf(f, ",");					/* gap_pct */
			csv_num(f, wm_get(&p->sample_cpu));
			fprintf(f, ",,,%llu,", (unsigned long long)p->rss_max);
			trace_snapshot_flags_string(p->flags, flags, sizeof(flags));
			csv_str(f, flags);
			/* vcpu, run_delay, cause, exit_handling, steal */
			fputs(",,,,,\n", f);
		}
	}
}

static void put_file(void *arg, const char *p, size_t n)
{
	fwrite(p, 1, n, arg);
}

void view_vm_json_str(FILE *f, const char *s)
{
	util_json_escape(s, put_file, f);
}

void view_vm_json_num(FILE *f, double v)
{
	if (v < 0 || isnan(v) || isinf(v))
		fputs("null", f);
	else
		fprintf(f, "%.3f", v);
}

static void print_json(FILE *f, const struct rep_vm *vms, size_t nr, bool by_process)
{
	char flags[64];
	size_t i, j, k;

	fprintf(f, "{\"vms\":[");
	for (i = 0; i < nr; i++) {
		const struct rep_vm *v = &vms[i];
		double gap = gap_of(v);

		fprintf(f, "%s\n{\"name\":", i ? "," : "");
		view_vm_json_str(f, v->id.name);
		fprintf(f, ",\"uuid\":");
		view_vm_json_str(f, v->id.uuid);
		fprintf(f, ",\"vmm_pid\":%u,\"macs\":[", v->id.vmm_pid);
		for (k = 0; k < v->id.nr_macs && k < TRACE_MAX_MACS; k++) {
			fprintf(f, "%s", k ? "," : "");
			view_vm_json_str(f, v->id.macs[k]);
		}
		fprintf(f, "],\"seconds\":%.3f,\"hv_cpu_pct\":", v->secs);
		view_vm_json_num(f, wm_get(&v->hv_cpu));
		fprintf(f, ",\"guest_cpu_pct\":");
		view_vm_json_num(f, wm_get(&v->guest_cpu));
		fprintf(f, ",\"gap_pct\":");
		if (isnan(gap))
			fprintf(f, "null");
		else
			fprintf(f, "%.3f", gap);
		fprintf(f, ",\"vcpu_cpu_pct\":");
		view_vm_json_num(f, wm_get(&v->vcpu));
		fprintf(f, ",\"run_delay_pct\":");
		view_vm_json_num(f, wm_get(&v->run_delay));
		fprintf(f, ",\"exit_handling_pct\":");
		view_vm_json_num(f, wm_get(&v->exit_handling));
		fprintf(f, ",\"guest_steal_pct\":");
		view_vm_json_num(f, wm_get(&v->steal));
		fprintf(f, ",\"gap_cause\":");
		view_vm_json_str(f, cause_of(v));
		fprintf(f, ",\"guest_status\":");
		view_vm_json_str(f, v->guest_status);
		fprintf(f, ",\"exits_per_s\":");
		view_vm_json_num(f, wm_get(&v->exits));
		fprintf(f, ",\"exit_reasons\":{");
		for (k = 0; k < v->nr_exits; k++) {
			fprintf(f, "%s", k ? "," : "");
			view_vm_json_str(f, v->exits_by[k].name);
			fprintf(f, ":%.3f", v->secs > 0 ? v->exits_by[k].sum / v->secs : 0);
		}
		fprintf(f, "},\"hv_rss_max_bytes\":%llu,\"guest_mem_used_max_bytes\":%llu,"
			"\"guest_mem_total_bytes\":%llu,\"mem_given_bytes\":%llu,\"flags\":",
			(unsigned long long)v->hv_rss_max, (unsigned long long)v->guest_used_max,
			(unsigned long long)v->guest_total, (unsigned long long)v->mem_bytes);
		trace_snapshot_flags_string(v->flags | v->proc_flags, flags, sizeof(flags));
		view_vm_json_str(f, flags);
		if (by_process) {
			fprintf(f, ",\"processes\":[");
			for (j = 0; j < v->nr_procs; j++) {
				const struct rep_proc *p = &v->procs[j];

				fprintf(f, "%s\n {\"pid\":%u,\"ppid\":%u,\"uid\":", j ? "," : "",
					p->pid, p->ppid);
				if (p->uid == UINT32_MAX)
					fprintf(f, "null");
				else
					fprintf(f, "%u", p->uid);
				fprintf(f, ",\"comm\":");
				view_vm_json_str(f, p->comm);
				fprintf(f, ",\"kernel_thread\":%s,\"guest_cpu_pct\":",
					p->kthread ? "true" : "false");
				view_vm_json_num(f, wm_get(&p->guest_cpu));
				fprintf(f, ",\"sample_cpu_pct\":");
				view_vm_json_num(f, wm_get(&p->sample_cpu));
				fprintf(f, ",\"rss_max_bytes\":%llu,\"flags\":",
					(unsigned long long)p->rss_max);
				trace_snapshot_flags_string(p->flags, flags, sizeof(flags));
				view_vm_json_str(f, flags);
				fprintf(f, "}");
			}
			fprintf(f, "]");
		}
		fprintf(f, "}");
	}
	fprintf(f, "\n]}\n");
}

void view_vm_report_keep_vms(struct trace_metrics_series *series, const char *const *keys, size_t nr_keys)
{
	size_t i, j, k, n;

	for (i = 0; nr_keys && i < series->nr; i++) {
		struct trace_snapshot *s = &series->snaps[i];

		for (j = 0, n = 0; j < s->nr_vms; j++) {
			bool keep = false;

			for (k = 0; k < nr_keys && !keep; k++)
				keep = trace_snapshot_vm_matches(&s->vms[j], keys[k]);
			if (keep)
				s->vms[n++] = s->vms[j];
			else
				free(s->vms[j].procs);
		}
		s->nr_vms = n;
	}
}

enum view_vm_report_format view_vm_report_format(const char *name)
{
	if (!strcmp(name, "csv"))
		return VIEW_VM_REPORT_CSV;
	if (!strcmp(name, "json"))
		return VIEW_VM_REPORT_JSON;
	return VIEW_VM_REPORT_TEXT;
}

int view_vm_report_write(FILE *f, const struct trace_metrics_series *s, enum view_vm_report_format format,
		    bool by_process, unsigned long top)
{
	struct rep_vm *vms = NULL;
	size_t nr = 0, i;
	int err;

	err = aggregate(s, &vms, &nr);
	if (err)
		return err;
	for (i = 0; i < nr; i++) {
		qsort(vms[i].procs, vms[i].nr_procs, sizeof(*vms[i].procs), cmp_proc_cpu);
		qsort(vms[i].exits_by, vms[i].nr_exits, sizeof(vms[i].exits_by[0]), cmp_exit);
	}
	switch (format) {
	case VIEW_VM_REPORT_CSV:
		print_csv(f, vms, nr, by_process);
		break;
	case VIEW_VM_REPORT_JSON:
		print_json(f, vms, nr, by_process);
		break;
	case VIEW_VM_REPORT_TEXT:
		print_text(f, vms, nr, by_process, top);
		break;
	}
	report_free(vms, nr);
	return fflush(f) || ferror(f) ? -EIO : 0;
}
