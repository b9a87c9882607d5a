/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Buffered text output for the subcommands that print millions of lines
 * (script, export): numbers formatted by hand, no printf in the loop.
 * Errors are sticky and reported by outbuf_finish().
 */
#ifndef VMT_OUTBUF_H
#define VMT_OUTBUF_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define OUTBUF_SIZE (256U << 10)

struct outbuf {
	FILE *f;
	size_t len;
	int err;			/* -errno of the first failed write */
	char buf[OUTBUF_SIZE];
};

void outbuf_init(struct outbuf *o, FILE *f);
void outbuf_drain(struct outbuf *o);
/* Write out what is buffered and fflush: 0 or -errno. */
int outbuf_finish(struct outbuf *o);

/* Room for @n more bytes (n <= OUTBUF_SIZE). */
static inline char *outbuf_room(struct outbuf *o, size_t n)
{
	if (OUTBUF_SIZE - o->len < n)
		outbuf_drain(o);
	return o->buf + o->len;
}

static inline void out_char(struct outbuf *o, char c)
{
	*outbuf_room(o, 1) = c;
	o->len++;
}

static inline void out_mem(struct outbuf *o, const char *s, size_t n)
{
	while (n > OUTBUF_SIZE / 2) {
		out_mem(o, s, OUTBUF_SIZE / 2);
		s += OUTBUF_SIZE / 2;
		n -= OUTBUF_SIZE / 2;
	}
	memcpy(outbuf_room(o, n), s, n);
	o->len += n;
}

static inline void out_str(struct outbuf *o, const char *s)
{
	out_mem(o, s, strlen(s));
}

static inline void out_u64(struct outbuf *o, uint64_t v)
{
	char tmp[20], *p = tmp + sizeof(tmp);

	do {
		*--p = '0' + v % 10;
		v /= 10;
	} while (v);
	out_mem(o, p, tmp + sizeof(tmp) - p);
}

/* "0x" and lowercase hex digits, no padding. */
static inline void out_hex(struct outbuf *o, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[18], *p = tmp + sizeof(tmp);

	do {
		*--p = digits[v & 15];
		v >>= 4;
	} while (v);
	*--p = 'x';
	*--p = '0';
	out_mem(o, p, tmp + sizeof(tmp) - p);
}

/* ,"key": */
static inline void out_json_key(struct outbuf *o, const char *key)
{
	out_str(o, ",\"");
	out_str(o, key);
	out_str(o, "\":");
}

/* A CSV field: quoted (RFC 4180) if it holds a comma, quote or newline. */
void out_csv_str(struct outbuf *o, const char *s);
/* A JSON string, quotes included. */
void out_json_str(struct outbuf *o, const char *s);

#endif
