// SPDX-License-Identifier: GPL-2.0
/*
 * Linux guest introspection on synthetic guest images (synth_guest.h):
 * finding the kernel and its KASLR slides, the task list, CR3 and GS base
 * to task, symbols, reading process memory; and hostile images (cycles,
 * pointers out of RAM, lying banners and variables, huge lists), each of
 * which must end in a bounded, counted failure.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include "guest/guest.h"
#include "guest/poll.h"
#include "synth_guest.h"
#include "tap.h"

#define KPTI_USER 0x1000ULL

static uint64_t fake_now;

static uint64_t fake_clock(void)
{
	return fake_now;
}

static struct guest *open_synth(struct synth_guest *s)
{
	struct guest_opts o = { .profile = s->prof, .now_ns = fake_clock };
	struct guest *g;

	TEST_ASSERT_EQ(guest_open(&s->vm, &o, &g), 0);
	return g;
}

static struct guest *open_ready(struct synth_guest *s)
{
	struct guest *g = open_synth(s);
	struct guest_info info;

	guest_info(g, &info);
	TEST_ASSERT(info.ready, "guest not ready: %s", info.status);
	return g;
}

/* A guest with a few processes, threads and kernel threads. */
struct world {
	struct synth_guest *s;
	uint64_t init, kthreadd, shell, burner, duo, duo_b, worker;
};

static void build_world(struct world *w, const struct synth_opts *o)
{
	w->s = synth_new(o);
	w->init = synth_add_process(w->s, 1, "init", 0, 0);
	w->kthreadd = synth_add_kthread(w->s, 2, "kthreadd");
	w->worker = synth_add_kthread(w->s, 3, "kworker/0:1");
	w->shell = synth_add_process(w->s, 40, "sh", 0, w->init);
	w->burner = synth_add_process(w->s, 41, "vmtburn", 1000, w->shell);
	w->duo = synth_add_process(w->s, 42, "vmtduo", 1000, w->shell);
	synth_set_comm(w->s, w->duo, "vmtduo");
	w->duo_b = synth_add_thread(w->s, w->duo, 43, "duo-b");
}

static void check_world_open(const struct synth_opts *o)
{
	struct guest_info info;
	struct guest_task t;
	struct world w;
	struct guest *g;

	build_world(&w, o);
	g = open_ready(w.s);
	guest_info(g, &info);
	TEST_ASSERT_EQ(info.phys_load, w.s->o.phys_load);
	TEST_ASSERT_EQ(info.virt_slide, w.s->o.vslide);
	TEST_ASSERT_EQ(info.paging, w.s->o.paging);
	TEST_ASSERT_EQ(info.kernel_cr3, w.s->kernel_cr3);
	TEST_ASSERT_EQ(info.page_offset_base, w.s->o.page_offset_base);
	TEST_ASSERT(!strncmp(info.banner, "Linux version 6.1.0-synth", 25),
		    "banner %s", info.banner);
	TEST_ASSERT_EQ(guest_task_for(g, synth_cr3(w.s, w.burner), 0, &t), 0);
	TEST_ASSERT_EQ(t.pid, 41);
	TEST_ASSERT(!strcmp(t.comm, "vmtburn"), "comm %s", t.comm);
	guest_close(g);
	synth_free(w.s);
}

static void test_find_kernel(void)
{
	struct synth_opts o = { 0 };

	check_world_open(&o);
	/* Other KASLR slides, physical and virtual. */
	o.phys_load = 0x3200000;
	o.vslide = 0x2a600000;
	check_world_open(&o);
	o.vslide = 0x3fe00000;
	o.page_offset_base = 0xffff9a4c00000000ULL;
	check_world_open(&o);
}

static void test_five_level(void)
{
	struct synth_opts o = { .paging = GUEST_PAGING_5L, .vslide = 0x1c000000 };

	check_world_open(&o);
	o.gig_pages = 1;
	o.modern = 1;
	check_world_open(&o);
}

static void test_modern_layout(void)
{
	struct synth_opts o = { .modern = 1, .vslide = 0x10000000, .gig_pages = 1 };

	check_world_open(&o);
}

static const struct guest_task *find(const struct guest_task *list,
					 size_t nr, uint32_t tid)
{
	size_t i;

	for (i = 0; i < nr; i++)
		if (list[i].tid == tid)
			return &list[i];
	TEST_FAIL("tid %u not listed", tid);
}

static void check_ps(int modern)
{
	struct synth_opts o = { .modern = modern, .vslide = 0x4000000 };
	struct guest_task *list;
	const struct guest_task *t;
	struct world w;
	struct guest *g;
	size_t nr;

	build_world(&w, &o);
	g = open_ready(w.s);
	TEST_ASSERT_EQ(guest_tasks(g, 0, &list, &nr), 0);
	/* swapper/0, init, kthreadd, kworker, sh, vmtburn, vmtduo */
	TEST_ASSERT_EQ(nr, 7);
	TEST_ASSERT_EQ(list[0].pid, 0);
	TEST_ASSERT(!strcmp(list[0].comm, "swapper/0"), "%s", list[0].comm);
	TEST_ASSERT(list[0].flags & GUEST_TASK_IDLE, "swapper not idle");
	t = find(list, nr, 41);
	TEST_ASSERT_EQ(t->ppid, 40);
	TEST_ASSERT_EQ(t->uid, 1000);
	TEST_ASSERT_EQ(t->state, 'S');
	TEST_ASSERT_EQ(t->cr3, synth_cr3(w.s, w.burner));
	t = find(list, nr, 2);
	TEST_ASSERT(t->flags & GUEST_TASK_KTHREAD, "kthreadd is no kthread");
	TEST_ASSERT_EQ(t->cr3, 0);
	free(list);

	TEST_ASSERT_EQ(guest_tasks(g, 1, &list, &nr), 0);
	TEST_ASSERT_EQ(nr, 8);
	t = find(list, nr, 43);
	TEST_ASSERT_EQ(t->pid, 42);
	TEST_ASSERT(!strcmp(t->comm, "vmtduo") && !strcmp(t->thread_comm, "duo-b"),
		    "%s/%s", t->comm, t->thread_comm);
	TEST_ASSERT_EQ(t->cr3, synth_cr3(w.s, w.duo));
	TEST_ASSERT_EQ(t->uid, 1000);
	free(list);
	TEST_ASSERT_EQ(guest_stats(g)->walks_partial, 0);
	guest_close(g);
	synth_free(w.s);
}

static void test_ps(void)
{
	check_ps(0);
	check_ps(1);
}

static void test_cr3_to_process(void)
{
	struct guest_task t;
	struct world w;
	struct guest *g;
	uint64_t cr3;

	build_world(&w, NULL);
	g = open_ready(w.s);
	cr3 = synth_cr3(w.s, w.shell);
	/* Kernel half, KPTI user half, PCID bits, NOFLUSH: one process. */
	TEST_ASSERT_EQ(guest_task_for(g, cr3, 0, &t), 0);
	TEST_ASSERT_EQ(t.pid, 40);
	TEST_ASSERT(t.flags & GUEST_TASK_CHANGED, "first answer not CHANGED");
	TEST_ASSERT_EQ(guest_task_for(g, cr3, 0, &t), 0);
	TEST_ASSERT(!(t.flags & GUEST_TASK_CHANGED), "same answer CHANGED");
	TEST_ASSERT_EQ(guest_task_for(g, cr3 | KPTI_USER | 0x805, 0, &t), 0);
	TEST_ASSERT_EQ(t.pid, 40);
	TEST_ASSERT_EQ(t.cr3, cr3 | KPTI_USER);
	TEST_ASSERT_EQ(guest_task_for(g, cr3 | (1ULL << 63) | 3, 0, &t), 0);
	TEST_ASSERT_EQ(t.pid, 40);
	TEST_ASSERT_EQ(t.tid, 40);
	TEST_ASSERT(!(t.flags & GUEST_TASK_THREAD), "thread without a GS base");
	/* The kernel's own page tables: the idle task. */
	TEST_ASSERT_EQ(guest_task_for(g, w.s->kernel_cr3, 0, &t), 0);
	TEST_ASSERT_EQ(t.pid, 0);
	TEST_ASSERT(t.flags & GUEST_TASK_IDLE, "kernel cr3 not idle");
	guest_close(g);
	synth_free(w.s);
}

static void test_gs_base_thread(void)
{
	struct guest_task t;
	struct world w;
	struct guest *g;
	uint64_t cr3;

	build_world(&w, NULL);
	g = open_ready(w.s);
	cr3 = synth_cr3(w.s, w.duo);
	synth_set_current(w.s, 1, w.duo_b);
	TEST_ASSERT_EQ(guest_task_for(g, cr3, w.s->percpu[1], &t), 0);
	TEST_ASSERT_EQ(t.pid, 42);
	TEST_ASSERT_EQ(t.tid, 43);
	TEST_ASSERT(t.flags & GUEST_TASK_THREAD, "no exact thread");
	TEST_ASSERT(!strcmp(t.thread_comm, "duo-b"), "%s", t.thread_comm);
	TEST_ASSERT(t.flags & GUEST_TASK_CHANGED, "first answer not CHANGED");

	/* The other thread, after the per-CPU cache expires. */
	synth_set_current(w.s, 1, w.duo);
	fake_now += 2000000;
	TEST_ASSERT_EQ(guest_task_for(g, cr3 | KPTI_USER, w.s->percpu[1], &t), 0);
	TEST_ASSERT_EQ(t.tid, 42);
	TEST_ASSERT(t.flags & GUEST_TASK_CHANGED, "thread switch not CHANGED");

	/* The vCPU moved on to another process: process level only. */
	synth_set_current(w.s, 2, w.burner);
	TEST_ASSERT_EQ(guest_task_for(g, cr3, w.s->percpu[2], &t), 0);
	TEST_ASSERT_EQ(t.pid, 42);
	TEST_ASSERT_EQ(t.tid, 42);
	TEST_ASSERT(!(t.flags & GUEST_TASK_THREAD), "stale current trusted");
	TEST_ASSERT_EQ(guest_stats(g)->current_mismatch, 1);

	/* A kernel thread running on a borrowed mm (lazy TLB). */
	synth_set_current(w.s, 3, w.worker);
	synth_w64(w.s, synth_pa(w.s, w.worker) + synth_off(w.s, GUEST_OFF_TASK_ACTIVE_MM),
		  synth_r64(w.s, synth_pa(w.s, w.burner) + synth_off(w.s, GUEST_OFF_TASK_MM)));
	TEST_ASSERT_EQ(guest_task_for(g, synth_cr3(w.s, w.burner), w.s->percpu[3],
					  &t), 0);
	TEST_ASSERT_EQ(t.pid, 3);
	TEST_ASSERT(t.flags & GUEST_TASK_KTHREAD, "kworker not a kthread");
	TEST_ASSERT(!strcmp(t.comm, "kworker/0:1"), "%s", t.comm);

	/* A GS base that is garbage: counted, process level. */
	TEST_ASSERT_EQ(guest_task_for(g, cr3, 0xffff888000000000ULL + (1ULL << 40),
					  &t), 0);
	TEST_ASSERT_EQ(t.pid, 42);
	TEST_ASSERT(guest_stats(g)->current_failed >= 1, "bad GS base not counted");
	guest_close(g);
	synth_free(w.s);
}

/* A record of @task's process at host TSC @tsc on the vCPU of @cpu. */
static struct vmtrace_record record_at(struct synth_guest *s, uint64_t cr3,
				       unsigned int cpu, uint64_t tsc, int user)
{
	struct vmtrace_record r = {
		.host_tsc = tsc, .kind = VMTRACE_KIND_SAMPLE,
		.mode = VMTRACE_MODE_PAGING | VMTRACE_MODE_LONG | VMTRACE_MODE_PAE |
			(user ? VMTRACE_MODE_USER | 3 : 0),
	};

	r.u.g.guest_cr3 = cr3 | (user ? KPTI_USER : 0);
	r.u.g.guest_gs_base = s->percpu[cpu];
	return r;
}

static uint64_t tsc_after_polls(void)
{
	uint64_t tsc;

	usleep(20000);
	tsc = guest_poll_tsc();
	usleep(20000);
	return tsc;
}

/*
 * With the poller, a record is named after the thread current at its own
 * TSC, not at decode time: the decoder runs after the vCPU moved on.
 */
static void test_timeline(void)
{
	struct guest_opts o = { .now_ns = fake_clock, .poll_us = 500 };
	struct vmtrace_record r2, r3, r4;
	struct guest_task t;
	struct world w;
	struct guest *g;
	uint64_t t1, t2, t3;

	build_world(&w, NULL);
	o.profile = w.s->prof;
	TEST_ASSERT_EQ(guest_open(&w.s->vm, &o, &g), 0);
	/* Every vCPU is watched from the start (__per_cpu_offset[]). */
	TEST_ASSERT_EQ(guest_stats(g)->watches, SYNTH_NR_CPUS);
	synth_set_current(w.s, 1, w.duo_b);
	t1 = tsc_after_polls();
	synth_set_current(w.s, 1, w.duo);
	t2 = tsc_after_polls();
	synth_set_current(w.s, 1, w.worker);
	t3 = tsc_after_polls();
	synth_set_current(w.s, 1, w.burner);
	usleep(20000);

	/* Now the burner runs; each record still gets its own thread. */
	r2 = record_at(w.s, synth_cr3(w.s, w.duo), 1, t1, 1);
	TEST_ASSERT_EQ(guest_task_for_record(g, &r2, &t), 0);
	TEST_ASSERT_EQ(t.tid, 43);
	TEST_ASSERT(t.flags & GUEST_TASK_THREAD, "not the exact thread");
	r3 = record_at(w.s, synth_cr3(w.s, w.duo), 1, t2, 1);
	TEST_ASSERT_EQ(guest_task_for_record(g, &r3, &t), 0);
	TEST_ASSERT_EQ(t.tid, 42);
	/* A kernel thread on a borrowed mm, seen by the poller then. */
	r4 = record_at(w.s, synth_cr3(w.s, w.duo), 1, t3, 0);
	TEST_ASSERT_EQ(guest_task_for_record(g, &r4, &t), 0);
	TEST_ASSERT_EQ(t.tid, 3);
	TEST_ASSERT(t.flags & GUEST_TASK_KTHREAD, "kworker not named");
	/* ... but in user mode a kernel thread cannot have run: the poller
	 * missed the process's run, and its thread seen nearest (at t2) is
	 * the best guess. */
	r4 = record_at(w.s, synth_cr3(w.s, w.duo), 1, t3, 1);
	TEST_ASSERT_EQ(guest_task_for_record(g, &r4, &t), 0);
	TEST_ASSERT_EQ(t.tid, 42);
	TEST_ASSERT(!(t.flags & GUEST_TASK_KTHREAD), "kthread in user mode");
	TEST_ASSERT_EQ(guest_stats(g)->timeline_nearest, 1);
	TEST_ASSERT(guest_stats(g)->timeline_hits >= 3, "timeline hits %llu",
		    (unsigned long long)guest_stats(g)->timeline_hits);
	/* A record newer than any poll waits for the next one. */
	r2 = record_at(w.s, synth_cr3(w.s, w.burner), 1, guest_poll_tsc(), 1);
	TEST_ASSERT_EQ(guest_task_for_record(g, &r2, &t), 0);
	TEST_ASSERT_EQ(t.tid, 41);
	TEST_ASSERT(t.flags & GUEST_TASK_THREAD, "newest record not timed");
	/* SEV-ES: no state in the record, nothing to name. */
	r2.flags = VMTRACE_REC_F_NO_STATE;
	TEST_ASSERT_EQ(guest_task_for_record(g, &r2, &t), -ENODATA);
	guest_close(g);
	synth_free(w.s);
}

static void test_new_thread_and_idle(void)
{
	struct guest_task t;
	struct world w;
	struct guest *g;
	uint64_t idle1, t2;

	build_world(&w, NULL);
	g = open_ready(w.s);
	/* A thread created after the walk: decoded on the spot. */
	t2 = synth_add_thread(w.s, w.duo, 44, "duo-c");
	synth_set_current(w.s, 0, t2);
	TEST_ASSERT_EQ(guest_task_for(g, synth_cr3(w.s, w.duo), w.s->percpu[0], &t), 0);
	TEST_ASSERT_EQ(t.tid, 44);
	TEST_ASSERT_EQ(t.pid, 42);
	TEST_ASSERT(!strcmp(t.comm, "vmtduo") && !strcmp(t.thread_comm, "duo-c"),
		    "%s/%s", t.comm, t.thread_comm);
	/* CPU 1's idle task is on no list: decoded on the spot too. */
	idle1 = synth_add_kthread(w.s, 0, "swapper/1");
	synth_remove_process(w.s, idle1);
	synth_set_current(w.s, 1, idle1);
	TEST_ASSERT_EQ(guest_task_for(g, w.s->kernel_cr3, w.s->percpu[1], &t), 0);
	TEST_ASSERT_EQ(t.tid, 0);
	TEST_ASSERT(!strcmp(t.thread_comm, "swapper/1"), "%s", t.thread_comm);
	guest_close(g);
	synth_free(w.s);
}

/*
 * Records that carry the guest's current task (VMTRACE_REC_F_TASK, read by
 * the module at the record's moment): the thread exactly, whatever runs at
 * decode time; a kernel thread in kernel mode; a task that does not fit the
 * record (user mode, another process: a context switch in progress) or a
 * pointer that is no task names the process alone, counted; a task_struct
 * a new thread took over since the walk is read again.  And the slot the
 * module is told to read is that GS base's current-task word in the VMM.
 */
static void test_record_task_pointer(void)
{
	const struct guest_stats *st;
	struct vmtrace_record r, r2;
	struct guest_task t;
	struct world w;
	struct guest *g;
	uint64_t cr3, hva, process_only;

	fake_now = 3000000000000ULL;
	build_world(&w, NULL);
	g = open_ready(w.s);
	st = guest_stats(g);
	cr3 = synth_cr3(w.s, w.duo);

	TEST_ASSERT_EQ(guest_task_slot(g, w.s->percpu[1], &hva), 0);
	synth_set_current(w.s, 1, w.duo_b);
	TEST_ASSERT_EQ(*(const uint64_t *)(uintptr_t)hva, w.duo_b);
	synth_set_current(w.s, 1, w.burner);
	TEST_ASSERT_EQ(*(const uint64_t *)(uintptr_t)hva, w.burner);
	TEST_ASSERT_EQ(guest_task_slot(g, 0x1234, &hva), -EINVAL);

	/* duo-b ran then; the burner runs now. */
	r = record_at(w.s, cr3, 1, 0, 1);
	r.flags |= VMTRACE_REC_F_TASK;
	r.u.g.guest_task = w.duo_b;
	TEST_ASSERT_EQ(guest_task_for_record(g, &r, &t), 0);
	TEST_ASSERT_EQ(t.pid, 42);
	TEST_ASSERT_EQ(t.tid, 43);
	TEST_ASSERT(t.flags & GUEST_TASK_THREAD, "not the exact thread");
	TEST_ASSERT(!strcmp(t.thread_comm, "duo-b"), "%s", t.thread_comm);
	TEST_ASSERT(t.flags & GUEST_TASK_CHANGED, "first answer not CHANGED");
	TEST_ASSERT_EQ(guest_task_for_record(g, &r, &t), 0);
	TEST_ASSERT(!(t.flags & GUEST_TASK_CHANGED), "same thread CHANGED again");
	/* The other thread: its own key, so its own answer. */
	r.u.g.guest_task = w.duo;
	TEST_ASSERT_EQ(guest_task_for_record(g, &r, &t), 0);
	TEST_ASSERT_EQ(t.tid, 42);
	TEST_ASSERT(t.flags & GUEST_TASK_CHANGED, "another thread not CHANGED");
	TEST_ASSERT_EQ(st->task_exact, 3);
	/* Nothing polled or read from the per-CPU area for these. */
	TEST_ASSERT_EQ(st->current_reads, 0);

	/* A kernel thread, in kernel mode on the process's page tables. */
	r = record_at(w.s, cr3, 1, 0, 0);
	r.flags |= VMTRACE_REC_F_TASK;
	r.u.g.guest_task = w.worker;
	TEST_ASSERT_EQ(guest_task_for_record(g, &r, &t), 0);
	TEST_ASSERT_EQ(t.tid, 3);
	TEST_ASSERT(t.flags & GUEST_TASK_KTHREAD, "kworker not a kthread");

	/* User mode with another process's task: the process alone. */
	process_only = st->process_only;
	r = record_at(w.s, cr3, 1, 0, 1);
	r.flags |= VMTRACE_REC_F_TASK;
	r.u.g.guest_task = w.burner;
	TEST_ASSERT_EQ(guest_task_for_record(g, &r, &t), 0);
	TEST_ASSERT_EQ(t.pid, 42);
	TEST_ASSERT_EQ(t.tid, 42);
	TEST_ASSERT(!(t.flags & GUEST_TASK_THREAD), "a misfit task trusted");
	TEST_ASSERT_EQ(st->task_mismatch, 1);
	TEST_ASSERT_EQ(st->process_only, process_only + 1);
	/* A pointer that is no task (out of RAM, or not kernel): the same. */
	r.u.g.guest_task = 0xffff888000000000ULL + (1ULL << 40);
	TEST_ASSERT_EQ(guest_task_for_record(g, &r, &t), 0);
	TEST_ASSERT_EQ(t.tid, 42);
	r.u.g.guest_task = 0x4000;
	TEST_ASSERT_EQ(guest_task_for_record(g, &r, &t), 0);
	TEST_ASSERT(!(t.flags & GUEST_TASK_THREAD), "garbage trusted");
	TEST_ASSERT_EQ(st->task_unknown, 2);
	/* Each of the three named by its process alone, and counted so. */
	TEST_ASSERT_EQ(st->process_only, process_only + 3);

	/* A thread made and gone between two walks, decoded only after its
	 * exit (no mm any more, PF_EXITING): still that thread. */
	{
		uint64_t gone = synth_add_thread(w.s, w.duo, 45, "duo-gone");

		synth_w64(w.s, synth_pa(w.s, gone) + synth_off(w.s, GUEST_OFF_TASK_MM), 0);
		synth_w32(w.s, synth_pa(w.s, gone) + synth_off(w.s, GUEST_OFF_TASK_FLAGS),
			  0x4 /* PF_EXITING */);
		r.u.g.guest_task = gone;
		TEST_ASSERT_EQ(guest_task_for_record(g, &r, &t), 0);
		TEST_ASSERT_EQ(t.tid, 45);
		TEST_ASSERT_EQ(t.pid, 42);
		TEST_ASSERT(!(t.flags & GUEST_TASK_KTHREAD), "an exited thread taken for a kthread");
		TEST_ASSERT(!strcmp(t.thread_comm, "duo-gone"), "%s", t.thread_comm);
		/* ... but not for another process's records. */
		r2 = record_at(w.s, synth_cr3(w.s, w.burner), 1, 0, 1);
		r2.flags |= VMTRACE_REC_F_TASK;
		r2.u.g.guest_task = gone;
		TEST_ASSERT_EQ(guest_task_for_record(g, &r2, &t), 0);
		TEST_ASSERT_EQ(t.tid, 41);
		TEST_ASSERT_EQ(st->task_mismatch, 2);
	}

	/* duo-b exits; a new thread 44 gets its task_struct. */
	synth_w32(w.s, synth_pa(w.s, w.duo_b) + synth_off(w.s, GUEST_OFF_TASK_PID), 44);
	synth_set_comm(w.s, w.duo_b, "duo-c");
	fake_now += 2000000;	/* past the pid check's 1 ms */
	r.u.g.guest_task = w.duo_b;
	TEST_ASSERT_EQ(guest_task_for_record(g, &r, &t), 0);
	TEST_ASSERT_EQ(t.tid, 44);
	TEST_ASSERT_EQ(t.pid, 42);
	TEST_ASSERT(!strcmp(t.thread_comm, "duo-c"), "%s", t.thread_comm);
	TEST_ASSERT(!strcmp(t.comm, "vmtduo"), "%s", t.comm);
	TEST_ASSERT(t.flags & GUEST_TASK_CHANGED, "the new thread not CHANGED");
	TEST_ASSERT_EQ(st->task_reused, 1);

	/*
	 * Samples that carry the pid read with the task (VMTRACE_REC_F_TID):
	 * named by that pid whatever the task_struct holds at decode time.
	 * A thread decoded on the side, then its task_struct taken over by
	 * 47: a late sample of 46 is still 46 (kept when it was replaced),
	 * one of 47 is 47; no pid check read either way.
	 */
	{
		uint64_t side = synth_add_thread(w.s, w.duo, 46, "duo-46");

		r = record_at(w.s, cr3, 1, 0, 1);
		r.kind = VMTRACE_KIND_SAMPLE;
		r.flags |= VMTRACE_REC_F_TASK | VMTRACE_REC_F_TID;
		r.u.g.guest_task = side;
		r.guest_tid = 46;
		TEST_ASSERT_EQ(guest_task_for_record(g, &r, &t), 0);
		TEST_ASSERT_EQ(t.tid, 46);
		synth_w32(w.s, synth_pa(w.s, side) + synth_off(w.s, GUEST_OFF_TASK_PID), 47);
		synth_set_comm(w.s, side, "duo-47");
		r.guest_tid = 47;
		TEST_ASSERT_EQ(guest_task_for_record(g, &r, &t), 0);
		TEST_ASSERT_EQ(t.tid, 47);
		TEST_ASSERT(!strcmp(t.thread_comm, "duo-47"), "%s", t.thread_comm);
		r.guest_tid = 46;
		TEST_ASSERT_EQ(guest_task_for_record(g, &r, &t), 0);
		TEST_ASSERT_EQ(t.tid, 46);
		TEST_ASSERT(!strcmp(t.thread_comm, "duo-46"), "%s", t.thread_comm);
		TEST_ASSERT(t.flags & GUEST_TASK_CHANGED, "46 again not CHANGED");
		/* A pid the pointer never held: the process alone. */
		r.guest_tid = 99;
		TEST_ASSERT_EQ(guest_task_for_record(g, &r, &t), 0);
		TEST_ASSERT_EQ(t.tid, 42);
		TEST_ASSERT(!(t.flags & GUEST_TASK_THREAD), "pid 99 named a thread");
	}
	guest_close(g);
	synth_free(w.s);
}

static void test_rewalk_exec_and_reuse(void)
{
	struct guest_task t;
	struct world w;
	struct guest *g;
	uint64_t cr3, p;

	fake_now = 1000000000000ULL;
	build_world(&w, NULL);
	g = open_ready(w.s);
	cr3 = synth_cr3(w.s, w.burner);
	TEST_ASSERT_EQ(guest_task_for(g, cr3, 0, &t), 0);
	TEST_ASSERT(!strcmp(t.comm, "vmtburn"), "%s", t.comm);

	/* exec: new page tables and a new name. */
	synth_exec(w.s, w.burner, "newname");
	/* The old CR3 is still cached until the next walk... */
	TEST_ASSERT_EQ(guest_task_for(g, cr3, 0, &t), 0);
	/* ...the new one is unknown: a walk finds it. */
	TEST_ASSERT_EQ(guest_task_for(g, synth_cr3(w.s, w.burner), 0, &t), 0);
	TEST_ASSERT(!strcmp(t.comm, "newname"), "%s", t.comm);
	TEST_ASSERT_EQ(t.pid, 41);
	TEST_ASSERT_EQ(guest_stats(g)->unknown_walks, 1);

	/* Unknown CR3s walk at most once per unknown_rewalk_ns. */
	TEST_ASSERT_EQ(guest_task_for(g, 0x123456000ULL, 0, &t), -ENOENT);
	TEST_ASSERT_EQ(guest_task_for(g, 0x123457000ULL, 0, &t), -ENOENT);
	TEST_ASSERT_EQ(guest_stats(g)->unknown_walks, 1);
	TEST_ASSERT_EQ(guest_stats(g)->unknown_cr3, 2);

	/* Exit and pid reuse: the periodic walk sees both. */
	synth_remove_process(w.s, w.shell);
	p = synth_add_process(w.s, 40, "reused", 0, w.init);
	synth_set_comm(w.s, w.burner, "renamed");
	fake_now += 2000000000ULL;
	TEST_ASSERT_EQ(guest_task_for(g, synth_cr3(w.s, p), 0, &t), 0);
	TEST_ASSERT_EQ(t.pid, 40);
	TEST_ASSERT(!strcmp(t.comm, "reused"), "%s", t.comm);
	TEST_ASSERT_EQ(guest_task_for(g, synth_cr3(w.s, w.burner), 0, &t), 0);
	TEST_ASSERT(!strcmp(t.comm, "renamed"), "%s", t.comm);
	TEST_ASSERT(t.flags & GUEST_TASK_CHANGED, "rename not CHANGED");
	TEST_ASSERT_EQ(guest_task_for(g, synth_cr3(w.s, w.shell), 0, &t), -ENOENT);
	guest_close(g);
	synth_free(w.s);
}

static void test_symbols(void)
{
	struct synth_opts o = { .vslide = 0x2a000000 };
	struct synth_guest *s = synth_new(&o);
	struct guest *g = open_ready(s);
	uint64_t start, size, base = SYNTH_TEXT_LINK + o.vslide;
	char buf[128];
	int is_new;

	TEST_ASSERT_EQ(guest_symbolize(g, base + 0x2010, buf, sizeof(buf)), 0);
	TEST_ASSERT(!strcmp(buf, "schedule+0x10"), "%s", buf);
	TEST_ASSERT_EQ(guest_symbolize(g, base + 0x1000, buf, sizeof(buf)), 0);
	TEST_ASSERT(!strcmp(buf, "do_idle+0x0"), "%s", buf);
	/* Past _etext (data), and below the image: raw addresses. */
	TEST_ASSERT_EQ(guest_symbolize(g, base + 0x100010, buf, sizeof(buf)), -ENOENT);
	TEST_ASSERT_EQ(guest_symbolize(g, 0xffffffffc0001000ULL, buf, sizeof(buf)),
		       -ENOENT);
	TEST_ASSERT(!strcmp(buf, "0xffffffffc0001000"), "%s", buf);
	/* Init text is code. */
	TEST_ASSERT_EQ(guest_symbolize(g, base + 0x300004, buf, sizeof(buf)), 0);
	TEST_ASSERT(!strcmp(buf, "start_kernel+0x4"), "%s", buf);
	TEST_ASSERT_EQ(guest_symbol(g, base + 0x2010, &start, &size, buf,
					sizeof(buf), &is_new), 0);
	TEST_ASSERT_EQ(start, base + 0x2000);
	TEST_ASSERT_EQ(size, 0x1000);
	TEST_ASSERT(is_new, "first symbol not new");
	TEST_ASSERT_EQ(guest_symbol(g, base + 0x2020, &start, &size, buf,
					sizeof(buf), &is_new), 0);
	TEST_ASSERT(!is_new, "second lookup new");
	guest_close(g);
	synth_free(s);
}

static void test_read_virt(void)
{
	struct world w;
	struct guest *g;
	uint64_t pa, v = 0;
	size_t done;
	char buf[32];

	build_world(&w, NULL);
	pa = synth_map_user(w.s, w.burner, 0x4c6000, 0x1000);
	synth_w64(w.s, pa + 0xf8, 0x1122334455667788ULL);
	/* A value across a 2 MiB page boundary. */
	pa = synth_map_user(w.s, w.burner, 0x7f0000000000ULL, 0x200000);
	synth_map_user(w.s, w.burner, 0x7f0000200000ULL, 0x1000);
	memcpy(w.s->ram + pa + 0x1ffffc, "abcd", 4);
	g = open_ready(w.s);
	TEST_ASSERT_EQ(guest_read_virt(g, 41, 0x4c60f8, &v, 8, &done), 0);
	TEST_ASSERT_EQ(v, 0x1122334455667788ULL);
	memset(buf, 0, sizeof(buf));
	TEST_ASSERT_EQ(guest_read_virt(g, 41, 0x7f00001ffffcULL, buf, 8, &done), 0);
	TEST_ASSERT(!memcmp(buf, "abcd\0\0\0\0", 8), "across pages: %.8s", buf);
	/* Not mapped: how far it got. */
	TEST_ASSERT_EQ(guest_read_virt(g, 41, 0x4c6ffc, buf, 8, &done), -ENOENT);
	TEST_ASSERT_EQ(done, 4);
	/* Another process does not have it; kernel threads have no memory. */
	TEST_ASSERT_EQ(guest_read_virt(g, 40, 0x4c60f8, &v, 8, &done), -ENOENT);
	TEST_ASSERT_EQ(guest_read_virt(g, 2, 0x4c60f8, &v, 8, &done), -ESRCH);
	TEST_ASSERT_EQ(guest_read_virt(g, 999, 0x4c60f8, &v, 8, &done), -ESRCH);
	/* pid 0: the kernel's address space. */
	TEST_ASSERT_EQ(guest_read_virt(g, 0, SYNTH_TEXT_LINK + 0x110000, buf, 13,
					   &done), 0);
	TEST_ASSERT(!memcmp(buf, "Linux version", 13), "kernel read: %.13s", buf);
	TEST_ASSERT_EQ(guest_read_virt(g, 41, 0x800000000000ULL, buf, 8, &done),
		       -ERANGE);
	guest_close(g);
	synth_free(w.s);
}

/* ---------------------------------------------------------------- */
/* Hostile guests */

static void test_hostile_cyclic_list(void)
{
	struct guest_task *list;
	struct world w;
	struct guest *g;
	int32_t off;
	size_t nr;

	build_world(&w, NULL);
	off = synth_off(w.s, GUEST_OFF_TASK_TASKS);
	/* vmtduo's next goes back to init, not to the head. */
	synth_w64(w.s, synth_pa(w.s, w.duo) + off, w.init + off);
	g = open_ready(w.s);
	TEST_ASSERT(guest_stats(g)->cycles + guest_stats(g)->bad_pointers >= 1,
		    "cycle not counted");
	TEST_ASSERT_EQ(guest_stats(g)->walks_partial, 1);
	/* What came before the cycle is still named. */
	TEST_ASSERT_EQ(guest_tasks(g, 0, &list, &nr), 0);
	TEST_ASSERT(nr >= 6, "only %zu tasks before the cycle", nr);
	free(list);
	guest_close(g);
	synth_free(w.s);
}

static void test_hostile_self_loop(void)
{
	struct world w;
	struct guest *g;
	int32_t off;

	/* A task whose list_head points to itself, prev matching. */
	build_world(&w, NULL);
	off = synth_off(w.s, GUEST_OFF_TASK_TASKS);
	synth_w64(w.s, synth_pa(w.s, w.burner) + off, w.burner + off);
	synth_w64(w.s, synth_pa(w.s, w.burner) + off + 8, w.burner + off);
	synth_w64(w.s, synth_pa(w.s, w.shell) + off, w.burner + off);
	g = open_ready(w.s);
	TEST_ASSERT(guest_stats(g)->cycles + guest_stats(g)->bad_pointers >= 1,
		    "self loop not counted");
	guest_close(g);
	synth_free(w.s);
}

static void test_hostile_pointers(void)
{
	struct guest_task t;
	struct world w;
	struct guest *g;
	int32_t off;

	build_world(&w, NULL);
	off = synth_off(w.s, GUEST_OFF_TASK_TASKS);
	/* Outside guest RAM (direct map beyond its end), and not kernel. */
	synth_w64(w.s, synth_pa(w.s, w.burner) + off, w.s->o.page_offset_base + (1ULL << 40));
	synth_w64(w.s, synth_pa(w.s, w.shell) + synth_off(w.s, GUEST_OFF_TASK_MM), 0x1000);
	synth_w64(w.s, synth_pa(w.s, w.init) + synth_off(w.s, GUEST_OFF_TASK_REAL_CRED),
		  0xdeadbeef);
	g = open_ready(w.s);
	TEST_ASSERT(guest_stats(g)->bad_pointers >= 2, "bad pointers: %llu",
		    (unsigned long long)guest_stats(g)->bad_pointers);
	/* init's uid is unknown, the rest of init is fine. */
	TEST_ASSERT_EQ(guest_find_pid(g, 1, &t), 0);
	TEST_ASSERT_EQ(t.uid, (uint32_t)-1);
	TEST_ASSERT_EQ(guest_find_pid(g, 41, &t), 0);
	guest_close(g);
	synth_free(w.s);
}

static void test_hostile_thread_ring(void)
{
	struct guest_task *list;
	struct world w;
	struct guest *g;
	int32_t off;
	size_t nr;

	build_world(&w, NULL);
	off = synth_off(w.s, GUEST_OFF_TASK_THREAD_GROUP);
	/* duo-b's thread_group.next points to itself: never the head. */
	synth_w64(w.s, synth_pa(w.s, w.duo_b) + off, w.duo_b + off);
	g = open_ready(w.s);
	TEST_ASSERT(guest_stats(g)->cycles >= 1, "thread cycle not counted");
	/* The process list went on past the broken group. */
	TEST_ASSERT_EQ(guest_tasks(g, 0, &list, &nr), 0);
	TEST_ASSERT_EQ(nr, 7);
	free(list);
	guest_close(g);
	synth_free(w.s);
}

static void test_hostile_long_list(void)
{
	struct synth_guest *s = synth_new(NULL);
	struct guest_opts o = { .profile = s->prof, .max_tasks = 100,
				    .now_ns = fake_clock };
	struct guest *g;
	unsigned int i;

	for (i = 0; i < 150; i++)
		synth_add_process(s, 100 + i, "many", 0, 0);
	TEST_ASSERT_EQ(guest_open(&s->vm, &o, &g), 0);
	TEST_ASSERT_EQ(guest_stats(g)->truncated, 1);
	guest_close(g);
	synth_free(s);
}

static void test_hostile_comm_and_pid(void)
{
	struct guest_task t;
	struct world w;
	struct guest *g;
	uint8_t junk[16];

	build_world(&w, NULL);
	/* A comm with no NUL and control bytes; a pid out of range. */
	memset(junk, 0x07, sizeof(junk));
	junk[0] = 'X';
	synth_write(w.s, synth_pa(w.s, w.burner) + synth_off(w.s, GUEST_OFF_TASK_COMM),
		    junk, sizeof(junk));
	synth_w32(w.s, synth_pa(w.s, w.duo) + synth_off(w.s, GUEST_OFF_TASK_PID), 0x7fffffff);
	g = open_ready(w.s);
	TEST_ASSERT_EQ(guest_find_pid(g, 41, &t), 0);
	TEST_ASSERT_EQ(strlen(t.comm), 16);
	TEST_ASSERT(!strcmp(t.comm, "X???????????????"), "%s", t.comm);
	TEST_ASSERT(guest_stats(g)->bad_tasks >= 1, "bad pid not counted");
	guest_close(g);
	synth_free(w.s);

	/* A profile claiming a huge comm is refused when read (profile_test);
	 * in memory, the decoder caps what it copies. */
}

static void test_hostile_banner(void)
{
	struct synth_guest *s = synth_new(NULL);
	struct guest_info info;
	struct guest *g;
	uint64_t fake = 0x1000000 + (s->prof->sym[GUEST_SYM_LINUX_BANNER] - SYNTH_TEXT_LINK);

	/* A banner that matches the profile at another aligned load address,
	 * but no init_task there: skipped, and the real kernel is found. */
	synth_write(s, fake, s->prof->banner, strlen(s->prof->banner) + 1);
	g = open_ready(s);
	guest_info(g, &info);
	TEST_ASSERT_EQ(info.phys_load, s->o.phys_load);
	TEST_ASSERT(guest_stats(g)->bad_tasks >= 1, "lying banner not counted");
	guest_close(g);

	/* Only the lie: not ready, and says so. */
	memset(s->ram + s->o.phys_load + (s->prof->sym[GUEST_SYM_INIT_TASK] - SYNTH_TEXT_LINK) +
	       synth_off(s, GUEST_OFF_TASK_COMM), 0, 16);
	g = open_synth(s);
	guest_info(g, &info);
	TEST_ASSERT(!info.ready, "ready on a lie");
	TEST_ASSERT(strstr(info.status, "not in guest memory"), "status: %s", info.status);
	TEST_ASSERT_EQ(guest_task_for(g, 0x1000, 0, &(struct guest_task){ 0 }),
		       -ENODATA);
	guest_close(g);
	synth_free(s);
}

static void test_hostile_variables(void)
{
	struct synth_opts o = { .vslide = 0x6000000 };
	struct synth_guest *s = synth_new(&o);
	struct guest_info info;
	struct guest_task t;
	uint64_t burner;
	struct guest *g;

	burner = synth_add_process(s, 41, "vmtburn", 0, 0);
	/* page_offset_base and init_mm.pgd lie; the page tables do not. */
	synth_w64(s, s->o.phys_load + (s->prof->sym[GUEST_SYM_PAGE_OFFSET_BASE] -
				       SYNTH_TEXT_LINK), 0xffffc90000000000ULL);
	synth_w64(s, s->o.phys_load + (s->prof->sym[GUEST_SYM_INIT_MM] - SYNTH_TEXT_LINK) +
		  synth_off(s, GUEST_OFF_MM_PGD), 0xffffffff81234000ULL);
	g = open_ready(s);
	guest_info(g, &info);
	TEST_ASSERT_EQ(info.virt_slide, o.vslide);
	TEST_ASSERT_EQ(info.page_offset_base, 0);	/* not trusted */
	TEST_ASSERT_EQ(guest_task_for(g, synth_cr3(s, burner), 0, &t), 0);
	TEST_ASSERT(!strcmp(t.comm, "vmtburn"), "%s", t.comm);
	guest_close(g);
	synth_free(s);
}

static void test_hostile_page_tables(void)
{
	struct synth_guest *s = synth_new(NULL);
	struct guest *g;
	uint64_t task, cr3;
	size_t done;
	uint8_t buf[64];

	task = synth_add_process(s, 50, "selfref", 0, 0);
	cr3 = synth_cr3(s, task);
	/* PML4[0] points to the PML4 itself (recursive), PML4[1] out of RAM. */
	synth_w64(s, cr3, cr3 | 0x7);
	synth_w64(s, cr3 + 8, (1ULL << 45) | 0x7);
	g = open_ready(s);
	/* Through the recursion, bounded: VA 0 lands in the PML4 page itself. */
	TEST_ASSERT_EQ(guest_read_virt(g, 50, 0, buf, 8, &done), 0);
	TEST_ASSERT_EQ(*(uint64_t *)buf, cr3 | 0x7);
	TEST_ASSERT_EQ(guest_read_virt(g, 50, 1ULL << 39, buf, 8, &done), -EFAULT);
	TEST_ASSERT(guest_stats(g)->pt_faults >= 1, "fault not counted");
	guest_close(g);
	synth_free(s);
}

/* Pages of the synthetic guest's RAM this process holds (mincore). */
static size_t resident_pages(const struct synth_guest *s)
{
	size_t n = s->ram_size / 4096, i, count = 0;
	unsigned char *vec = malloc(n);

	TEST_ASSERT(vec && !mincore(s->ram, s->ram_size, vec), "mincore: %m");
	for (i = 0; i < n; i++)
		count += vec[i] & 1;
	free(vec);
	return count;
}

/*
 * A guest no profile matches is scanned for a banner over all its RAM,
 * and the scan reads only the pages the VMM holds: it maps nothing (no
 * zero pages that the guest's first writes would have to copy), skips
 * exactly the pages never touched, and still finds a banner that runs
 * across the boundary of two scan chunks.
 */
static void test_scan_reads_resident_only(void)
{
	static const char fake[] = "Linux version 9.9.9-straddle (a@b) #1 SMP\n";
	struct synth_guest *s = synth_new(NULL);
	struct guest_opts o = { .profile_dir = "/nonexistent-vmtrace-profiles" };
	const struct guest_stats *st;
	struct guest_info info;
	struct guest *g;
	size_t before, total = s->ram_size / 4096;

	/* Lower than the kernel's: found first.  20 bytes before 1 MiB. */
	synth_write(s, (1 << 20) - 20, fake, sizeof(fake));
	before = resident_pages(s);
	TEST_ASSERT(before > 2 && before < total / 2, "resident %zu of %zu", before, total);

	TEST_ASSERT_EQ(guest_open(&s->vm, &o, &g), 0);
	guest_info(g, &info);
	TEST_ASSERT(!info.ready, "ready without a profile");
	TEST_ASSERT(strstr(info.status, "Linux 9.9.9-straddle"), "status: %s", info.status);
	st = guest_stats(g);
	TEST_ASSERT_EQ(st->scans, 1);
	TEST_ASSERT_EQ(st->scan_pages_skipped, total - before);
	TEST_ASSERT(st->scan_bytes >= before * 4096 &&
		    st->scan_bytes < (before + 64) * 4096,
		    "scan read %llu bytes of %zu resident pages",
		    (unsigned long long)st->scan_bytes, before);
	TEST_ASSERT_EQ(resident_pages(s), before);
	guest_close(g);

	/* Looked at again (no_scan): the aligned probes alone, no scan. */
	o.no_scan = 1;
	TEST_ASSERT_EQ(guest_open(&s->vm, &o, &g), 0);
	guest_info(g, &info);
	TEST_ASSERT(!info.ready, "ready without a profile");
	TEST_ASSERT(strstr(info.status, "no profile's kernel at an aligned address"),
		    "status: %s", info.status);
	TEST_ASSERT_EQ(guest_stats(g)->scans, 0);
	guest_close(g);
	/* ... which find a profile's kernel at its 2 MiB aligned load. */
	o = (struct guest_opts){ .profile = s->prof, .no_scan = 1 };
	TEST_ASSERT_EQ(guest_open(&s->vm, &o, &g), 0);
	guest_info(g, &info);
	TEST_ASSERT(info.ready, "not ready: %s", info.status);
	TEST_ASSERT_EQ(info.phys_load, s->o.phys_load);
	TEST_ASSERT_EQ(guest_stats(g)->scans, 0);
	TEST_ASSERT_EQ(resident_pages(s), before);
	guest_close(g);
	synth_free(s);
}

static void test_no_profile(void)
{
	struct synth_guest *s = synth_new(NULL);
	struct guest_opts o = { .profile_dir = "/nonexistent-vmtrace-profiles" };
	struct guest_info info;
	struct guest *g;
	uint64_t task, pa, v = 0;
	size_t done;
	char buf[64];

	task = synth_add_process(s, 7, "p", 0, 0);
	pa = synth_map_user(s, task, 0x8048000, 0x1000);
	synth_w64(s, pa + 0x10, 0xabcdef);

	TEST_ASSERT_EQ(guest_open(&s->vm, &o, &g), 0);
	guest_info(g, &info);
	TEST_ASSERT(!info.ready, "ready without a profile");
	/* The banner is still found and reported. */
	TEST_ASSERT(strstr(info.status, "no profile") &&
		    strstr(info.status, "6.1.0-synth"), "status: %s", info.status);
	TEST_ASSERT_EQ(guest_symbolize(g, 0xffffffff81000000ULL, buf, sizeof(buf)),
		       -ENODATA);
	/* A CR3 (from a record) is enough to read a process's memory. */
	TEST_ASSERT_EQ(guest_read_cr3(g, GUEST_PAGING_4L, synth_cr3(s, task) | 0x805,
					  0x8048010, &v, 8, &done), 0);
	TEST_ASSERT_EQ(v, 0xabcdef);
	TEST_ASSERT_EQ(guest_read_virt(g, 7, 0x8048010, &v, 8, &done), -ENODATA);
	guest_close(g);

	/* A VMM that is gone: reads fail, counted, nothing fatal. */
	s->vm.pid = 0x7ffffff0;
	TEST_ASSERT_EQ(guest_open(&s->vm, &o, &g), 0);
	guest_info(g, &info);
	TEST_ASSERT(!info.ready, "ready without memory");
	guest_close(g);
	synth_free(s);
}

static const struct tap_test tests[] = {
	TAP_TEST(find_kernel),
	TAP_TEST(five_level),
	TAP_TEST(modern_layout),
	TAP_TEST(ps),
	TAP_TEST(cr3_to_process),
	TAP_TEST(gs_base_thread),
	TAP_TEST(timeline),
	TAP_TEST(new_thread_and_idle),
	TAP_TEST(record_task_pointer),
	TAP_TEST(rewalk_exec_and_reuse),
	TAP_TEST(symbols),
	TAP_TEST(read_virt),
	TAP_TEST(hostile_cyclic_list),
	TAP_TEST(hostile_self_loop),
	TAP_TEST(hostile_pointers),
	TAP_TEST(hostile_thread_ring),
	TAP_TEST(hostile_long_list),
	TAP_TEST(hostile_comm_and_pid),
	TAP_TEST(hostile_banner),
	TAP_TEST(hostile_variables),
	TAP_TEST(hostile_page_tables),
	TAP_TEST(no_profile),
	TAP_TEST(scan_reads_resident_only),
};

int main(int argc, char **argv)
{
	return tap_main(argc, argv, tests, ARRAY_SIZE(tests), 0);
}
