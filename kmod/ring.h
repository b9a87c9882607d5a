/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-CPU single-producer, single-consumer record rings.
 *
 * The producer is whatever runs on the ring's CPU: a tracepoint probe, a
 * hard-IRQ timer or a PMU NMI.  Those can nest (an NMI can land in the
 * middle of a probe's write), so a write that finds another write in
 * progress on its CPU drops its record and counts it as
 * VMTRACE_LOST_NESTED rather than corrupting the slot.  The only consumer
 * is READ, serialised by the session mutex.
 *
 * Accounting is exact: every record offered (an event, or a VM_NEW or
 * VM_GONE marker) increments `produced`, and ends up drained, lost (per
 * cause) or still queued.  Lost counts are also
 * kept "pending" until a LOST marker carrying them is written in front of
 * the next record that fits, so the reader sees every gap where it is.
 */
#ifndef _VMT_RING_H
#define _VMT_RING_H

#include <linux/types.h>
#include <linux/compiler.h>
#include <asm/local.h>
#include <asm/local64.h>
#include <uapi/linux/vmtrace.h>

struct vmt_ring {
	struct vmtrace_record *recs;
	u64 mask;			/* number of slots - 1 */
	u64 head;			/* next slot to write; producer only */
	local_t nesting;		/* writes in progress on this CPU */
	local_t pending[__VMTRACE_LOST_MAX]; /* lost, not yet in a marker */
	local64_t produced;
	local64_t lost[__VMTRACE_LOST_MAX];
	local64_t host_samples;
	int cpu;

	/* Consumer side, on its own cache line. */
	u64 tail ____cacheline_aligned;	/* next slot to read */
	u64 drained;			/* records read, but LOST markers */
};

/*
 * A ring's counters exist for every possible CPU; its memory (recs) only
 * once vmt_ring_alloc() gave it some.  A ring without memory counts every
 * event offered to it as lost (ring_full), so accounting stays exact.
 */
void vmt_ring_init(struct vmt_ring *ring, int cpu);
int vmt_ring_alloc(struct vmt_ring *ring, u32 bytes);
void vmt_ring_free(struct vmt_ring *ring);

static inline bool vmt_ring_has_memory(const struct vmt_ring *ring)
{
	/* Pairs with the release in vmt_ring_alloc(): mask is set. */
	return smp_load_acquire(&ring->recs) != NULL;
}

void vmt_ring_lose(struct vmt_ring *ring, enum vmtrace_lost_cause cause);
struct vmtrace_record *vmt_ring_reserve_slow(struct vmt_ring *ring, u64 head,
					     u64 tail);

/*
 * Reserve the next slot for an event, or count the event as lost.  On
 * success the caller fills the record and calls vmt_ring_commit(); the
 * caller must not be preempted in between.  Callable from any context.
 */
static __always_inline struct vmtrace_record *
vmt_ring_reserve(struct vmt_ring *ring)
{
	u64 head, tail;

	local64_inc(&ring->produced);
	if (unlikely(local_inc_return(&ring->nesting) != 1)) {
		vmt_ring_lose(ring, VMTRACE_LOST_NESTED);
		local_dec(&ring->nesting);
		return NULL;
	}
	head = ring->head;
	/* Pairs with the consumer's release of tail: the slot is free. */
	tail = smp_load_acquire(&ring->tail);
	if (unlikely(!ring->recs ||
		     local_read(&ring->pending[0]) |
		     local_read(&ring->pending[1]) |
		     local_read(&ring->pending[2]) ||
		     head - tail > ring->mask))
		return vmt_ring_reserve_slow(ring, head, tail);
	return &ring->recs[head & ring->mask];
}

static __always_inline void vmt_ring_commit(struct vmt_ring *ring)
{
	/* Pairs with the consumer's acquire of head: the record is whole. */
	smp_store_release(&ring->head, ring->head + 1);
	local_dec(&ring->nesting);
}

/* Count an event that was offered but not recorded (no slot reserved). */
static inline void vmt_ring_drop(struct vmt_ring *ring,
				 enum vmtrace_lost_cause cause)
{
	local64_inc(&ring->produced);
	vmt_ring_lose(ring, cause);
}

/*
 * Copy up to @max records out of the ring into @dst; returns the number
 * copied.  With @final (producers quiesced), pending loss that never got a
 * marker is flushed as a last marker.
 */
u32 vmt_ring_read(struct vmt_ring *ring, struct vmtrace_record *dst, u32 max,
		  bool final);

static inline u64 vmt_ring_queued(const struct vmt_ring *ring)
{
	return READ_ONCE(ring->head) - READ_ONCE(ring->tail);
}

#endif /* _VMT_RING_H */
