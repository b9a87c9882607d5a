/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Latency statistics: count, exact min/avg/max, and percentiles from a
 * log-linear histogram (32 buckets per power of two: within 3%).
 */
#ifndef UTIL_HIST_H
#define UTIL_HIST_H

#include <stdint.h>

#define UTIL_HIST_SUB 32
#define UTIL_HIST_BUCKETS (2 * UTIL_HIST_SUB + 58 * UTIL_HIST_SUB)

struct util_hist {
	uint64_t count, sum, min, max;
	uint64_t *buckets;		/* allocated at the first value */
};

/* 0 or -ENOMEM. */
int util_hist_add(struct util_hist *h, uint64_t v);
int util_hist_merge(struct util_hist *into, const struct util_hist *from);
/* The value at fraction @q (0.99 for p99) of the values, 0 if none. */
uint64_t util_hist_quantile(const struct util_hist *h, double q);
void util_hist_free(struct util_hist *h);

#endif
