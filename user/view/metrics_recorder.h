/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Interval metrics inside a recording: for a drain loop that owns the
 * vmtrace session (record's).  It hands every batch of records it drains
 * to view_recorder_feed() and calls view_recorder_poll() each time round; every
 * interval a both-sides snapshot (trace/snapshot.h) is taken, flagged against the
 * baseline and written to the trace as a metrics entry
 * (trace_write_metrics()).
 *
 *   client_start(c, ...);
 *   view_recorder_open(&opts, &baseline, 1.0, w, keep, arg, &r);
 *   loop: client_read(c, fn, ...) { ...; view_recorder_feed(r, recs, n); }
 *         view_recorder_poll(r);
 *   view_recorder_close(r, &st);   before the trace is closed
 *
 * Snapshots are taken on a thread of the recorder's own, so the drain
 * loop never waits for one: feed copies records into a bounded queue,
 * poll writes the snapshots that are ready.  The trace writer and the
 * keep callback are only used on the caller's thread.  A snapshot that
 * cannot be taken or stored is counted and skipped: the metrics ride
 * along the recording and must never end it.
 */
#ifndef VIEW_METRICS_RECORDER_H
#define VIEW_METRICS_RECORDER_H

#include <stddef.h>
#include <stdint.h>
#include "view/baseline.h"
#include "trace/trace.h"
#include "view/sampler.h"

struct view_recorder;

/* Which VMs a snapshot keeps (record's scope); NULL: all. */
typedef bool (*view_recorder_keep_fn)(void *arg, const struct trace_snapshot_vm *vm);

struct view_recorder_stats {
	uint64_t written;		/* snapshots in the trace */
	uint64_t failed;		/* snapshots lost: sampling, encoding or
					 * not picked up in time */
	int first_error;		/* -errno of the first failure */
	uint64_t slowest_ns;		/* the longest snapshot took (on the
					 * sampling thread) */
	uint64_t unfed;			/* records the full queue could not take:
					 * not in the exit rates and sample
					 * shares */
};

/* @opts->no_session is forced (the caller owns the session); set
 * @opts->sample_hz to the session's.  Starts the sampling thread, whose
 * first snapshot opens the guest decoders (seconds for a Linux guest
 * under emulation) and starts the rates: records fed before that are not
 * counted.  0 or -errno. */
int view_recorder_open(const struct view_sampler_opts *opts, const struct view_baseline_config *baseline,
		     double interval_s, struct trace_writer *w,
		     view_recorder_keep_fn keep, void *keep_arg, struct view_recorder **out);
void view_recorder_feed(struct view_recorder *r, const struct vmtrace_record *recs, size_t n);
/* Write the snapshots taken since the last call. */
void view_recorder_poll(struct view_recorder *r);
/* A last snapshot (after the records fed so far), written; then close.
 * @st (if not NULL) gets the totals.  Frees
 * @r. */
void view_recorder_close(struct view_recorder *r, struct view_recorder_stats *st);

#endif
