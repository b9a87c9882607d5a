// SPDX-License-Identifier: GPL-2.0
/* Guest text as valid output text (util/utf8.h). */
#include "util/utf8.h"

size_t util_utf8_len(const unsigned char *s)
{
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* Overlong 3-byte forms, surrogates, beyond U+10FFFF. */
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
		return 0;
	return n;
}

void util_json_escape(const char *s, void (*put)(void *arg, const char *p, size_t n),
		     void *arg)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s, *run = p;

	put(arg, "\"", 1);
	while (*p) {
		size_t n = util_utf8_len(p);
		char esc[6] = { '\\', 'u', '0', '0' };

		if (n && *p != '"' && *p != '\\' && *p >= 0x20 && *p != 0x7f && *p != '<' &&
		    *p != '>' && *p != '&') {
			p += n;		/* kept: part of the current run */
			continue;
		}
		if (p > run)
			put(arg, (const char *)run, (size_t)(p - run));
		if (!n) {
			put(arg, "\\ufffd", 6);
		} else if (*p == '"' || *p == '\\') {
			esc[1] = (char)*p;
			put(arg, esc, 2);
		} else {
			esc[4] = hex[*p >> 4];
			esc[5] = hex[*p & 15];
			put(arg, esc, 6);
		}
		run = ++p;
	}
	if (p > run)
		put(arg, (const char *)run, (size_t)(p - run));
	put(arg, "\"", 1);
}
