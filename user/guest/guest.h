/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest introspection: which guest process and thread ran, by name, read
 * from the host out of guest memory, with no agent in the guest.
 *
 * A struct guest decodes one VM.  Opening it finds the guest kernel in
 * guest memory, matches it to a profile (guest/profile.h: struct offsets and
 * symbols of that kernel build) by its "Linux version ..." banner, and
 * works out the KASLR slides.  Then, for each record's CR3 (and kernel GS
 * base), guest_task_for() names the task that ran, and
 * guest_symbolize() names the kernel function of a kernel-mode RIP.
 *
 *   struct guest *g;
 *   guest_open(&vm, &opts, &g);           // never fails for lack of a
 *                                             // profile: see status
 *   for each record r of vm:
 *       struct guest_task t;
 *       if (!guest_task_for(g, r.u.g.guest_cr3, r.u.g.guest_gs_base, &t)
 *           && (t.flags & GUEST_TASK_CHANGED))
 *               write t as metadata, valid from r.host_tsc, key (cr3, gs_base)
 *   guest_close(g);
 *
 * Guest memory is untrusted.  Everything read from it is bounds-checked,
 * every loop over guest data has a fixed bound, a list that cycles or
 * leaves guest RAM ends the walk there; such decode failures are counted
 * (struct guest_stats), never fatal, and affect only this VM's
 * records.  Nothing here writes guest memory or stops the guest.
 *
 * Reads are live: a record decoded some milliseconds after it was taken is
 * named after the guest's state at decode time.  CR3 -> process is exact
 * while the process lives (its page tables do not change).  The thread
 * comes from the per-CPU current task, and by decode time the vCPU may run
 * another one; so with opts.poll_us a thread polls every vCPU's current
 * task into a timeline (guest/poll.h), and guest_task_for_record()
 * takes the task current at the record's own TSC (or, when the polls
 * around it saw another process, the nearest poll's thread of the record's
 * process).  Either way a thread is used only if it fits the record: a
 * thread of the CR3's process, or in kernel mode a kernel thread;
 * otherwise the answer is the process alone.
 *
 * Not thread-safe: one thread per struct guest.
 */
#ifndef GUEST_GUEST_H
#define GUEST_GUEST_H

#include <stddef.h>
#include <stdint.h>
#include "client/client.h"
#include "guest/pt.h"
#include "guest/profile.h"

#define GUEST_COMM_MAX (GUEST_PROF_COMM_MAX + 1)

struct guest;

struct guest_opts {
	const char *profile_dir;	/* NULL: GUEST_PROFILE_DIR_DEFAULT */
	const char *profile_path;	/* use this profile, no matching */
	const struct guest_profile *profile; /* the same, in memory (borrowed) */
	unsigned int max_tasks;		/* tasks per walk; 0: 32768 */
	uint64_t rewalk_ns;		/* re-walk this often; 0: 1 s */
	uint64_t unknown_rewalk_ns;	/* at most one walk for unknown CR3s per
					 * this; 0: 100 ms */
	uint64_t current_cache_ns;	/* reuse a per-CPU current task read for
					 * this long; 0: 1 ms */
	uint64_t (*now_ns)(void);	/* clock (tests); NULL: CLOCK_MONOTONIC */
	unsigned int poll_us;		/* poll each vCPU's current task this
					 * often in a thread of its own (see
					 * guest_task_for_record()); 0: no */
	int no_scan;			/* look for a profile's kernel at 2 MiB
					 * aligned addresses only, no whole-RAM
					 * banner scan (a guest looked at again:
					 * its first open scanned) */
};

/* guest_task.flags */
#define GUEST_TASK_KTHREAD	0x01	/* a kernel thread (no mm) */
#define GUEST_TASK_THREAD	0x02	/* tid, thread_comm: the exact thread,
					 * from the per-CPU current task */
#define GUEST_TASK_IDLE		0x04	/* the idle task / kernel page tables */
#define GUEST_TASK_CHANGED	0x08	/* task_for(): not what the previous
					 * call for this (cr3, gs_base) said */

struct guest_task {
	uint64_t cr3;		/* page-table base: pa(mm->pgd); 0 for kthreads */
	uint64_t task;		/* guest VA of the task_struct (tid's) */
	uint32_t pid;		/* the process: tgid */
	uint32_t tid;		/* the thread: pid; == pid if not known */
	uint32_t ppid;		/* the parent's tgid; 0 if unknown */
	uint32_t uid;		/* real uid; (uint32_t)-1 if unknown */
	uint32_t flags;		/* VMT_GTASK_* */
	char state;		/* ps letter: R S D T t X Z P I, ? unknown */
	uint64_t start_time;	/* guest ns since boot; 0 if unknown */
	char comm[GUEST_COMM_MAX];	/* the process's (leader's) */
	char thread_comm[GUEST_COMM_MAX]; /* the thread's */
};

struct guest_info {
	uint32_t vm_id, vmm_pid;
	int ready;		/* processes can be named */
	const char *status;	/* "ok", or why names are missing */
	const char *banner;	/* as read from guest memory; "" if none */
	const char *profile;	/* the profile's name; NULL if none */
	const char *release;	/* the profile's release */
	enum guest_paging paging;
	uint64_t phys_load;	/* where the kernel's _text is in guest RAM */
	int64_t phys_slide;	/* phys_load - link-time load address */
	int64_t virt_slide;	/* runtime - link virtual addresses */
	uint64_t kernel_cr3;	/* pa of the kernel page tables (init_mm) */
	uint64_t page_offset_base; /* direct map base; 0 if not known */
	const char *mem_method;	/* how guest memory is read */
};

/* Decode failures and work done; all only ever increase. */
struct guest_stats {
	uint64_t walks;		/* task-list walks done */
	uint64_t walks_partial;	/* walks that ended early (any cause below) */
	uint64_t cycles;	/* lists that looped before their head */
	uint64_t truncated;	/* lists longer than max_tasks */
	uint64_t bad_pointers;	/* pointers that lead outside guest RAM or
				 * do not translate */
	uint64_t bad_tasks;	/* task_structs with impossible contents */
	uint64_t lookups;	/* task_for() calls */
	uint64_t unknown_cr3;	/* task_for() with a CR3 no process has */
	uint64_t unknown_walks;	/* walks caused by unknown CR3s */
	uint64_t current_reads;	/* per-CPU current task reads */
	uint64_t current_failed; /* ... unreadable or not a task */
	uint64_t current_mismatch; /* ... a thread of another process (the
				 * vCPU switched since the record) */
	uint64_t timeline_hits;	/* records whose TSC a poll bracketed */
	uint64_t timeline_between; /* ... fell between two different values */
	uint64_t timeline_misses; /* ... the timeline did not cover */
	uint64_t timeline_nearest; /* ... named after the nearest poll that
				 * saw a thread of the record's process */
	uint64_t polls, poll_failures; /* the poller's rounds, failed reads */
	uint64_t task_exact;	/* records whose own task pointer
				 * (VMTRACE_REC_F_TASK) named their thread */
	uint64_t task_mismatch;	/* ... named a task that does not fit the
				 * record (taken inside a context switch) */
	uint64_t task_unknown;	/* ... named no task */
	uint64_t process_only;	/* records named by their process alone (tid =
				 * pid): no task of theirs, and no poll told
				 * the thread, e.g. taken before the collector
				 * had opened the guest and set the vCPU's slot */
	uint64_t task_reused;	/* task_structs found holding another
				 * thread than the walk said (or than the
				 * sample's own pid, VMTRACE_REC_F_TID) */
	uint64_t watches_paused; /* vCPUs no longer polled: the module reads
				 * their current task */
	uint64_t watches;	/* vCPUs (GS bases) watched */
	uint64_t pt_faults;	/* page walks that failed */
	uint64_t mem_errors;	/* guest memory reads that failed */
	uint64_t scans;		/* whole-RAM banner scans */
	uint64_t scan_bytes;	/* ... bytes they read */
	uint64_t scan_pages_skipped; /* pages not read: not resident in the
				 * VMM (never touched by the guest) */
};

/*
 * Open the guest of @vm (its VMM pid and memslots).  0 and *out, or -ENOMEM.
 * A guest without a matching profile, or whose memory cannot be read, is
 * still opened: guest_info() says why names are missing, and the
 * functions below return -ENODATA.
 */
int guest_open(const struct client_vm_info *vm, const struct guest_opts *opts,
		   struct guest **out);
void guest_close(struct guest *g);

void guest_info(const struct guest *g, struct guest_info *info);
const struct guest_stats *guest_stats(const struct guest *g);

/*
 * Name the task that ran with @cr3 (raw, as recorded: PCID and KPTI bits
 * are dealt with here) and kernel GS base @gs_base (0 if not known).  0 and
 * *out; -ENOENT: no process has this CR3 (even after a fresh walk, rate
 * limited); -ENODATA: not ready (see guest_info()).
 */
int guest_task_for(struct guest *g, uint64_t cr3, uint64_t gs_base,
		       struct guest_task *out);

/*
 * The same for an EXIT or SAMPLE record: its CR3, GS base, privilege level
 * and, with a poller (opts.poll_us), its host TSC pick the thread that ran
 * at that moment.  GUEST_TASK_CHANGED is per (cr3, gs_base) as above.
 */
int guest_task_for_record(struct guest *g, const struct vmtrace_record *rec,
			      struct guest_task *out);

/*
 * Where the current-task word of the per-CPU area at kernel GS base
 * @gs_base is in the VMM's address space, for SET_TASK_SLOT: 0 and *@hva;
 * -ENODATA (not ready, or the profile does not say where current is),
 * -EINVAL (not a kernel address), or a translation error.
 */
int guest_task_slot(struct guest *g, uint64_t gs_base, uint64_t *hva);

/*
 * What the module needs to read a sampled task's pid (SET_TASK_SLOT's
 * DIRECT_MAP and PID_OFFSET): the guest's direct-map base and the offset
 * of task_struct.pid.  0, or -ENODATA (not ready, or not known).
 */
int guest_tid_layout(struct guest *g, uint64_t *direct_map, uint32_t *pid_offset);

/*
 * The kernel GS base of guest CPU @cpu (__per_cpu_offset[cpu], x86-64): 0
 * and *@gs_base, -ENODATA (not ready, no such symbol), or a read error.
 * Not checked against anything: a hint, as vCPU i is usually CPU i.
 */
int guest_cpu_gs_base(struct guest *g, uint32_t cpu, uint64_t *gs_base);

/*
 * The module now copies that GS base's current task into the records
 * (SET_TASK_SLOT succeeded): the poller stops polling that vCPU, which
 * was there for records without the pointer; the few that still come
 * (before SWAPGS, say) are named after the task current at decode time.
 */
void guest_task_slot_set(struct guest *g, uint64_t gs_base);

/*
 * Kernel RIP -> "function+0xoff" (or "0xADDR" with -ENOENT).  0, -ENOENT,
 * -ENODATA (not ready), -ENOSPC (@len too small).
 */
int guest_symbolize(struct guest *g, uint64_t rip, char *buf, size_t len);

/*
 * The kernel function holding @rip, as runtime addresses: [*start, *start
 * + *size) is @name.  *is_new is 1 the first time this function is
 * returned by this guest.  0, -ENOENT, -ENODATA.
 */
int guest_symbol(struct guest *g, uint64_t rip, uint64_t *start,
		     uint64_t *size, char *name, size_t len, int *is_new);

/* Walk the task list now.  0, or -ENODATA; a partial walk is counted. */
int guest_rewalk(struct guest *g);

/*
 * The tasks of the last walk (processes only, or every thread), ordered by
 * pid then tid.  The array is the caller's to free().
 */
int guest_tasks(struct guest *g, int threads,
		    struct guest_task **out, size_t *nr);

/* The task with pid (tgid or tid) @pid, from the last walk: 0 or -ESRCH. */
int guest_find_pid(struct guest *g, uint32_t pid, struct guest_task *out);

/*
 * Read @len bytes at virtual address @va of guest process @pid (0: the
 * kernel's address space) through its page tables.  0, -ESRCH (no such
 * process, or a kernel thread), -ENOENT (not mapped: *done bytes were read),
 * -ERANGE, -EFAULT, -EIO as guest_pt_translate(), -ENODATA.
 */
int guest_read_virt(struct guest *g, uint32_t pid, uint64_t va,
			void *buf, size_t len, size_t *done);

/*
 * The same through page tables given: @cr3 in paging mode @mode (a CR3
 * from a record, say).  Needs no profile: works whenever the guest's
 * memory is readable (-ENODATA if not).
 */
int guest_read_cr3(struct guest *g, enum guest_paging mode, uint64_t cr3,
		       uint64_t va, void *buf, size_t len, size_t *done);

#endif /* GUEST_GUEST_H */
