// SPDX-License-Identifier: GPL-2.0
/*
 * Reading .vmt files: check the header, then walk the frames in file
 * order.  A frame whose container header fails its CRC is looked past:
 * the reader searches for the next frame magic with a good CRC and goes on
 * from there.  A frame whose header is good but whose payload does not
 * decompress, fails zstd's checksum or does not decode is skipped whole.
 * Bytes at the end that do not make a complete frame (a writer killed
 * mid-write) are counted, never returned.  Nothing damaged is ever
 * returned: every record comes from a frame that checked out.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "util/crc32.h"
#include "trace/format.h"
#include "trace/snapshot.h"
#include "util/zstd_errno.h"

/* The largest header a later version may write (sanity bound). */
#define MAX_HEADER_SIZE 65536
#define SCAN_WINDOW (1U << 20)

struct trace_reader {
	FILE *f;
	uint64_t file_size;
	uint64_t data_start;		/* first frame */
	uint64_t pos;			/* next frame header */
	struct trace_info info;
	unsigned int filter;		/* 1 << VMT_ITEM_* */
	ZSTD_DCtx *dctx;
	struct util_buf packed, raw;
	struct vmtrace_record *recs;
	size_t recs_cap;
	struct util_cursor meta;		/* entries left of a metadata frame */
	struct trace_snapshot metrics;	/* the last metrics item returned */
	uint32_t meta_seq;
	uint64_t meta_offset;
	uint32_t next_seq;
	bool seen_frame;
	bool ended;
	struct trace_damage damage;
};

const char *trace_kind_name(unsigned int kind)
{
	switch (kind) {
	case VMTRACE_KIND_EXIT: return "exit";
	case VMTRACE_KIND_SAMPLE: return "sample";
	case VMTRACE_KIND_LOST: return "lost";
	case VMTRACE_KIND_VM_NEW: return "vm_new";
	case VMTRACE_KIND_VM_GONE: return "vm_gone";
	}
	return NULL;
}

/* Read exactly @n bytes at @off: 0, -ENODATA if the file ends first. */
static int read_at(struct trace_reader *r, uint64_t off, void *buf, size_t n)
{
	if (fseeko(r->f, off, SEEK_SET))
		return -errno;
	if (fread(buf, 1, n, r->f) != n)
		return ferror(r->f) ? -EIO : -ENODATA;
	return 0;
}

static void copy_field(char *dst, size_t size, const char *src, size_t src_size)
{
	size_t n = strnlen(src, src_size);

	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static int header_newer(uint32_t version, char *why, size_t why_size)
{
	snprintf(why, why_size, "format version %u is newer than this reader's (%u)",
		 version, TRACE_VERSION);
	return -EPROTONOSUPPORT;
}

/*
 * The header's start: a trace file at all, a sane header size and the
 * whole header there.  0 with as much of @h read as the file has (a
 * shorter header's @h goes on into the frames), or -errno with @why.
 */
static int read_header_start(struct trace_reader *r, struct trace_file_header *h,
			     char *why, size_t why_size)
{
	size_t got;

	if (fseeko(r->f, 0, SEEK_END) || (int64_t)(r->file_size = ftello(r->f)) < 0 ||
	    fseeko(r->f, 0, SEEK_SET)) {
		snprintf(why, why_size, "cannot seek: %s", strerror(errno));
		return -errno;
	}
	got = fread(h, 1, sizeof(*h), r->f);
	if (ferror(r->f)) {
		snprintf(why, why_size, "read error");
		return -EIO;
	}
	if (!got) {
		snprintf(why, why_size, "empty file");
		return -ENODATA;
	}
	if (memcmp(h->magic, TRACE_FILE_MAGIC, got < 8 ? got : 8)) {
		snprintf(why, why_size, "not a vmtrace trace file");
		return -EMEDIUMTYPE;
	}
	if (got < offsetof(struct trace_file_header, record_format)) {
		snprintf(why, why_size, "truncated header (%zu bytes)", got);
		return -ENODATA;
	}
	if (h->header_size < VMT_FILE_HEADER_SIZE_V1 || h->header_size > MAX_HEADER_SIZE) {
		if (h->version > TRACE_VERSION)
			return header_newer(h->version, why, why_size);
		snprintf(why, why_size, "corrupt header (size %u)", h->header_size);
		return -EBADMSG;
	}
	if (r->file_size < h->header_size) {
		snprintf(why, why_size, "truncated header (%llu of %u bytes)",
			 (unsigned long long)r->file_size, h->header_size);
		return -ENODATA;
	}
	return 0;
}

/* The CRC is the header's last 4 bytes, whatever its version. */
static int check_header_crc(struct trace_reader *r, uint32_t header_size,
			    char *why, size_t why_size)
{
	uint8_t *full;
	uint32_t crc;
	int err;

	full = malloc(header_size);
	if (!full)
		return -ENOMEM;
	err = read_at(r, 0, full, header_size);
	if (err) {
		free(full);
		snprintf(why, why_size, "read error");
		return err == -ENODATA ? -EIO : err;
	}
	memcpy(&crc, full + header_size - 4, 4);
	err = crc != util_crc32(0, full, header_size - 4);
	free(full);
	if (err) {
		snprintf(why, why_size, "corrupt header (checksum mismatch)");
		return -EBADMSG;
	}
	return 0;
}

/* A header whose CRC checked out: of a version and format this reader reads? */
static int check_header_version(const struct trace_file_header *h, char *why,
				size_t why_size)
{
	if (h->version > TRACE_VERSION)
		return header_newer(h->version, why, why_size);
	if (h->version == 0 || h->record_size != VMTRACE_RECORD_SIZE || !h->tsc_hz) {
		snprintf(why, why_size, "corrupt header (version %u, record size %u, TSC %llu Hz)",
			 h->version, h->record_size, (unsigned long long)h->tsc_hz);
		return -EBADMSG;
	}
	if (h->record_format > VMTRACE_FORMAT_VERSION) {
		snprintf(why, why_size, "record format %u is newer than this reader's (%u)",
			 h->record_format, VMTRACE_FORMAT_VERSION);
		return -EPROTONOSUPPORT;
	}
	return 0;
}

/* The checked header into r->info; the frames start after it. */
static void header_to_info(struct trace_reader *r, const struct trace_file_header *h)
{
	r->info = (struct trace_info){
		.version = h->version,
		.record_format = h->record_format,
		.tsc_hz = h->tsc_hz,
		.clock = { h->clock_tsc, h->clock_mono_ns, h->clock_real_ns },
		.nr_cpus = h->nr_cpus,
		.vendor = h->vendor,
		.sample_hz = h->sample_hz,
		.sample_source = h->sample_source,
		.cfg_flags = h->cfg_flags,
		.ring_size = h->ring_size,
		.nr_exit_filters = h->nr_exit_filters,
	};
	copy_field(r->info.host_kernel, sizeof(r->info.host_kernel), h->host_kernel,
		   sizeof(h->host_kernel));
	copy_field(r->info.hostname, sizeof(r->info.hostname), h->hostname, sizeof(h->hostname));
	copy_field(r->info.cpu_model, sizeof(r->info.cpu_model), h->cpu_model, sizeof(h->cpu_model));
	copy_field(r->info.cpu_vendor, sizeof(r->info.cpu_vendor), h->cpu_vendor,
		   sizeof(h->cpu_vendor));
	copy_field(r->info.module_version, sizeof(r->info.module_version), h->module_version,
		   sizeof(h->module_version));
	copy_field(r->info.collector, sizeof(r->info.collector), h->collector, sizeof(h->collector));
	/* A shorter header predates the BPF backend: the module recorded it. */
	if (h->header_size >= sizeof(*h))
		copy_field(r->info.backend, sizeof(r->info.backend), h->backend,
			   sizeof(h->backend));
	if (!r->info.backend[0])
		snprintf(r->info.backend, sizeof(r->info.backend), "module");
	r->data_start = r->pos = h->header_size;
}

static int check_header(struct trace_reader *r, char *why, size_t why_size)
{
	struct trace_file_header h;
	int err;

	err = read_header_start(r, &h, why, why_size);
	if (!err)
		err = check_header_crc(r, h.header_size, why, why_size);
	if (!err)
		err = check_header_version(&h, why, why_size);
	if (err)
		return err;
	header_to_info(r, &h);
	return 0;
}

int trace_open_stream(FILE *f, struct trace_reader **out, char *why,
			  size_t why_size)
{
	struct trace_reader *r = calloc(1, sizeof(*r));
	char scratch[8];
	int err;

	if (!why || !why_size) {
		why = scratch;
		why_size = sizeof(scratch);
	}
	why[0] = '\0';
	if (!r) {
		fclose(f);
		snprintf(why, why_size, "out of memory");
		return -ENOMEM;
	}
	r->f = f;
	r->filter = TRACE_ITEMS_ALL;
	err = check_header(r, why, why_size);
	if (!err) {
		r->dctx = ZSTD_createDCtx();
		if (!r->dctx) {
			snprintf(why, why_size, "out of memory");
			err = -ENOMEM;
		}
	}
	if (err) {
		trace_close_reader(r);
		return err;
	}
	*out = r;
	return 0;
}

int trace_open(const char *path, struct trace_reader **out, char *why,
		   size_t why_size)
{
	FILE *f = fopen(path, "rb");

	if (!f) {
		int err = -errno;

		if (why && why_size)
			snprintf(why, why_size, "%s", strerror(-err));
		return err;
	}
	return trace_open_stream(f, out, why, why_size);
}

const struct trace_info *trace_info(const struct trace_reader *r)
{
	return &r->info;
}

void trace_set_filter(struct trace_reader *r, unsigned int mask)
{
	r->filter = mask;
}

const struct trace_damage *trace_damage(const struct trace_reader *r)
{
	return &r->damage;
}

uint64_t trace_file_size(const struct trace_reader *r)
{
	return r->file_size;
}

static void note_problem(struct trace_reader *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void note_problem(struct trace_reader *r, const char *fmt, ...)
{
	va_list ap;

	if (r->damage.first_problem[0])
		return;
	va_start(ap, fmt);
	vsnprintf(r->damage.first_problem, sizeof(r->damage.first_problem), fmt, ap);
	va_end(ap);
}

static bool frame_header_ok(const struct trace_frame_header *h)
{
	if (memcmp(h->magic, TRACE_FRAME_MAGIC, 4) ||
	    h->crc != util_crc32(0, h, offsetof(struct trace_frame_header, crc)))
		return false;
	if (h->type < TRACE_FRAME_DATA || h->type > TRACE_FRAME_END ||
	    h->flags != TRACE_FRAME_F_ZSTD || h->size > TRACE_FRAME_MAX_SIZE ||
	    h->raw_size > TRACE_FRAME_MAX_RAW)
		return false;
	if (h->type == TRACE_FRAME_DATA &&
	    (!h->count || h->count > TRACE_FRAME_MAX_RECORDS))
		return false;
	return true;
}

/*
 * The offset of the first good frame header after @from, or the file
 * size if there is none.  Reads the rest of the file in windows that
 * overlap by a header, so a header across a window edge is found too.
 */
static int find_next_frame(struct trace_reader *r, uint64_t from, uint64_t *found)
{
	const size_t hsize = sizeof(struct trace_frame_header);
	uint64_t off = from;
	size_t win_size = from < r->file_size && r->file_size - from < SCAN_WINDOW ?
			  r->file_size - from : SCAN_WINDOW;
	uint8_t *win;
	int err = 0;

	*found = r->file_size;
	if (from >= r->file_size)
		return 0;
	win = malloc(win_size);
	if (!win)
		return -ENOMEM;
	while (off + hsize <= r->file_size) {
		size_t n = r->file_size - off < win_size ? r->file_size - off : win_size;
		size_t i;

		err = read_at(r, off, win, n);
		if (err)
			break;
		for (i = 0; i + hsize <= n; i++) {
			struct trace_frame_header h;
			const uint8_t *m = memchr(win + i, TRACE_FRAME_MAGIC[0], n - hsize + 1 - i);

			if (!m)
				break;
			i = m - win;
			memcpy(&h, m, hsize);
			if (frame_header_ok(&h)) {
				*found = off + i;
				goto out;
			}
		}
		if (n < win_size)
			break;
		off += n - hsize + 1;
	}
out:
	free(win);
	return err == -ENODATA ? 0 : err;
}

/* Count a skipped frame (or stretch of bytes) as bad. */
static void frame_bad(struct trace_reader *r, uint64_t bytes)
{
	r->damage.bad_frames++;
	r->damage.bad_bytes += bytes;
}

static int load_payload(struct trace_reader *r, const struct trace_frame_header *h)
{
	size_t ret;
	int err;

	util_buf_reset(&r->packed);
	util_buf_reset(&r->raw);
	if (!util_buf_reserve(&r->packed, h->size) ||
	    !util_buf_reserve(&r->raw, h->raw_size ? h->raw_size : 1))
		return -ENOMEM;
	err = read_at(r, r->pos + sizeof(*h), r->packed.data, h->size);
	if (err)
		return err == -ENODATA ? -EIO : err;
	/* Exactly one zstd frame, of exactly the announced size. */
	ret = ZSTD_findFrameCompressedSize(r->packed.data, h->size);
	if (ZSTD_isError(ret) || ret != h->size ||
	    ZSTD_getFrameContentSize(r->packed.data, h->size) != h->raw_size)
		return -EBADMSG;
	ret = ZSTD_decompressDCtx(r->dctx, r->raw.data, h->raw_size, r->packed.data,
				  h->size);
	err = util_zstd_errno(ret);
	if (err)
		return err == -ENOMEM ? err : -EBADMSG;
	if (ret != h->raw_size)
		return -EBADMSG;
	r->raw.len = ret;
	return 0;
}

static int decode_records(struct trace_reader *r, const struct trace_frame_header *h,
			  struct trace_item *item)
{
	int err;

	if (r->recs_cap < h->count) {
		struct vmtrace_record *recs = realloc(r->recs, h->count * sizeof(*recs));

		if (!recs)
			return -ENOMEM;
		r->recs = recs;
		r->recs_cap = h->count;
	}
	err = trace_block_decode(r->raw.data, r->raw.len, r->recs, h->count);
	if (err)
		return err;
	item->type = TRACE_ITEM_RECORDS;
	item->records.recs = r->recs;
	item->records.n = h->count;
	return 0;
}

/* A metrics entry into the reader's snapshot, if the filter wants it:
 * parsing one costs more than any other entry. */
static int decode_metrics(struct trace_reader *r, struct util_cursor *body,
			  struct trace_item *item)
{
	int ret;

	if (!(r->filter & (1U << TRACE_ITEM_METRICS)))
		return 0;
	trace_snapshot_free(&r->metrics);
	ret = trace_entry_decode_metrics(body, &r->metrics);
	if (ret > 0) {
		memset(item, 0, sizeof(*item));
		item->type = TRACE_ITEM_METRICS;
		item->metrics = &r->metrics;
	}
	return ret;
}

/* The next metadata entry of the open metadata frame: 1, 0 if none, or
 * -ENOMEM. */
static int next_entry(struct trace_reader *r, struct trace_item *item)
{
	while (util_cursor_left(&r->meta)) {
		unsigned int type = util_get_u8(&r->meta);
		uint64_t len = util_get_varint(&r->meta);
		struct util_cursor body = util_get_sub(&r->meta, len);
		int ret;

		if (r->meta.bad)
			ret = -EBADMSG;
		else if (type == TRACE_ENTRY_METRICS)
			ret = decode_metrics(r, &body, item);
		else
			ret = trace_entry_decode(type, &body, item);
		if (ret == -ENOMEM)
			return ret;
		if (ret < 0) {
			/* The frame checked out, so a writer wrote this: drop
			 * the rest of the frame, keep what was returned. */
			note_problem(r, "frame %u at offset %llu: malformed metadata entry",
				     r->meta_seq, (unsigned long long)r->meta_offset);
			frame_bad(r, 0);
			r->meta = util_cursor(NULL, 0);
			return 0;
		}
		if (ret && (r->filter & (1U << item->type)))
			return 1;
	}
	return 0;
}

int trace_next(struct trace_reader *r, struct trace_item *item)
{
	const size_t hsize = sizeof(struct trace_frame_header);
	struct trace_frame_header h;
	uint64_t next;
	int err;

	for (;;) {
		err = next_entry(r, item);
		if (err)
			return err;
		if (r->pos >= r->file_size)
			return 0;
		if (r->ended) {
			r->damage.trailing_bytes = r->file_size - r->pos;
			note_problem(r, "%llu bytes after the end frame",
				     (unsigned long long)r->damage.trailing_bytes);
			r->pos = r->file_size;
			return 0;
		}
		if (r->file_size - r->pos < hsize) {
			r->damage.tail_bytes = r->file_size - r->pos;
			r->pos = r->file_size;
			return 0;
		}
		err = read_at(r, r->pos, &h, hsize);
		if (err)
			return err == -ENODATA ? -EIO : err;
		if (!frame_header_ok(&h)) {
			err = find_next_frame(r, r->pos + 1, &next);
			if (err)
				return err;
			if (next == r->file_size) {
				/* Nothing good follows: an incomplete end. */
				r->damage.tail_bytes = r->file_size - r->pos;
			} else {
				note_problem(r, "bad frame header at offset %llu",
					     (unsigned long long)r->pos);
				frame_bad(r, next - r->pos);
			}
			r->pos = next;
			continue;
		}
		if (h.size > r->file_size - r->pos - hsize) {
			/* A frame cut short: the writer died while writing. */
			r->damage.tail_bytes = r->file_size - r->pos;
			r->pos = r->file_size;
			return 0;
		}
		if (r->seen_frame && h.seq > r->next_seq)
			r->damage.missing_frames += h.seq - r->next_seq;
		r->seen_frame = true;
		r->next_seq = h.seq + 1;

		if (h.type == TRACE_FRAME_DATA && !(r->filter & (1U << TRACE_ITEM_RECORDS))) {
			r->pos += hsize + h.size;
			continue;
		}
		err = load_payload(r, &h);
		if (!err && h.type == TRACE_FRAME_DATA)
			err = decode_records(r, &h, item);
		if (err == -ENOMEM || err == -EIO)
			return err;
		if (err) {
			note_problem(r, "frame %u at offset %llu: %s", h.seq,
				     (unsigned long long)r->pos,
				     h.type == TRACE_FRAME_DATA && r->raw.len == h.raw_size ?
				     "records do not decode" : "bad compressed data or checksum");
			frame_bad(r, hsize + h.size);
			r->pos += hsize + h.size;
			continue;
		}
		r->damage.good_frames++;
		r->meta_seq = h.seq;
		r->meta_offset = r->pos;
		r->pos += hsize + h.size;
		switch (h.type) {
		case TRACE_FRAME_DATA:
			return 1;
		case TRACE_FRAME_META:
			r->meta = util_cursor(r->raw.data, r->raw.len);
			break;
		case TRACE_FRAME_END:
			r->ended = true;
			r->damage.clean_end = true;
			r->meta = util_cursor(r->raw.data, r->raw.len);
			break;
		}
	}
}

int trace_rewind(struct trace_reader *r)
{
	r->pos = r->data_start;
	r->meta = util_cursor(NULL, 0);
	r->seen_frame = false;
	r->next_seq = 0;
	r->ended = false;
	memset(&r->damage, 0, sizeof(r->damage));
	return 0;
}

void trace_close_reader(struct trace_reader *r)
{
	if (!r)
		return;
	if (r->f)
		fclose(r->f);
	ZSTD_freeDCtx(r->dctx);
	trace_snapshot_free(&r->metrics);
	util_buf_free(&r->packed);
	util_buf_free(&r->raw);
	free(r->recs);
	free(r);
}
