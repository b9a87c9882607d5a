// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: the page-table walker on arbitrary guest memory.  Input: a
 * mode byte, CR3 and VA (8 bytes each, little-endian), then the first
 * bytes of a 1 MiB guest RAM (the rest zero).  Any result is fine; a
 * crash, a sanitizer report or a hang is not.
 */
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include "guest/pt.h"

#define RAM (1 << 20)

static uint64_t le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *ram;
	static struct guest_mem *mem;
	static size_t dirty;
	struct guest_pt_walk w;
	uint64_t cr3, va;
	size_t n;
	int i;

	if (!ram) {
		struct client_memslot slot = { .size = RAM };

		ram = mmap(NULL, RAM, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		slot.hva = (uintptr_t)ram;
		if (ram == MAP_FAILED || guest_mem_open(getpid(), &slot, 1, &mem))
			__builtin_trap();
	}
	if (size < 17)
		return 0;
	memset(ram, 0, dirty);
	n = size - 17 < RAM ? size - 17 : RAM;
	memcpy(ram, data + 17, n);
	dirty = n;
	/* CR3 mostly inside the small RAM, so that walks go somewhere. */
	cr3 = le64(data + 1);
	if (!(data[0] & 0x80))
		cr3 &= RAM - 1;
	va = le64(data + 9);
	for (i = 0; i < 2; i++) {
		guest_pt_translate(mem, (enum guest_paging)(data[0] % 6), cr3, va, &w);
		va = guest_pt_canonical(GUEST_PAGING_4L, va);
	}
	return 0;
}
