// SPDX-License-Identifier: GPL-2.0
/* The text of top: rows, widths, sort orders (view/top_view.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "view/top_view.h"

static const char *const sort_names[__VIEW_TOP_SORT_MAX] = {
	"cpu", "guest", "gap", "mem", "exits", "name", "pid", "flags",
};

const char *view_top_sort_name(enum view_top_sort s)
{
	return (unsigned int)s < __VIEW_TOP_SORT_MAX ? sort_names[s] : "?";
}

int view_top_sort_parse(const char *s, enum view_top_sort *out)
{
	unsigned int i;

	for (i = 0; i < __VIEW_TOP_SORT_MAX; i++)
		if (!strcmp(s, sort_names[i])) {
			*out = (enum view_top_sort)i;
			return 0;
		}
	return -EINVAL;
}

static enum view_top_sort cur_sort;	/* qsort has no argument pointer */

static int cmp_double_desc(double a, double b)
{
	return (a < b) - (a > b);
}

static int cmp_vm(const void *pa, const void *pb)
{
	const struct trace_snapshot_vm *a = pa, *b = pb;
	char ba[32], bb[32];
	int c = 0;

	switch (cur_sort) {
	case VIEW_TOP_SORT_CPU:
		c = cmp_double_desc(a->hv_cpu_pct, b->hv_cpu_pct);
		break;
	case VIEW_TOP_SORT_GUEST:
		c = cmp_double_desc(a->guest_cpu_pct, b->guest_cpu_pct);
		break;
	case VIEW_TOP_SORT_GAP:
		c = cmp_double_desc(a->gap_valid ? fabs(a->cpu_gap_pct) : -1,
				    b->gap_valid ? fabs(b->cpu_gap_pct) : -1);
		break;
	case VIEW_TOP_SORT_MEM:
		c = cmp_double_desc((double)a->hv_rss_bytes, (double)b->hv_rss_bytes);
		break;
	case VIEW_TOP_SORT_EXITS:
		c = cmp_double_desc(a->exits_per_s, b->exits_per_s);
		break;
	case VIEW_TOP_SORT_NAME:
		c = strcmp(trace_snapshot_vm_label(a, ba, sizeof(ba)), trace_snapshot_vm_label(b, bb, sizeof(bb)));
		break;
	case VIEW_TOP_SORT_FLAGS:
		c = (b->flags || b->proc_flags) - (a->flags || a->proc_flags);
		if (!c)
			c = cmp_double_desc(a->hv_cpu_pct, b->hv_cpu_pct);
		break;
	default:
		break;
	}
	if (!c)
		c = (a->id.vmm_pid > b->id.vmm_pid) - (a->id.vmm_pid < b->id.vmm_pid);
	return c;
}

static double proc_cpu(const struct trace_snapshot_proc *p)
{
	return p->guest_cpu_pct >= 0 ? p->guest_cpu_pct : p->sample_cpu_pct;
}

static int cmp_proc(const void *pa, const void *pb)
{
	const struct trace_snapshot_proc *a = pa, *b = pb;
	int c = 0;

	switch (cur_sort) {
	case VIEW_TOP_SORT_CPU:
	case VIEW_TOP_SORT_EXITS:
		c = cmp_double_desc(proc_cpu(a), proc_cpu(b));
		break;
	case VIEW_TOP_SORT_GUEST:
		c = cmp_double_desc(a->sample_cpu_pct, b->sample_cpu_pct);
		break;
	case VIEW_TOP_SORT_GAP:
		c = cmp_double_desc(
			a->guest_cpu_pct >= 0 && a->sample_cpu_pct >= 0 ?
			fabs(a->sample_cpu_pct - a->guest_cpu_pct) : -1,
			b->guest_cpu_pct >= 0 && b->sample_cpu_pct >= 0 ?
			fabs(b->sample_cpu_pct - b->guest_cpu_pct) : -1);
		break;
	case VIEW_TOP_SORT_MEM:
		c = cmp_double_desc((double)a->rss_bytes, (double)b->rss_bytes);
		break;
	case VIEW_TOP_SORT_NAME:
		c = strcmp(a->comm, b->comm);
		break;
	case VIEW_TOP_SORT_FLAGS:
		c = (b->flags != 0) - (a->flags != 0);
		if (!c)
			c = cmp_double_desc(proc_cpu(a), proc_cpu(b));
		break;
	default:
		break;
	}
	if (!c)
		c = (a->pid > b->pid) - (a->pid < b->pid);
	return c;
}

void view_top_sort_procs(struct trace_snapshot_vm *vm, enum view_top_sort s)
{
	cur_sort = s;
	if (vm->nr_procs)
		qsort(vm->procs, vm->nr_procs, sizeof(*vm->procs), cmp_proc);
}

void view_top_sort_snapshot(struct trace_snapshot *snap, enum view_top_sort s)
{
	size_t i;

	cur_sort = s;
	if (snap->nr_vms)
		qsort(snap->vms, snap->nr_vms, sizeof(*snap->vms), cmp_vm);
	for (i = 0; i < snap->nr_vms; i++)
		view_top_sort_procs(&snap->vms[i], s);
}

void view_top_flag_letters(unsigned int flags, char out[6])
{
	static const char letters[] = "NUCMG";
	int i;

	for (i = 0; i < 5; i++)
		out[i] = flags & (1U << i) ? letters[i] : '.';
	out[5] = 0;
}

void view_top_bytes(uint64_t bytes, char *buf, size_t len)
{
	static const char units[] = "KMGTP";
	double v = (double)bytes / 1024;
	int u = 0;

	if (!bytes) {
		snprintf(buf, len, "-");
		return;
	}
	while (v >= 1000 && u < 4) {
		v /= 1024;
		u++;
	}
	if (v < 10)
		snprintf(buf, len, "%.1f%c", v, units[u]);
	else
		snprintf(buf, len, "%.0f%c", v, units[u]);
}

void view_top_pct(double pct, char *buf, size_t len)
{
	if (pct < 0 || isnan(pct))
		snprintf(buf, len, "-");
	else if (pct >= 999.5)
		snprintf(buf, len, "%.0f", pct);
	else
		snprintf(buf, len, "%.1f", pct);
}

/* Cut @buf to @width columns (ASCII; guest names are shown as bytes). */
static void cut(char *buf, int width)
{
	if (width > 0 && strlen(buf) > (size_t)width)
		buf[width] = 0;
}

/*
 *   FLAGS VM           VMM-PID   HV%  GST%   GAP EXITS/s TOP-EXITS       RSS
 *   ..C.G web1            4242  95.0  91.0   4.0    1500 npf,hlt        200M
 */
void view_top_vm_header(char *buf, size_t len, int width)
{
	snprintf(buf, len, "%-5s %-12s %7s %6s %6s %6s %7s %-15s %6s",
		 "FLAGS", "VM", "VMM-PID", "HV%", "GST%", "GAP", "EXITS/s",
		 "TOP-EXITS", "RSS");
	cut(buf, width);
}

void view_top_vm_line(const struct trace_snapshot_vm *vm, char *buf, size_t len, int width)
{
	char flags[6], lbuf[64], hv[16], gst[16], gap[16], ex[16], top[64] = "", rss[16];
	const char *label = trace_snapshot_vm_label(vm, lbuf, sizeof(lbuf));
	size_t i, used = 0;

	view_top_flag_letters(vm->flags | vm->proc_flags, flags);
	view_top_pct(vm->hv_valid ? vm->hv_cpu_pct : -1, hv, sizeof(hv));
	view_top_pct(vm->guest_valid ? vm->guest_cpu_pct : -1, gst, sizeof(gst));
	if (vm->gap_valid)
		snprintf(gap, sizeof(gap), "%.1f", vm->cpu_gap_pct);
	else
		snprintf(gap, sizeof(gap), "-");
	if (vm->exits_per_s >= 0)
		snprintf(ex, sizeof(ex), "%.0f", vm->exits_per_s);
	else
		snprintf(ex, sizeof(ex), "-");
	for (i = 0; i < vm->nr_exit_rates && i < 3; i++) {
		int n = snprintf(top + used, sizeof(top) - used, "%s%s", i ? "," : "",
				 vm->exit_rates[i].name);

		if (n < 0 || (size_t)n >= sizeof(top) - used)
			break;
		used += (size_t)n;
	}
	if (!top[0])
		snprintf(top, sizeof(top), "-");
	view_top_bytes(vm->hv_rss_bytes, rss, sizeof(rss));
	snprintf(buf, len, "%-5s %-12.12s %7u %6s %6s %6s %7s %-15.15s %6s",
		 flags, label, vm->id.vmm_pid, hv, gst, gap, ex, top, rss);
	cut(buf, width);
}

/*
 *   FLAGS    PID   PPID    UID S  SMP%  GST%     RSS THR COMM
 */
void view_top_proc_header(char *buf, size_t len, int width)
{
	snprintf(buf, len, "%-5s %6s %6s %6s %s %6s %6s %7s %3s %s", "FLAGS", "PID",
		 "PPID", "UID", "S", "SMP%", "GST%", "RSS", "THR", "COMM");
	cut(buf, width);
}

void view_top_proc_line(const struct trace_snapshot_proc *p, char *buf, size_t len, int width)
{
	char flags[6], uid[16], smp[16], gst[16], rss[16], comm[TRACE_SNAPSHOT_COMM_LEN + 2];
	size_t i;

	view_top_flag_letters(p->flags, flags);
	if (p->uid == UINT32_MAX)
		snprintf(uid, sizeof(uid), "?");
	else
		snprintf(uid, sizeof(uid), "%u", p->uid);
	view_top_pct(p->sample_cpu_pct, smp, sizeof(smp));
	view_top_pct(p->guest_cpu_pct, gst, sizeof(gst));
	view_top_bytes(p->rss_valid ? p->rss_bytes : 0, rss, sizeof(rss));
	/* Kernel threads in brackets, as ps shows them; guest bytes that are
	 * not printable become '?'. */
	snprintf(comm, sizeof(comm), p->kthread ? "[%s]" : "%s", p->comm);
	for (i = 0; comm[i]; i++)
		if ((unsigned char)comm[i] < 0x20 || (unsigned char)comm[i] >= 0x7f)
			comm[i] = '?';
	snprintf(buf, len, "%-5s %6u %6u %6s %c %6s %6s %7s %3u %s", flags, p->pid,
		 p->ppid, uid, p->state ? p->state : '?', smp, gst, rss, p->nr_threads,
		 comm);
	cut(buf, width);
}

int view_top_vm_details(const struct trace_snapshot_vm *vm, char (*lines)[256], int max, int width)
{
	char a[16], b[16], c[16], d[16], buf[64];
	const char *label = trace_snapshot_vm_label(vm, buf, sizeof(buf));
	int n = 0;
	size_t i, used;

	if (max < 4)
		return 0;
	used = (size_t)snprintf(lines[n], 256, "VM %s  uuid %s  VMM pid %u (%s)", label,
				vm->id.uuid[0] ? vm->id.uuid : "-", vm->id.vmm_pid,
				vm->id.comm[0] ? vm->id.comm : "?");
	for (i = 0; i < vm->id.nr_macs && i < TRACE_MAX_MACS && used < 200; i++)
		used += (size_t)snprintf(lines[n] + used, 256 - used, "%s%s",
					 i ? "," : "  mac ", vm->id.macs[i]);
	cut(lines[n++], width);

	view_top_pct(vm->hv_valid ? vm->hv_cpu_pct : -1, a, sizeof(a));
	view_top_pct(vm->hv_valid ? vm->hv_vcpu_pct : -1, b, sizeof(b));
	view_top_pct(vm->hv_valid ? vm->hv_other_pct : -1, c, sizeof(c));
	view_top_pct(vm->hv_valid ? vm->hv_run_delay_pct : -1, d, sizeof(d));
	snprintf(lines[n], 256, "hypervisor: cpu %s%% (vcpus %s, vmm %s) run-delay %s%%", a,
		 b, c, d);
	view_top_bytes(vm->hv_rss_bytes, a, sizeof(a));
	view_top_bytes(vm->mem_bytes, b, sizeof(b));
	used = strlen(lines[n]);
	snprintf(lines[n] + used, 256 - used, " rss %s of %s", a, b);
	cut(lines[n++], width);

	if (vm->guest_valid && vm->guest_status[0] && strcmp(vm->guest_status, "ok")) {
		/* Processes read, accounting not: say why, not "-". */
		snprintf(lines[n], 256, "guest: %zu procs, no accounting: %s", vm->nr_procs,
			 vm->guest_status);
	} else if (vm->guest_valid) {
		char st[16];

		view_top_pct(vm->guest_cpu_pct, a, sizeof(a));
		view_top_pct(vm->guest_kernel_pct, b, sizeof(b));
		view_top_pct(vm->guest_steal_pct, st, sizeof(st));
		view_top_bytes(vm->guest_mem_used, c, sizeof(c));
		view_top_bytes(vm->guest_mem_total, d, sizeof(d));
		used = (size_t)snprintf(lines[n], 256,
					"guest: cpu %s%% (kernel %s) steal %s%% mem used %s of %s, "
					"%zu procs", a, b, st, c, d, vm->nr_procs);
		/* The gap and what explains it (trace_snapshot_gap_cause), with or
		 * without a session. */
		if (vm->gap_valid && used < 200)
			snprintf(lines[n] + used, 256 - used, "  gap %.1f pp (%s)", vm->cpu_gap_pct,
				 trace_snapshot_gap_cause_name(trace_snapshot_vm_gap_cause(vm)));
	} else {
		snprintf(lines[n], 256, "guest: %s", vm->guest_status[0] ?
			 vm->guest_status : "unknown");
	}
	cut(lines[n++], width);

	if (vm->exits_per_s >= 0) {
		view_top_pct(vm->hv_exit_pct, a, sizeof(a));
		used = (size_t)snprintf(lines[n], 256, "exits: %.0f/s, handling %s%%:",
					vm->exits_per_s, a);
		for (i = 0; i < vm->nr_exit_rates && i < 6 && used < 200; i++)
			used += (size_t)snprintf(lines[n] + used, 256 - used, " %s %.0f",
						 vm->exit_rates[i].name,
						 vm->exit_rates[i].per_s);
	} else {
		snprintf(lines[n], 256, "exits: - (no session)");
	}
	cut(lines[n++], width);
	return n;
}
