// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: kernel image parsing (bzImage header, XZ and zstd payloads,
 * ELF section and segment tables, BTF location, the kallsyms tables) on
 * arbitrary bytes.
 */
#include <stdint.h>
#include "guest/kallsyms_image.h"
#include "guest/vmlinuz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct guest_kimage img;
	const void *btf;
	size_t off, len;
	uint64_t va;
	char buf[64];

	if (guest_kimage_from_buffer(data, size, &img))
		return 0;
	guest_kimage_section(&img, ".BTF", &off, &len);
	guest_kimage_btf(&img, &btf, &len);
	if (!guest_kimage_text_link(&img, &va)) {
		guest_kimage_read_va(&img, va, buf, sizeof(buf));
		guest_kimage_read_va(&img, va + 0x100, buf, sizeof(buf));
	}
	guest_kimage_read_va(&img, 0xffffffff81000000ULL, buf, sizeof(buf));
	{
		struct guest_ksyms *k = guest_ksyms_new();

		if (k)
			guest_kimage_kallsyms(&img, 0xffffffff81000000ULL, k, buf, sizeof(buf));
		guest_ksyms_free(k);
	}
	guest_kimage_free(&img);
	return 0;
}
