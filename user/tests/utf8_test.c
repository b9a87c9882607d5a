// SPDX-License-Identifier: GPL-2.0
/* Guest text in JSON: valid UTF-8 kept, everything else escaped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/outbuf.h"
#include "tap.h"
#include "util/utf8.h"
#include "view/vm_report.h"

/* @s through both JSON writers (a FILE and an outbuf): equal, returned. */
static char *both(const char *s)
{
	char *a = NULL, *b = NULL;
	size_t alen = 0, blen = 0;
	struct util_outbuf o;
	FILE *f;

	f = open_memstream(&a, &alen);
	TEST_ASSERT(f, "open_memstream");
	view_vm_json_str(f, s);
	fclose(f);
	f = open_memstream(&b, &blen);
	TEST_ASSERT(f, "open_memstream");
	util_outbuf_init(&o, f);
	util_out_json_str(&o, s);
	TEST_ASSERT_EQ(util_outbuf_finish(&o), 0);
	fclose(f);
	TEST_ASSERT(!strcmp(a, b), "the writers disagree: %s vs %s", a, b);
	free(b);
	return a;
}

#define JSON_IS(in, want) do {						\
		char *__got = both(in);					\
		TEST_ASSERT(!strcmp(__got, want), "%s: got %s, want %s", #in, __got, want); \
		free(__got);						\
	} while (0)

static void test_json(void)
{
	/* A guest process named "café" stays "café" (it came out "cafÃ©"
	 * of script --format jsonl when bytes >= 0x80 were Latin-1). */
	JSON_IS("caf\xc3\xa9", "\"caf\xc3\xa9\"");
	JSON_IS("\xf0\x9f\x90\xa7 tux", "\"\xf0\x9f\x90\xa7 tux\"");
	JSON_IS("a\"b\\c", "\"a\\\"b\\\\c\"");
	JSON_IS("\x01\n\x7f", "\"\\u0001\\u000a\\u007f\"");
	JSON_IS("<a&b>", "\"\\u003ca\\u0026b\\u003e\"");
	/* Not UTF-8: one U+FFFD per byte. */
	JSON_IS("x\xffy", "\"x\\ufffdy\"");
	JSON_IS("\xc0\xaf", "\"\\ufffd\\ufffd\"");			/* overlong '/' */
	JSON_IS("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");		/* a surrogate */
	JSON_IS("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");	/* > U+10FFFF */
	JSON_IS("caf\xc3", "\"caf\\ufffd\"");				/* cut short */
	JSON_IS("", "\"\"");
}

static void test_utf8_len(void)
{
	TEST_ASSERT_EQ(util_utf8_len((const unsigned char *)"a"), 1);
	TEST_ASSERT_EQ(util_utf8_len((const unsigned char *)"\xc3\xa9"), 2);
	TEST_ASSERT_EQ(util_utf8_len((const unsigned char *)"\xe2\x82\xac"), 3);
	TEST_ASSERT_EQ(util_utf8_len((const unsigned char *)"\xf0\x9f\x90\xa7"), 4);
	TEST_ASSERT_EQ(util_utf8_len((const unsigned char *)"\x80"), 0);
	TEST_ASSERT_EQ(util_utf8_len((const unsigned char *)"\xe0\x80\x80"), 0);
}

static const struct tap_test tests[] = {
	TAP_TEST(json),
	TAP_TEST(utf8_len),
};

int main(int argc, char **argv)
{
	return tap_main(argc, argv, tests, ARRAY_SIZE(tests), 0);
}
