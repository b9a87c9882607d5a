/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Polling guest memory into timelines.
 *
 * Records are decoded some milliseconds after they were taken (the rings
 * are drained in batches), and by then a vCPU may run another thread.  A
 * poller thread reads a few 8-byte guest-physical words (the per-CPU
 * "current task" pointers) every interval and keeps, per word, a timeline
 * of the values it saw with the host TSC of the first and last poll that
 * saw each.  A record is then matched to the value current at its own
 * TSC, not at decode time.
 *
 * One producer (the poller thread), one consumer (the decoder); lock-free.
 * A timeline holds the last GUEST_POLL_RING changes; older ones are gone.
 */
#ifndef GUEST_POLL_H
#define GUEST_POLL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "client/client.h"

#define GUEST_POLL_MAX_WATCHES 256	/* words watched per poller */
#define GUEST_POLL_RING 16384		/* value changes kept per word: 16 s
					 * of a change every 1 ms poll */

struct guest_poll;

/* A value of a word, and the first and last polls (host TSC) that saw it. */
struct guest_poll_span {
	uint64_t value;
	uint64_t first_tsc, last_tsc;
};

/*
 * Start polling the memory of VMM @pid (memslots @slots) every
 * @interval_us.  0 or -errno (-ENOMEM, or pthread_create's).
 */
int guest_poll_start(pid_t pid, const struct client_memslot *slots, size_t nr,
		    unsigned int interval_us, struct guest_poll **out);
void guest_poll_stop(struct guest_poll *p);

/* Watch the word at @gpa: its index, or -ENOSPC. */
int guest_poll_watch(struct guest_poll *p, uint64_t gpa);

/*
 * Stop (@paused) or resume polling word @idx: its timeline ends (resumes)
 * there.  A poller with every word paused wakes ten times a second only.
 */
void guest_poll_pause(struct guest_poll *p, int idx, int paused);
int guest_poll_paused(struct guest_poll *p, int idx);

/*
 * What word @idx held at host TSC @tsc:
 *   2  within *before (polls saw before->value just before and after @tsc)
 *   1  between *before and *after (the value changed between two polls)
 *   0  only *before: no poll since @tsc yet
 *   -ENOENT  nothing known at @tsc (older than the timeline, or too new)
 */
int guest_poll_at(struct guest_poll *p, int idx, uint64_t tsc,
		 struct guest_poll_span *before, struct guest_poll_span *after);

/*
 * The value nearest in time to @tsc, among at most @max changes either
 * side, for which @want(@arg, value) is true: 0 and *value, or -ENOENT.
 * For when the poll at @tsc saw something the record rules out (the
 * poller missed a short run): the nearest value that fits is the best
 * guess.
 */
int guest_poll_nearest(struct guest_poll *p, int idx, uint64_t tsc, unsigned int max,
		      int (*want)(void *arg, uint64_t value), void *arg,
		      uint64_t *value);

/*
 * Wait until word @idx has been polled at or after @tsc, at most @max_us:
 * records are decoded right after they are drained, a poll interval may
 * not have passed yet.  0, or -ETIMEDOUT.
 */
int guest_poll_wait(struct guest_poll *p, int idx, uint64_t tsc, unsigned int max_us);

/* Polls done and reads that failed, over all words. */
void guest_poll_counts(struct guest_poll *p, uint64_t *polls, uint64_t *failed);

/* The host TSC, as the records carry it. */
uint64_t guest_poll_tsc(void);

#endif /* GUEST_POLL_H */
