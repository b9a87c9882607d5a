/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest page-table walker: a guest-virtual address, the guest's CR3 and
 * its paging mode in, the guest-physical address out, as the CPU would
 * translate it (Intel SDM vol. 3A ch. 4; KVM's paging_tmpl.h).
 *
 *   mode             levels  entry  VA bits  large pages
 *   GUEST_PAGING_32    2       4 B    32       4 MiB (PSE; PSE-36 high bits)
 *   GUEST_PAGING_PAE   3       8 B    32       2 MiB (4-entry PDPT from CR3[31:5])
 *   GUEST_PAGING_4L    4       8 B    48       1 GiB, 2 MiB
 *   GUEST_PAGING_5L    5       8 B    57       1 GiB, 2 MiB  (CR4.LA57)
 *
 * A walk reads at most one entry per level: it is bounded whatever the
 * tables hold, self-references included.  PCID and other non-address bits of
 * CR3 are ignored.  The walker reads only; accessed/dirty bits stay as they
 * are.
 */
#ifndef GUEST_PT_H
#define GUEST_PT_H

#include <stdint.h>
#include "guest/mem.h"

enum guest_paging {
	GUEST_PAGING_NONE,	/* paging off: VA == PA */
	GUEST_PAGING_32,
	GUEST_PAGING_PAE,
	GUEST_PAGING_4L,
	GUEST_PAGING_5L,
};

/* Guest-physical address bits of a 64-bit/PAE entry or CR3: 51:12. */
#define GUEST_PT_ADDR_MASK 0x000ffffffffff000ULL

/* Entry bits */
#define GUEST_PTE_PRESENT (1ULL << 0)
#define GUEST_PTE_RW (1ULL << 1)
#define GUEST_PTE_USER (1ULL << 2)
#define GUEST_PTE_PS (1ULL << 7)
#define GUEST_PTE_NX (1ULL << 63)

struct guest_pt_walk {
	uint64_t pa;		/* the translation of the VA */
	uint64_t page_size;	/* 4 KiB, 2 MiB, 4 MiB or 1 GiB */
	unsigned int level;	/* level of the last entry read: 1 = PTE */
	unsigned int nr_entries;
	uint64_t entries[5];	/* the entries read, top level first */
	int writable;		/* R/W set at every level */
	int user;		/* U/S set at every level */
	int nx;			/* NX set at some level */
};

/*
 * Translate @va.  0 and *w filled, or:
 *   -ENOENT  an entry on the way is not present, or has a bit set that is
 *            reserved at its level (w->level says where)
 *   -ERANGE  @va cannot be translated in @mode (not canonical; above 4 GiB
 *            in a 32-bit mode)
 *   -EFAULT  a page-table page lies outside guest RAM
 *   -EIO     guest memory could not be read
 *   -EINVAL  unknown @mode
 */
int guest_pt_translate(struct guest_mem *m, enum guest_paging mode, uint64_t cr3,
		     uint64_t va, struct guest_pt_walk *w);

/* The paging mode named by a record's VMTRACE_MODE_* bits. */
enum guest_paging guest_paging_from_record_mode(uint8_t mode);

/* "4-level", "5-level", "PAE", "32-bit", "off". */
const char *guest_paging_name(enum guest_paging mode);

/*
 * The short names that script prints and peek --paging takes: "32",
 * "pae", "4", "5" ("off" is printed, never taken: no page tables).
 */
const char *guest_paging_arg(enum guest_paging mode);
/* @name as above: 0 and *mode, or -EINVAL. */
int guest_paging_parse(const char *name, enum guest_paging *mode);

/* Sign-extend @va from bit 47 (4-level) or 56 (5-level). */
uint64_t guest_pt_canonical(enum guest_paging mode, uint64_t va);

#endif /* GUEST_PT_H */
