// SPDX-License-Identifier: GPL-2.0
/* Kernel symbol tables: see guest/ksyms.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* also given by the selftests' -D_GNU_SOURCE */
#endif
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "guest/ksyms.h"

struct sym {
	uint64_t addr;
	size_t name_off;	/* into names */
	char type;
};

struct guest_ksyms {
	struct sym *syms;
	size_t nr, cap;
	char *names;		/* NUL-terminated names, back to back */
	size_t names_len, names_cap;
	/* After finish: the public view, and indexes. */
	struct guest_ksym *by_addr;	/* all, by address */
	size_t *by_name;		/* indexes into by_addr, by name */
	size_t *code;			/* indexes of code symbols, by address */
	size_t nr_code;
};

struct guest_ksyms *guest_ksyms_new(void)
{
	return calloc(1, sizeof(struct guest_ksyms));
}

static void drop_indexes(struct guest_ksyms *k)
{
	free(k->by_addr);
	free(k->by_name);
	free(k->code);
	k->by_addr = NULL;
	k->by_name = NULL;
	k->code = NULL;
	k->nr_code = 0;
}

void guest_ksyms_free(struct guest_ksyms *k)
{
	if (!k)
		return;
	drop_indexes(k);
	free(k->syms);
	free(k->names);
	free(k);
}

int guest_ksym_is_code(char type)
{
	return type == 't' || type == 'T' || type == 'w' || type == 'W';
}

int guest_ksyms_add(struct guest_ksyms *k, uint64_t addr, char type,
		  const char *name)
{
	size_t len = strnlen(name, GUEST_KSYM_NAME_MAX + 1);

	if (!len || len > GUEST_KSYM_NAME_MAX)
		return -EINVAL;
	if (k->nr >= GUEST_KSYMS_MAX)
		return -E2BIG;
	if (k->nr == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 1024;
		struct sym *s = realloc(k->syms, cap * sizeof(*s));

		if (!s)
			return -ENOMEM;
		k->syms = s;
		k->cap = cap;
	}
	if (k->names_len + len + 1 > k->names_cap) {
		size_t cap = k->names_cap ? k->names_cap * 2 : 16384;
		char *n;

		while (cap < k->names_len + len + 1)
			cap *= 2;
		n = realloc(k->names, cap);
		if (!n)
			return -ENOMEM;
		k->names = n;
		k->names_cap = cap;
	}
	memcpy(k->names + k->names_len, name, len + 1);
	k->syms[k->nr].addr = addr;
	k->syms[k->nr].type = type;
	k->syms[k->nr].name_off = k->names_len;
	k->names_len += len + 1;
	k->nr++;
	drop_indexes(k);
	return 0;
}

/* One "ADDRESS TYPE NAME [\t[module]]" line: 1 added, 0 skipped, -errno. */
static int parse_line(struct guest_ksyms *k, char *line)
{
	char *end, *name, *p;
	unsigned long long addr;
	char type;

	errno = 0;
	addr = strtoull(line, &end, 16);
	if (errno || end == line || *end != ' ')
		return 0;
	type = end[1];
	if (!type || end[2] != ' ')
		return 0;
	name = end + 3;
	p = name + strcspn(name, " \t\r\n");
	/* A module's symbol: its address belongs to one boot of one guest. */
	if (*p == '\t' && p[1] == '[')
		return 0;
	*p = 0;
	if (!*name || strlen(name) > GUEST_KSYM_NAME_MAX)
		return 0;
	return guest_ksyms_add(k, addr, type, name) ?: 1;
}

long guest_ksyms_parse(struct guest_ksyms *k, FILE *f)
{
	char line[GUEST_KSYM_NAME_MAX + 64];
	long skipped = 0;
	int ret;

	while (fgets(line, sizeof(line), f)) {
		size_t len = strlen(line);

		if (len && line[len - 1] != '\n' && !feof(f)) {
			/* Too long to be a symbol: skip the rest of it. */
			int c;

			while ((c = fgetc(f)) != EOF && c != '\n')
				;
			skipped++;
			continue;
		}
		ret = parse_line(k, line);
		if (ret < 0)
			return ret;
		if (!ret)
			skipped++;
	}
	if (ferror(f))
		return -EIO;
	return skipped;
}

static int cmp_addr(const void *a, const void *b)
{
	const struct guest_ksym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* Equal addresses: global names first (they name the function). */
	if ((x->type >= 'a') != (y->type >= 'a'))
		return x->type >= 'a' ? 1 : -1;
	return strcmp(x->name, y->name);
}

static int cmp_name(const void *a, const void *b, void *arg)
{
	const struct guest_ksyms *k = arg;
	const struct guest_ksym *x = &k->by_addr[*(const size_t *)a];
	const struct guest_ksym *y = &k->by_addr[*(const size_t *)b];
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

int guest_ksyms_finish(struct guest_ksyms *k)
{
	size_t i, n = k->nr ? k->nr : 1;

	drop_indexes(k);
	k->by_addr = calloc(n, sizeof(*k->by_addr));
	k->by_name = calloc(n, sizeof(*k->by_name));
	k->code = calloc(n, sizeof(*k->code));
	if (!k->by_addr || !k->by_name || !k->code) {
		drop_indexes(k);
		return -ENOMEM;
	}
	for (i = 0; i < k->nr; i++) {
		k->by_addr[i].addr = k->syms[i].addr;
		k->by_addr[i].type = k->syms[i].type;
		k->by_addr[i].name = k->names + k->syms[i].name_off;
	}
	qsort(k->by_addr, k->nr, sizeof(*k->by_addr), cmp_addr);
	for (i = 0; i < k->nr; i++) {
		k->by_name[i] = i;
		if (guest_ksym_is_code(k->by_addr[i].type))
			k->code[k->nr_code++] = i;
	}
	qsort_r(k->by_name, k->nr, sizeof(*k->by_name), cmp_name, k);
	return 0;
}

size_t guest_ksyms_count(const struct guest_ksyms *k)
{
	return k->nr;
}

const struct guest_ksym *guest_ksyms_at(const struct guest_ksyms *k, size_t i)
{
	return k->by_addr && i < k->nr ? &k->by_addr[i] : NULL;
}

int guest_ksyms_lookup(const struct guest_ksyms *k, const char *name, uint64_t *addr)
{
	size_t lo = 0, hi = k->nr;

	if (!k->by_name)
		return -ENOENT;
	/* The first of equal names: the lowest address. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(k->by_addr[k->by_name[mid]].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == k->nr || strcmp(k->by_addr[k->by_name[lo]].name, name))
		return -ENOENT;
	*addr = k->by_addr[k->by_name[lo]].addr;
	return 0;
}

const struct guest_ksym *guest_ksyms_find_code(const struct guest_ksyms *k,
					   uint64_t addr, uint64_t max_offset,
					   uint64_t *offset, uint64_t *size)
{
	size_t lo = 0, hi = k->nr_code, next;
	const struct guest_ksym *s;

	if (!k->code)
		return NULL;
	/* The last code symbol at or below addr. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (k->by_addr[k->code[mid]].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	next = lo;
	s = &k->by_addr[k->code[lo - 1]];
	/* Several names at one address: the first (global) one. */
	while (lo > 1 && k->by_addr[k->code[lo - 2]].addr == s->addr)
		s = &k->by_addr[k->code[--lo - 1]];
	if (addr - s->addr > max_offset)
		return NULL;
	*offset = addr - s->addr;
	if (size)
		*size = next < k->nr_code ? k->by_addr[k->code[next]].addr - s->addr : 0;
	return s;
}

void guest_ksyms_shift(struct guest_ksyms *k, uint64_t from, uint64_t delta)
{
	size_t i;

	for (i = 0; i < k->nr; i++)
		if (k->syms[i].addr >= from)
			k->syms[i].addr += delta;
	drop_indexes(k);
}
