// SPDX-License-Identifier: GPL-2.0
/*
 * The HTML report of one VM (view/vm_report.h): its guest processes in a table
 * and two graphs over time, CPU and memory, each with a solid line for the
 * whole VM as the hypervisor sees it (the VMM's CPU %, its resident
 * memory) and a dashed line for the process picked in the table as the
 * guest accounts it (its CPU %, its resident memory).  Clicking a row
 * switches the dashed line.
 *
 * One self-contained file: the data as JSON inside the page, inline SVG
 * drawn by inline script, a Content-Security-Policy that forbids every
 * fetch.  Guest strings are data, escaped for JSON-in-HTML.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "view/vm_html.h"
#include "view/vm_report.h"

/* Processes drawn at most (the busiest): bounds the page. */
#define HTML_MAX_PROCS 500

struct hproc {
	uint32_t pid, uid;
	char comm[TRACE_SNAPSHOT_COMM_LEN];
	bool kthread;
	unsigned int flags;
	double cpu_sum;
	size_t cpu_n;
	double *cpu, *mem;		/* per snapshot; NAN unknown */
};

static int cmp_hproc(const void *a, const void *b)
{
	const struct hproc *x = a, *y = b;
	double cx = x->cpu_n ? x->cpu_sum / x->cpu_n : -1;
	double cy = y->cpu_n ? y->cpu_sum / y->cpu_n : -1;

	if (x->kthread != y->kthread)
		return x->kthread - y->kthread;
	if (cx != cy)
		return cx < cy ? 1 : -1;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* The VM to show: the one with the highest mean hypervisor CPU. */
static bool pick_vm(const struct trace_metrics_series *s, uint32_t *vm_id, uint32_t *pid)
{
	struct {
		uint32_t vm_id, pid;
		double sum;
	} c[256];
	size_t nr = 0, i, j, k, best = 0;

	for (i = 0; i < s->nr; i++)
		for (j = 0; j < s->snaps[i].nr_vms; j++) {
			const struct trace_snapshot_vm *vm = &s->snaps[i].vms[j];

			for (k = 0; k < nr; k++)
				if (c[k].vm_id == vm->id.vm_id && c[k].pid == vm->id.vmm_pid)
					break;
			if (k == nr) {
				if (nr == sizeof(c) / sizeof(c[0]))
					continue;
				c[nr].vm_id = vm->id.vm_id;
				c[nr].pid = vm->id.vmm_pid;
				c[nr++].sum = 0;
			}
			if (vm->hv_valid && vm->hv_cpu_pct > 0)
				c[k].sum += vm->hv_cpu_pct;
		}
	if (!nr)
		return false;
	for (k = 1; k < nr; k++)
		if (c[k].sum > c[best].sum)
			best = k;
	*vm_id = c[best].vm_id;
	*pid = c[best].pid;
	return true;
}

static void json_series(FILE *f, const double *v, size_t n)
{
	size_t i;

	fputc('[', f);
	for (i = 0; i < n; i++) {
		if (i)
			fputc(',', f);
		if (isnan(v[i]))
			fputs("null", f);
		else
			fprintf(f, "%.6g", v[i]);
	}
	fputc(']', f);
}

static const char page_head[] =
	"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	"script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">\n"
	"<title>vmtrace: VM report</title>\n<style>\n"
	"body{font:14px/1.4 system-ui,sans-serif;margin:16px;color:#222}\n"
	"h1{font-size:20px;margin:0 0 4px}.id{color:#555;margin-bottom:12px}\n"
	".charts{display:flex;flex-wrap:wrap;gap:16px}\n"
	"svg{background:#fafafa;border:1px solid #ddd}\n"
	".vm{stroke:#1f5fbf;stroke-width:2;fill:none}\n"
	".proc{stroke:#d9480f;stroke-width:2;fill:none;stroke-dasharray:6 4}\n"
	".axis{stroke:#999;stroke-width:1}.grid{stroke:#e5e5e5}\n"
	"text{font-size:11px;fill:#444}\n"
	"table{border-collapse:collapse;margin-top:16px}\n"
	"th,td{padding:2px 8px;text-align:right;border-bottom:1px solid #eee}\n"
	"th{background:#f0f0f0}td.l,th.l{text-align:left}\n"
	"tbody tr{cursor:pointer}tbody tr:hover{background:#f3f7ff}\n"
	"tr.sel{background:#ffe8d9 !important}.flag{color:#c00;font-weight:bold}\n"
	"</style></head>\n<body>\n"
	"<h1 id=\"title\">VM</h1><div class=\"id\" id=\"ident\"></div>\n"
	"<div class=\"id\" id=\"gap\"></div>\n"
	"<div class=\"charts\">\n"
	"<svg id=\"cpu-chart\" width=\"560\" height=\"260\" role=\"img\"></svg>\n"
	"<svg id=\"mem-chart\" width=\"560\" height=\"260\" role=\"img\"></svg>\n"
	"</div>\n"
	"<p>Solid: the whole VM as the hypervisor sees it (the VMM process). "
	"Dashed: the selected guest process as the guest kernel accounts it. "
	"Click a process to switch the dashed line.</p>\n"
	"<table id=\"procs\"><thead><tr><th>pid</th><th>uid</th>"
	"<th class=\"l\">process</th><th>mean CPU %</th><th>max memory</th>"
	"<th class=\"l\">flags</th></tr></thead><tbody></tbody></table>\n"
	"<script type=\"application/json\" id=\"data\">";

static const char page_script[] =
	"</script>\n<script>\n"
	"'use strict';\n"
	"const D = JSON.parse(document.getElementById('data').textContent);\n"
	"const NS = 'http://www.w3.org/2000/svg';\n"
	"function el(tag, attrs, parent) {\n"
	"  const e = document.createElementNS(NS, tag);\n"
	"  for (const k in attrs) e.setAttribute(k, attrs[k]);\n"
	"  if (parent) parent.appendChild(e);\n"
	"  return e;\n"
	"}\n"
	"function fmtBytes(b) {\n"
	"  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB']; let i = 0;\n"
	"  while (b >= 1024 && i < u.length - 1) { b /= 1024; i++; }\n"
	"  return (b >= 10 || i === 0 ? b.toFixed(0) : b.toFixed(1)) + ' ' + u[i];\n"
	"}\n"
	"function niceMax(v) {\n"
	"  if (!(v > 0)) return 1;\n"
	"  const p = Math.pow(10, Math.floor(Math.log10(v))), m = v / p;\n"
	"  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;\n"
	"}\n"
	"function path(t, ys, x, y) {\n"
	"  let d = '', pen = false, n = 0;\n"
	"  for (let i = 0; i < t.length; i++) {\n"
	"    if (ys[i] === null || ys[i] === undefined) { pen = false; continue; }\n"
	"    d += (pen ? 'L' : 'M') + x(t[i]).toFixed(1) + ',' + y(ys[i]).toFixed(1);\n"
	"    pen = true; n++;\n"
	"  }\n"
	"  return [d, n];\n"
	"}\n"
	"function chart(id, title, vmYs, procYs, fmt, procLabel) {\n"
	"  const svg = document.getElementById(id);\n"
	"  while (svg.firstChild) svg.removeChild(svg.firstChild);\n"
	"  const W = 560, H = 260, L = 64, R = 12, T = 28, B = 30;\n"
	"  const t = D.t, tmax = t.length ? Math.max(t[t.length - 1], 1) : 1;\n"
	"  let vmax = 0;\n"
	"  for (const v of vmYs.concat(procYs)) if (v !== null && v > vmax) vmax = v;\n"
	"  vmax = niceMax(vmax);\n"
	"  const x = s => L + (W - L - R) * s / tmax, y = v => H - B - (H - T - B) * v / vmax;\n"
	"  el('text', {x: L, y: 16, 'font-weight': 'bold'}, svg).textContent = title;\n"
	"  for (let i = 0; i <= 4; i++) {\n"
	"    const v = vmax * i / 4;\n"
	"    el('line', {x1: L, x2: W - R, y1: y(v), y2: y(v), class: 'grid'}, svg);\n"
	"    el('text', {x: L - 4, y: y(v) + 4, 'text-anchor': 'end'}, svg).textContent = fmt(v);\n"
	"  }\n"
	"  for (let i = 0; i <= 4; i++) {\n"
	"    const s = tmax * i / 4;\n"
	"    el('text', {x: x(s), y: H - B + 16, 'text-anchor': 'middle'}, svg).textContent =\n"
	"      s.toFixed(0) + ' s';\n"
	"  }\n"
	"  el('line', {x1: L, x2: L, y1: T, y2: H - B, class: 'axis'}, svg);\n"
	"  el('line', {x1: L, x2: W - R, y1: H - B, y2: H - B, class: 'axis'}, svg);\n"
	"  const [dv, nv] = path(t, vmYs, x, y), [dp, np] = path(t, procYs, x, y);\n"
	"  el('path', {d: dv, class: 'vm', id: id.replace('-chart', '') + '-vm',\n"
	"              'data-series': 'vm', 'data-points': nv}, svg);\n"
	"  el('path', {d: dp, class: 'proc', id: id.replace('-chart', '') + '-proc',\n"
	"              'data-series': 'process', 'data-points': np}, svg);\n"
	"  el('line', {x1: W - 330, x2: W - 305, y1: 12, y2: 12, class: 'vm'}, svg);\n"
	"  el('text', {x: W - 300, y: 16}, svg).textContent = 'VM (hypervisor)';\n"
	"  el('line', {x1: W - 195, x2: W - 170, y1: 12, y2: 12, class: 'proc'}, svg);\n"
	"  el('text', {x: W - 165, y: 16}, svg).textContent = procLabel.slice(0, 28);\n"
	"}\n"
	"let selected = -1;\n"
	"function select(i) {\n"
	"  selected = i;\n"
	"  const p = D.procs[i] || {cpu: [], mem: [], comm: '-', pid: 0};\n"
	"  const label = p.comm + ' (guest)';\n"
	"  chart('cpu-chart', 'CPU % of one CPU', D.vm_cpu, p.cpu, v => v.toFixed(0) + '%', label);\n"
	"  chart('mem-chart', 'Memory', D.vm_mem, p.mem, fmtBytes, label);\n"
	"  document.querySelectorAll('#procs tbody tr').forEach((tr, j) =>\n"
	"    tr.classList.toggle('sel', j === i));\n"
	"  document.body.dataset.selectedPid = p.pid;\n"
	"}\n"
	"function init() {\n"
	"  const vm = D.vm;\n"
	"  document.getElementById('title').textContent = 'VM ' + (vm.name || vm.uuid || ('pid ' + vm.pid));\n"
	"  document.getElementById('ident').textContent = 'uuid ' + (vm.uuid || '-') +\n"
	"    ', VMM pid ' + vm.pid + ', MAC ' + (vm.macs.join(', ') || '-') + ', ' +\n"
	"    D.t.length + ' intervals from ' + D.start;\n"
	"  const g = D.gap, pc = v => v === null ? '-' : v.toFixed(1) + '%';\n"
	"  document.getElementById('gap').textContent = 'Means: hypervisor CPU ' + pc(g.hv_cpu_pct) +\n"
	"    ' (vCPU threads ' + pc(g.vcpu_cpu_pct) + ', their run-queue wait ' + pc(g.run_delay_pct) +\n"
	"    ', exits\\' handling ' + pc(g.exit_handling_pct) + '), guest CPU ' + pc(g.guest_cpu_pct) +\n"
	"    ' (its steal time ' + pc(g.guest_steal_pct) + '); gap cause: ' + g.cause;\n"
	"  const tb = document.querySelector('#procs tbody');\n"
	"  D.procs.forEach((p, i) => {\n"
	"    const tr = document.createElement('tr');\n"
	"    tr.dataset.pid = p.pid;\n"
	"    const cells = [p.pid, p.uid === null ? '?' : p.uid, p.comm,\n"
	"      p.mean_cpu === null ? '-' : p.mean_cpu.toFixed(1),\n"
	"      p.max_mem === null ? '-' : fmtBytes(p.max_mem), p.flags];\n"
	"    cells.forEach((c, j) => {\n"
	"      const td = document.createElement('td');\n"
	"      td.textContent = c;\n"
	"      if (j === 2 || j === 5) td.className = 'l';\n"
	"      if (j === 5 && c) td.className += ' flag';\n"
	"      tr.appendChild(td);\n"
	"    });\n"
	"    tr.addEventListener('click', () => select(i));\n"
	"    tb.appendChild(tr);\n"
	"  });\n"
	"  select(D.procs.length ? 0 : -1);\n"
	"  document.body.dataset.ready = '1';\n"
	"}\n"
	"init();\n"
	"</script>\n</body></html>\n";

/* A plain mean of the known (>= 0) values; -1 if none. */
struct mean {
	double sum;
	size_t n;
};

static void mean_add(struct mean *m, double v)
{
	if (v >= 0 && !isnan(v)) {
		m->sum += v;
		m->n++;
	}
}

static double mean_of(const struct mean *m)
{
	return m->n ? m->sum / (double)m->n : -1;
}

/* One VM's page, gathered from the series before any of it is written. */
struct vm_page {
	const struct trace_snapshot_vm *ident;	/* the VM as last seen */
	size_t n;			/* snapshots with rates it appears in */
	size_t t0;			/* the first of them */
	double *vm_cpu, *vm_mem, *times;	/* n each */
	struct hproc *procs;
	size_t nr_procs;
	struct mean gap_hv, gap_vcpu, gap_wait, gap_guest, gap_exit, gap_steal;
};

static void page_free(struct vm_page *pg)
{
	size_t i;

	for (i = 0; i < pg->nr_procs; i++) {
		free(pg->procs[i].cpu);
		free(pg->procs[i].mem);
	}
	free(pg->procs);
	free(pg->vm_cpu);
	free(pg->vm_mem);
	free(pg->times);
}

/* @p's history on the page, added (all NaN) if new; NULL without memory. */
static struct hproc *page_proc(struct vm_page *pg, const struct trace_snapshot_proc *p, size_t nr_snaps)
{
	struct hproc *h, *np;
	size_t m;

	for (m = 0; m < pg->nr_procs; m++)
		if (pg->procs[m].pid == p->pid && !strcmp(pg->procs[m].comm, p->comm))
			return &pg->procs[m];
	np = realloc(pg->procs, (pg->nr_procs + 1) * sizeof(*np));
	if (!np)
		return NULL;
	pg->procs = np;
	h = &pg->procs[pg->nr_procs++];
	memset(h, 0, sizeof(*h));
	h->pid = p->pid;
	memcpy(h->comm, p->comm, sizeof(h->comm));
	h->cpu = malloc(nr_snaps * sizeof(double));
	h->mem = malloc(nr_snaps * sizeof(double));
	if (!h->cpu || !h->mem)
		return NULL;
	for (m = 0; m < nr_snaps; m++)
		h->cpu[m] = h->mem[m] = NAN;
	return h;
}

/* The snapshots with rates in which the VM appears, in order. */
static int gather(const struct trace_metrics_series *s, uint32_t vm_id, uint32_t vm_pid,
		  struct vm_page *pg)
{
	size_t i, j, k;

	pg->vm_cpu = calloc(s->nr ? s->nr : 1, sizeof(double));
	pg->vm_mem = calloc(s->nr ? s->nr : 1, sizeof(double));
	pg->times = calloc(s->nr ? s->nr : 1, sizeof(double));
	if (!pg->vm_cpu || !pg->vm_mem || !pg->times)
		return -ENOMEM;
	for (i = 0; i < s->nr; i++) {
		const struct trace_snapshot *snap = &s->snaps[i];
		const struct trace_snapshot_vm *vm = NULL;
		size_t n = pg->n;

		if (snap->interval_s <= 0)
			continue;
		for (j = 0; j < snap->nr_vms; j++)
			if (snap->vms[j].id.vm_id == vm_id && snap->vms[j].id.vmm_pid == vm_pid)
				vm = &snap->vms[j];
		if (!vm)
			continue;
		if (!n)
			pg->t0 = i;
		pg->ident = vm;
		pg->times[n] = (snap->mono_ns - s->snaps[pg->t0].mono_ns) / 1e9;
		pg->vm_cpu[n] = vm->hv_valid ? vm->hv_cpu_pct : NAN;
		if (vm->hv_valid) {
			mean_add(&pg->gap_hv, vm->hv_cpu_pct);
			mean_add(&pg->gap_vcpu, vm->hv_vcpu_pct);
			mean_add(&pg->gap_wait, vm->hv_run_delay_pct);
		}
		mean_add(&pg->gap_exit, vm->hv_exit_pct);
		if (vm->guest_valid) {
			mean_add(&pg->gap_guest, vm->guest_cpu_pct);
			mean_add(&pg->gap_steal, vm->guest_steal_pct);
		}
		pg->vm_mem[n] = vm->hv_rss_bytes ? (double)vm->hv_rss_bytes : NAN;
		for (k = 0; k < vm->nr_procs; k++) {
			const struct trace_snapshot_proc *p = &vm->procs[k];
			struct hproc *h = page_proc(pg, p, s->nr);

			if (!h)
				return -ENOMEM;
			h->uid = p->uid;
			h->kthread = p->kthread;
			h->flags |= p->flags;
			if (p->guest_cpu_pct >= 0) {
				h->cpu[n] = p->guest_cpu_pct;
				h->cpu_sum += p->guest_cpu_pct;
				h->cpu_n++;
			}
			if (p->rss_valid)
				h->mem[n] = (double)p->rss_bytes;
		}
		pg->n++;
	}
	return pg->ident ? 0 : -ENOENT;
}

/* The VM's identity and its gap means, as the page's "vm" and "gap". */
static void write_vm_json(FILE *f, const struct vm_page *pg)
{
	const struct trace_snapshot_vm *ident = pg->ident;
	struct trace_snapshot_gap_figures g = {
		.hv_cpu = mean_of(&pg->gap_hv), .hv_vcpu = mean_of(&pg->gap_vcpu),
		.run_delay = mean_of(&pg->gap_wait), .exit_handling = mean_of(&pg->gap_exit),
		.guest_cpu = mean_of(&pg->gap_guest), .guest_steal = mean_of(&pg->gap_steal),
	};
	size_t k;

	fputs("{\"vm\":{\"name\":", f);
	view_vm_json_str(f, ident->id.name);
	fputs(",\"uuid\":", f);
	view_vm_json_str(f, ident->id.uuid);
	fprintf(f, ",\"pid\":%u,\"macs\":[", ident->id.vmm_pid);
	for (k = 0; k < ident->id.nr_macs && k < TRACE_MAX_MACS; k++) {
		if (k)
			fputc(',', f);
		view_vm_json_str(f, ident->id.macs[k]);
	}
	fputs("]},\"gap\":{\"hv_cpu_pct\":", f);
	view_vm_json_num(f, g.hv_cpu);
	fputs(",\"vcpu_cpu_pct\":", f);
	view_vm_json_num(f, g.hv_vcpu);
	fputs(",\"run_delay_pct\":", f);
	view_vm_json_num(f, g.run_delay);
	fputs(",\"guest_cpu_pct\":", f);
	view_vm_json_num(f, g.guest_cpu);
	fputs(",\"exit_handling_pct\":", f);
	view_vm_json_num(f, g.exit_handling);
	fputs(",\"guest_steal_pct\":", f);
	view_vm_json_num(f, g.guest_steal);
	fputs(",\"cause\":", f);
	view_vm_json_str(f, trace_snapshot_gap_cause_name(trace_snapshot_gap_cause(&g)));
	fputc('}', f);
}

/* The busiest HTML_MAX_PROCS processes (sorted), as the page's "procs". */
static void write_procs_json(FILE *f, const struct vm_page *pg)
{
	char flags[64];
	size_t i, k;

	fputs(",\n\"procs\":[", f);
	for (i = 0; i < pg->nr_procs && i < HTML_MAX_PROCS; i++) {
		const struct hproc *h = &pg->procs[i];
		double max_mem = NAN;

		for (k = 0; k < pg->n; k++)
			if (!isnan(h->mem[k]) && (isnan(max_mem) || h->mem[k] > max_mem))
				max_mem = h->mem[k];
		fprintf(f, "%s\n{\"pid\":%u,\"uid\":", i ? "," : "", h->pid);
		if (h->uid == UINT32_MAX)
			fputs("null", f);
		else
			fprintf(f, "%u", h->uid);
		fputs(",\"comm\":", f);
		view_vm_json_str(f, h->comm);
		fputs(",\"mean_cpu\":", f);
		view_vm_json_num(f, h->cpu_n ? h->cpu_sum / h->cpu_n : -1);
		fputs(",\"max_mem\":", f);
		view_vm_json_num(f, max_mem);
		trace_snapshot_flags_string(h->flags, flags, sizeof(flags));
		fputs(",\"flags\":", f);
		view_vm_json_str(f, flags);
		fputs(",\"cpu\":", f);
		json_series(f, h->cpu, pg->n);
		fputs(",\"mem\":", f);
		json_series(f, h->mem, pg->n);
		fputc('}', f);
	}
	fputs("]}", f);
}

static int write_page(FILE *f, const struct trace_metrics_series *s, uint32_t vm_id, uint32_t vm_pid)
{
	struct vm_page pg = { 0 };
	time_t sec;
	struct tm tm;
	char start[64];
	int err;

	err = gather(s, vm_id, vm_pid, &pg);
	if (err)
		goto out;
	qsort(pg.procs, pg.nr_procs, sizeof(*pg.procs), cmp_hproc);
	sec = (time_t)(s->snaps[pg.t0].real_ns / 1000000000ULL);
	localtime_r(&sec, &tm);
	strftime(start, sizeof(start), "%Y-%m-%d %H:%M:%S %Z", &tm);

	fputs(page_head, f);
	write_vm_json(f, &pg);
	fputs(",\"start\":", f);
	view_vm_json_str(f, start);
	fputs(",\n\"t\":", f);
	json_series(f, pg.times, pg.n);
	fputs(",\n\"vm_cpu\":", f);
	json_series(f, pg.vm_cpu, pg.n);
	fputs(",\n\"vm_mem\":", f);
	json_series(f, pg.vm_mem, pg.n);
	write_procs_json(f, &pg);
	fputs(page_script, f);
	err = ferror(f) ? -EIO : 0;
out:
	page_free(&pg);
	return err;
}

int view_vm_html_write(const struct trace_metrics_series *s, const char *path, char *why, size_t len)
{
	uint32_t vm_id, pid;
	FILE *f;
	int err;

	if (!pick_vm(s, &vm_id, &pid)) {
		snprintf(why, len, "no such VM in the recording");
		return -ENOENT;
	}
	f = fopen(path, "we");
	if (!f) {
		err = -errno;
		snprintf(why, len, "%s: %s", path, strerror(-err));
		return err;
	}
	err = write_page(f, s, vm_id, pid);
	if (fclose(f) && !err)
		err = -EIO;
	if (err) {
		snprintf(why, len, "%s: %s", path,
			 err == -ENOENT ? "the VM has no interval with rates" : strerror(-err));
		unlink(path);
	}
	return err;
}
