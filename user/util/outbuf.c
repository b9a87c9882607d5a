// SPDX-License-Identifier: GPL-2.0
/* The out-of-line parts of util/outbuf.h. */
#include <errno.h>
#include "util/outbuf.h"
#include "util/utf8.h"

void util_outbuf_init(struct util_outbuf *o, FILE *f)
{
	o->f = f;
	o->len = 0;
	o->err = 0;
}

void util_outbuf_drain(struct util_outbuf *o)
{
	if (o->len && !o->err && fwrite(o->buf, 1, o->len, o->f) != o->len)
		o->err = errno ? -errno : -EIO;
	o->len = 0;
}

int util_outbuf_finish(struct util_outbuf *o)
{
	util_outbuf_drain(o);
	if (!o->err && fflush(o->f))
		o->err = -errno;
	return o->err;
}

void util_out_csv_str(struct util_outbuf *o, const char *s)
{
	if (!s[strcspn(s, ",\"\r\n")]) {
		util_out_str(o, s);
		return;
	}
	util_out_char(o, '"');
	for (; *s; s++) {
		if (*s == '"')
			util_out_char(o, '"');
		util_out_char(o, *s);
	}
	util_out_char(o, '"');
}

static void put_out(void *arg, const char *p, size_t n)
{
	util_out_mem(arg, p, n);
}

void util_out_json_str(struct util_outbuf *o, const char *s)
{
	util_json_escape(s, put_out, o);
}
