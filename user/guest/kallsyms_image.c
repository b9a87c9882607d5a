// SPDX-License-Identifier: GPL-2.0
/* A kernel's symbols from its own kallsyms tables: see guest/kallsyms_image.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* memmem; also given by the selftests' -D_GNU_SOURCE */
#endif
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "guest/kallsyms_image.h"
#include "guest/profile.h"

#define NR_TOKENS 256
#define TOKEN_MAX 255		/* a token is a piece of a symbol name */
#define NAME_MAX_LEN 512	/* KSYM_NAME_LEN since 6.1 */
#define ENTRY_MAX (2 + NAME_MAX_LEN)
#define SEARCH_BACK (16U << 20)	/* how far before the token table to look */
#define DIGIT_HITS_MAX 64
#define NR_SYMS_MAX (8U << 20)
/* A 64-bit kernel's kernel map; an i386 kernel's PAGE_OFFSET and up. */
#define KERNEL_MAP_64 0xffffffff80000000ULL
#define KERNEL_MAP_32 0xc0000000ULL

struct ks {
	const uint8_t *d;
	size_t size;
	int ptr64;
	size_t table, index;		/* token table and index */
	uint16_t tok[NR_TOKENS];	/* offsets of the tokens in the table */
	size_t markers;			/* kallsyms_markers */
	uint32_t nr_markers;
	size_t names;			/* kallsyms_names */
	uint32_t nr_syms;
	size_t offsets;			/* kallsyms_offsets */
	uint64_t relative_base;
	int absolute_percpu;
};

static uint32_t rd32(const struct ks *k, size_t at)
{
	const uint8_t *p = k->d + at;

	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd_ptr(const struct ks *k, size_t at)
{
	return k->ptr64 ? rd32(k, at) | (uint64_t)rd32(k, at + 4) << 32 : rd32(k, at);
}

static size_t align_up(size_t v, size_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/*
 * Is there a token table whose token '0' is at @zero?  Walk back 48
 * tokens ('0' is token 0x30), forward 256, and find the index after it.
 */
static int try_token_table(struct ks *k, size_t zero)
{
	size_t p = zero, q, off;
	unsigned int t, a;

	for (t = 0; t < '0'; t++) {
		if (p < 2 || k->d[p - 1])
			return 0;
		for (q = p - 2; q > 0 && k->d[q] && p - 1 - q <= TOKEN_MAX; q--)
			;
		if (k->d[q] || p - 2 == q)
			return 0;	/* too long, or an empty token */
		p = q + 1;
	}
	k->table = p;
	for (t = 0, q = p; t < NR_TOKENS; t++) {
		const uint8_t *nul = memchr(k->d + q, 0, k->size - q < TOKEN_MAX + 1 ?
					    k->size - q : TOKEN_MAX + 1);

		if (!nul || (size_t)(nul - k->d) == q || q - k->table > 0xffff)
			return 0;
		k->tok[t] = q - k->table;
		q = nul - k->d + 1;
	}
	/* The index: right after the table, aligned to 2 to 8 bytes. */
	for (a = 0; a < 8; a++) {
		off = q + a;
		if (off + 2 * NR_TOKENS > k->size)
			return 0;
		for (t = 0; t < NR_TOKENS; t++)
			if ((k->d[off + 2 * t] | k->d[off + 2 * t + 1] << 8) != k->tok[t])
				break;
		if (t == NR_TOKENS) {
			k->index = off;
			return 1;
		}
	}
	return 0;
}

static int find_token_table(struct ks *k)
{
	static const char digits[] = "0\0" "1\0" "2\0" "3\0" "4\0" "5\0" "6\0" "7\0" "8\0" "9";
	const uint8_t *hit, *from = k->d;
	unsigned int n;

	for (n = 0; n < DIGIT_HITS_MAX; n++) {
		hit = memmem(from, k->size - (from - k->d), digits, sizeof(digits));
		if (!hit)
			return 0;
		if (try_token_table(k, hit - k->d))
			return 1;
		from = hit + 1;
	}
	return 0;
}

static int find_names(struct ks *k);

/*
 * kallsyms_markers: u32s from 0, each 256 names further, ending at the
 * token table or at kallsyms_seqs_of_names (3 bytes a symbol) before it.
 * The nearest such run before the table with names that agree with it
 * (padding zeros before the table look like a run of one).
 */
static int find_markers_and_names(struct ks *k)
{
	size_t lo = k->table > SEARCH_BACK ? k->table - SEARCH_BACK : 0, pos, end, gap;
	uint32_t n, prev, v;

	if (k->table < 8)
		return 0;
	for (pos = (k->table - 4) & ~(size_t)3; pos >= lo + 4; pos -= 4) {
		if (rd32(k, pos))
			continue;
		/* 256 names take 512 bytes at least, 256 * ENTRY_MAX at most. */
		for (n = 1, prev = 0, end = pos + 4; end + 4 <= k->table; n++, end += 4) {
			v = rd32(k, end);
			if (v - prev < 512 || v - prev > 256 * ENTRY_MAX || v < prev)
				break;
			prev = v;
		}
		gap = k->table - end;
		/* Straight before the table, or before 3 bytes per symbol. */
		if (gap < 8 || (gap >= 3 * 256 * (uint64_t)(n - 1) &&
				gap < 3 * 256 * (uint64_t)n + 16)) {
			k->markers = pos;
			k->nr_markers = n;
			if (find_names(k))
				return 1;
		}
	}
	return 0;
}

/* The length of the names entry at @p (0: past @end), its header size. */
static size_t entry_len(const struct ks *k, size_t p, size_t end, size_t *hdr)
{
	size_t len;

	if (p >= end)
		return 0;
	len = k->d[p];
	*hdr = 1;
	if (len & 0x80) {
		if (p + 1 >= end)
			return 0;
		len = (len & 0x7f) | k->d[p + 1] << 7;
		*hdr = 2;
	}
	return len;
}

/* Decode entries from @p: how many until @end (and whether each 256th
 * starts at its marker).  0 if the markers disagree. */
static uint32_t count_names(const struct ks *k, size_t p, size_t end, size_t *stop)
{
	uint32_t n = 0;
	size_t len, hdr;

	while (p < end && n < NR_SYMS_MAX) {
		if (!(n & 255) && (n >> 8 >= k->nr_markers ||
				   p - k->names != rd32(k, k->markers + 4 * (n >> 8))))
			return 0;
		len = entry_len(k, p, end, &hdr);
		if (!len || len > NAME_MAX_LEN || p + hdr + len > end)
			break;
		p += hdr + len;
		n++;
	}
	*stop = p;
	return n;
}

/*
 * kallsyms_names ends at the markers (up to 7 bytes of padding) and
 * kallsyms_num_syms comes right before it (4 or 8 bytes before, in every
 * layout): where a count fits the markers, and that many names decoded
 * from there hit every marker and end at the markers, is it.
 */
static int find_names(struct ks *k)
{
	uint32_t last = rd32(k, k->markers + 4 * (k->nr_markers - 1)), n, want;
	size_t lo, hi, p, stop = 0;
	int before;

	if (last >= k->markers)
		return 0;
	hi = k->markers - last;
	lo = hi > 256 * ENTRY_MAX ? hi - 256 * ENTRY_MAX : 8;
	for (p = hi; p >= lo && p >= 8; p--) {
		for (before = 4; before <= 8; before += 4) {
			want = rd32(k, p - before);
			if (want <= (k->nr_markers - 1) * 256 || want > k->nr_markers * 256)
				continue;
			k->names = p;
			n = count_names(k, p, k->markers, &stop);
			if (n == want && k->markers - stop < 8) {
				k->nr_syms = n;
				return 1;
			}
		}
	}
	return 0;
}

/* Decode symbol @i's name (at *@p) into @buf: 0, or -1. */
static int decode_name(const struct ks *k, size_t *p, char *buf, size_t size)
{
	size_t len, hdr, i, o = 0, t;

	len = entry_len(k, *p, k->markers, &hdr);
	if (!len)
		return -1;
	for (i = 0; i < len; i++) {
		const char *tok = (const char *)k->d + k->table + k->tok[k->d[*p + hdr + i]];

		for (t = 0; tok[t]; t++) {
			if (o + 1 >= size)
				return -1;
			buf[o++] = tok[t];
		}
	}
	buf[o] = 0;
	*p += hdr + len;
	return o >= 2 ? 0 : -1;
}

static uint64_t sym_addr(const struct ks *k, uint32_t i)
{
	int32_t off = (int32_t)rd32(k, k->offsets + 4 * (size_t)i);

	if (k->absolute_percpu)
		return off >= 0 ? (uint64_t)off : k->relative_base - 1 - off;
	return k->relative_base + (uint32_t)off;
}

/* Does the layout decode _text to @text_link? */
static int offsets_fit(struct ks *k, uint64_t text_link)
{
	size_t p = k->names;
	char name[NAME_MAX_LEN + 1];
	uint32_t i;

	if (k->offsets + 4 * (size_t)k->nr_syms > k->size ||
	    k->relative_base < (k->ptr64 ? KERNEL_MAP_64 : KERNEL_MAP_32))
		return 0;
	for (i = 0; i < k->nr_syms; i++) {
		if (decode_name(k, &p, name, sizeof(name)))
			return 0;
		if (!strcmp(name + 1, "_text"))
			return sym_addr(k, i) == text_link;
	}
	return 0;
}

/* kallsyms_offsets and kallsyms_relative_base, in either known layout. */
static int find_offsets(struct ks *k, uint64_t text_link)
{
	size_t ptr = k->ptr64 ? 8 : 4, rb[2], offs[2];
	int i, abs;

	/* Older: offsets, relative_base, num_syms, names. */
	rb[0] = k->names >= 2 * ptr ? k->names - 2 * ptr : 0;
	offs[0] = rb[0] >= align_up(4 * (size_t)k->nr_syms, ptr) ?
		  rb[0] - align_up(4 * (size_t)k->nr_syms, ptr) : 0;
	/* 6.4+: token_index, offsets, relative_base. */
	offs[1] = align_up(k->index + 2 * NR_TOKENS, ptr);
	rb[1] = align_up(offs[1] + 4 * (size_t)k->nr_syms, ptr);
	for (i = 0; i < 2; i++) {
		if (!rb[i] || rb[i] + ptr > k->size)
			continue;
		k->offsets = offs[i];
		k->relative_base = rd_ptr(k, rb[i]);
		for (abs = k->ptr64; abs >= 0; abs--) {
			k->absolute_percpu = abs;
			if (offsets_fit(k, text_link))
				return 1;
		}
	}
	return 0;
}

long guest_kimage_kallsyms(const struct guest_kimage *img, uint64_t text_link,
			 struct guest_ksyms *out, char *why, size_t why_len)
{
	struct ks k = { .d = img->data, .size = img->size, .ptr64 = img->elf64 };
	char name[NAME_MAX_LEN + 1];
	size_t p;
	uint32_t i;
	int err;

	if (!find_token_table(&k)) {
		guest_whyf(why, why_len, "no kallsyms token table in the image (CONFIG_KALLSYMS?)");
		return -ENOENT;
	}
	if (!find_markers_and_names(&k)) {
		guest_whyf(why, why_len, "no kallsyms_markers and kallsyms_names that agree");
		return -ENOENT;
	}
	if (!find_offsets(&k, text_link)) {
		guest_whyf(why, why_len, "no kallsyms_offsets that put _text at 0x%llx",
		    (unsigned long long)text_link);
		return -ENOENT;
	}
	for (i = 0, p = k.names; i < k.nr_syms; i++) {
		if (decode_name(&k, &p, name, sizeof(name))) {
			guest_whyf(why, why_len, "kallsyms_names: symbol %u does not decode", i);
			return -ENOENT;
		}
		/* Names over GUEST_KSYM_NAME_MAX (rare, Rust's) are left out. */
		err = guest_ksyms_add(out, sym_addr(&k, i), name[0], name + 1);
		if (err == -ENOMEM || err == -E2BIG)
			return err;
	}
	return k.nr_syms;
}
