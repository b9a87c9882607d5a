// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: the Linux decoder on a synthetic guest (synth_guest.h) of
 * which the input overwrites part of one object: a task_struct, init_task,
 * an mm, a page-table page, a per-CPU area or the kernel image's
 * variables.  Finding the kernel, the task walk, CR3 and GS base lookups,
 * process memory reads must all end, whatever the bytes.  The object is
 * restored after each input.
 *
 * Input: object selector (1 byte), offset in it (2 bytes), then the bytes.
 */
#include <stdlib.h>
#include <string.h>
#include "guest/guest.h"
#include "synth_guest.h"

struct region {
	uint64_t pa, len;
};

static struct synth_guest *s;
static struct region regions[16];
static unsigned int nr_regions;
static uint64_t cr3s[4], tasks[4];

static void add_region(uint64_t pa, uint64_t len)
{
	regions[nr_regions].pa = pa;
	regions[nr_regions++].len = len;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct synth_opts o = { .ram_size = 48ULL << 20, .vslide = 0x2000000 };
	uint64_t init_pa;

	(void)argc;
	(void)argv;
	s = synth_new(&o);
	tasks[0] = synth_add_process(s, 1, "init", 0, 0);
	tasks[1] = synth_add_kthread(s, 2, "kthreadd");
	tasks[2] = synth_add_process(s, 40, "worker", 1000, tasks[0]);
	tasks[3] = synth_add_thread(s, tasks[2], 41, "worker-t");
	synth_map_user(s, tasks[2], 0x400000, 0x1000);
	synth_set_current(s, 1, tasks[3]);
	cr3s[0] = synth_cr3(s, tasks[0]);
	cr3s[1] = synth_cr3(s, tasks[2]);
	cr3s[2] = s->kernel_cr3;
	cr3s[3] = cr3s[1] | 0x1000;
	init_pa = synth_pa(s, s->init_task);
	add_region(init_pa, 9792);
	add_region(synth_pa(s, tasks[0]), 9792);
	add_region(synth_pa(s, tasks[2]), 9792);
	add_region(synth_pa(s, tasks[3]), 9792);
	add_region(synth_pa(s, tasks[1]), 9792);
	add_region(cr3s[1], 8192);				/* a pgd */
	add_region(s->kernel_cr3, 4096);			/* the kernel's */
	add_region(0x100000, 0x10000);				/* page-table pages */
	add_region(synth_pa(s, s->percpu[1]) + 0x1f000, 4096);	/* current_task */
	add_region(s->o.phys_load + 0x110000, 0x20000);		/* banner, variables */
	add_region(s->o.phys_load + 0x230000, 4096);		/* init_mm */
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct guest_opts o = { .profile = s->prof, .max_tasks = 512 };
	struct guest_task t, *list;
	struct region *r;
	uint64_t off, n;
	struct guest *g;
	uint8_t *saved, buf[64];
	size_t nr, done;
	char sym[64];
	int i;

	if (size < 3)
		return 0;
	r = &regions[data[0] % nr_regions];
	off = (data[1] | data[2] << 8) % r->len;
	n = size - 3 < r->len - off ? size - 3 : r->len - off;
	saved = malloc(n ? n : 1);
	memcpy(saved, s->ram + r->pa + off, n);
	memcpy(s->ram + r->pa + off, data + 3, n);

	if (!guest_open(&s->vm, &o, &g)) {
		for (i = 0; i < 4; i++) {
			guest_task_for(g, cr3s[i], 0, &t);
			guest_task_for(g, cr3s[i], s->percpu[1], &t);
		}
		if (!guest_tasks(g, 1, &list, &nr))
			free(list);
		guest_read_virt(g, 40, 0x400000, buf, sizeof(buf), &done);
		guest_read_virt(g, 0, 0xffffffff81000000ULL, buf, sizeof(buf), &done);
		guest_symbolize(g, 0xffffffff83002010ULL, sym, sizeof(sym));
		guest_rewalk(g);
		guest_close(g);
	}
	memcpy(s->ram + r->pa + off, saved, n);
	free(saved);
	return 0;
}
