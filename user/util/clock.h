/* SPDX-License-Identifier: GPL-2.0 */
/* The collector's clocks: CLOCK_MONOTONIC for intervals and deadlines (the
 * wall clock may jump), CLOCK_REALTIME only for what is shown as a date. */
#ifndef UTIL_CLOCK_H
#define UTIL_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t util_clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static inline uint64_t util_mono_ns(void)
{
	return util_clock_ns(CLOCK_MONOTONIC);
}

static inline int64_t util_mono_ms(void)
{
	return (int64_t)(util_mono_ns() / 1000000);
}

static inline double util_mono_s(void)
{
	return util_mono_ns() / 1e9;
}

#endif
