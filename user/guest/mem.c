// SPDX-License-Identifier: GPL-2.0
/* Guest-physical memory through the VMM's memslots: see guest/mem.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* also given by the selftests' -D_GNU_SOURCE */
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include "guest/mem.h"

struct gmem_slot {
	uint64_t gpa, size, hva;
};

struct guest_mem {
	pid_t pid;
	int pidfd;			/* the VMM itself, or -1 */
	int mem_fd;			/* /proc/PID/mem, or -1 */
	int pagemap_fd;			/* /proc/PID/pagemap, or -1 */
	size_t nr_slots;
	struct gmem_slot *slots;	/* sorted by gpa, not overlapping */
	struct guest_mem_stats stats;
};

static int slot_cmp(const void *a, const void *b)
{
	const struct gmem_slot *x = a, *y = b;

	return x->gpa < y->gpa ? -1 : x->gpa > y->gpa;
}

int guest_mem_open(pid_t pid, const struct client_memslot *slots, size_t nr,
		  struct guest_mem **out)
{
	struct guest_mem *m;
	char path[64];
	size_t i;

	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->pid = pid;
	m->pidfd = m->mem_fd = m->pagemap_fd = -1;	/* closed on the error path below */
	m->slots = calloc(nr ? nr : 1, sizeof(*m->slots));
	if (!m->slots) {
		free(m);
		return -ENOMEM;
	}
	for (i = 0; i < nr; i++) {
		/* Address space 1 is SMM's view, not the guest's RAM. */
		if (slots[i].id >> 16 || !slots[i].size ||
		    slots[i].gpa + slots[i].size < slots[i].gpa)
			continue;
		m->slots[m->nr_slots].gpa = slots[i].gpa;
		m->slots[m->nr_slots].size = slots[i].size;
		m->slots[m->nr_slots].hva = slots[i].hva;
		m->nr_slots++;
	}
	qsort(m->slots, m->nr_slots, sizeof(*m->slots), slot_cmp);
	for (i = 1; i < m->nr_slots; i++) {
		if (m->slots[i - 1].gpa + m->slots[i - 1].size > m->slots[i].gpa) {
			guest_mem_close(m);
			return -EINVAL;
		}
	}
	/*
	 * Reads must never come from another process that got the VMM's pid
	 * after it exited.  With a pidfd (Linux 5.3+), process_vm_readv and
	 * then a check that the VMM still lives: no kernel page allocated and
	 * cleared per read, which /proc/PID/mem's read does (mem_rw); a tenth
	 * of the collector's CPU went there (Documentation/overhead.rst).
	 * Without one, /proc/PID/mem, whose open file stays bound to the
	 * VMM's address space.
	 */
	m->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (m->pidfd < 0) {
		m->pidfd = -1;
		snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
		m->mem_fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	m->pagemap_fd = open(path, O_RDONLY | O_CLOEXEC);
	*out = m;
	return 0;
}

void guest_mem_close(struct guest_mem *m)
{
	if (!m)
		return;
	if (m->pidfd >= 0)
		close(m->pidfd);
	if (m->mem_fd >= 0)
		close(m->mem_fd);
	if (m->pagemap_fd >= 0)
		close(m->pagemap_fd);
	free(m->slots);
	free(m);
}

/* The slot holding @gpa, or NULL. */
static const struct gmem_slot *find_slot(const struct guest_mem *m, uint64_t gpa)
{
	size_t lo = 0, hi = m->nr_slots;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct gmem_slot *s = &m->slots[mid];

		if (gpa < s->gpa)
			hi = mid;
		else if (gpa - s->gpa >= s->size)
			lo = mid + 1;
		else
			return s;
	}
	return NULL;
}

int guest_mem_hva(const struct guest_mem *m, uint64_t gpa, uint64_t len, uint64_t *hva)
{
	const struct gmem_slot *s = find_slot(m, gpa);

	if (!s || len > s->size - (gpa - s->gpa))
		return -EFAULT;
	*hva = s->hva + (gpa - s->gpa);
	return 0;
}

/* One read from the VMM's address space; 0 or -EIO. */
static int read_hva(struct guest_mem *m, uint64_t hva, void *buf, size_t len)
{
	ssize_t n;

	if (m->mem_fd >= 0) {
		n = pread(m->mem_fd, buf, len, (off_t)hva);
	} else {
		struct iovec local = { .iov_base = buf, .iov_len = len };
		struct iovec remote = { .iov_base = (void *)(uintptr_t)hva,
					.iov_len = len };

		n = process_vm_readv(m->pid, &local, 1, &remote, 1, 0);
		/* Signal 0 checks only that the VMM (not its pid) lives: the
		 * check after the read covers the read. */
		if (m->pidfd >= 0 && syscall(SYS_pidfd_send_signal, m->pidfd, 0, NULL, 0) &&
		    errno == ESRCH)
			return -EIO;
	}
	return n == (ssize_t)len ? 0 : -EIO;
}

int guest_mem_read(struct guest_mem *m, uint64_t gpa, void *buf, size_t len)
{
	char *dst = buf;
	int err;

	m->stats.reads++;
	if (gpa + len < gpa) {
		m->stats.unmapped++;
		return -EFAULT;
	}
	/* Each pass consumes one slot's part: at most nr_slots + 1 passes. */
	while (len) {
		const struct gmem_slot *s = find_slot(m, gpa);
		uint64_t off, chunk;

		if (!s) {
			m->stats.unmapped++;
			return -EFAULT;
		}
		off = gpa - s->gpa;
		chunk = s->size - off < len ? s->size - off : len;
		err = read_hva(m, s->hva + off, dst, chunk);
		if (err) {
			m->stats.io_errors++;
			return err;
		}
		m->stats.bytes += chunk;
		dst += chunk;
		gpa += chunk;
		len -= chunk;
	}
	return 0;
}

/* Pagemap entries: present in RAM, or swapped out (the guest wrote it). */
#define PM_PRESENT (1ULL << 63)
#define PM_SWAPPED (1ULL << 62)
#define PM_BATCH 512

long guest_mem_resident(struct guest_mem *m, uint64_t gpa, size_t npages,
		       uint64_t *map)
{
	uint64_t pm[PM_BATCH];
	size_t done = 0, i, n;
	long resident = 0;

	if (gpa % GUEST_MEM_PAGE || !guest_mem_contains(m, gpa, (uint64_t)npages * GUEST_MEM_PAGE))
		return -EFAULT;
	if (m->pagemap_fd < 0)
		return -EOPNOTSUPP;
	memset(map, 0, (npages + 63) / 64 * sizeof(*map));
	while (done < npages) {
		const struct gmem_slot *s = find_slot(m, gpa + done * GUEST_MEM_PAGE);
		uint64_t hva = s->hva + (gpa + done * GUEST_MEM_PAGE - s->gpa);
		uint64_t in_slot = (s->gpa + s->size - (gpa + done * GUEST_MEM_PAGE)) /
				   GUEST_MEM_PAGE;

		n = npages - done;
		if (n > PM_BATCH)
			n = PM_BATCH;
		if (n > in_slot)
			n = in_slot;
		if (!n || pread(m->pagemap_fd, pm, n * sizeof(*pm),
				(off_t)(hva / GUEST_MEM_PAGE * sizeof(*pm))) !=
			  (ssize_t)(n * sizeof(*pm))) {
			m->stats.pagemap_errors++;
			return -EIO;
		}
		for (i = 0; i < n; i++, done++) {
			if (pm[i] & (PM_PRESENT | PM_SWAPPED)) {
				map[done / 64] |= 1ULL << (done % 64);
				resident++;
			}
		}
	}
	return resident;
}

int guest_mem_read_u32(struct guest_mem *m, uint64_t gpa, uint32_t *v)
{
	uint8_t b[4];
	int err = guest_mem_read(m, gpa, b, sizeof(b));

	if (!err)
		*v = b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
	return err;
}

int guest_mem_read_u64(struct guest_mem *m, uint64_t gpa, uint64_t *v)
{
	uint8_t b[8];
	int err = guest_mem_read(m, gpa, b, sizeof(b)), i;

	if (!err) {
		*v = 0;
		for (i = 7; i >= 0; i--)
			*v = *v << 8 | b[i];
	}
	return err;
}

int guest_mem_contains(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	if (gpa + len < gpa)
		return 0;
	while (len) {
		const struct gmem_slot *s = find_slot(m, gpa);
		uint64_t chunk;

		if (!s)
			return 0;
		chunk = s->size - (gpa - s->gpa);
		if (chunk >= len)
			return 1;
		gpa += chunk;
		len -= chunk;
	}
	return 1;
}

uint64_t guest_mem_end(const struct guest_mem *m)
{
	if (!m->nr_slots)
		return 0;
	return m->slots[m->nr_slots - 1].gpa + m->slots[m->nr_slots - 1].size;
}

int guest_mem_range(const struct guest_mem *m, size_t i, uint64_t *gpa,
		   uint64_t *size)
{
	if (i >= m->nr_slots)
		return -ENOENT;
	*gpa = m->slots[i].gpa;
	*size = m->slots[i].size;
	return 0;
}

const struct guest_mem_stats *guest_mem_stats(const struct guest_mem *m)
{
	return &m->stats;
}

const char *guest_mem_method(const struct guest_mem *m)
{
	return m->pidfd >= 0 ? "process_vm_readv+pidfd" :
	       m->mem_fd >= 0 ? "proc-mem" : "process_vm_readv";
}
