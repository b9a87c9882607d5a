/* SPDX-License-Identifier: GPL-2.0 */
/* One VM's both-sides report as a self-contained HTML page (view/vm_html.c). */
#ifndef VIEW_VM_HTML_H
#define VIEW_VM_HTML_H

#include <stddef.h>
#include "trace/metrics_file.h"

/*
 * The HTML report of one VM of @s (the busiest by hypervisor CPU when the
 * series holds several) to @path: a self-contained page, no network.
 * 0, or -errno with why not in @why (one line).
 */
int view_vm_html_write(const struct trace_metrics_series *s, const char *path, char *why, size_t len);

#endif
