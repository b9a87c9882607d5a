/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A trace opened for reading (report, script, export): its reader and
 * metadata, and what a record means once looked up in the metadata (exit
 * name, guest task, symbol).  The messages about a damaged file are the
 * front-end's (cmd/input.c).
 */
#ifndef TRACE_INPUT_H
#define TRACE_INPUT_H

#include <stdbool.h>
#include "trace/symbolize.h"
#include "trace/trace.h"
#include "trace/meta.h"

struct trace_input {
	const char *path;
	struct trace_reader *reader;
	struct trace_meta *meta;
	bool symbols;			/* any resolver could answer */
	uint64_t records;		/* read so far, all kinds */
};

/*
 * Open @path, check it and load its metadata.  On failure, return -errno
 * with what is wrong in @why (one line, no path).
 */
int trace_input_open(struct trace_input *in, const char *path, char *why, size_t len);
void trace_input_close(struct trace_input *in);

/* What to look up in trace_event_decode(). */
#define TRACE_EV_TASK	0x1
#define TRACE_EV_SYMBOL	0x2

struct trace_event {
	bool guest;			/* an EXIT or a guest SAMPLE */
	bool state;			/* guest rip/cr3/mode are known */
	bool user;			/* guest CPL 3 */
	const char *exit_name;		/* EXIT with a known name, else NULL */
	const struct trace_task_meta *task;	/* NULL if unknown */
	bool have_sym;
	struct trace_sym_result sym;
};

void trace_event_decode(const struct trace_input *in, const struct vmtrace_record *r,
		      unsigned int what, struct trace_event *ev);

struct util_outbuf;
/* What @ev knows of the guest, as JSON members each after a comma:
 * "guest_rip", "guest_cr3" (hex strings), "guest_mode", "guest_pid",
 * "guest_tid", "guest_comm", "symbol", "symbol_offset"; unknown ones left
 * out.  For script's JSON lines and export's event arguments alike. */
void trace_event_json(struct util_outbuf *o, const struct vmtrace_record *r,
		    const struct trace_event *ev);

/* {"ring_full":N,"nested":N,"vm_table":N}: lost counts per cause. */
void trace_lost_json(struct util_outbuf *o, const __u64 *lost);

/* A VM's name for people: its name, else its VMM's comm, else "". */
const char *trace_vm_name(const struct trace_meta *m, uint32_t vm_id);

#endif
