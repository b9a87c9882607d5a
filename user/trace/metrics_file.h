/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Interval metrics files: snapshots of the both-sides view (trace/snapshot.h), one
 * after another, as text lines that append cheaply and survive a killed
 * writer (a torn last line is dropped by the reader):
 *
 *   vmtrace-metrics 1
 *   S <seq> <mono_ns> <real_ns> <interval_s>
 *   V <VM fields...>                      one per VM of the snapshot
 *   G <guest_steal_pct> <hv_exit_pct>     its gap figures (newer than V's)
 *   E <reason> <name> <per_s>             its exit rates
 *   P <process fields...>                 its guest processes
 *
 * Fields are separated by one space; strings are %-escaped (space, '%',
 * control and non-ASCII bytes as %XX; the empty string as "%"), so every
 * field is one token.  Unknown line types are skipped: later versions may
 * add some.  Documentation/vmview.rst lists the fields.
 *
 * The same lines, version line included, are a trace's metrics entry: one
 * per snapshot (trace/metrics.c, Documentation/trace-format.rst).
 */
#ifndef TRACE_METRICS_FILE_H
#define TRACE_METRICS_FILE_H

#include <stddef.h>
#include <stdio.h>
#include "trace/snapshot.h"

#define TRACE_METRICS_FILE_MAGIC "vmtrace-metrics"
#define TRACE_METRICS_FILE_VERSION 1
/* Bounds a reader enforces. */
#define TRACE_METRICS_FILE_MAX_LINE 4096
#define TRACE_METRICS_FILE_MAX_SNAPSHOTS 1000000
#define TRACE_METRICS_FILE_MAX_VMS 4096
#define TRACE_METRICS_FILE_MAX_PROCS 65536

/* Write the header line if @f is at its start (a new or empty file). */
int trace_metrics_file_write_header(FILE *f);
/* Append one snapshot.  0 or -EIO. */
int trace_metrics_file_write(FILE *f, const struct trace_snapshot *s);

struct trace_metrics_series {
	size_t nr;
	struct trace_snapshot *snaps;	/* in file order */
	size_t bad_lines;		/* malformed lines skipped */
};

/*
 * Read a whole file.  0, or -EMEDIUMTYPE (not a metrics file),
 * -EPROTONOSUPPORT (newer version), -ENOMEM, -EIO.  Malformed lines are
 * counted and skipped, with the snapshot they belong to kept as far as
 * it was read.
 */
int trace_metrics_file_read(FILE *f, struct trace_metrics_series *out);
void trace_metrics_series_free(struct trace_metrics_series *s);
/* Append a deep copy of @snap: 0 or -ENOMEM. */
int trace_metrics_series_add(struct trace_metrics_series *s, const struct trace_snapshot *snap);

/* %-escape @s into @out (at most @len bytes with the NUL): the length, or
 * -ENOSPC. */
int trace_metrics_escape(const char *s, char *out, size_t len);
/* Undo trace_metrics_escape() in place: 0 or -EINVAL. */
int trace_metrics_unescape(char *s);

#endif
