/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Putting drained records in time order before they are written.
 *
 * The module's rings are per CPU, and a READ drains them one after the
 * other, so a drain interleaves CPUs and a record may come a drain later
 * than a newer one of another CPU.  But a record stamped before a drain
 * started has been drained by the end of that drain (give or take the
 * moment between a probe's RDTSC and its commit, which the caller's margin
 * covers).  So after each drain everything older than its start can go
 * out, sorted; the rest waits for the next drain.
 */
#ifndef TRACE_REORDER_H
#define TRACE_REORDER_H

#include <stddef.h>
#include <stdint.h>
#include <linux/vmtrace.h>

struct trace_reorder {
	struct vmtrace_record *recs, *tmp;
	size_t n, cap;
};

typedef int (*trace_reorder_fn)(void *arg, const struct vmtrace_record *recs, size_t n);

/* Hold @n more records: 0 or -ENOMEM. */
int trace_reorder_add(struct trace_reorder *q, const struct vmtrace_record *recs, size_t n);
/* Sort what is held by host TSC (stably: equal stamps keep their drain
 * order) and pass the records stamped before @before (UINT64_MAX: all) to
 * @fn in one call.  Returns what @fn returned, or 0. */
int trace_reorder_flush(struct trace_reorder *q, uint64_t before, trace_reorder_fn fn,
		      void *arg);
void trace_reorder_free(struct trace_reorder *q);

#endif
