/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The text of `top`: table rows of VMs and of a VM's guest processes, cut
 * to a terminal width, and their sort orders.  Pure formatting, shared by
 * the full-screen view and --batch, so that both show the same thing.
 */
#ifndef VIEW_TOP_VIEW_H
#define VIEW_TOP_VIEW_H

#include <stddef.h>
#include "trace/snapshot.h"

enum view_top_sort {
	VIEW_TOP_SORT_CPU,		/* hypervisor CPU % (processes: guest CPU %) */
	VIEW_TOP_SORT_GUEST,		/* guest CPU % (processes: sample CPU %) */
	VIEW_TOP_SORT_GAP,		/* VMs: |gap|; processes: |sample - guest| */
	VIEW_TOP_SORT_MEM,		/* VMs: VMM RSS; processes: RSS */
	VIEW_TOP_SORT_EXITS,		/* VMs: exits/s; processes: CPU */
	VIEW_TOP_SORT_NAME,		/* VM label; process comm */
	VIEW_TOP_SORT_PID,		/* VMM pid; guest pid */
	VIEW_TOP_SORT_FLAGS,		/* flagged first, then CPU */
	__VIEW_TOP_SORT_MAX
};

const char *view_top_sort_name(enum view_top_sort s);
/* "cpu", "guest", "gap", "mem", "exits", "name", "pid", "flags": 0 or -EINVAL. */
int view_top_sort_parse(const char *s, enum view_top_sort *out);

/* Order @snap's VMs and each VM's processes (in place). */
void view_top_sort_snapshot(struct trace_snapshot *snap, enum view_top_sort s);
void view_top_sort_procs(struct trace_snapshot_vm *vm, enum view_top_sort s);

/* "NUCMG" letters for flags, '.' where clear (5 characters). */
void view_top_flag_letters(unsigned int flags, char out[6]);

/* "512M", "1.5G", "900K": 5 characters at most.  "-" for unknown (0). */
void view_top_bytes(uint64_t bytes, char *buf, size_t len);
/* "95.2", "100", "-" for < 0. */
void view_top_pct(double pct, char *buf, size_t len);

/* One line each, at most @width columns (no newline). */
void view_top_vm_header(char *buf, size_t len, int width);
void view_top_vm_line(const struct trace_snapshot_vm *vm, char *buf, size_t len, int width);
void view_top_proc_header(char *buf, size_t len, int width);
void view_top_proc_line(const struct trace_snapshot_proc *p, char *buf, size_t len, int width);

/* The detail lines of a VM (identity, both sides, exits): up to @max
 * lines of @width into lines[i] (each @len bytes).  Returns the count. */
int view_top_vm_details(const struct trace_snapshot_vm *vm, char (*lines)[256], int max, int width);

#endif
