// SPDX-License-Identifier: GPL-2.0
/*
 * util/protobuf.h: the exact bytes of varints at their boundaries, signed
 * and zigzag fields, doubles, strings, nested messages and packed fields,
 * as the encoding guide gives them.
 */
#include <string.h>
#include "tap.h"
#include "util/protobuf.h"

#define EXPECT(b, ...) do {							\
	static const uint8_t want[] = { __VA_ARGS__ };				\
	TEST_ASSERT((b)->len == sizeof(want) && !memcmp((b)->data, want, sizeof(want)), \
		    "%zu bytes, want %zu", (b)->len, sizeof(want));		\
} while (0)

static void test_varints(void)
{
	struct util_pb_buf b;

	util_pb_init(&b);
	util_pb_uint(&b, 1, 0);
	EXPECT(&b, 0x08, 0x00);
	util_pb_reset(&b);
	util_pb_uint(&b, 1, 150);		/* the guide's example */
	EXPECT(&b, 0x08, 0x96, 0x01);
	util_pb_reset(&b);
	util_pb_uint(&b, 2, 127);
	util_pb_uint(&b, 2, 128);
	EXPECT(&b, 0x10, 0x7f, 0x10, 0x80, 0x01);
	util_pb_reset(&b);
	util_pb_uint(&b, 16, UINT64_MAX);	/* a two-byte key, a ten-byte value */
	EXPECT(&b, 0x80, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01);
	util_pb_reset(&b);
	util_pb_uint(&b, 1, (uint64_t)(int64_t)-2);	/* int64 -2: two's complement */
	EXPECT(&b, 0x08, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01);
	util_pb_reset(&b);
	util_pb_sint(&b, 1, -2);		/* sint64 -2: zigzag 3 */
	util_pb_sint(&b, 1, 2);
	EXPECT(&b, 0x08, 0x03, 0x08, 0x04);
	util_pb_reset(&b);
	util_pb_uint_nz(&b, 1, 0);
	TEST_ASSERT_EQ(b.len, 0);
	TEST_ASSERT_EQ(util_pb_error(&b), 0);
	util_pb_free(&b);
}

static void test_fields(void)
{
	struct util_pb_buf b, m;
	static const uint64_t packed[] = { 3, 270, 86942 };

	util_pb_init(&b);
	util_pb_init(&m);
	util_pb_string(&b, 2, "testing");	/* the guide's example */
	EXPECT(&b, 0x12, 0x07, 't', 'e', 's', 't', 'i', 'n', 'g');
	util_pb_reset(&b);
	util_pb_double(&b, 1, 1.0);
	EXPECT(&b, 0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f);
	util_pb_reset(&b);
	util_pb_uint(&m, 1, 150);
	util_pb_message(&b, 3, &m);		/* the guide's nested example */
	EXPECT(&b, 0x1a, 0x03, 0x08, 0x96, 0x01);
	util_pb_reset(&b);
	util_pb_packed(&b, 4, packed, 3);	/* the guide's packed example */
	EXPECT(&b, 0x22, 0x06, 0x03, 0x8e, 0x02, 0x9e, 0xa7, 0x05);
	util_pb_reset(&b);
	util_pb_packed(&b, 4, packed, 0);
	TEST_ASSERT_EQ(b.len, 0);
	util_pb_free(&b);
	util_pb_free(&m);
}

static const struct tap_test tests[] = {
	TAP_TEST(varints),
	TAP_TEST(fields),
};

int main(int argc, char **argv)
{
	return tap_main(argc, argv, tests, ARRAY_SIZE(tests), 0);
}
