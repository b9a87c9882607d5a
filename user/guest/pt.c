// SPDX-License-Identifier: GPL-2.0
/* The guest page-table walker: see guest/pt.h. */
#include <errno.h>
#include <string.h>
#include <linux/vmtrace.h>
#include "guest/pt.h"

#define PAGE_4K (1ULL << 12)

/* A guest-memory error on a table read: outside RAM or unreadable. */
static int table_error(int err)
{
	return err == -EFAULT ? -EFAULT : -EIO;
}

uint64_t guest_pt_canonical(enum guest_paging mode, uint64_t va)
{
	unsigned int top = mode == GUEST_PAGING_5L ? 56 : 47;

	if (va & (1ULL << top))
		return va | ~((1ULL << top) - 1);
	return va & ((1ULL << top) - 1);
}

/* Record an entry read on the way and fold in its permission bits. */
static void note_entry(struct guest_pt_walk *w, uint64_t entry)
{
	w->entries[w->nr_entries++] = entry;
	w->writable &= !!(entry & GUEST_PTE_RW);
	w->user &= !!(entry & GUEST_PTE_USER);
	w->nx |= !!(entry & GUEST_PTE_NX);
}

/*
 * Levels @top..1 of 512 8-byte entries starting at @table: the 64-bit
 * walk (top 4 or 5) and the lower part of the PAE walk (top 2).
 */
static int walk_levels(struct guest_mem *m, uint64_t table, unsigned int top,
		       uint64_t va, struct guest_pt_walk *w)
{
	uint64_t entry = 0;
	unsigned int level, shift;
	int err;

	for (level = top; level >= 1; level--) {
		shift = 12 + 9 * (level - 1);
		w->level = level;
		err = guest_mem_read_u64(m, table + ((va >> shift) & 511) * 8, &entry);
		if (err)
			return table_error(err);
		if (!(entry & GUEST_PTE_PRESENT)) {
			w->entries[w->nr_entries++] = entry;
			return -ENOENT;
		}
		note_entry(w, entry);
		if ((entry & GUEST_PTE_PS) && level > 1) {
			/* PS is reserved in PML5Es and PML4Es. */
			if (level > 3)
				return -ENOENT;
			w->page_size = 1ULL << shift;
			w->pa = (entry & GUEST_PT_ADDR_MASK & ~(w->page_size - 1)) |
				(va & (w->page_size - 1));
			return 0;
		}
		/* In a PTE, bit 7 is PAT, not PS. */
		table = entry & GUEST_PT_ADDR_MASK;
	}
	w->page_size = PAGE_4K;
	w->pa = table | (va & (PAGE_4K - 1));
	return 0;
}

/* PAE: a 4-entry PDPT at CR3[31:5], then two levels of 512 8-byte entries. */
static int walk_pae(struct guest_mem *m, uint64_t cr3, uint64_t va,
		    struct guest_pt_walk *w)
{
	uint64_t entry;
	int err;

	if (va >> 32)
		return -ERANGE;
	w->level = 3;
	err = guest_mem_read_u64(m, (cr3 & 0xffffffe0ULL) + (va >> 30) * 8, &entry);
	if (err)
		return table_error(err);
	w->entries[w->nr_entries++] = entry;
	/* PDPTEs have no R/W, U/S or PS: those bits are reserved there. */
	if (!(entry & GUEST_PTE_PRESENT) ||
	    (entry & (GUEST_PTE_RW | GUEST_PTE_USER | GUEST_PTE_PS)))
		return -ENOENT;
	return walk_levels(m, entry & GUEST_PT_ADDR_MASK, 2, va, w);
}

/* 32-bit non-PAE: 1024 4-byte entries per level; PSE 4 MiB pages. */
static int walk_32(struct guest_mem *m, uint64_t cr3, uint64_t va,
		   struct guest_pt_walk *w)
{
	uint32_t entry;
	uint64_t table;
	int err;

	if (va >> 32)
		return -ERANGE;
	w->level = 2;
	err = guest_mem_read_u32(m, (cr3 & 0xfffff000ULL) + (va >> 22) * 4, &entry);
	if (err)
		return table_error(err);
	if (!(entry & GUEST_PTE_PRESENT)) {
		w->entries[w->nr_entries++] = entry;
		return -ENOENT;
	}
	note_entry(w, entry);
	if (entry & GUEST_PTE_PS) {
		/* PSE-36: PDE bits 20:13 are physical address bits 39:32. */
		w->page_size = 4ULL << 20;
		w->pa = (entry & 0xffc00000ULL) |
			((uint64_t)((entry >> 13) & 0xff) << 32) |
			(va & (w->page_size - 1));
		return 0;
	}
	table = entry & 0xfffff000ULL;

	w->level = 1;
	err = guest_mem_read_u32(m, table + ((va >> 12) & 1023) * 4, &entry);
	if (err)
		return table_error(err);
	if (!(entry & GUEST_PTE_PRESENT)) {
		w->entries[w->nr_entries++] = entry;
		return -ENOENT;
	}
	note_entry(w, entry);
	w->page_size = PAGE_4K;
	w->pa = (entry & 0xfffff000ULL) | (va & (PAGE_4K - 1));
	return 0;
}

int guest_pt_translate(struct guest_mem *m, enum guest_paging mode, uint64_t cr3,
		     uint64_t va, struct guest_pt_walk *w)
{
	memset(w, 0, sizeof(*w));
	w->writable = 1;
	w->user = 1;
	switch (mode) {
	case GUEST_PAGING_NONE:
		w->pa = va;
		w->page_size = PAGE_4K;
		w->user = 0;
		return 0;
	case GUEST_PAGING_32:
		return walk_32(m, cr3, va, w);
	case GUEST_PAGING_PAE:
		return walk_pae(m, cr3, va, w);
	case GUEST_PAGING_4L:
	case GUEST_PAGING_5L:
		if (guest_pt_canonical(mode, va) != va)
			return -ERANGE;
		return walk_levels(m, cr3 & GUEST_PT_ADDR_MASK,
				   mode == GUEST_PAGING_5L ? 5 : 4, va, w);
	}
	return -EINVAL;
}

enum guest_paging guest_paging_from_record_mode(uint8_t mode)
{
	if (!(mode & VMTRACE_MODE_PAGING))
		return GUEST_PAGING_NONE;
	if (mode & VMTRACE_MODE_LONG)
		return mode & VMTRACE_MODE_LA57 ? GUEST_PAGING_5L : GUEST_PAGING_4L;
	return mode & VMTRACE_MODE_PAE ? GUEST_PAGING_PAE : GUEST_PAGING_32;
}

const char *guest_paging_name(enum guest_paging mode)
{
	switch (mode) {
	case GUEST_PAGING_NONE: return "off";
	case GUEST_PAGING_32: return "32-bit";
	case GUEST_PAGING_PAE: return "PAE";
	case GUEST_PAGING_4L: return "4-level";
	case GUEST_PAGING_5L: return "5-level";
	}
	return "unknown";
}

static const char *const paging_args[] = {
	[GUEST_PAGING_NONE] = "off",
	[GUEST_PAGING_32] = "32",
	[GUEST_PAGING_PAE] = "pae",
	[GUEST_PAGING_4L] = "4",
	[GUEST_PAGING_5L] = "5",
};
#define NR_PAGING_ARGS (sizeof(paging_args) / sizeof(paging_args[0]))

const char *guest_paging_arg(enum guest_paging mode)
{
	return (unsigned int)mode < NR_PAGING_ARGS ? paging_args[mode] : "unknown";
}

int guest_paging_parse(const char *name, enum guest_paging *mode)
{
	/* From 32-bit up: "off" names no page tables to walk. */
	for (unsigned int m = GUEST_PAGING_32; m < NR_PAGING_ARGS; m++) {
		if (!strcmp(name, paging_args[m])) {
			*mode = (enum guest_paging)m;
			return 0;
		}
	}
	return -EINVAL;
}
