// SPDX-License-Identifier: GPL-2.0
/*
 * The page-table walker on hand-built tables: 4- and 5-level with 4 KiB,
 * 2 MiB and 1 GiB pages, 32-bit PAE (2 MiB pages, PDPTE rules) and 32-bit
 * non-PAE (4 MiB PSE pages with PSE-36 high bits), not-present entries at
 * every level, reserved bits, VAs out of range, tables outside RAM and
 * self-referencing tables: each a clean, bounded result.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include "guest/pt.h"
#include "tap.h"

#define RAM (8ULL << 20)
#define P 0x1ULL
#define W 0x2ULL
#define U 0x4ULL
#define PS 0x80ULL
#define NX (1ULL << 63)

static uint8_t *ram;
static uint64_t next_page;
static struct guest_mem *mem;

static void setup(void)
{
	struct client_memslot slot;

	ram = mmap(NULL, RAM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	TEST_ASSERT(ram != MAP_FAILED, "mmap: %m");
	slot = (struct client_memslot){ .gpa = 0, .size = RAM, .hva = (uintptr_t)ram };
	TEST_ASSERT_EQ(guest_mem_open(getpid(), &slot, 1, &mem), 0);
	next_page = 0x1000;
}

static uint64_t page(void)
{
	uint64_t pa = next_page;

	next_page += 0x1000;
	TEST_ASSERT(pa < RAM, "out of pages");
	return pa;
}

static void w64(uint64_t pa, uint64_t v)
{
	memcpy(ram + pa, &v, 8);
}

static void w32(uint64_t pa, uint32_t v)
{
	memcpy(ram + pa, &v, 4);
}

static uint64_t idx(uint64_t va, int level)
{
	return (va >> (12 + 9 * (level - 1))) & 511;
}

static void expect(enum guest_paging mode, uint64_t cr3, uint64_t va, int want_err,
		   uint64_t want_pa, uint64_t want_size)
{
	struct guest_pt_walk w;
	int err = guest_pt_translate(mem, mode, cr3, va, &w);

	TEST_ASSERT(err == want_err, "%s va 0x%llx: error %d, expected %d",
		    guest_paging_name(mode), (unsigned long long)va, err, want_err);
	if (err)
		return;
	TEST_ASSERT(w.pa == want_pa, "%s va 0x%llx: pa 0x%llx, expected 0x%llx",
		    guest_paging_name(mode), (unsigned long long)va,
		    (unsigned long long)w.pa, (unsigned long long)want_pa);
	TEST_ASSERT_EQ(w.page_size, want_size);
}

/* 4-level: 4 KiB, 2 MiB, 1 GiB; permissions folded across levels. */
static void test_long_mode(void)
{
	uint64_t pml4, pdpt, pd, pt, va4k = 0x00007f1234567000ULL + 0x123;
	uint64_t kva = 0xffff888000000000ULL;
	struct guest_pt_walk w;

	setup();
	pml4 = page(); pdpt = page(); pd = page(); pt = page();
	w64(pml4 + idx(va4k, 4) * 8, pdpt | P | W | U);
	w64(pdpt + idx(va4k, 3) * 8, pd | P | W | U);
	w64(pd + idx(va4k, 2) * 8, pt | P | W | U);
	w64(pt + idx(va4k, 1) * 8, 0x345000 | P | U | NX | PS /* PAT here */);
	/* PCID in CR3 bits 11:0 and bit 63 are not address bits. */
	expect(GUEST_PAGING_4L, pml4 | 0x801 | (1ULL << 63), va4k, 0, 0x345123, 0x1000);
	TEST_ASSERT_EQ(guest_pt_translate(mem, GUEST_PAGING_4L, pml4, va4k, &w), 0);
	TEST_ASSERT(!w.writable && w.user && w.nx, "permissions %d %d %d",
		    w.writable, w.user, w.nx);
	TEST_ASSERT_EQ(w.nr_entries, 4);

	/* 2 MiB page in the same PD; PAT bit 12 in a large entry ignored. */
	w64(pd + 5 * 8, 0x600000 | P | W | PS | 0x1000);
	expect(GUEST_PAGING_4L, pml4, (va4k & ~0x3fffffffULL) + 5 * 0x200000 + 0x1234,
	       0, 0x601234, 0x200000);
	/* 1 GiB page for the kernel's direct map. */
	w64(pml4 + idx(kva, 4) * 8, (pdpt + 0) | P | W);
	w64(pdpt + idx(kva, 3) * 8, 0x40000000ULL | P | W | PS);
	expect(GUEST_PAGING_4L, pml4, kva + 0x12345678, 0, 0x52345678, 0x40000000);
	/* Not present at each level. */
	expect(GUEST_PAGING_4L, pml4, 0x1000, -ENOENT, 0, 0);
	TEST_ASSERT_EQ(guest_pt_translate(mem, GUEST_PAGING_4L, pml4, 0x1000, &w), -ENOENT);
	TEST_ASSERT_EQ(w.level, 4);
	expect(GUEST_PAGING_4L, pml4, va4k + 0x1000, -ENOENT, 0, 0);
	TEST_ASSERT_EQ(guest_pt_translate(mem, GUEST_PAGING_4L, pml4, va4k + 0x1000, &w),
		       -ENOENT);
	TEST_ASSERT_EQ(w.level, 1);
	/* Non-canonical. */
	expect(GUEST_PAGING_4L, pml4, 0x0000800000000000ULL, -ERANGE, 0, 0);
	expect(GUEST_PAGING_4L, pml4, 0xff00000000000000ULL, -ERANGE, 0, 0);
	/* PS in a PML4E is reserved. */
	w64(pml4 + 3 * 8, 0x0 | P | PS);
	expect(GUEST_PAGING_4L, pml4, 3ULL << 39, -ENOENT, 0, 0);
}

static void test_five_level(void)
{
	uint64_t pml5, pml4, pdpt, pd, pt;
	uint64_t va = 0xff11223344556000ULL;	/* canonical at 57 bits */

	setup();
	pml5 = page(); pml4 = page(); pdpt = page(); pd = page(); pt = page();
	w64(pml5 + ((va >> 48) & 511) * 8, pml4 | P | W);
	w64(pml4 + idx(va, 4) * 8, pdpt | P | W);
	w64(pdpt + idx(va, 3) * 8, pd | P | W);
	w64(pd + idx(va, 2) * 8, pt | P | W);
	w64(pt + idx(va, 1) * 8, 0x777000 | P | W);
	expect(GUEST_PAGING_5L, pml5, va + 0x10, 0, 0x777010, 0x1000);
	/* The same VA is not canonical with 4 levels. */
	expect(GUEST_PAGING_4L, pml5, va, -ERANGE, 0, 0);
	expect(GUEST_PAGING_5L, pml5, 0x0100000000000000ULL, -ERANGE, 0, 0);
	/* 1 GiB under 5 levels. */
	w64(pdpt + 7 * 8, 0x80000000ULL | P | PS);
	expect(GUEST_PAGING_5L, pml5, (va & ~((1ULL << 39) - 1)) + 7 * 0x40000000ULL + 5,
	       0, 0x80000005, 0x40000000);
}

static void test_pae(void)
{
	uint64_t pdpt, pd, pt, cr3;

	setup();
	/* The PDPT is 32-byte aligned, not page aligned. */
	pdpt = page() + 0x60;
	pd = page();
	pt = page();
	cr3 = pdpt | 0x18;	/* PWT/PCD bits */
	w64(pdpt + 3 * 8, pd | P);
	w64(pd + 0 * 8, pt | P | W | U);
	w64(pt + 0x12 * 8, 0x123000 | P | W | U | NX);
	expect(GUEST_PAGING_PAE, cr3, 0xc0012345, 0, 0x123345, 0x1000);
	/* 2 MiB page, with a physical address above 4 GiB. */
	w64(pd + 4 * 8, 0x100600000ULL | P | PS);
	expect(GUEST_PAGING_PAE, cr3, 0xc0800000 + 0xabcde, 0, 0x1006abcde, 0x200000);
	/* PDPTE: not present, and R/W is reserved there. */
	expect(GUEST_PAGING_PAE, cr3, 0x00001000, -ENOENT, 0, 0);
	w64(pdpt + 1 * 8, pd | P | W);
	expect(GUEST_PAGING_PAE, cr3, 0x40000000, -ENOENT, 0, 0);
	/* Beyond 4 GiB. */
	expect(GUEST_PAGING_PAE, cr3, 0x100000000ULL, -ERANGE, 0, 0);
}

static void test_non_pae(void)
{
	uint64_t pd, pt;

	setup();
	pd = page();
	pt = page();
	w32(pd + (0xc0000000 >> 22) * 4, (uint32_t)(pt | P | W));
	w32(pt + 0x45 * 4, 0x00abc000 | P | W);
	expect(GUEST_PAGING_32, pd | 0x18, 0xc0045678, 0, 0xabc678, 0x1000);
	/* 4 MiB PSE page; PSE-36: PDE bits 20:13 are PA bits 39:32. */
	w32(pd + (0xc0400000 >> 22) * 4, 0x00800000 | (0x3 << 13) | P | PS);
	expect(GUEST_PAGING_32, pd, 0xc0412345, 0, 0x300812345ULL, 0x400000);
	expect(GUEST_PAGING_32, pd, 0x08048000, -ENOENT, 0, 0);
	expect(GUEST_PAGING_32, pd, 0x100000000ULL, -ERANGE, 0, 0);
}

static void test_hostile_tables(void)
{
	uint64_t pml4, pd32;
	struct guest_pt_walk w;

	setup();
	pml4 = page();
	/* Self-reference: the walk ends after 4 reads, whatever the VA. */
	w64(pml4 + 0, pml4 | P | W);
	expect(GUEST_PAGING_4L, pml4, 0x0, 0, pml4, 0x1000);
	TEST_ASSERT_EQ(guest_pt_translate(mem, GUEST_PAGING_4L, pml4, 0x8, &w), 0);
	TEST_ASSERT_EQ(w.nr_entries, 4);
	/* A table outside guest RAM, and a CR3 outside it. */
	w64(pml4 + 8, (1ULL << 40) | P);
	expect(GUEST_PAGING_4L, pml4, 1ULL << 39, -EFAULT, 0, 0);
	expect(GUEST_PAGING_4L, 1ULL << 44, 0x1000, -EFAULT, 0, 0);
	expect(GUEST_PAGING_PAE, 0xffffffe0, 0x1000, -EFAULT, 0, 0);
	/* All-ones entries: the address bits lead out of RAM. */
	w64(pml4 + 16, ~0ULL & ~PS);
	expect(GUEST_PAGING_4L, pml4, 2ULL << 39, -EFAULT, 0, 0);
	/* 32-bit self-reference. */
	pd32 = page();
	w32(pd32, (uint32_t)(pd32 | P));
	expect(GUEST_PAGING_32, pd32, 0x0, 0, pd32, 0x1000);
	expect((enum guest_paging)42, pml4, 0, -EINVAL, 0, 0);
}

static void test_record_modes(void)
{
	TEST_ASSERT_EQ(guest_paging_from_record_mode(0), GUEST_PAGING_NONE);
	TEST_ASSERT_EQ(guest_paging_from_record_mode(VMTRACE_MODE_PAGING), GUEST_PAGING_32);
	TEST_ASSERT_EQ(guest_paging_from_record_mode(VMTRACE_MODE_PAGING | VMTRACE_MODE_PAE),
		       GUEST_PAGING_PAE);
	TEST_ASSERT_EQ(guest_paging_from_record_mode(VMTRACE_MODE_PAGING | VMTRACE_MODE_PAE |
						   VMTRACE_MODE_LONG), GUEST_PAGING_4L);
	TEST_ASSERT_EQ(guest_paging_from_record_mode(VMTRACE_MODE_PAGING | VMTRACE_MODE_PAE |
						   VMTRACE_MODE_LONG | VMTRACE_MODE_LA57),
		       GUEST_PAGING_5L);
	TEST_ASSERT_EQ(guest_pt_canonical(GUEST_PAGING_4L, 0x0000800000000000ULL),
		       0xffff800000000000ULL);
}

/* script prints these names, peek --paging takes them back. */
static void test_paging_args(void)
{
	static const char *const names[] = { "32", "pae", "4", "5" };
	enum guest_paging mode = GUEST_PAGING_NONE;

	for (unsigned int i = 0; i < ARRAY_SIZE(names); i++) {
		TEST_ASSERT_EQ(guest_paging_parse(names[i], &mode), 0);
		TEST_ASSERT_EQ(mode, GUEST_PAGING_32 + i);
		TEST_ASSERT(!strcmp(guest_paging_arg(mode), names[i]), "%s", names[i]);
	}
	TEST_ASSERT(!strcmp(guest_paging_arg(GUEST_PAGING_NONE), "off"), "off");
	/* No page tables to walk with paging off; no other spellings. */
	TEST_ASSERT_EQ(guest_paging_parse("off", &mode), -EINVAL);
	TEST_ASSERT_EQ(guest_paging_parse("PAE", &mode), -EINVAL);
	TEST_ASSERT_EQ(guest_paging_parse("", &mode), -EINVAL);
	TEST_ASSERT_EQ(mode, GUEST_PAGING_5L);
}

static const struct tap_test tests[] = {
	TAP_TEST(long_mode),
	TAP_TEST(five_level),
	TAP_TEST(pae),
	TAP_TEST(non_pae),
	TAP_TEST(hostile_tables),
	TAP_TEST(record_modes),
	TAP_TEST(paging_args),
};

int main(int argc, char **argv)
{
	return tap_main(argc, argv, tests, ARRAY_SIZE(tests), 0);
}
