// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel images: see guest/vmlinuz.h.  The bzImage layout is the x86 boot
 * protocol's (Documentation/arch/x86/boot.rst): the setup code is
 * (setup_sects + 1) * 512 bytes, then the protected-mode part, in which the
 * compressed vmlinux starts at payload_offset and is payload_length bytes
 * long, its last four bytes being the decompressed size (the kernel's
 * Makefile.lib "size_append").
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>
#include <sys/stat.h>
#include "guest/vmlinuz.h"

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static int has_magic(const uint8_t *p, size_t len, const char *magic, size_t n)
{
	return len >= n && !memcmp(p, magic, n);
}

/*
 * The most a payload of @len bytes may decompress to: kernels compress by
 * 5 to 10 times; more is a decompression bomb, not a kernel.
 */
static size_t max_output(size_t len)
{
	uint64_t max = 32ULL * len + (1 << 20);

	return max < GUEST_KIMAGE_MAX ? max : GUEST_KIMAGE_MAX;
}

/* The decompressed size the kernel's build appended, if it is sane. */
static size_t size_hint(const uint8_t *payload, size_t len)
{
	uint32_t n;

	if (len < 8)
		return 0;
	n = le32(payload + len - 4);
	return n >= len && n <= max_output(len) ? n : 0;
}

/*
 * Make room for @need bytes in *out (capacity *cap), at most @max:
 * 0, -EFBIG, -ENOMEM.
 */
static int grow(uint8_t **out, size_t *cap, size_t need, size_t max)
{
	size_t c = *cap ? *cap : 1 << 20;
	uint8_t *p;

	if (need > max)
		return -EFBIG;
	while (c < need)
		c *= 2;
	if (c > max)
		c = max;
	if (c == *cap)
		return 0;
	p = realloc(*out, c);
	if (!p)
		return -ENOMEM;
	*out = p;
	*cap = c;
	return 0;
}

/* The output is full after @done bytes: grow it, or -EFBIG at the cap. */
static int more_room(uint8_t **out, size_t *cap, size_t done, size_t in_len)
{
	int err = grow(out, cap, *cap + 1, max_output(in_len));

	return err ?: *cap == done ? -EFBIG : 0;
}

static int unxz(const uint8_t *in, size_t len, uint8_t **out, size_t *out_len)
{
	lzma_stream s = LZMA_STREAM_INIT;
	size_t cap = 0;
	lzma_ret r;
	int err;

	*out = NULL;
	err = grow(out, &cap, size_hint(in, len) ?: 4 * len, max_output(len));
	if (err)
		return err;
	/* No LZMA_CONCATENATED: the appended size after the stream is not xz. */
	if (lzma_stream_decoder(&s, 1ULL << 30, 0) != LZMA_OK) {
		free(*out);
		return -ENOMEM;
	}
	s.next_in = in;
	s.avail_in = len;
	s.next_out = *out;
	s.avail_out = cap;
	for (;;) {
		r = lzma_code(&s, LZMA_FINISH);
		if (r == LZMA_STREAM_END)
			break;
		if (r == LZMA_OK && !s.avail_out) {
			err = more_room(out, &cap, s.total_out, len);
			if (err)
				break;
			s.next_out = *out + s.total_out;
			s.avail_out = cap - s.total_out;
			continue;
		}
		/* Truncated input or corrupt data (LZMA_BUF_ERROR, _DATA_ERROR). */
		err = r == LZMA_MEM_ERROR || r == LZMA_MEMLIMIT_ERROR ? -ENOMEM : -EBADMSG;
		break;
	}
	*out_len = s.total_out;
	lzma_end(&s);
	if (err) {
		free(*out);
		*out = NULL;
	}
	return err;
}

static int unzstd(const uint8_t *in, size_t len, uint8_t **out, size_t *out_len)
{
	unsigned long long content = ZSTD_getFrameContentSize(in, len);
	size_t frame = ZSTD_findFrameCompressedSize(in, len), cap = 0, n;
	int err;

	*out = NULL;
	if (ZSTD_isError(frame) || content == ZSTD_CONTENTSIZE_ERROR)
		return -EBADMSG;
	if (content == ZSTD_CONTENTSIZE_UNKNOWN)
		content = size_hint(in, len);
	if (!content)
		return -EBADMSG;
	if (content > max_output(len))
		return -EFBIG;
	err = grow(out, &cap, content, max_output(len));
	if (err)
		return err;
	/* One shot: the output buffer is the window, however large. */
	n = ZSTD_decompress(*out, cap, in, frame);
	if (ZSTD_isError(n)) {
		free(*out);
		*out = NULL;
		return ZSTD_getErrorCode(n) == ZSTD_error_memory_allocation ?
		       -ENOMEM : -EBADMSG;
	}
	*out_len = n;
	return 0;
}

/*
 * gzip: the default of x86_64_defconfig and of the kernels some
 * distributions ship.  The kernel's payload is one gzip member whose
 * trailer ends the payload; 16 + MAX_WBITS makes zlib expect that header.
 */
static int ungzip(const uint8_t *in, size_t len, uint8_t **out, size_t *out_len)
{
	z_stream s = { 0 };
	size_t cap = 0;
	int err, r;

	*out = NULL;
	err = grow(out, &cap, size_hint(in, len) ?: 4 * len, max_output(len));
	if (err)
		return err;
	if (inflateInit2(&s, 16 + MAX_WBITS) != Z_OK) {
		free(*out);
		*out = NULL;
		return -ENOMEM;
	}
	/* zlib counts in uInt: a payload past 4 GiB is not a kernel. */
	if (len > UINT32_MAX) {
		err = -EFBIG;
		goto out;
	}
	s.next_in = (Bytef *)in;
	s.avail_in = len;
	s.next_out = *out;
	s.avail_out = cap;
	for (;;) {
		r = inflate(&s, Z_FINISH);
		if (r == Z_STREAM_END)
			break;
		if ((r == Z_OK || r == Z_BUF_ERROR) && !s.avail_out) {
			err = more_room(out, &cap, s.total_out, len);
			if (err)
				break;
			s.next_out = *out + s.total_out;
			s.avail_out = cap - s.total_out;
			continue;
		}
		/* Truncated input (Z_BUF_ERROR with output room) or corrupt data. */
		err = r == Z_MEM_ERROR ? -ENOMEM : -EBADMSG;
		break;
	}
out:
	*out_len = s.total_out;
	inflateEnd(&s);
	if (err) {
		free(*out);
		*out = NULL;
	}
	return err;
}

/* Decompress a payload by its magic: 0, -ENOTSUP, -ENOEXEC or -errno. */
static int decompress(const uint8_t *p, size_t len, struct guest_kimage *img)
{
	static const struct {
		const char *name, *magic;
		size_t len;
	} unsupported[] = {
		{ "bzip2", "BZh", 3 },
		{ "lzma", "\x5d\x00\x00", 3 }, { "lzo", "\x89LZO", 4 },
		{ "lz4", "\x02\x21\x4c\x18", 4 },
	};
	size_t i;
	int err;

	if (has_magic(p, len, "\xfd" "7zXZ\0", 6)) {
		img->compression = "xz";
		err = unxz(p, len, &img->data, &img->size);
	} else if (has_magic(p, len, "\x1f\x8b\x08", 3)) {
		img->compression = "gzip";
		err = ungzip(p, len, &img->data, &img->size);
	} else if (has_magic(p, len, "\x28\xb5\x2f\xfd", 4)) {
		img->compression = "zstd";
		err = unzstd(p, len, &img->data, &img->size);
	} else {
		for (i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
			if (has_magic(p, len, unsupported[i].magic, unsupported[i].len))
				return -ENOTSUP;
		return -ENOEXEC;
	}
	return err;
}

/* The compressed payload of a bzImage: 0, or -ENOEXEC if it is not one. */
static int bzimage_payload(const uint8_t *p, size_t len, const uint8_t **payload,
			   size_t *payload_len)
{
	uint64_t pm_off, off, plen;
	unsigned int setup_sects;

	if (len < 0x250 || memcmp(p + 0x202, "HdrS", 4))
		return -ENOEXEC;
	/* payload_offset/length exist since boot protocol 2.08. */
	if ((p[0x206] | p[0x207] << 8) < 0x208)
		return -ENOTSUP;
	setup_sects = p[0x1f1] ? p[0x1f1] : 4;
	pm_off = (setup_sects + 1ULL) * 512;
	off = pm_off + le32(p + 0x248);
	plen = le32(p + 0x24c);
	if (off > len || plen > len - off || !plen)
		return -EBADMSG;
	*payload = p + off;
	*payload_len = plen;
	return 0;
}

static int check_elf(struct guest_kimage *img)
{
	const uint8_t *e = img->data;

	if (img->size < sizeof(Elf64_Ehdr) || memcmp(e, ELFMAG, SELFMAG))
		return -ENOEXEC;
	if (e[EI_DATA] != ELFDATA2LSB)
		return -ENOEXEC;
	if (e[EI_CLASS] != ELFCLASS64 && e[EI_CLASS] != ELFCLASS32)
		return -ENOEXEC;
	img->elf64 = e[EI_CLASS] == ELFCLASS64;
	return 0;
}

int guest_kimage_from_buffer(const void *buf, size_t len, struct guest_kimage *img)
{
	const uint8_t *payload;
	size_t payload_len;
	int err;

	memset(img, 0, sizeof(*img));
	if (has_magic(buf, len, ELFMAG, SELFMAG)) {
		if (len > GUEST_KIMAGE_MAX)
			return -EFBIG;
		img->data = malloc(len ? len : 1);
		if (!img->data)
			return -ENOMEM;
		memcpy(img->data, buf, len);
		img->size = len;
		img->compression = "none";
	} else {
		err = bzimage_payload(buf, len, &payload, &payload_len);
		if (err == -ENOEXEC) {
			/* A bare compressed vmlinux. */
			payload = buf;
			payload_len = len;
		} else if (err) {
			return err;
		}
		err = decompress(payload, payload_len, img);
		if (err)
			return err;
	}
	err = check_elf(img);
	if (err)
		guest_kimage_free(img);
	return err;
}

int guest_kimage_load(const char *path, struct guest_kimage *img)
{
	struct stat st;
	uint8_t *buf;
	size_t done = 0;
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		goto out_close;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > GUEST_KIMAGE_MAX) {
		err = S_ISREG(st.st_mode) ? -EFBIG : -EINVAL;
		goto out_close;
	}
	buf = malloc(st.st_size ? st.st_size : 1);
	if (!buf) {
		err = -ENOMEM;
		goto out_close;
	}
	while (done < (size_t)st.st_size) {
		n = read(fd, buf + done, st.st_size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			goto out_free;
		}
		done += n;
	}
	err = guest_kimage_from_buffer(buf, done, img);
out_free:
	free(buf);
out_close:
	close(fd);
	return err;
}

void guest_kimage_free(struct guest_kimage *img)
{
	free(img->data);
	memset(img, 0, sizeof(*img));
}

/* ELF headers, read into the 64-bit structs whatever the class. */
struct elf_hdr {
	uint64_t phoff, shoff;
	unsigned int phnum, phentsize, shnum, shentsize, shstrndx;
};

static void elf_header(const struct guest_kimage *img, struct elf_hdr *h)
{
	if (img->elf64) {
		Elf64_Ehdr e;

		memcpy(&e, img->data, sizeof(e));
		h->phoff = e.e_phoff;
		h->shoff = e.e_shoff;
		h->phnum = e.e_phnum;
		h->phentsize = e.e_phentsize;
		h->shnum = e.e_shnum;
		h->shentsize = e.e_shentsize;
		h->shstrndx = e.e_shstrndx;
	} else {
		Elf32_Ehdr e;

		memcpy(&e, img->data, sizeof(e));
		h->phoff = e.e_phoff;
		h->shoff = e.e_shoff;
		h->phnum = e.e_phnum;
		h->phentsize = e.e_phentsize;
		h->shnum = e.e_shnum;
		h->shentsize = e.e_shentsize;
		h->shstrndx = e.e_shstrndx;
	}
}

/* Section @i: 0, or -EBADMSG if its header is outside the file. */
static int elf_section(const struct guest_kimage *img, const struct elf_hdr *h,
		       unsigned int i, uint32_t *name, uint64_t *off, uint64_t *size)
{
	size_t need = img->elf64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
	uint64_t at = h->shoff + (uint64_t)i * h->shentsize;

	if (h->shentsize < need || at < h->shoff || at > img->size ||
	    img->size - at < need)
		return -EBADMSG;
	if (img->elf64) {
		Elf64_Shdr s;

		memcpy(&s, img->data + at, sizeof(s));
		*name = s.sh_name;
		*off = s.sh_type == SHT_NOBITS ? 0 : s.sh_offset;
		*size = s.sh_type == SHT_NOBITS ? 0 : s.sh_size;
	} else {
		Elf32_Shdr s;

		memcpy(&s, img->data + at, sizeof(s));
		*name = s.sh_name;
		*off = s.sh_type == SHT_NOBITS ? 0 : s.sh_offset;
		*size = s.sh_type == SHT_NOBITS ? 0 : s.sh_size;
	}
	if (*off > img->size || *size > img->size - *off)
		return -EBADMSG;
	return 0;
}

int guest_kimage_section(const struct guest_kimage *img, const char *name,
		       size_t *offset, size_t *size)
{
	uint64_t str_off, str_size, off, sz;
	size_t want = strlen(name) + 1;
	struct elf_hdr h;
	uint32_t n;
	unsigned int i;
	int err;

	elf_header(img, &h);
	if (!h.shnum || h.shstrndx >= h.shnum)
		return -ENOENT;
	err = elf_section(img, &h, h.shstrndx, &n, &str_off, &str_size);
	if (err)
		return err;
	for (i = 0; i < h.shnum; i++) {
		err = elf_section(img, &h, i, &n, &off, &sz);
		if (err)
			return err;
		if (n < str_size && str_size - n >= want &&
		    !memcmp(img->data + str_off + n, name, want)) {
			*offset = off;
			*size = sz;
			return 0;
		}
	}
	return -ENOENT;
}

/* Loadable segment @i: 0 (and its fields), 1 if not PT_LOAD, -EBADMSG. */
static int elf_load_segment(const struct guest_kimage *img, const struct elf_hdr *h,
			    unsigned int i, uint64_t *va, uint64_t *off,
			    uint64_t *filesz)
{
	size_t need = img->elf64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	uint64_t at = h->phoff + (uint64_t)i * h->phentsize;
	uint32_t type;

	if (h->phentsize < need || at < h->phoff || at > img->size ||
	    img->size - at < need)
		return -EBADMSG;
	if (img->elf64) {
		Elf64_Phdr p;

		memcpy(&p, img->data + at, sizeof(p));
		type = p.p_type;
		*va = p.p_vaddr;
		*off = p.p_offset;
		*filesz = p.p_filesz;
	} else {
		Elf32_Phdr p;

		memcpy(&p, img->data + at, sizeof(p));
		type = p.p_type;
		*va = p.p_vaddr;
		*off = p.p_offset;
		*filesz = p.p_filesz;
	}
	if (type != PT_LOAD)
		return 1;
	if (*off > img->size || *filesz > img->size - *off)
		return -EBADMSG;
	return 0;
}

int guest_kimage_text_link(const struct guest_kimage *img, uint64_t *va)
{
	uint64_t off, filesz;
	struct elf_hdr h;
	unsigned int i;
	int ret;

	elf_header(img, &h);
	for (i = 0; i < h.phnum; i++) {
		ret = elf_load_segment(img, &h, i, va, &off, &filesz);
		if (ret <= 0)
			return ret;
	}
	return -ENOENT;
}

long guest_kimage_read_va(const struct guest_kimage *img, uint64_t va, void *buf,
			size_t len)
{
	uint64_t seg_va, off, filesz, n;
	struct elf_hdr h;
	unsigned int i;
	int ret;

	elf_header(img, &h);
	for (i = 0; i < h.phnum; i++) {
		ret = elf_load_segment(img, &h, i, &seg_va, &off, &filesz);
		if (ret < 0)
			return ret;
		if (ret || va < seg_va || va - seg_va >= filesz)
			continue;
		n = filesz - (va - seg_va);
		if (n > len)
			n = len;
		memcpy(buf, img->data + off + (va - seg_va), n);
		return n;
	}
	return -ENOENT;
}

/* A plausible BTF header at @p: its total length, or 0. */
static size_t btf_blob_len(const uint8_t *p, size_t avail)
{
	uint32_t hdr_len, type_off, type_len, str_off, str_len;
	uint64_t end_types, end_strs;

	if (avail < 24 || p[0] != 0x9f || p[1] != 0xeb || p[2] != 1)
		return 0;
	hdr_len = le32(p + 4);
	type_off = le32(p + 8);
	type_len = le32(p + 12);
	str_off = le32(p + 16);
	str_len = le32(p + 20);
	if (hdr_len < 24 || hdr_len > 256)
		return 0;
	end_types = (uint64_t)hdr_len + type_off + type_len;
	end_strs = (uint64_t)hdr_len + str_off + str_len;
	end_types = end_types > end_strs ? end_types : end_strs;
	return end_types <= avail && str_len ? end_types : 0;
}

int guest_kimage_btf(const struct guest_kimage *img, const void **btf, size_t *len)
{
	size_t off, size, i, n;
	int err;

	err = guest_kimage_section(img, ".BTF", &off, &size);
	if (!err) {
		if (!btf_blob_len(img->data + off, size))
			return -EBADMSG;
		*btf = img->data + off;
		*len = size;
		return 0;
	}
	if (err != -ENOENT)
		return err;
	/* No section headers (or no .BTF entry): look for the header. */
	for (i = 0; i + 24 <= img->size; i++) {
		if (img->data[i] != 0x9f)
			continue;
		n = btf_blob_len(img->data + i, img->size - i);
		if (n) {
			*btf = img->data + i;
			*len = n;
			return 0;
		}
	}
	return -ENOENT;
}
