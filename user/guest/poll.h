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
 * A timeline holds the last VMT_GPOLL_RING changes; older ones are gone.
 */
#ifndef VMT_GUEST_POLL_H
#define VMT_GUEST_POLL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "client/client.h"

#define VMT_GPOLL_MAX_WATCHES 256	/* words watched per poller */
#define VMT_GPOLL_RING 16384		/* value changes kept per word: 16 s
					 * of a change every 1 ms poll */

struct vmt_gpoll;

/* A value of a word, and the first and last polls (host TSC) that saw it. */
struct vmt_gpoll_span {
	uint64_t value;
	uint64_t first_tsc, last_tsc;
};

/*
 * Start polling the memory of VMM @pid (memslots @slots) every
 * @interval_us.  0 or -errno (-ENOMEM, or pthread_create's).
 */
int vmt_gpoll_start(pid_t pid, const struct vmt_memslot *slots, size_t nr,
		    unsigned int interval_us, struct vmt_gpoll **out);
void vmt_gpoll_stop(struct vmt_gpoll *p);

/* Watch the word at @gpa: its index, or -ENOSPC. */
int vmt_gpoll_watch(struct vmt_gpoll *p, uint64_t gpa);

/*
 * Stop (@paused) or resume polling word @idx: its timeline ends (resumes)
 * there.  A poller with every word paused wakes ten times a second only.
 */
void vmt_gpoll_pause(struct vmt_gpoll *p, int idx, int paused);
int vmt_gpoll_paused(struct vmt_gpoll *p, int idx);

/*
 * What word @idx held at host TSC @tsc:
 *   2  within *before (polls saw before->value just before and after @tsc)
 *   1  between *before and *after (the value changed between two polls)
 *   0  only *before: no poll since @tsc yet
 *   -ENOENT  nothing known at @tsc (older than the timeline, or too new)
 */
int vmt_gpoll_at(struct vmt_gpoll *p, int idx, uint64_t tsc,
		 struct vmt_gpoll_span *before, struct vmt_gpoll_span *after);

/*
 * The value nearest in time to @tsc, among at most @max changes either
 * side, for which @want(@arg, value) is true: 0 and *value, or -ENOENT.
 * For when the poll at @tsc saw something the record rules out (the
 * poller missed a short run): the nearest value that fits is the best
 * guess.
 */
int vmt_gpoll_nearest(struct vmt_gpoll *p, int idx, uint64_t tsc, unsigned int max,
		      int (*want)(void *arg, uint64_t value), void *arg,
		      uint64_t *value);

/*
 * Wait until word @idx has been polled at or after @tsc, at most @max_us:
 * records are decoded right after they are drained, a poll interval may
 * not have passed yet.  0, or -ETIMEDOUT.
 */
int vmt_gpoll_wait(struct vmt_gpoll *p, int idx, uint64_t tsc, unsigned int max_us);

/* Polls done and reads that failed, over all words. */
void vmt_gpoll_counts(struct vmt_gpoll *p, uint64_t *polls, uint64_t *failed);

/* The host TSC, as the records carry it. */
uint64_t vmt_gpoll_tsc(void);

#endif /* VMT_GUEST_POLL_H */
