// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU record rings: allocation, the producer's slow path (loss and
 * markers) and the consumer.  See ring.h for the protocol.
 */
#include <linux/vmalloc.h>
#include <linux/topology.h>
#include <linux/log2.h>
#include <linux/string.h>
#include <linux/smp.h>
#include <asm/msr.h>
#include "ring.h"

void vmt_ring_init(struct vmt_ring *ring, int cpu)
{
	int c;

	memset(ring, 0, sizeof(*ring));
	ring->cpu = cpu;
	local_set(&ring->nesting, 0);
	for (c = 0; c < __VMTRACE_LOST_MAX; c++) {
		local_set(&ring->pending[c], 0);
		local64_set(&ring->lost[c], 0);
	}
	local64_set(&ring->produced, 0);
	local64_set(&ring->host_samples, 0);
}

/*
 * Give the ring its memory, on its CPU's node.  The ring may be in use
 * meanwhile (a CPU coming online): producers and READ see either no
 * memory or all of it.
 */
int vmt_ring_alloc(struct vmt_ring *ring, u32 bytes)
{
	u64 slots = bytes / sizeof(struct vmtrace_record);
	struct vmtrace_record *recs;

	if (!is_power_of_2(slots))
		return -EINVAL;
	recs = vzalloc_node(bytes, cpu_to_node(ring->cpu));
	if (!recs)
		return -ENOMEM;
	ring->mask = slots - 1;
	/* Pairs with the acquire in vmt_ring_has_memory(). */
	smp_store_release(&ring->recs, recs);
	return 0;
}

void vmt_ring_free(struct vmt_ring *ring)
{
	vfree(ring->recs);
	ring->recs = NULL;
}

void vmt_ring_lose(struct vmt_ring *ring, enum vmtrace_lost_cause cause)
{
	local64_inc(&ring->lost[cause]);
	local_inc(&ring->pending[cause]);
}

static void vmt_fill_marker(struct vmtrace_record *rec, int cpu,
			    const long counts[__VMTRACE_LOST_MAX])
{
	int c;

	memset(rec, 0, sizeof(*rec));
	rec->host_tsc = rdtsc();
	rec->kind = VMTRACE_KIND_LOST;
	rec->host_cpu = cpu;
	for (c = 0; c < __VMTRACE_LOST_MAX; c++)
		rec->u.lost[c] = counts[c];
}

/*
 * The reserve path when the ring is full or a LOST marker is owed.  A
 * marker is written only together with the event that follows it, so the
 * reader sees the gap at the right place and markers never pile up.
 */
struct vmtrace_record *vmt_ring_reserve_slow(struct vmt_ring *ring, u64 head,
					     u64 tail)
{
	long counts[__VMTRACE_LOST_MAX];
	bool owed = false;
	int c;

	if (!ring->recs) {
		vmt_ring_lose(ring, VMTRACE_LOST_RING_FULL);
		local_dec(&ring->nesting);
		return NULL;
	}
	for (c = 0; c < __VMTRACE_LOST_MAX; c++)
		owed |= local_read(&ring->pending[c]) != 0;

	if (head - tail + owed > ring->mask) {
		vmt_ring_lose(ring, VMTRACE_LOST_RING_FULL);
		local_dec(&ring->nesting);
		return NULL;
	}
	if (owed) {
		/* xchg: a nested write may add to pending meanwhile. */
		for (c = 0; c < __VMTRACE_LOST_MAX; c++)
			counts[c] = local_xchg(&ring->pending[c], 0);
		vmt_fill_marker(&ring->recs[head & ring->mask], ring->cpu,
				counts);
		smp_store_release(&ring->head, head + 1);
		head++;
	}
	return &ring->recs[head & ring->mask];
}

/* Records that were produced, i.e. all but the ring's own LOST markers. */
static u32 vmt_count_events(const struct vmtrace_record *recs, u32 n)
{
	u32 i, events = 0;

	for (i = 0; i < n; i++)
		events += recs[i].kind != VMTRACE_KIND_LOST;
	return events;
}

u32 vmt_ring_read(struct vmt_ring *ring, struct vmtrace_record *dst, u32 max,
		  bool final)
{
	u64 tail = ring->tail, head, slots;
	u32 n, first;

	/* No memory: nothing queued; its loss is in the counters only. */
	if (!vmt_ring_has_memory(ring))
		return 0;
	head = smp_load_acquire(&ring->head);
	slots = ring->mask + 1;
	n = min_t(u64, head - tail, max);
	first = min_t(u64, n, slots - (tail & ring->mask));

	memcpy(dst, &ring->recs[tail & ring->mask], first * sizeof(*dst));
	memcpy(dst + first, ring->recs, (n - first) * sizeof(*dst));
	ring->drained += vmt_count_events(dst, n);
	/* Pairs with the producer's acquire of tail: slots are free again. */
	smp_store_release(&ring->tail, tail + n);

	if (final && n < max && head == tail + n) {
		long counts[__VMTRACE_LOST_MAX];
		bool owed = false;
		int c;

		for (c = 0; c < __VMTRACE_LOST_MAX; c++) {
			counts[c] = local_xchg(&ring->pending[c], 0);
			owed |= counts[c] != 0;
		}
		if (owed)
			vmt_fill_marker(&dst[n++], ring->cpu, counts);
	}
	return n;
}
