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
	struct vmt_kimage img;
	const void *btf;
	size_t off, len;
	uint64_t va;
	char buf[64];

	if (vmt_kimage_from_buffer(data, size, &img))
		return 0;
	vmt_kimage_section(&img, ".BTF", &off, &len);
	vmt_kimage_btf(&img, &btf, &len);
	if (!vmt_kimage_text_link(&img, &va)) {
		vmt_kimage_read_va(&img, va, buf, sizeof(buf));
		vmt_kimage_read_va(&img, va + 0x100, buf, sizeof(buf));
	}
	vmt_kimage_read_va(&img, 0xffffffff81000000ULL, buf, sizeof(buf));
	{
		struct vmt_ksyms *k = vmt_ksyms_new();

		if (k)
			vmt_kimage_kallsyms(&img, 0xffffffff81000000ULL, k, buf, sizeof(buf));
		vmt_ksyms_free(k);
	}
	vmt_kimage_free(&img);
	return 0;
}
