// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: any bytes as a .vmt file.  The reader must never
 * crash, hang or read out of bounds; whatever it returns must be
 * consistent (record counts as the frame said, metadata strings
 * terminated), and the analysis of the records (times, tasks, symbols,
 * exit timing) must cope with any values.
 */
#include <stdio.h>
#include <string.h>
#include "exit_timing.h"
#include "trace.h"
#include "trace_meta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
