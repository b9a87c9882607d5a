// SPDX-License-Identifier: GPL-2.0
/* The collector's command-line value parsers: exact values, strict errors. */
#include <errno.h>
#include "util/options.h"
#include "tap.h"

static void test_parse_u64(void)
{
	uint64_t v = 7;

	TEST_ASSERT_EQ(util_parse_u64("0", 0, 10, &v), 0);
	TEST_ASSERT_EQ(v, 0);
	TEST_ASSERT_EQ(util_parse_u64("0x7b", 0, 1000, &v), 0);
	TEST_ASSERT_EQ(v, 123);
	TEST_ASSERT_EQ(util_parse_u64("18446744073709551615", 0, UINT64_MAX, &v), 0);
	TEST_ASSERT_EQ(v, UINT64_MAX);
	TEST_ASSERT_EQ(util_parse_u64("18446744073709551616", 0, UINT64_MAX, &v), -EINVAL);
	TEST_ASSERT_EQ(util_parse_u64("11", 0, 10, &v), -ERANGE);
	TEST_ASSERT_EQ(util_parse_u64("0", 1, 10, &v), -ERANGE);
	TEST_ASSERT_EQ(util_parse_u64("-1", 0, UINT64_MAX, &v), -EINVAL);
	TEST_ASSERT_EQ(util_parse_u64("", 0, 10, &v), -EINVAL);
	TEST_ASSERT_EQ(util_parse_u64("5x", 0, 10, &v), -EINVAL);
	TEST_ASSERT_EQ(util_parse_u64(" 5", 0, 10, &v), -EINVAL);
	TEST_ASSERT_EQ(v, UINT64_MAX);	/* untouched by failures */
}

static void test_parse_size(void)
{
	uint64_t v;

	TEST_ASSERT_EQ(util_parse_size("4096", &v), 0);
	TEST_ASSERT_EQ(v, 4096);
	TEST_ASSERT_EQ(util_parse_size("64k", &v), 0);
	TEST_ASSERT_EQ(v, 65536);
	TEST_ASSERT_EQ(util_parse_size("2M", &v), 0);
	TEST_ASSERT_EQ(v, 2 << 20);
	TEST_ASSERT_EQ(util_parse_size("1G", &v), 0);
	TEST_ASSERT_EQ(v, 1 << 30);
	TEST_ASSERT_EQ(util_parse_size("1T", &v), -EINVAL);
	TEST_ASSERT_EQ(util_parse_size("M", &v), -EINVAL);
	TEST_ASSERT_EQ(util_parse_size("-4k", &v), -EINVAL);
	TEST_ASSERT_EQ(util_parse_size("99999999999999999999", &v), -EINVAL);
	TEST_ASSERT_EQ(util_parse_size("17179869184G", &v), -EINVAL);	/* overflows */
}

static void test_parse_seconds(void)
{
	double v;

	TEST_ASSERT_EQ(util_parse_seconds("2.5", &v), 0);
	TEST_ASSERT(v == 2.5, "2.5 parsed as %f", v);
	TEST_ASSERT_EQ(util_parse_seconds("0", &v), 0);
	TEST_ASSERT_EQ(util_parse_seconds("-1", &v), -EINVAL);
	TEST_ASSERT_EQ(util_parse_seconds("inf", &v), -EINVAL);
	TEST_ASSERT_EQ(util_parse_seconds("nan", &v), -EINVAL);
	TEST_ASSERT_EQ(util_parse_seconds("3s", &v), -EINVAL);
}

static void test_parse_u32_list(void)
{
	uint32_t out[3], nr;

	TEST_ASSERT_EQ(util_parse_u32_list("1,0x7b,120", out, 3, &nr), 0);
	TEST_ASSERT_EQ(nr, 3);
	TEST_ASSERT_EQ(out[0], 1);
	TEST_ASSERT_EQ(out[1], 0x7b);
	TEST_ASSERT_EQ(out[2], 120);
	TEST_ASSERT_EQ(util_parse_u32_list("1,2,3,4", out, 3, &nr), -EINVAL);
	TEST_ASSERT_EQ(util_parse_u32_list("1,,2", out, 3, &nr), -EINVAL);
	TEST_ASSERT_EQ(util_parse_u32_list("1,", out, 3, &nr), -EINVAL);
	TEST_ASSERT_EQ(util_parse_u32_list("", out, 3, &nr), -EINVAL);
	TEST_ASSERT_EQ(util_parse_u32_list("4294967296", out, 3, &nr), -EINVAL);
}

static const struct tap_test tests[] = {
	TAP_TEST(parse_u64),
	TAP_TEST(parse_size),
	TAP_TEST(parse_seconds),
	TAP_TEST(parse_u32_list),
};

int main(int argc, char **argv)
{
	return tap_main(argc, argv, tests, ARRAY_SIZE(tests), 0);
}
