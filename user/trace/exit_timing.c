// SPDX-License-Identifier: GPL-2.0
/* Exit handling times: the last exit of each vCPU, in an open hash table. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "trace/exit_timing.h"

struct pending {
	uint64_t key;			/* vm_id << 16 | vcpu, + 1; 0: empty */
	uint64_t loss_epoch;
	void *cookie;
	struct vmtrace_record exit;
};

struct trace_exit_timer {
	struct pending *slots;
	size_t nr, cap;			/* cap: a power of two */
	uint64_t loss_epoch;		/* LOST markers seen */
};

int trace_exit_timer_new(struct trace_exit_timer **out)
{
	struct trace_exit_timer *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->cap = 64;
	t->slots = calloc(t->cap, sizeof(*t->slots));
	if (!t->slots) {
		free(t);
		return -ENOMEM;
	}
	*out = t;
	return 0;
}

void trace_exit_timer_free(struct trace_exit_timer *t)
{
	if (!t)
		return;
	free(t->slots);
	free(t);
}

static struct pending *slot_of(struct pending *slots, size_t cap, uint64_t key)
{
	size_t i = (key * 0x9e3779b97f4a7c15ull) >> 32 & (cap - 1);

	while (slots[i].key && slots[i].key != key)
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

static int grow(struct trace_exit_timer *t)
{
	size_t cap = t->cap * 2;
	struct pending *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < t->cap; i++)
		if (t->slots[i].key)
			*slot_of(slots, cap, t->slots[i].key) = t->slots[i];
	free(t->slots);
	t->slots = slots;
	t->cap = cap;
	return 0;
}

bool trace_exit_timer_feed(struct trace_exit_timer *t, const struct vmtrace_record *r,
			 void *cookie, struct trace_timed_exit *done)
{
	struct pending *p;
	uint64_t key, entry;
	bool retired = false;

	/* VM ids are never reused: a gone VM's last exits just stay
	 * pending (untimed) to the end. */
	if (r->kind == VMTRACE_KIND_LOST)
		t->loss_epoch++;
	if (r->kind != VMTRACE_KIND_EXIT)
		return false;
	key = ((uint64_t)r->vm_id << 16 | r->vcpu) + 1;
	p = slot_of(t->slots, t->cap, key);
	if (p->key) {
		if (r->host_tsc < p->exit.host_tsc) {
			*done = (struct trace_timed_exit){ .exit = *r, .cookie = cookie };
			return true;
		}
		*done = (struct trace_timed_exit){ .exit = p->exit, .cookie = p->cookie };
		entry = r->host_tsc - r->entry_delta;
		if (r->entry_delta != VMTRACE_ENTRY_DELTA_UNKNOWN &&
		    p->loss_epoch == t->loss_epoch && r->entry_delta <= r->host_tsc &&
		    entry >= p->exit.host_tsc) {
			done->cycles = entry - p->exit.host_tsc;
			done->timed = true;
		}
		retired = true;
	} else {
		if (2 * (t->nr + 1) > t->cap) {
			if (grow(t)) {
				/* Cannot remember it: retire it untimed. */
				*done = (struct trace_timed_exit){ .exit = *r, .cookie = cookie };
				return true;
			}
			p = slot_of(t->slots, t->cap, key);
		}
		t->nr++;
	}
	p->key = key;
	p->loss_epoch = t->loss_epoch;
	p->cookie = cookie;
	p->exit = *r;
	return retired;
}

void trace_exit_timer_pending(struct trace_exit_timer *t,
			    void (*fn)(void *arg, const struct vmtrace_record *exit,
				       void *cookie),
			    void *arg)
{
	for (size_t i = 0; i < t->cap; i++)
		if (t->slots[i].key)
			fn(arg, &t->slots[i].exit, t->slots[i].cookie);
}
