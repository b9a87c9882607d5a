// SPDX-License-Identifier: GPL-2.0
/* The hypervisor's view of a VM from /proc (host/proc_sample.h). */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "host/proc_sample.h"
#include "util/sorted.h"

/* /proc/PID/status is ~1.5 KiB, stat ~300 bytes: this bounds every read. */
#define PROC_FILE_MAX 8192

int host_vcpu_index(const char *comm)
{
	static const struct {
		const char *prefix, *suffix;
	} forms[] = {
		{ "CPU ", "/KVM" },		/* QEMU */
		{ "vcpu", "" },			/* cloud-hypervisor */
		{ "fc_vcpu ", "" },		/* Firecracker */
		{ "crosvm_vcpu", "" },		/* crosvm */
	};
	size_t i, plen, digits;
	unsigned long idx;

	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		plen = strlen(forms[i].prefix);
		if (strncmp(comm, forms[i].prefix, plen))
			continue;
		digits = strspn(comm + plen, "0123456789");
		if (!digits || digits > 5 || strcmp(comm + plen + digits, forms[i].suffix))
			continue;
		idx = strtoul(comm + plen, NULL, 10);
		return idx < HOST_MAX_VCPUS ? (int)idx : -1;
	}
	return -1;
}

/* A whole field of decimal digits: 0 and *v, or -EINVAL. */
static int parse_u64_field(const char *s, const char **end, uint64_t *v)
{
	uint64_t x = 0;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	for (; isdigit((unsigned char)*s); s++) {
		if (x > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		x = x * 10 + (uint64_t)(*s - '0');
	}
	*v = x;
	*end = s;
	return 0;
}

int host_parse_stat(const char *line, char *comm, size_t comm_len,
		  uint64_t *utime_ticks, uint64_t *stime_ticks)
{
	const char *open = strchr(line, '('), *close = strrchr(line, ')'), *p;
	size_t n;
	int field;

	if (!open || !close || close < open || comm_len == 0)
		return -EINVAL;
	n = (size_t)(close - open - 1);
	if (n >= comm_len)
		n = comm_len - 1;
	memcpy(comm, open + 1, n);
	comm[n] = 0;
	/* After ") ": field 3 is the state; utime and stime are 14 and 15. */
	p = close + 1;
	for (field = 3; field < 14; field++) {
		if (*p != ' ')
			return -EINVAL;
		p++;
		p += strcspn(p, " \n");
	}
	if (*p != ' ' || parse_u64_field(p + 1, &p, utime_ticks) ||
	    *p != ' ' || parse_u64_field(p + 1, &p, stime_ticks))
		return -EINVAL;
	return 0;
}

int host_parse_schedstat(const char *line, uint64_t *run_ns, uint64_t *wait_ns)
{
	const char *p;

	if (parse_u64_field(line, &p, run_ns) || *p != ' ' ||
	    parse_u64_field(p + 1, &p, wait_ns))
		return -EINVAL;
	return 0;
}

/* Read a small file at @dirfd/@name into @buf (NUL-terminated).  Returns
 * its length or -errno. */
static ssize_t read_small(int dirfd, const char *name, char *buf, size_t len)
{
	ssize_t n, total = 0;
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while ((size_t)total < len - 1) {
		n = read(fd, buf + total, len - 1 - total);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			total = -errno;
			break;
		}
		if (n == 0)
			break;
		total += n;
	}
	close(fd);
	if (total >= 0)
		buf[total] = 0;
	return total;
}

static uint64_t ticks_to_ns(uint64_t ticks, long clk_tck)
{
	return ticks * (1000000000ULL / (uint64_t)clk_tck);
}

/* "Key:   123 kB" in /proc/PID/status, in bytes; 0 if absent. */
static uint64_t status_kb(const char *status, const char *key)
{
	size_t klen = strlen(key);
	const char *p = status;
	uint64_t kb;

	while (p && *p) {
		if (!strncmp(p, key, klen) && p[klen] == ':') {
			p += klen + 1;
			p += strspn(p, " \t");
			if (!parse_u64_field(p, &p, &kb) && kb < (UINT64_MAX >> 10))
				return kb << 10;
			return 0;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return 0;
}

static int read_thread(int taskfd, pid_t tid, long clk_tck, struct host_thread *t)
{
	char name[32], buf[PROC_FILE_MAX];
	uint64_t ut, st;
	int dirfd;
	ssize_t n;

	snprintf(name, sizeof(name), "%d", (int)tid);
	dirfd = openat(taskfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return -errno;
	memset(t, 0, sizeof(*t));
	t->tid = tid;
	n = read_small(dirfd, "stat", buf, sizeof(buf));
	if (n < 0 || host_parse_stat(buf, t->comm, sizeof(t->comm), &ut, &st)) {
		close(dirfd);
		return n < 0 ? (int)n : -EINVAL;
	}
	t->utime_ns = ticks_to_ns(ut, clk_tck);
	t->stime_ns = ticks_to_ns(st, clk_tck);
	t->vcpu = host_vcpu_index(t->comm);
	/* schedstat exists with CONFIG_SCHED_INFO (Debian: yes). */
	if (read_small(dirfd, "schedstat", buf, sizeof(buf)) > 0 &&
	    !host_parse_schedstat(buf, &t->run_ns, &t->wait_ns))
		t->have_schedstat = true;
	close(dirfd);
	return 0;
}

/* VM directories of one VMM, and vCPUs per VM, read at most. */
#define HV_MAX_VM_DIRS 64
#define HV_MAX_DEBUGFS_VCPUS 4096

/* Count @pid's KVM fds under @proc_root: VMs into *vms, vCPUs into *vcpus. */
static void count_kvm_fds(const char *proc_root, const char *pid, uint32_t *vms,
			  uint32_t *vcpus)
{
	char path[PATH_MAX], link[64];
	struct dirent *de;
	ssize_t n;
	DIR *d;

	*vms = *vcpus = 0;
	snprintf(path, sizeof(path), "%s/%s/fd", proc_root, pid);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/fd/%s", proc_root, pid, de->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (!strcmp(link, "anon_inode:kvm-vm"))
			(*vms)++;
		else if (!strncmp(link, "anon_inode:kvm-vcpu:", 20))
			(*vcpus)++;
	}
	closedir(d);
}

static int cmp_kvm_vm(const void *a, const void *b)
{
	const struct hv_kvm_vm *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

int host_find_kvm_vms(const char *proc_root, struct hv_kvm_vm **out, size_t *nr)
{
	struct hv_kvm_vm *list = NULL, *grown;
	size_t cap = 0, n = 0;
	struct dirent *de;
	uint32_t vms, vcpus;
	int err = 0;
	DIR *d;

	*out = NULL;
	*nr = 0;
	d = opendir(proc_root);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		count_kvm_fds(proc_root, de->d_name, &vms, &vcpus);
		if (!vms)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 8;
			grown = realloc(list, cap * sizeof(*list));
			if (!grown) {
				err = -ENOMEM;
				break;
			}
			list = grown;
		}
		list[n].pid = (pid_t)strtol(de->d_name, NULL, 10);
		list[n++].nr_vcpus = vcpus;
	}
	closedir(d);
	if (err) {
		free(list);
		return err;
	}
	if (n)
		qsort(list, n, sizeof(*list), cmp_kvm_vm);
	*out = list;
	*nr = n;
	return 0;
}

int host_vcpus_from_debugfs(const char *kvm_debugfs, struct host_proc_sample *s)
{
	char prefix[32], path[4096], buf[64];
	struct dirent *de, *ve;
	size_t i, nr_dirs = 0;
	int marked = 0;
	DIR *dir, *vdir;

	for (i = 0; i < s->nr_threads; i++)
		if (s->threads[i].vcpu >= 0)
			return 0;	/* named: the names are the truth */
	dir = opendir(kvm_debugfs);
	if (!dir)
		return 0;
	snprintf(prefix, sizeof(prefix), "%d-", (int)s->pid);
	while ((de = readdir(dir)) && nr_dirs < HV_MAX_VM_DIRS) {
		size_t nr_vcpus = 0;

		if (strncmp(de->d_name, prefix, strlen(prefix)))
			continue;
		nr_dirs++;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", kvm_debugfs, de->d_name) >=
		    sizeof(path))
			continue;
		vdir = opendir(path);
		if (!vdir)
			continue;
		while ((ve = readdir(vdir)) && nr_vcpus++ < HV_MAX_DEBUGFS_VCPUS) {
			char *end;
			long idx, tid;
			ssize_t n;
			int fd;

			if (strncmp(ve->d_name, "vcpu", 4))
				continue;
			idx = strtol(ve->d_name + 4, &end, 10);
			if (end == ve->d_name + 4 || *end || idx < 0 || idx > INT32_MAX)
				continue;
			if ((size_t)snprintf(path, sizeof(path), "%s/%s/%s/pid", kvm_debugfs,
					     de->d_name, ve->d_name) >= sizeof(path))
				continue;
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				continue;
			n = read(fd, buf, sizeof(buf) - 1);
			close(fd);
			if (n <= 0)
				continue;
			buf[n] = 0;
			tid = strtol(buf, &end, 10);
			if (tid <= 0 || (*end && *end != '\n'))
				continue;	/* 0: the vCPU never ran */
			/* Only a thread of this VMM: a stale pid may be anyone's. */
			for (i = 0; i < s->nr_threads; i++)
				if (s->threads[i].tid == (pid_t)tid && s->threads[i].vcpu < 0) {
					s->threads[i].vcpu = (int)idx;
					marked++;
				}
		}
		closedir(vdir);
	}
	closedir(dir);
	return marked;
}

static int cmp_tid(const void *a, const void *b)
{
	const struct host_thread *x = a, *y = b;

	return (x->tid > y->tid) - (x->tid < y->tid);
}

int host_sample_read(const char *proc_root, long clk_tck, pid_t pid,
		   uint64_t now_ns, struct host_proc_sample *out)
{
	char path[4096], buf[PROC_FILE_MAX];
	int procfd = -1, taskfd = -1, err;
	uint64_t ut, st;
	struct dirent *de;
	DIR *dir = NULL;
	ssize_t n;

	memset(out, 0, sizeof(*out));
	out->pid = pid;
	out->when_ns = now_ns;
	if (clk_tck <= 0 || clk_tck > 1000000000L || pid <= 0)
		return -EINVAL;
	snprintf(path, sizeof(path), "%s/%d", proc_root, (int)pid);
	procfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0)
		return errno == ENOENT ? -ESRCH : -errno;

	n = read_small(procfd, "stat", buf, sizeof(buf));
	if (n < 0) {
		err = n == -ENOENT ? -ESRCH : (int)n;
		goto out;
	}
	err = host_parse_stat(buf, out->comm, sizeof(out->comm), &ut, &st);
	if (err)
		goto out;
	out->utime_ns = ticks_to_ns(ut, clk_tck);
	out->stime_ns = ticks_to_ns(st, clk_tck);

	/* A zombie has no memory lines: zeros then. */
	if (read_small(procfd, "status", buf, sizeof(buf)) > 0) {
		out->rss_bytes = status_kb(buf, "VmRSS");
		out->rss_anon_bytes = status_kb(buf, "RssAnon");
		out->rss_file_bytes = status_kb(buf, "RssFile");
		out->rss_shmem_bytes = status_kb(buf, "RssShmem");
	}

	taskfd = openat(procfd, "task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (taskfd < 0) {
		err = errno == ENOENT ? -ESRCH : -errno;
		goto out;
	}
	dir = fdopendir(dup(taskfd));
	if (!dir) {
		err = -errno;
		goto out;
	}
	out->threads = calloc(HOST_MAX_THREADS, sizeof(*out->threads));
	if (!out->threads) {
		err = -ENOMEM;
		goto out;
	}
	while ((de = readdir(dir))) {
		char *end;
		long tid = strtol(de->d_name, &end, 10);

		if (*end || tid <= 0 || de->d_name[0] == '0')
			continue;
		if (out->nr_threads == HOST_MAX_THREADS) {
			out->threads_truncated = true;
			break;
		}
		/* Gone since the listing: skip it. */
		if (read_thread(taskfd, (pid_t)tid, clk_tck,
				&out->threads[out->nr_threads]))
			continue;
		out->nr_threads++;
	}
	qsort(out->threads, out->nr_threads, sizeof(*out->threads), cmp_tid);
	err = 0;
out:
	if (dir)
		closedir(dir);
	if (taskfd >= 0)
		close(taskfd);
	close(procfd);
	return err;
}

void host_sample_free(struct host_proc_sample *s)
{
	free(s->threads);
	s->threads = NULL;
	s->nr_threads = 0;
}

/* @b - @a, or 0 if the counter went backwards. */
static uint64_t delta(uint64_t a, uint64_t b)
{
	return b >= a ? b - a : 0;
}

static const struct host_thread *find_thread(const struct host_proc_sample *s, pid_t tid)
{
	/* Sorted by tid, which leads the element (util/sorted.h). */
	_Static_assert(offsetof(struct host_thread, tid) == 0 && sizeof(pid_t) == 4, "tid");
	return util_find_by_id(s->threads, s->nr_threads, sizeof(*s->threads), (uint32_t)tid);
}

int host_rates(const struct host_proc_sample *prev, const struct host_proc_sample *cur,
	     struct host_rates *out)
{
	static const struct host_thread zero_thread;
	double ns, pct, threads_run_pct = 0;
	bool all_schedstat = true;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (prev->pid != cur->pid || cur->when_ns <= prev->when_ns)
		return -EINVAL;
	ns = (double)(cur->when_ns - prev->when_ns);
	pct = 100.0 / ns;
	out->interval_s = ns / 1e9;
	out->user_pct = delta(prev->utime_ns, cur->utime_ns) * pct;
	out->sys_pct = delta(prev->stime_ns, cur->stime_ns) * pct;
	out->cpu_pct = out->user_pct + out->sys_pct;
	out->rss_bytes = cur->rss_bytes;

	for (i = 0; i < cur->nr_threads; i++) {
		const struct host_thread *t = &cur->threads[i], *p;
		struct host_vcpu_rate *r;

		p = find_thread(prev, t->tid);
		if (!p)
			p = &zero_thread;
		if (t->have_schedstat && (p == &zero_thread || p->have_schedstat))
			threads_run_pct += delta(p->run_ns, t->run_ns) * pct;
		else
			all_schedstat = false;
		if (t->vcpu < 0 || out->nr_vcpus == HOST_MAX_VCPUS)
			continue;
		r = &out->vcpus[out->nr_vcpus++];
		r->vcpu = t->vcpu;
		r->tid = t->tid;
		r->user_pct = delta(p->utime_ns, t->utime_ns) * pct;
		r->sys_pct = delta(p->stime_ns, t->stime_ns) * pct;
		if (t->have_schedstat && (p == &zero_thread || p->have_schedstat)) {
			r->cpu_pct = delta(p->run_ns, t->run_ns) * pct;
			r->run_delay_pct = delta(p->wait_ns, t->wait_ns) * pct;
		} else {
			r->cpu_pct = r->user_pct + r->sys_pct;
		}
		out->vcpu_pct += r->cpu_pct;
		out->run_delay_pct += r->run_delay_pct;
	}
	/* Ticks are coarse (10 ms at 100 Hz, and sampled): where every
	 * thread has schedstat, their exact run times are the process's CPU
	 * time (threads that exited within the interval are missed). */
	if (all_schedstat && cur->nr_threads && !cur->threads_truncated)
		out->cpu_pct = threads_run_pct;
	/* Tick-based totals and exact vCPU run times can still disagree a
	 * little: never report negative overhead. */
	out->other_pct = out->cpu_pct > out->vcpu_pct ? out->cpu_pct - out->vcpu_pct : 0;
	return 0;
}
