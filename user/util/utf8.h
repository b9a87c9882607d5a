/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest text as valid output text.  Guest strings (process names,
 * symbols, VM names) are bytes that are UTF-8 more often than not: valid
 * UTF-8 is kept as it is, so "café" stays "café", and what is not valid
 * becomes U+FFFD, so every JSON and Prometheus output stays valid.
 */
#ifndef UTIL_UTF8_H
#define UTIL_UTF8_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence at @s (1..4), 0 if it is not one
 * (overlong forms, surrogates and code points beyond U+10FFFF are not). */
size_t util_utf8_len(const unsigned char *s);

/*
 * @s as a JSON string, quotes included, handed to @put in pieces: '"' and
 * '\' escaped, control characters, DEL and '<', '>', '&' as \u00XX (the
 * JSON may sit inside an HTML script element), invalid UTF-8 bytes as
 * \ufffd, one each.  The one JSON string writer of the collector.
 */
void util_json_escape(const char *s, void (*put)(void *arg, const char *p, size_t n),
		     void *arg);

#endif
