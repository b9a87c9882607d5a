/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The hypervisor's view of one VM, read from /proc: CPU time of the VMM
 * process and of each of its threads (vCPU threads recognised by name),
 * run-queue delay of the threads (schedstat) and the VMM's resident
 * memory.  Two samples give rates (host_rates()).
 *
 * The proc root is a parameter so that tests run against a fake tree.
 * Everything read is bounded; a thread that exits between the directory
 * listing and its read is skipped, not an error.
 */
#ifndef HOST_PROC_SAMPLE_H
#define HOST_PROC_SAMPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HOST_COMM_LEN 16
/* Threads read per VMM; more are counted in the process totals only. */
#define HOST_MAX_THREADS 1024

struct host_thread {
	pid_t tid;
	int vcpu;			/* vCPU index from the name; -1: not a vCPU */
	char comm[HOST_COMM_LEN];
	uint64_t utime_ns, stime_ns;	/* stat utime/stime (tick granularity) */
	bool have_schedstat;
	uint64_t run_ns;		/* schedstat: time on a CPU (exact) */
	uint64_t wait_ns;		/* schedstat: time runnable, waiting */
};

struct host_proc_sample {
	pid_t pid;
	uint64_t when_ns;		/* the caller's clock at the read */
	char comm[HOST_COMM_LEN];
	/* The whole process (its dead threads included), from /proc/PID/stat. */
	uint64_t utime_ns, stime_ns;
	/* /proc/PID/status, bytes; 0 where the kernel does not say. */
	uint64_t rss_bytes, rss_anon_bytes, rss_file_bytes, rss_shmem_bytes;
	size_t nr_threads;		/* entries in threads[], sorted by tid */
	bool threads_truncated;		/* more than HOST_MAX_THREADS */
	struct host_thread *threads;
};

/*
 * The vCPU index in a VMM thread name: QEMU's "CPU 3/KVM", cloud-hypervisor's
 * "vcpu3", Firecracker's "fc_vcpu 3", crosvm's "crosvm_vcpu3"; -1 otherwise.
 */
int host_vcpu_index(const char *comm);

/*
 * The vCPU threads of a VMM that does not name them (QEMU without
 * -name ...,debug-threads=on: every thread is "qemu-system-x86"), from
 * KVM's debugfs under @kvm_debugfs (normally /sys/kernel/debug/kvm): each
 * VM's directory "PID-FD" holds vcpuN/pid, the thread that last ran vCPU
 * N.  Sets threads[].vcpu in @s where no thread has a vCPU name already.
 * Returns the number of vCPU threads marked (0 when debugfs is not mounted
 * or not readable: the split stays unknown), or -errno.
 */
int host_vcpus_from_debugfs(const char *kvm_debugfs, struct host_proc_sample *s);

/*
 * Parse a /proc/.../stat line: the name inside the parentheses (which may
 * itself hold ')' or spaces: the last ')' ends it), utime and stime in
 * clock ticks.  0 or -EINVAL.
 */
int host_parse_stat(const char *line, char *comm, size_t comm_len,
		  uint64_t *utime_ticks, uint64_t *stime_ticks);

/* Parse /proc/.../schedstat: "run_ns wait_ns timeslices".  0 or -EINVAL. */
int host_parse_schedstat(const char *line, uint64_t *run_ns, uint64_t *wait_ns);

/*
 * Read VMM @pid under @proc_root ("/proc" normally) into @out, with
 * @clk_tck ticks per second (sysconf(_SC_CLK_TCK)) and @now_ns as its time.
 * 0, -ESRCH (no such process), -ENOMEM, -EINVAL (unparsable stat).
 * host_sample_free() releases @out (also after a failure).
 */
int host_sample_read(const char *proc_root, long clk_tck, pid_t pid,
		   uint64_t now_ns, struct host_proc_sample *out);
void host_sample_free(struct host_proc_sample *s);

/* A KVM VM found in /proc: its VMM and the vCPUs it made. */
struct hv_kvm_vm {
	pid_t pid;
	uint32_t nr_vcpus;		/* the VMM's "anon_inode:kvm-vcpu:N" fds */
};

/*
 * The KVM VMs of the host as /proc shows them, for when vmtrace.ko is not
 * there to list them: each process under @proc_root holding a KVM VM fd
 * (one whose link reads "anon_inode:kvm-vm"), once, sorted by pid, in
 * *@out (malloc'd; NULL when none).  Processes whose fds cannot be read
 * (another user's, without root) are not seen.  0 or -errno (-ENOMEM, or
 * @proc_root unreadable).
 */
int host_find_kvm_vms(const char *proc_root, struct hv_kvm_vm **out, size_t *nr);

#define HOST_MAX_VCPUS 256

struct host_vcpu_rate {
	int vcpu;
	pid_t tid;
	double cpu_pct;			/* of one host CPU: schedstat run time if
					 * known, else utime + stime */
	double user_pct, sys_pct;	/* from utime/stime */
	double run_delay_pct;		/* runnable but waiting, of the interval */
};

/* Rates between two samples of the same process, in % of one host CPU. */
struct host_rates {
	double interval_s;
	double cpu_pct, user_pct, sys_pct;	/* the whole VMM process */
	double vcpu_pct;			/* its vCPU threads together */
	double other_pct;			/* cpu_pct - vcpu_pct: I/O threads,
						 * main loop: VMM overhead */
	double run_delay_pct;			/* vCPU threads' waits together */
	uint64_t rss_bytes;			/* of the later sample */
	size_t nr_vcpus;
	struct host_vcpu_rate vcpus[HOST_MAX_VCPUS];	/* by vCPU index */
};

/*
 * Rates from @prev to @cur.  Threads are matched by tid; a thread new in
 * @cur counts from zero (it started in the interval).  Counters that went
 * backwards (a pid reused) give 0.  -EINVAL if the samples are of
 * different pids or @cur is not later than @prev.
 */
int host_rates(const struct host_proc_sample *prev, const struct host_proc_sample *cur,
	     struct host_rates *out);

#endif
