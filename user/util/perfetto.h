/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A Perfetto trace (protobuf: perfetto.protos.Trace, the subset in
 * util/perfetto_trace.proto) written packet by packet as it goes, so that
 * memory stays flat however long the trace: track descriptors (process,
 * child and counter tracks), then slices, instants and counter values on
 * them.  All packets are on one sequence; timestamps are the caller's
 * nanoseconds on the default clock (the UI shows them as given).  Event
 * names, categories, annotation names and string values are interned:
 * each is written once, in the packet that first uses it, and referred to
 * by number after, so memory grows with the distinct strings only.
 */
#ifndef UTIL_PERFETTO_H
#define UTIL_PERFETTO_H

#include <stdbool.h>
#include <stdint.h>
#include "util/protobuf.h"
#include "util/strtab.h"

struct util_outbuf;

struct util_perfetto_writer {
	struct util_outbuf *out;
	struct util_pb_buf packet, event, sub, arg, interned;
	/* Interned strings of each kind: iid = number + 1. */
	struct util_strtab names, categories, arg_names, arg_strings;
	bool started;			/* the first packet is out */
	uint64_t packets;
	int err;			/* sticky: -ENOMEM */
};

/* A debug annotation: a string (@str), else a pointer (hex in the UI) or
 * an unsigned number (@u). */
struct util_perfetto_arg {
	const char *name;
	const char *str;		/* NULL: @u */
	uint64_t u;
	bool ptr;
};

void util_perfetto_init(struct util_perfetto_writer *w, struct util_outbuf *out);
/* 0, or -ENOMEM if a packet could not be built. */
int util_perfetto_finish(struct util_perfetto_writer *w);

/* A process track (@pid, @name) with id @uuid. */
void util_perfetto_process_track(struct util_perfetto_writer *w, uint64_t uuid, int32_t pid, const char *name);
/* A track named @name under @parent (0: top level). */
void util_perfetto_child_track(struct util_perfetto_writer *w, uint64_t uuid, uint64_t parent, const char *name);
/* A counter track named @name under @parent, values in @unit_name. */
void util_perfetto_counter_track(struct util_perfetto_writer *w, uint64_t uuid, uint64_t parent, const char *name,
		      const char *unit_name);

/* A slice [begin_ns, end_ns] named @name in @category on @track. */
void util_perfetto_slice(struct util_perfetto_writer *w, uint64_t track, uint64_t begin_ns, uint64_t end_ns,
	      const char *category, const char *name, const struct util_perfetto_arg *args, size_t nr_args);
void util_perfetto_instant(struct util_perfetto_writer *w, uint64_t track, uint64_t ns, const char *category,
		const char *name, const struct util_perfetto_arg *args, size_t nr_args);
void util_perfetto_counter(struct util_perfetto_writer *w, uint64_t track, uint64_t ns, int64_t value);

#endif
