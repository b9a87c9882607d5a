// SPDX-License-Identifier: GPL-2.0
/* Opening traces for the reading subcommands, and decoding records. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "trace/names.h"
#include "util/outbuf.h"
#include "trace/input.h"

int trace_input_open(struct trace_input *in, const char *path, char *why, size_t len)
{
	int err;

	memset(in, 0, sizeof(*in));
	in->path = path;
	err = trace_open(path, &in->reader, why, len);
	if (err)
		return err;
	err = trace_meta_load(in->reader, &in->meta);
	if (err) {
		snprintf(why, len, "cannot read metadata: %s", strerror(-err));
		trace_close_reader(in->reader);
		in->reader = NULL;
		return err;
	}
	in->symbols = trace_symbolize_possible(in->meta);
	return 0;
}

void trace_input_close(struct trace_input *in)
{
	trace_meta_free(in->meta);
	trace_close_reader(in->reader);
	memset(in, 0, sizeof(*in));
}

void trace_event_decode(const struct trace_input *in, const struct vmtrace_record *r,
		      unsigned int what, struct trace_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->guest = (r->kind == VMTRACE_KIND_EXIT || r->kind == VMTRACE_KIND_SAMPLE) &&
		    !(r->flags & VMTRACE_REC_F_HOST);
	if (!ev->guest)
		return;
	ev->state = !(r->flags & VMTRACE_REC_F_NO_STATE);
	ev->user = (r->mode & VMTRACE_MODE_CPL_MASK) == 3 || (r->mode & VMTRACE_MODE_USER);
	if (r->kind == VMTRACE_KIND_EXIT)
		ev->exit_name = trace_exit_name(r->vendor, r->exit_reason);
	if (!ev->state)
		return;
	if (what & TRACE_EV_TASK)
		ev->task = trace_meta_task(in->meta, r->vm_id, r->u.g.guest_cr3,
					 r->u.g.guest_gs_base, r->host_tsc);
	if ((what & TRACE_EV_SYMBOL) && in->symbols) {
		struct trace_sym_query q = {
			.meta = in->meta,
			.vm_id = r->vm_id,
			.rip = r->u.g.guest_rip,
			.cr3 = r->u.g.guest_cr3,
			.gs_base = r->u.g.guest_gs_base,
			.tsc = r->host_tsc,
			.user = ev->user,
		};

		ev->have_sym = trace_symbolize(&q, &ev->sym);
	}
}

static void json_hex(struct util_outbuf *o, const char *key, uint64_t v)
{
	util_out_json_key(o, key);
	util_out_char(o, '"');
	util_out_hex(o, v);
	util_out_char(o, '"');
}

void trace_event_json(struct util_outbuf *o, const struct vmtrace_record *r,
		    const struct trace_event *ev)
{
	if (ev->state) {
		json_hex(o, "guest_rip", r->u.g.guest_rip);
		json_hex(o, "guest_cr3", r->u.g.guest_cr3);
		util_out_json_key(o, "guest_mode");
		util_out_str(o, ev->user ? "\"user\"" : "\"kernel\"");
	}
	if (ev->task) {
		util_out_json_key(o, "guest_pid");
		util_out_u64(o, ev->task->pid);
		util_out_json_key(o, "guest_tid");
		util_out_u64(o, ev->task->tid);
		util_out_json_key(o, "guest_comm");
		util_out_json_str(o, ev->task->comm);
	}
	if (ev->have_sym) {
		util_out_json_key(o, "symbol");
		util_out_json_str(o, ev->sym.name);
		util_out_json_key(o, "symbol_offset");
		util_out_u64(o, ev->sym.offset);
	}
}

void trace_lost_json(struct util_outbuf *o, const __u64 *lost)
{
	for (int c = 0; c < __VMTRACE_LOST_MAX; c++) {
		util_out_char(o, c ? ',' : '{');
		util_out_json_str(o, trace_lost_cause_name(c));
		util_out_char(o, ':');
		util_out_u64(o, lost[c]);
	}
	util_out_char(o, '}');
}

const char *trace_vm_name(const struct trace_meta *m, uint32_t vm_id)
{
	const struct trace_vm_meta *vm = trace_meta_vm(m, vm_id);

	if (!vm)
		return "";
	return vm->name[0] ? vm->name : vm->comm;
}
