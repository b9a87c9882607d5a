// SPDX-License-Identifier: GPL-2.0
/*
 * Linux guests from the host: see guest/guest.h.
 *
 * Finding the kernel.  The kernel image is physically contiguous, loaded at
 * a 2 MiB-aligned address (CONFIG_PHYSICAL_ALIGN; KASLR picks which), so
 * for a profile the banner can only be at load + (linux_banner - _text):
 * checking those few candidates finds the load address without scanning
 * all of guest RAM.  A candidate counts only if init_task's comm, at its
 * own offset from the same load address, reads "swapper": a banner
 * string elsewhere (a log buffer, a page cache copy, a lie) does not.
 * init_mm.pgd holds the runtime address of the kernel page tables, which
 * gives the virtual slide; translating linux_banner's runtime address
 * through those page tables back to where the banner was found proves it.
 *
 * Kernel virtual addresses.  The image (init_task, init_mm) translates by
 * its slide; task_structs, mm_structs, page-table pages and per-CPU areas
 * live in the direct map, which translates by page_offset_base (checked by
 * a page walk).  Anything else is walked through the kernel page tables.
 *
 * Processes.  init_task.tasks heads the list of thread-group leaders; each
 * leader's threads are on its thread_group ring (before 6.7) or on
 * signal->thread_head (6.7+).  A process's CR3 is pa(mm->pgd); with KPTI
 * the user half is the next page (the pgd is 8 KiB), so both map to it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* also given by the selftests' -D_GNU_SOURCE */
#endif
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "util/clock.h"
#include "guest/guest.h"
#include "guest/mem.h"
#include "guest/poll.h"

#define SZ_2M (2ULL << 20)
#define SZ_1G (1ULL << 30)
#define PAGE_SIZE 4096ULL
/* pid_t values the kernel can hand out (PID_MAX_LIMIT). */
#define PID_MAX_LIMIT (4U << 20)
/* The x86-64 kernel image mapping spans at most KERNEL_IMAGE_SIZE. */
#define KERNEL_IMAGE_SIZE SZ_1G
/* i386 lowmem: the direct map ends at most 896 MiB above PAGE_OFFSET. */
#define I386_LOWMEM_MAX (896ULL << 20)
#define PF_KTHREAD 0x00200000U
#define PF_IDLE 0x00000002U
#define PF_EXITING 0x00000004U

#define DEFAULT_MAX_TASKS 32768U
#define DEFAULT_REWALK_NS 1000000000ULL
#define DEFAULT_UNKNOWN_REWALK_NS 100000000ULL
#define DEFAULT_CURRENT_CACHE_NS 1000000ULL
/* Tasks decoded outside a walk (idle tasks, new threads) kept at most. */
#define EXTRA_TASKS_MAX 4096U
/* (cr3, gs_base) keys remembered for GUEST_TASK_CHANGED; then start over. */
#define SEEN_KEYS_MAX 65536U
#define SEEN_SYMS_MAX 262144U
#define CURRENT_CACHE_SLOTS 64U
#define TASK_CHECK_SLOTS 256U
/* Tasks whose task_struct another thread took over, kept for late samples. */
#define RETIRED_TASKS 64U
/* Value changes looked at either side of a record for its process's thread. */
#define NEAREST_MAX 32U
/* Banner copies looked at when no profile matched. */
#define BANNER_HITS_MAX 64U

/* An open-addressing map from nonzero u64 keys to u32 values. */
struct u64_map {
	uint64_t *keys;
	uint32_t *vals;
	size_t cap, nr;		/* cap: a power of two, or 0 */
};

/* One task of a walk. */
struct task_rec {
	struct guest_task t;
	uint64_t mm, active_mm, leader, real_parent, cred;
};

struct task_set {
	struct task_rec *tasks;
	size_t nr, cap;
	struct u64_map by_task;	/* task VA -> index */
	struct u64_map by_cr3;	/* page-table base -> index of the leader */
	struct u64_map by_mm;	/* mm VA -> index of the leader */
};

/* The identity task_for() last returned for one (cr3, gs_base). */
struct seen_key {
	uint64_t cr3, gs;
	uint64_t task;
	uint32_t pid, tid;
	char comm[GUEST_COMM_MAX];
	char thread_comm[GUEST_COMM_MAX];
};

struct guest {
	uint32_t vm_id, vmm_pid;
	struct guest_mem *mem;
	struct guest_profile *prof;
	int own_prof;
	unsigned int max_tasks;
	uint64_t rewalk_ns, unknown_rewalk_ns, current_cache_ns;
	uint64_t (*now_ns)(void);

	int ready;
	char status[256];
	char banner[GUEST_PROF_BANNER_MAX];

	enum guest_paging paging;
	uint64_t addr_mask;	/* CR3 bits that address the top table */
	uint64_t phys_load;
	int64_t vslide;
	uint64_t kernel_cr3;
	uint64_t dm_base, dm_size;	/* direct map; dm_size 0: walk instead */
	uint64_t current_off;	/* GS-relative address of the current task
				 * pointer; 0: unknown */
	int32_t span_lo, span_len;	/* the task_struct bytes read per task */

	struct task_set cur;	/* the last walk */
	struct task_set extra;	/* tasks decoded on the side since */
	uint64_t last_walk_ns, last_unknown_walk_ns;
	struct {
		uint64_t gs, task, at_ns;
	} current_cache[CURRENT_CACHE_SLOTS];
	struct {
		uint64_t task, at_ns;
		uint32_t tid;
	} task_check[TASK_CHECK_SLOTS];	/* task_of_record()'s pid checks */
	struct task_rec retired[RETIRED_TASKS];
	uint32_t next_retired;

	struct guest_poll *poll;	/* current-task timelines, or NULL */
	unsigned int poll_us;
	struct u64_map poll_idx; /* gs base -> watch index + 1 */

	struct seen_key *seen;	/* open addressing on (cr3, gs) */
	size_t seen_cap, seen_nr;
	struct u64_map seen_syms;

	uint8_t *span_buf;
	struct guest_stats stats;
};

/* ------------------------------------------------------------------ */
/* Small helpers */

static uint64_t hash64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

static void map_free(struct u64_map *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

static int map_get(const struct u64_map *m, uint64_t key, uint32_t *val)
{
	size_t i, n;

	if (!m->cap || !key)
		return 0;
	/* At most half full: a free slot always ends the probe. */
	for (i = hash64(key) & (m->cap - 1), n = 0; n < m->cap;
	     i = (i + 1) & (m->cap - 1), n++) {
		if (!m->keys[i])
			return 0;
		if (m->keys[i] == key) {
			*val = m->vals[i];
			return 1;
		}
	}
	return 0;
}

/* Insert or (with @replace) update.  0, or -ENOMEM. */
static int map_put(struct u64_map *m, uint64_t key, uint32_t val, int replace)
{
	size_t i;

	if (!key)
		return 0;
	if ((m->nr + 1) * 2 > m->cap) {
		struct u64_map bigger = { 0 };
		size_t j;

		bigger.cap = m->cap ? m->cap * 2 : 64;
		bigger.keys = calloc(bigger.cap, sizeof(*bigger.keys));
		bigger.vals = calloc(bigger.cap, sizeof(*bigger.vals));
		if (!bigger.keys || !bigger.vals) {
			map_free(&bigger);
			return -ENOMEM;
		}
		for (j = 0; j < m->cap; j++)
			if (m->keys[j])
				map_put(&bigger, m->keys[j], m->vals[j], 1);
		map_free(m);
		*m = bigger;
	}
	for (i = hash64(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (!m->keys[i]) {
			m->keys[i] = key;
			m->vals[i] = val;
			m->nr++;
			return 0;
		}
		if (m->keys[i] == key) {
			if (replace)
				m->vals[i] = val;
			return 0;
		}
	}
}

static void set_free(struct task_set *s)
{
	free(s->tasks);
	map_free(&s->by_task);
	map_free(&s->by_cr3);
	map_free(&s->by_mm);
	memset(s, 0, sizeof(*s));
}

static struct task_rec *set_add(struct task_set *s, uint64_t task)
{
	struct task_rec *r;

	if (s->nr == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;

		r = realloc(s->tasks, cap * sizeof(*r));
		if (!r)
			return NULL;
		s->tasks = r;
		s->cap = cap;
	}
	if (map_put(&s->by_task, task, s->nr, 0))
		return NULL;
	r = &s->tasks[s->nr++];
	memset(r, 0, sizeof(*r));
	r->t.task = task;
	return r;
}

static struct task_rec *set_find(struct task_set *s, uint64_t task)
{
	uint32_t i;

	return map_get(&s->by_task, task, &i) ? &s->tasks[i] : NULL;
}

static uint64_t get_le(const uint8_t *p, unsigned int size)
{
	uint64_t v = 0;

	while (size--)
		v = v << 8 | p[size];
	return v;
}

/* Printable copy of a guest string of at most @len bytes. */
static void copy_comm(char *dst, const uint8_t *src, size_t len)
{
	size_t i;

	for (i = 0; i < len && i < GUEST_COMM_MAX - 1 && src[i]; i++)
		dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? src[i] : '?';
	dst[i] = 0;
}

static int32_t field(const struct guest *g, enum guest_prof_field f)
{
	return g->prof->field[f];
}

static int is_kernel_pointer(const struct guest *g, uint64_t va)
{
	if (g->prof->pointer_size == 4)
		return va >= g->prof->kernel_map && va <= 0xffffffffULL;
	/* The upper half, canonical in both 4- and 5-level paging. */
	return va >= 0xff00000000000000ULL;
}

/* ------------------------------------------------------------------ */
/* Kernel virtual memory */

/*
 * Translate a kernel VA: 0 with the PA and how many bytes from there are
 * contiguous, or -errno (counted).
 */
static int kva_to_pa(struct guest *g, uint64_t va, uint64_t *pa,
		     uint64_t *contig)
{
	struct guest_pt_walk w;
	uint64_t image_lo = g->prof->kernel_map;
	int err;

	if (g->dm_size && va >= g->dm_base && va - g->dm_base < g->dm_size) {
		*pa = va - g->dm_base;
		*contig = g->dm_size - *pa;
		return 0;
	}
	if (g->prof->pointer_size == 8 && va >= image_lo &&
	    va - image_lo < KERNEL_IMAGE_SIZE) {
		/* The image is physically contiguous from _text on. */
		uint64_t text = g->prof->text_link + g->vslide;

		if (va >= text) {
			*pa = g->phys_load + (va - text);
			*contig = KERNEL_IMAGE_SIZE - (va - image_lo);
			return 0;
		}
	}
	err = guest_pt_translate(g->mem, g->paging, g->kernel_cr3, va, &w);
	if (err) {
		g->stats.pt_faults++;
		return err;
	}
	*pa = w.pa;
	*contig = w.page_size - (w.pa & (w.page_size - 1));
	return 0;
}

/* Read kernel virtual memory; bounded by len / 4 KiB + 1 translations. */
static int kread(struct guest *g, uint64_t va, void *buf, size_t len)
{
	uint8_t *dst = buf;
	uint64_t pa, contig;
	int err;

	while (len) {
		err = kva_to_pa(g, va, &pa, &contig);
		if (err)
			return err;
		if (contig > len)
			contig = len;
		err = guest_mem_read(g->mem, pa, dst, contig);
		if (err) {
			g->stats.mem_errors++;
			return err;
		}
		dst += contig;
		va += contig;
		len -= contig;
	}
	return 0;
}

static int kread_ptr(struct guest *g, uint64_t va, uint64_t *val)
{
	uint8_t b[8];
	int err = kread(g, va, b, g->prof->pointer_size);

	if (!err)
		*val = get_le(b, g->prof->pointer_size);
	return err;
}

/* Physical address of a symbol of the image, from its link address. */
static uint64_t image_pa(const struct guest *g, uint64_t link)
{
	return g->phys_load + (link - g->prof->text_link);
}

/* ------------------------------------------------------------------ */
/* Finding the kernel */

/*
 * Is the page at @gpa in the VMM's memory?  A page that is not holds
 * zeros, and reading it would map the zero page into the VMM (see
 * guest_mem_resident()).  Without pagemap, every page counts as resident.
 */
static int page_resident(struct guest *g, uint64_t gpa)
{
	uint64_t map;
	long n = guest_mem_resident(g->mem, gpa & ~(GUEST_MEM_PAGE - 1), 1, &map);

	if (n == -EOPNOTSUPP)
		return 1;
	if (n == 0)
		g->stats.scan_pages_skipped++;
	return n > 0;
}

/* The banner at @pa, NUL-terminated into @buf: its length, or -errno. */
static long read_banner(struct guest *g, uint64_t pa, char *buf, size_t len)
{
	size_t n;
	int err;

	err = guest_mem_read(g->mem, pa, buf, len - 1);
	if (err) {
		/* Near the end of RAM: try what is there. */
		uint64_t end = guest_mem_end(g->mem);

		if (pa >= end || guest_mem_read(g->mem, pa, buf, end - pa))
			return err;
		buf[end - pa] = 0;
	}
	buf[len - 1] = 0;
	n = strnlen(buf, len - 1);
	buf[n] = 0;
	return n;
}

/* The length of @s without its trailing newline(s). */
static size_t trimmed_len(const char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	return n;
}

/*
 * Does the banner at the head of @text belong to @p?  The whole banner
 * when the profile has it (it names the build: compiler, date), else the
 * release.  A trailing newline does not count: a banner given as
 * "$(cat /proc/version)" lost it.
 */
static int banner_matches(const struct guest_profile *p, const char *text)
{
	char release[128];
	size_t n;

	if (p->banner) {
		n = trimmed_len(p->banner);
		return n == trimmed_len(text) && !strncmp(text, p->banner, n);
	}
	return !guest_banner_release(text, release, sizeof(release)) &&
	       !strcmp(release, p->release);
}

/* Is @load where the kernel of @p sits?  Checks the banner and init_task. */
static int check_load(struct guest *g, const struct guest_profile *p,
		      uint64_t load)
{
	uint64_t banner_pa = load + (p->sym[GUEST_SYM_LINUX_BANNER] - p->text_link);
	uint64_t comm_pa = load + (p->sym[GUEST_SYM_INIT_TASK] - p->text_link) +
			   p->field[GUEST_OFF_TASK_COMM];
	char text[GUEST_PROF_BANNER_MAX];
	char comm[8];

	if (read_banner(g, banner_pa, text, sizeof(text)) <= 0 ||
	    !banner_matches(p, text))
		return 0;
	if (guest_mem_read(g->mem, comm_pa, comm, 7) || memcmp(comm, "swapper", 7)) {
		/* The right words in the wrong place: remember, go on. */
		g->stats.bad_tasks++;
		return 0;
	}
	snprintf(g->banner, sizeof(g->banner), "%s", text);
	return 1;
}

/* The load address of @p's kernel in this guest: 0 and *load, or -ENOENT. */
static int find_load(struct guest *g, const struct guest_profile *p,
		     uint64_t *load)
{
	uint64_t off = p->sym[GUEST_SYM_LINUX_BANNER] - p->text_link;
	uint64_t end = guest_mem_end(g->mem), l;
	char head[14];

	if (p->sym[GUEST_SYM_LINUX_BANNER] < p->text_link ||
	    p->sym[GUEST_SYM_INIT_TASK] < p->text_link ||
	    p->field[GUEST_OFF_TASK_COMM] < 0 || off >= end)
		return -ENOENT;
	/* One candidate per 2 MiB of RAM: bounded by the RAM size. */
	for (l = 0; l < end - off; l += SZ_2M) {
		if (!guest_mem_contains(g->mem, l + off, sizeof(head)) ||
		    !page_resident(g, l + off) ||
		    guest_mem_read(g->mem, l + off, head, sizeof(head)) ||
		    memcmp(head, "Linux version ", sizeof(head)))
			continue;
		if (check_load(g, p, l)) {
			*load = l;
			return 0;
		}
	}
	return -ENOENT;
}

#define SCAN_PAGES 256		/* pages looked up and read at a time: 1 MiB */

/*
 * Search [@gpa, @gpa + @len) (read into @buf, @len + @keep bytes with the
 * lookahead) for banners starting in it: as scan_banners().
 */
static int scan_run(struct guest *g, struct guest_profile **profiles, size_t nr,
		    uint64_t gpa, size_t len, size_t keep, char *buf,
		    unsigned int *hits, uint64_t *load)
{
	static const char prefix[] = "Linux version ";
	const size_t plen = sizeof(prefix) - 1;
	char text[GUEST_PROF_BANNER_MAX];
	const char *p, *base = buf;
	size_t i, have = len + keep;
	uint64_t off;

	if (guest_mem_read(g->mem, gpa, buf, have))
		return -ENOENT;
	g->stats.scan_bytes += have;
	while (*hits < BANNER_HITS_MAX &&
	       (p = memmem(base, have - (base - buf), prefix, plen)) &&
	       (size_t)(p - buf) < len) {
		uint64_t hit = gpa + (p - buf);
		long n = read_banner(g, hit, text, sizeof(text));

		base = p + 1;
		if (n <= 0 || text[n - 1] != '\n')
			continue;	/* a log line, not linux_banner */
		(*hits)++;
		if (!g->banner[0])
			snprintf(g->banner, sizeof(g->banner), "%s", text);
		for (i = 0; i < nr; i++) {
			off = profiles[i]->sym[GUEST_SYM_LINUX_BANNER] - profiles[i]->text_link;
			if (hit >= off && check_load(g, profiles[i], hit - off)) {
				*load = hit - off;
				return i;
			}
		}
	}
	return -ENOENT;
}

/*
 * Scan the guest's RAM for banners (when no profile matched at an aligned
 * address): remember the first for the status, and try each hit with
 * every profile at any alignment.  Only pages the VMM holds are read: a
 * guest that is not Linux, or not booted yet, costs a pagemap lookup per
 * page it never touched, and the scan leaves its memory as it found it.
 * Returns the index of the profile that matched and sets *load, or
 * -ENOENT.
 */
static int scan_banners(struct guest *g, struct guest_profile **profiles,
			size_t nr, uint64_t *load)
{
	const size_t keep = GUEST_PROF_BANNER_MAX;
	uint64_t gpa, size, at, map[(SCAN_PAGES + 1 + 63) / 64];
	unsigned int hits = 0;
	char *buf = malloc(SCAN_PAGES * GUEST_MEM_PAGE + keep);
	size_t r, i, j, npages, lookup;
	int ret = -ENOENT;
	long n;

	if (!buf)
		return -ENOMEM;
	g->stats.scans++;
	for (r = 0; !guest_mem_range(g->mem, r, &gpa, &size) && ret < 0 &&
	     hits < BANNER_HITS_MAX; r++) {
		for (at = 0; at < size && ret < 0 && hits < BANNER_HITS_MAX;
		     at += SCAN_PAGES * GUEST_MEM_PAGE) {
			npages = (size - at) / GUEST_MEM_PAGE < SCAN_PAGES ?
				 (size - at) / GUEST_MEM_PAGE : SCAN_PAGES;
			/* One page more: may a banner run on into it? */
			lookup = npages + (at + npages * GUEST_MEM_PAGE < size);
			n = guest_mem_resident(g->mem, gpa + at, lookup, map);
			if (n < 0)
				memset(map, 0xff, sizeof(map));
			for (i = 0; i < npages && ret < 0; i = j) {
				size_t run_keep = 0;

				if (!(map[i / 64] >> (i % 64) & 1)) {
					g->stats.scan_pages_skipped++;
					j = i + 1;
					continue;
				}
				for (j = i; j < npages && map[j / 64] >> (j % 64) & 1; j++)
					;
				if (j < lookup && map[j / 64] >> (j % 64) & 1)
					run_keep = keep;
				ret = scan_run(g, profiles, nr, gpa + at + i * GUEST_MEM_PAGE,
					       (j - i) * GUEST_MEM_PAGE, run_keep, buf,
					       &hits, load);
			}
		}
	}
	free(buf);
	return ret;
}

/* Paging mode candidates for @p's kernel, most likely first. */
static int paging_candidates(struct guest *g, enum guest_paging *modes)
{
	uint32_t l5 = 0;

	if (g->prof->pointer_size == 4) {
		modes[0] = GUEST_PAGING_PAE;
		modes[1] = GUEST_PAGING_32;
		return 2;
	}
	if (g->prof->sym[GUEST_SYM_PGTABLE_L5_ENABLED])
		guest_mem_read_u32(g->mem, image_pa(g, g->prof->sym[GUEST_SYM_PGTABLE_L5_ENABLED]),
				  &l5);
	modes[0] = l5 ? GUEST_PAGING_5L : GUEST_PAGING_4L;
	modes[1] = l5 ? GUEST_PAGING_4L : GUEST_PAGING_5L;
	return 2;
}

/* Does the kernel page table map @va to @pa (in @mode)? */
static int maps_to(struct guest *g, enum guest_paging mode, uint64_t va,
		   uint64_t pa)
{
	struct guest_pt_walk w;

	return !guest_pt_translate(g->mem, mode, g->kernel_cr3, va, &w) && w.pa == pa;
}

/* The virtual slide, the kernel page tables and the paging mode. */
static int find_slide(struct guest *g)
{
	const struct guest_profile *p = g->prof;
	uint64_t pgt = p->sym[GUEST_SYM_INIT_TOP_PGT] ?: p->sym[GUEST_SYM_SWAPPER_PG_DIR];
	uint64_t banner = p->sym[GUEST_SYM_LINUX_BANNER];
	uint64_t banner_pa = image_pa(g, banner), pgd_va = 0, s;
	enum guest_paging modes[2];
	int nr_modes, i;

	g->kernel_cr3 = image_pa(g, pgt);
	nr_modes = paging_candidates(g, modes);
	/* init_mm.pgd holds the runtime address of the kernel page tables. */
	if (p->sym[GUEST_SYM_INIT_MM] && p->field[GUEST_OFF_MM_PGD] >= 0) {
		uint8_t b[8];

		if (!guest_mem_read(g->mem, image_pa(g, p->sym[GUEST_SYM_INIT_MM]) +
				   p->field[GUEST_OFF_MM_PGD], b, p->pointer_size))
			pgd_va = get_le(b, p->pointer_size);
	}
	for (i = 0; i < nr_modes; i++) {
		if (pgd_va && maps_to(g, modes[i], banner + (pgd_va - pgt), banner_pa)) {
			g->vslide = pgd_va - pgt;
			g->paging = modes[i];
			return 0;
		}
	}
	/* init_mm did not tell: try every 2 MiB slide the image may have. */
	for (i = 0; i < nr_modes; i++) {
		for (s = 0; s < KERNEL_IMAGE_SIZE; s += SZ_2M) {
			if (maps_to(g, modes[i], banner + s, banner_pa)) {
				g->vslide = s;
				g->paging = modes[i];
				return 0;
			}
		}
	}
	return -ENOENT;
}

/* The direct map base, if the page tables confirm it. */
static void find_direct_map(struct guest *g)
{
	const struct guest_profile *p = g->prof;
	uint64_t base = 0, probe = g->phys_load;
	uint8_t b[8];

	if (p->pointer_size == 4) {
		base = p->kernel_map;
		g->dm_size = guest_mem_end(g->mem) < I386_LOWMEM_MAX ?
			     guest_mem_end(g->mem) : I386_LOWMEM_MAX;
	} else if (p->sym[GUEST_SYM_PAGE_OFFSET_BASE] &&
		   !guest_mem_read(g->mem, image_pa(g, p->sym[GUEST_SYM_PAGE_OFFSET_BASE]),
				  b, 8)) {
		base = get_le(b, 8);
		g->dm_size = guest_mem_end(g->mem);
	}
	/* Unchecked, a lying page_offset_base would misplace every task. */
	if (!base || base + g->dm_size < base ||
	    !maps_to(g, g->paging, base + probe, probe)) {
		g->dm_size = 0;
		return;
	}
	g->dm_base = base;
}

/* Where a thread's current task pointer is, relative to the GS base. */
static void find_current(struct guest *g)
{
	const struct guest_profile *p = g->prof;
	uint64_t sym = 0;

	/* i386 reaches its per-CPU area through FS: the GS base is no help. */
	if (p->pointer_size != 8)
		return;
	if (p->sym[GUEST_SYM_CURRENT_TASK])
		sym = p->sym[GUEST_SYM_CURRENT_TASK];
	else if (p->sym[GUEST_SYM_PCPU_HOT] &&
		 p->field[GUEST_OFF_PCPU_HOT_CURRENT_TASK] >= 0)
		sym = p->sym[GUEST_SYM_PCPU_HOT] + p->field[GUEST_OFF_PCPU_HOT_CURRENT_TASK];
	if (!sym)
		return;
	/*
	 * Zero-based per-CPU symbols (up to 6.14) are offsets from the GS
	 * base; later ones are addresses of the image, slid as the image.
	 */
	if (sym >= p->kernel_map)
		sym += g->vslide;
	g->current_off = sym;
}

/* The task_struct bytes the decoder needs: one read per task. */
static int compute_span(struct guest *g)
{
	static const struct {
		enum guest_prof_field off;
		int size;		/* 0: a pointer; < 0: from this field */
	} used[] = {
		{ GUEST_OFF_TASK_TASKS, 0 }, { GUEST_OFF_TASK_PID, 4 },
		{ GUEST_OFF_TASK_TGID, 4 }, { GUEST_OFF_TASK_COMM, -GUEST_SIZE_TASK_COMM },
		{ GUEST_OFF_TASK_MM, 0 }, { GUEST_OFF_TASK_ACTIVE_MM, 0 },
		{ GUEST_OFF_TASK_FLAGS, -GUEST_SIZE_TASK_FLAGS },
		{ GUEST_OFF_TASK_STATE, -GUEST_SIZE_TASK_STATE },
		{ GUEST_OFF_TASK_EXIT_STATE, 4 }, { GUEST_OFF_TASK_REAL_CRED, 0 },
		{ GUEST_OFF_TASK_REAL_PARENT, 0 }, { GUEST_OFF_TASK_GROUP_LEADER, 0 },
		{ GUEST_OFF_TASK_THREAD_GROUP, 0 }, { GUEST_OFF_TASK_SIGNAL, 0 },
		{ GUEST_OFF_TASK_THREAD_NODE, 0 }, { GUEST_OFF_TASK_START_TIME, 8 },
	};
	int32_t lo = INT32_MAX, hi = 0, off, size;
	size_t i;

	if (field(g, GUEST_SIZE_TASK_COMM) <= 0)
		return -EINVAL;
	for (i = 0; i < sizeof(used) / sizeof(used[0]); i++) {
		off = field(g, used[i].off);
		if (off < 0)
			continue;
		size = used[i].size > 0 ? used[i].size :
		       used[i].size == 0 ? (int)g->prof->pointer_size :
		       field(g, -used[i].size);
		if (size <= 0)
			size = 4;
		/* Pointers of list_heads: next and prev. */
		if (used[i].off == GUEST_OFF_TASK_TASKS ||
		    used[i].off == GUEST_OFF_TASK_THREAD_GROUP ||
		    used[i].off == GUEST_OFF_TASK_THREAD_NODE)
			size *= 2;
		if (off < lo)
			lo = off;
		if (off + size > hi)
			hi = off + size;
	}
	g->span_lo = lo;
	g->span_len = hi - lo;
	g->span_buf = malloc(g->span_len);
	return g->span_buf ? 0 : -ENOMEM;
}

/* ------------------------------------------------------------------ */
/* Tasks */

static char state_letter(uint64_t state, uint32_t exit_state)
{
	static const char letters[] = "RSDTtXZP";
	uint64_t s = state | exit_state;
	int i;

	/* TASK_IDLE: TASK_UNINTERRUPTIBLE | TASK_NOLOAD. */
	if ((s & 0x402) == 0x402)
		return 'I';
	s &= 0x7f;
	if (!s)
		return 'R';
	for (i = 6; i >= 0; i--)
		if (s & (1U << i))
			return letters[i + 1];
	return '?';
}

/* Field @f of the span just read, or 0 if absent. */
static uint64_t span_get(const struct guest *g, enum guest_prof_field f,
			 unsigned int size)
{
	int32_t off = field(g, f);

	if (off < 0)
		return 0;
	return get_le(g->span_buf + (off - g->span_lo), size);
}

static uint64_t span_ptr(const struct guest *g, enum guest_prof_field f)
{
	return span_get(g, f, g->prof->pointer_size);
}

/* The second pointer of a list_head field: its prev. */
static uint64_t span_prev(const struct guest *g, enum guest_prof_field f)
{
	int32_t off = field(g, f);

	if (off < 0)
		return 0;
	return get_le(g->span_buf + (off - g->span_lo) + g->prof->pointer_size,
		      g->prof->pointer_size);
}

/* The CR3 of an mm: pa(mm->pgd), or 0 (counted). */
static uint64_t mm_cr3(struct guest *g, uint64_t mm)
{
	uint64_t pgd, pa, contig;

	if (!is_kernel_pointer(g, mm) ||
	    kread_ptr(g, mm + field(g, GUEST_OFF_MM_PGD), &pgd) ||
	    !is_kernel_pointer(g, pgd) || kva_to_pa(g, pgd, &pa, &contig)) {
		g->stats.bad_pointers++;
		return 0;
	}
	return pa & g->addr_mask;
}

/*
 * Read and decode the task_struct at @task into @r.  The CR3 of an mm
 * already known, from @known's processes or from @leader (threads share
 * their leader's), is not read again.  0, or -errno (counted).  The span
 * buffer holds the task's bytes afterwards.
 */
static int decode_task(struct guest *g, uint64_t task, struct task_rec *r,
		       const struct task_set *known, const struct task_rec *leader)
{
	uint32_t flags, i;
	int err;

	if (!is_kernel_pointer(g, task)) {
		g->stats.bad_pointers++;
		return -EFAULT;
	}
	err = kread(g, task + g->span_lo, g->span_buf, g->span_len);
	if (err) {
		g->stats.bad_pointers++;
		return err;
	}
	r->t.task = task;
	r->t.tid = span_get(g, GUEST_OFF_TASK_PID, 4);
	r->t.pid = span_get(g, GUEST_OFF_TASK_TGID, 4);
	if (r->t.tid >= PID_MAX_LIMIT || r->t.pid >= PID_MAX_LIMIT) {
		g->stats.bad_tasks++;
		return -EBADMSG;
	}
	copy_comm(r->t.thread_comm, g->span_buf + (field(g, GUEST_OFF_TASK_COMM) - g->span_lo),
		  field(g, GUEST_SIZE_TASK_COMM));
	memcpy(r->t.comm, r->t.thread_comm, sizeof(r->t.comm));
	flags = span_get(g, GUEST_OFF_TASK_FLAGS, field(g, GUEST_SIZE_TASK_FLAGS) > 0 ?
			 field(g, GUEST_SIZE_TASK_FLAGS) : 4);
	r->t.state = field(g, GUEST_OFF_TASK_STATE) < 0 ? '?' :
		     state_letter(span_get(g, GUEST_OFF_TASK_STATE,
					   field(g, GUEST_SIZE_TASK_STATE) > 0 ?
					   field(g, GUEST_SIZE_TASK_STATE) : 4),
				  span_get(g, GUEST_OFF_TASK_EXIT_STATE, 4));
	r->t.start_time = span_get(g, GUEST_OFF_TASK_START_TIME, 8);
	r->t.uid = (uint32_t)-1;
	r->mm = span_ptr(g, GUEST_OFF_TASK_MM);
	r->active_mm = span_ptr(g, GUEST_OFF_TASK_ACTIVE_MM);
	r->leader = span_ptr(g, GUEST_OFF_TASK_GROUP_LEADER);
	r->real_parent = span_ptr(g, GUEST_OFF_TASK_REAL_PARENT);
	r->cred = span_ptr(g, GUEST_OFF_TASK_REAL_CRED);
	/* A user thread that has exited has no mm any more, but is no
	 * kernel thread: a record taken while it ran still names it. */
	if (flags & PF_KTHREAD || (!r->mm && !(flags & PF_EXITING)))
		r->t.flags |= GUEST_TASK_KTHREAD;
	if (flags & PF_IDLE || (!r->t.pid && !r->t.tid))
		r->t.flags |= GUEST_TASK_IDLE;
	if (r->mm) {
		if (leader && leader->mm == r->mm)
			r->t.cr3 = leader->t.cr3;
		else if (known && map_get(&known->by_mm, r->mm, &i))
			r->t.cr3 = known->tasks[i].t.cr3;
		else
			r->t.cr3 = mm_cr3(g, r->mm);
	}
	if (leader) {
		/* A thread: the process is its leader's. */
		r->t.pid = leader->t.pid;
		memcpy(r->t.comm, leader->t.comm, sizeof(r->t.comm));
		r->t.uid = leader->t.uid;
		r->t.ppid = leader->t.ppid;
	}
	return 0;
}

static void read_uid(struct guest *g, struct task_rec *r)
{
	uint32_t uid;

	if (field(g, GUEST_OFF_CRED_UID) < 0 || !is_kernel_pointer(g, r->cred))
		return;
	if (!kread(g, r->cred + field(g, GUEST_OFF_CRED_UID), &uid, 4))
		r->t.uid = uid;
}

/*
 * Follow a list of tasks linked through list_head field @link from @first
 * (a pointer to a link) until @head, adding each task to @s.  @budget
 * bounds the whole walk.  Returns 0 at the head, or -errno where the list
 * went wrong (counted).
 */
static int follow_list(struct guest *g, struct task_set *s, uint64_t first,
		       uint64_t head, enum guest_prof_field link,
		       const struct task_rec *leader, unsigned int *budget)
{
	uint64_t next = first, task, expect_prev = head;
	struct task_rec tmp, *r;
	int err;

	while (next != head) {
		if (!*budget) {
			g->stats.truncated++;
			return -E2BIG;
		}
		(*budget)--;
		task = next - field(g, link);
		if (task == leader->t.task) {
			/* The leader on signal->thread_head: already added. */
			expect_prev = next;
			err = kread_ptr(g, next, &next);
			if (err) {
				g->stats.bad_pointers++;
				return err;
			}
			continue;
		}
		if (set_find(s, task)) {
			g->stats.cycles++;
			return -ELOOP;
		}
		memset(&tmp, 0, sizeof(tmp));
		err = decode_task(g, task, &tmp, NULL, leader);
		if (err)
			return err;
		/* A list being changed under us, or not a list at all. */
		if (span_prev(g, link) != expect_prev) {
			g->stats.bad_pointers++;
			return -EBADMSG;
		}
		next = span_ptr(g, link);
		r = set_add(s, task);
		if (!r)
			return -ENOMEM;
		*r = tmp;
		expect_prev = task + field(g, link);
	}
	return 0;
}

/* Add the threads of @leader_idx's group (not the leader itself). */
static int walk_threads(struct guest *g, struct task_set *s, size_t leader_idx,
			uint64_t first_thread_group, unsigned int *budget)
{
	struct task_rec leader = s->tasks[leader_idx];
	uint64_t head, first, signal;
	int err;

	if (field(g, GUEST_OFF_TASK_THREAD_GROUP) >= 0) {
		/* A ring through every thread: the leader's node is the head. */
		head = leader.t.task + field(g, GUEST_OFF_TASK_THREAD_GROUP);
		return follow_list(g, s, first_thread_group, head,
				   GUEST_OFF_TASK_THREAD_GROUP, &leader, budget);
	}
	if (kread_ptr(g, leader.t.task + field(g, GUEST_OFF_TASK_SIGNAL), &signal) ||
	    !is_kernel_pointer(g, signal)) {
		g->stats.bad_pointers++;
		return -EFAULT;
	}
	head = signal + field(g, GUEST_OFF_SIGNAL_THREAD_HEAD);
	err = kread_ptr(g, head, &first);
	if (err) {
		g->stats.bad_pointers++;
		return err;
	}
	return follow_list(g, s, first, head, GUEST_OFF_TASK_THREAD_NODE,
			   &leader, budget);
}

static int index_set(struct guest *g, struct task_set *s)
{
	size_t i;
	uint32_t j;
	int err = 0;

	/* Processes by mm and CR3: leaders first, so that they win. */
	for (i = 0; i < s->nr && !err; i++) {
		struct task_rec *r = &s->tasks[i];

		if (map_get(&s->by_task, r->real_parent, &j))
			r->t.ppid = s->tasks[j].t.pid;
		if (r->t.pid != r->t.tid || !r->t.cr3)
			continue;
		err = map_put(&s->by_mm, r->mm, i, 0) ?:
		      map_put(&s->by_cr3, r->t.cr3, i, 0);
	}
	/* A leader that exited (mm gone) while its threads run. */
	for (i = 0; i < s->nr && !err; i++) {
		struct task_rec *r = &s->tasks[i];

		if (r->t.cr3 && !map_get(&s->by_cr3, r->t.cr3, &j))
			err = map_put(&s->by_cr3, r->t.cr3, i, 0);
	}
	/* KPTI: the user half is the next page; a real pgd there wins. */
	for (i = 0; i < s->nr && !err; i++) {
		struct task_rec *r = &s->tasks[i];

		if (r->t.cr3 && map_get(&s->by_cr3, r->t.cr3, &j) && j == i)
			err = map_put(&s->by_cr3, (r->t.cr3 + PAGE_SIZE) & g->addr_mask,
				      i, 0);
	}
	return err;
}

/* One walk of the task list into a new set, swapped in at the end. */
static int walk_tasks(struct guest *g)
{
	struct task_set s = { 0 };
	uint64_t init = g->prof->sym[GUEST_SYM_INIT_TASK] + g->vslide;
	uint64_t head = init + field(g, GUEST_OFF_TASK_TASKS), next, expect_prev;
	uint64_t thread_group, task;
	unsigned int budget = g->max_tasks;
	struct task_rec tmp, *r;
	int err, partial = 0;

	g->stats.walks++;
	g->last_walk_ns = g->now_ns();
	/* init_task: pid 0, the idle task of CPU 0, on the kernel's tables. */
	memset(&tmp, 0, sizeof(tmp));
	err = decode_task(g, init, &tmp, NULL, NULL);
	if (err)
		goto out;
	tmp.t.cr3 = g->kernel_cr3 & g->addr_mask;
	tmp.t.flags |= GUEST_TASK_IDLE | GUEST_TASK_KTHREAD;
	next = span_ptr(g, GUEST_OFF_TASK_TASKS);
	r = set_add(&s, init);
	if (!r) {
		err = -ENOMEM;
		goto out;
	}
	*r = tmp;
	expect_prev = head;
	/* Each pass adds a task or ends the walk: at most max_tasks passes. */
	while (next != head) {
		task = next - field(g, GUEST_OFF_TASK_TASKS);
		if (!budget) {
			g->stats.truncated++;
			partial = 1;
			break;
		}
		budget--;
		if (set_find(&s, task)) {
			g->stats.cycles++;
			partial = 1;
			break;
		}
		memset(&tmp, 0, sizeof(tmp));
		if (decode_task(g, task, &tmp, NULL, NULL)) {
			partial = 1;
			break;
		}
		if (span_prev(g, GUEST_OFF_TASK_TASKS) != expect_prev) {
			/* Not linked back: changed under us, or not a list. */
			g->stats.bad_pointers++;
			partial = 1;
			break;
		}
		next = span_ptr(g, GUEST_OFF_TASK_TASKS);
		thread_group = span_ptr(g, GUEST_OFF_TASK_THREAD_GROUP);
		expect_prev = task + field(g, GUEST_OFF_TASK_TASKS);
		read_uid(g, &tmp);
		r = set_add(&s, task);
		if (!r) {
			err = -ENOMEM;
			goto out;
		}
		*r = tmp;
		/* A broken thread list costs that group's threads only. */
		err = walk_threads(g, &s, s.nr - 1, thread_group, &budget);
		if (err == -ENOMEM)
			goto out;
		if (err)
			partial = 1;
	}
	err = index_set(g, &s);
out:
	if (err || partial)
		g->stats.walks_partial++;
	if (err) {
		set_free(&s);
		return err;
	}
	set_free(&g->cur);
	g->cur = s;
	set_free(&g->extra);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Opening */

static void set_status(struct guest *g, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void set_status(struct guest *g, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(g->status, sizeof(g->status), fmt, ap);
	va_end(ap);
}

/* Does @p describe something this decoder can use at all? */
static int profile_usable(const struct guest_profile *p)
{
	return p->sym[GUEST_SYM_LINUX_BANNER] && p->sym[GUEST_SYM_INIT_TASK] &&
	       (p->sym[GUEST_SYM_INIT_TOP_PGT] || p->sym[GUEST_SYM_SWAPPER_PG_DIR]) &&
	       p->field[GUEST_OFF_TASK_TASKS] >= 0 && p->field[GUEST_OFF_TASK_COMM] >= 0 &&
	       p->field[GUEST_OFF_TASK_PID] >= 0 && p->field[GUEST_OFF_TASK_TGID] >= 0 &&
	       p->field[GUEST_OFF_TASK_MM] >= 0 && p->field[GUEST_OFF_MM_PGD] >= 0 &&
	       p->field[GUEST_SIZE_TASK_COMM] > 0 &&
	       (p->pointer_size == 4 || p->pointer_size == 8);
}

/* Pick the profile (forced or matched) and find its kernel: 0 or -errno. */
static int match_profile(struct guest *g, const struct guest_opts *o)
{
	const char *dir = o->profile_dir ?: GUEST_PROFILE_DIR_DEFAULT;
	struct guest_profile **list = NULL, *forced = NULL, *one;
	char release[128];
	size_t nr = 0, i;
	uint64_t load;
	int err, idx = -1;

	if (o->profile) {
		one = (struct guest_profile *)o->profile;
		list = &one;
		nr = 1;
	} else if (o->profile_path) {
		err = guest_profile_load(o->profile_path, 0, &forced);
		if (err) {
			set_status(g, "profile %s: %s", o->profile_path,
				   err == -EBADMSG ? "not a valid profile" : strerror(-err));
			return err;
		}
		list = &forced;
		nr = 1;
	} else {
		err = guest_profile_dir_scan(dir, &list, &nr);
		if (err && err != -ENOENT) {
			set_status(g, "profile directory %s: %s", dir, strerror(-err));
			return err;
		}
	}
	for (i = 0; i < nr && idx < 0; i++)
		if (profile_usable(list[i]) && !find_load(g, list[i], &load))
			idx = i;
	if (idx < 0 && !o->no_scan) {
		/* Unaligned, or no profile at all: scan for any banner. */
		idx = scan_banners(g, list, nr, &load);
		if (idx < 0 || !profile_usable(list[idx]))
			idx = -1;
	}
	if (idx < 0) {
		if (o->profile || o->profile_path)
			set_status(g, "the kernel of profile %s is not in guest memory%s%.*s",
				   list[0]->name ? list[0]->name : list[0]->release,
				   g->banner[0] ? "; the guest runs: " : "",
				   (int)trimmed_len(g->banner), g->banner);
		else if (g->banner[0] &&
			 !guest_banner_release(g->banner, release, sizeof(release)))
			set_status(g, "no profile in %s matches this guest's kernel, "
				   "Linux %s (see profile create --help)", dir, release);
		else if (o->no_scan)
			set_status(g, "no profile's kernel at an aligned address in guest memory");
		else
			set_status(g, "no Linux kernel banner found in guest memory");
		err = -ENOENT;
		goto out;
	}
	g->phys_load = load;
	if (o->profile) {
		g->prof = (struct guest_profile *)o->profile;
	} else if (o->profile_path) {
		g->prof = forced;
		g->own_prof = 1;
		forced = NULL;
	} else {
		/* The directory scan read headers only: now the whole profile. */
		char path[4096];

		snprintf(path, sizeof(path), "%s/%s", dir, list[idx]->name);
		err = guest_profile_load(path, 0, &g->prof);
		if (err) {
			set_status(g, "profile %s: %s", path, strerror(-err));
			goto out;
		}
		g->own_prof = 1;
	}
	err = 0;
out:
	if (forced)
		guest_profile_free(forced);
	if (!o->profile && !o->profile_path)
		guest_profile_list_free(list, nr);
	return err;
}

static int watch_for(struct guest *g, uint64_t gs);

/* __per_cpu_offset[@cpu] (x86-64): 0 and *@gs, -ENODATA, or a read error. */
static int percpu_base(struct guest *g, uint32_t cpu, uint64_t *gs)
{
	uint64_t off = g->prof->sym[GUEST_SYM_PER_CPU_OFFSET];

	if (!off || g->prof->pointer_size != 8)
		return -ENODATA;
	return guest_mem_read_u64(g->mem, image_pa(g, off) + 8ULL * cpu, gs);
}

/*
 * Poll every vCPU's current task from the start, not from its first
 * record: records are decoded a while after they are taken, and the first
 * ones would find no timeline.  Each CPU's GS base is __per_cpu_offset[cpu]
 * (x86-64); without that symbol, vCPUs are watched as records show them.
 */
static void watch_all_cpus(struct guest *g, uint32_t nr_vcpus)
{
	uint64_t gs;
	uint32_t cpu;

	for (cpu = 0; cpu < nr_vcpus && cpu < GUEST_POLL_MAX_WATCHES; cpu++) {
		if (percpu_base(g, cpu, &gs))
			break;
		watch_for(g, gs);
	}
}

/*
 * Find the guest's kernel and walk its tasks.  Only running out of memory
 * is an error; anything the guest makes impossible leaves g->status saying
 * why and the guest not ready.
 */
static int attach(struct guest *g, const struct client_vm_info *vm,
		  const struct guest_opts *o)
{
	int err;

	err = guest_mem_open(vm->pid, vm->slots, vm->nr_slots, &g->mem);
	if (err) {
		set_status(g, "guest memory: %s", strerror(-err));
		return err == -ENOMEM ? err : 0;
	}
	if (vm->flags & VMTRACE_VM_F_STATE_PROTECTED) {
		set_status(g, "guest memory is encrypted (SEV-ES/SNP)");
		return 0;
	}
	err = match_profile(g, o);
	if (err)
		return err == -ENOMEM ? err : 0;
	if (find_slide(g)) {
		set_status(g, "the kernel page tables of profile %s do not map its kernel",
			   g->prof->name ? g->prof->name : g->prof->release);
		return 0;
	}
	g->addr_mask = g->paging == GUEST_PAGING_PAE ? 0xffffffe0ULL :
		       g->paging == GUEST_PAGING_32 ? 0xfffff000ULL : GUEST_PT_ADDR_MASK;
	find_direct_map(g);
	find_current(g);
	err = compute_span(g);
	if (err) {
		set_status(g, "profile %s: unusable task_struct layout", g->prof->name);
		return err == -ENOMEM ? err : 0;
	}
	err = walk_tasks(g);
	if (err) {
		set_status(g, "the guest's task list cannot be read (%s)", strerror(-err));
		return err == -ENOMEM ? err : 0;
	}
	g->ready = 1;
	set_status(g, "ok");
	/* Without the poller, threads come from live reads: not fatal. */
	g->poll_us = o->poll_us;
	if (o->poll_us && g->current_off &&
	    guest_poll_start(vm->pid, vm->slots, vm->nr_slots, o->poll_us, &g->poll))
		g->poll = NULL;
	if (g->poll)
		watch_all_cpus(g, vm->nr_vcpus);
	return 0;
}

int guest_open(const struct client_vm_info *vm, const struct guest_opts *o,
		   struct guest **out)
{
	static const struct guest_opts defaults;
	struct guest *g;
	int err;

	if (!o)
		o = &defaults;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->vm_id = vm->id;
	g->vmm_pid = vm->pid;
	g->max_tasks = o->max_tasks ?: DEFAULT_MAX_TASKS;
	g->rewalk_ns = o->rewalk_ns ?: DEFAULT_REWALK_NS;
	g->unknown_rewalk_ns = o->unknown_rewalk_ns ?: DEFAULT_UNKNOWN_REWALK_NS;
	g->current_cache_ns = o->current_cache_ns ?: DEFAULT_CURRENT_CACHE_NS;
	g->now_ns = o->now_ns ?: util_mono_ns;
	err = attach(g, vm, o);
	if (err) {
		guest_close(g);
		return err;
	}
	*out = g;
	return 0;
}

void guest_close(struct guest *g)
{
	if (!g)
		return;
	guest_poll_stop(g->poll);
	map_free(&g->poll_idx);
	set_free(&g->cur);
	set_free(&g->extra);
	free(g->seen);
	map_free(&g->seen_syms);
	free(g->span_buf);
	if (g->own_prof)
		guest_profile_free(g->prof);
	guest_mem_close(g->mem);
	free(g);
}

void guest_info(const struct guest *g, struct guest_info *info)
{
	memset(info, 0, sizeof(*info));
	info->vm_id = g->vm_id;
	info->vmm_pid = g->vmm_pid;
	info->ready = g->ready;
	info->status = g->status;
	info->banner = g->banner;
	info->mem_method = g->mem ? guest_mem_method(g->mem) : "none";
	if (!g->prof)
		return;
	info->profile = g->prof->name ? g->prof->name : g->prof->release;
	info->release = g->prof->release;
	info->paging = g->paging;
	info->phys_load = g->phys_load;
	info->phys_slide = g->phys_load - (g->prof->text_link - g->prof->kernel_map);
	info->virt_slide = g->vslide;
	info->kernel_cr3 = g->kernel_cr3;
	info->page_offset_base = g->dm_size ? g->dm_base : 0;
}

const struct guest_stats *guest_stats(const struct guest *g)
{
	return &g->stats;
}

int guest_rewalk(struct guest *g)
{
	if (!g->ready)
		return -ENODATA;
	return walk_tasks(g);
}

/* ------------------------------------------------------------------ */
/* Records */

/* The task running on the vCPU whose per-CPU area is at @gs: its VA or 0. */
static uint64_t current_task(struct guest *g, uint64_t gs, uint64_t now)
{
	unsigned int slot = hash64(gs) % CURRENT_CACHE_SLOTS;
	uint64_t task;

	if (g->current_cache[slot].gs == gs &&
	    now - g->current_cache[slot].at_ns < g->current_cache_ns)
		return g->current_cache[slot].task;
	g->stats.current_reads++;
	if (!is_kernel_pointer(g, gs) || kread_ptr(g, gs + g->current_off, &task) ||
	    !is_kernel_pointer(g, task)) {
		g->stats.current_failed++;
		task = 0;
	}
	g->current_cache[slot].gs = gs;
	g->current_cache[slot].task = task;
	g->current_cache[slot].at_ns = now;
	return task;
}

/*
 * Decode @task now, on the side (kept till the next walk), over a stale
 * copy there if any.  NULL if it is not a task.
 */
static struct task_rec *decode_on_side(struct guest *g, uint64_t task)
{
	struct task_rec tmp, *r, *leader;

	if (g->extra.nr >= EXTRA_TASKS_MAX)
		set_free(&g->extra);
	memset(&tmp, 0, sizeof(tmp));
	if (decode_task(g, task, &tmp, &g->cur, NULL)) {
		g->stats.current_failed++;
		return NULL;
	}
	/* A new thread: its process's name is its leader's. */
	leader = tmp.leader != task ? set_find(&g->cur, tmp.leader) : NULL;
	if (leader && leader->t.pid == tmp.t.pid) {
		memcpy(tmp.t.comm, leader->t.comm, sizeof(tmp.t.comm));
		tmp.t.ppid = leader->t.ppid;
		tmp.t.uid = leader->t.uid;
	}
	r = set_find(&g->extra, task);
	if (r && r->t.tid != tmp.t.tid) {
		/* Another thread took this task_struct over: samples of the
		 * one before may still come (task_of_sample()). */
		g->retired[g->next_retired++ % RETIRED_TASKS] = *r;
	}
	if (!r)
		r = set_add(&g->extra, task);
	if (r)
		*r = tmp;
	return r;
}

/* A task by VA: from the walk, else decoded now (and kept till the next). */
static struct task_rec *task_by_va(struct guest *g, uint64_t task)
{
	struct task_rec *r = set_find(&g->cur, task);

	if (r)
		return r;
	r = set_find(&g->extra, task);
	if (r)
		return r;
	return decode_on_side(g, task);
}

/*
 * The task a record's own task pointer names (VMTRACE_REC_F_TASK).  A
 * thread that exited since the walk may have left its task_struct to a
 * new one: the pid in guest memory is compared with the walk's at most
 * once per current_cache_ns per task, and a task found reused is decoded
 * afresh.  NULL if the pointer names no task.
 */
static struct task_rec *task_of_record(struct guest *g, uint64_t task, uint64_t now)
{
	unsigned int slot = hash64(task) % TASK_CHECK_SLOTS;
	struct task_rec *r;
	uint8_t pid[4];

	if (!is_kernel_pointer(g, task))
		return NULL;
	r = task_by_va(g, task);
	if (!r)
		return NULL;
	if (g->task_check[slot].task == task && g->task_check[slot].tid == r->t.tid &&
	    now - g->task_check[slot].at_ns < g->current_cache_ns)
		return r;
	if (field(g, GUEST_OFF_TASK_PID) >= 0 &&
	    !kread(g, task + field(g, GUEST_OFF_TASK_PID), pid, sizeof(pid)) &&
	    get_le(pid, 4) != r->t.tid) {
		g->stats.task_reused++;
		r = decode_on_side(g, task);
		if (!r)
			return NULL;
	}
	g->task_check[slot].task = task;
	g->task_check[slot].tid = r->t.tid;
	g->task_check[slot].at_ns = now;
	return r;
}

/*
 * The task a SAMPLE names by its pointer and by the pid the module read
 * with it (VMTRACE_REC_F_TID): no memory read when the decoded task has
 * that pid; else the task_struct changed hands since one of the two was
 * decoded: the thread with that pid, from the walk, the tasks retired from
 * the side set, or decoded afresh if the pointer holds it now.  NULL if
 * none of them is that thread.
 */
static struct task_rec *task_of_sample(struct guest *g, uint64_t task, uint32_t tid)
{
	struct task_rec *r;
	uint32_t i;

	if (!is_kernel_pointer(g, task))
		return NULL;
	r = task_by_va(g, task);
	if (r && r->t.tid == tid)
		return r;
	g->stats.task_reused++;
	for (i = 0; i < RETIRED_TASKS; i++)
		if (g->retired[i].t.task == task && g->retired[i].t.tid == tid)
			return &g->retired[i];
	r = decode_on_side(g, task);
	return r && r->t.tid == tid ? r : NULL;
}

/* Is kernel thread @th running on @mm right now (lazy TLB)? */
static int kthread_borrows(struct guest *g, const struct task_rec *th,
			   uint64_t mm)
{
	uint64_t active;

	/* active_mm changes at every switch: read it now, not from the walk. */
	if (field(g, GUEST_OFF_TASK_ACTIVE_MM) < 0 ||
	    kread_ptr(g, th->t.task + field(g, GUEST_OFF_TASK_ACTIVE_MM), &active))
		return 0;
	return active == mm;
}

static struct task_rec *process_by_cr3(struct guest *g, uint64_t key)
{
	uint32_t i;

	return map_get(&g->cur.by_cr3, key, &i) ? &g->cur.tasks[i] : NULL;
}

/* Remember what was said for (cr3, gs); 1 if it differs from last time. */
static int note_seen(struct guest *g, uint64_t cr3, uint64_t gs,
		     const struct guest_task *t)
{
	size_t i, n;
	struct seen_key *k;

	if (g->seen_nr * 2 >= g->seen_cap) {
		size_t cap = g->seen_cap ? g->seen_cap * 2 : 256;
		struct seen_key *old = g->seen, *fresh;
		size_t old_cap = g->seen_cap;

		/* Too many keys (a guest making up CR3s): start over. */
		if (cap > 2 * SEEN_KEYS_MAX) {
			cap = g->seen_cap;
			old_cap = 0;
		}
		fresh = calloc(cap, sizeof(*fresh));
		if (!fresh)
			return 1;
		g->seen = fresh;
		g->seen_cap = cap;
		g->seen_nr = 0;
		for (i = 0; i < old_cap; i++) {
			if (!old[i].task)
				continue;
			for (n = hash64(old[i].cr3 ^ hash64(old[i].gs)) & (cap - 1);
			     fresh[n].task; n = (n + 1) & (cap - 1))
				;
			fresh[n] = old[i];
			g->seen_nr++;
		}
		free(old);
	}
	for (i = hash64(cr3 ^ hash64(gs)) & (g->seen_cap - 1), n = 0;
	     n < g->seen_cap; i = (i + 1) & (g->seen_cap - 1), n++) {
		k = &g->seen[i];
		if (!k->task)
			break;
		if (k->cr3 == cr3 && k->gs == gs) {
			if (k->task == t->task && k->pid == t->pid && k->tid == t->tid &&
			    !strcmp(k->comm, t->comm) &&
			    !strcmp(k->thread_comm, t->thread_comm))
				return 0;
			goto fill;
		}
	}
	if (n == g->seen_cap)
		return 1;
	g->seen_nr++;
fill:
	k->cr3 = cr3;
	k->gs = gs;
	k->task = t->task ?: 1;
	k->pid = t->pid;
	k->tid = t->tid;
	memcpy(k->comm, t->comm, sizeof(k->comm));
	memcpy(k->thread_comm, t->thread_comm, sizeof(k->thread_comm));
	return 1;
}

/* The timeline of the vCPU with GS base @gs: its watch index, or -1. */
static int watch_for(struct guest *g, uint64_t gs)
{
	uint64_t pa, contig;
	uint32_t idx;
	int ret;

	if (map_get(&g->poll_idx, gs, &idx))
		return (int)idx - 1;
	/* A GS base that is not a kernel address watches nothing. */
	if (!is_kernel_pointer(g, gs) ||
	    kva_to_pa(g, gs + g->current_off, &pa, &contig) || contig < 8)
		ret = -1;
	else
		ret = guest_poll_watch(g->poll, pa);
	if (ret >= 0)
		g->stats.watches++;
	/* Failures are remembered too: a guest inventing GS bases costs one
	 * translation each, and at most GUEST_POLL_MAX_WATCHES watches. */
	map_put(&g->poll_idx, gs, ret < 0 ? 0 : ret + 1, 1);
	return ret < 0 ? -1 : ret;
}

/*
 * Does thread @th fit a record with page tables @key, process @proc and
 * privilege @user (1 user, 0 kernel, -1 unknown)?  @seen: a poll saw @th
 * current at the record's time (not just at decode time).
 */
static int thread_fits(struct guest *g, const struct task_rec *th,
		       const struct task_rec *proc, uint64_t key, int user, int seen)
{
	if (th->mm)
		return th->t.cr3 == key || ((th->t.cr3 + PAGE_SIZE) & g->addr_mask) == key;
	/* Exited since (read after the record): of the record's process. */
	if (!(th->t.flags & GUEST_TASK_KTHREAD))
		return proc && th->t.pid == proc->t.pid;
	/* A kernel thread never runs user code. */
	if (user == 1)
		return 0;
	if ((th->t.flags & GUEST_TASK_IDLE) || key == (g->kernel_cr3 & g->addr_mask))
		return 1;
	/* It runs on a borrowed mm (lazy TLB): the poll saw it, or its
	 * active_mm is the record's process's right now. */
	return seen || (proc && kthread_borrows(g, th, proc->mm));
}

struct fit_query {
	struct guest *g;
	const struct task_rec *proc;
	uint64_t key;
	int user;
};

/* For guest_poll_nearest(): is @task a thread that fits the record? */
static int fits_record(void *arg, uint64_t task)
{
	struct fit_query *q = arg;
	struct task_rec *th;

	if (!is_kernel_pointer(q->g, task))
		return 0;
	th = task_by_va(q->g, task);
	/* Only a thread of the record's process: a kernel thread seen at
	 * another time says nothing about this record. */
	return th && th->mm && thread_fits(q->g, th, q->proc, q->key, q->user, 0);
}

/*
 * The thread that ran.  With a timeline: the task the polls saw at the
 * record's TSC (either side of a switch between two polls); failing that
 * (they saw another process, or the record is older than the timeline or
 * newer than its last poll), the nearest poll's thread of the record's
 * process.  Without a timeline: the task current now, if it fits.
 */
static struct task_rec *pick_thread(struct guest *g, const struct task_rec *proc,
				    uint64_t key, uint64_t gs, uint64_t tsc, int user,
				    uint64_t now)
{
	struct guest_poll_span before = { 0 }, after = { 0 };
	uint64_t cand[2];
	struct task_rec *th;
	int n = 0, seen = 0, idx = -1, i, ret;

	if (g->poll && tsc)
		idx = watch_for(g, gs);
	/* Not polled any more (the module reads this vCPU's current task):
	 * its timeline has nothing for this record; what is current now. */
	if (idx >= 0 && guest_poll_paused(g->poll, idx))
		idx = -1;
	if (idx >= 0) {
		ret = guest_poll_at(g->poll, idx, tsc, &before, &after);
		/* Not polled since the record: a few intervals at most. */
		if (!ret && !guest_poll_wait(g->poll, idx, tsc, 4 * g->poll_us))
			ret = guest_poll_at(g->poll, idx, tsc, &before, &after);
		switch (ret) {
		case 2:
			cand[n++] = before.value;
			g->stats.timeline_hits++;
			break;
		case 1:
			/* Switched between two polls: the nearer first. */
			if (tsc - before.last_tsc <= after.first_tsc - tsc) {
				cand[n++] = before.value;
				cand[n++] = after.value;
			} else {
				cand[n++] = after.value;
				cand[n++] = before.value;
			}
			g->stats.timeline_between++;
			break;
		default:
			g->stats.timeline_misses++;
		}
		seen = n > 0;
	} else if ((cand[0] = current_task(g, gs, now))) {
		n = 1;
	}
	for (i = 0; i < n; i++) {
		th = is_kernel_pointer(g, cand[i]) ? task_by_va(g, cand[i]) : NULL;
		if (th && thread_fits(g, th, proc, key, user, seen))
			return th;
	}
	if (n)
		g->stats.current_mismatch++;
	/* The polls around the record do not show this process running. */
	if (idx >= 0 && proc) {
		struct fit_query q = { g, proc, key, user };

		if (!guest_poll_nearest(g->poll, idx, tsc, NEAREST_MAX, fits_record,
				       &q, &cand[0])) {
			g->stats.timeline_nearest++;
			return task_by_va(g, cand[0]);
		}
	}
	/* A timeline with nothing for this record (it has just started): the
	 * task current now, if it fits. */
	if (idx >= 0 && !seen && (cand[0] = current_task(g, gs, now))) {
		th = is_kernel_pointer(g, cand[0]) ? task_by_va(g, cand[0]) : NULL;
		if (th && thread_fits(g, th, proc, key, user, 0))
			return th;
	}
	return NULL;
}

/*
 * The thread of a record that carries its task pointer (@task): exact when
 * that task fits the record.  One that does not (a record taken inside a
 * context switch, between the switch of page tables and that of the
 * current task; or a guest writing nonsense there) names the process only.
 */
static struct task_rec *record_thread(struct guest *g, const struct task_rec *proc,
				      uint64_t key, uint64_t task, uint32_t tid, int user,
				      uint64_t now)
{
	struct task_rec *th = tid ? task_of_sample(g, task, tid) : task_of_record(g, task, now);

	if (!th) {
		g->stats.task_unknown++;
		return NULL;
	}
	if (!thread_fits(g, th, proc, key, user, 1)) {
		g->stats.task_mismatch++;
		return NULL;
	}
	g->stats.task_exact++;
	return th;
}

/*
 * @key2: the record's third guest word, the GS base, or with @task_ptr the
 * guest's current task (VMTRACE_REC_F_TASK), and then @tid that task's pid
 * at the same moment (VMTRACE_REC_F_TID) or 0.  GUEST_TASK_CHANGED is per
 * (cr3, key2, tid).
 */
static int resolve(struct guest *g, uint64_t cr3, uint64_t key2, int task_ptr,
		   uint32_t tid, uint64_t tsc, int user, struct guest_task *out)
{
	uint64_t key, now;
	struct task_rec *proc, *th = NULL;

	g->stats.lookups++;
	if (!g->ready)
		return -ENODATA;
	now = g->now_ns();
	if (now - g->last_walk_ns >= g->rewalk_ns)
		walk_tasks(g);
	key = cr3 & g->addr_mask;
	proc = process_by_cr3(g, key);
	if (!proc && now - g->last_unknown_walk_ns >= g->unknown_rewalk_ns) {
		g->last_unknown_walk_ns = now;
		g->stats.unknown_walks++;
		walk_tasks(g);
		proc = process_by_cr3(g, key);
	}
	if (task_ptr)
		th = record_thread(g, proc, key, key2, tid, user, now);
	else if (key2 && g->current_off)
		th = pick_thread(g, proc, key, key2, tsc, user, now);
	/* The poller's own counts, as of this record. */
	if (g->poll)
		guest_poll_counts(g->poll, &g->stats.polls, &g->stats.poll_failures);
	if (th) {
		*out = th->t;
		out->flags |= GUEST_TASK_THREAD;
		out->cr3 = key;
	} else if (proc) {
		g->stats.process_only++;
		*out = proc->t;
		out->tid = out->pid;
		memcpy(out->thread_comm, out->comm, sizeof(out->comm));
		out->cr3 = key;
	} else {
		g->stats.unknown_cr3++;
		return -ENOENT;
	}
	if (note_seen(g, key, key2, out))
		out->flags |= GUEST_TASK_CHANGED;
	return 0;
}

int guest_task_for(struct guest *g, uint64_t cr3, uint64_t gs_base,
		       struct guest_task *out)
{
	return resolve(g, cr3, gs_base, 0, 0, 0, -1, out);
}

int guest_task_for_record(struct guest *g, const struct vmtrace_record *rec,
			      struct guest_task *out)
{
	if (rec->flags & VMTRACE_REC_F_NO_STATE) {
		g->stats.lookups++;
		return -ENODATA;
	}
	int task = !!(rec->flags & VMTRACE_REC_F_TASK);
	/* A pid of 0 is the idle task's: no help telling threads apart. */
	uint32_t tid = task && rec->kind == VMTRACE_KIND_SAMPLE &&
		       (rec->flags & VMTRACE_REC_F_TID) ? rec->guest_tid : 0;

	return resolve(g, rec->u.g.guest_cr3, rec->u.g.guest_gs_base, task, tid,
		       rec->host_tsc, (rec->mode & VMTRACE_MODE_CPL_MASK) == 3, out);
}

int guest_tid_layout(struct guest *g, uint64_t *direct_map, uint32_t *pid_offset)
{
	if (!g->ready || !g->dm_size || field(g, GUEST_OFF_TASK_PID) < 0)
		return -ENODATA;
	*direct_map = g->dm_base;
	*pid_offset = field(g, GUEST_OFF_TASK_PID);
	return 0;
}

int guest_cpu_gs_base(struct guest *g, uint32_t cpu, uint64_t *gs_base)
{
	if (!g->ready)
		return -ENODATA;
	return percpu_base(g, cpu, gs_base);
}

void guest_task_slot_set(struct guest *g, uint64_t gs_base)
{
	int idx;

	if (!g->poll || !g->ready || !g->current_off)
		return;
	idx = watch_for(g, gs_base);
	if (idx >= 0) {
		guest_poll_pause(g->poll, idx, 1);
		g->stats.watches_paused++;
	}
}

int guest_task_slot(struct guest *g, uint64_t gs_base, uint64_t *hva)
{
	uint64_t pa, contig;
	int err;

	if (!g->ready || !g->current_off)
		return -ENODATA;
	if (!is_kernel_pointer(g, gs_base))
		return -EINVAL;
	err = kva_to_pa(g, gs_base + g->current_off, &pa, &contig);
	if (err)
		return err;
	if (contig < 8 || (pa & 7))
		return -EFAULT;
	return guest_mem_hva(g->mem, pa, 8, hva);
}

int guest_symbolize(struct guest *g, uint64_t rip, char *buf, size_t len)
{
	if (!g->ready) {
		snprintf(buf, len, "0x%llx", (unsigned long long)rip);
		return -ENODATA;
	}
	return guest_profile_symbolize(g->prof, g->vslide, rip, buf, len);
}

int guest_symbol(struct guest *g, uint64_t rip, uint64_t *start,
		     uint64_t *size, char *name, size_t len, int *is_new)
{
	const struct guest_ksym *s;
	uint64_t off, sz = 0;
	uint32_t dummy;

	if (!g->ready)
		return -ENODATA;
	s = guest_profile_find_code(g->prof, g->vslide, rip, &off, &sz);
	if (!s)
		return -ENOENT;
	*start = s->addr + g->vslide;
	*size = sz;
	snprintf(name, len, "%s", s->name);
	*is_new = !map_get(&g->seen_syms, *start, &dummy);
	if (*is_new) {
		if (g->seen_syms.nr >= SEEN_SYMS_MAX)
			map_free(&g->seen_syms);
		map_put(&g->seen_syms, *start, 1, 0);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Listing and reading */

static int task_cmp(const void *a, const void *b)
{
	const struct guest_task *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	return 0;
}

int guest_tasks(struct guest *g, int threads, struct guest_task **out,
		    size_t *nr)
{
	struct guest_task *list;
	size_t i, n = 0;

	if (!g->ready)
		return -ENODATA;
	list = calloc(g->cur.nr ? g->cur.nr : 1, sizeof(*list));
	if (!list)
		return -ENOMEM;
	for (i = 0; i < g->cur.nr; i++) {
		const struct task_rec *r = &g->cur.tasks[i];

		if (!threads && r->t.pid != r->t.tid)
			continue;
		list[n++] = r->t;
	}
	qsort(list, n, sizeof(*list), task_cmp);
	*out = list;
	*nr = n;
	return 0;
}

int guest_find_pid(struct guest *g, uint32_t pid, struct guest_task *out)
{
	size_t i;

	if (!g->ready)
		return -ENODATA;
	/* The process (leader) first, then a thread with that id. */
	for (i = 0; i < g->cur.nr; i++) {
		if (g->cur.tasks[i].t.tid == pid && g->cur.tasks[i].t.pid == pid) {
			*out = g->cur.tasks[i].t;
			return 0;
		}
	}
	for (i = 0; i < g->cur.nr; i++) {
		if (g->cur.tasks[i].t.tid == pid) {
			*out = g->cur.tasks[i].t;
			return 0;
		}
	}
	return -ESRCH;
}

int guest_read_cr3(struct guest *g, enum guest_paging mode, uint64_t cr3,
		       uint64_t va, void *buf, size_t len, size_t *done)
{
	struct guest_pt_walk w;
	uint8_t *dst = buf;
	uint64_t chunk;
	int err;

	*done = 0;
	if (!g->mem)
		return -ENODATA;
	/* One walk per page: bounded by len / 4 KiB + 1. */
	while (len) {
		err = guest_pt_translate(g->mem, mode, cr3, va, &w);
		if (err) {
			g->stats.pt_faults++;
			return err;
		}
		chunk = w.page_size - (w.pa & (w.page_size - 1));
		if (chunk > len)
			chunk = len;
		err = guest_mem_read(g->mem, w.pa, dst, chunk);
		if (err) {
			g->stats.mem_errors++;
			return err;
		}
		dst += chunk;
		va += chunk;
		len -= chunk;
		*done += chunk;
	}
	return 0;
}

int guest_read_virt(struct guest *g, uint32_t pid, uint64_t va,
			void *buf, size_t len, size_t *done)
{
	struct guest_task t;
	uint64_t cr3;
	int err;

	*done = 0;
	if (!g->ready)
		return -ENODATA;
	if (pid) {
		err = guest_find_pid(g, pid, &t);
		if (err)
			return err;
		if (!t.cr3 || (t.flags & GUEST_TASK_KTHREAD))
			return -ESRCH;
		cr3 = t.cr3;
	} else {
		cr3 = g->kernel_cr3;
	}
	return guest_read_cr3(g, g->paging, cr3, va, buf, len, done);
}
