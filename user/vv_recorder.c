// SPDX-License-Identifier: GPL-2.0
/* Interval metrics next to a recording (vv_recorder.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "vv_file.h"
#include "vv_recorder.h"

struct vv_recorder {
	struct vv_sampler *s;
	struct bl_state *bl;
	FILE *f;
	uint64_t interval_ns, next_ns;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int vv_recorder_open(const struct vvs_opts *opts, const struct bl_config *baseline,
		     double interval_s, const char *path, struct vv_recorder **out)
{
	struct vv_recorder *r = calloc(1, sizeof(*r));
	struct vvs_opts o = *opts;
	int err;

	if (!r)
		return -ENOMEM;
	if (interval_s < 0.1) {
		err = -EINVAL;
		goto fail;
	}
	o.no_session = true;
	err = vvs_open(&o, &r->s);
	if (err)
		goto fail;
	err = bl_new(baseline, &r->bl);
	if (err)
		goto fail;
	r->f = fopen(path, "we");
	if (!r->f) {
		err = -errno;
		goto fail;
	}
	err = vv_file_write_header(r->f);
	if (err)
		goto fail;
	r->interval_ns = (uint64_t)(interval_s * 1e9);
	/* The first snapshot, now: it has no rates, it starts them. */
	r->next_ns = now_ns();
	err = vv_recorder_poll(r);
	if (err)
		goto fail;
	*out = r;
	return 0;
fail:
	if (r->f)
		fclose(r->f);
	bl_free(r->bl);
	vvs_close(r->s);
	free(r);
	return err;
}

void vv_recorder_feed(struct vv_recorder *r, const struct vmtrace_record *recs, size_t n)
{
	vvs_feed(r->s, recs, n);
}

static int take(struct vv_recorder *r)
{
	struct vv_snapshot snap;
	int err = vvs_snapshot(r->s, &snap);

	if (err)
		return err;
	bl_update(r->bl, &snap);
	if (snap.interval_s > 0)
		err = vv_file_write(r->f, &snap);
	vv_snapshot_free(&snap);
	return err;
}

int vv_recorder_poll(struct vv_recorder *r)
{
	uint64_t now = now_ns();

	if (now < r->next_ns)
		return 0;
	r->next_ns += r->interval_ns;
	if (r->next_ns <= now)
		r->next_ns = now + r->interval_ns;
	return take(r);
}

int vv_recorder_close(struct vv_recorder *r)
{
	int err = take(r);

	if (fclose(r->f) && !err)
		err = -EIO;
	bl_free(r->bl);
	vvs_close(r->s);
	free(r);
	return err;
}
