/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest-physical memory, read from the host.
 *
 * KVM maps guest RAM into the VMM process: each memslot is a guest-physical
 * range backed by a range of the VMM's virtual memory.  guest_mem translates
 * a guest-physical address (GPA) through the memslot table that GET_VMS
 * returned to the VMM's host-virtual address (HVA) and reads it out of the
 * VMM with pread() on /proc/PID/mem (or process_vm_readv() where that file
 * cannot be opened).  Reading never writes, never stops the guest and never
 * waits on it; a page the guest never touched reads as zeros.
 *
 * Why /proc/PID/mem first: the open file stays bound to the VMM's address
 * space, so if the VMM exits and its pid is reused, reads fail instead of
 * returning another process's memory.
 *
 * Failures are counted (struct guest_mem_stats) and returned as -errno:
 *   -EFAULT   the range is not guest RAM (no memslot covers some of it)
 *   -EIO      the VMM's memory could not be read (the VMM exited, or the
 *             memslot table is stale)
 * Nothing here is fatal: the caller reports what failed and goes on.
 */
#ifndef GUEST_MEM_H
#define GUEST_MEM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "client/client.h"

struct guest_mem;

struct guest_mem_stats {
	uint64_t reads;		/* guest_mem_read() calls */
	uint64_t bytes;		/* bytes read successfully */
	uint64_t unmapped;	/* reads (partly) outside guest RAM: -EFAULT */
	uint64_t io_errors;	/* reads the VMM's memory refused: -EIO */
	uint64_t pagemap_errors; /* guest_mem_resident() lookups that failed */
};

#define GUEST_MEM_PAGE 4096ULL

/*
 * A guest-memory reader for the VMM process @pid with the memslots @slots
 * (address space 0 only: SMM's address space is not the guest's view).
 * Slots may come in any order; overlapping slots are refused (-EINVAL).
 * -ENOMEM, or 0 with *out set.  Opening never fails because the VMM's memory
 * is unreadable: that shows up as -EIO on reads.
 */
int guest_mem_open(pid_t pid, const struct client_memslot *slots, size_t nr,
		  struct guest_mem **out);
void guest_mem_close(struct guest_mem *m);

/* Read @len bytes at @gpa, possibly across memslots.  0 or -errno. */
int guest_mem_read(struct guest_mem *m, uint64_t gpa, void *buf, size_t len);

/*
 * Which of the @npages pages from @gpa (page-aligned) the VMM holds in
 * memory, present or swapped out: bit i of @map (an array of
 * (@npages + 63) / 64 words) for page i.  Read from /proc/PID/pagemap.
 *
 * Why a scan asks first: reading a page the guest never touched maps the
 * shared zero page into the VMM, and the guest's first write there then
 * breaks copy-on-write: an extra fault and exit per page, for as long as
 * the guest keeps touching new memory (and a page that userfaultfd
 * serves would be faulted in by the reader).  A page that is not resident
 * holds nothing but zeros: nothing to find there.
 *
 * The number of resident pages, or -errno: -EFAULT (not all guest RAM,
 * or @gpa unaligned), -EOPNOTSUPP (no pagemap: the caller reads as if all
 * were resident), -EIO (the VMM is gone).
 */
long guest_mem_resident(struct guest_mem *m, uint64_t gpa, size_t npages,
		       uint64_t *map);

/* Little-endian loads; 0 or -errno as guest_mem_read(). */
int guest_mem_read_u32(struct guest_mem *m, uint64_t gpa, uint32_t *v);
int guest_mem_read_u64(struct guest_mem *m, uint64_t gpa, uint64_t *v);

/* True if [gpa, gpa + len) is entirely guest RAM. */
int guest_mem_contains(const struct guest_mem *m, uint64_t gpa, uint64_t len);

/*
 * Where [gpa, gpa + len) is in the VMM's address space: 0 and *@hva, or
 * -EFAULT if it is not guest RAM of one memslot.
 */
int guest_mem_hva(const struct guest_mem *m, uint64_t gpa, uint64_t len, uint64_t *hva);

/* The end of the highest memslot: no guest RAM at or above it. */
uint64_t guest_mem_end(const struct guest_mem *m);

/* Guest RAM ranges, sorted by GPA: 0 and the @i-th, or -ENOENT past the end. */
int guest_mem_range(const struct guest_mem *m, size_t i, uint64_t *gpa,
		   uint64_t *size);

const struct guest_mem_stats *guest_mem_stats(const struct guest_mem *m);

/* "proc-mem" or "process_vm_readv": how reads are done right now. */
const char *guest_mem_method(const struct guest_mem *m);

#endif /* GUEST_MEM_H */
