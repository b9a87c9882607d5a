/* SPDX-License-Identifier: GPL-2.0 */
/* zstd's size_t error codes as -errno, at the boundary of trace_*.c. */
#ifndef UTIL_ZSTD_ERRNO_H
#define UTIL_ZSTD_ERRNO_H

#include <errno.h>
#include <zstd.h>
#include <zstd_errors.h>

/* 0 if @ret is not an error, else the nearest -errno. */
static inline int util_zstd_errno(size_t ret)
{
	if (!ZSTD_isError(ret))
		return 0;
	switch (ZSTD_getErrorCode(ret)) {
	case ZSTD_error_memory_allocation:
		return -ENOMEM;
	case ZSTD_error_parameter_unsupported:
	case ZSTD_error_parameter_outOfBound:
		return -EINVAL;
	case ZSTD_error_dstSize_tooSmall:
		return -ENOBUFS;
	default:
		/* Unknown frame, corruption, wrong checksum, short input. */
		return -EBADMSG;
	}
}

#endif
