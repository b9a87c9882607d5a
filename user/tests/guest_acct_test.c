// SPDX-License-Identifier: GPL-2.0
/* The guest accounting layout and the user/system split. */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/btf.h>
#include "guest/acct.h"
#include "guest/profile.h"
#include "tap.h"
#include "guest/vmlinuz.h"

static void test_adjust(void)
{
	uint64_t u, s;

	/* The exact run time, split 3:1 as the sampled ticks say. */
	guest_acct_adjust(300, 100, 2000, &u, &s);
	TEST_ASSERT_EQ(u, 1500);
	TEST_ASSERT_EQ(s, 500);
	/* One side without ticks: all the run time to the other. */
	guest_acct_adjust(0, 40, 1000, &u, &s);
	TEST_ASSERT(u == 0 && s == 1000, "sys only");
	guest_acct_adjust(40, 0, 1000, &u, &s);
	TEST_ASSERT(u == 1000 && s == 0, "user only");
	/* No ticks at all yet: user, as the kernel does. */
	guest_acct_adjust(0, 0, 1000, &u, &s);
	TEST_ASSERT(u == 1000 && s == 0, "no ticks");
	/* No run time known: the ticks as they are. */
	guest_acct_adjust(7, 9, 0, &u, &s);
	TEST_ASSERT(u == 7 && s == 9, "no runtime");
	/* Large values do not overflow. */
	guest_acct_adjust(UINT64_MAX / 2, UINT64_MAX / 2, UINT64_MAX - 1, &u, &s);
	TEST_ASSERT(u + s == UINT64_MAX - 1, "sum kept");
}

/* Exact: the spans are whole nanoseconds divided by 1e9, rounded once. */
#define SPAN_IS(expr, want) do {					\
		double __got = (expr);					\
		TEST_ASSERT(__got == (want), "%s is %g, not %g", #expr, __got, (double)(want)); \
	} while (0)

/* Run-time rates over the guest's clock, or the host's if longer. */
static void test_rate_span(void)
{
	const uint64_t s = 1000000000;

	/* The first read's accounting was 0.2 s stale: the guest's 1.2 s,
	 * over which a CPU-bound task ran 1.2 s (100 %, not 120 %). */
	SPAN_IS(guest_acct_rate_span_s(5 * s, 6 * s, 100 * s, 101 * s + s / 5), 1.2);
	/* The guest's clock stood still part of the interval (idle): the
	 * host's 1 s. */
	SPAN_IS(guest_acct_rate_span_s(5 * s, 6 * s, 100 * s, 100 * s + s / 4), 1.0);
	SPAN_IS(guest_acct_rate_span_s(5 * s, 6 * s, 100 * s, 100 * s), 1.0);
	/* Unknown, or gone back (the guest rebooted): the host's. */
	SPAN_IS(guest_acct_rate_span_s(5 * s, 7 * s, 0, 0), 2.0);
	SPAN_IS(guest_acct_rate_span_s(5 * s, 7 * s, 0, 3 * s), 2.0);
	SPAN_IS(guest_acct_rate_span_s(5 * s, 7 * s, 100 * s, 3 * s), 2.0);
	/* No previous read: no interval. */
	SPAN_IS(guest_acct_rate_span_s(0, 7 * s, 0, 3 * s), 0.0);
}

/* The running kernel's own BTF: every offset found and plausible. */
static void test_layout_from_host_btf(void)
{
	struct guest_acct_layout l;
	char why[128] = "";

	if (access("/sys/kernel/btf/vmlinux", R_OK))
		tap_skip("no /sys/kernel/btf/vmlinux");
	TEST_ASSERT_EQ(guest_acct_layout_from_btf("/sys/kernel/btf/vmlinux", &l, why,
					     sizeof(why)), 0);
	TEST_ASSERT(l.task_utime > 0 && l.task_stime == l.task_utime + 8, "utime/stime");
	TEST_ASSERT(l.task_runtime > 0 && l.signal_runtime > 0, "run times");
	/* struct sched_entity: u64 exec_start just before sum_exec_runtime
	 * (6.1 and 6.12 alike). */
	TEST_ASSERT_EQ(l.task_exec_start, l.task_runtime - 8);
	TEST_ASSERT(l.task_mm > 0 && l.task_signal > 0, "pointers");
	TEST_ASSERT(l.nr_mm_counters >= 3 && l.mm_file == 0 && l.mm_anon == 1, "rss");
	TEST_ASSERT(l.rss_stride == 8 || l.rss_count_off > 0, "rss element");
	TEST_ASSERT_EQ(l.nr_free_pages, 0);
	/* enum cpu_usage_stat: USER, NICE, SYSTEM, SOFTIRQ, IRQ, IDLE,
	 * IOWAIT, STEAL. */
	TEST_ASSERT_EQ(l.cputime_steal, 7);
	TEST_ASSERT_EQ(guest_acct_layout_from_btf("/nonexistent", &l, why, sizeof(why)) < 0, 1);
	TEST_ASSERT(strstr(why, "/nonexistent"), "why: %s", why);
}

/*
 * A profile carries the accounting layout: for every installed Debian
 * image (6.1 and 6.12 lay these out differently), the layout read back
 * from a written and reloaded profile equals the one from the image's BTF.
 */
static void test_layout_in_profile(void)
{
	glob_t g;
	size_t i, n = 0;

	if (glob("/boot/vmlinuz-*", 0, NULL, &g) || !g.gl_pathc)
		tap_skip("no /boot/vmlinuz-*");
	for (i = 0; i < g.gl_pathc; i++) {
		struct guest_acct_layout a, b;
		struct guest_profile *p = guest_profile_new(), *q = NULL;
		struct guest_kimage k;
		char why[160] = "", path[] = "/tmp/guest_acct_test.XXXXXX";
		const void *raw;
		struct btf *btf;
		size_t len;
		FILE *f;
		int fd;

		TEST_ASSERT_EQ(guest_kimage_load(g.gl_pathv[i], &k), 0);
		TEST_ASSERT_EQ(guest_kimage_btf(&k, &raw, &len), 0);
		btf = btf__new(raw, len);
		TEST_ASSERT(btf, "%s: BTF", g.gl_pathv[i]);
		TEST_ASSERT_EQ(guest_acct_layout_from_btf_obj(btf, &a, why, sizeof(why)), 0);
		/* struct sched_entity: exec_start, then sum_exec_runtime. */
		TEST_ASSERT_EQ(a.task_exec_start + 8, a.task_runtime);
		TEST_ASSERT_EQ(a.task_stime, a.task_utime + 8);
		TEST_ASSERT_EQ(a.cputime_steal, 7);
		TEST_ASSERT(a.nr_mm_counters == 4 && a.mm_file == 0 && a.mm_anon == 1 &&
			    a.mm_shmem == 3, "%s: mm counters", g.gl_pathv[i]);
		/* atomic_long_t count[] up to 6.1, struct percpu_counter after. */
		TEST_ASSERT((a.rss_stride == 8 && a.rss_count_off == 0) ||
			    (a.rss_stride == 40 && a.rss_count_off == 8),
			    "%s: rss stride %d count at %d", g.gl_pathv[i], a.rss_stride,
			    a.rss_count_off);
		free(p->release);
		p->release = strdup("test");
		p->sym[GUEST_SYM_TOTALRAM_PAGES] = 0xffffffff82c3dea8ULL;
		p->sym[GUEST_SYM_PER_CPU_OFFSET] = 0xffffffff82a1b980ULL;
		p->sym[GUEST_SYM_KERNEL_CPUSTAT] = 0x1d3c0;
		guest_acct_layout_to_profile(&a, p);
		fd = mkstemp(path);
		f = fdopen(fd, "w");
		TEST_ASSERT_EQ(guest_profile_write(f, p), 0);
		fclose(f);
		TEST_ASSERT_EQ(guest_profile_load(path, 1, &q), 0);
		TEST_ASSERT_EQ(guest_acct_layout_from_profile(q, &b, why, sizeof(why)), 0);
		a.totalram_pages = 0xffffffff82c3dea8ULL;
		a.per_cpu_offset = 0xffffffff82a1b980ULL;
		a.kernel_cpustat = 0x1d3c0;
		TEST_ASSERT(!memcmp(&a, &b, sizeof(a)), "%s: layout differs after the round trip",
			    g.gl_pathv[i]);
		test_diag("%s: utime %d runtime %d exec_start %d rss_stat %d stride %d",
			  g.gl_pathv[i], a.task_utime, a.task_runtime, a.task_exec_start,
			  a.mm_rss_stat, a.rss_stride);
		unlink(path);
		btf__free(btf);
		guest_kimage_free(&k);
		guest_profile_free(p);
		guest_profile_free(q);
		n++;
	}
	globfree(&g);
	TEST_ASSERT(n > 0, "no image");
}

/* A profile from before the accounting entries: refused with a reason. */
static void test_profile_without_layout(void)
{
	struct guest_profile *p = guest_profile_new();
	struct guest_acct_layout l;
	char why[160] = "";

	TEST_ASSERT_EQ(guest_acct_layout_from_profile(p, &l, why, sizeof(why)), -ENOENT);
	TEST_ASSERT(!strcmp(why, "profile lacks task_struct.utime: create it again"), "%s",
		    why);
	TEST_ASSERT(strlen(why) < 64, "too long for a status line");
	guest_profile_free(p);
}

static const struct tap_test tests[] = {
	TAP_TEST(adjust),
	TAP_TEST(rate_span),
	TAP_TEST_TIMEOUT(layout_in_profile, 120),
	TAP_TEST(profile_without_layout),
	TAP_TEST(layout_from_host_btf),
};

int main(int argc, char **argv)
{
	return tap_main(argc, argv, tests, ARRAY_SIZE(tests), 0);
}
