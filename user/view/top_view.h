/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The text of `top`: table rows of VMs and of a VM's guest processes, cut
 * to a terminal width, and their sort orders.  Pure formatting, shared by
 * the full-screen view and --batch, so that both show the same thing.
 */
#ifndef VMT_TOP_VIEW_H
#define VMT_TOP_VIEW_H

#include <stddef.h>
#include "trace/snapshot.h"

enum tv_sort {
	TV_SORT_CPU,		/* hypervisor CPU % (processes: guest CPU %) */
	TV_SORT_GUEST,		/* guest CPU % (processes: sample CPU %) */
	TV_SORT_GAP,		/* VMs: |gap|; processes: |sample - guest| */
	TV_SORT_MEM,		/* VMs: VMM RSS; processes: RSS */
	TV_SORT_EXITS,		/* VMs: exits/s; processes: CPU */
	TV_SORT_NAME,		/* VM label; process comm */
	TV_SORT_PID,		/* VMM pid; guest pid */
	TV_SORT_FLAGS,		/* flagged first, then CPU */
	__TV_SORT_MAX
};

const char *tv_sort_name(enum tv_sort s);
/* "cpu", "guest", "gap", "mem", "exits", "name", "pid", "flags": 0 or -EINVAL. */
int tv_sort_parse(const char *s, enum tv_sort *out);

/* Order @snap's VMs and each VM's processes (in place). */
void tv_sort_snapshot(struct vv_snapshot *snap, enum tv_sort s);
void tv_sort_procs(struct vv_vm *vm, enum tv_sort s);

/* "NUCMG" letters for flags, '.' where clear (5 characters). */
void tv_flag_letters(unsigned int flags, char out[6]);

/* "512M", "1.5G", "900K": 5 characters at most.  "-" for unknown (0). */
void tv_bytes(uint64_t bytes, char *buf, size_t len);
/* "95.2", "100", "-" for < 0. */
void tv_pct(double pct, char *buf, size_t len);

/* One line each, at most @width columns (no newline). */
void tv_vm_header(char *buf, size_t len, int width);
void tv_vm_line(const struct vv_vm *vm, char *buf, size_t len, int width);
void tv_proc_header(char *buf, size_t len, int width);
void tv_proc_line(const struct vv_proc *p, char *buf, size_t len, int width);

/* The detail lines of a VM (identity, both sides, exits): up to @max
 * lines of @width into lines[i] (each @len bytes).  Returns the count. */
int tv_vm_details(const struct vv_vm *vm, char (*lines)[256], int max, int width);

#endif
