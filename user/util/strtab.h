/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A string table: each distinct string once, numbered 0, 1, ... in the
 * order added, found again by an open hash.  What pprof's string table
 * and Perfetto's interned names both are.
 */
#ifndef UTIL_STRTAB_H
#define UTIL_STRTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct util_strtab {
	char **strs;			/* number -> its copy */
	size_t nr, cap;
	uint64_t *slots;		/* open hash of number + 1 */
	size_t cap_slots;
};

/*
 * The number of @s in @t in *@index, added (a copy) if new, then *@added.
 * 0 or -ENOMEM (@t unchanged).
 */
int util_strtab_add(struct util_strtab *t, const char *s, size_t *index, bool *added);
void util_strtab_free(struct util_strtab *t);

#endif
