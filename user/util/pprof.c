// SPDX-License-Identifier: GPL-2.0
/* The pprof profile builder of util/pprof.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "util/outbuf.h"
#include "util/pprof.h"
#include "util/protobuf.h"
#include "util/strtab.h"

/* profile.proto's field numbers. */
enum {
	PROFILE_SAMPLE_TYPE = 1, PROFILE_SAMPLE = 2, PROFILE_LOCATION = 4,
	PROFILE_FUNCTION = 5, PROFILE_STRING_TABLE = 6, PROFILE_TIME_NANOS = 9,
	PROFILE_DURATION_NANOS = 10, PROFILE_PERIOD_TYPE = 11, PROFILE_PERIOD = 12,
	VALUE_TYPE_TYPE = 1, VALUE_TYPE_UNIT = 2,
	SAMPLE_LOCATION_ID = 1, SAMPLE_VALUE = 2, SAMPLE_LABEL = 3,
	LABEL_KEY = 1, LABEL_STR = 2, LABEL_NUM = 3, LABEL_NUM_UNIT = 4,
	LOCATION_ID = 1, LOCATION_LINE = 4,
	LINE_FUNCTION_ID = 1,
	FUNCTION_ID = 1, FUNCTION_NAME = 2, FUNCTION_SYSTEM_NAME = 3,
};

/*
 * A sample's identity as words: nr_locs, the location ids, then per label
 * key, str (string indexes), num, unit; its values beside.
 */
struct sample {
	uint64_t *key;
	size_t key_len;
	uint64_t hash;
	int64_t values[UTIL_PPROF_MAX_VALUES];
};

struct util_pprof {
	struct util_strtab strs;		/* the string table: number 0 is "" */
	uint64_t *loc_of_str;		/* frame name's index -> location id */
	size_t cap_loc_of_str;
	uint64_t *fn_of_loc;		/* location id - 1 -> its name's index */
	size_t nr_locs, cap_locs;
	struct sample *samples;
	size_t nr_samples, cap_samples;
	size_t *sample_slots;		/* hash table of index + 1 */
	size_t cap_sample_slots;
	uint64_t types[UTIL_PPROF_MAX_VALUES][2];
	size_t nr_types;
	uint64_t period_type[2];
	int64_t period, time_ns, duration_ns;
	int err;
};

static uint64_t hash_words(const uint64_t *w, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ w[i]) * 0x100000001b3ull;
	return h;
}

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t cap2 = *cap ? *cap : 64;
	void *np;

	if (need <= *cap)
		return 0;
	while (cap2 < need)
		cap2 *= 2;
	np = realloc(*p, cap2 * size);
	if (!np)
		return -ENOMEM;
	*p = np;
	*cap = cap2;
	return 0;
}

/* The string table's index of @s, added if new; 0 ("") on failure. */
static uint64_t str_index(struct util_pprof *p, const char *s)
{
	size_t index, cap = p->cap_loc_of_str;
	bool added;

	if (!s || !*s || p->err)
		return 0;
	if (util_strtab_add(&p->strs, s, &index, &added))
		goto oom;
	if (index >= cap) {
		if (grow((void **)&p->loc_of_str, &cap, index + 1, sizeof(uint64_t)))
			goto oom;
		memset(p->loc_of_str + p->cap_loc_of_str, 0,
		       (cap - p->cap_loc_of_str) * sizeof(uint64_t));
		p->cap_loc_of_str = cap;
	}
	return index;
oom:
	p->err = -ENOMEM;
	return 0;
}

int util_pprof_new(const char *const types[][2], size_t nr_types, const char *const period_type[2],
	      int64_t period, struct util_pprof **out)
{
	struct util_pprof *p;

	*out = NULL;
	if (!nr_types || nr_types > UTIL_PPROF_MAX_VALUES)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	{
		size_t zero;
		bool added;

		if (util_strtab_add(&p->strs, "", &zero, &added)) {
			util_pprof_free(p);
			return -ENOMEM;
		}
	}
	for (size_t i = 0; i < nr_types; i++) {
		p->types[i][0] = str_index(p, types[i][0]);
		p->types[i][1] = str_index(p, types[i][1]);
	}
	p->nr_types = nr_types;
	p->period_type[0] = str_index(p, period_type[0]);
	p->period_type[1] = str_index(p, period_type[1]);
	p->period = period;
	if (p->err) {
		util_pprof_free(p);
		return -ENOMEM;
	}
	*out = p;
	return 0;
}

void util_pprof_free(struct util_pprof *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nr_samples; i++)
		free(p->samples[i].key);
	util_strtab_free(&p->strs);
	free(p->loc_of_str);
	free(p->fn_of_loc);
	free(p->samples);
	free(p->sample_slots);
	free(p);
}

void util_pprof_set_time(struct util_pprof *p, int64_t time_ns, int64_t duration_ns)
{
	p->time_ns = time_ns;
	p->duration_ns = duration_ns;
}

uint64_t util_pprof_frame(struct util_pprof *p, const char *name)
{
	uint64_t s = str_index(p, name && *name ? name : "?");

	if (p->err)
		return 0;
	if (p->loc_of_str[s])
		return p->loc_of_str[s];
	if (grow((void **)&p->fn_of_loc, &p->cap_locs, p->nr_locs + 1, sizeof(uint64_t))) {
		p->err = -ENOMEM;
		return 0;
	}
	p->fn_of_loc[p->nr_locs++] = s;
	p->loc_of_str[s] = p->nr_locs;
	return p->nr_locs;
}

size_t util_pprof_nr_samples(const struct util_pprof *p)
{
	return p->nr_samples;
}

static int sample_slots_grow(struct util_pprof *p)
{
	size_t cap = p->cap_sample_slots ? 2 * p->cap_sample_slots : 256;
	size_t *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < p->nr_samples; i++) {
		size_t j = p->samples[i].hash & (cap - 1);

		while (slots[j])
			j = (j + 1) & (cap - 1);
		slots[j] = i + 1;
	}
	free(p->sample_slots);
	p->sample_slots = slots;
	p->cap_sample_slots = cap;
	return 0;
}

int util_pprof_add(struct util_pprof *p, const uint64_t *locs, size_t nr_locs,
	      const struct util_pprof_label *labels, size_t nr_labels, const int64_t *values)
{
	size_t len = 1 + nr_locs + 4 * nr_labels, i, j;
	uint64_t *key, hash;
	struct sample *s;

	if (p->err)
		return p->err;
	key = malloc(len * sizeof(*key));
	if (!key)
		return p->err = -ENOMEM;
	key[0] = nr_locs;
	memcpy(key + 1, locs, nr_locs * sizeof(*locs));
	for (i = 0, j = 1 + nr_locs; i < nr_labels; i++, j += 4) {
		key[j] = str_index(p, labels[i].key);
		key[j + 1] = labels[i].str ? str_index(p, labels[i].str) : 0;
		key[j + 2] = labels[i].str ? 0 : (uint64_t)labels[i].num;
		key[j + 3] = labels[i].str ? 0 : str_index(p, labels[i].unit);
	}
	if (p->err || (2 * (p->nr_samples + 1) > p->cap_sample_slots && sample_slots_grow(p)))
		goto oom;
	hash = hash_words(key, len);
	for (i = hash & (p->cap_sample_slots - 1); p->sample_slots[i];
	     i = (i + 1) & (p->cap_sample_slots - 1)) {
		s = &p->samples[p->sample_slots[i] - 1];
		if (s->hash == hash && s->key_len == len &&
		    !memcmp(s->key, key, len * sizeof(*key))) {
			free(key);
			for (j = 0; j < p->nr_types; j++)
				s->values[j] += values[j];
			return 0;
		}
	}
	if (grow((void **)&p->samples, &p->cap_samples, p->nr_samples + 1, sizeof(*p->samples)))
		goto oom;
	s = &p->samples[p->nr_samples];
	memset(s, 0, sizeof(*s));
	s->key = key;
	s->key_len = len;
	s->hash = hash;
	for (j = 0; j < p->nr_types; j++)
		s->values[j] = values[j];
	p->sample_slots[i] = ++p->nr_samples;
	return 0;
oom:
	free(key);
	return p->err = -ENOMEM;
}

static void value_type(struct util_pb_buf *b, uint32_t field, const uint64_t type[2],
		       struct util_pb_buf *tmp)
{
	util_pb_reset(tmp);
	util_pb_uint_nz(tmp, VALUE_TYPE_TYPE, type[0]);
	util_pb_uint_nz(tmp, VALUE_TYPE_UNIT, type[1]);
	util_pb_message(b, field, tmp);
}

static void encode_sample(struct util_pb_buf *b, const struct util_pprof *p, const struct sample *s,
			  struct util_pb_buf *msg, struct util_pb_buf *label)
{
	uint64_t v[UTIL_PPROF_MAX_VALUES];
	size_t nr_locs = s->key[0], i;

	util_pb_reset(msg);
	util_pb_packed(msg, SAMPLE_LOCATION_ID, s->key + 1, nr_locs);
	for (i = 0; i < p->nr_types; i++)
		v[i] = (uint64_t)s->values[i];
	util_pb_packed(msg, SAMPLE_VALUE, v, p->nr_types);
	for (i = 1 + nr_locs; i + 4 <= s->key_len; i += 4) {
		util_pb_reset(label);
		util_pb_uint_nz(label, LABEL_KEY, s->key[i]);
		util_pb_uint_nz(label, LABEL_STR, s->key[i + 1]);
		util_pb_uint_nz(label, LABEL_NUM, s->key[i + 2]);
		util_pb_uint_nz(label, LABEL_NUM_UNIT, s->key[i + 3]);
		util_pb_message(msg, SAMPLE_LABEL, label);
	}
	util_pb_message(b, PROFILE_SAMPLE, msg);
}

static void encode(const struct util_pprof *p, struct util_pb_buf *b)
{
	struct util_pb_buf msg, sub;
	size_t i;

	util_pb_init(&msg);
	util_pb_init(&sub);
	for (i = 0; i < p->nr_types; i++)
		value_type(b, PROFILE_SAMPLE_TYPE, p->types[i], &msg);
	for (i = 0; i < p->nr_samples; i++)
		encode_sample(b, p, &p->samples[i], &msg, &sub);
	for (i = 0; i < p->nr_locs; i++) {
		util_pb_reset(&sub);
		util_pb_uint(&sub, LINE_FUNCTION_ID, i + 1);
		util_pb_reset(&msg);
		util_pb_uint(&msg, LOCATION_ID, i + 1);
		util_pb_message(&msg, LOCATION_LINE, &sub);
		util_pb_message(b, PROFILE_LOCATION, &msg);
	}
	/* Function i + 1 is location i + 1's, named as the frame. */
	for (i = 0; i < p->nr_locs; i++) {
		util_pb_reset(&msg);
		util_pb_uint(&msg, FUNCTION_ID, i + 1);
		util_pb_uint(&msg, FUNCTION_NAME, p->fn_of_loc[i]);
		util_pb_uint(&msg, FUNCTION_SYSTEM_NAME, p->fn_of_loc[i]);
		util_pb_message(b, PROFILE_FUNCTION, &msg);
	}
	for (i = 0; i < p->strs.nr; i++)
		util_pb_string(b, PROFILE_STRING_TABLE, p->strs.strs[i]);
	util_pb_uint_nz(b, PROFILE_TIME_NANOS, (uint64_t)p->time_ns);
	util_pb_uint_nz(b, PROFILE_DURATION_NANOS, (uint64_t)p->duration_ns);
	value_type(b, PROFILE_PERIOD_TYPE, p->period_type, &msg);
	util_pb_uint_nz(b, PROFILE_PERIOD, (uint64_t)p->period);
	util_pb_free(&msg);
	util_pb_free(&sub);
}

int util_pprof_write(struct util_pprof *p, struct util_outbuf *o)
{
	unsigned char chunk[16384];
	struct util_pb_buf b;
	z_stream z;
	int zerr, err = 0;

	if (p->err)
		return p->err;
	util_pb_init(&b);
	encode(p, &b);
	err = util_pb_error(&b);
	if (err) {
		util_pb_free(&b);
		return err;
	}
	memset(&z, 0, sizeof(z));
	/* 15 + 16: a gzip wrapper, as pprof files have. */
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK) {
		util_pb_free(&b);
		return -ENOMEM;
	}
	z.next_in = b.data;
	z.avail_in = b.len;
	do {
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		zerr = deflate(&z, Z_FINISH);
		if (zerr == Z_STREAM_ERROR) {
			err = -EIO;
			break;
		}
		util_out_mem(o, (const char *)chunk, sizeof(chunk) - z.avail_out);
	} while (zerr != Z_STREAM_END);
	deflateEnd(&z);
	util_pb_free(&b);
	return err;
}
