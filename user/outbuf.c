// SPDX-License-Identifier: GPL-2.0
/* The out-of-line parts of outbuf.h. */
#include <errno.h>
#include "outbuf.h"

void outbuf_init(struct outbuf *o, FILE *f)
{
	o->f = f;
	o->len = 0;
	o->err = 0;
}

void outbuf_drain(struct outbuf *o)
{
	if (o->len && !o->err && fwrite(o->buf, 1, o->len, o->f) != o->len)
		o->err = errno ? -errno : -EIO;
	o->len = 0;
}

int outbuf_finish(struct outbuf *o)
{
	outbuf_drain(o);
	if (!o->err && fflush(o->f))
		o->err = -errno;
	return o->err;
}

void out_csv_str(struct outbuf *o, const char *s)
{
	if (!s[strcspn(s, ",\"\r\n")]) {
		out_str(o, s);
		return;
	}
	out_char(o, '"');
	for (; *s; s++) {
		if (*s == '"')
			out_char(o, '"');
		out_char(o, *s);
	}
	out_char(o, '"');
}

void out_json_str(struct outbuf *o, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	out_char(o, '"');
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\') {
			out_char(o, '\\');
			out_char(o, c);
		} else if (c < 0x20 || c == 0x7f || c >= 0x80) {
			/* Guest strings are bytes, not UTF-8: escape the rest
			 * so the output is always valid JSON (as Latin-1). */
			out_mem(o, "\\u00", 4);
			out_char(o, hex[c >> 4]);
			out_char(o, hex[c & 15]);
		} else {
			out_char(o, c);
		}
	}
	out_char(o, '"');
}
