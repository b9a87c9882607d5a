/* SPDX-License-Identifier: GPL-2.0 */
/* Strict parsers for command-line values: 0, or -EINVAL/-ERANGE. */
#ifndef UTIL_OPTIONS_H
#define UTIL_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

int util_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* "64k", "2M", "1G" or plain bytes. */
int util_parse_size(const char *s, uint64_t *out);
/* Non-negative seconds, fractions allowed. */
int util_parse_seconds(const char *s, double *out);
/* "1,0x7b,120": at most @max values. */
int util_parse_u32_list(const char *s, uint32_t *out, uint32_t max, uint32_t *nr);

#endif
