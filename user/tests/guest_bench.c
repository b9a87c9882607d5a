// SPDX-License-Identifier: GPL-2.0
/*
 * Guest introspection costs, natively, on a synthetic guest (synth_guest.h)
 * read through /proc/self/mem as a VMM's memory would be:
 *   - decoding a record (CR3, GS base -> task) with a warm cache;
 *   - a full task-list walk of a guest with 500 processes.
 * Prints "name: value unit" lines (bench/run).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "guest/guest.h"
#include "guest/poll.h"
#include "synth_guest.h"

#define NR_PROCS 500
#define NR_RECORDS 2000000

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* The clock the decoder sees: real time, or frozen (no periodic walks). */
static uint64_t frozen;
static uint64_t frozen_clock(void)
{
	return frozen;
}

static double decode(struct synth_guest *s, const uint64_t *cr3s, int with_gs,
		     uint64_t cache_ns, uint64_t *reads)
{
	struct guest_opts o = { .profile = s->prof, .current_cache_ns = cache_ns,
				    .rewalk_ns = ~0ULL >> 1, .now_ns = now_ns };
	struct guest_task t;
	struct guest *g;
	uint64_t t0, i, bad = 0;

	if (guest_open(&s->vm, &o, &g))
		exit(1);
	/* Warm up: every CR3 seen once. */
	for (i = 0; i < NR_PROCS * 2; i++)
		guest_task_for(g, cr3s[i % NR_PROCS], 0, &t);
	t0 = now_ns();
	for (i = 0; i < NR_RECORDS; i++)
		bad += guest_task_for(g, cr3s[i % NR_PROCS] | ((i & 1) << 12),
					  with_gs ? s->percpu[i & 3] : 0, &t) != 0;
	t0 = now_ns() - t0;
	if (bad) {
		fprintf(stderr, "guest_bench: %llu records not decoded\n",
			(unsigned long long)bad);
		exit(1);
	}
	*reads = guest_stats(g)->current_reads;
	guest_close(g);
	return (double)t0 / NR_RECORDS;
}

/* The record path: the thread from the poller's timeline at the record's TSC. */
static double decode_records(struct synth_guest *s, const uint64_t *cr3s)
{
	struct guest_opts o = { .profile = s->prof, .rewalk_ns = ~0ULL >> 1,
				    .poll_us = 1000 };
	struct vmtrace_record r = {
		.kind = VMTRACE_KIND_SAMPLE,
		.mode = VMTRACE_MODE_PAGING | VMTRACE_MODE_LONG | VMTRACE_MODE_USER | 3,
	};
	struct guest_task t;
	struct guest *g;
	uint64_t t0, i, bad = 0, tsc;

	if (guest_open(&s->vm, &o, &g))
		exit(1);
	usleep(20000);
	tsc = guest_poll_tsc();
	usleep(20000);
	r.host_tsc = tsc;
	r.u.g.guest_gs_base = s->percpu[0];
	t0 = now_ns();
	for (i = 0; i < NR_RECORDS; i++) {
		r.u.g.guest_cr3 = cr3s[i % NR_PROCS] | 0x1000;
		bad += guest_task_for_record(g, &r, &t) != 0;
	}
	t0 = now_ns() - t0;
	if (bad || !guest_stats(g)->timeline_hits) {
		fprintf(stderr, "guest_bench: %llu records not decoded\n",
			(unsigned long long)bad);
		exit(1);
	}
	guest_close(g);
	return (double)t0 / NR_RECORDS;
}

int main(void)
{
	struct synth_opts so = { .ram_size = 256ULL << 20, .vslide = 0x1e000000 };
	struct synth_guest *s = synth_new(&so);
	struct guest_opts o = { .profile = s->prof, .now_ns = frozen_clock };
	uint64_t *cr3s = calloc(NR_PROCS, sizeof(*cr3s)), tasks[NR_PROCS], reads;
	struct guest *g;
	uint64_t t0, best = ~0ULL, el;
	unsigned int i, cpu;
	int walks = 50;

	for (i = 0; i < NR_PROCS; i++) {
		tasks[i] = synth_add_process(s, 100 + 2 * i, "proc", 1000, 0);
		/* Every tenth process has a second thread. */
		if (i % 10 == 0)
			synth_add_thread(s, tasks[i], 101 + 2 * i, "worker");
		cr3s[i] = synth_cr3(s, tasks[i]);
	}
	for (cpu = 0; cpu < SYNTH_NR_CPUS; cpu++)
		synth_set_current(s, cpu, tasks[cpu * 7]);

	if (guest_open(&s->vm, &o, &g))
		return 1;
	for (i = 0; i < (unsigned int)walks; i++) {
		t0 = now_ns();
		if (guest_rewalk(g))
			return 1;
		el = now_ns() - t0;
		if (el < best)
			best = el;
	}
	printf("guest task-list walk, %d processes (+%d threads): %.3f ms\n",
	       NR_PROCS, NR_PROCS / 10, best / 1e6);
	printf("guest task-list walk per task: %.2f us\n",
	       best / 1e3 / (NR_PROCS + NR_PROCS / 10));
	guest_close(g);

	printf("guest decode, CR3 only, warm: %.1f ns/record\n",
	       decode(s, cr3s, 0, 0, &reads));
	for (cpu = 0; cpu < SYNTH_NR_CPUS; cpu++)
		synth_set_current(s, cpu, tasks[0]);
	printf("guest decode, CR3 + GS base (current re-read each 1 ms), warm: %.1f ns/record\n",
	       decode(s, cr3s, 1, 0, &reads));
	printf("guest decode, CR3 + GS base (current re-read every record): %.1f ns/record\n",
	       decode(s, cr3s, 1, 1, &reads));
	printf("guest decode, records with the poller's timeline (record's path), warm: "
	       "%.1f ns/record\n", decode_records(s, cr3s));
	synth_free(s);
	free(cr3s);
	return 0;
}
