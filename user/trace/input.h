/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A trace opened for reading (report, script, export): its reader and
 * metadata, and what a record means once looked up in the metadata (exit
 * name, guest task, symbol).  The messages about a damaged file are the
 * front-end's (cmd/input.c).
 */
#ifndef VMT_TRACE_INPUT_H
#define VMT_TRACE_INPUT_H

#include <stdbool.h>
#include "trace/symbolize.h"
#include "trace/trace.h"
#include "trace/meta.h"

struct vmt_input {
	const char *path;
	struct vmt_trace_reader *reader;
	struct vmt_meta *meta;
	bool symbols;			/* any resolver could answer */
	uint64_t records;		/* read so far, all kinds */
};

/*
 * Open @path, check it and load its metadata.  On failure, return -errno
 * with what is wrong in @why (one line, no path).
 */
int vmt_input_open(struct vmt_input *in, const char *path, char *why, size_t len);
void vmt_input_close(struct vmt_input *in);

/* What to look up in vmt_event_decode(). */
#define VMT_EV_TASK	0x1
#define VMT_EV_SYMBOL	0x2

struct vmt_event {
	bool guest;			/* an EXIT or a guest SAMPLE */
	bool state;			/* guest rip/cr3/mode are known */
	bool user;			/* guest CPL 3 */
	const char *exit_name;		/* EXIT with a known name, else NULL */
	const struct vmt_task_meta *task;	/* NULL if unknown */
	bool have_sym;
	struct vmt_sym_result sym;
};

void vmt_event_decode(const struct vmt_input *in, const struct vmtrace_record *r,
		      unsigned int what, struct vmt_event *ev);

struct outbuf;
/* What @ev knows of the guest, as JSON members each after a comma:
 * "guest_rip", "guest_cr3" (hex strings), "guest_mode", "guest_pid",
 * "guest_tid", "guest_comm", "symbol", "symbol_offset"; unknown ones left
 * out.  For script's JSON lines and export's event arguments alike. */
void vmt_event_json(struct outbuf *o, const struct vmtrace_record *r,
		    const struct vmt_event *ev);

/* {"ring_full":N,"nested":N,"vm_table":N}: lost counts per cause. */
void vmt_lost_json(struct outbuf *o, const __u64 *lost);

/* A VM's name for people: its name, else its VMM's comm, else "". */
const char *vmt_vm_name(const struct vmt_meta *m, uint32_t vm_id);

#endif
