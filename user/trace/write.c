// SPDX-License-Identifier: GPL-2.0
/*
 * Writing .vmt files: the header, then data and metadata frames, each
 * compressed on its own (with zstd's content checksum) and written with
 * one write() so that a killed writer leaves whole frames and at most one
 * partial one at the end.  Two frames are open at a time, one for records
 * and one for metadata; each closes when full or a second after its first
 * entry (trace_poll).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/uio.h>
#include "util/clock.h"
#include "util/crc32.h"
#include "trace/format.h"
#include "util/zstd_errno.h"

#define META_FRAME_MAX_BYTES (1U << 20)
/* A plane at least this big starts its own zstd block (its own entropy
 * tables); smaller ones share a block with their neighbours. */
#define MIN_ZSTD_BLOCK 2048

struct trace_writer {
	int fd;
	char *path;
	struct trace_writer_opts opts;
	ZSTD_CCtx *cctx;
	int err;			/* sticky: the first write failure */
	uint32_t seq;

	struct vmtrace_record *recs;	/* the open data frame */
	size_t nr_recs;
	uint64_t recs_opened_ns;

	struct util_buf meta;		/* the open metadata frame */
	uint32_t nr_meta;
	uint64_t meta_opened_ns;

	struct util_buf raw, packed;	/* scratch: encoded, compressed */
	struct trace_writer_stats st;
};

static int write_all(int fd, struct iovec *iov, int cnt)
{
	while (cnt) {
		ssize_t n = writev(fd, iov, cnt);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		while (cnt && (size_t)n >= iov->iov_len) {
			n -= iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt) {
			iov->iov_base = (char *)iov->iov_base + n;
			iov->iov_len -= n;
		}
	}
	return 0;
}

static void copy_str(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memset(dst, 0, size);
	memcpy(dst, src, n);
}

/*
 * Compress @w->raw into @w->packed as one zstd frame, ending a zstd block
 * after each plane of @planes (if any) that is big enough to have its own
 * statistics.  Returns the compressed size or a zstd error code.
 */
static size_t compress(struct trace_writer *w, const struct trace_block_planes *planes,
		       size_t bound)
{
	ZSTD_outBuffer out = { w->packed.data, bound, 0 };
	size_t pos = 0, ret;

	if (!planes)
		return ZSTD_compress2(w->cctx, w->packed.data, bound, w->raw.data, w->raw.len);
	ret = ZSTD_CCtx_reset(w->cctx, ZSTD_reset_session_only);
	if (!ZSTD_isError(ret))
		ret = ZSTD_CCtx_setPledgedSrcSize(w->cctx, w->raw.len);
	for (size_t i = 0; i <= planes->nr && !ZSTD_isError(ret); i++) {
		size_t cut = i < planes->nr ? planes->end[i] : w->raw.len;
		bool last = i == planes->nr;
		ZSTD_inBuffer in = { w->raw.data + pos, cut - pos, 0 };

		if (!last && cut - pos < MIN_ZSTD_BLOCK)
			continue;
		do {
			ret = ZSTD_compressStream2(w->cctx, &out, &in,
						   last ? ZSTD_e_end : ZSTD_e_flush);
		} while (!ZSTD_isError(ret) && ret && out.pos < out.size);
		if (!ZSTD_isError(ret) && ret)
			ret = (size_t)-ZSTD_error_dstSize_tooSmall;
		pos = cut;
	}
	return ZSTD_isError(ret) ? ret : out.pos;
}

/* Compress @w->raw and write it as one frame. */
static int write_frame(struct trace_writer *w, enum trace_frame_type type,
		       const struct trace_block_planes *planes, uint32_t count,
		       uint64_t first_tsc, uint64_t last_tsc)
{
	struct trace_frame_header h = {
		.type = type,
		.flags = TRACE_FRAME_F_ZSTD,
		.seq = w->seq,
		.raw_size = w->raw.len,
		.count = count,
		.first_tsc = first_tsc,
		.last_tsc = last_tsc,
	};
	struct iovec iov[2];
	size_t bound, ret;
	int err;

	if (w->err)
		return w->err;
	if (w->raw.oom)
		return w->err = -ENOMEM;
	if (w->raw.len > TRACE_FRAME_MAX_RAW)
		return w->err = -EFBIG;
	/* Each extra block costs a 3-byte header. */
	bound = ZSTD_compressBound(w->raw.len) + (planes ? 4 * planes->nr : 0);
	util_buf_reset(&w->packed);
	if (!util_buf_reserve(&w->packed, bound))
		return w->err = -ENOMEM;
	ret = compress(w, planes, bound);
	err = util_zstd_errno(ret);
	if (err)
		return w->err = err;
	memcpy(h.magic, TRACE_FRAME_MAGIC, sizeof(h.magic));
	h.size = ret;
	h.crc = util_crc32(0, &h, offsetof(struct trace_frame_header, crc));
	iov[0] = (struct iovec){ &h, sizeof(h) };
	iov[1] = (struct iovec){ w->packed.data, ret };
	err = write_all(w->fd, iov, 2);
	if (err)
		return w->err = err;
	w->seq++;
	w->st.frames++;
	w->st.file_bytes += sizeof(h) + ret;
	return 0;
}

static int flush_records(struct trace_writer *w)
{
	struct trace_block_planes planes;
	int err;

	if (!w->nr_recs)
		return w->err;
	util_buf_reset(&w->raw);
	trace_block_encode(&w->raw, w->recs, w->nr_recs, &planes);
	err = write_frame(w, TRACE_FRAME_DATA, &planes, w->nr_recs, w->recs[0].host_tsc,
			  w->recs[w->nr_recs - 1].host_tsc);
	w->nr_recs = 0;
	return err;
}

static int flush_meta(struct trace_writer *w)
{
	int err;

	if (!w->nr_meta)
		return w->err;
	util_buf_reset(&w->raw);
	util_put_bytes(&w->raw, w->meta.data, w->meta.len);
	if (w->meta.oom)
		w->raw.oom = true;
	err = write_frame(w, TRACE_FRAME_META, NULL, w->nr_meta, 0, 0);
	util_buf_reset(&w->meta);
	w->nr_meta = 0;
	return err;
}

int trace_create(const char *path, const struct trace_info *info,
		     const struct trace_writer_opts *opts,
		     struct trace_writer **out)
{
	struct trace_file_header h = {
		.version = TRACE_VERSION,
		.header_size = sizeof(h),
		.record_format = VMTRACE_FORMAT_VERSION,
		.record_size = VMTRACE_RECORD_SIZE,
		.tsc_hz = info->tsc_hz,
		.clock_tsc = info->clock.tsc,
		.clock_mono_ns = info->clock.mono_ns,
		.clock_real_ns = info->clock.real_ns,
		.nr_cpus = info->nr_cpus,
		.vendor = info->vendor,
		.sample_hz = info->sample_hz,
		.sample_source = info->sample_source,
		.cfg_flags = info->cfg_flags,
		.ring_size = info->ring_size,
		.nr_exit_filters = info->nr_exit_filters,
	};
	struct trace_writer *w;
	struct iovec iov;
	size_t ret;
	int err;

	if (!info->tsc_hz)
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->fd = -1;
	if (opts)
		w->opts = *opts;
	if (!w->opts.level)
		w->opts.level = 3;
	if (!w->opts.max_frame_records || w->opts.max_frame_records > TRACE_FRAME_MAX_RECORDS)
		w->opts.max_frame_records = TRACE_FRAME_MAX_RECORDS;
	if (!w->opts.max_frame_ms)
		w->opts.max_frame_ms = 1000;
	err = -ENOMEM;
	w->path = strdup(path);
	w->recs = malloc(w->opts.max_frame_records * sizeof(*w->recs));
	w->cctx = ZSTD_createCCtx();
	if (!w->path || !w->recs || !w->cctx)
		goto fail;
	ret = ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, w->opts.level);
	if (!ZSTD_isError(ret))
		ret = ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 1);
	err = util_zstd_errno(ret);
	if (err)
		goto fail;

	memcpy(h.magic, TRACE_FILE_MAGIC, sizeof(h.magic));
	copy_str(h.host_kernel, sizeof(h.host_kernel), info->host_kernel);
	copy_str(h.hostname, sizeof(h.hostname), info->hostname);
	copy_str(h.cpu_model, sizeof(h.cpu_model), info->cpu_model);
	copy_str(h.cpu_vendor, sizeof(h.cpu_vendor), info->cpu_vendor);
	copy_str(h.module_version, sizeof(h.module_version), info->module_version);
	copy_str(h.collector, sizeof(h.collector), info->collector);
	copy_str(h.backend, sizeof(h.backend), info->backend);
	h.crc = util_crc32(0, &h, offsetof(struct trace_file_header, crc));

	w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (w->fd < 0) {
		err = -errno;
		goto fail;
	}
	iov = (struct iovec){ &h, sizeof(h) };
	err = write_all(w->fd, &iov, 1);
	if (err) {
		unlink(path);
		goto fail;
	}
	w->st.file_bytes = sizeof(h);
	*out = w;
	return 0;
fail:
	trace_abandon(w);
	return err;
}

int trace_write_records(struct trace_writer *w,
			    const struct vmtrace_record *recs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct vmtrace_record *r = &recs[i];

		if (!w->nr_recs)
			w->recs_opened_ns = util_mono_ns();
		w->recs[w->nr_recs++] = *r;
		w->st.records++;
		w->st.by_kind[r->kind & 7]++;
		if (r->kind == VMTRACE_KIND_LOST)
			for (int c = 0; c < __VMTRACE_LOST_MAX; c++)
				w->st.lost[c] += r->u.lost[c];
		if (w->nr_recs == w->opts.max_frame_records && flush_records(w))
			return w->err;
	}
	return w->err;
}

/* Account for one entry just appended to the metadata frame. */
static int meta_added(struct trace_writer *w)
{
	if (!w->nr_meta++)
		w->meta_opened_ns = util_mono_ns();
	if (w->meta.len >= META_FRAME_MAX_BYTES)
		return flush_meta(w);
	return w->err;
}

int trace_write_vm(struct trace_writer *w, const struct trace_vm_meta *vm)
{
	trace_entry_encode_vm(&w->meta, vm);
	return meta_added(w);
}

int trace_write_task(struct trace_writer *w, const struct trace_task_meta *t)
{
	trace_entry_encode_task(&w->meta, t);
	return meta_added(w);
}

int trace_write_symbol(struct trace_writer *w,
			   const struct trace_symbol_meta *sym)
{
	trace_entry_encode_symbol(&w->meta, sym);
	return meta_added(w);
}

int trace_write_clock(struct trace_writer *w, const struct trace_clock_pair *c)
{
	trace_entry_encode_clock(&w->meta, c);
	return meta_added(w);
}

int trace_write_metrics(struct trace_writer *w, const struct trace_snapshot *s)
{
	int err = trace_entry_encode_metrics(&w->meta, s);

	return err ? err : meta_added(w);
}

int trace_poll(struct trace_writer *w)
{
	uint64_t now = util_mono_ns(), max_age = w->opts.max_frame_ms * 1000000ull;

	if (w->nr_recs && now - w->recs_opened_ns >= max_age)
		flush_records(w);
	if (w->nr_meta && now - w->meta_opened_ns >= max_age)
		flush_meta(w);
	return w->err;
}

int trace_flush(struct trace_writer *w)
{
	/* Metadata first: a reader streaming the file then knows the VMs
	 * before their records. */
	flush_meta(w);
	flush_records(w);
	return w->err;
}

void trace_writer_stats(const struct trace_writer *w,
			    struct trace_writer_stats *st)
{
	*st = w->st;
}

int trace_close(struct trace_writer *w, const struct trace_end_meta *end)
{
	int err = trace_flush(w);

	if (!err && end) {
		util_buf_reset(&w->raw);
		trace_entry_encode_end(&w->raw, end);
		err = write_frame(w, TRACE_FRAME_END, NULL, 1, 0, 0);
	}
	if (!err && fsync(w->fd) && errno != EINVAL && errno != EROFS)
		err = -errno;
	if (close(w->fd) && !err)
		err = -errno;
	w->fd = -1;
	trace_abandon(w);
	return err;
}

void trace_abandon(struct trace_writer *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	ZSTD_freeCCtx(w->cctx);
	util_buf_free(&w->meta);
	util_buf_free(&w->raw);
	util_buf_free(&w->packed);
	free(w->recs);
	free(w->path);
	free(w);
}
