/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel images: a vmlinux (ELF) as it is, or a vmlinuz (x86 bzImage)
 * whose compressed payload is found and decompressed (XZ as Debian's 6.1,
 * zstd as Debian's 6.12), giving the vmlinux ELF inside.  From that ELF:
 * the .BTF section (type information), the link address of the text, and
 * bytes at a kernel virtual address (the banner string).
 *
 * The image is untrusted input: every header field is bounds-checked, the
 * decompressed size is capped (GUEST_KIMAGE_MAX, and 32 times the payload:
 * kernels compress 5 to 10 times) and errors are -errno:
 *   -ENOEXEC     not a kernel image this code knows
 *   -ENOTSUP     a compression this build cannot decompress (gzip, lz4, ...)
 *   -EBADMSG     a corrupt payload, ELF or BTF
 *   -EFBIG       larger than those caps
 *   -ENOENT      the ELF has no such section or address
 */
#ifndef GUEST_VMLINUZ_H
#define GUEST_VMLINUZ_H

#include <stddef.h>
#include <stdint.h>

#define GUEST_KIMAGE_MAX (1ULL << 30)

struct guest_kimage {
	uint8_t *data;		/* the vmlinux ELF */
	size_t size;
	const char *compression; /* "none", "xz", "zstd" */
	int elf64;		/* ELFCLASS64 (x86-64) or ELFCLASS32 (i386) */
};

/* Load @path (vmlinux or vmlinuz).  0 or -errno; free with _free(). */
int guest_kimage_load(const char *path, struct guest_kimage *img);
/* The same from bytes already in memory (tests, fuzzing). */
int guest_kimage_from_buffer(const void *buf, size_t len, struct guest_kimage *img);
void guest_kimage_free(struct guest_kimage *img);

/* Where the section named @name lies in img->data: 0 or -ENOENT/-EBADMSG. */
int guest_kimage_section(const struct guest_kimage *img, const char *name,
		       size_t *offset, size_t *size);

/* The virtual address of the first loadable segment: _text's link VA. */
int guest_kimage_text_link(const struct guest_kimage *img, uint64_t *va);

/*
 * Copy up to @len bytes at link address @va out of the file image; stops
 * at the end of the segment.  Returns the number of bytes copied or -errno.
 */
long guest_kimage_read_va(const struct guest_kimage *img, uint64_t va, void *buf,
			size_t len);

/*
 * The BTF inside a vmlinux: the .BTF section, or if the ELF has no section
 * headers, the first BTF header found.  Points into img->data.
 */
int guest_kimage_btf(const struct guest_kimage *img, const void **btf, size_t *len);

#endif /* GUEST_VMLINUZ_H */
