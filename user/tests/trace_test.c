// SPDX-License-Identifier: GPL-2.0
/*
 * The .vmt format: what is written reads back exactly (every record kind,
 * every metadata kind, the header); a trace cut anywhere in its last
 * frames yields exactly the records of its complete frames and says how
 * many bytes it could not use; a corrupt frame is reported and skipped and
 * the frames after it still read; bad files fail to open with the right
 * error; interval metrics read back exactly, and readers that do not know
 * them skip them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "util/crc32.h"
#include "tap.h"
#include "trace/trace.h"
#include "trace/format.h"
#include "trace/meta.h"
#include "vv_fixture.h"

/* ---- helpers ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	/* xorshift64*: deterministic, so failures reproduce */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static struct trace_info test_info(void)
{
	struct trace_info info = {
		.tsc_hz = 2400000000ull,
		.clock = { 1000000, 5000000000ull, 1700000000000000000ull },
		.nr_cpus = 4,
		.vendor = VMTRACE_VENDOR_SVM,
		.sample_hz = 1000,
		.sample_source = VMTRACE_SAMPLE_TIMER,
		.cfg_flags = VMTRACE_CFG_F_HOST_SAMPLES,
		.ring_size = 1 << 20,
	};

	strcpy(info.host_kernel, "6.1.0-test #1 SMP Debian");
	strcpy(info.hostname, "testhost");
	strcpy(info.cpu_model, "AMD EPYC Test Processor");
	strcpy(info.cpu_vendor, "AuthenticAMD");
	strcpy(info.module_version, "0.1");
	strcpy(info.collector, "trace_test");
	strcpy(info.backend, "module");
	return info;
}

static char *temp_path(void)
{
	static char path[64];
	int fd;

	strcpy(path, "/tmp/trace_test.XXXXXX");
	fd = mkstemp(path);
	TEST_ASSERT_SYSCALL(fd, "mkstemp");
	close(fd);
	return path;
}

/* A record of @kind with every field set (random, but valid for the kind). */
static struct vmtrace_record make_record(uint8_t kind, uint64_t tsc)
{
	struct vmtrace_record r;

	memset(&r, 0, sizeof(r));
	r.host_tsc = tsc;
	r.kind = kind;
	r.host_cpu = rnd() % 64;
	switch (kind) {
	case VMTRACE_KIND_EXIT:
	case VMTRACE_KIND_SAMPLE:
		r.guest_tsc = tsc * 3 + rnd() % 1000;
		r.u.g.guest_rip = 0xffffffff81000000ull + rnd() % 0x100000;
		r.u.g.guest_cr3 = (rnd() % 64) << 12 | (rnd() & 0xfff);
		r.u.g.guest_gs_base = 0xffff888000000000ull + (rnd() % 4) * 0x40000;
		r.entry_delta = rnd() % 8 ? rnd() % 100000 : VMTRACE_ENTRY_DELTA_UNKNOWN;
		r.vm_id = 1 + rnd() % 3;
		r.vmm_pid = 1000 + r.vm_id;
		r.exit_reason = kind == VMTRACE_KIND_EXIT ? rnd() % 0x500 : 0;
		r.vcpu = rnd() % 4;
		r.vendor = VMTRACE_VENDOR_SVM;
		r.mode = rnd() & 0xff;
		r.flags = rnd() & 7;
		break;
	case VMTRACE_KIND_LOST:
		r.u.lost[0] = rnd() % 1000;
		r.u.lost[1] = rnd() % 10;
		r.u.lost[2] = rnd();
		break;
	case VMTRACE_KIND_VM_NEW:
	case VMTRACE_KIND_VM_GONE:
		r.vm_id = 1 + rnd() % 3;
		r.vmm_pid = 1000 + r.vm_id;
		r.exit_reason = rnd() % 16;
		r.vendor = VMTRACE_VENDOR_VMX;
		break;
	}
	return r;
}

/* A random record, any 64 bytes as long as the kind is 1..5. */
static struct vmtrace_record random_record(void)
{
	struct vmtrace_record r;
	uint64_t *w = (uint64_t *)&r;

	for (size_t i = 0; i < sizeof(r) / 8; i++)
		w[i] = rnd();
	r.kind = 1 + rnd() % 5;
	return r;
}

struct readback {
	struct vmtrace_record *recs;
	size_t n, cap;
	size_t vms, tasks, symbols, clocks, ends, metrics;
	struct trace_vm_meta vm;
	struct trace_task_meta task;
	struct trace_symbol_meta symbol;
	struct trace_clock_pair clock;
	struct trace_end_meta end;
	struct trace_damage damage;
};

static void readback_free(struct readback *rb)
{
	free(rb->recs);
	memset(rb, 0, sizeof(*rb));
}

static void read_all(struct trace_reader *r, struct readback *rb)
{
	struct trace_item it;
	int ret;

	memset(rb, 0, sizeof(*rb));
	while ((ret = trace_next(r, &it)) > 0) {
		switch (it.type) {
		case TRACE_ITEM_RECORDS:
			if (rb->n + it.records.n > rb->cap) {
				rb->cap = (rb->n + it.records.n) * 2;
				rb->recs = realloc(rb->recs, rb->cap * sizeof(*rb->recs));
				TEST_ASSERT(rb->recs, "realloc");
			}
			memcpy(rb->recs + rb->n, it.records.recs,
			       it.records.n * sizeof(*rb->recs));
			rb->n += it.records.n;
			break;
		case TRACE_ITEM_VM: rb->vms++; rb->vm = it.vm; break;
		case TRACE_ITEM_TASK: rb->tasks++; rb->task = it.task; break;
		case TRACE_ITEM_SYMBOL: rb->symbols++; rb->symbol = it.symbol; break;
		case TRACE_ITEM_CLOCK: rb->clocks++; rb->clock = it.clock; break;
		case TRACE_ITEM_END: rb->ends++; rb->end = it.end; break;
		case TRACE_ITEM_METRICS: rb->metrics++; break;
		}
	}
	TEST_ASSERT(ret == 0, "trace_next: %s", strerror(-ret));
	rb->damage = *trace_damage(r);
}

static void read_file(const char *path, struct readback *rb)
{
	struct trace_reader *r;
	char why[160];
	int err = trace_open(path, &r, why, sizeof(why));

	TEST_ASSERT(!err, "open %s: %s", path, why);
	read_all(r, rb);
	trace_close_reader(r);
}

/* Read a trace from memory (the reader takes any seekable stream). */
static void read_mem(const void *data, size_t size, struct readback *rb)
{
	struct trace_reader *r;
	char why[160];
	FILE *f = fmemopen((void *)data, size, "r");
	int err;

	TEST_ASSERT(f, "fmemopen: %m");
	err = trace_open_stream(f, &r, why, sizeof(why));
	TEST_ASSERT(!err, "open (%zu bytes): %s", size, why);
	read_all(r, rb);
	trace_close_reader(r);
}

static void *slurp(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	void *data;
	long n;

	TEST_ASSERT(f, "fopen %s: %m", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	data = malloc(n ? n : 1);
	TEST_ASSERT(data && fread(data, 1, n, f) == (size_t)n, "read %s", path);
	fclose(f);
	*size = n;
	return data;
}

static void assert_records_equal(const struct vmtrace_record *a,
				 const struct vmtrace_record *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		TEST_ASSERT(!memcmp(&a[i], &b[i], sizeof(*a)),
			    "record %zu differs (kind %u vs %u, tsc %llu vs %llu)", i,
			    a[i].kind, b[i].kind, (unsigned long long)a[i].host_tsc,
			    (unsigned long long)b[i].host_tsc);
}

/*
 * A trace of @nr_frames data frames of @per_frame records each (flushed
 * one by one so the frame boundaries are known): @ends[i] is the file
 * size after frame i.  Metadata: one VM entry before the records.
 */
struct layout {
	size_t nr_frames, per_frame;
	uint64_t ends[64];
	uint64_t data_start;
	struct vmtrace_record *recs;
};

static void write_layout(const char *path, struct layout *l, bool close_cleanly)
{
	struct trace_info info = test_info();
	struct trace_writer_opts opts = { .level = 1 };
	struct trace_writer *w;
	struct trace_writer_stats st;
	struct trace_vm_meta vm = { .vm_id = 1, .vmm_pid = 1001, .comm = "qemu" };
	uint64_t tsc = 1000000;
	int err;

	l->recs = calloc(l->nr_frames * l->per_frame, sizeof(*l->recs));
	TEST_ASSERT(l->recs, "calloc");
	err = trace_create(path, &info, &opts, &w);
	TEST_ASSERT(!err, "create: %s", strerror(-err));
	trace_writer_stats(w, &st);
	l->data_start = st.file_bytes;
	TEST_ASSERT(!trace_write_vm(w, &vm), "write vm");
	TEST_ASSERT(!trace_flush(w), "flush");
	for (size_t f = 0; f < l->nr_frames; f++) {
		for (size_t i = 0; i < l->per_frame; i++) {
			tsc += 1 + rnd() % 5000;
			l->recs[f * l->per_frame + i] = make_record(VMTRACE_KIND_EXIT, tsc);
		}
		err = trace_write_records(w, l->recs + f * l->per_frame, l->per_frame);
		TEST_ASSERT(!err, "write: %s", strerror(-err));
		TEST_ASSERT(!trace_flush(w), "flush");
		trace_writer_stats(w, &st);
		l->ends[f] = st.file_bytes;
	}
	if (close_cleanly) {
		struct trace_end_meta end = { .records = l->nr_frames * l->per_frame };

		TEST_ASSERT(!trace_close(w, &end), "close");
	} else {
		trace_abandon(w);
	}
}

/* ---- tests ---- */

/* Every record kind and every metadata kind, and the header, round trip
 * exactly through one file. */
static void test_roundtrip_all_kinds(void)
{
	static const uint8_t kinds[] = {
		VMTRACE_KIND_VM_NEW, VMTRACE_KIND_EXIT, VMTRACE_KIND_SAMPLE,
		VMTRACE_KIND_LOST, VMTRACE_KIND_VM_GONE,
	};
	struct trace_info info = test_info();
	struct trace_vm_meta vm = {
		.vm_id = 2, .vmm_pid = 4242, .vendor = VMTRACE_VENDOR_SVM, .nr_vcpus = 4,
		.seen_tsc = 123456789, .comm = "qemu-system-x86", .name = "web-1",
		.uuid = "c0ffee00-1234-5678-9abc-def012345678", .nr_macs = 2,
		.macs = { "52:54:00:12:34:56", "52:54:00:ab:cd:ef" },
	};
	struct trace_task_meta task = {
		.vm_id = 2, .pid = 300, .tid = 301, .cr3 = 0x12345000,
		.gs_base = 0xffff888077a00000ull, .valid_from_tsc = 999, .comm = "nginx",
	};
	struct trace_symbol_meta sym = {
		.vm_id = 2, .start = 0xffffffff81001000ull, .size = 0x80, .name = "do_syscall_64",
	};
	struct trace_clock_pair clock = { 5000000, 6000000000ull, 1700000001000000000ull };
	struct trace_end_meta end = {
		.end_tsc = 77777, .records = 1000, .lost = { 5, 6, 7 },
		.have_module_totals = true, .produced = 1018, .drained = 1000, .module_lost = 18,
	};
	struct vmtrace_record recs[1000];
	struct trace_writer *w;
	struct trace_reader *r;
	struct readback rb;
	char *path = temp_path(), why[160];
	uint64_t tsc = 1;
	int err;

	for (size_t i = 0; i < ARRAY_SIZE(recs); i++) {
		tsc += rnd() % 100000;
		recs[i] = make_record(kinds[i % ARRAY_SIZE(kinds)], tsc);
	}
	err = trace_create(path, &info, NULL, &w);
	TEST_ASSERT(!err, "create: %s", strerror(-err));
	TEST_ASSERT(!trace_write_vm(w, &vm), "vm");
	TEST_ASSERT(!trace_write_task(w, &task), "task");
	TEST_ASSERT(!trace_write_symbol(w, &sym), "symbol");
	TEST_ASSERT(!trace_write_clock(w, &clock), "clock");
	TEST_ASSERT(!trace_write_records(w, recs, ARRAY_SIZE(recs)), "records");
	TEST_ASSERT(!trace_close(w, &end), "close");

	err = trace_open(path, &r, why, sizeof(why));
	TEST_ASSERT(!err, "open: %s", why);
	{
		const struct trace_info *got = trace_info(r);

		TEST_ASSERT_EQ(got->version, TRACE_VERSION);
		TEST_ASSERT_EQ(got->record_format, VMTRACE_FORMAT_VERSION);
		TEST_ASSERT_EQ(got->tsc_hz, info.tsc_hz);
		TEST_ASSERT(!memcmp(&got->clock, &info.clock, sizeof(info.clock)), "clock");
		TEST_ASSERT_EQ(got->nr_cpus, 4);
		TEST_ASSERT_EQ(got->vendor, VMTRACE_VENDOR_SVM);
		TEST_ASSERT_EQ(got->sample_hz, 1000);
		TEST_ASSERT_EQ(got->sample_source, VMTRACE_SAMPLE_TIMER);
		TEST_ASSERT_EQ(got->cfg_flags, VMTRACE_CFG_F_HOST_SAMPLES);
		TEST_ASSERT_EQ(got->ring_size, 1 << 20);
		TEST_ASSERT(!strcmp(got->host_kernel, info.host_kernel), "kernel");
		TEST_ASSERT(!strcmp(got->hostname, "testhost"), "hostname");
		TEST_ASSERT(!strcmp(got->cpu_model, info.cpu_model), "cpu model");
		TEST_ASSERT(!strcmp(got->cpu_vendor, "AuthenticAMD"), "vendor");
		TEST_ASSERT(!strcmp(got->module_version, "0.1"), "module version");
		TEST_ASSERT(!strcmp(got->collector, "trace_test"), "collector");
		TEST_ASSERT(!strcmp(got->backend, "module"), "backend");
	}
	read_all(r, &rb);
	trace_close_reader(r);

	TEST_ASSERT_EQ(rb.n, ARRAY_SIZE(recs));
	assert_records_equal(rb.recs, recs, rb.n);
	TEST_ASSERT_EQ(rb.vms, 1);
	TEST_ASSERT(!memcmp(&rb.vm, &vm, sizeof(vm)), "VM metadata differs");
	TEST_ASSERT_EQ(rb.tasks, 1);
	TEST_ASSERT(!memcmp(&rb.task, &task, sizeof(task)), "task metadata differs");
	TEST_ASSERT_EQ(rb.symbols, 1);
	TEST_ASSERT(!memcmp(&rb.symbol, &sym, sizeof(sym)), "symbol differs");
	TEST_ASSERT_EQ(rb.clocks, 1);
	TEST_ASSERT(!memcmp(&rb.clock, &clock, sizeof(clock)), "clock differs");
	TEST_ASSERT_EQ(rb.ends, 1);
	TEST_ASSERT(!memcmp(&rb.end, &end, sizeof(end)), "end differs");
	TEST_ASSERT(rb.damage.clean_end, "no clean end");
	TEST_ASSERT_EQ(rb.damage.bad_frames + rb.damage.tail_bytes +
		       rb.damage.missing_frames + rb.damage.trailing_bytes, 0);
	readback_free(&rb);
	unlink(path);
}

/* Arbitrary 64-byte records (any value in every field) in many frames,
 * out of time order, round trip exactly. */
static void test_roundtrip_random(void)
{
	const size_t n = 300000;
	struct trace_info info = test_info();
	struct trace_writer_opts opts = { .max_frame_records = 7000 };
	struct vmtrace_record *recs = malloc(n * sizeof(*recs));
	struct trace_writer *w;
	struct readback rb;
	char *path = temp_path();
	int err;

	TEST_ASSERT(recs, "malloc");
	for (size_t i = 0; i < n; i++)
		recs[i] = random_record();
	/* Extremes: all ones, all zeros but the kind. */
	memset(&recs[0], 0xff, sizeof(recs[0]));
	recs[0].kind = VMTRACE_KIND_EXIT;
	memset(&recs[1], 0, sizeof(recs[1]));
	recs[1].kind = VMTRACE_KIND_SAMPLE;
	err = trace_create(path, &info, &opts, &w);
	TEST_ASSERT(!err, "create: %s", strerror(-err));
	/* In uneven batches. */
	for (size_t i = 0; i < n;) {
		size_t k = 1 + rnd() % 20000;

		if (k > n - i)
			k = n - i;
		TEST_ASSERT(!trace_write_records(w, recs + i, k), "write");
		i += k;
	}
	TEST_ASSERT(!trace_close(w, NULL), "close");
	read_file(path, &rb);
	TEST_ASSERT_EQ(rb.n, n);
	assert_records_equal(rb.recs, recs, n);
	TEST_ASSERT(!rb.damage.clean_end, "clean end without an end frame");
	TEST_ASSERT_EQ(rb.damage.bad_frames + rb.damage.tail_bytes, 0);
	readback_free(&rb);
	free(recs);
	unlink(path);
}

/* The metadata filter skips data frames without touching them. */
static void test_filter_meta(void)
{
	struct layout l = { .nr_frames = 5, .per_frame = 100 };
	struct trace_reader *r;
	struct readback rb;
	char *path = temp_path(), why[160];

	write_layout(path, &l, true);
	TEST_ASSERT(!trace_open(path, &r, why, sizeof(why)), "open: %s", why);
	trace_set_filter(r, TRACE_ITEMS_META);
	read_all(r, &rb);
	TEST_ASSERT_EQ(rb.n, 0);
	TEST_ASSERT_EQ(rb.vms, 1);
	TEST_ASSERT_EQ(rb.ends, 1);
	readback_free(&rb);
	/* Rewound, everything. */
	trace_set_filter(r, TRACE_ITEMS_ALL);
	TEST_ASSERT(!trace_rewind(r), "rewind");
	read_all(r, &rb);
	TEST_ASSERT_EQ(rb.n, 500);
	TEST_ASSERT_EQ(rb.vms, 1);
	readback_free(&rb);
	trace_close_reader(r);
	free(l.recs);
	unlink(path);
}

/* Every field of two snapshots equal (the doubles are exact in the
 * metrics lines' %.6g). */
static void assert_same_snapshot(const struct trace_snapshot *a, const struct trace_snapshot *b)
{
	TEST_ASSERT_EQ(a->seq, b->seq);
	TEST_ASSERT_EQ(a->mono_ns, b->mono_ns);
	TEST_ASSERT_EQ(a->real_ns, b->real_ns);
	TEST_ASSERT(a->interval_s == b->interval_s, "interval");
	TEST_ASSERT_EQ(a->nr_vms, b->nr_vms);
	for (size_t i = 0; i < a->nr_vms; i++) {
		const struct trace_snapshot_vm *x = &a->vms[i], *y = &b->vms[i];

		TEST_ASSERT_EQ(x->id.vm_id, y->id.vm_id);
		TEST_ASSERT_EQ(x->id.vmm_pid, y->id.vmm_pid);
		TEST_ASSERT_EQ(x->id.nr_vcpus, y->id.nr_vcpus);
		TEST_ASSERT(!strcmp(x->id.name, y->id.name), "name %s", y->id.name);
		TEST_ASSERT(!strcmp(x->id.uuid, y->id.uuid), "uuid %s", y->id.uuid);
		TEST_ASSERT(!strcmp(x->id.comm, y->id.comm), "comm %s", y->id.comm);
		TEST_ASSERT_EQ(x->id.nr_macs, y->id.nr_macs);
		for (size_t m = 0; m < x->id.nr_macs; m++)
			TEST_ASSERT(!strcmp(x->id.macs[m], y->id.macs[m]), "mac %s", y->id.macs[m]);
		TEST_ASSERT_EQ(x->mem_bytes, y->mem_bytes);
		TEST_ASSERT_EQ(x->hv_valid, y->hv_valid);
		TEST_ASSERT(x->hv_cpu_pct == y->hv_cpu_pct && x->hv_user_pct == y->hv_user_pct &&
			    x->hv_sys_pct == y->hv_sys_pct && x->hv_vcpu_pct == y->hv_vcpu_pct &&
			    x->hv_other_pct == y->hv_other_pct &&
			    x->hv_run_delay_pct == y->hv_run_delay_pct, "hypervisor CPU");
		TEST_ASSERT_EQ(x->hv_rss_bytes, y->hv_rss_bytes);
		TEST_ASSERT(x->exits_per_s == y->exits_per_s &&
			    x->samples_per_s == y->samples_per_s, "rates");
		TEST_ASSERT_EQ(x->nr_exit_rates, y->nr_exit_rates);
		for (size_t e = 0; e < x->nr_exit_rates; e++) {
			TEST_ASSERT_EQ(x->exit_rates[e].reason, y->exit_rates[e].reason);
			TEST_ASSERT(!strcmp(x->exit_rates[e].name, y->exit_rates[e].name), "exit name");
			TEST_ASSERT(x->exit_rates[e].per_s == y->exit_rates[e].per_s, "exit rate");
		}
		TEST_ASSERT_EQ(x->guest_valid, y->guest_valid);
		TEST_ASSERT(!strcmp(x->guest_status, y->guest_status), "status %s", y->guest_status);
		TEST_ASSERT(x->guest_cpu_pct == y->guest_cpu_pct &&
			    x->guest_kernel_pct == y->guest_kernel_pct, "guest CPU");
		TEST_ASSERT_EQ(x->guest_mem_total, y->guest_mem_total);
		TEST_ASSERT_EQ(x->guest_mem_free, y->guest_mem_free);
		TEST_ASSERT_EQ(x->guest_mem_used, y->guest_mem_used);
		TEST_ASSERT_EQ(x->guest_rss_bytes, y->guest_rss_bytes);
		TEST_ASSERT_EQ(x->gap_valid, y->gap_valid);
		TEST_ASSERT(x->cpu_gap_pct == y->cpu_gap_pct, "gap");
		TEST_ASSERT_EQ(x->flags, y->flags);
		TEST_ASSERT_EQ(x->proc_flags, y->proc_flags);
		TEST_ASSERT_EQ(x->nr_procs, y->nr_procs);
		for (size_t p = 0; p < x->nr_procs; p++) {
			const struct trace_snapshot_proc *u = &x->procs[p], *v = &y->procs[p];

			TEST_ASSERT_EQ(u->pid, v->pid);
			TEST_ASSERT_EQ(u->ppid, v->ppid);
			TEST_ASSERT_EQ(u->uid, v->uid);
			TEST_ASSERT_EQ(u->state, v->state);
			TEST_ASSERT_EQ(u->kthread, v->kthread);
			TEST_ASSERT(!strcmp(u->comm, v->comm), "comm %s", v->comm);
			TEST_ASSERT_EQ(u->nr_threads, v->nr_threads);
			TEST_ASSERT_EQ(u->acct_valid, v->acct_valid);
			TEST_ASSERT_EQ(u->utime_ns, v->utime_ns);
			TEST_ASSERT_EQ(u->stime_ns, v->stime_ns);
			TEST_ASSERT(u->guest_cpu_pct == v->guest_cpu_pct &&
				    u->guest_user_pct == v->guest_user_pct &&
				    u->guest_sys_pct == v->guest_sys_pct &&
				    u->sample_cpu_pct == v->sample_cpu_pct, "process CPU");
			TEST_ASSERT_EQ(u->rss_bytes, v->rss_bytes);
			TEST_ASSERT_EQ(u->rss_valid, v->rss_valid);
			TEST_ASSERT_EQ(u->flags, v->flags);
		}
	}
}

/*
 * Interval metrics: two snapshots between records and other metadata read
 * back exactly, in file order; the metadata loader and a metadata filter
 * without them skip them; trace_entry_decode(), the path of readers older
 * than the entry, skips it as unknown; a snapshot of a later metrics
 * version is skipped, a malformed one is damage.
 */
static void test_metrics_roundtrip(void)
{
	struct trace_info info = test_info();
	struct trace_vm_meta vm = { .vm_id = 1, .vmm_pid = 4242, .name = "web1" };
	struct trace_clock_pair clock = { 2000000, 6000000000ull, 1700000001000000000ull };
	struct vmtrace_record rec = make_record(VMTRACE_KIND_EXIT, 3000000);
	struct trace_end_meta end = { .records = 1 };
	struct trace_snapshot snaps[2], got;
	struct trace_snapshot_vm vms[2][2];
	struct trace_snapshot_proc procs[2][3];
	struct trace_writer *w;
	struct trace_reader *r;
	struct trace_meta *meta;
	struct trace_item it;
	struct util_buf b = { 0 };
	struct util_cursor c;
	char *path = temp_path(), why[160];
	size_t nr_metrics = 0, nr_records = 0;
	int ret;

	vv_fixture(&snaps[0], vms[0], procs[0], 90);
	vv_fixture(&snaps[1], vms[1], procs[1], 12.5);
	snaps[1].seq = 8;
	procs[1][2].utime_ns = 123456789012ULL;
	procs[1][2].state = 'D';
	vms[1][1].id.nr_vcpus = 4;

	TEST_ASSERT(!trace_create(path, &info, NULL, &w), "create");
	TEST_ASSERT(!trace_write_vm(w, &vm), "vm");
	TEST_ASSERT(!trace_write_metrics(w, &snaps[0]), "metrics 0");
	TEST_ASSERT(!trace_write_records(w, &rec, 1), "record");
	TEST_ASSERT(!trace_write_clock(w, &clock), "clock");
	TEST_ASSERT(!trace_write_metrics(w, &snaps[1]), "metrics 1");
	TEST_ASSERT(!trace_close(w, &end), "close");

	TEST_ASSERT(!trace_open(path, &r, why, sizeof(why)), "open: %s", why);
	while ((ret = trace_next(r, &it)) > 0) {
		if (it.type == TRACE_ITEM_RECORDS)
			nr_records += it.records.n;
		if (it.type != TRACE_ITEM_METRICS)
			continue;
		TEST_ASSERT(nr_metrics < 2, "too many snapshots");
		assert_same_snapshot(&snaps[nr_metrics++], it.metrics);
	}
	TEST_ASSERT_EQ(ret, 0);
	TEST_ASSERT_EQ(nr_metrics, 2);
	TEST_ASSERT_EQ(nr_records, 1);
	TEST_ASSERT_EQ(trace_damage(r)->bad_frames, 0);

	/* The loader of the records' metadata: the VM and clock, no metrics. */
	TEST_ASSERT(!trace_rewind(r), "rewind");
	TEST_ASSERT(!trace_meta_load(r, &meta), "meta");
	TEST_ASSERT(!strcmp(trace_meta_vm(meta, 1)->name, "web1"), "vm meta");
	trace_meta_free(meta);
	trace_set_filter(r, TRACE_ITEMS_META & ~(1U << TRACE_ITEM_METRICS));
	nr_metrics = 0;
	while (trace_next(r, &it) > 0)
		nr_metrics += it.type == TRACE_ITEM_METRICS;
	TEST_ASSERT_EQ(nr_metrics, 0);
	trace_close_reader(r);
	unlink(path);

	/* An older reader's decoder does not know the type: skipped. */
	TEST_ASSERT(!trace_entry_encode_metrics(&b, &snaps[0]), "encode");
	c = util_cursor(b.data, b.len);
	TEST_ASSERT_EQ(util_get_u8(&c), TRACE_ENTRY_METRICS);
	c = util_get_sub(&c, util_get_varint(&c));
	TEST_ASSERT_EQ(trace_entry_decode(TRACE_ENTRY_METRICS, &c, &it), 0);
	TEST_ASSERT_EQ(trace_entry_decode_metrics(&c, &got), 1);
	assert_same_snapshot(&snaps[0], &got);
	trace_snapshot_free(&got);
	util_buf_free(&b);
	/* A later metrics version: unknown; a torn line: malformed. */
	{
		const char newer[] = "vmtrace-metrics 2\nS 1 2 3 1.000000\n";
		const char torn[] = "vmtrace-metrics 1\nS 1 2 3 1.000000\nV 1 2";
		const char two[] = "vmtrace-metrics 1\nS 1 2 3 1.000000\nS 2 2 3 1.000000\n";

		c = util_cursor(newer, strlen(newer));
		TEST_ASSERT_EQ(trace_entry_decode_metrics(&c, &got), 0);
		c = util_cursor(torn, strlen(torn));
		TEST_ASSERT_EQ(trace_entry_decode_metrics(&c, &got), -EBADMSG);
		c = util_cursor(two, strlen(two));
		TEST_ASSERT_EQ(trace_entry_decode_metrics(&c, &got), -EBADMSG);
		c = util_cursor(NULL, 0);
		TEST_ASSERT_EQ(trace_entry_decode_metrics(&c, &got), -EBADMSG);
	}
}

/*
 * A trace cut at every offset from the start of its third-to-last frame
 * to its end (as a killed writer leaves it): the records of exactly the
 * complete frames, nothing else, and the cut-off bytes counted.
 */
static void test_truncation(void)
{
	struct layout l = { .nr_frames = 8, .per_frame = 60 };
	char *path = temp_path();
	size_t size, cuts = 0;
	uint8_t *data;

	write_layout(path, &l, false);
	data = slurp(path, &size);
	TEST_ASSERT_EQ(size, l.ends[l.nr_frames - 1]);
	for (uint64_t cut = l.ends[l.nr_frames - 4]; cut <= size; cut++) {
		struct readback rb;
		size_t complete = 0;

		while (complete < l.nr_frames && l.ends[complete] <= cut)
			complete++;
		read_mem(data, cut, &rb);
		TEST_ASSERT(rb.n == complete * l.per_frame,
			    "cut at %llu: %zu records, expected %zu",
			    (unsigned long long)cut, rb.n, complete * l.per_frame);
		assert_records_equal(rb.recs, l.recs, rb.n);
		TEST_ASSERT_EQ(rb.vms, 1);
		TEST_ASSERT(rb.damage.tail_bytes == cut - (complete ? l.ends[complete - 1] : 0),
			    "cut at %llu: tail %llu", (unsigned long long)cut,
			    (unsigned long long)rb.damage.tail_bytes);
		TEST_ASSERT_EQ(rb.damage.bad_frames, 0);
		TEST_ASSERT(!rb.damage.clean_end, "clean end in a cut trace");
		readback_free(&rb);
		cuts++;
	}
	test_diag("%zu cuts over the last 3 frames (%llu bytes each)", cuts,
		  (unsigned long long)(l.ends[1] - l.ends[0]));
	free(data);
	free(l.recs);
	unlink(path);
}

/* Cut inside the header: an error, never a crash. */
static void test_truncated_header(void)
{
	struct layout l = { .nr_frames = 1, .per_frame = 10 };
	char *path = temp_path(), why[160];
	size_t size;
	uint8_t *data;

	write_layout(path, &l, true);
	data = slurp(path, &size);
	for (size_t cut = 1; cut < l.data_start; cut++) {
		struct trace_reader *r;
		FILE *f = fmemopen(data, cut, "r");
		int err = trace_open_stream(f, &r, why, sizeof(why));

		TEST_ASSERT(err == -ENODATA, "cut at %zu: %d (%s)", cut, err, why);
		TEST_ASSERT(strstr(why, "truncated header"), "why: %s", why);
	}
	free(data);
	free(l.recs);
	unlink(path);
}

/*
 * Every single byte of a middle frame flipped in turn (its container
 * header and its zstd payload): that frame is reported bad and its
 * records are not returned, and every other frame still reads exactly.
 */
static void test_corrupt_frame(void)
{
	struct layout l = { .nr_frames = 6, .per_frame = 120 };
	const size_t victim = 2;
	char *path = temp_path();
	uint64_t from, to;
	size_t size, flips = 0;
	uint8_t *data;

	write_layout(path, &l, true);
	data = slurp(path, &size);
	from = l.ends[victim - 1];
	to = l.ends[victim];
	for (uint64_t off = from; off < to; off++) {
		struct readback rb;

		data[off] ^= 0x5a;
		read_mem(data, size, &rb);
		data[off] ^= 0x5a;
		flips++;
		if (rb.damage.bad_frames == 0) {
			/* A flip zstd cannot notice must not change the data. */
			TEST_ASSERT_EQ(rb.n, l.nr_frames * l.per_frame);
			assert_records_equal(rb.recs, l.recs, rb.n);
			readback_free(&rb);
			continue;
		}
		TEST_ASSERT(rb.damage.bad_frames == 1, "flip at %llu: %llu bad frames",
			    (unsigned long long)off, (unsigned long long)rb.damage.bad_frames);
		TEST_ASSERT_EQ(rb.damage.bad_bytes, to - from);
		TEST_ASSERT(rb.n == (l.nr_frames - 1) * l.per_frame,
			    "flip at %llu: %zu records", (unsigned long long)off, rb.n);
		assert_records_equal(rb.recs, l.recs, victim * l.per_frame);
		assert_records_equal(rb.recs + victim * l.per_frame,
				     l.recs + (victim + 1) * l.per_frame,
				     (l.nr_frames - victim - 1) * l.per_frame);
		TEST_ASSERT(rb.damage.clean_end, "the end frame after the damage");
		TEST_ASSERT(rb.damage.first_problem[0], "no problem described");
		readback_free(&rb);
	}
	test_diag("%zu single-byte flips in a %llu-byte frame", flips,
		  (unsigned long long)(to - from));
	free(data);
	free(l.recs);
	unlink(path);
}

/* Garbage between frames, a frame removed, bytes after the end frame. */
static void test_resync_and_gaps(void)
{
	struct layout l = { .nr_frames = 4, .per_frame = 50 };
	char *path = temp_path();
	struct readback rb;
	size_t size, len;
	uint8_t *data, *edited;

	write_layout(path, &l, true);
	data = slurp(path, &size);
	edited = malloc(size + 1000);

	/* 1000 bytes of junk (with a fake magic) inserted before frame 2. */
	len = l.ends[1];
	memcpy(edited, data, len);
	for (int i = 0; i < 1000; i++)
		edited[len + i] = i % 7 == 0 ? 'V' : rnd();
	memcpy(edited + len + 10, TRACE_FRAME_MAGIC, 4);
	memcpy(edited + len + 1000, data + len, size - len);
	read_mem(edited, size + 1000, &rb);
	TEST_ASSERT_EQ(rb.n, l.nr_frames * l.per_frame);
	assert_records_equal(rb.recs, l.recs, rb.n);
	TEST_ASSERT_EQ(rb.damage.bad_frames, 1);
	TEST_ASSERT_EQ(rb.damage.bad_bytes, 1000);
	TEST_ASSERT(rb.damage.clean_end, "clean end");
	readback_free(&rb);

	/* Frame 1 (the second data frame) cut out: a sequence gap. */
	memcpy(edited, data, l.ends[0]);
	memcpy(edited + l.ends[0], data + l.ends[1], size - l.ends[1]);
	read_mem(edited, size - (l.ends[1] - l.ends[0]), &rb);
	TEST_ASSERT_EQ(rb.n, (l.nr_frames - 1) * l.per_frame);
	TEST_ASSERT_EQ(rb.damage.missing_frames, 1);
	TEST_ASSERT_EQ(rb.damage.bad_frames, 0);
	readback_free(&rb);

	/* Bytes after the end frame. */
	memcpy(edited, data, size);
	memset(edited + size, 0, 33);
	read_mem(edited, size + 33, &rb);
	TEST_ASSERT_EQ(rb.n, l.nr_frames * l.per_frame);
	TEST_ASSERT_EQ(rb.damage.trailing_bytes, 33);
	readback_free(&rb);

	free(edited);
	free(data);
	free(l.recs);
	unlink(path);
}

static int open_bytes(const void *data, size_t size, char *why, size_t why_size)
{
	struct trace_reader *r = NULL;
	FILE *f = fmemopen((void *)data, size, "r");
	int err;

	TEST_ASSERT(f, "fmemopen");
	err = trace_open_stream(f, &r, why, why_size);
	if (!err)
		trace_close_reader(r);
	return err;
}

/* Missing, empty, foreign, corrupt and newer files: the right -errno and
 * a reason in words. */
static void test_bad_files(void)
{
	struct layout l = { .nr_frames = 1, .per_frame = 10 };
	struct trace_file_header h;
	struct trace_reader *r;
	char *path = temp_path(), why[160];
	uint8_t *data;
	size_t size;
	int err;

	err = trace_open("/nonexistent/x.vmt", &r, why, sizeof(why));
	TEST_ASSERT(err == -ENOENT, "missing: %d", err);
	TEST_ASSERT(strstr(why, "No such file"), "why: %s", why);

	err = trace_open(path, &r, why, sizeof(why));	/* empty */
	TEST_ASSERT(err == -ENODATA, "empty: %d", err);
	TEST_ASSERT(!strcmp(why, "empty file"), "why: %s", why);

	err = open_bytes("\x7f" "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0", 16, why, sizeof(why));
	TEST_ASSERT(err == -EMEDIUMTYPE, "foreign: %d", err);
	TEST_ASSERT(strstr(why, "not a vmtrace trace"), "why: %s", why);
	err = open_bytes("hello\n", 6, why, sizeof(why));
	TEST_ASSERT(err == -EMEDIUMTYPE, "text: %d", err);

	write_layout(path, &l, true);
	data = slurp(path, &size);
	TEST_ASSERT_EQ(open_bytes(data, size, why, sizeof(why)), 0);

	data[100] ^= 1;		/* in the host kernel string */
	err = open_bytes(data, size, why, sizeof(why));
	TEST_ASSERT(err == -EBADMSG, "corrupt: %d", err);
	TEST_ASSERT(strstr(why, "corrupt header"), "why: %s", why);
	data[100] ^= 1;

	memcpy(&h, data, sizeof(h));
	h.version = TRACE_VERSION + 1;
	h.crc = util_crc32(0, &h, offsetof(struct trace_file_header, crc));
	memcpy(data, &h, sizeof(h));
	err = open_bytes(data, size, why, sizeof(why));
	TEST_ASSERT(err == -EPROTONOSUPPORT, "newer: %d", err);
	TEST_ASSERT(strstr(why, "newer"), "why: %s", why);

	/* A newer version with a bigger header is still recognised as newer. */
	h.header_size = 1 << 20;
	memcpy(data, &h, sizeof(h));
	err = open_bytes(data, size, why, sizeof(why));
	TEST_ASSERT(err == -EPROTONOSUPPORT, "newer, big header: %d", err);

	free(data);
	free(l.recs);
	unlink(path);
}

/*
 * Files of every record format up to this reader's open and read the same
 * (format 1, before VMTRACE_REC_F_TASK, has the same layout); one newer is
 * refused, saying so.
 */
static void test_record_formats(void)
{
	struct layout l = { .nr_frames = 1, .per_frame = 10 };
	struct trace_file_header h;
	struct readback rb;
	char *path = temp_path(), why[160];
	uint8_t *data;
	size_t size;
	int err;

	write_layout(path, &l, true);
	data = slurp(path, &size);
	memcpy(&h, data, sizeof(h));
	TEST_ASSERT_EQ(h.record_format, 2);
	for (uint32_t f = 1; f <= VMTRACE_FORMAT_VERSION + 1; f++) {
		h.record_format = f;
		h.crc = util_crc32(0, &h, offsetof(struct trace_file_header, crc));
		memcpy(data, &h, sizeof(h));
		if (f > VMTRACE_FORMAT_VERSION) {
			err = open_bytes(data, size, why, sizeof(why));
			TEST_ASSERT(err == -EPROTONOSUPPORT, "record format %u: %d", f, err);
			TEST_ASSERT(strstr(why, "newer"), "why: %s", why);
			continue;
		}
		read_mem(data, size, &rb);
		TEST_ASSERT_EQ(rb.n, 10);
		TEST_ASSERT(!memcmp(rb.recs, l.recs, 10 * sizeof(*l.recs)),
			    "record format %u: records differ", f);
		readback_free(&rb);
	}
	free(data);
	free(l.recs);
	unlink(path);
}

/* A header written by a later minor change (longer, with fields this
 * reader does not know) still opens, and its frames read. */
static void test_longer_header(void)
{
	struct layout l = { .nr_frames = 2, .per_frame = 10 };
	struct trace_file_header h;
	struct readback rb;
	char *path = temp_path();
	uint8_t *data, *longer;
	size_t size, extra = 64;
	uint32_t crc;

	write_layout(path, &l, true);
	data = slurp(path, &size);
	longer = calloc(1, size + extra);
	memcpy(&h, data, sizeof(h));
	h.header_size = sizeof(h) + extra;
	memcpy(longer, &h, sizeof(h) - 4);
	memset(longer + sizeof(h) - 4, 0xab, extra);
	crc = util_crc32(0, longer, sizeof(h) + extra - 4);
	memcpy(longer + sizeof(h) + extra - 4, &crc, 4);
	memcpy(longer + sizeof(h) + extra, data + sizeof(h), size - sizeof(h));
	read_mem(longer, size + extra, &rb);
	TEST_ASSERT_EQ(rb.n, 20);
	TEST_ASSERT(rb.damage.clean_end, "clean end");
	readback_free(&rb);
	free(longer);
	free(data);
	free(l.recs);
	unlink(path);
}

/* The info of the file @data (@size bytes) says the backend @want. */
static void assert_backend(const void *data, size_t size, const char *want)
{
	struct trace_reader *r = NULL;
	FILE *f = fmemopen((void *)data, size, "r");
	char why[160];
	int err;

	TEST_ASSERT(f, "fmemopen");
	err = trace_open_stream(f, &r, why, sizeof(why));
	TEST_ASSERT(!err, "open: %s", why);
	TEST_ASSERT(!strcmp(trace_info(r)->backend, want), "backend '%s', expected '%s'",
		    trace_info(r)->backend, want);
	trace_close_reader(r);
}

/*
 * The backend that recorded is in the header: "bpf" reads back as "bpf";
 * a header of the first layout (424 bytes, before the field), which only
 * the module wrote, reads as "module", and its frames read.
 */
static void test_backend_field(void)
{
	struct trace_info info = test_info();
	struct vmtrace_record rec = make_record(VMTRACE_KIND_EXIT, 100);
	struct trace_writer *w;
	struct trace_file_header h;
	struct readback rb;
	char *path = temp_path();
	uint8_t *data, *v1;
	size_t size, cut = sizeof(h) - VMT_FILE_HEADER_SIZE_V1;
	uint32_t crc;

	strcpy(info.backend, "bpf");
	info.module_version[0] = '\0';
	TEST_ASSERT(!trace_create(path, &info, NULL, &w), "create");
	TEST_ASSERT(!trace_write_records(w, &rec, 1), "records");
	TEST_ASSERT(!trace_close(w, NULL), "close");
	data = slurp(path, &size);
	memcpy(&h, data, sizeof(h));
	TEST_ASSERT_EQ(h.header_size, 440);
	assert_backend(data, size, "bpf");

	/* The same file as the first layout wrote it: no backend field. */
	v1 = malloc(size - cut);
	TEST_ASSERT(v1, "malloc");
	h.header_size = VMT_FILE_HEADER_SIZE_V1;
	memcpy(v1, &h, VMT_FILE_HEADER_SIZE_V1 - 4);
	crc = util_crc32(0, v1, VMT_FILE_HEADER_SIZE_V1 - 4);
	memcpy(v1 + VMT_FILE_HEADER_SIZE_V1 - 4, &crc, 4);
	memcpy(v1 + VMT_FILE_HEADER_SIZE_V1, data + sizeof(h), size - sizeof(h));
	assert_backend(v1, size - cut, "module");
	read_mem(v1, size - cut, &rb);
	TEST_ASSERT_EQ(rb.n, 1);
	TEST_ASSERT(!memcmp(rb.recs, &rec, sizeof(rec)), "the record differs");
	readback_free(&rb);
	free(v1);
	free(data);
	unlink(path);
}

/* Exit storms compress to a few bytes per record (the format's target is
 * 4 for exits, 8 for samples; bench/ measures real ones). */
static void test_compact(void)
{
	const size_t n = 200000;
	struct trace_info info = test_info();
	struct vmtrace_record *recs = calloc(n, sizeof(*recs));
	struct trace_writer *w;
	struct trace_writer_stats st;
	char *path = temp_path();
	uint64_t tsc = 1ull << 40;
	double per_record;

	for (size_t i = 0; i < n; i++) {
		struct vmtrace_record *r = &recs[i];

		r->entry_delta = 800 + rnd() % 400;
		tsc += r->entry_delta + 2000 + rnd() % 1000;
		r->host_tsc = tsc;
		r->guest_tsc = tsc + 12345;
		r->kind = VMTRACE_KIND_EXIT;
		r->vm_id = 1;
		r->vmm_pid = 4321;
		r->exit_reason = 0x7b;
		r->u.g.guest_rip = 0xffffffff81234567ull;
		r->u.g.guest_cr3 = 0x1234000;
		r->u.g.guest_gs_base = 0xffff888077a00000ull;
		r->vendor = VMTRACE_VENDOR_SVM;
		r->mode = VMTRACE_MODE_LONG | VMTRACE_MODE_PAGING;
	}
	TEST_ASSERT(!trace_create(path, &info, NULL, &w), "create");
	TEST_ASSERT(!trace_write_records(w, recs, n), "write");
	TEST_ASSERT(!trace_flush(w), "flush");
	trace_writer_stats(w, &st);
	TEST_ASSERT(!trace_close(w, NULL), "close");
	per_record = (double)st.file_bytes / n;
	test_diag("exit storm: %.2f bytes per record", per_record);
	TEST_ASSERT(per_record <= 4.0, "%.2f bytes per exit record", per_record);
	free(recs);
	unlink(path);
}

static const struct tap_test tests[] = {
	TAP_TEST(roundtrip_all_kinds),
	TAP_TEST(roundtrip_random),
	TAP_TEST(filter_meta),
	TAP_TEST(metrics_roundtrip),
	TAP_TEST(truncation),
	TAP_TEST(truncated_header),
	TAP_TEST(corrupt_frame),
	TAP_TEST(resync_and_gaps),
	TAP_TEST(bad_files),
	TAP_TEST(record_formats),
	TAP_TEST(longer_header),
	TAP_TEST(backend_field),
	TAP_TEST(compact),
};

int main(int argc, char **argv)
{
	return tap_main(argc, argv, tests, ARRAY_SIZE(tests), 0);
}
