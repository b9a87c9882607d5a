/* SPDX-License-Identifier: GPL-2.0 */
/* CRC-32 (IEEE 802.3, the zlib/gzip one): guards the trace file's headers. */
#ifndef UTIL_CRC32_H
#define UTIL_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* crc32(0, p, n) of a whole buffer; pass a previous result to continue. */
uint32_t util_crc32(uint32_t crc, const void *p, size_t n);

#endif
