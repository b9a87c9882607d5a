/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Interval metrics next to a recording: for a drain loop that owns the
 * vmtrace session (record's).  It hands every batch of records it drains
 * to vv_recorder_feed() and calls vv_recorder_poll() each time round; every
 * interval a both-sides snapshot (vmview.h) is taken, flagged against the
 * baseline and written as metrics lines (vv_file.h) to the sink.
 *
 *   vv_recorder_open(&opts, 2.0, "out.vmt.metrics", &r);
 *   loop: vmt_client_read(c, fn, ...) { ...; vv_recorder_feed(r, recs, n); }
 *         vv_recorder_poll(r);
 *   vv_recorder_close(r);
 *
 * Once the trace format has a metrics entry, the same lines go into the
 * trace instead of a file beside it.
 */
#ifndef VMT_VV_RECORDER_H
#define VMT_VV_RECORDER_H

#include <stddef.h>
#include "baseline.h"
#include "vmview_sampler.h"

struct vv_recorder;

/* @opts->no_session is forced (the caller owns the session); set
 * @opts->sample_hz to the session's.  0 or -errno. */
int vv_recorder_open(const struct vvs_opts *opts, const struct bl_config *baseline,
		     double interval_s, const char *path, struct vv_recorder **out);
void vv_recorder_feed(struct vv_recorder *r, const struct vmtrace_record *recs, size_t n);
/* Take and write a snapshot if the interval has passed: 0 or -errno. */
int vv_recorder_poll(struct vv_recorder *r);
/* A last snapshot, then close: 0 or -errno (of writing).  Frees @r. */
int vv_recorder_close(struct vv_recorder *r);

#endif
