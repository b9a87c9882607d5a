// SPDX-License-Identifier: GPL-2.0
/* The Protocol Buffers writer of util/protobuf.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "util/protobuf.h"

void util_pb_init(struct util_pb_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void util_pb_free(struct util_pb_buf *b)
{
	free(b->data);
	util_pb_init(b);
}

static uint8_t *room(struct util_pb_buf *b, size_t n)
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

void util_pb_raw(struct util_pb_buf *b, const void *p, size_t n)
{
	uint8_t *d = room(b, n);

	if (!d)
		return;
	if (n)
		memcpy(d, p, n);
	b->len += n;
}

void util_pb_varint(struct util_pb_buf *b, uint64_t v)
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

void util_pb_key(struct util_pb_buf *b, uint32_t field, unsigned int wire)
{
	util_pb_varint(b, (uint64_t)field << 3 | wire);
}

void util_pb_uint(struct util_pb_buf *b, uint32_t field, uint64_t v)
{
	util_pb_key(b, field, UTIL_PB_WIRE_VARINT);
	util_pb_varint(b, v);
}

void util_pb_uint_nz(struct util_pb_buf *b, uint32_t field, uint64_t v)
{
	if (v)
		util_pb_uint(b, field, v);
}

void util_pb_sint(struct util_pb_buf *b, uint32_t field, int64_t v)
{
	util_pb_uint(b, field, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

void util_pb_fixed64(struct util_pb_buf *b, uint32_t field, uint64_t v)
{
	uint8_t le[8];

	for (int i = 0; i < 8; i++)
		le[i] = (uint8_t)(v >> (8 * i));
	util_pb_key(b, field, UTIL_PB_WIRE_I64);
	util_pb_raw(b, le, sizeof(le));
}

void util_pb_double(struct util_pb_buf *b, uint32_t field, double v)
{
	uint64_t bits;

	memcpy(&bits, &v, sizeof(bits));
	util_pb_fixed64(b, field, bits);
}

void util_pb_bytes(struct util_pb_buf *b, uint32_t field, const void *p, size_t n)
{
	util_pb_key(b, field, UTIL_PB_WIRE_LEN);
	util_pb_varint(b, n);
	util_pb_raw(b, p, n);
}

void util_pb_string(struct util_pb_buf *b, uint32_t field, const char *s)
{
	util_pb_bytes(b, field, s, strlen(s));
}

void util_pb_message(struct util_pb_buf *b, uint32_t field, const struct util_pb_buf *msg)
{
	if (msg->err) {
		if (!b->err)
			b->err = msg->err;
		return;
	}
	util_pb_bytes(b, field, msg->data, msg->len);
}

void util_pb_packed(struct util_pb_buf *b, uint32_t field, const uint64_t *v, size_t n)
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
	util_pb_key(b, field, UTIL_PB_WIRE_LEN);
	util_pb_varint(b, len);
	for (i = 0; i < n; i++)
		util_pb_varint(b, v[i]);
}
