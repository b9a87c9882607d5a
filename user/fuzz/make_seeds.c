// SPDX-License-Identifier: GPL-2.0
/* Seed traces for the fuzzer: small, valid, every item kind, several
 * frames, with and without an end frame; written with the real writer. */
#include <stdio.h>
#include <string.h>
#include "trace/trace.h"
#include "trace/snapshot.h"
#include "trace/metrics_file.h"

/* One interval's metrics: a VM with an exit rate and two processes, to
 * the trace @w, or as the text of a metrics entry to @f. */
static void write_metrics(struct trace_writer *w, FILE *f, uint64_t seq)
{
	struct trace_snapshot_proc procs[2] = {
		{ .pid = 1, .uid = 0, .state = 'S', .comm = "init", .nr_threads = 1,
		  .acct_valid = true, .guest_cpu_pct = 0.5, .sample_cpu_pct = -1,
		  .rss_bytes = 4096, .rss_valid = true },
		{ .pid = 7, .ppid = 1, .uid = 1000, .state = 'R', .comm = "spin x",
		  .nr_threads = 2, .guest_cpu_pct = 99, .sample_cpu_pct = 97,
		  .flags = TRACE_SNAPSHOT_F_NEW_PROCESS | TRACE_SNAPSHOT_F_UID },
	};
	struct trace_snapshot_vm vm = {
		.id = { .vm_id = 1, .vmm_pid = 42, .comm = "qemu", .name = "vm",
			.uuid = "5c3a2f8e-7d41-4b6a-9e0f-1a2b3c4d5e6f", .nr_macs = 1,
			.macs = { "52:54:00:00:00:01" } },
		.hv_valid = true, .hv_cpu_pct = 101, .exits_per_s = 1500, .samples_per_s = 100,
		.nr_exit_rates = 1, .exit_rates = { { 0x78, "hlt", 1500 } },
		.guest_valid = true, .guest_status = "ok", .guest_cpu_pct = 99.5,
		.gap_valid = true, .cpu_gap_pct = 1.5, .nr_procs = 2, .procs = procs,
	};
	struct trace_snapshot s = { .seq = seq, .mono_ns = 1500000000ull + seq,
				 .real_ns = 1700000000000000000ull, .interval_s = 1,
				 .nr_vms = 1, .vms = &vm };

	if (w) {
		trace_write_metrics(w, &s);
	} else {
		trace_metrics_file_write_header(f);
		trace_metrics_file_write(f, &s);
	}
}

static int seed(const char *path, int nr_frames, bool end)
{
	struct trace_info info = {
		.tsc_hz = 2000000000ull, .clock = { 1000, 2000, 3000 }, .nr_cpus = 2,
		.vendor = VMTRACE_VENDOR_SVM, .host_kernel = "seed",
	};
	struct trace_vm_meta vm = { .vm_id = 1, .vmm_pid = 42, .comm = "qemu", .name = "vm",
				  .nr_macs = 1, .macs = { "52:54:00:00:00:01" } };
	struct trace_task_meta task = { .vm_id = 1, .pid = 7, .tid = 7, .cr3 = 0x1000,
				      .comm = "init" };
	struct trace_symbol_meta sym = { .vm_id = 1, .start = 0xffffffff81000000ull,
				       .size = 64, .name = "f" };
	struct trace_clock_pair clock = { 3000000000ull, 1500000000ull, 1500001000ull };
	struct trace_end_meta e = { .records = 1 };
	struct trace_writer_opts opts = { .max_frame_records = 8 };
	struct trace_writer *w;
	uint64_t tsc = 5000;

	if (trace_create(path, &info, &opts, &w))
		return 1;
	trace_write_vm(w, &vm);
	trace_write_task(w, &task);
	trace_write_symbol(w, &sym);
	trace_write_clock(w, &clock);
	write_metrics(w, NULL, 1);
	for (int i = 0; i < nr_frames * 8; i++) {
		struct vmtrace_record r = {
			.host_tsc = tsc += 1000 + i * 7, .guest_tsc = tsc + 5,
			.u.g = { .guest_rip = 0xffffffff81000000ull + i % 3, .guest_cr3 = 0x1000,
				 .guest_gs_base = 0xffff888000000000ull },
			.entry_delta = i % 5 ? 300 : VMTRACE_ENTRY_DELTA_UNKNOWN,
			.vm_id = 1, .vmm_pid = 42, .exit_reason = i % 2 ? 0x7b : 0x400,
			.host_cpu = i % 2, .vcpu = i % 2, .kind = 1 + i % 5,
			.vendor = VMTRACE_VENDOR_SVM, .mode = 0x48,
		};

		trace_write_records(w, &r, 1);
	}
	if (!end) {
		trace_flush(w);
		trace_abandon(w);
		return 0;
	}
	return trace_close(w, &e) != 0;
}

int main(int argc, char **argv)
{
	char path[512];
	int err = 0;
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "usage: make_seeds DIR\n");
		return 2;
	}
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/seed-%d.vmt", argv[1], i);
		err |= seed(path, i + 1, i != 1);
	}
	snprintf(path, sizeof(path), "%s/seed-metrics.txt", argv[1]);
	f = fopen(path, "w");
	if (!f)
		return 1;
	write_metrics(NULL, f, 1);
	return err | (fclose(f) != 0);
}
