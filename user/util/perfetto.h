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
#ifndef VMT_UTIL_PERFETTO_H
#define VMT_UTIL_PERFETTO_H

#include <stdbool.h>
#include <stdint.h>
#include "util/protobuf.h"
#include "util/strtab.h"

struct outbuf;

struct pf_writer {
	struct outbuf *out;
	struct pb_buf packet, event, sub, arg, interned;
	/* Interned strings of each kind: iid = number + 1. */
	struct strtab names, categories, arg_names, arg_strings;
	bool started;			/* the first packet is out */
	uint64_t packets;
	int err;			/* sticky: -ENOMEM */
};

/* A debug annotation: a string (@str), else a pointer (hex in the UI) or
 * an unsigned number (@u). */
struct pf_arg {
	const char *name;
	const char *str;		/* NULL: @u */
	uint64_t u;
	bool ptr;
};

void pf_init(struct pf_writer *w, struct outbuf *out);
/* 0, or -ENOMEM if a packet could not be built. */
int pf_finish(struct pf_writer *w);

/* A process track (@pid, @name) with id @uuid. */
void pf_process_track(struct pf_writer *w, uint64_t uuid, int32_t pid, const char *name);
/* A track named @name under @parent (0: top level). */
void pf_child_track(struct pf_writer *w, uint64_t uuid, uint64_t parent, const char *name);
/* A counter track named @name under @parent, values in @unit_name. */
void pf_counter_track(struct pf_writer *w, uint64_t uuid, uint64_t parent, const char *name,
		      const char *unit_name);

/* A slice [begin_ns, end_ns] named @name in @category on @track. */
void pf_slice(struct pf_writer *w, uint64_t track, uint64_t begin_ns, uint64_t end_ns,
	      const char *category, const char *name, const struct pf_arg *args, size_t nr_args);
void pf_instant(struct pf_writer *w, uint64_t track, uint64_t ns, const char *category,
		const char *name, const struct pf_arg *args, size_t nr_args);
void pf_counter(struct pf_writer *w, uint64_t track, uint64_t ns, int64_t value);

#endif
