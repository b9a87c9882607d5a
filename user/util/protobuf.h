/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Protocol Buffers wire format, writing only: what the pprof and Perfetto
 * exports need (varint and length-delimited fields, packed repeated
 * varints, nested messages), without a code generator.  A message is built
 * in a growing buffer; a nested one in its own buffer, then added to its
 * parent as a length-delimited field.  Errors are sticky: after a failed
 * allocation every call does nothing and pb_error() says -ENOMEM.
 *
 * Field numbers and wire types: https://protobuf.dev/programming-guides/encoding/
 */
#ifndef VMT_UTIL_PROTOBUF_H
#define VMT_UTIL_PROTOBUF_H

#include <stddef.h>
#include <stdint.h>

struct pb_buf {
	uint8_t *data;
	size_t len, cap;
	int err;			/* 0 or -ENOMEM */
};

#define PB_WIRE_VARINT	0
#define PB_WIRE_I64	1
#define PB_WIRE_LEN	2

void pb_init(struct pb_buf *b);
void pb_free(struct pb_buf *b);
/* Empty @b for the next message, keeping its memory. */
static inline void pb_reset(struct pb_buf *b)
{
	b->len = 0;
}
static inline int pb_error(const struct pb_buf *b)
{
	return b->err;
}

void pb_raw(struct pb_buf *b, const void *p, size_t n);
void pb_varint(struct pb_buf *b, uint64_t v);
/* Field @field of wire type @wire: its key. */
void pb_key(struct pb_buf *b, uint32_t field, unsigned int wire);

/* uint64/int64/bool/enum field (int64 as its two's complement). */
void pb_uint(struct pb_buf *b, uint32_t field, uint64_t v);
/* The same, left out when 0 (proto3's default). */
void pb_uint_nz(struct pb_buf *b, uint32_t field, uint64_t v);
void pb_sint(struct pb_buf *b, uint32_t field, int64_t v);	/* sint64: zigzag */
void pb_fixed64(struct pb_buf *b, uint32_t field, uint64_t v);
void pb_double(struct pb_buf *b, uint32_t field, double v);
void pb_bytes(struct pb_buf *b, uint32_t field, const void *p, size_t n);
void pb_string(struct pb_buf *b, uint32_t field, const char *s);
/* A nested message built in @msg. */
void pb_message(struct pb_buf *b, uint32_t field, const struct pb_buf *msg);
/* A packed repeated uint64 field (nothing when @n is 0). */
void pb_packed(struct pb_buf *b, uint32_t field, const uint64_t *v, size_t n);

#endif
