/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Baselines and notable changes.  Fed one snapshot per interval, it keeps
 * per VM and per guest process the last few intervals' CPU and memory and
 * the process names seen on each VM, and sets VV_F_* flags on the
 * snapshot's VMs and processes:
 *
 *   new   a process name never seen on this VM before (the processes of a
 *         VM's first learn_intervals intervals are its baseline, not new)
 *   uid   a user process (not a kernel thread) whose uid is not in the
 *         admin/service allow-list (only if one is configured)
 *   cpu   CPU % outside mean +- k * stddev of the last `window` intervals
 *         (with at least min_history of them, and by more than cpu_floor
 *         percentage points: a flat series has stddev 0)
 *   mem   the same for memory, beyond mem_floor bytes
 *   gap   VM: hypervisor CPU % minus guest CPU % beyond gap_pct, for
 *         gap_intervals intervals in a row (one interval's skew between
 *         the two clocks is not a finding)
 *
 * A flag describes the interval it is set in; "new" stays on a process
 * for new_hold intervals so that a short-lived process is not missed.
 * Pure logic: no I/O, no clock.
 */
#ifndef VIEW_BASELINE_H
#define VIEW_BASELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "trace/snapshot.h"

#define VIEW_BASELINE_WINDOW_MAX 256
#define VIEW_BASELINE_MAX_UID_RANGES 64

struct view_baseline_uid_range {
	uint32_t first, last;
};

struct view_baseline_config {
	unsigned int window;		/* intervals of history; <= VIEW_BASELINE_WINDOW_MAX */
	unsigned int min_history;	/* intervals before cpu/mem flags */
	double k;			/* standard deviations */
	double cpu_floor_pct;		/* smallest deviation flagged, pp */
	double mem_floor_bytes;
	double gap_pct;			/* hypervisor - guest CPU, pp */
	unsigned int gap_intervals;
	unsigned int learn_intervals;	/* a VM's first intervals: no "new" */
	unsigned int new_hold;		/* intervals "new" stays on */
	size_t nr_admin_uids;		/* 0: no uid check */
	struct view_baseline_uid_range admin_uids[VIEW_BASELINE_MAX_UID_RANGES];
};

/* window 30, min_history 5, k 3, cpu floor 10 pp, mem floor 64 MiB,
 * gap 25 pp over 3 intervals, learn 1, new_hold 5, no uid check. */
void view_baseline_config_default(struct view_baseline_config *c);

/* "0,33,100-199" into @c's allow-list: 0 or -EINVAL (-E2BIG: too many). */
int view_baseline_parse_uids(const char *s, struct view_baseline_config *c);
bool view_baseline_uid_allowed(const struct view_baseline_config *c, uint32_t uid);

/* A fixed window of the latest values. */
struct view_baseline_series {
	double v[VIEW_BASELINE_WINDOW_MAX];
	unsigned int n, next;
};

void view_baseline_series_push(struct view_baseline_series *s, double x, unsigned int window);
/* Mean and (population) standard deviation: 0, or -ENODATA if empty. */
int view_baseline_series_stats(const struct view_baseline_series *s, double *mean, double *sd);
/* True if @x is outside mean +- max(k * sd, floor) with enough history. */
bool view_baseline_series_outside(const struct view_baseline_series *s, double x, double k,
		       double floor, unsigned int min_history);

struct view_baseline_state;

/* 0 or -ENOMEM / -EINVAL (a bad config). */
int view_baseline_new(const struct view_baseline_config *c, struct view_baseline_state **out);
void view_baseline_free(struct view_baseline_state *b);

/*
 * Flag @snap's VMs and processes (VV_F_* in flags and, for VMs,
 * proc_flags), then add the snapshot to the history.  Snapshots without
 * rates (interval_s 0) only teach names.  0 or -ENOMEM (the flags are then
 * partial; the state stays usable).
 */
int view_baseline_update(struct view_baseline_state *b, struct trace_snapshot *snap);

/* The baseline of VM @vm_key / process: mean CPU % and memory (for
 * display); false if there is no history yet. */
bool view_baseline_vm(const struct view_baseline_state *b, const struct trace_snapshot_vm *vm,
		    double *cpu_mean, double *mem_mean);

#endif
