/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmtrace trace files (.vmt): the writer and the reader.
 * Documentation/trace-format.rst describes the bytes; this is the API.
 *
 * A trace is a header (host, CPU, TSC frequency, a TSC/clock pair, the
 * recording's configuration) and then frames, each one zstd frame (with
 * its content checksum) inside a small container whose own header has a
 * CRC.  Data frames hold struct vmtrace_record exactly as the module
 * produced them (every kind), encoded in columns; metadata frames hold
 * what the collector learnt on the side (VMs, guest tasks, guest symbols,
 * TSC/clock pairs, interval metrics of both sides); an end frame marks a
 * trace closed cleanly.  Frames are closed every TRACE_FRAME_MAX_RECORDS
 * records and every second, so a killed collector loses at most the last
 * second, and a reader resynchronises after a damaged frame.
 *
 * Every function returns 0 (or a count) or -errno.
 */
#ifndef TRACE_TRACE_H
#define TRACE_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/vmtrace.h>

/* The file format version this code writes and the newest it reads. */
#define TRACE_VERSION 1

/* A data frame holds at most this many records (4 MiB of raw records). */
#define TRACE_FRAME_MAX_RECORDS 65536
/* A frame's decompressed payload is never larger than this. */
#define TRACE_FRAME_MAX_RAW (16U << 20)

/* Fixed-size strings of the header and metadata: NUL-terminated, cut. */
#define TRACE_COMM_LEN 16
#define TRACE_NAME_LEN 128
#define TRACE_UUID_LEN 40
#define TRACE_MAC_LEN 18
#define TRACE_MAX_MACS 8
#define TRACE_SYMBOL_LEN 256
#define TRACE_GUEST_LEN 384

/* One simultaneous reading of the host TSC and both clocks. */
struct trace_clock_pair {
	uint64_t tsc;
	uint64_t mono_ns;	/* CLOCK_MONOTONIC */
	uint64_t real_ns;	/* CLOCK_REALTIME */
};

/* What the header says.  The writer takes it; the reader fills it. */
struct trace_info {
	uint32_t version;		/* file format (reader: as found) */
	uint32_t record_format;		/* VMTRACE_FORMAT_VERSION of records */
	uint64_t tsc_hz;		/* host TSC frequency, never 0 */
	struct trace_clock_pair clock;	/* when the trace was created */
	uint32_t nr_cpus;		/* host CPUs (possible) */
	uint32_t vendor;		/* enum vmtrace_vendor of the host */
	/* The recording's configuration, as START was given it. */
	uint32_t sample_hz, sample_source, cfg_flags, ring_size;
	uint32_t nr_exit_filters;	/* exit reasons filtered on (0: all) */
	char host_kernel[128];		/* uname -r, then uname -v */
	char hostname[64];
	char cpu_model[64];		/* /proc/cpuinfo "model name" */
	char cpu_vendor[16];		/* /proc/cpuinfo "vendor_id" */
	char module_version[32];	/* vmtrace.ko's; "" on the BPF backend */
	char collector[32];		/* the writer's name and version */
	char backend[16];		/* what recorded: "module" or "bpf" */
};

/* A VM the collector saw (at its VM_NEW record), with what its VMM told. */
struct trace_vm_meta {
	uint32_t vm_id, vmm_pid, vendor, nr_vcpus;
	uint64_t seen_tsc;		/* host TSC of the VM_NEW record */
	char comm[TRACE_COMM_LEN];	/* the VMM's /proc/PID/comm */
	char name[TRACE_NAME_LEN];	/* e.g. QEMU's -name; "" if unknown */
	char uuid[TRACE_UUID_LEN];	/* e.g. QEMU's -uuid; "" if unknown */
	uint32_t nr_macs;
	char macs[TRACE_MAX_MACS][TRACE_MAC_LEN];	/* "52:54:00:12:34:56" */
	/* What guest introspection found (guest/guest.h): the guest kernel, its
	 * profile and KASLR slides; or why it names no guest task.  "" if
	 * it did not look (a later entry for the VM may say). */
	char guest[TRACE_GUEST_LEN];
};

/*
 * A guest task, as guest introspection found it: from host TSC
 * valid_from_tsc on (until a later entry for the same key), guest code
 * running under (vm_id, cr3) and, if gs_base is not 0, with that kernel GS
 * base (the vCPU's per-CPU area, telling threads apart) is this task.
 */
struct trace_task_meta {
	uint32_t vm_id;
	uint32_t pid, tid;		/* the guest's tgid and pid */
	uint64_t cr3;			/* as the records carry it */
	uint64_t gs_base;		/* 0: any */
	uint64_t valid_from_tsc;
	char comm[TRACE_COMM_LEN];	/* the process's (its leader's) */
	char thread_comm[TRACE_COMM_LEN];	/* the thread's; "" if unknown */
};

/* A guest symbol: [start, start + size) of VM vm_id's kernel is name. */
struct trace_symbol_meta {
	uint32_t vm_id;
	uint64_t start, size;
	char name[TRACE_SYMBOL_LEN];
};

/* The end frame: what the collector counted, for the reader's summary. */
struct trace_end_meta {
	uint64_t end_tsc;
	uint64_t records;			/* records written, all kinds */
	uint64_t lost[__VMTRACE_LOST_MAX];	/* from the LOST markers */
	/* The module's own totals at the end (GET_STATUS), if known. */
	bool have_module_totals;
	uint64_t produced, drained, module_lost;
};

/* One interval's both-sides view of the VMs (trace/snapshot.h): record stores one
 * per interval (--metrics-interval). */
struct trace_snapshot;

/* ------------------------------------------------------------------ */
/* Writing */

struct trace_writer;

struct trace_writer_opts {
	int level;			/* zstd level; 0: 3 */
	uint32_t max_frame_records;	/* 0: TRACE_FRAME_MAX_RECORDS */
	uint32_t max_frame_ms;		/* 0: 1000 */
};

struct trace_writer_stats {
	uint64_t records;		/* all kinds */
	uint64_t by_kind[8];		/* indexed by enum vmtrace_kind */
	uint64_t lost[__VMTRACE_LOST_MAX];
	uint64_t frames;
	uint64_t file_bytes;		/* written so far, header included */
};

/* Create (truncate) @path and write the header.  On failure nothing is
 * left behind. */
int trace_create(const char *path, const struct trace_info *info,
		     const struct trace_writer_opts *opts,
		     struct trace_writer **out);
/* Records in the order they should be read back (time order). */
int trace_write_records(struct trace_writer *w,
			    const struct vmtrace_record *recs, size_t n);
int trace_write_vm(struct trace_writer *w, const struct trace_vm_meta *vm);
int trace_write_task(struct trace_writer *w,
			 const struct trace_task_meta *task);
int trace_write_symbol(struct trace_writer *w,
			   const struct trace_symbol_meta *sym);
int trace_write_clock(struct trace_writer *w,
			  const struct trace_clock_pair *clock);
/* One snapshot, as the lines of a metrics file (trace/metrics_file.h). */
int trace_write_metrics(struct trace_writer *w, const struct trace_snapshot *s);
/* Close the open frames whose first entry is older than max_frame_ms. */
int trace_poll(struct trace_writer *w);
/* Close every open frame now. */
int trace_flush(struct trace_writer *w);
void trace_writer_stats(const struct trace_writer *w,
			    struct trace_writer_stats *st);
/* Flush, write the end frame (if @end), close.  Frees @w in all cases. */
int trace_close(struct trace_writer *w, const struct trace_end_meta *end);
/* Close without an end frame, as a killed writer would leave the file
 * (for tests).  Frees @w. */
void trace_abandon(struct trace_writer *w);

/* ------------------------------------------------------------------ */
/* Reading */

struct trace_reader;

enum trace_item_type {
	TRACE_ITEM_RECORDS = 1,
	TRACE_ITEM_VM,
	TRACE_ITEM_TASK,
	TRACE_ITEM_SYMBOL,
	TRACE_ITEM_CLOCK,
	TRACE_ITEM_END,
	TRACE_ITEM_METRICS,
};

struct trace_item {
	enum trace_item_type type;
	union {
		struct {
			const struct vmtrace_record *recs; /* valid until the next call */
			size_t n;
		} records;
		struct trace_vm_meta vm;
		struct trace_task_meta task;
		struct trace_symbol_meta symbol;
		struct trace_clock_pair clock;
		struct trace_end_meta end;
		/* The reader's, valid until the next call (trace_snapshot_copy()
		 * to keep it); processes by pid. */
		const struct trace_snapshot *metrics;
	};
};

/* What was wrong with the frames read so far. */
struct trace_damage {
	uint64_t good_frames;		/* frames read whole (not damage) */
	uint64_t bad_frames;		/* frames skipped: CRC, zstd, content */
	uint64_t bad_bytes;		/* bytes skipped with them */
	uint64_t tail_bytes;		/* bytes at the end not usable (an
					 * incomplete frame: the writer died) */
	uint64_t missing_frames;	/* gaps in the frame sequence numbers */
	uint64_t trailing_bytes;	/* bytes after the end frame */
	bool clean_end;			/* the end frame was read */
	char first_problem[160];	/* "frame 12 at offset 4096: ..." */
};

/*
 * Open @path and check its header.  On failure -errno and, in @why, what
 * is wrong in a few words ("empty file", "not a vmtrace trace", "corrupt
 * header", "format version 3 is newer than this reader's (1)", or the
 * system error): -ENODATA empty or truncated header, -EMEDIUMTYPE foreign,
 * -EBADMSG corrupt, -EPROTONOSUPPORT newer, or the error of open/read.
 */
int trace_open(const char *path, struct trace_reader **out,
		   char *why, size_t why_size);
/* The same over an open stream (seekable; the reader closes it). */
int trace_open_stream(FILE *f, struct trace_reader **out,
			  char *why, size_t why_size);
const struct trace_info *trace_info(const struct trace_reader *r);

/* Item masks for trace_set_filter(): 1 << VMT_ITEM_*. */
#define TRACE_ITEMS_ALL (~0U)
#define TRACE_ITEMS_META (~(1U << TRACE_ITEM_RECORDS))
/* Read only these items; data frames are then skipped undecompressed. */
void trace_set_filter(struct trace_reader *r, unsigned int mask);

/* The next item in file order: 1, 0 at the end, or -errno (-EIO, -ENOMEM:
 * the file itself cannot be read further).  Damaged frames are skipped and
 * counted, not returned as errors. */
int trace_next(struct trace_reader *r, struct trace_item *item);
/* Back to the first frame; damage counts start again. */
int trace_rewind(struct trace_reader *r);
const struct trace_damage *trace_damage(const struct trace_reader *r);
/* Size of the file and offset of the next frame (for progress and tests). */
uint64_t trace_file_size(const struct trace_reader *r);
void trace_close_reader(struct trace_reader *r);

/* Names for enum vmtrace_kind ("exit", "sample", "lost", "vm_new",
 * "vm_gone"), NULL if unknown. */
const char *trace_kind_name(unsigned int kind);

#endif /* TRACE_TRACE_H */
