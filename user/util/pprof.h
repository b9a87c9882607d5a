/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A pprof profile (github.com/google/pprof, proto/profile.proto) built
 * sample by sample and written gzip'd, as `go tool pprof`, Grafana
 * Pyroscope and Parca read it.  Each frame is a function of its own name
 * with one location (no addresses, no mappings: the names are the
 * symbols); samples with the same frames and labels are added together.
 */
#ifndef UTIL_PPROF_H
#define UTIL_PPROF_H

#include <stddef.h>
#include <stdint.h>

struct util_outbuf;
struct util_pprof;

#define UTIL_PPROF_MAX_VALUES 4

/* A label: a string one (@str) or a number with an optional unit. */
struct util_pprof_label {
	const char *key;
	const char *str;		/* NULL: a number */
	int64_t num;
	const char *unit;		/* of num; NULL: none */
};

/*
 * A new profile whose samples carry @nr_types values of the types
 * @types[i][0] in units @types[i][1] (e.g. "samples","count"), each
 * sample standing for @period of @period_type (e.g. "cpu","nanoseconds").
 * 0 or -ENOMEM/-EINVAL.
 */
int util_pprof_new(const char *const types[][2], size_t nr_types, const char *const period_type[2],
	      int64_t period, struct util_pprof **out);
void util_pprof_free(struct util_pprof *p);
/* When the profile starts (Unix ns) and how long it lasts. */
void util_pprof_set_time(struct util_pprof *p, int64_t time_ns, int64_t duration_ns);

/* The location of the frame named @name (made once): an id, 0 if out of memory. */
uint64_t util_pprof_frame(struct util_pprof *p, const char *name);
/*
 * Add @values to the sample of frames @locs (leaf first, as pprof orders
 * them) and @labels, made if new.  0 or -ENOMEM.
 */
int util_pprof_add(struct util_pprof *p, const uint64_t *locs, size_t nr_locs,
	      const struct util_pprof_label *labels, size_t nr_labels, const int64_t *values);
size_t util_pprof_nr_samples(const struct util_pprof *p);

/* The profile, gzip'd, to @o.  0 or -ENOMEM/-EIO (zlib). */
int util_pprof_write(struct util_pprof *p, struct util_outbuf *o);

#endif
