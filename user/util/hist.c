// SPDX-License-Identifier: GPL-2.0
/*
 * The log-linear histogram: values below 2 * UTIL_HIST_SUB have a bucket
 * each; above, each power of two is cut into UTIL_HIST_SUB equal buckets.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "util/hist.h"

static unsigned int bucket_of(uint64_t v)
{
	unsigned int e;

	if (v < 2 * UTIL_HIST_SUB)
		return v;
	e = 63 - __builtin_clzll(v);			/* >= log2(2 * SUB) = 6 */
	return (e - 4) * UTIL_HIST_SUB + ((v >> (e - 5)) & (UTIL_HIST_SUB - 1));
}

/* The middle of bucket @b. */
static uint64_t bucket_value(unsigned int b)
{
	unsigned int e, sub;
	uint64_t lo;

	if (b < 2 * UTIL_HIST_SUB)
		return b;
	e = b / UTIL_HIST_SUB + 4;
	sub = b % UTIL_HIST_SUB;
	lo = (1ull << e) + ((uint64_t)sub << (e - 5));
	return lo + (1ull << (e - 5)) / 2;
}

int util_hist_add(struct util_hist *h, uint64_t v)
{
	if (!h->buckets) {
		h->buckets = calloc(UTIL_HIST_BUCKETS, sizeof(*h->buckets));
		if (!h->buckets)
			return -ENOMEM;
		h->min = UINT64_MAX;
	}
	h->buckets[bucket_of(v)]++;
	h->count++;
	h->sum += v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	return 0;
}

int util_hist_merge(struct util_hist *into, const struct util_hist *from)
{
	if (!from->count)
		return 0;
	if (!into->buckets) {
		into->buckets = calloc(UTIL_HIST_BUCKETS, sizeof(*into->buckets));
		if (!into->buckets)
			return -ENOMEM;
		into->min = UINT64_MAX;
	}
	for (unsigned int i = 0; i < UTIL_HIST_BUCKETS; i++)
		into->buckets[i] += from->buckets[i];
	into->count += from->count;
	into->sum += from->sum;
	if (from->min < into->min)
		into->min = from->min;
	if (from->max > into->max)
		into->max = from->max;
	return 0;
}

uint64_t util_hist_quantile(const struct util_hist *h, double q)
{
	uint64_t rank, seen = 0, v;

	if (!h->count)
		return 0;
	/* The smallest value with at least q of all values at or below it. */
	rank = (uint64_t)(q * h->count + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank >= h->count)
		return h->max;
	for (unsigned int i = 0; i < UTIL_HIST_BUCKETS; i++) {
		seen += h->buckets[i];
		if (seen >= rank) {
			v = bucket_value(i);
			return v < h->min ? h->min : v > h->max ? h->max : v;
		}
	}
	return h->max;
}

void util_hist_free(struct util_hist *h)
{
	free(h->buckets);
	memset(h, 0, sizeof(*h));
}
