// SPDX-License-Identifier: GPL-2.0
/* The string table of util/strtab.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "util/bytes.h"
#include "util/strtab.h"

static int grow_slots(struct util_strtab *t)
{
	size_t cap = t->cap_slots ? 2 * t->cap_slots : 64;
	uint64_t *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < t->nr; i++) {
		size_t j = util_hash_str(t->strs[i]) & (cap - 1);

		while (slots[j])
			j = (j + 1) & (cap - 1);
		slots[j] = i + 1;
	}
	free(t->slots);
	t->slots = slots;
	t->cap_slots = cap;
	return 0;
}

int util_strtab_add(struct util_strtab *t, const char *s, size_t *index, bool *added)
{
	size_t i;

	if (2 * (t->nr + 1) > t->cap_slots && grow_slots(t))
		return -ENOMEM;
	for (i = util_hash_str(s) & (t->cap_slots - 1); t->slots[i];
	     i = (i + 1) & (t->cap_slots - 1)) {
		if (!strcmp(t->strs[t->slots[i] - 1], s)) {
			*index = t->slots[i] - 1;
			*added = false;
			return 0;
		}
	}
	if (t->nr == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 64;
		char **strs = realloc(t->strs, cap * sizeof(*strs));

		if (!strs)
			return -ENOMEM;
		t->strs = strs;
		t->cap = cap;
	}
	t->strs[t->nr] = strdup(s);
	if (!t->strs[t->nr])
		return -ENOMEM;
	t->slots[i] = t->nr + 1;
	*index = t->nr++;
	*added = true;
	return 0;
}

void util_strtab_free(struct util_strtab *t)
{
	for (size_t i = 0; i < t->nr; i++)
		free(t->strs[i]);
	free(t->strs);
	free(t->slots);
	memset(t, 0, sizeof(*t));
}
