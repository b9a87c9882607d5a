/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The on-disk layout of .vmt files, shared by trace/write.c and
 * trace/read.c.  Documentation/trace-format.rst is the specification;
 * keep the two in step.  Everything is little-endian.
 */
#ifndef TRACE_FORMAT_H
#define TRACE_FORMAT_H

#include <stdint.h>
#include "util/bytes.h"
#include "trace/trace.h"

#define TRACE_FILE_MAGIC "VMTRACE\x1a"	/* \x1a: stops `type` on DOS, as PNG's */
#define TRACE_FRAME_MAGIC "VMTF"

/*
 * The file header.  header_size lets a later version append fields: a
 * reader takes the fields it knows and skips to header_size.  crc covers
 * every byte of the header before it.
 */
struct trace_file_header {
	char magic[8];
	uint32_t version;		/* TRACE_VERSION */
	uint32_t header_size;		/* sizeof(struct trace_file_header) */
	uint32_t record_format;		/* VMTRACE_FORMAT_VERSION */
	uint32_t record_size;		/* VMTRACE_RECORD_SIZE */
	uint64_t tsc_hz;
	uint64_t clock_tsc, clock_mono_ns, clock_real_ns;
	uint32_t nr_cpus;
	uint32_t vendor;
	uint32_t sample_hz, sample_source, cfg_flags, ring_size;
	char host_kernel[128];
	char hostname[64];
	char cpu_model[64];
	char cpu_vendor[16];
	char module_version[32];
	char collector[32];
	uint32_t nr_exit_filters;
	char backend[16];		/* since 440-byte headers */
	uint32_t crc;
} __attribute__((packed));

_Static_assert(sizeof(struct trace_file_header) == 440, "header layout");

/* The first header, without backend: readers take files from this size. */
#define VMT_FILE_HEADER_SIZE_V1 424

enum trace_frame_type {
	TRACE_FRAME_DATA = 1,		/* one column block of records */
	TRACE_FRAME_META = 2,		/* metadata entries */
	TRACE_FRAME_END = 3,		/* one END entry: a clean close */
};

#define TRACE_FRAME_F_ZSTD 0x01		/* payload is one zstd frame */

/*
 * Every frame: this header, then size bytes of payload.  crc covers the
 * header bytes before it, so a reader trusts size only if crc matches,
 * and otherwise looks for the next magic with a good crc.
 */
struct trace_frame_header {
	char magic[4];
	uint8_t type;			/* enum trace_frame_type */
	uint8_t flags;			/* VMT_FRAME_F_* */
	uint16_t reserved;
	uint32_t seq;			/* 0, 1, 2, ... in file order */
	uint32_t size;			/* payload bytes on disk */
	uint32_t raw_size;		/* payload bytes decompressed */
	uint32_t count;			/* records (data) or entries */
	uint64_t first_tsc, last_tsc;	/* of the records (data frames) */
	uint32_t crc;
} __attribute__((packed));

_Static_assert(sizeof(struct trace_frame_header) == 44, "frame header layout");

/* The largest compressed payload a reader accepts. */
#define TRACE_FRAME_MAX_SIZE (TRACE_FRAME_MAX_RAW + (TRACE_FRAME_MAX_RAW >> 7) + 4096)

/* Metadata entries: u8 type, varint body length, body.  Unknown types
 * are skipped; a body longer than the fields a reader knows is fine. */
enum trace_entry_type {
	TRACE_ENTRY_VM = 1,
	TRACE_ENTRY_TASK = 2,
	TRACE_ENTRY_SYMBOL = 3,
	TRACE_ENTRY_CLOCK = 4,
	TRACE_ENTRY_END = 5,
	TRACE_ENTRY_METRICS = 6,
};

/* Column block codec (trace/codec.c).  Every block starts afresh, so any
 * frame decodes on its own. */
#define TRACE_MAX_PLANES 32

/* Where each plane of an encoded block ends, as offsets in the output
 * buffer: the writer starts a new zstd block at the big ones. */
struct trace_block_planes {
	size_t nr;
	size_t end[TRACE_MAX_PLANES];
};

void trace_block_encode(struct util_buf *out, const struct vmtrace_record *recs,
		      size_t n, struct trace_block_planes *planes);
/* Exactly @n records from [p, p + len): 0, or -EBADMSG if the bytes are
 * not a well-formed block of @n records. */
int trace_block_decode(const void *p, size_t len, struct vmtrace_record *recs,
		     size_t n);

/* Metadata entries (trace/codec.c): the encoders append a whole entry;
 * trace_entry_decode() parses one body of @type into @item (1), returns 0
 * for unknown types, -EBADMSG for a malformed body. */
void trace_entry_encode_vm(struct util_buf *b, const struct trace_vm_meta *vm);
void trace_entry_encode_task(struct util_buf *b, const struct trace_task_meta *t);
void trace_entry_encode_symbol(struct util_buf *b, const struct trace_symbol_meta *s);
void trace_entry_encode_clock(struct util_buf *b, const struct trace_clock_pair *c);
void trace_entry_encode_end(struct util_buf *b, const struct trace_end_meta *e);
int trace_entry_decode(unsigned int type, struct util_cursor *body,
		     struct trace_item *item);

/* The interval metrics entry (trace/metrics.c): one snapshot as the lines
 * of a metrics file (trace/metrics_file.h).  Encoding appends nothing when it fails
 * (-ENOMEM, -E2BIG): a lost snapshot must not cost the frame.  Decoding
 * fills @out (the caller's, to trace_snapshot_free()) and returns 1; 0 for a
 * snapshot of a later metrics version (skipped as unknown); -EBADMSG,
 * -ENOMEM. */
int trace_entry_encode_metrics(struct util_buf *b, const struct trace_snapshot *s);
int trace_entry_decode_metrics(struct util_cursor *body, struct trace_snapshot *out);

#endif
