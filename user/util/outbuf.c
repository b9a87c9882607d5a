// SPDX-License-Identifier: GPL-2.0
/* The out-of-line parts of util/outbuf.h. */
#include <errno.h>
#include "util/outbuf.h"
#include "util/utf8.h"

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

static void put_out(void *arg, const char *p, size_t n)
{
	out_mem(arg, p, n);
}

void out_json_str(struct outbuf *o, const char *s)
{
	vmt_json_escape(s, put_out, o);
}
