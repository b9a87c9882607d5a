// SPDX-License-Identifier: GPL-2.0
/* The Protocol Buffers writer of util/protobuf.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "util/protobuf.h"

void pb_init(struct pb_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void pb_free(struct pb_buf *b)
{
	free(b->data);
	pb_init(b);
}

static uint8_t *room(struct pb_buf *b, size_t n)
{
	if (b->err)
		return NULL;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		uint8_t *p;

		while (cap < b->len + n)
			cap *= 2;
		p = realloc(b->data, cap);
		if (!p) {
			b->err = -ENOMEM;
			return NULL;
		}
		b->data = p;
		b->cap = cap;
	}
	return b->data + b->len;
}

void pb_raw(struct pb_buf *b, const void *p, size_t n)
{
	uint8_t *d = room(b, n);

	if (!d)
		return;
	if (n)
		memcpy(d, p, n);
	b->len += n;
}

void pb_varint(struct pb_buf *b, uint64_t v)
{
	uint8_t *d = room(b, 10);
	size_t n = 0;

	if (!d)
		return;
	while (v >= 0x80) {
		d[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	d[n++] = (uint8_t)v;
	b->len += n;
}

void pb_key(struct pb_buf *b, uint32_t field, unsigned int wire)
{
	pb_varint(b, (uint64_t)field << 3 | wire);
}

void pb_uint(struct pb_buf *b, uint32_t field, uint64_t v)
{
	pb_key(b, field, PB_WIRE_VARINT);
	pb_varint(b, v);
}

void pb_uint_nz(struct pb_buf *b, uint32_t field, uint64_t v)
{
	if (v)
		pb_uint(b, field, v);
}

void pb_sint(struct pb_buf *b, uint32_t field, int64_t v)
{
	pb_uint(b, field, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

void pb_fixed64(struct pb_buf *b, uint32_t field, uint64_t v)
{
	uint8_t le[8];

	for (int i = 0; i < 8; i++)
		le[i] = (uint8_t)(v >> (8 * i));
	pb_key(b, field, PB_WIRE_I64);
	pb_raw(b, le, sizeof(le));
}

void pb_double(struct pb_buf *b, uint32_t field, double v)
{
	uint64_t bits;

	memcpy(&bits, &v, sizeof(bits));
	pb_fixed64(b, field, bits);
}

void pb_bytes(struct pb_buf *b, uint32_t field, const void *p, size_t n)
{
	pb_key(b, field, PB_WIRE_LEN);
	pb_varint(b, n);
	pb_raw(b, p, n);
}

void pb_string(struct pb_buf *b, uint32_t field, const char *s)
{
	pb_bytes(b, field, s, strlen(s));
}

void pb_message(struct pb_buf *b, uint32_t field, const struct pb_buf *msg)
{
	if (msg->err) {
		if (!b->err)
			b->err = msg->err;
		return;
	}
	pb_bytes(b, field, msg->data, msg->len);
}

void pb_packed(struct pb_buf *b, uint32_t field, const uint64_t *v, size_t n)
{
	size_t len = 0, i;

	if (!n)
		return;
	for (i = 0; i < n; i++) {
		uint64_t x = v[i];

		do {
			len++;
			x >>= 7;
		} while (x);
	}
	pb_key(b, field, PB_WIRE_LEN);
	pb_varint(b, len);
	for (i = 0; i < n; i++)
		pb_varint(b, v[i]);
}
