// SPDX-License-Identifier: GPL-2.0
/*
 * The reorder buffer: a natural merge sort, since what it holds is a few
 * runs already in order (the sorted remainder, then one run per CPU per
 * drain): O(n log runs).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "trace/reorder.h"

int trace_reorder_add(struct trace_reorder *q, const struct vmtrace_record *recs, size_t n)
{
	if (q->cap - q->n < n) {
		size_t cap = q->cap ? q->cap : 4096;
		struct vmtrace_record *a, *b;

		while (cap - q->n < n)
			cap *= 2;
		a = realloc(q->recs, cap * sizeof(*a));
		if (!a)
			return -ENOMEM;
		q->recs = a;
		b = realloc(q->tmp, cap * sizeof(*b));
		if (!b)
			return -ENOMEM;
		q->tmp = b;
		q->cap = cap;
	}
	memcpy(q->recs + q->n, recs, n * sizeof(*recs));
	q->n += n;
	return 0;
}

/* Merge the sorted runs [a, b) and [b, c) of src into dst. */
static void merge(const struct vmtrace_record *src, struct vmtrace_record *dst,
		  size_t a, size_t b, size_t c)
{
	size_t i = a, j = b, k = a;

	while (i < b && j < c)
		dst[k++] = src[j].host_tsc < src[i].host_tsc ? src[j++] : src[i++];
	memcpy(dst + k, src + i, (b - i) * sizeof(*src));
	k += b - i;
	memcpy(dst + k, src + j, (c - j) * sizeof(*src));
}

static void sort(struct trace_reorder *q)
{
	size_t *starts, nr = 0, n = q->n;

	if (n < 2)
		return;
	starts = malloc((n + 1) * sizeof(*starts));
	if (!starts) {
		/* No memory to sort: write in drain order, still correct. */
		return;
	}
	starts[nr++] = 0;
	for (size_t i = 1; i < n; i++)
		if (q->recs[i].host_tsc < q->recs[i - 1].host_tsc)
			starts[nr++] = i;
	starts[nr] = n;
	while (nr > 1) {
		size_t out = 0;
		struct vmtrace_record *swap;

		for (size_t r = 0; r < nr; r += 2) {
			if (r + 1 < nr)
				merge(q->recs, q->tmp, starts[r], starts[r + 1], starts[r + 2]);
			else
				memcpy(q->tmp + starts[r], q->recs + starts[r],
				       (starts[r + 1] - starts[r]) * sizeof(*q->recs));
			starts[out++] = starts[r];
		}
		starts[out] = n;
		nr = out;
		swap = q->recs;
		q->recs = q->tmp;
		q->tmp = swap;
	}
	free(starts);
}

int trace_reorder_flush(struct trace_reorder *q, uint64_t before, trace_reorder_fn fn,
		      void *arg)
{
	size_t n = 0;
	int ret = 0;

	sort(q);
	while (n < q->n && q->recs[n].host_tsc < before)
		n++;
	if (n)
		ret = fn(arg, q->recs, n);
	memmove(q->recs, q->recs + n, (q->n - n) * sizeof(*q->recs));
	q->n -= n;
	return ret;
}

void trace_reorder_free(struct trace_reorder *q)
{
	free(q->recs);
	free(q->tmp);
	memset(q, 0, sizeof(*q));
}
