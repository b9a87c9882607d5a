// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: any bytes as a .vmt file.  The reader must never
 * crash, hang or read out of bounds; whatever it returns must be
 * consistent (record counts as the frame said, metadata strings
 * terminated, interval metrics within their bounds), and the analysis of the records (times, tasks, symbols,
 * exit timing) must cope with any values.
 */
#include <stdio.h>
#include <string.h>
#include "trace/exit_timing.h"
#include "trace/trace.h"
#include "trace/format.h"
#include "trace/meta.h"
#include "trace/snapshot.h"
#include "trace/metrics_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A snapshot as the reader returns it: bounded, strings terminated, and
 * good for the lookups and copies the reports make. */
static void check_metrics(const struct vv_snapshot *s)
{
	struct vv_snapshot copy;

	if (s->nr_vms > VV_FILE_MAX_VMS || (s->nr_vms && !s->vms))
		__builtin_trap();
	for (size_t i = 0; i < s->nr_vms; i++) {
		const struct vv_vm *vm = &s->vms[i];
		char label[64];

		if (vm->nr_procs > VV_FILE_MAX_PROCS || vm->nr_exit_rates > VV_MAX_EXIT_REASONS ||
		    vm->id.nr_macs > VMT_MAX_MACS || (vm->flags & ~VV_F_ALL) ||
		    strnlen(vm->id.name, sizeof(vm->id.name)) == sizeof(vm->id.name) ||
		    strnlen(vm->guest_status, sizeof(vm->guest_status)) == sizeof(vm->guest_status))
			__builtin_trap();
		vv_vm_label(vm, label, sizeof(label));
		vv_vm_matches(vm, "id:1");
		for (size_t j = 0; j < vm->nr_procs; j++) {
			const struct vv_proc *p = &vm->procs[j];

			if (strnlen(p->comm, sizeof(p->comm)) == sizeof(p->comm) ||
			    (j && p->pid < vm->procs[j - 1].pid) || vv_find_proc(vm, p->pid) == NULL)
				__builtin_trap();
		}
	}
	if (!vv_snapshot_copy(&copy, s))
		vv_snapshot_free(&copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vmt_trace_reader *r;
	struct vmt_exit_timer *timer;
	struct vmt_meta *meta;
	struct vmt_item it;
	char why[160];
	FILE *f;

	if (!size)
		return 0;	/* fmemopen refuses it; cli_test covers it */
	/* A metrics entry's body alone: inside a trace, zstd's checksum
	 * keeps mutations from ever reaching its parser. */
	if (size >= strlen(VV_FILE_MAGIC) && !memcmp(data, VV_FILE_MAGIC, strlen(VV_FILE_MAGIC))) {
		struct vmt_cursor body = vmt_cursor(data, size);
		struct vv_snapshot snap;

		if (vmt_entry_decode_metrics(&body, &snap) > 0)
			check_metrics(&snap);
		vv_snapshot_free(&snap);
		return 0;
	}
	f = fmemopen((void *)data, size, "r");
	if (!f)
		return 0;
	if (vmt_trace_open_stream(f, &r, why, sizeof(why))) {
		if (!memchr(why, '\0', sizeof(why)))
			__builtin_trap();
		return 0;
	}
	if (vmt_meta_load(r, &meta)) {
		vmt_trace_close_reader(r);
		return 0;
	}
	if (vmt_exit_timer_new(&timer)) {
		vmt_meta_free(meta);
		vmt_trace_close_reader(r);
		return 0;
	}
	while (vmt_trace_next(r, &it) > 0) {
		struct vmt_timed_exit done;

		switch (it.type) {
		case VMT_ITEM_RECORDS:
			if (!it.records.n || it.records.n > VMT_FRAME_MAX_RECORDS)
				__builtin_trap();
			for (size_t i = 0; i < it.records.n; i++) {
				const struct vmtrace_record *rec = &it.records.recs[i];

				vmt_meta_mono_ns(meta, rec->host_tsc);
				vmt_meta_task(meta, rec->vm_id, rec->u.g.guest_cr3,
					      rec->u.g.guest_gs_base, rec->host_tsc);
				vmt_meta_symbol(meta, rec->vm_id, rec->u.g.guest_rip);
				vmt_exit_timer_feed(timer, rec, NULL, &done);
			}
			break;
		case VMT_ITEM_VM:
			if (strnlen(it.vm.name, sizeof(it.vm.name)) == sizeof(it.vm.name) ||
			    it.vm.nr_macs > VMT_MAX_MACS)
				__builtin_trap();
			break;
		case VMT_ITEM_SYMBOL:
			if (strnlen(it.symbol.name, sizeof(it.symbol.name)) == sizeof(it.symbol.name))
				__builtin_trap();
			break;
		case VMT_ITEM_METRICS:
			check_metrics(it.metrics);
			break;
		default:
			break;
		}
	}
	vmt_trace_damage(r);
	vmt_exit_timer_free(timer);
	vmt_meta_free(meta);
	vmt_trace_close_reader(r);
	return 0;
}
