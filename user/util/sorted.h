/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Lookups in arrays sorted by a leading 32-bit id (a pid or a tid): the
 * both-sides view's tables of guest processes, VMM threads and baselines
 * all start their elements with it.
 */
#ifndef UTIL_SORTED_H
#define UTIL_SORTED_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static inline int util_cmp_leading_id(const void *key, const void *elem)
{
	uint32_t a = *(const uint32_t *)key, b;

	memcpy(&b, elem, sizeof(b));
	return (a > b) - (a < b);
}

/* The element of @base (@nr elements of @size bytes, ascending by their
 * leading uint32_t id) whose id is @id, or NULL. */
static inline void *util_find_by_id(const void *base, size_t nr, size_t size, uint32_t id)
{
	return nr ? bsearch(&id, base, nr, size, util_cmp_leading_id) : NULL;
}

#endif
