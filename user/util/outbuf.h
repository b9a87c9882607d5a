/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Buffered text output for the subcommands that print millions of lines
 * (script, export): numbers formatted by hand, no printf in the loop.
 * Errors are sticky and reported by util_outbuf_finish().
 */
#ifndef UTIL_OUTBUF_H
#define UTIL_OUTBUF_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define UTIL_OUTBUF_SIZE (256U << 10)

struct util_outbuf {
	FILE *f;
	size_t len;
	int err;			/* -errno of the first failed write */
	char buf[UTIL_OUTBUF_SIZE];
};

void util_outbuf_init(struct util_outbuf *o, FILE *f);
void util_outbuf_drain(struct util_outbuf *o);
/* Write out what is buffered and fflush: 0 or -errno. */
int util_outbuf_finish(struct util_outbuf *o);

/* Room for @n more bytes (n <= UTIL_OUTBUF_SIZE). */
static inline char *util_outbuf_room(struct util_outbuf *o, size_t n)
{
	if (UTIL_OUTBUF_SIZE - o->len < n)
		util_outbuf_drain(o);
	return o->buf + o->len;
}

static inline void util_out_char(struct util_outbuf *o, char c)
{
	*util_outbuf_room(o, 1) = c;
	o->len++;
}

static inline void util_out_mem(struct util_outbuf *o, const char *s, size_t n)
{
	while (n > UTIL_OUTBUF_SIZE / 2) {
		util_out_mem(o, s, UTIL_OUTBUF_SIZE / 2);
		s += UTIL_OUTBUF_SIZE / 2;
		n -= UTIL_OUTBUF_SIZE / 2;
	}
	memcpy(util_outbuf_room(o, n), s, n);
	o->len += n;
}

static inline void util_out_str(struct util_outbuf *o, const char *s)
{
	util_out_mem(o, s, strlen(s));
}

static inline void util_out_u64(struct util_outbuf *o, uint64_t v)
{
	char tmp[20], *p = tmp + sizeof(tmp);

	do {
		*--p = '0' + v % 10;
		v /= 10;
	} while (v);
	util_out_mem(o, p, tmp + sizeof(tmp) - p);
}

/* "0x" and lowercase hex digits, no padding. */
static inline void util_out_hex(struct util_outbuf *o, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[18], *p = tmp + sizeof(tmp);

	do {
		*--p = digits[v & 15];
		v >>= 4;
	} while (v);
	*--p = 'x';
	*--p = '0';
	util_out_mem(o, p, tmp + sizeof(tmp) - p);
}

/* ,"key": */
static inline void util_out_json_key(struct util_outbuf *o, const char *key)
{
	util_out_str(o, ",\"");
	util_out_str(o, key);
	util_out_str(o, "\":");
}

/* A CSV field: quoted (RFC 4180) if it holds a comma, quote or newline. */
void util_out_csv_str(struct util_outbuf *o, const char *s);
/* A JSON string, quotes included. */
void util_out_json_str(struct util_outbuf *o, const char *s);

#endif
