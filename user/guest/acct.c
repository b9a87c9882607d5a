// SPDX-License-Identifier: GPL-2.0
/* The guest kernel's own CPU and memory accounting (guest/acct.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/btf.h>
#include "guest/btf_profile.h"
#include "guest/acct.h"
#include "guest/ksyms.h"
#include "guest/profile.h"

/* Zero-based per-CPU symbols (x86-64 up to 6.14) are offsets below this;
 * later ones are addresses in the kernel image. */
#define PERCPU_OFFSET_MAX (1ULL << 32)

/* A member path "se.sum_exec_runtime" of struct @st: its byte offset. */
static int member_path(const struct btf *btf, const char *st, const char *path,
		       int32_t *off)
{
	int id = btf__find_by_name_kind(btf, st, BTF_KIND_STRUCT);
	char name[64];
	__u32 o, t, total = 0;
	const char *p = path;

	while (id > 0) {
		size_t n = strcspn(p, ".");

		if (n >= sizeof(name))
			return -ENOENT;
		memcpy(name, p, n);
		name[n] = 0;
		if (guest_btf_member(btf, (__u32)id, name, &o, &t))
			return -ENOENT;
		total += o;
		if (!p[n]) {
			*off = (int32_t)total;
			return 0;
		}
		p += n + 1;
		id = btf__resolve_type(btf, t);
	}
	return -ENOENT;
}

static int struct_member(const struct btf *btf, const char *st, const char *name,
			 int32_t *off, __u32 *type)
{
	int id = btf__find_by_name_kind(btf, st, BTF_KIND_STRUCT);
	__u32 o, t;

	if (id <= 0 || guest_btf_member(btf, (__u32)id, name, &o, &t))
		return -ENOENT;
	*off = (int32_t)o;
	if (type)
		*type = t;
	return 0;
}

/* The value of enumerator @name in any enum of @btf, or -1. */
static int enum_value(const struct btf *btf, const char *name)
{
	__u32 id, n = btf__type_cnt(btf);
	unsigned int i;

	for (id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const struct btf_enum *e;

		if (!btf_is_enum(t))
			continue;
		e = btf_enum(t);
		for (i = 0; i < btf_vlen(t); i++, e++)
			if (!strcmp(btf__name_by_offset(btf, e->name_off), name))
				return e->val >= 0 && e->val < 4096 ? e->val : -1;
	}
	return -1;
}

/* The rss_stat member: an array of counters, directly (percpu_counter,
 * 6.2+) or inside struct mm_rss_stat (atomic_long_t count[], up to 6.1). */
static int rss_layout(const struct btf *btf, struct guest_acct_layout *l)
{
	const struct btf_type *t;
	const struct btf_array *arr;
	__u32 type, off, elem_type;
	int id, size;

	if (struct_member(btf, "mm_struct", "rss_stat", &l->mm_rss_stat, &type))
		return -ENOENT;
	id = btf__resolve_type(btf, type);
	t = id > 0 ? btf__type_by_id(btf, (__u32)id) : NULL;
	if (t && btf_is_composite(t)) {
		/* struct mm_rss_stat { atomic_long_t count[N]; } */
		if (guest_btf_member(btf, (__u32)id, "count", &off, &type))
			return -ENOENT;
		l->mm_rss_stat += (int32_t)off;
		id = btf__resolve_type(btf, type);
		t = id > 0 ? btf__type_by_id(btf, (__u32)id) : NULL;
	}
	if (!t || !btf_is_array(t))
		return -ENOENT;
	arr = btf_array(t);
	elem_type = (__u32)btf__resolve_type(btf, arr->type);
	size = btf__resolve_size(btf, elem_type);
	if (size <= 0 || size > 4096 || !arr->nelems || arr->nelems > GUEST_ACCT_MAX_MM_COUNTERS)
		return -ENOENT;
	l->rss_stride = size;
	l->nr_mm_counters = (int)arr->nelems;
	l->rss_count_off = 0;
	/* percpu_counter: the global count is its member "count". */
	t = btf__type_by_id(btf, elem_type);
	if (t && btf_is_composite(t) &&
	    !strcmp(btf__name_by_offset(btf, t->name_off), "percpu_counter")) {
		if (guest_btf_member(btf, elem_type, "count", &off, &type))
			return -ENOENT;
		l->rss_count_off = (int32_t)off;
	}
	return 0;
}

static void layout_init(struct guest_acct_layout *l)
{
	memset(l, 0, sizeof(*l));
	l->signal_utime = l->signal_stime = l->signal_runtime = l->task_runtime = -1;
	l->task_exec_start = -1;
	l->mm_file = l->mm_anon = l->mm_shmem = l->nr_free_pages = -1;
	l->cputime_steal = -1;
	l->page_size = 4096;
}

int guest_acct_layout_from_btf_obj(const struct btf *btf, struct guest_acct_layout *l,
			      char *why, size_t why_len)
{
	layout_init(l);
#define NEED(st, m, field) do {							\
		if (struct_member(btf, st, m, &l->field, NULL)) {		\
			snprintf(why, why_len, "%s.%s not in the BTF", st, m);	\
			return -ENOENT;						\
		}								\
	} while (0)
	NEED("task_struct", "utime", task_utime);
	NEED("task_struct", "stime", task_stime);
	NEED("task_struct", "mm", task_mm);
	NEED("task_struct", "signal", task_signal);
#undef NEED
	/* Optional: exited threads' time, memory counters. */
	if (struct_member(btf, "signal_struct", "utime", &l->signal_utime, NULL) ||
	    struct_member(btf, "signal_struct", "stime", &l->signal_stime, NULL))
		l->signal_utime = l->signal_stime = -1;
	if (member_path(btf, "task_struct", "se.sum_exec_runtime", &l->task_runtime))
		l->task_runtime = -1;
	if (member_path(btf, "task_struct", "se.exec_start", &l->task_exec_start))
		l->task_exec_start = -1;
	if (struct_member(btf, "signal_struct", "sum_sched_runtime", &l->signal_runtime,
			  NULL))
		l->signal_runtime = -1;
	if (rss_layout(btf, l))
		l->nr_mm_counters = 0;
	l->mm_file = enum_value(btf, "MM_FILEPAGES");
	l->mm_anon = enum_value(btf, "MM_ANONPAGES");
	l->mm_shmem = enum_value(btf, "MM_SHMEMPAGES");
	l->nr_free_pages = enum_value(btf, "NR_FREE_PAGES");
	/* struct kernel_cpustat { u64 cpustat[NR_STATS]; }: the array at 0. */
	{
		int32_t off;

		if (!struct_member(btf, "kernel_cpustat", "cpustat", &off, NULL) && !off)
			l->cputime_steal = enum_value(btf, "CPUTIME_STEAL");
	}
	return 0;
}

int guest_acct_layout_from_btf(const char *btf_path, struct guest_acct_layout *l,
			  char *why, size_t why_len)
{
	struct btf *btf = btf__parse(btf_path, NULL);
	int err;

	if (!btf) {
		err = errno ? -errno : -EINVAL;
		layout_init(l);
		snprintf(why, why_len, "%s: cannot read BTF", btf_path);
		return err;
	}
	err = guest_acct_layout_from_btf_obj(btf, l, why, why_len);
	btf__free(btf);
	return err;
}

/* The layout's members and the profile's "acct" entries, one to one. */
#define ACCT_MAP(X)							\
	X(GUEST_ACCT_TASK_UTIME, task_utime)				\
	X(GUEST_ACCT_TASK_STIME, task_stime)				\
	X(GUEST_ACCT_TASK_RUNTIME, task_runtime)				\
	X(GUEST_ACCT_TASK_EXEC_START, task_exec_start)			\
	X(GUEST_ACCT_TASK_MM, task_mm)					\
	X(GUEST_ACCT_TASK_SIGNAL, task_signal)				\
	X(GUEST_ACCT_SIGNAL_UTIME, signal_utime)				\
	X(GUEST_ACCT_SIGNAL_STIME, signal_stime)				\
	X(GUEST_ACCT_SIGNAL_RUNTIME, signal_runtime)			\
	X(GUEST_ACCT_MM_RSS_STAT, mm_rss_stat)				\
	X(GUEST_ACCT_RSS_STRIDE, rss_stride)				\
	X(GUEST_ACCT_RSS_COUNT_OFF, rss_count_off)			\
	X(GUEST_ACCT_NR_MM_COUNTERS, nr_mm_counters)			\
	X(GUEST_ACCT_MM_FILE, mm_file)					\
	X(GUEST_ACCT_MM_ANON, mm_anon)					\
	X(GUEST_ACCT_MM_SHMEM, mm_shmem)					\
	X(GUEST_ACCT_NR_FREE_PAGES, nr_free_pages)				\
	X(GUEST_ACCT_CPUTIME_STEAL, cputime_steal)

void guest_acct_layout_to_profile(const struct guest_acct_layout *l, struct guest_profile *p)
{
#define TO(a, m) p->acct[a] = l->m >= 0 && l->m < GUEST_PROF_OFFSET_MAX ? (int32_t)l->m : \
						       GUEST_PROF_ABSENT;
	ACCT_MAP(TO)
#undef TO
	/* No memory counters: none of their layout either. */
	if (l->nr_mm_counters <= 0)
		p->acct[GUEST_ACCT_MM_RSS_STAT] = p->acct[GUEST_ACCT_RSS_STRIDE] =
			p->acct[GUEST_ACCT_RSS_COUNT_OFF] = p->acct[GUEST_ACCT_NR_MM_COUNTERS] =
			GUEST_PROF_ABSENT;
}

int guest_acct_layout_from_profile(const struct guest_profile *p, struct guest_acct_layout *l,
			      char *why, size_t why_len)
{
	static const enum guest_prof_acct needed[] = {
		GUEST_ACCT_TASK_UTIME, GUEST_ACCT_TASK_STIME, GUEST_ACCT_TASK_MM,
		GUEST_ACCT_TASK_SIGNAL,
	};
	size_t i;

	layout_init(l);
	for (i = 0; i < sizeof(needed) / sizeof(needed[0]); i++)
		if (p->acct[needed[i]] == GUEST_PROF_ABSENT) {
			/* Short: it ends up in a 64-byte status line. */
			snprintf(why, why_len, "profile lacks %s: create it again",
				 guest_prof_acct_name(needed[i]));
			return -ENOENT;
		}
#define FROM(a, m) l->m = p->acct[a];
	ACCT_MAP(FROM)
#undef FROM
	if (l->nr_mm_counters < 0 || l->nr_mm_counters > GUEST_ACCT_MAX_MM_COUNTERS ||
	    l->rss_stride <= 0 || l->mm_rss_stat < 0 || l->rss_count_off < 0)
		l->nr_mm_counters = 0;
	/* Link addresses already (guest/profile.h). */
	l->totalram_pages = p->sym[GUEST_SYM_TOTALRAM_PAGES];
	l->vm_zone_stat = p->sym[GUEST_SYM_VM_ZONE_STAT];
	l->per_cpu_offset = p->sym[GUEST_SYM_PER_CPU_OFFSET];
	l->kernel_cpustat = p->sym[GUEST_SYM_KERNEL_CPUSTAT];
	return 0;
}

int guest_acct_layout_symbols(const char *path, uint64_t text_link, struct guest_acct_layout *l)
{
	struct guest_ksyms *k = guest_ksyms_new();
	uint64_t text, addr;
	long skipped;
	FILE *f;
	int err;

	if (!k)
		return -ENOMEM;
	f = fopen(path, "re");
	if (!f) {
		err = -errno;
		goto out;
	}
	skipped = guest_ksyms_parse(k, f);
	fclose(f);
	err = skipped < 0 ? (int)skipped : guest_ksyms_finish(k);
	if (err)
		goto out;
	/* A kallsyms copy is KASLR-shifted, System.map is not: _text says
	 * by how much either way. */
	if (guest_ksyms_lookup(k, "_text", &text) || !text) {
		err = -ENOENT;
		goto out;
	}
	if (!guest_ksyms_lookup(k, "_totalram_pages", &addr) && addr)
		l->totalram_pages = addr - text + text_link;
	if (!guest_ksyms_lookup(k, "vm_zone_stat", &addr) && addr)
		l->vm_zone_stat = addr - text + text_link;
	if (!guest_ksyms_lookup(k, "__per_cpu_offset", &addr) && addr)
		l->per_cpu_offset = addr - text + text_link;
	/* Per-CPU symbols below the image are offsets, not slid. */
	if (!guest_ksyms_lookup(k, "kernel_cpustat", &addr) && addr)
		l->kernel_cpustat = addr < PERCPU_OFFSET_MAX ? addr : addr - text + text_link;
out:
	guest_ksyms_free(k);
	return err;
}

static int read_kernel(struct guest *g, uint64_t va, void *buf, size_t len)
{
	size_t done = 0;

	return guest_read_virt(g, 0, va, buf, len, &done);
}

static int read_u64(struct guest *g, uint64_t va, uint64_t *v)
{
	return read_kernel(g, va, v, sizeof(*v));
}

int guest_acct_read_task(struct guest *g, const struct guest_acct_layout *l,
		    uint64_t task, struct guest_acct_task *out)
{
	int err;

	memset(out, 0, sizeof(*out));
	err = read_u64(g, task + l->task_utime, &out->utime_ns);
	if (!err)
		err = read_u64(g, task + l->task_stime, &out->stime_ns);
	if (!err && l->task_runtime >= 0)
		err = read_u64(g, task + l->task_runtime, &out->runtime_ns);
	if (!err && l->task_exec_start >= 0)
		err = read_u64(g, task + l->task_exec_start, &out->exec_start_ns);
	if (!err)
		err = read_u64(g, task + l->task_mm, &out->mm);
	if (!err)
		err = read_u64(g, task + l->task_signal, &out->signal);
	out->cpu_valid = !err;
	return err;
}

int guest_acct_read_signal(struct guest *g, const struct guest_acct_layout *l,
		      uint64_t signal, uint64_t *utime_ns, uint64_t *stime_ns,
		      uint64_t *runtime_ns)
{
	int err;

	*runtime_ns = 0;
	if (l->signal_utime < 0 || !signal)
		return -ENOENT;
	err = read_u64(g, signal + l->signal_utime, utime_ns);
	if (!err)
		err = read_u64(g, signal + l->signal_stime, stime_ns);
	if (!err && l->signal_runtime >= 0)
		err = read_u64(g, signal + l->signal_runtime, runtime_ns);
	return err;
}

double guest_acct_rate_span_s(uint64_t host_prev_ns, uint64_t host_now_ns,
			 uint64_t guest_prev_ns, uint64_t guest_now_ns)
{
	uint64_t host = host_now_ns > host_prev_ns && host_prev_ns ? host_now_ns - host_prev_ns : 0;
	uint64_t guest = 0;

	/* A guest clock that went back (the guest rebooted) says nothing. */
	if (guest_prev_ns && guest_now_ns > guest_prev_ns)
		guest = guest_now_ns - guest_prev_ns;
	return (double)(guest > host ? guest : host) / 1e9;
}

void guest_acct_adjust(uint64_t utime, uint64_t stime, uint64_t runtime,
		  uint64_t *user_ns, uint64_t *sys_ns)
{
	if (!runtime) {
		*user_ns = utime;
		*sys_ns = stime;
	} else if (!stime) {
		*user_ns = runtime;
		*sys_ns = 0;
	} else if (!utime) {
		*user_ns = 0;
		*sys_ns = runtime;
	} else {
		/* runtime * stime / (utime + stime) without overflow. */
		long double share = (long double)stime / ((long double)utime + stime);

		*sys_ns = (uint64_t)(runtime * share);
		*user_ns = runtime - *sys_ns;
	}
}

int guest_acct_read_rss(struct guest *g, const struct guest_acct_layout *l,
		   uint64_t mm, uint64_t *bytes)
{
	const int idx[] = { l->mm_file, l->mm_anon, l->mm_shmem };
	uint64_t pages = 0, v;
	unsigned int i;
	int err;

	if (!l->nr_mm_counters || !mm)
		return -ENOENT;
	for (i = 0; i < sizeof(idx) / sizeof(idx[0]); i++) {
		if (idx[i] < 0 || idx[i] >= l->nr_mm_counters)
			continue;
		err = read_u64(g, mm + l->mm_rss_stat + (uint64_t)idx[i] * l->rss_stride +
			       l->rss_count_off, &v);
		if (err)
			return err;
		/* Signed counters: a transiently negative one counts 0. */
		if ((int64_t)v > 0)
			pages += v;
	}
	*bytes = pages * l->page_size;
	return 0;
}

int guest_acct_read_memory(struct guest *g, const struct guest_acct_layout *l,
		      int64_t virt_slide, uint64_t *total, uint64_t *free_bytes)
{
	uint64_t t, f;
	int err;

	if (!l->totalram_pages || !l->vm_zone_stat || l->nr_free_pages < 0)
		return -ENOENT;
	err = read_u64(g, l->totalram_pages + (uint64_t)virt_slide, &t);
	if (!err)
		err = read_u64(g, l->vm_zone_stat + (uint64_t)virt_slide +
			       8ULL * (uint64_t)l->nr_free_pages, &f);
	if (err)
		return err;
	if ((int64_t)f < 0)
		f = 0;
	*total = t * l->page_size;
	*free_bytes = f * l->page_size;
	return 0;
}

/* kernel_cpustat.cpustat[@idx[0..@n)] summed over CPUs 0 .. @nr_cpus - 1. */
static int read_cpustat(struct guest *g, const struct guest_acct_layout *l, int64_t virt_slide,
			uint32_t nr_cpus, const int *idx, size_t n, uint64_t *sum)
{
	uint64_t sym = l->kernel_cpustat, base, v;
	uint32_t cpu;
	int err;

	*sum = 0;
	if (!sym || !l->per_cpu_offset || l->cputime_steal < 0)
		return -ENOENT;
	if (!nr_cpus || nr_cpus > GUEST_ACCT_MAX_CPUS)
		return -EINVAL;
	if (sym >= PERCPU_OFFSET_MAX)
		sym += (uint64_t)virt_slide;
	for (cpu = 0; cpu < nr_cpus; cpu++) {
		err = read_u64(g, l->per_cpu_offset + (uint64_t)virt_slide + 8ULL * cpu, &base);
		for (size_t i = 0; !err && i < n; i++) {
			err = read_u64(g, base + sym + 8ULL * (uint64_t)idx[i], &v);
			*sum += v;
		}
		if (err)
			return err;
	}
	return 0;
}

int guest_acct_read_steal(struct guest *g, const struct guest_acct_layout *l,
		     int64_t virt_slide, uint32_t nr_cpus, uint64_t *steal_ns)
{
	int idx = l->cputime_steal;

	return read_cpustat(g, l, virt_slide, nr_cpus, &idx, 1, steal_ns);
}

int guest_acct_read_busy(struct guest *g, const struct guest_acct_layout *l,
		    int64_t virt_slide, uint32_t nr_cpus, uint64_t *busy_ns)
{
	/* USER, NICE, SYSTEM, SOFTIRQ, IRQ: enum cpu_usage_stat's first five
	 * wherever CPUTIME_STEAL is 7 (every kernel since 2.6.37). */
	static const int busy[] = { 0, 1, 2, 3, 4 };

	if (l->cputime_steal != 7)
		return -ENOENT;
	return read_cpustat(g, l, virt_slide, nr_cpus, busy, 5, busy_ns);
}
