// SPDX-License-Identifier: GPL-2.0
/* Symbol tables from System.map and kallsyms text. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "guest/ksyms.h"
#include "tap.h"

static struct guest_ksyms *parse(const char *text, long *skipped)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	struct guest_ksyms *k = guest_ksyms_new();

	TEST_ASSERT(f && k, "fmemopen");
	*skipped = guest_ksyms_parse(k, f);
	fclose(f);
	TEST_ASSERT(*skipped >= 0, "parse: %ld", *skipped);
	TEST_ASSERT_EQ(guest_ksyms_finish(k), 0);
	return k;
}

static void test_system_map(void)
{
	static const char map[] =
		"0000000000000000 A __per_cpu_start\n"
		"000000000001fb80 A current_task\n"
		"ffffffff81000000 T _text\n"
		"ffffffff81000000 T _stext\n"
		"ffffffff81000000 t startup_64\n"
		"ffffffff81001000 T do_one_initcall\n"
		"ffffffff81001800 t local_helper\n"
		"ffffffff81002000 W weak_fn\n"
		"ffffffff82161900 D linux_banner\n"
		"ffffffff82a1aa40 D init_task\n"
		"ffffffffc0001000 t vmx_exit\t[kvm_intel]\n"
		"garbage line\n"
		"ffffffff8100zzzz T bad_address\n"
		"ffffffff81003000 TT two_letters\n";
	const struct guest_ksym *s;
	struct guest_ksyms *k;
	uint64_t addr, off, size;
	long skipped;

	k = parse(map, &skipped);
	/* The module symbol and three malformed lines. */
	TEST_ASSERT_EQ(skipped, 4);
	TEST_ASSERT_EQ(guest_ksyms_count(k), 10);
	TEST_ASSERT_EQ(guest_ksyms_lookup(k, "init_task", &addr), 0);
	TEST_ASSERT_EQ(addr, 0xffffffff82a1aa40ULL);
	TEST_ASSERT_EQ(guest_ksyms_lookup(k, "current_task", &addr), 0);
	TEST_ASSERT_EQ(addr, 0x1fb80);
	TEST_ASSERT_EQ(guest_ksyms_lookup(k, "vmx_exit", &addr), -ENOENT);
	/* Code lookups: the global name wins at a shared address. */
	s = guest_ksyms_find_code(k, 0xffffffff81000010ULL, 1 << 20, &off, &size);
	TEST_ASSERT(s && !strcmp(s->name, "_stext"), "%s", s ? s->name : "NULL");
	TEST_ASSERT_EQ(off, 0x10);
	TEST_ASSERT_EQ(size, 0x1000);
	s = guest_ksyms_find_code(k, 0xffffffff810018ffULL, 1 << 20, &off, &size);
	TEST_ASSERT(s && !strcmp(s->name, "local_helper"), "local");
	TEST_ASSERT_EQ(size, 0x800);
	s = guest_ksyms_find_code(k, 0xffffffff81002004ULL, 1 << 20, &off, &size);
	TEST_ASSERT(s && !strcmp(s->name, "weak_fn") && size == 0, "weak, last");
	/* Data is not code; below the first; too far past the last. */
	s = guest_ksyms_find_code(k, 0xffffffff82161900ULL, 1 << 20, &off, NULL);
	TEST_ASSERT(!s, "data resolved as code");
	TEST_ASSERT(!guest_ksyms_find_code(k, 0x1000, 1 << 20, &off, NULL), "below");
	guest_ksyms_free(k);
}

static void test_kallsyms_shift(void)
{
	static const char kallsyms[] =
		"0000000000000000 A fixed_percpu_data\n"
		"ffffffff9a000000 T _text\n"
		"ffffffff9a001000 T schedule\n";
	struct guest_ksyms *k;
	uint64_t addr;
	long skipped;

	k = parse(kallsyms, &skipped);
	guest_ksyms_shift(k, 0xffffffff80000000ULL, -0x19000000ULL);
	TEST_ASSERT_EQ(guest_ksyms_finish(k), 0);
	TEST_ASSERT_EQ(guest_ksyms_lookup(k, "schedule", &addr), 0);
	TEST_ASSERT_EQ(addr, 0xffffffff81001000ULL);
	TEST_ASSERT_EQ(guest_ksyms_lookup(k, "fixed_percpu_data", &addr), 0);
	TEST_ASSERT_EQ(addr, 0);
	guest_ksyms_free(k);
}

static void test_limits(void)
{
	struct guest_ksyms *k = guest_ksyms_new();
	char name[GUEST_KSYM_NAME_MAX + 2];
	char line[2 * GUEST_KSYM_NAME_MAX];
	long skipped;
	FILE *f;

	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = 0;
	TEST_ASSERT_EQ(guest_ksyms_add(k, 1, 'T', name), -EINVAL);
	TEST_ASSERT_EQ(guest_ksyms_add(k, 1, 'T', ""), -EINVAL);
	/* An over-long line is skipped whole; the next one still counts. */
	snprintf(line, sizeof(line), "ffffffff81000000 T %s\nffffffff81000010 T ok\n", name);
	f = fmemopen(line, strlen(line), "r");
	skipped = guest_ksyms_parse(k, f);
	fclose(f);
	TEST_ASSERT_EQ(skipped, 1);
	TEST_ASSERT_EQ(guest_ksyms_count(k), 1);
	guest_ksyms_free(k);
}

static const struct tap_test tests[] = {
	TAP_TEST(system_map),
	TAP_TEST(kallsyms_shift),
	TAP_TEST(limits),
};

int main(int argc, char **argv)
{
	return tap_main(argc, argv, tests, ARRAY_SIZE(tests), 0);
}
