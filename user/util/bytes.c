// SPDX-License-Identifier: GPL-2.0
/* The out-of-line parts of util/bytes.h: growth and the rarer readers. */
#include <stdlib.h>
#include "util/bytes.h"

bool util_buf_reserve(struct util_buf *b, size_t extra)
{
	size_t cap = b->cap ? b->cap : 256;
	uint8_t *data;

	if (b->oom)
		return false;
	if (b->cap - b->len >= extra)
		return true;
	while (cap - b->len < extra) {
		if (cap > SIZE_MAX / 2)
			goto oom;
		cap *= 2;
	}
	data = realloc(b->data, cap);
	if (!data)
		goto oom;
	b->data = data;
	b->cap = cap;
	return true;
oom:
	b->oom = true;
	return false;
}

void util_buf_free(struct util_buf *b)
{
	free(b->data);
	*b = (struct util_buf){ 0 };
}

void util_get_str(struct util_cursor *c, char *out, size_t size)
{
	uint64_t n = util_get_varint(c);
	size_t keep;

	out[0] = '\0';
	if (c->bad || n > util_cursor_left(c)) {
		c->bad = true;
		return;
	}
	if (memchr(c->p, '\0', n)) {
		c->bad = true;
		return;
	}
	keep = n < size - 1 ? n : size - 1;
	memcpy(out, c->p, keep);
	out[keep] = '\0';
	c->p += n;
}

struct util_cursor util_get_sub(struct util_cursor *c, size_t n)
{
	struct util_cursor sub = { .p = c->p, .end = c->p };

	if (n > util_cursor_left(c)) {
		c->bad = true;
		sub.bad = true;
		return sub;
	}
	sub.end = c->p + n;
	c->p += n;
	return sub;
}
