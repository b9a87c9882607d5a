// SPDX-License-Identifier: GPL-2.0
/*
 * What the reading subcommands compute from a trace: TSC to clock time
 * through the clock pairs, the guest task of (VM, CR3, GS base) at a time,
 * guest symbols, exit handling times, latency percentiles, the recorder's
 * time ordering, and exit-reason names from the kernel's tables.
 */
#include <stdlib.h>
#include <string.h>
#include "trace/names.h"
#include "trace/exit_timing.h"
#include "util/hist.h"
#include "trace/reorder.h"
#include "trace/symbolize.h"
#include "tap.h"
#include "trace/meta.h"

static struct trace_meta *meta_with(const struct trace_item *items, size_t n)
{
	struct trace_info info = {
		.tsc_hz = 2000000000ull,
		.clock = { .tsc = 10000000000ull, .mono_ns = 1000000000ull,
			   .real_ns = 1700000000000000000ull },
	};
	struct trace_meta *m;

	TEST_ASSERT(!trace_meta_new(&info, &m), "trace_meta_new");
	for (size_t i = 0; i < n; i++)
		TEST_ASSERT(!trace_meta_add(m, &items[i]), "trace_meta_add");
	trace_meta_index(m);
	return m;
}

/* Interpolated between pairs, extrapolated at the header's rate outside,
 * pairs closer than 100 ms ignored. */
static void test_clock(void)
{
	/* From the header pair (TSC 10e9 at 1 s), the clock runs 1% slow
	 * against a 2 GHz TSC until the pair at TSC 30e9 (1 s + 9.9 s). */
	struct trace_item items[] = {
		{ .type = TRACE_ITEM_CLOCK, .clock = { 30000000000ull, 10900000000ull,
						     1700000009900000000ull } },
		{ .type = TRACE_ITEM_CLOCK, .clock = { 30000000001ull, 99, 99 } }, /* too close */
	};
	struct trace_meta *m = meta_with(items, ARRAY_SIZE(items));

	TEST_ASSERT_EQ(trace_meta_mono_ns(m, 10000000000ull), 1000000000ull);
	TEST_ASSERT_EQ(trace_meta_mono_ns(m, 20000000000ull), 5950000000ull);	/* halfway */
	TEST_ASSERT_EQ(trace_meta_mono_ns(m, 30000000000ull), 10900000000ull);
	TEST_ASSERT_EQ(trace_meta_mono_ns(m, 32000000000ull), 11900000000ull);	/* + 1 s at 2 GHz */
	TEST_ASSERT_EQ(trace_meta_mono_ns(m, 8000000000ull), 0);			/* - 1 s */
	TEST_ASSERT_EQ(trace_meta_real_ns(m, 20000000000ull), 1700000004950000000ull);
	TEST_ASSERT_EQ(trace_meta_cycles_ns(m, 3000), 1500);
	/* Out of order after in order: the cached segment must not stick. */
	TEST_ASSERT_EQ(trace_meta_mono_ns(m, 10000000000ull), 1000000000ull);
	trace_meta_free(m);
}

static void test_tasks(void)
{
	struct trace_item items[] = {
		/* Process A: CR3 0x4000 (its KPTI user half: 0x5000). */
		{ .type = TRACE_ITEM_TASK, .task = { .vm_id = 1, .pid = 10, .tid = 10, .cr3 = 0x4000,
						   .valid_from_tsc = 100, .comm = "a" } },
		/* The same CR3 reused by process B from 500 on. */
		{ .type = TRACE_ITEM_TASK, .task = { .vm_id = 1, .pid = 20, .tid = 20, .cr3 = 0x4000,
						   .valid_from_tsc = 500, .comm = "b" } },
		/* B's second thread, told apart by GS base. */
		{ .type = TRACE_ITEM_TASK, .task = { .vm_id = 1, .pid = 20, .tid = 21, .cr3 = 0x4000,
						   .gs_base = 0xffff888000040000ull,
						   .valid_from_tsc = 600, .comm = "b2" } },
		/* Another VM, same CR3. */
		{ .type = TRACE_ITEM_TASK, .task = { .vm_id = 2, .pid = 30, .tid = 30, .cr3 = 0x4000,
						   .valid_from_tsc = 0, .comm = "c" } },
	};
	struct trace_meta *m = meta_with(items, ARRAY_SIZE(items));
	const struct trace_task_meta *t;

	TEST_ASSERT(trace_meta_has_tasks(m), "has tasks");
	TEST_ASSERT(!trace_meta_task(m, 1, 0x4000, 0, 99), "before the first entry");
	t = trace_meta_task(m, 1, 0x4000, 0, 100);
	TEST_ASSERT(t && t->pid == 10, "at 100");
	/* PCID bits and the KPTI user half (bit 12) do not matter. */
	t = trace_meta_task(m, 1, 0x4000 | 0x5 | 1ull << 63, 0, 499);
	TEST_ASSERT(t && t->pid == 10, "PCID");
	t = trace_meta_task(m, 1, 0x5000, 0, 499);
	TEST_ASSERT(t && t->pid == 10, "KPTI user page table");
	t = trace_meta_task(m, 1, 0x4000, 0, 10000);
	TEST_ASSERT(t && t->tid == 20, "reused CR3: %u", t ? t->tid : 0);
	t = trace_meta_task(m, 1, 0x4000, 0xffff888000040000ull, 10000);
	TEST_ASSERT(t && t->tid == 21, "by GS base: %u", t ? t->tid : 0);
	t = trace_meta_task(m, 1, 0x4000, 0xffff888000080000ull, 10000);
	TEST_ASSERT(t && t->tid == 20, "unknown GS base: any-GS entry");
	t = trace_meta_task(m, 2, 0x4000, 0, 5);
	TEST_ASSERT(t && t->pid == 30, "VM 2");
	TEST_ASSERT(!trace_meta_task(m, 3, 0x4000, 0, 5), "VM 3");
	TEST_ASSERT(!trace_meta_task(m, 1, 0x8000, 0, 5000), "other CR3");
	trace_meta_free(m);
}

static bool fake_symbolizer(void *arg, const struct trace_sym_query *q,
			    struct trace_sym_result *res)
{
	(void)arg;
	if (!q->user || q->rip < 0x400000 || q->rip >= 0x401000)
		return false;
	res->name = "main";
	res->offset = q->rip - 0x400000;
	return true;
}

static void test_symbols(void)
{
	struct trace_item items[] = {
		{ .type = TRACE_ITEM_SYMBOL, .symbol = { .vm_id = 1, .start = 0xffffffff81000000ull,
						       .size = 0x80, .name = "alpha" } },
		{ .type = TRACE_ITEM_SYMBOL, .symbol = { .vm_id = 1, .start = 0xffffffff81000100ull,
						       .size = 0, .name = "beta" } },
		{ .type = TRACE_ITEM_SYMBOL, .symbol = { .vm_id = 1, .start = 0xffffffff81000200ull,
						       .size = 0x10, .name = "gamma" } },
		{ .type = TRACE_ITEM_SYMBOL, .symbol = { .vm_id = 0, .start = 0xffffffff82000000ull,
						       .size = 0x10, .name = "shared" } },
	};
	struct trace_meta *m = meta_with(items, ARRAY_SIZE(items));
	struct trace_sym_query q = { .meta = m, .vm_id = 1 };
	struct trace_sym_result res;
	const struct trace_symbol_meta *s;

	s = trace_meta_symbol(m, 1, 0xffffffff81000010ull);
	TEST_ASSERT(s && !strcmp(s->name, "alpha"), "alpha");
	TEST_ASSERT(!trace_meta_symbol(m, 1, 0xffffffff81000080ull), "past alpha's size");
	s = trace_meta_symbol(m, 1, 0xffffffff810001ffull);
	TEST_ASSERT(s && !strcmp(s->name, "beta"), "beta runs to gamma");
	TEST_ASSERT(!trace_meta_symbol(m, 1, 0xffffffff81000210ull), "past gamma");
	TEST_ASSERT(!trace_meta_symbol(m, 2, 0xffffffff81000010ull), "VM 2 has no alpha");
	s = trace_meta_symbol(m, 2, 0xffffffff82000004ull);
	TEST_ASSERT(s && !strcmp(s->name, "shared"), "VM 0's table serves all");

	q.rip = 0xffffffff81000104ull;
	TEST_ASSERT(trace_symbolize(&q, &res) && !strcmp(res.name, "beta") && res.offset == 4,
		    "symbolize from the trace");
	q.rip = 0x400010;
	q.user = true;
	TEST_ASSERT(!trace_symbolize(&q, &res), "no resolver for user code yet");
	TEST_ASSERT(!trace_symbolizer_register(fake_symbolizer, NULL), "register");
	TEST_ASSERT(trace_symbolize(&q, &res) && !strcmp(res.name, "main") && res.offset == 0x10,
		    "registered resolver");
	trace_meta_free(m);
}

static struct vmtrace_record rec(uint8_t kind, uint32_t vm, uint16_t vcpu, uint64_t tsc,
				 uint32_t entry_delta)
{
	struct vmtrace_record r = {
		.host_tsc = tsc, .entry_delta = entry_delta, .vm_id = vm, .vcpu = vcpu,
		.kind = kind,
	};

	return r;
}

/* Exit to next entry per vCPU; untimed across losses, unknown entries,
 * out-of-order records; every exit retired once. */
static void test_exit_timing(void)
{
	struct trace_exit_timer *t;
	struct trace_timed_exit done;
	struct vmtrace_record r;

	TEST_ASSERT(!trace_exit_timer_new(&t), "new");
#define FEED(r_, cookie) trace_exit_timer_feed(t, &(r_), (void *)(uintptr_t)(cookie), &done)
	r = rec(VMTRACE_KIND_EXIT, 1, 0, 1000, 100);
	TEST_ASSERT(!FEED(r, 1), "first exit retires nothing");
	r = rec(VMTRACE_KIND_EXIT, 1, 1, 1100, 100);		/* another vCPU */
	TEST_ASSERT(!FEED(r, 2), "other vCPU");
	r = rec(VMTRACE_KIND_SAMPLE, 1, 0, 1200, VMTRACE_ENTRY_DELTA_UNKNOWN);
	TEST_ASSERT(!FEED(r, 0), "a sample retires nothing");
	r = rec(VMTRACE_KIND_EXIT, 1, 0, 2000, 300);		/* entered at 1700 */
	TEST_ASSERT(FEED(r, 3) && done.timed && done.cycles == 700 &&
		    (uintptr_t)done.cookie == 1 && done.exit.host_tsc == 1000, "timed 700");
	r = rec(VMTRACE_KIND_EXIT, 1, 0, 3000, VMTRACE_ENTRY_DELTA_UNKNOWN);
	TEST_ASSERT(FEED(r, 4) && !done.timed && (uintptr_t)done.cookie == 3, "unknown entry");
	r = rec(VMTRACE_KIND_LOST, 0, 0, 3500, 0);
	TEST_ASSERT(!FEED(r, 0), "lost");
	r = rec(VMTRACE_KIND_EXIT, 1, 0, 4000, 100);
	TEST_ASSERT(FEED(r, 5) && !done.timed && (uintptr_t)done.cookie == 4, "across a loss");
	r = rec(VMTRACE_KIND_EXIT, 1, 0, 3900, 10);		/* out of order */
	TEST_ASSERT(FEED(r, 6) && !done.timed && (uintptr_t)done.cookie == 6, "out of order");
	r = rec(VMTRACE_KIND_EXIT, 1, 0, 5000, 2000);		/* entry before the exit */
	TEST_ASSERT(FEED(r, 7) && !done.timed && (uintptr_t)done.cookie == 5, "impossible entry");
	r = rec(VMTRACE_KIND_EXIT, 1, 0, 6000, 500);
	TEST_ASSERT(FEED(r, 8) && done.timed && done.cycles == 500, "timed 500");
	/* Many vCPUs: the table grows and keeps every one. */
	for (int v = 0; v < 300; v++) {
		r = rec(VMTRACE_KIND_EXIT, 2, v, 10000 + v, 1);
		TEST_ASSERT(!FEED(r, 100 + v), "vCPU %d", v);
	}
	for (int v = 0; v < 300; v++) {
		r = rec(VMTRACE_KIND_EXIT, 2, v, 20000 + v, 5000);
		TEST_ASSERT(FEED(r, 0) && done.timed && done.cycles == 5000 &&
			    (uintptr_t)done.cookie == (uintptr_t)(100 + v), "vCPU %d timed", v);
	}
#undef FEED
	trace_exit_timer_free(t);
}

static void count_pending(void *arg, const struct vmtrace_record *exit, void *cookie)
{
	(void)exit;
	(void)cookie;
	(*(int *)arg)++;
}

static void test_exit_timing_pending(void)
{
	struct trace_exit_timer *t;
	struct trace_timed_exit done;
	struct vmtrace_record r;
	int pending = 0;

	TEST_ASSERT(!trace_exit_timer_new(&t), "new");
	for (int v = 0; v < 5; v++) {
		r = rec(VMTRACE_KIND_EXIT, 1, v, 100, 1);
		trace_exit_timer_feed(t, &r, NULL, &done);
	}
	r = rec(VMTRACE_KIND_VM_GONE, 1, 0, 200, 0);
	trace_exit_timer_feed(t, &r, NULL, &done);
	trace_exit_timer_pending(t, count_pending, &pending);
	TEST_ASSERT_EQ(pending, 5);
	trace_exit_timer_free(t);
}

/* Exact min/avg/max; quantiles within 1/32. */
static void test_hist(void)
{
	struct util_hist h = { 0 }, g = { 0 };
	uint64_t p50, p99;

	TEST_ASSERT_EQ(util_hist_quantile(&h, 0.99), 0);
	for (uint64_t v = 1; v <= 100000; v++)
		TEST_ASSERT(!util_hist_add(v % 2 ? &h : &g, v), "add");
	TEST_ASSERT(!util_hist_merge(&h, &g), "merge");
	TEST_ASSERT_EQ(h.count, 100000);
	TEST_ASSERT_EQ(h.min, 1);
	TEST_ASSERT_EQ(h.max, 100000);
	TEST_ASSERT_EQ(h.sum / h.count, 50000);
	p50 = util_hist_quantile(&h, 0.5);
	p99 = util_hist_quantile(&h, 0.99);
	TEST_ASSERT(p50 >= 50000 * 31 / 32 && p50 <= 50000 * 33 / 32, "p50 %llu",
		    (unsigned long long)p50);
	TEST_ASSERT(p99 >= 99000 * 31 / 32 && p99 <= 99000 * 33 / 32, "p99 %llu",
		    (unsigned long long)p99);
	TEST_ASSERT_EQ(util_hist_quantile(&h, 1.0), 100000);
	util_hist_free(&g);
	/* Small values are exact; huge ones do not overflow. */
	TEST_ASSERT(!util_hist_add(&g, 7), "add");
	TEST_ASSERT_EQ(util_hist_quantile(&g, 0.99), 7);
	TEST_ASSERT(!util_hist_add(&g, UINT64_MAX / 2), "add");
	TEST_ASSERT_EQ(util_hist_quantile(&g, 1.0), UINT64_MAX / 2);
	util_hist_free(&h);
	util_hist_free(&g);
}

struct collected {
	uint64_t tsc[64];
	int cpu[64];
	size_t n;
};

static int collect(void *arg, const struct vmtrace_record *recs, size_t n)
{
	struct collected *c = arg;

	for (size_t i = 0; i < n; i++) {
		c->tsc[c->n] = recs[i].host_tsc;
		c->cpu[c->n++] = recs[i].host_cpu;
	}
	return 0;
}

/* Drains interleave CPUs; what goes out is in time order, stable, and
 * only what is older than the watermark. */
static void test_reorder(void)
{
	struct trace_reorder q = { 0 };
	struct collected out = { 0 };
	struct vmtrace_record cpu0[] = { { .host_tsc = 10 }, { .host_tsc = 30 }, { .host_tsc = 50 } };
	struct vmtrace_record cpu1[] = { { .host_tsc = 20, .host_cpu = 1 },
					 { .host_tsc = 30, .host_cpu = 1 },
					 { .host_tsc = 60, .host_cpu = 1 } };
	struct vmtrace_record late[] = { { .host_tsc = 40, .host_cpu = 2 } };

	TEST_ASSERT(!trace_reorder_add(&q, cpu0, 3), "add");
	TEST_ASSERT(!trace_reorder_add(&q, cpu1, 3), "add");
	TEST_ASSERT(!trace_reorder_flush(&q, 35, collect, &out), "flush");
	TEST_ASSERT_EQ(out.n, 4);
	TEST_ASSERT(out.tsc[0] == 10 && out.tsc[1] == 20 && out.tsc[2] == 30 &&
		    out.tsc[3] == 30, "order");
	TEST_ASSERT(out.cpu[2] == 0 && out.cpu[3] == 1, "stable for equal stamps");
	TEST_ASSERT(!trace_reorder_add(&q, late, 1), "add");
	TEST_ASSERT(!trace_reorder_flush(&q, UINT64_MAX, collect, &out), "flush");
	TEST_ASSERT_EQ(out.n, 7);
	TEST_ASSERT(out.tsc[4] == 40 && out.tsc[5] == 50 && out.tsc[6] == 60, "the rest");
	trace_reorder_free(&q);
}

static void test_exit_names(void)
{
	uint32_t code;

	TEST_ASSERT(!strcmp(trace_exit_name(VMTRACE_VENDOR_SVM, 0x7b), "io"), "svm io");
	TEST_ASSERT(!strcmp(trace_exit_name(VMTRACE_VENDOR_SVM, 0x400), "npf"), "svm npf");
	TEST_ASSERT(!strcmp(trace_exit_name(VMTRACE_VENDOR_SVM, 0xffffffff),
			    "invalid_guest_state"), "SVM_EXIT_ERR");
	TEST_ASSERT(!strcmp(trace_exit_name(VMTRACE_VENDOR_VMX, 30), "IO_INSTRUCTION"), "vmx io");
	TEST_ASSERT(!strcmp(trace_exit_name(VMTRACE_VENDOR_VMX, 0x80000021), "INVALID_STATE"),
		    "failed entry: the basic reason");
	TEST_ASSERT(!trace_exit_name(VMTRACE_VENDOR_SVM, 0x3ff), "no such SVM exit");
	TEST_ASSERT(!trace_exit_name(VMTRACE_VENDOR_UNKNOWN, 0x7b), "unknown vendor");
	TEST_ASSERT(!trace_exit_code(VMTRACE_VENDOR_SVM, "HLT", &code) && code == 0x78, "hlt");
	TEST_ASSERT(!trace_exit_code(VMTRACE_VENDOR_VMX, "ept_violation", &code) && code == 48,
		    "EPT_VIOLATION");
	TEST_ASSERT(trace_exit_code(VMTRACE_VENDOR_SVM, "nope", &code), "nope");
}

static const struct tap_test tests[] = {
	TAP_TEST(clock),
	TAP_TEST(tasks),
	TAP_TEST(symbols),
	TAP_TEST(exit_timing),
	TAP_TEST(exit_timing_pending),
	TAP_TEST(hist),
	TAP_TEST(reorder),
	TAP_TEST(exit_names),
};

int main(int argc, char **argv)
{
	return tap_main(argc, argv, tests, ARRAY_SIZE(tests), 0);
}
