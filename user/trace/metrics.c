// SPDX-License-Identifier: GPL-2.0
/*
 * The trace's interval metrics entry: one both-sides snapshot (trace/snapshot.h)
 * as the very lines a metrics file holds (trace/metrics_file.h), its version line
 * included, so that the trace and the file share one encoding and one
 * parser, and a snapshot written by a later vmtrace (a newer version
 * line) is skipped rather than misread.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include "trace/format.h"
#include "trace/metrics_file.h"

#define MAX_METRICS_ENTRY (TRACE_FRAME_MAX_RAW / 4)

int trace_entry_encode_metrics(struct util_buf *b, const struct trace_snapshot *s)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int err;

	if (!f)
		return -ENOMEM;
	err = trace_metrics_file_write_header(f);
	if (!err)
		err = trace_metrics_file_write(f, s);
	if (fclose(f) && !err)
		err = -ENOMEM;
	/* Far below a frame's limit, whatever else the frame holds. */
	if (!err && len > MAX_METRICS_ENTRY)
		err = -E2BIG;
	if (!err && !util_buf_reserve(b, 1 + 10 + len))
		err = -ENOMEM;
	if (!err) {
		util_put_u8(b, TRACE_ENTRY_METRICS);
		util_put_varint(b, len);
		util_put_bytes(b, text, len);
	}
	free(text);
	return err;
}

int trace_entry_decode_metrics(struct util_cursor *body, struct trace_snapshot *out)
{
	size_t len = util_cursor_left(body);
	struct trace_metrics_series series;
	FILE *f;
	int err;

	memset(out, 0, sizeof(*out));
	if (!len)
		return -EBADMSG;
	f = fmemopen((void *)body->p, len, "r");
	if (!f)
		return -ENOMEM;
	err = trace_metrics_file_read(f, &series);
	fclose(f);
	if (err == -EPROTONOSUPPORT)
		return 0;		/* a later version's snapshot: unknown */
	if (err == -ENOMEM)
		return err;
	if (err)
		return -EBADMSG;
	/* Exactly one snapshot, every line of it well-formed. */
	if (series.nr != 1 || series.bad_lines) {
		trace_metrics_series_free(&series);
		return -EBADMSG;
	}
	*out = series.snaps[0];
	free(series.snaps);
	return 1;
}
