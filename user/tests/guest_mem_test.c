// SPDX-License-Identifier: GPL-2.0
/*
 * Guest-physical reads through memslots: this process plays the VMM, its
 * buffers the guest RAM.  Slot layout, gaps, SMM slots, overlapping slots,
 * failures counted, a VMM that is gone.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "guest/mem.h"
#include "tap.h"

static uint8_t *region(size_t size, uint8_t fill)
{
	uint8_t *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	TEST_ASSERT(p != MAP_FAILED, "mmap: %m");
	memset(p, fill, size);
	return p;
}

/* RAM at [0, 1M) and [1M, 3M) (two slots, adjacent) and [4G, 4G+1M). */
static struct guest_mem *three_slots(uint8_t **a, uint8_t **b, uint8_t **c)
{
	struct client_memslot slots[4];
	struct guest_mem *m;

	*a = region(1 << 20, 0xaa);
	*b = region(2 << 20, 0xbb);
	*c = region(1 << 20, 0xcc);
	/* Out of order on purpose, and an SMM slot (address space 1) over all. */
	slots[0] = (struct client_memslot){ .id = 2, .gpa = 1ULL << 32, .size = 1 << 20,
					 .hva = (uintptr_t)*c };
	slots[1] = (struct client_memslot){ .id = 0, .gpa = 0, .size = 1 << 20,
					 .hva = (uintptr_t)*a };
	slots[2] = (struct client_memslot){ .id = 1, .gpa = 1 << 20, .size = 2 << 20,
					 .hva = (uintptr_t)*b };
	slots[3] = (struct client_memslot){ .id = 1 << 16, .gpa = 0, .size = 1ULL << 33,
					 .hva = 0x1000 };
	TEST_ASSERT_EQ(guest_mem_open(getpid(), slots, 4, &m), 0);
	return m;
}

/*
 * Residency from pagemap: exactly the pages written, across two slots;
 * the lookup itself maps nothing; unaligned or outside RAM refused.
 */
static void test_resident(void)
{
	uint8_t *a = mmap(NULL, 64 * 4096, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *b = region(8 * 4096, 0x5a);
	struct client_memslot slots[2] = {
		{ .id = 0, .gpa = 0, .size = 64 * 4096, .hva = (uintptr_t)a },
		{ .id = 1, .gpa = 64 * 4096, .size = 8 * 4096, .hva = (uintptr_t)b },
	};
	unsigned char vec[64];
	uint64_t map[2];
	struct guest_mem *m;
	int i, count = 0;

	TEST_ASSERT(a != MAP_FAILED, "mmap: %m");
	a[3 * 4096] = 1;
	a[40 * 4096 + 100] = 1;
	TEST_ASSERT_EQ(guest_mem_open(getpid(), slots, 2, &m), 0);
	TEST_ASSERT_EQ(guest_mem_resident(m, 0, 72, map), 10);
	TEST_ASSERT_EQ(map[0], 1ULL << 3 | 1ULL << 40);
	TEST_ASSERT_EQ(map[1], 0xffULL);
	TEST_ASSERT_EQ(guest_mem_resident(m, 40 * 4096, 1, map), 1);
	TEST_ASSERT_EQ(guest_mem_resident(m, 41 * 4096, 1, map), 0);
	TEST_ASSERT_EQ(map[0], 0);
	TEST_ASSERT(!mincore(a, 64 * 4096, vec), "mincore: %m");
	for (i = 0; i < 64; i++)
		count += vec[i] & 1;
	TEST_ASSERT_EQ(count, 2);
	TEST_ASSERT_EQ(guest_mem_resident(m, 100, 1, map), -EFAULT);
	TEST_ASSERT_EQ(guest_mem_resident(m, 70 * 4096, 3, map), -EFAULT);
	TEST_ASSERT_EQ(guest_mem_stats(m)->pagemap_errors, 0);
	guest_mem_close(m);
	munmap(a, 64 * 4096);
	munmap(b, 8 * 4096);
}

static void test_read_across_slots(void)
{
	uint8_t *a, *b, *c, buf[16];
	struct guest_mem *m = three_slots(&a, &b, &c);
	uint64_t gpa, size, v;

	a[(1 << 20) - 1] = 0x11;
	b[0] = 0x22;
	TEST_ASSERT_EQ(guest_mem_read(m, (1 << 20) - 8, buf, 16), 0);
	TEST_ASSERT_EQ(buf[7], 0x11);
	TEST_ASSERT_EQ(buf[8], 0x22);
	TEST_ASSERT_EQ(buf[0], 0xaa);
	TEST_ASSERT_EQ(buf[15], 0xbb);
	TEST_ASSERT_EQ(guest_mem_read_u64(m, 1ULL << 32, &v), 0);
	TEST_ASSERT_EQ(v, 0xccccccccccccccccULL);
	TEST_ASSERT_EQ(guest_mem_end(m), (1ULL << 32) + (1 << 20));
	TEST_ASSERT_EQ(guest_mem_range(m, 0, &gpa, &size), 0);
	TEST_ASSERT_EQ(gpa, 0);
	TEST_ASSERT_EQ(guest_mem_range(m, 2, &gpa, &size), 0);
	TEST_ASSERT_EQ(gpa, 1ULL << 32);
	TEST_ASSERT_EQ(guest_mem_range(m, 3, &gpa, &size), -ENOENT);
	TEST_ASSERT(guest_mem_contains(m, 0, 3 << 20), "adjacent slots not contiguous");
	TEST_ASSERT(!guest_mem_contains(m, 0, (3 << 20) + 1), "gap counted as RAM");
	TEST_ASSERT_EQ(guest_mem_stats(m)->unmapped, 0);
	TEST_ASSERT_EQ(guest_mem_stats(m)->bytes, 24);
	guest_mem_close(m);
}

static void test_outside_ram(void)
{
	uint8_t *a, *b, *c, buf[16];
	struct guest_mem *m = three_slots(&a, &b, &c);

	/* Into the gap, past the end, wrapping around: -EFAULT, counted. */
	TEST_ASSERT_EQ(guest_mem_read(m, (3 << 20) - 8, buf, 16), -EFAULT);
	TEST_ASSERT_EQ(guest_mem_read(m, 1ULL << 40, buf, 1), -EFAULT);
	TEST_ASSERT_EQ(guest_mem_read(m, UINT64_MAX - 4, buf, 16), -EFAULT);
	TEST_ASSERT_EQ(guest_mem_stats(m)->unmapped, 3);
	TEST_ASSERT_EQ(guest_mem_stats(m)->reads, 3);
	guest_mem_close(m);
}

static void test_unreadable_vmm_memory(void)
{
	struct client_memslot slot = { .gpa = 0, .size = 1 << 20, .hva = 0x1000 };
	struct guest_mem *m;
	uint8_t buf[8];

	/* A stale slot: its host-virtual address is not mapped. */
	TEST_ASSERT_EQ(guest_mem_open(getpid(), &slot, 1, &m), 0);
	TEST_ASSERT_EQ(guest_mem_read(m, 0, buf, 8), -EIO);
	TEST_ASSERT_EQ(guest_mem_stats(m)->io_errors, 1);
	guest_mem_close(m);
	/* A VMM that is gone. */
	slot.hva = (uintptr_t)region(1 << 20, 0);
	TEST_ASSERT_EQ(guest_mem_open(0x7ffffff0, &slot, 1, &m), 0);
	TEST_ASSERT_EQ(guest_mem_read(m, 0, buf, 8), -EIO);
	TEST_ASSERT(!strcmp(guest_mem_method(m), "process_vm_readv"), "%s",
		    guest_mem_method(m));
	guest_mem_close(m);
}

/*
 * Another process's memory, as a VMM's: read through its pid (with a
 * pidfd that says whether it still lives), its own copy of the page and
 * not ours; once it is gone and reaped, reads fail.
 */
static void test_other_process(void)
{
	uint8_t *mem = region(1 << 20, 0x5a), buf[8];
	struct client_memslot slot = { .gpa = 0, .size = 1 << 20, .hva = (uintptr_t)mem };
	struct guest_mem *m;
	int ready[2];
	pid_t child;
	char c;

	TEST_ASSERT_EQ(pipe(ready), 0);
	child = fork();
	TEST_ASSERT(child >= 0, "fork");
	if (!child) {
		memset(mem, 0x77, 8);		/* its copy, not the parent's */
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	TEST_ASSERT_EQ(read(ready[0], &c, 1), 1);
	TEST_ASSERT_EQ(guest_mem_open(child, &slot, 1, &m), 0);
	TEST_ASSERT(!strcmp(guest_mem_method(m), "process_vm_readv+pidfd"), "%s",
		    guest_mem_method(m));
	TEST_ASSERT_EQ(guest_mem_read(m, 0, buf, 8), 0);
	TEST_ASSERT(buf[0] == 0x77 && buf[7] == 0x77, "read %#x, not the child's 0x77", buf[0]);
	TEST_ASSERT_EQ(guest_mem_read(m, 8, buf, 8), 0);
	TEST_ASSERT_EQ(buf[0], 0x5a);
	kill(child, SIGKILL);
	TEST_ASSERT_EQ(waitpid(child, NULL, 0), child);
	TEST_ASSERT_EQ(guest_mem_read(m, 0, buf, 8), -EIO);
	guest_mem_close(m);
	close(ready[0]);
	close(ready[1]);
}

static void test_overlapping_slots(void)
{
	struct client_memslot slots[2] = {
		{ .id = 0, .gpa = 0, .size = 2 << 20, .hva = 0x10000000 },
		{ .id = 1, .gpa = 1 << 20, .size = 2 << 20, .hva = 0x20000000 },
	};
	struct guest_mem *m;

	TEST_ASSERT_EQ(guest_mem_open(getpid(), slots, 2, &m), -EINVAL);
}

static const struct tap_test tests[] = {
	TAP_TEST(read_across_slots),
	TAP_TEST(outside_ram),
	TAP_TEST(unreadable_vmm_memory),
	TAP_TEST(other_process),
	TAP_TEST(overlapping_slots),
	TAP_TEST(resident),
};

int main(int argc, char **argv)
{
	return tap_main(argc, argv, tests, ARRAY_SIZE(tests), 0);
}
