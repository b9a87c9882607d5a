/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Growable byte buffers and bounded cursors, with LEB128 varints: the
 * building blocks of the trace file's encoding (Documentation/trace-format.rst).
 *
 * Writers append to a struct util_buf; on allocation failure the buffer
 * remembers it (oom) and later appends do nothing, so an encoder checks
 * once at the end.  Readers take values from a struct util_cursor; reading
 * past the end or an overlong varint sets bad, yields 0, and the decoder
 * checks bad once at the end.  Both keep the hot paths branch-light.
 */
#ifndef UTIL_BYTES_H
#define UTIL_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* FNV-1a of a NUL-terminated string: the hash of the reports' string
 * tables. */
static inline uint64_t util_hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ull;
	return h;
}

struct util_buf {
	uint8_t *data;
	size_t len, cap;
	bool oom;
};

/* Make room for @extra more bytes: false (and oom set) if impossible. */
bool util_buf_reserve(struct util_buf *b, size_t extra);
void util_buf_free(struct util_buf *b);

static inline void util_buf_reset(struct util_buf *b)
{
	b->len = 0;
	b->oom = false;
}

static inline void util_put_bytes(struct util_buf *b, const void *p, size_t n)
{
	if (b->cap - b->len < n && !util_buf_reserve(b, n))
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

static inline void util_put_u8(struct util_buf *b, uint8_t v)
{
	if (b->cap == b->len && !util_buf_reserve(b, 1))
		return;
	b->data[b->len++] = v;
}

static inline void util_put_varint(struct util_buf *b, uint64_t v)
{
	uint8_t *p;

	if (b->cap - b->len < 10 && !util_buf_reserve(b, 10))
		return;
	p = b->data + b->len;
	while (v >= 0x80) {
		*p++ = (uint8_t)v | 0x80;
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	b->len = p - b->data;
}

/* Signed values (deltas) as zigzag: 0, -1, 1, -2, ... -> 0, 1, 2, 3, ... */
static inline uint64_t util_zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t util_unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static inline void util_put_svarint(struct util_buf *b, int64_t v)
{
	util_put_varint(b, util_zigzag(v));
}

/* A string: its length as a varint, then its bytes (no NUL). */
static inline void util_put_str(struct util_buf *b, const char *s)
{
	size_t n = strlen(s);

	util_put_varint(b, n);
	util_put_bytes(b, s, n);
}

struct util_cursor {
	const uint8_t *p, *end;
	bool bad;
};

static inline struct util_cursor util_cursor(const void *p, size_t n)
{
	/* NULL + 0 is undefined in C: an empty cursor may have no buffer. */
	return (struct util_cursor){ .p = p, .end = n ? (const uint8_t *)p + n : p };
}

static inline size_t util_cursor_left(const struct util_cursor *c)
{
	return c->end - c->p;
}

static inline uint8_t util_get_u8(struct util_cursor *c)
{
	if (c->p == c->end) {
		c->bad = true;
		return 0;
	}
	return *c->p++;
}

static inline uint64_t util_get_varint(struct util_cursor *c)
{
	uint64_t v = 0;

	for (unsigned int shift = 0; shift < 64; shift += 7) {
		uint8_t byte;

		if (c->p == c->end)
			break;
		byte = *c->p++;
		v |= (uint64_t)(byte & 0x7f) << shift;
		if (!(byte & 0x80))
			return v;
	}
	c->bad = true;		/* truncated, or more than 10 bytes */
	return 0;
}

static inline int64_t util_get_svarint(struct util_cursor *c)
{
	return util_unzigzag(util_get_varint(c));
}

/* A varint no larger than @max (else bad). */
static inline uint64_t util_get_varint_max(struct util_cursor *c, uint64_t max)
{
	uint64_t v = util_get_varint(c);

	if (v > max) {
		c->bad = true;
		return 0;
	}
	return v;
}

/* A length-prefixed string into @out (size @size, always NUL-terminated,
 * cut if longer).  A NUL inside the string makes the cursor bad. */
void util_get_str(struct util_cursor *c, char *out, size_t size);
/* A sub-cursor over the next @n bytes, which this one skips. */
struct util_cursor util_get_sub(struct util_cursor *c, size_t n);

#endif
