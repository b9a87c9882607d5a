// SPDX-License-Identifier: GPL-2.0
/* Seed traces for the fuzzer: small, valid, every item kind, several
 * frames, with and without an end frame; written with the real writer. */
#include <stdio.h>
#include <string.h>
#include "trace.h"

static int seed(const char *path, int nr_frames, bool end)
{
	struct vmt_trace_info info = {
		.tsc_hz = 2000000000ull, .clock = { 1000, 2000, 3000 }, .nr_cpus = 2,
		.vendor = VMTRACE_VENDOR_SVM, .host_kernel = "seed",
	};
	struct vmt_vm_meta vm = { .vm_id = 1, .vmm_pid = 42, .comm = "qemu", .name = "vm",
				  .nr_macs = 1, .macs = { "52:54:00:00:00:01" } };
	struct vmt_task_meta task = { .vm_id = 1, .pid = 7, .tid = 7, .cr3 = 0x1000,
				      .comm = "init" };
	struct vmt_symbol_meta sym = { .vm_id = 1, .start = 0xffffffff81000000ull,
				       .size = 64, .name = "f" };
	struct vmt_clock_pair clock = { 3000000000ull, 1500000000ull, 1500001000ull };
	struct vmt_end_meta e = { .records = 1 };
	struct vmt_writer_opts opts = { .max_frame_records = 8 };
	struct vmt_trace_writer *w;
	uint64_t tsc = 5000;

	if (vmt_trace_create(path, &info, &opts, &w))
		return 1;
	vmt_trace_write_vm(w, &vm);
	vmt_trace_write_task(w, &task);
	vmt_trace_write_symbol(w, &sym);
	vmt_trace_write_clock(w, &clock);
	for (int i = 0; i < nr_frames * 8; i++) {
		struct vmtrace_record r = {
			.host_tsc = tsc += 1000 + i * 7, .guest_tsc = tsc + 5,
			.u.g = { 0xffffffff81000000ull + i % 3, 0x1000, 0xffff888000000000ull },
			.entry_delta = i % 5 ? 300 : VMTRACE_ENTRY_DELTA_UNKNOWN,
			.vm_id = 1, .vmm_pid = 42, .exit_reason = i % 2 ? 0x7b : 0x400,
			.host_cpu = i % 2, .vcpu = i % 2, .kind = 1 + i % 5,
			.vendor = VMTRACE_VENDOR_SVM, .mode = 0x48,
		};

		vmt_trace_write_records(w, &r, 1);
	}
	if (!end) {
		vmt_trace_flush(w);
		vmt_trace_abandon(w);
		return 0;
	}
	return vmt_trace_close(w, &e) != 0;
}

int main(int argc, char **argv)
{
	char path[512];
	int err = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: make_seeds DIR\n");
		return 2;
	}
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/seed-%d.vmt", argv[1], i);
		err |= seed(path, i + 1, i != 1);
	}
	return err;
}
