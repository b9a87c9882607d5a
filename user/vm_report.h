/* SPDX-License-Identifier: GPL-2.0 */
/* The VM reports of metrics recordings (vm_report.c, vm_html.c). */
#ifndef VMT_VM_REPORT_H
#define VMT_VM_REPORT_H

#include <stdio.h>
#include "vv_file.h"

/* JSON values, safe inside an HTML <script> too (<, >, & escaped;
 * invalid UTF-8 replaced); negative or NaN numbers are null. */
void vm_json_str(FILE *f, const char *s);
void vm_json_num(FILE *f, double v);

/*
 * The HTML report of one VM of @s (the busiest by hypervisor CPU when the
 * series holds several) to @path: a self-contained page, no network.
 * 0, or 1 after printing why not.
 */
int vm_html_write(const struct vv_series *s, const char *path);

#endif
