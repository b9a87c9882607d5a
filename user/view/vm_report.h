/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VM reports of interval metrics (view/vm_report.c; one VM's HTML page is
 * view/vm_html.h): a series of both-sides snapshots, from a metrics file
 * (vmreport) or a trace's metrics entries (report), averaged per VM and
 * per guest process.
 */
#ifndef VIEW_VM_REPORT_H
#define VIEW_VM_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include "trace/metrics_file.h"

enum view_vm_report_format { VIEW_VM_REPORT_TEXT, VIEW_VM_REPORT_CSV, VIEW_VM_REPORT_JSON };

/* "text", "csv", "json" (anything else: text). */
enum view_vm_report_format view_vm_report_format(const char *name);

/* Keep only the VMs that one of @keys names (trace_snapshot_vm_matches()); no keys:
 * all. */
void view_vm_report_keep_vms(struct trace_metrics_series *s, const char *const *keys, size_t nr_keys);

/*
 * Per VM (and per process with @by_process; at most @top per VM in text,
 * 0: all): hypervisor CPU %, guest CPU %, their gap, exits/s, memory,
 * flags; per process CPU % from samples and from guest accounting, their
 * difference, memory, uid, flags.  Means weighted by interval length.
 * JSON is one object, {"vms":[...]}.  0, -ENOMEM or -EIO.
 */
int view_vm_report_write(FILE *f, const struct trace_metrics_series *s, enum view_vm_report_format format,
		    bool by_process, unsigned long top);

/* JSON values, safe inside an HTML <script> too (<, >, & escaped;
 * invalid UTF-8 replaced); negative or NaN numbers are null. */
void view_vm_json_str(FILE *f, const char *s);
void view_vm_json_num(FILE *f, double v);

#endif
