/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Latency statistics: count, exact min/avg/max, and percentiles from a
 * log-linear histogram (32 buckets per power of two: within 3%).
 */
#ifndef VMT_HIST_H
#define VMT_HIST_H

#include <stdint.h>

#define VMT_HIST_SUB 32
#define VMT_HIST_BUCKETS (2 * VMT_HIST_SUB + 58 * VMT_HIST_SUB)

struct vmt_hist {
	uint64_t count, sum, min, max;
	uint64_t *buckets;		/* allocated at the first value */
};

/* 0 or -ENOMEM. */
int vmt_hist_add(struct vmt_hist *h, uint64_t v);
int vmt_hist_merge(struct vmt_hist *into, const struct vmt_hist *from);
/* The value at fraction @q (0.99 for p99) of the values, 0 if none. */
uint64_t vmt_hist_quantile(const struct vmt_hist *h, double q);
void vmt_hist_free(struct vmt_hist *h);

#endif
