// SPDX-License-Identifier: GPL-2.0
/*
 * Interval metrics inside a recording (view/metrics_recorder.h).
 *
 * A snapshot reads /proc and, through the guest decoders, guest memory:
 * milliseconds to a few hundred of them, and seconds for the first one,
 * which opens the decoders.  The drain loop must not wait that long (the
 * rings fill meanwhile), so the sampler belongs to a thread of its own:
 * the drain loop only copies the records the metrics count into a bounded
 * queue (feed), and picks up finished snapshots to flag and write (poll).
 * The trace writer and the recording's scope stay on the drain loop's
 * thread.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "util/clock.h"
#include "view/metrics_recorder.h"

/* Records waiting for the sampling thread: 4 MiB.  More are counted as
 * not fed (view_recorder_stats.unfed), never waited for. */
#define QUEUE_RECORDS 65536
/* Finished snapshots waiting for the drain loop. */
#define DONE_MAX 16

struct view_recorder {
	/* The drain loop's. */
	struct trace_writer *w;
	struct view_baseline_state *bl;
	view_recorder_keep_fn keep;
	void *keep_arg;
	pthread_t thread;
	bool thread_started;

	/* The sampling thread's. */
	struct view_sampler *s;
	struct vmtrace_record *batch;	/* swapped with queue under lock */
	uint64_t interval_ns;

	/* Shared, under lock. */
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct vmtrace_record *queue;
	size_t queued;
	bool counting;			/* rates started: records are queued */
	bool stop;
	struct trace_snapshot done[DONE_MAX];
	size_t nr_done;
	struct view_recorder_stats st;	/* failed/first_error/slowest/unfed */
};

static void count_failure(struct view_recorder_stats *st, int err)
{
	st->failed++;
	if (!st->first_error)
		st->first_error = err;
}

/* Drop the VMs the recording does not keep (drain loop). */
static void keep_vms(struct view_recorder *r, struct trace_snapshot *snap)
{
	size_t i, n = 0;

	if (!r->keep)
		return;
	for (i = 0; i < snap->nr_vms; i++) {
		if (r->keep(r->keep_arg, &snap->vms[i]))
			snap->vms[n++] = snap->vms[i];
		else
			free(snap->vms[i].procs);
	}
	snap->nr_vms = n;
}

/* Sampling thread: take one snapshot and hand it over (@keep) or not. */
static void take(struct view_recorder *r, bool keep)
{
	uint64_t start = util_mono_ns(), took;
	struct trace_snapshot snap;
	int err = view_sampler_snapshot(r->s, &snap);

	took = util_mono_ns() - start;
	pthread_mutex_lock(&r->lock);
	if (err) {
		count_failure(&r->st, err);
	} else if (!keep) {
		trace_snapshot_free(&snap);
	} else if (r->nr_done == DONE_MAX) {
		/* The drain loop is not picking them up: counted, not kept. */
		count_failure(&r->st, -ENOBUFS);
		trace_snapshot_free(&snap);
	} else {
		r->done[r->nr_done++] = snap;
	}
	if (keep && took > r->st.slowest_ns)
		r->st.slowest_ns = took;
	pthread_mutex_unlock(&r->lock);
}

/* Sampling thread: count the queued records into the sampler. */
static void feed_queued(struct view_recorder *r)
{
	struct vmtrace_record *recs;
	size_t n;

	pthread_mutex_lock(&r->lock);
	recs = r->queue;
	n = r->queued;
	r->queue = r->batch;
	r->queued = 0;
	pthread_mutex_unlock(&r->lock);
	r->batch = recs;
	if (n)
		view_sampler_feed(r->s, recs, n);
}

/* Sleep until @deadline or a stop; true if asked to stop. */
static bool wait_until(struct view_recorder *r, uint64_t deadline)
{
	struct timespec ts;
	bool stop;

	pthread_mutex_lock(&r->lock);
	while (!r->stop) {
		uint64_t now = util_mono_ns();
		uint64_t left = deadline > now ? deadline - now : 0;
		/* Feed at least every 100 ms: the queue is bounded. */
		uint64_t nap = left < 100000000ULL ? left : 100000000ULL;

		if (!left)
			break;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += (time_t)((ts.tv_nsec + nap) / 1000000000ULL);
		ts.tv_nsec = (long)((ts.tv_nsec + nap) % 1000000000ULL);
		pthread_cond_timedwait(&r->wake, &r->lock, &ts);
		if (r->queued) {
			pthread_mutex_unlock(&r->lock);
			feed_queued(r);
			pthread_mutex_lock(&r->lock);
		}
	}
	stop = r->stop;
	pthread_mutex_unlock(&r->lock);
	return stop;
}

static void *sampling_thread(void *arg)
{
	struct view_recorder *r = arg;
	uint64_t next;

	/* The first snapshot opens the guest decoders (seconds under
	 * emulation) and has no rates; the second, right after, starts the
	 * rates, so the first interval kept holds no time spent opening. */
	take(r, false);
	take(r, false);
	pthread_mutex_lock(&r->lock);
	r->counting = true;
	pthread_mutex_unlock(&r->lock);
	next = util_mono_ns() + r->interval_ns;
	for (;;) {
		bool stop = wait_until(r, next);

		feed_queued(r);
		/* The last snapshot, at the stop: the end of the recording. */
		take(r, true);
		if (stop)
			break;
		next += r->interval_ns;
		if (next <= util_mono_ns())
			next = util_mono_ns() + r->interval_ns;
	}
	return NULL;
}

int view_recorder_open(const struct view_sampler_opts *opts, const struct view_baseline_config *baseline,
		     double interval_s, struct trace_writer *w,
		     view_recorder_keep_fn keep, void *keep_arg, struct view_recorder **out)
{
	struct view_recorder *r = calloc(1, sizeof(*r));
	struct view_sampler_opts o = *opts;
	pthread_condattr_t attr;
	int err;

	if (!r)
		return -ENOMEM;
	pthread_mutex_init(&r->lock, NULL);
	/* Deadlines are CLOCK_MONOTONIC: the wall clock may jump. */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&r->wake, &attr);
	pthread_condattr_destroy(&attr);
	if (interval_s < 0.1) {
		err = -EINVAL;
		goto fail;
	}
	r->queue = malloc(QUEUE_RECORDS * sizeof(*r->queue));
	r->batch = malloc(QUEUE_RECORDS * sizeof(*r->batch));
	if (!r->queue || !r->batch) {
		err = -ENOMEM;
		goto fail;
	}
	o.no_session = true;
	err = view_sampler_open(&o, &r->s);
	if (err)
		goto fail;
	err = view_baseline_new(baseline, &r->bl);
	if (err)
		goto fail;
	r->w = w;
	r->keep = keep;
	r->keep_arg = keep_arg;
	r->interval_ns = (uint64_t)(interval_s * 1e9);
	err = -pthread_create(&r->thread, NULL, sampling_thread, r);
	if (err)
		goto fail;
	r->thread_started = true;
	*out = r;
	return 0;
fail:
	view_baseline_free(r->bl);
	view_sampler_close(r->s);
	free(r->queue);
	free(r->batch);
	pthread_cond_destroy(&r->wake);
	pthread_mutex_destroy(&r->lock);
	free(r);
	return err;
}

void view_recorder_feed(struct view_recorder *r, const struct vmtrace_record *recs, size_t n)
{
	size_t i;

	pthread_mutex_lock(&r->lock);
	if (r->counting) {
		/* Only what the metrics count: exits and guest samples. */
		for (i = 0; i < n; i++) {
			const struct vmtrace_record *rec = &recs[i];

			if (rec->kind != VMTRACE_KIND_EXIT &&
			    (rec->kind != VMTRACE_KIND_SAMPLE || (rec->flags & VMTRACE_REC_F_HOST)))
				continue;
			if (r->queued == QUEUE_RECORDS) {
				r->st.unfed++;
				continue;
			}
			r->queue[r->queued++] = *rec;
		}
		if (r->queued > QUEUE_RECORDS / 2)
			pthread_cond_signal(&r->wake);
	}
	pthread_mutex_unlock(&r->lock);
}

/* Flag and write the finished snapshots (drain loop). */
static void write_done(struct view_recorder *r)
{
	struct trace_snapshot done[DONE_MAX];
	size_t i, n;
	int err;

	pthread_mutex_lock(&r->lock);
	n = r->nr_done;
	memcpy(done, r->done, n * sizeof(done[0]));
	r->nr_done = 0;
	pthread_mutex_unlock(&r->lock);
	for (i = 0; i < n; i++) {
		keep_vms(r, &done[i]);
		err = view_baseline_update(r->bl, &done[i]);
		if (!err)
			err = trace_write_metrics(r->w, &done[i]);

		trace_snapshot_free(&done[i]);
		pthread_mutex_lock(&r->lock);
		if (err)
			count_failure(&r->st, err);
		else
			r->st.written++;
		pthread_mutex_unlock(&r->lock);
	}
}

void view_recorder_poll(struct view_recorder *r)
{
	write_done(r);
}

void view_recorder_close(struct view_recorder *r, struct view_recorder_stats *st)
{
	if (r->thread_started) {
		pthread_mutex_lock(&r->lock);
		r->stop = true;
		pthread_cond_signal(&r->wake);
		pthread_mutex_unlock(&r->lock);
		pthread_join(r->thread, NULL);
	}
	/* The thread has ended: this writes every snapshot it left. */
	write_done(r);
	if (st)
		*st = r->st;
	view_baseline_free(r->bl);
	view_sampler_close(r->s);
	free(r->queue);
	free(r->batch);
	pthread_cond_destroy(&r->wake);
	pthread_mutex_destroy(&r->lock);
	free(r);
}
