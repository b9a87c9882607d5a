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
static void check_metrics(const struct trace_snapshot *s)
{
	struct trace_snapshot copy;

	if (s->nr_vms > TRACE_METRICS_FILE_MAX_VMS || (s->nr_vms && !s->vms))
		__builtin_trap();
	for (size_t i = 0; i < s->nr_vms; i++) {
		const struct trace_snapshot_vm *vm = &s->vms[i];
		char label[64];

		if (vm->nr_procs > TRACE_METRICS_FILE_MAX_PROCS || vm->nr_exit_rates > TRACE_SNAPSHOT_MAX_EXIT_REASONS ||
		    vm->id.nr_macs > TRACE_MAX_MACS || (vm->flags & ~TRACE_SNAPSHOT_F_ALL) ||
		    strnlen(vm->id.name, sizeof(vm->id.name)) == sizeof(vm->id.name) ||
		    strnlen(vm->guest_status, sizeof(vm->guest_status)) == sizeof(vm->guest_status))
			__builtin_trap();
		trace_snapshot_vm_label(vm, label, sizeof(label));
		trace_snapshot_vm_matches(vm, "id:1");
		for (size_t j = 0; j < vm->nr_procs; j++) {
			const struct trace_snapshot_proc *p = &vm->procs[j];

			if (strnlen(p->comm, sizeof(p->comm)) == sizeof(p->comm) ||
			    (j && p->pid < vm->procs[j - 1].pid) || trace_snapshot_find_proc(vm, p->pid) == NULL)
				__builtin_trap();
		}
	}
	if (!trace_snapshot_copy(&copy, s))
		trace_snapshot_free(&copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trace_reader *r;
	struct trace_exit_timer *timer;
	struct trace_meta *meta;
	struct trace_item it;
	char why[160];
	FILE *f;

	if (!size)
		return 0;	/* fmemopen refuses it; cli_test covers it */
	/* A metrics entry's body alone: inside a trace, zstd's checksum
	 * keeps mutations from ever reaching its parser. */
	if (size >= strlen(TRACE_METRICS_FILE_MAGIC) && !memcmp(data, TRACE_METRICS_FILE_MAGIC, strlen(TRACE_METRICS_FILE_MAGIC))) {
		struct util_cursor body = util_cursor(data, size);
		struct trace_snapshot snap;

		if (trace_entry_decode_metrics(&body, &snap) > 0)
			check_metrics(&snap);
		trace_snapshot_free(&snap);
		return 0;
	}
	f = fmemopen((void *)data, size, "r");
	if (!f)
		return 0;
	if (trace_open_stream(f, &r, why, sizeof(why))) {
		if (!memchr(why, '\0', sizeof(why)))
			__builtin_trap();
		return 0;
	}
	if (trace_meta_load(r, &meta)) {
		trace_close_reader(r);
		return 0;
	}
	if (trace_exit_timer_new(&timer)) {
		trace_meta_free(meta);
		trace_close_reader(r);
		return 0;
	}
	while (trace_next(r, &it) > 0) {
		struct trace_timed_exit done;

		switch (it.type) {
		case TRACE_ITEM_RECORDS:
			if (!it.records.n || it.records.n > TRACE_FRAME_MAX_RECORDS)
				__builtin_trap();
			for (size_t i = 0; i < it.records.n; i++) {
				const struct vmtrace_record *rec = &it.records.recs[i];

				trace_meta_mono_ns(meta, rec->host_tsc);
				trace_meta_task(meta, rec->vm_id, rec->u.g.guest_cr3,
					      rec->u.g.guest_gs_base, rec->host_tsc);
				trace_meta_symbol(meta, rec->vm_id, rec->u.g.guest_rip);
				trace_exit_timer_feed(timer, rec, NULL, &done);
			}
			break;
		case TRACE_ITEM_VM:
			if (strnlen(it.vm.name, sizeof(it.vm.name)) == sizeof(it.vm.name) ||
			    it.vm.nr_macs > TRACE_MAX_MACS)
				__builtin_trap();
			break;
		case TRACE_ITEM_SYMBOL:
			if (strnlen(it.symbol.name, sizeof(it.symbol.name)) == sizeof(it.symbol.name))
				__builtin_trap();
			break;
		case TRACE_ITEM_METRICS:
			check_metrics(it.metrics);
			break;
		default:
			break;
		}
	}
	trace_damage(r);
	trace_exit_timer_free(timer);
	trace_meta_free(meta);
	trace_close_reader(r);
	return 0;
}
