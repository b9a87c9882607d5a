// SPDX-License-Identifier: GPL-2.0
/* A synthetic Linux guest image: see synth_guest.h. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include "synth_guest.h"
#include "test_util.h"

#define SZ_4K 0x1000ULL
#define SZ_2M 0x200000ULL
#define SZ_1G 0x40000000ULL
#define KERNEL_MAP 0xffffffff80000000ULL
#define PTE_P 0x1ULL
#define PTE_W 0x2ULL
#define PTE_U 0x4ULL
#define PTE_PS 0x80ULL
#define PTE_NX (1ULL << 63)
#define PF_KTHREAD 0x00200000U

/* Link addresses of the synthetic image (offsets from _text). */
#define L_DO_IDLE 0x1000ULL
#define L_SCHEDULE 0x2000ULL
#define L_HALT 0x3000ULL
#define L_ETEXT 0x100000ULL
#define L_BANNER 0x110000ULL
#define L_PAGE_OFFSET_BASE 0x120000ULL
#define L_L5 0x120010ULL
#define L_INIT_STACK 0x200000ULL
#define L_INIT_TOP_PGT 0x210000ULL
#define L_INIT_TASK 0x220000ULL
#define L_INIT_MM 0x230000ULL
#define L_PER_CPU_OFFSET 0x240000ULL
#define L_SINITTEXT 0x300000ULL
#define L_EINITTEXT 0x310000ULL
#define IMAGE_SIZE 0x400000ULL
#define CURRENT_TASK_PERCPU 0x1fb80ULL
#define PCPU_HOT_PERCPU 0x351c0ULL
#define PERCPU_SIZE 0x40000ULL
#define TASK_SIZE 9792

static const char banner_text[] =
	"Linux version 6.1.0-synth (vmtrace@tests) (gcc) #1 SMP PREEMPT_DYNAMIC\n";

static const int32_t offsets_61[__GUEST_PROF_FIELDS] = {
	[GUEST_OFF_TASK_TASKS] = 2192, [GUEST_OFF_TASK_PID] = 2416,
	[GUEST_OFF_TASK_TGID] = 2420, [GUEST_OFF_TASK_COMM] = 2976,
	[GUEST_OFF_TASK_MM] = 2272, [GUEST_OFF_TASK_ACTIVE_MM] = 2280,
	[GUEST_OFF_TASK_FLAGS] = 44, [GUEST_OFF_TASK_STATE] = 24,
	[GUEST_OFF_TASK_EXIT_STATE] = 2308, [GUEST_OFF_TASK_REAL_CRED] = 2952,
	[GUEST_OFF_TASK_REAL_PARENT] = 2432, [GUEST_OFF_TASK_GROUP_LEADER] = 2480,
	[GUEST_OFF_TASK_THREAD_GROUP] = 2592, [GUEST_OFF_TASK_SIGNAL] = 3072,
	[GUEST_OFF_TASK_THREAD_NODE] = 2608, [GUEST_OFF_TASK_START_TIME] = 2776,
	[GUEST_OFF_TASK_STACK] = 32, [GUEST_OFF_SIGNAL_THREAD_HEAD] = 16,
	[GUEST_OFF_MM_PGD] = 72, [GUEST_OFF_CRED_UID] = 8,
	[GUEST_OFF_PCPU_HOT_CURRENT_TASK] = -1, [GUEST_SIZE_TASK_STRUCT] = TASK_SIZE,
	[GUEST_SIZE_TASK_COMM] = 16, [GUEST_SIZE_TASK_STATE] = 4,
	[GUEST_SIZE_TASK_FLAGS] = 4,
};

static const int32_t offsets_612[__GUEST_PROF_FIELDS] = {
	[GUEST_OFF_TASK_TASKS] = 2224, [GUEST_OFF_TASK_PID] = 2432,
	[GUEST_OFF_TASK_TGID] = 2436, [GUEST_OFF_TASK_COMM] = 2976,
	[GUEST_OFF_TASK_MM] = 2304, [GUEST_OFF_TASK_ACTIVE_MM] = 2312,
	[GUEST_OFF_TASK_FLAGS] = 44, [GUEST_OFF_TASK_STATE] = 24,
	[GUEST_OFF_TASK_EXIT_STATE] = 2328, [GUEST_OFF_TASK_REAL_CRED] = 2952,
	[GUEST_OFF_TASK_REAL_PARENT] = 2448, [GUEST_OFF_TASK_GROUP_LEADER] = 2496,
	[GUEST_OFF_TASK_THREAD_GROUP] = -1, [GUEST_OFF_TASK_SIGNAL] = 3072,
	[GUEST_OFF_TASK_THREAD_NODE] = 2608, [GUEST_OFF_TASK_START_TIME] = 2776,
	[GUEST_OFF_TASK_STACK] = 32, [GUEST_OFF_SIGNAL_THREAD_HEAD] = 16,
	[GUEST_OFF_MM_PGD] = 120, [GUEST_OFF_CRED_UID] = 8,
	[GUEST_OFF_PCPU_HOT_CURRENT_TASK] = 0, [GUEST_SIZE_TASK_STRUCT] = TASK_SIZE,
	[GUEST_SIZE_TASK_COMM] = 16, [GUEST_SIZE_TASK_STATE] = 4,
	[GUEST_SIZE_TASK_FLAGS] = 4,
};

int32_t synth_off(const struct synth_guest *s, enum guest_prof_field f)
{
	return s->prof->field[f];
}

uint64_t synth_va(const struct synth_guest *s, uint64_t pa)
{
	return s->o.page_offset_base + pa;
}

uint64_t synth_pa(const struct synth_guest *s, uint64_t va)
{
	uint64_t text = SYNTH_TEXT_LINK + s->o.vslide;

	if (va >= text && va - text < IMAGE_SIZE)
		return s->o.phys_load + (va - text);
	TEST_ASSERT(va >= s->o.page_offset_base &&
		    va - s->o.page_offset_base < s->ram_size,
		    "synth: 0x%llx is not a direct-map address", (unsigned long long)va);
	return va - s->o.page_offset_base;
}

uint64_t synth_image_va(const struct synth_guest *s, uint64_t link)
{
	return link + s->o.vslide;
}

void synth_write(struct synth_guest *s, uint64_t pa, const void *buf, size_t len)
{
	TEST_ASSERT(pa + len <= s->ram_size, "synth: write at 0x%llx past RAM",
		    (unsigned long long)pa);
	memcpy(s->ram + pa, buf, len);
}

void synth_w64(struct synth_guest *s, uint64_t pa, uint64_t v)
{
	synth_write(s, pa, &v, 8);
}

void synth_w32(struct synth_guest *s, uint64_t pa, uint32_t v)
{
	synth_write(s, pa, &v, 4);
}

uint64_t synth_r64(const struct synth_guest *s, uint64_t pa)
{
	uint64_t v;

	memcpy(&v, s->ram + pa, 8);
	return v;
}

/* A write to a task field (through its direct-map address). */
static void task_w64(struct synth_guest *s, uint64_t task, enum guest_prof_field f,
		     uint64_t v)
{
	synth_w64(s, synth_pa(s, task) + synth_off(s, f), v);
}

static void task_w32(struct synth_guest *s, uint64_t task, enum guest_prof_field f,
		     uint32_t v)
{
	synth_w32(s, synth_pa(s, task) + synth_off(s, f), v);
}

static uint64_t task_r64(const struct synth_guest *s, uint64_t task,
			 enum guest_prof_field f)
{
	return synth_r64(s, synth_pa(s, task) + synth_off(s, f));
}

static uint64_t pool_page(struct synth_guest *s)
{
	uint64_t pa = s->pool_next;

	TEST_ASSERT(pa < s->pool_end, "synth: out of page-table pages");
	s->pool_next += SZ_4K;
	memset(s->ram + pa, 0, SZ_4K);
	return pa;
}

/* Kernel object memory, @align aligned: its physical address. */
static uint64_t heap_alloc(struct synth_guest *s, uint64_t size, uint64_t align)
{
	uint64_t pa = (s->heap_next + align - 1) & ~(align - 1);

	TEST_ASSERT(pa + size <= s->heap_end, "synth: out of heap");
	s->heap_next = pa + size;
	memset(s->ram + pa, 0, size);
	return pa;
}

void synth_map(struct synth_guest *s, uint64_t cr3, uint64_t va, uint64_t pa,
	       uint64_t page_size, uint64_t flags)
{
	int levels = s->o.paging == GUEST_PAGING_5L ? 5 : 4, level;
	uint64_t table = cr3 & ~0xfffULL, entry_pa, e;
	int leaf = page_size == SZ_1G ? 3 : page_size == SZ_2M ? 2 : 1;

	for (level = levels; level > leaf; level--) {
		entry_pa = table + ((va >> (12 + 9 * (level - 1))) & 511) * 8;
		e = synth_r64(s, entry_pa);
		if (!(e & PTE_P)) {
			e = pool_page(s) | PTE_P | PTE_W | PTE_U;
			synth_w64(s, entry_pa, e);
		}
		TEST_ASSERT(!(e & PTE_PS), "synth: mapping under a large page");
		table = e & 0x000ffffffffff000ULL;
	}
	entry_pa = table + ((va >> (12 + 9 * (leaf - 1))) & 511) * 8;
	synth_w64(s, entry_pa, pa | flags | PTE_P | (leaf > 1 ? PTE_PS : 0));
}

static struct guest_profile *make_profile(const struct synth_opts *o)
{
	struct guest_profile *p = guest_profile_new();
	struct guest_ksyms *k;

	TEST_ASSERT(p, "synth: no memory");
	memcpy(p->field, o->modern ? offsets_612 : offsets_61, sizeof(p->field));
	p->release = strdup("6.1.0-synth");
	p->banner = strdup(banner_text);
	p->name = strdup("synth");
	p->pointer_size = 8;
	p->text_link = SYNTH_TEXT_LINK;
	p->kernel_map = KERNEL_MAP;
	p->sym[GUEST_SYM_TEXT] = p->sym[GUEST_SYM_STEXT] = SYNTH_TEXT_LINK;
	p->sym[GUEST_SYM_ETEXT] = SYNTH_TEXT_LINK + L_ETEXT;
	p->sym[GUEST_SYM_SINITTEXT] = SYNTH_TEXT_LINK + L_SINITTEXT;
	p->sym[GUEST_SYM_EINITTEXT] = SYNTH_TEXT_LINK + L_EINITTEXT;
	p->sym[GUEST_SYM_LINUX_BANNER] = SYNTH_TEXT_LINK + L_BANNER;
	p->sym[GUEST_SYM_PAGE_OFFSET_BASE] = SYNTH_TEXT_LINK + L_PAGE_OFFSET_BASE;
	p->sym[GUEST_SYM_PGTABLE_L5_ENABLED] = SYNTH_TEXT_LINK + L_L5;
	p->sym[GUEST_SYM_INIT_STACK] = SYNTH_TEXT_LINK + L_INIT_STACK;
	p->sym[GUEST_SYM_INIT_TOP_PGT] = SYNTH_TEXT_LINK + L_INIT_TOP_PGT;
	p->sym[GUEST_SYM_INIT_TASK] = SYNTH_TEXT_LINK + L_INIT_TASK;
	p->sym[GUEST_SYM_INIT_MM] = SYNTH_TEXT_LINK + L_INIT_MM;
	p->sym[GUEST_SYM_PER_CPU_END] = 0x40000;
	p->sym[GUEST_SYM_PER_CPU_OFFSET] = SYNTH_TEXT_LINK + L_PER_CPU_OFFSET;
	if (o->modern)
		p->sym[GUEST_SYM_PCPU_HOT] = PCPU_HOT_PERCPU;
	else
		p->sym[GUEST_SYM_CURRENT_TASK] = CURRENT_TASK_PERCPU;
	k = guest_ksyms_new();
	TEST_ASSERT(k, "synth: no memory");
	TEST_ASSERT(!guest_ksyms_add(k, SYNTH_TEXT_LINK, 'T', "_stext") &&
		    !guest_ksyms_add(k, SYNTH_TEXT_LINK + L_DO_IDLE, 't', "do_idle") &&
		    !guest_ksyms_add(k, SYNTH_TEXT_LINK + L_SCHEDULE, 'T', "schedule") &&
		    !guest_ksyms_add(k, SYNTH_TEXT_LINK + L_SCHEDULE, 't', "__schedule_alias") &&
		    !guest_ksyms_add(k, SYNTH_TEXT_LINK + L_HALT, 'T', "native_safe_halt") &&
		    !guest_ksyms_add(k, SYNTH_TEXT_LINK + L_SINITTEXT, 'T', "start_kernel") &&
		    !guest_ksyms_finish(k), "synth: symbols");
	p->code = k;
	return p;
}

/* Fill a task_struct's own fields; lists are the caller's. */
static void init_task_fields(struct synth_guest *s, uint64_t task, uint32_t pid,
			     uint32_t tgid, const char *comm, uint32_t flags)
{
	uint64_t pa = synth_pa(s, task);
	char name[16] = { 0 };

	strncpy(name, comm, sizeof(name) - 1);
	task_w32(s, task, GUEST_OFF_TASK_PID, pid);
	task_w32(s, task, GUEST_OFF_TASK_TGID, tgid);
	task_w32(s, task, GUEST_OFF_TASK_FLAGS, flags);
	task_w32(s, task, GUEST_OFF_TASK_STATE, 1);	/* TASK_INTERRUPTIBLE */
	synth_write(s, pa + synth_off(s, GUEST_OFF_TASK_COMM), name, sizeof(name));
	task_w64(s, task, GUEST_OFF_TASK_GROUP_LEADER, task);
	task_w64(s, task, GUEST_OFF_TASK_START_TIME, 1000000ULL * pid + 7);
	/* Empty lists point at themselves. */
	if (synth_off(s, GUEST_OFF_TASK_THREAD_GROUP) >= 0) {
		task_w64(s, task, GUEST_OFF_TASK_THREAD_GROUP,
			 task + synth_off(s, GUEST_OFF_TASK_THREAD_GROUP));
		synth_w64(s, pa + synth_off(s, GUEST_OFF_TASK_THREAD_GROUP) + 8,
			  task + synth_off(s, GUEST_OFF_TASK_THREAD_GROUP));
	}
}

/* list_add_tail(new, head) on list_heads at VAs. */
static void list_add_tail(struct synth_guest *s, uint64_t new, uint64_t head)
{
	uint64_t prev = synth_r64(s, synth_pa(s, head) + 8);

	synth_w64(s, synth_pa(s, new), head);
	synth_w64(s, synth_pa(s, new) + 8, prev);
	synth_w64(s, synth_pa(s, prev), new);
	synth_w64(s, synth_pa(s, head) + 8, new);
}

static void list_del(struct synth_guest *s, uint64_t entry)
{
	uint64_t next = synth_r64(s, synth_pa(s, entry));
	uint64_t prev = synth_r64(s, synth_pa(s, entry) + 8);

	synth_w64(s, synth_pa(s, prev), next);
	synth_w64(s, synth_pa(s, next) + 8, prev);
}

/* A new mm with an 8 KiB pgd (KPTI) whose kernel half is the kernel's. */
static uint64_t new_mm(struct synth_guest *s)
{
	uint64_t mm = heap_alloc(s, SZ_4K, SZ_4K);
	uint64_t pgd = heap_alloc(s, 2 * SZ_4K, 2 * SZ_4K);

	/* Like pgd_ctor(): the kernel's top-level entries, 256..511. */
	memcpy(s->ram + pgd + 2048, s->ram + s->kernel_cr3 + 2048, 2048);
	synth_w64(s, mm + synth_off(s, GUEST_OFF_MM_PGD), synth_va(s, pgd));
	return synth_va(s, mm);
}

struct synth_guest *synth_new(const struct synth_opts *opts)
{
	struct synth_guest *s = calloc(1, sizeof(*s));
	uint64_t pa, va, size, init_pa, init_mm_pa, cred;
	unsigned int cpu;

	TEST_ASSERT(s, "synth: no memory");
	s->o = opts ? *opts : (struct synth_opts){ 0 };
	if (!s->o.ram_size)
		s->o.ram_size = 64ULL << 20;
	if (!s->o.phys_load)
		s->o.phys_load = 0x2000000;
	if (s->o.paging != GUEST_PAGING_5L)
		s->o.paging = GUEST_PAGING_4L;
	if (!s->o.page_offset_base)
		s->o.page_offset_base = s->o.paging == GUEST_PAGING_5L ?
					0xff11000000000000ULL : 0xffff888000000000ULL;
	s->ram_size = s->o.ram_size;
	/* Anonymous memory, as a VMM's guest RAM usually is. */
	s->ram = mmap(NULL, s->ram_size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(s->ram != MAP_FAILED, "synth: mmap %llu: %m",
		    (unsigned long long)s->ram_size);
	s->slot.gpa = 0;
	s->slot.size = s->ram_size;
	s->slot.hva = (uintptr_t)s->ram;
	s->vm.id = 1;
	s->vm.pid = getpid();
	s->vm.nr_vcpus = SYNTH_NR_CPUS;
	s->vm.vendor = VMTRACE_VENDOR_SVM;
	s->vm.nr_slots = 1;
	s->vm.slots = &s->slot;
	s->prof = make_profile(&s->o);
	s->pool_next = 0x100000;
	s->pool_end = 0x800000;
	s->heap_next = 0x800000;
	s->heap_end = s->o.phys_load;
	s->user_next = s->o.phys_load + IMAGE_SIZE;

	/* The image: banner, page tables, variables. */
	memset(s->ram + s->o.phys_load, 0, IMAGE_SIZE);
	synth_write(s, s->o.phys_load + L_BANNER, banner_text, sizeof(banner_text));
	s->kernel_cr3 = s->o.phys_load + L_INIT_TOP_PGT;
	/* Image: 2 MiB pages at its KASLR'd virtual address. */
	for (pa = 0; pa < IMAGE_SIZE; pa += SZ_2M)
		synth_map(s, s->kernel_cr3, SYNTH_TEXT_LINK + s->o.vslide + pa,
			  s->o.phys_load + pa, SZ_2M, PTE_W);
	/* The direct map: all of RAM. */
	size = s->o.gig_pages ? SZ_1G : SZ_2M;
	for (pa = 0; pa < s->ram_size; pa += size)
		synth_map(s, s->kernel_cr3, s->o.page_offset_base + pa, pa, size,
			  PTE_W | PTE_NX);
	synth_w64(s, s->o.phys_load + L_PAGE_OFFSET_BASE, s->o.page_offset_base);
	synth_w32(s, s->o.phys_load + L_L5, s->o.paging == GUEST_PAGING_5L);

	/* init_task (swapper/0) and init_mm. */
	s->init_task = synth_image_va(s, SYNTH_TEXT_LINK + L_INIT_TASK);
	init_pa = s->o.phys_load + L_INIT_TASK;
	init_mm_pa = s->o.phys_load + L_INIT_MM;
	init_task_fields(s, s->init_task, 0, 0, "swapper/0", PF_KTHREAD | 0x2);
	task_w32(s, s->init_task, GUEST_OFF_TASK_STATE, 0);
	va = s->init_task + synth_off(s, GUEST_OFF_TASK_TASKS);
	synth_w64(s, init_pa + synth_off(s, GUEST_OFF_TASK_TASKS), va);
	synth_w64(s, init_pa + synth_off(s, GUEST_OFF_TASK_TASKS) + 8, va);
	task_w64(s, s->init_task, GUEST_OFF_TASK_ACTIVE_MM,
		 synth_image_va(s, SYNTH_TEXT_LINK + L_INIT_MM));
	task_w64(s, s->init_task, GUEST_OFF_TASK_REAL_PARENT, s->init_task);
	task_w64(s, s->init_task, GUEST_OFF_TASK_STACK,
		 synth_image_va(s, SYNTH_TEXT_LINK + L_INIT_STACK));
	cred = heap_alloc(s, 256, 64);
	task_w64(s, s->init_task, GUEST_OFF_TASK_REAL_CRED, synth_va(s, cred));
	synth_w64(s, init_mm_pa + synth_off(s, GUEST_OFF_MM_PGD),
		  synth_image_va(s, SYNTH_TEXT_LINK + L_INIT_TOP_PGT));
	if (synth_off(s, GUEST_OFF_TASK_THREAD_GROUP) < 0) {
		/* init_task's signal struct, with itself on thread_head. */
		uint64_t sig = synth_va(s, heap_alloc(s, 1024, 64));

		task_w64(s, s->init_task, GUEST_OFF_TASK_SIGNAL, sig);
		synth_w64(s, synth_pa(s, sig) + 16, sig + 16);
		synth_w64(s, synth_pa(s, sig) + 24, sig + 16);
		list_add_tail(s, s->init_task + synth_off(s, GUEST_OFF_TASK_THREAD_NODE),
			      sig + 16);
	}

	/* Per-CPU areas, current = the idle task. */
	for (cpu = 0; cpu < SYNTH_NR_CPUS; cpu++) {
		s->percpu[cpu] = synth_va(s, heap_alloc(s, PERCPU_SIZE, SZ_4K));
		/* Zero-based per-CPU variables: the GS base is the offset. */
		synth_w64(s, s->o.phys_load + L_PER_CPU_OFFSET + 8 * cpu, s->percpu[cpu]);
		synth_set_current(s, cpu, s->init_task);
	}
	return s;
}

void synth_free(struct synth_guest *s)
{
	if (!s)
		return;
	munmap(s->ram, s->ram_size);
	guest_profile_free(s->prof);
	free(s);
}

static uint64_t new_task(struct synth_guest *s)
{
	return synth_va(s, heap_alloc(s, TASK_SIZE, 64));
}

/* The signal struct of a new group, with the leader on thread_head. */
static void new_signal(struct synth_guest *s, uint64_t task)
{
	uint64_t sig = synth_va(s, heap_alloc(s, 1024, 64));
	uint64_t head = sig + synth_off(s, GUEST_OFF_SIGNAL_THREAD_HEAD);

	task_w64(s, task, GUEST_OFF_TASK_SIGNAL, sig);
	synth_w64(s, synth_pa(s, head), head);
	synth_w64(s, synth_pa(s, head) + 8, head);
	list_add_tail(s, task + synth_off(s, GUEST_OFF_TASK_THREAD_NODE), head);
}

uint64_t synth_add_process(struct synth_guest *s, uint32_t pid, const char *comm,
			   uint32_t uid, uint64_t parent)
{
	uint64_t task = new_task(s), mm = new_mm(s), cred;

	init_task_fields(s, task, pid, pid, comm, 0x400040);
	task_w64(s, task, GUEST_OFF_TASK_MM, mm);
	task_w64(s, task, GUEST_OFF_TASK_ACTIVE_MM, mm);
	task_w64(s, task, GUEST_OFF_TASK_REAL_PARENT, parent ? parent : s->init_task);
	cred = heap_alloc(s, 256, 64);
	synth_w32(s, cred + synth_off(s, GUEST_OFF_CRED_UID), uid);
	task_w64(s, task, GUEST_OFF_TASK_REAL_CRED, synth_va(s, cred));
	new_signal(s, task);
	list_add_tail(s, task + synth_off(s, GUEST_OFF_TASK_TASKS),
		      s->init_task + synth_off(s, GUEST_OFF_TASK_TASKS));
	return task;
}

uint64_t synth_add_kthread(struct synth_guest *s, uint32_t pid, const char *comm)
{
	uint64_t task = new_task(s);

	init_task_fields(s, task, pid, pid, comm, PF_KTHREAD);
	task_w64(s, task, GUEST_OFF_TASK_REAL_PARENT, s->init_task);
	task_w64(s, task, GUEST_OFF_TASK_REAL_CRED,
		 task_r64(s, s->init_task, GUEST_OFF_TASK_REAL_CRED));
	new_signal(s, task);
	list_add_tail(s, task + synth_off(s, GUEST_OFF_TASK_TASKS),
		      s->init_task + synth_off(s, GUEST_OFF_TASK_TASKS));
	return task;
}

uint64_t synth_add_thread(struct synth_guest *s, uint64_t leader, uint32_t tid,
			  const char *comm)
{
	uint64_t task = new_task(s), sig;
	uint32_t tgid;

	memcpy(&tgid, s->ram + synth_pa(s, leader) + synth_off(s, GUEST_OFF_TASK_TGID), 4);
	init_task_fields(s, task, tid, tgid, comm, 0x40);
	task_w64(s, task, GUEST_OFF_TASK_GROUP_LEADER, leader);
	task_w64(s, task, GUEST_OFF_TASK_MM, task_r64(s, leader, GUEST_OFF_TASK_MM));
	task_w64(s, task, GUEST_OFF_TASK_ACTIVE_MM, task_r64(s, leader, GUEST_OFF_TASK_MM));
	task_w64(s, task, GUEST_OFF_TASK_REAL_PARENT,
		 task_r64(s, leader, GUEST_OFF_TASK_REAL_PARENT));
	task_w64(s, task, GUEST_OFF_TASK_REAL_CRED,
		 task_r64(s, leader, GUEST_OFF_TASK_REAL_CRED));
	sig = task_r64(s, leader, GUEST_OFF_TASK_SIGNAL);
	task_w64(s, task, GUEST_OFF_TASK_SIGNAL, sig);
	if (synth_off(s, GUEST_OFF_TASK_THREAD_GROUP) >= 0)
		list_add_tail(s, task + synth_off(s, GUEST_OFF_TASK_THREAD_GROUP),
			      leader + synth_off(s, GUEST_OFF_TASK_THREAD_GROUP));
	list_add_tail(s, task + synth_off(s, GUEST_OFF_TASK_THREAD_NODE),
		      sig + synth_off(s, GUEST_OFF_SIGNAL_THREAD_HEAD));
	return task;
}

void synth_remove_process(struct synth_guest *s, uint64_t task)
{
	list_del(s, task + synth_off(s, GUEST_OFF_TASK_TASKS));
}

void synth_set_comm(struct synth_guest *s, uint64_t task, const char *comm)
{
	char name[16] = { 0 };

	strncpy(name, comm, sizeof(name) - 1);
	synth_write(s, synth_pa(s, task) + synth_off(s, GUEST_OFF_TASK_COMM), name,
		    sizeof(name));
}

void synth_exec(struct synth_guest *s, uint64_t task, const char *comm)
{
	uint64_t mm = new_mm(s);

	task_w64(s, task, GUEST_OFF_TASK_MM, mm);
	task_w64(s, task, GUEST_OFF_TASK_ACTIVE_MM, mm);
	synth_set_comm(s, task, comm);
}

uint64_t synth_cr3(const struct synth_guest *s, uint64_t task)
{
	uint64_t mm = task_r64(s, task, GUEST_OFF_TASK_MM);

	if (!mm)
		return 0;
	return synth_pa(s, synth_r64(s, synth_pa(s, mm) + synth_off(s, GUEST_OFF_MM_PGD)));
}

void synth_set_current(struct synth_guest *s, unsigned int cpu, uint64_t task)
{
	uint64_t off = s->o.modern ? PCPU_HOT_PERCPU : CURRENT_TASK_PERCPU;

	synth_w64(s, synth_pa(s, s->percpu[cpu] + off), task);
}

uint64_t synth_map_user(struct synth_guest *s, uint64_t task, uint64_t va,
			uint64_t page_size)
{
	uint64_t pa = (s->user_next + page_size - 1) & ~(page_size - 1);

	TEST_ASSERT(pa + page_size <= s->ram_size, "synth: out of user memory");
	s->user_next = pa + page_size;
	memset(s->ram + pa, 0, page_size);
	synth_map(s, synth_cr3(s, task), va, pa, page_size, PTE_W | PTE_U);
	return pa;
}
