/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Protocol Buffers wire format, writing only: what the pprof and Perfetto
 * exports need (varint and length-delimited fields, packed repeated
 * varints, nested messages), without a code generator.  A message is built
 * in a growing buffer; a nested one in its own buffer, then added to its
 * parent as a length-delimited field.  Errors are sticky: after a failed
 * allocation every call does nothing and util_pb_error() says -ENOMEM.
 *
 * Field numbers and wire types: https://protobuf.dev/programming-guides/encoding/
 */
#ifndef UTIL_PROTOBUF_H
#define UTIL_PROTOBUF_H

#include <stddef.h>
#include <stdint.h>

struct util_pb_buf {
	uint8_t *data;
	size_t len, cap;
	int err;			/* 0 or -ENOMEM */
};

#define UTIL_PB_WIRE_VARINT	0
#define UTIL_PB_WIRE_I64	1
#define UTIL_PB_WIRE_LEN	2

void util_pb_init(struct util_pb_buf *b);
void util_pb_free(struct util_pb_buf *b);
/* Empty @b for the next message, keeping its memory. */
static inline void util_pb_reset(struct util_pb_buf *b)
{
	b->len = 0;
}
static inline int util_pb_error(const struct util_pb_buf *b)
{
	return b->err;
}

void util_pb_raw(struct util_pb_buf *b, const void *p, size_t n);
void util_pb_varint(struct util_pb_buf *b, uint64_t v);
/* Field @field of wire type @wire: its key. */
void util_pb_key(struct util_pb_buf *b, uint32_t field, unsigned int wire);

/* uint64/int64/bool/enum field (int64 as its two's complement). */
void util_pb_uint(struct util_pb_buf *b, uint32_t field, uint64_t v);
/* The same, left out when 0 (proto3's default). */
void util_pb_uint_nz(struct util_pb_buf *b, uint32_t field, uint64_t v);
void util_pb_sint(struct util_pb_buf *b, uint32_t field, int64_t v);	/* sint64: zigzag */
void util_pb_fixed64(struct util_pb_buf *b, uint32_t field, uint64_t v);
void util_pb_double(struct util_pb_buf *b, uint32_t field, double v);
void util_pb_bytes(struct util_pb_buf *b, uint32_t field, const void *p, size_t n);
void util_pb_string(struct util_pb_buf *b, uint32_t field, const char *s);
/* A nested message built in @msg. */
void util_pb_message(struct util_pb_buf *b, uint32_t field, const struct util_pb_buf *msg);
/* A packed repeated uint64 field (nothing when @n is 0). */
void util_pb_packed(struct util_pb_buf *b, uint32_t field, const uint64_t *v, size_t n);

#endif
