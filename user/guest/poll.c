// SPDX-License-Identifier: GPL-2.0
/* Polling guest memory into timelines: see guest/poll.h. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>
#include "guest/mem.h"
#include "guest/poll.h"

/* The newest entries a reader never uses: the poller may be writing them
 * over the oldest while the reader searches. */
#define RING_MARGIN 64
/* How often a poller with nothing to poll looks again. */
#define IDLE_NS 100000000L

struct entry {
	uint64_t first_tsc;
	uint64_t last_tsc;	/* atomic: the poller extends it */
	uint64_t value;
};

struct watch {
	uint64_t gpa;
	int paused;		/* atomic: not polled */
	uint64_t head;		/* atomic: entries ever written */
	struct entry ring[GUEST_POLL_RING];
};

struct guest_poll {
	pthread_t thread;
	struct guest_mem *mem;	/* the poller thread's own */
	unsigned int interval_us;
	int stop;		/* atomic */
	int nr;			/* atomic: watches published */
	struct watch *w[GUEST_POLL_MAX_WATCHES];
	uint64_t polls, failed;	/* atomic */
};

uint64_t guest_poll_tsc(void)
{
	return __rdtsc();
}

/* One round over the watches; how many were polled. */
static int poll_once(struct guest_poll *p)
{
	int i, n = __atomic_load_n(&p->nr, __ATOMIC_ACQUIRE), polled = 0;
	struct entry *e;
	uint64_t tsc, v, h;

	for (i = 0; i < n; i++) {
		struct watch *w = p->w[i];

		if (__atomic_load_n(&w->paused, __ATOMIC_RELAXED))
			continue;
		polled++;
		tsc = __rdtsc();
		if (guest_mem_read_u64(p->mem, w->gpa, &v)) {
			__atomic_add_fetch(&p->failed, 1, __ATOMIC_RELAXED);
			continue;
		}
		h = w->head;	/* only this thread writes it */
		e = &w->ring[(h - 1) % GUEST_POLL_RING];
		if (h && e->value == v) {
			__atomic_store_n(&e->last_tsc, tsc, __ATOMIC_RELEASE);
			continue;
		}
		e = &w->ring[h % GUEST_POLL_RING];
		e->first_tsc = tsc;
		e->value = v;
		__atomic_store_n(&e->last_tsc, tsc, __ATOMIC_RELAXED);
		__atomic_store_n(&w->head, h + 1, __ATOMIC_RELEASE);
	}
	if (polled)
		__atomic_add_fetch(&p->polls, 1, __ATOMIC_RELAXED);
	return polled;
}

static void *poller(void *arg)
{
	struct guest_poll *p = arg;
	struct timespec next, step = { .tv_nsec = p->interval_us * 1000L };

	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE)) {
		/* Every word paused: look again in IDLE_NS, not at every
		 * interval.  (With none watched yet, the first may come any
		 * moment: the interval.) */
		long ns = poll_once(p) || !__atomic_load_n(&p->nr, __ATOMIC_ACQUIRE) ?
			  step.tv_nsec : IDLE_NS;

		/* Absolute deadlines: the interval does not drift with the work. */
		next.tv_nsec += ns;
		while (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	return NULL;
}

int guest_poll_start(pid_t pid, const struct client_memslot *slots, size_t nr,
		    unsigned int interval_us, struct guest_poll **out)
{
	struct guest_poll *p = calloc(1, sizeof(*p));
	int err;

	if (!p)
		return -ENOMEM;
	p->interval_us = interval_us ? (interval_us < 1000000 ? interval_us : 999999) : 1000;
	err = guest_mem_open(pid, slots, nr, &p->mem);
	if (err) {
		free(p);
		return err;
	}
	err = -pthread_create(&p->thread, NULL, poller, p);
	if (err) {
		guest_mem_close(p->mem);
		free(p);
		return err;
	}
	*out = p;
	return 0;
}

void guest_poll_stop(struct guest_poll *p)
{
	int i;

	if (!p)
		return;
	__atomic_store_n(&p->stop, 1, __ATOMIC_RELEASE);
	pthread_join(p->thread, NULL);
	for (i = 0; i < p->nr; i++)
		free(p->w[i]);
	guest_mem_close(p->mem);
	free(p);
}

int guest_poll_watch(struct guest_poll *p, uint64_t gpa)
{
	struct watch *w;
	int i;

	for (i = 0; i < p->nr; i++)
		if (p->w[i]->gpa == gpa)
			return i;
	if (p->nr == GUEST_POLL_MAX_WATCHES)
		return -ENOSPC;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->gpa = gpa;
	p->w[p->nr] = w;
	/* Published after it is filled in: the poller sees it whole. */
	__atomic_store_n(&p->nr, p->nr + 1, __ATOMIC_RELEASE);
	return p->nr - 1;
}

void guest_poll_pause(struct guest_poll *p, int idx, int paused)
{
	if (idx >= 0 && idx < __atomic_load_n(&p->nr, __ATOMIC_ACQUIRE))
		__atomic_store_n(&p->w[idx]->paused, !!paused, __ATOMIC_RELAXED);
}

int guest_poll_paused(struct guest_poll *p, int idx)
{
	return idx >= 0 && idx < __atomic_load_n(&p->nr, __ATOMIC_ACQUIRE) &&
	       __atomic_load_n(&p->w[idx]->paused, __ATOMIC_RELAXED);
}

static void copy_entry(const struct watch *w, uint64_t i, struct guest_poll_span *s)
{
	const struct entry *e = &w->ring[i % GUEST_POLL_RING];

	s->first_tsc = e->first_tsc;
	s->value = e->value;
	s->last_tsc = __atomic_load_n(&e->last_tsc, __ATOMIC_ACQUIRE);
}

/*
 * Entries [*oldest, *head) of @w are readable; the result is the index
 * after the last one that began at or before @tsc (*oldest if none).
 * Bounded by log2(ring).
 */
static uint64_t find_pos(struct watch *w, uint64_t tsc, uint64_t *oldest,
			 uint64_t *head)
{
	uint64_t lo, hi, mid;

	*head = __atomic_load_n(&w->head, __ATOMIC_ACQUIRE);
	*oldest = *head > GUEST_POLL_RING - RING_MARGIN ?
		  *head - (GUEST_POLL_RING - RING_MARGIN) : 0;
	lo = *oldest;
	hi = *head;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (w->ring[mid % GUEST_POLL_RING].first_tsc <= tsc)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int guest_poll_at(struct guest_poll *p, int idx, uint64_t tsc,
		 struct guest_poll_span *before, struct guest_poll_span *after)
{
	uint64_t head, lo, oldest;
	struct watch *w;
	int ret;

	if (idx < 0 || idx >= __atomic_load_n(&p->nr, __ATOMIC_ACQUIRE))
		return -ENOENT;
	w = p->w[idx];
	lo = find_pos(w, tsc, &oldest, &head);
	if (lo == oldest)
		return -ENOENT;
	copy_entry(w, lo - 1, before);
	if (tsc <= before->last_tsc)
		ret = 2;
	else if (lo < head) {
		copy_entry(w, lo, after);
		ret = 1;
	} else {
		ret = 0;
	}
	/* Overwritten while we read: too old to trust. */
	head = __atomic_load_n(&w->head, __ATOMIC_ACQUIRE);
	if (head > GUEST_POLL_RING && lo - 1 < head - GUEST_POLL_RING)
		return -ENOENT;
	return ret;
}

/* |a - b| */
static uint64_t distance(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

int guest_poll_nearest(struct guest_poll *p, int idx, uint64_t tsc, unsigned int max,
		      int (*want)(void *arg, uint64_t value), void *arg,
		      uint64_t *value)
{
	uint64_t head, oldest, l, r;
	struct guest_poll_span left = { 0 }, right = { 0 };
	struct watch *w;
	unsigned int n;

	if (idx < 0 || idx >= __atomic_load_n(&p->nr, __ATOMIC_ACQUIRE))
		return -ENOENT;
	w = p->w[idx];
	/* Walk outwards, the nearer side first: l goes down, r up. */
	l = r = find_pos(w, tsc, &oldest, &head);
	/* Entries [oldest, l) are left of tsc, [r, head) right of it. */
	for (n = 0; n < 2 * max && (l > oldest || r < head); n++) {
		int take_left;

		if (l > oldest)
			copy_entry(w, l - 1, &left);
		if (r < head)
			copy_entry(w, r, &right);
		take_left = l > oldest &&
			    (r >= head || distance(tsc, left.last_tsc) <=
					  distance(right.first_tsc, tsc));
		if (take_left) {
			l--;
			if (want(arg, left.value)) {
				*value = left.value;
				return 0;
			}
		} else {
			r++;
			if (want(arg, right.value)) {
				*value = right.value;
				return 0;
			}
		}
	}
	return -ENOENT;
}

/* The TSC of the newest poll of @w, 0 if none. */
static uint64_t newest_poll(struct watch *w)
{
	uint64_t head = __atomic_load_n(&w->head, __ATOMIC_ACQUIRE);

	if (!head)
		return 0;
	return __atomic_load_n(&w->ring[(head - 1) % GUEST_POLL_RING].last_tsc,
			       __ATOMIC_ACQUIRE);
}

int guest_poll_wait(struct guest_poll *p, int idx, uint64_t tsc, unsigned int max_us)
{
	unsigned int waited = 0, step = p->interval_us / 4 ?: 1;
	struct watch *w;

	if (idx < 0 || idx >= __atomic_load_n(&p->nr, __ATOMIC_ACQUIRE))
		return -ENOENT;
	w = p->w[idx];
	/* Bounded: at most max_us / step sleeps. */
	while (newest_poll(w) < tsc) {
		if (waited >= max_us)
			return -ETIMEDOUT;
		usleep(step);
		waited += step;
	}
	return 0;
}

void guest_poll_counts(struct guest_poll *p, uint64_t *polls, uint64_t *failed)
{
	*polls = __atomic_load_n(&p->polls, __ATOMIC_RELAXED);
	*failed = __atomic_load_n(&p->failed, __ATOMIC_RELAXED);
}
