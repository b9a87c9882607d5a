// SPDX-License-Identifier: GPL-2.0
/* Opening traces for the reading subcommands, and decoding records. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "trace/names.h"
#include "util/outbuf.h"
#include "trace/input.h"

int vmt_input_open(struct vmt_input *in, const char *path, char *why, size_t len)
{
	int err;

	memset(in, 0, sizeof(*in));
	in->path = path;
	err = vmt_trace_open(path, &in->reader, why, len);
	if (err)
		return err;
	err = vmt_meta_load(in->reader, &in->meta);
	if (err) {
		snprintf(why, len, "cannot read metadata: %s", strerror(-err));
		vmt_trace_close_reader(in->reader);
		in->reader = NULL;
		return err;
	}
	in->symbols = vmt_symbolize_possible(in->meta);
	return 0;
}

void vmt_input_close(struct vmt_input *in)
{
	vmt_meta_free(in->meta);
	vmt_trace_close_reader(in->reader);
	memset(in, 0, sizeof(*in));
}

void vmt_event_decode(const struct vmt_input *in, const struct vmtrace_record *r,
		      unsigned int what, struct vmt_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->guest = (r->kind == VMTRACE_KIND_EXIT || r->kind == VMTRACE_KIND_SAMPLE) &&
		    !(r->flags & VMTRACE_REC_F_HOST);
	if (!ev->guest)
		return;
	ev->state = !(r->flags & VMTRACE_REC_F_NO_STATE);
	ev->user = (r->mode & VMTRACE_MODE_CPL_MASK) == 3 || (r->mode & VMTRACE_MODE_USER);
	if (r->kind == VMTRACE_KIND_EXIT)
		ev->exit_name = vmt_exit_name(r->vendor, r->exit_reason);
	if (!ev->state)
		return;
	if (what & VMT_EV_TASK)
		ev->task = vmt_meta_task(in->meta, r->vm_id, r->u.g.guest_cr3,
					 r->u.g.guest_gs_base, r->host_tsc);
	if ((what & VMT_EV_SYMBOL) && in->symbols) {
		struct vmt_sym_query q = {
			.meta = in->meta,
			.vm_id = r->vm_id,
			.rip = r->u.g.guest_rip,
			.cr3 = r->u.g.guest_cr3,
			.gs_base = r->u.g.guest_gs_base,
			.tsc = r->host_tsc,
			.user = ev->user,
		};

		ev->have_sym = vmt_symbolize(&q, &ev->sym);
	}
}

static void json_hex(struct outbuf *o, const char *key, uint64_t v)
{
	out_json_key(o, key);
	out_char(o, '"');
	out_hex(o, v);
	out_char(o, '"');
}

void vmt_event_json(struct outbuf *o, const struct vmtrace_record *r,
		    const struct vmt_event *ev)
{
	if (ev->state) {
		json_hex(o, "guest_rip", r->u.g.guest_rip);
		json_hex(o, "guest_cr3", r->u.g.guest_cr3);
		out_json_key(o, "guest_mode");
		out_str(o, ev->user ? "\"user\"" : "\"kernel\"");
	}
	if (ev->task) {
		out_json_key(o, "guest_pid");
		out_u64(o, ev->task->pid);
		out_json_key(o, "guest_tid");
		out_u64(o, ev->task->tid);
		out_json_key(o, "guest_comm");
		out_json_str(o, ev->task->comm);
	}
	if (ev->have_sym) {
		out_json_key(o, "symbol");
		out_json_str(o, ev->sym.name);
		out_json_key(o, "symbol_offset");
		out_u64(o, ev->sym.offset);
	}
}

void vmt_lost_json(struct outbuf *o, const __u64 *lost)
{
	for (int c = 0; c < __VMTRACE_LOST_MAX; c++) {
		out_char(o, c ? ',' : '{');
		out_json_str(o, vmt_lost_cause_name(c));
		out_char(o, ':');
		out_u64(o, lost[c]);
	}
	out_char(o, '}');
}

const char *vmt_vm_name(const struct vmt_meta *m, uint32_t vm_id)
{
	const struct vmt_vm_meta *vm = vmt_meta_vm(m, vm_id);

	if (!vm)
		return "";
	return vm->name[0] ? vm->name : vm->comm;
}
