/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A synthetic Linux guest for the introspection tests, benchmarks and fuzz
 * targets: guest RAM as a buffer in this process (read back through
 * /proc/self/mem exactly as a VMM's would be), holding what a Linux
 * x86-64 kernel keeps there and what the decoder reads: the image (banner,
 * init_task, init_mm, page_offset_base) at a KASLR'd physical and virtual
 * address, kernel page tables (4- or 5-level) mapping the image and the
 * direct map, tasks on init_task.tasks, threads on thread_group (6.1) or
 * signal->thread_head (6.7+), mm_structs with 8 KiB (KPTI) pgds, user
 * mappings, per-CPU areas with the current task.  Offsets are those of
 * Debian's 6.1 and 6.12 kernels.
 *
 * The layout follows Linux's own rules, written here from them, not from
 * the decoder: a test that passes shows the decoder reads Linux.
 */
#ifndef SYNTH_GUEST_H
#define SYNTH_GUEST_H

#include <stdint.h>
#include "client/client.h"
#include "guest/pt.h"
#include "guest/profile.h"

#define SYNTH_TEXT_LINK 0xffffffff81000000ULL
#define SYNTH_NR_CPUS 4

struct synth_opts {
	uint64_t ram_size;	/* 0: 64 MiB */
	uint64_t phys_load;	/* 2 MiB aligned; 0: 0x2000000 */
	uint64_t vslide;	/* 2 MiB aligned, < 1 GiB */
	uint64_t page_offset_base; /* 0: 0xffff888000000000 (5L: ff11...) */
	enum guest_paging paging;	/* GUEST_PAGING_4L (default) or _5L */
	int modern;		/* 6.12 layout: thread_node, pcpu_hot */
	int gig_pages;		/* direct map in 1 GiB pages */
};

struct synth_guest {
	uint8_t *ram;
	uint64_t ram_size;
	struct client_memslot slot;
	struct client_vm_info vm;
	struct guest_profile *prof;
	struct synth_opts o;
	uint64_t kernel_cr3;	/* pa of init_top_pgt */
	uint64_t init_task;	/* runtime VA */
	uint64_t percpu[SYNTH_NR_CPUS]; /* GS bases (VAs) */
	uint64_t pool_next, pool_end;	/* page-table pages */
	uint64_t heap_next, heap_end;	/* kernel objects */
	uint64_t user_next;	/* user page frames */
};

/* Build a guest with init_task alone.  Exits the test on failure. */
struct synth_guest *synth_new(const struct synth_opts *o);
void synth_free(struct synth_guest *s);

/* Physical and direct-map addresses. */
uint64_t synth_va(const struct synth_guest *s, uint64_t pa);
uint64_t synth_pa(const struct synth_guest *s, uint64_t va);
/* The runtime VA of image symbol @link. */
uint64_t synth_image_va(const struct synth_guest *s, uint64_t link);
void synth_write(struct synth_guest *s, uint64_t pa, const void *buf, size_t len);
void synth_w64(struct synth_guest *s, uint64_t pa, uint64_t v);
void synth_w32(struct synth_guest *s, uint64_t pa, uint32_t v);
uint64_t synth_r64(const struct synth_guest *s, uint64_t pa);

/* A new process (thread-group leader), last on the task list: its task VA. */
uint64_t synth_add_process(struct synth_guest *s, uint32_t pid, const char *comm,
			   uint32_t uid, uint64_t parent);
/* A kernel thread (no mm). */
uint64_t synth_add_kthread(struct synth_guest *s, uint32_t pid, const char *comm);
/* A thread of @leader's group. */
uint64_t synth_add_thread(struct synth_guest *s, uint64_t leader, uint32_t tid,
			  const char *comm);
/* Unlink a process from the task list (exit). */
void synth_remove_process(struct synth_guest *s, uint64_t task);
/* exec: a new mm (new pgd) and a new comm. */
void synth_exec(struct synth_guest *s, uint64_t task, const char *comm);
void synth_set_comm(struct synth_guest *s, uint64_t task, const char *comm);
/* The CR3 of a task's mm (pa of its pgd), 0 for a kernel thread. */
uint64_t synth_cr3(const struct synth_guest *s, uint64_t task);
/* Make @task current on @cpu (and its mm the active one there). */
void synth_set_current(struct synth_guest *s, unsigned int cpu, uint64_t task);
/* Map a fresh user page at @va in @task's mm: its physical address. */
uint64_t synth_map_user(struct synth_guest *s, uint64_t task, uint64_t va,
			uint64_t page_size);
/* Map @va -> @pa in the page tables at @cr3 (4 KiB, 2 MiB or 1 GiB). */
void synth_map(struct synth_guest *s, uint64_t cr3, uint64_t va, uint64_t pa,
	       uint64_t page_size, uint64_t flags);

/* Field offset in the synthetic profile. */
int32_t synth_off(const struct synth_guest *s, enum guest_prof_field f);

#endif /* SYNTH_GUEST_H */
