/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest kernel's own accounting, read out of guest memory on top of
 * guest introspection (guest/guest.h): per task CPU time (task_struct utime and
 * stime, and signal_struct's of exited threads), per process resident
 * memory (mm_struct rss_stat counters), guest-wide memory (totalram pages
 * and the free-pages zone counter).
 *
 * They come from the guest kernel's BTF and symbol table (the same files
 * a profile is made from), or from a profile that carries them ("acct"
 * entries, written by profile create).  Where the guest runs the
 * host's own kernel build, /sys/kernel/btf/vmlinux and /proc/kallsyms do.
 *
 * Reads go through guest_read_virt() in the kernel's address space:
 * bounded, checked, never writing.  A read that fails leaves that figure
 * unknown; it is never fatal.
 */
#ifndef GUEST_ACCT_H
#define GUEST_ACCT_H

#include <stdbool.h>
#include <stdint.h>
#include "guest/guest.h"

#define GUEST_ACCT_MAX_MM_COUNTERS 8

struct guest_acct_layout {
	/* task_struct */
	int32_t task_utime, task_stime;		/* u64 ns, tick-sampled */
	int32_t task_runtime;			/* se.sum_exec_runtime: u64 ns,
						 * exact; -1 if absent */
	int32_t task_exec_start;		/* se.exec_start: the guest
						 * scheduler's clock at the
						 * task's last accounting;
						 * -1 if absent */
	int32_t task_mm, task_signal;		/* pointers */
	/* signal_struct: time of the group's exited threads; -1 if absent */
	int32_t signal_utime, signal_stime, signal_runtime;
	/* mm_struct.rss_stat: an array of counters, one per MM_* index.
	 * 6.1: struct mm_rss_stat { atomic_long_t count[] } (stride 8, count
	 * at 0); 6.2+: struct percpu_counter[] (its global s64 count; the
	 * per-CPU deltas, at most a batch each, are not read). */
	int32_t mm_rss_stat, rss_stride, rss_count_off;
	int nr_mm_counters;
	int mm_file, mm_anon, mm_shmem;		/* indexes; -1 if absent */
	int nr_free_pages;			/* enum zone_stat_item */
	int cputime_steal;			/* enum cpu_usage_stat: the
						 * index of steal time in
						 * kernel_cpustat.cpustat[] */
	/* Symbols, link addresses (KASLR undone); 0 if unknown. */
	uint64_t totalram_pages, vm_zone_stat;
	uint64_t per_cpu_offset;		/* __per_cpu_offset[] */
	uint64_t kernel_cpustat;		/* per-CPU: an offset from each
						 * CPU's base up to 6.14, an
						 * image address after */
	uint64_t page_size;
};

/*
 * Offsets from the BTF in @btf_path (raw or in an ELF).  0, or -errno and
 * @why ("task_struct.utime not found").  Symbols are left 0.
 */
int guest_acct_layout_from_btf(const char *btf_path, struct guest_acct_layout *l,
			  char *why, size_t why_len);

/* The same from a parsed BTF object (a kernel image's .BTF, say). */
struct btf;
int guest_acct_layout_from_btf_obj(const struct btf *btf, struct guest_acct_layout *l,
			      char *why, size_t why_len);

/*
 * Into and out of a guest profile's "acct" entries (guest/profile.h), so that a
 * profile made from a vmlinuz alone carries the accounting layout too.
 * From a profile: 0, or -ENOENT and @why when it lacks a needed member;
 * the memory symbols come from the profile's symbols.
 */
struct guest_profile;
void guest_acct_layout_to_profile(const struct guest_acct_layout *l, struct guest_profile *p);
int guest_acct_layout_from_profile(const struct guest_profile *p, struct guest_acct_layout *l,
			      char *why, size_t why_len);

/*
 * Symbols from a System.map or a kallsyms copy (@path), converted to link
 * addresses with @text_link, the link address of _text (the guest
 * profile's).  0 or -errno; a missing symbol only leaves it 0.
 */
int guest_acct_layout_symbols(const char *path, uint64_t text_link,
			 struct guest_acct_layout *l);

struct guest_acct_task {
	bool cpu_valid;
	uint64_t utime_ns, stime_ns;		/* tick-sampled split */
	uint64_t runtime_ns;			/* exact total; 0 if unknown */
	uint64_t exec_start_ns;			/* 0 if unknown */
	uint64_t mm;				/* guest VA; 0 for kthreads */
	uint64_t signal;			/* guest VA */
};

/* A task's CPU time and pointers: 0 or -errno of the read. */
int guest_acct_read_task(struct guest *g, const struct guest_acct_layout *l,
		    uint64_t task, struct guest_acct_task *out);

/*
 * The interval, in seconds, that run-time deltas between two reads of a
 * guest's tasks are rates over: the guest scheduler's clock from one read
 * to the next (@guest_prev_ns, @guest_now_ns: the latest se.exec_start of
 * all tasks at each read, 0 if unknown), or the host's (@host_prev_ns,
 * @host_now_ns, CLOCK_MONOTONIC) if that is longer.
 *
 * Why both: the guest accounts a running task's time only at its own
 * ticks and context switches, so a read sees the time up to the latest
 * of those, which can lie long before the read when the host made the
 * vCPU wait (or the guest was just opened).  Over the guest's clock a
 * vCPU's run time can never exceed 100 % of the interval; over the host's
 * alone a stale first read gave 106-148 % on one vCPU.  The host's span
 * is the longer one when the guest's clock stood still (an idle guest
 * accounts nothing until its next event): then the rate is over the real
 * interval, not over the last event's.  0 if there is no interval.
 */
double guest_acct_rate_span_s(uint64_t host_prev_ns, uint64_t host_now_ns,
			 uint64_t guest_prev_ns, uint64_t guest_now_ns);

/* The exited threads' CPU time of a thread group (runtime 0 if the
 * kernel has no sum_sched_runtime): 0 or -errno. */
int guest_acct_read_signal(struct guest *g, const struct guest_acct_layout *l,
		      uint64_t signal, uint64_t *utime_ns, uint64_t *stime_ns,
		      uint64_t *runtime_ns);

/*
 * What the guest's own tools show (the kernel's cputime_adjust()): the
 * exact run time split between user and system in the ratio of the
 * tick-sampled utime and stime.  Tick sampling alone undercounts when
 * the guest loses timer ticks (a busy or nested host); the scheduler's
 * run time does not.  Without a run time, the sampled values as they are.
 */
void guest_acct_adjust(uint64_t utime, uint64_t stime, uint64_t runtime,
		  uint64_t *user_ns, uint64_t *sys_ns);

/* Resident bytes of address space @mm (file + anon + shmem pages). */
int guest_acct_read_rss(struct guest *g, const struct guest_acct_layout *l,
		   uint64_t mm, uint64_t *bytes);

/*
 * Guest-wide memory in bytes: total (totalram_pages) and free (the
 * NR_FREE_PAGES zone counter), using the guest's KASLR slide @virt_slide.
 * -ENOENT without the symbols.
 */
int guest_acct_read_memory(struct guest *g, const struct guest_acct_layout *l,
		      int64_t virt_slide, uint64_t *total, uint64_t *free_bytes);

/*
 * The guest's steal time, summed over its CPUs 0 .. @nr_cpus - 1: the
 * time its vCPUs were runnable on the host but not running, as the guest
 * learnt it from the hypervisor (KVM's steal-time MSR) and accounted it at
 * its ticks (kernel_cpustat.cpustat[CPUTIME_STEAL], ns; /proc/stat's
 * "steal").  0 where the guest has no steal clock.  -ENOENT without the
 * symbols or the enum, -EINVAL for a bad @nr_cpus, or the read's error.
 */
#define GUEST_ACCT_MAX_CPUS 4096
int guest_acct_read_steal(struct guest *g, const struct guest_acct_layout *l,
		     int64_t virt_slide, uint32_t nr_cpus, uint64_t *steal_ns);
/*
 * The guest's busy time the same way: user + nice + system + softirq + irq
 * of kernel_cpustat (/proc/stat's first columns but idle and iowait; the
 * time of the guest's own guests is inside user), in ns.  -ENOENT where
 * enum cpu_usage_stat is not in its usual order (CPUTIME_STEAL not 7).
 */
int guest_acct_read_busy(struct guest *g, const struct guest_acct_layout *l,
		    int64_t virt_slide, uint32_t nr_cpus, uint64_t *busy_ns);

#endif
