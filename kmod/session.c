// SPDX-License-Identifier: GPL-2.0
/*
 * The recording session: at most one at a time, owned by the netlink
 * socket that started it.  IDLE -> RUNNING (START) -> STOPPED (STOP) ->
 * IDLE (owner's socket closed, or the next START).  A STOPPED session
 * keeps its rings so the owner can drain what is left.
 *
 * Everything here runs in process context.  vmt_session_mutex guards what
 * the session is (vmt_session, its state and owner) and is held only for
 * that, never across a wait for other CPUs: START and STOP check and change
 * the state under it, then do their slow part (allocating rings, starting
 * or cancelling timers on every CPU, waiting for probes in flight) without
 * it.  The CPU hotplug callbacks run under the hotplug lock and see the
 * running session through vmt_hp_session (changed only with the hotplug
 * lock held for reading, so never under their feet).
 *
 * Ring memory: one ring per online CPU, allocated on its node; a CPU that
 * comes online during a session gets one then, one that goes offline keeps
 * its ring until the session ends, so READ still drains it.  The total is
 * capped (max_ring_mb; by default 1/16 of RAM): a START that would go over
 * is refused, and a CPU that comes online with the cap reached gets no
 * ring and counts its events as lost (ring_full).
 */
#include <linux/kvm_host.h>
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/percpu.h>
#include <linux/netlink.h>
#include <linux/notifier.h>
#include <net/net_namespace.h>
#include "vmtrace.h"
#include "compat.h"

DEFINE_MUTEX(vmt_session_mutex);
struct vmt_session *vmt_session;
static u32 vmt_session_generation;
/* The session's owner socket, or 0; read without the mutex. */
static u32 vmt_session_owner;
/* A START is allocating its session (under the mutex). */
static bool vmt_session_starting;
/* The running session, for the hotplug callbacks. */
static struct vmt_session *vmt_hp_session;
static enum cpuhp_state vmt_hp_state;

static unsigned int max_ring_mb;
module_param(max_ring_mb, uint, 0644);
MODULE_PARM_DESC(max_ring_mb,
		 "cap on the ring memory of a session, all CPUs together, in MiB (0, the default: 1/16 of RAM)");

u64 vmt_ring_cap(void)
{
	unsigned int mb = READ_ONCE(max_ring_mb);

	if (mb)
		return (u64)mb << 20;
	return ((u64)totalram_pages() << PAGE_SHIFT) / 16;
}

static void vmt_session_free(struct vmt_session *s)
{
	int cpu;

	if (s->cpus) {
		for_each_possible_cpu(cpu)
			vmt_ring_free(&per_cpu_ptr(s->cpus, cpu)->ring);
		free_percpu(s->cpus);
	}
	kfree(s);
}

static int vmt_cmp_u32(const void *a, const void *b)
{
	u32 x = *(const u32 *)a, y = *(const u32 *)b;

	return x < y ? -1 : x > y;
}

/* Give @cpu its ring if the cap allows; counted in s->ring_bytes. */
static int vmt_session_add_ring(struct vmt_session *s, int cpu)
{
	struct vmt_ring *ring = &per_cpu_ptr(s->cpus, cpu)->ring;
	int err;

	if (vmt_ring_has_memory(ring))
		return 0;
	if (s->ring_bytes + s->cfg.ring_size > vmt_ring_cap())
		return -ENOSPC;
	err = vmt_ring_alloc(ring, s->cfg.ring_size);
	if (!err)
		s->ring_bytes += s->cfg.ring_size;
	return err;
}

/* The session and its rings, for the online CPUs; cpus_read_lock held. */
static struct vmt_session *vmt_session_alloc(const struct vmt_config *cfg,
					     struct netlink_ext_ack *extack)
{
	struct vmt_session *s;
	int cpu, err;
	u32 i;

	if ((u64)cfg->ring_size * num_online_cpus() > vmt_ring_cap()) {
		vmt_set_err_cap(extack, cfg->ring_size, num_online_cpus(),
				vmt_ring_cap());
		return ERR_PTR(-ENOSPC);
	}
	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return ERR_PTR(-ENOMEM);
	s->cfg = *cfg;
	s->state = VMTRACE_STATE_IDLE;
	s->generation = ++vmt_session_generation ?: ++vmt_session_generation;
	s->exit_filter = cfg->nr_exits != 0;
	for (i = 0; i < cfg->nr_exits; i++)
		if (cfg->exits[i] < VMT_EXIT_BITMAP_BITS)
			__set_bit(cfg->exits[i], s->exit_bitmap);
	/* Sorted, for the probes' binary search. */
	sort(s->cfg.pids, s->cfg.nr_pids, sizeof(u32), vmt_cmp_u32, NULL);

	s->cpus = alloc_percpu(struct vmt_cpu);
	if (!s->cpus) {
		err = -ENOMEM;
		goto err_free;
	}
	for_each_possible_cpu(cpu) {
		struct vmt_cpu *c = per_cpu_ptr(s->cpus, cpu);

		local64_set(&c->cost_cycles, 0);
		local64_set(&c->cost_events, 0);
		vmt_ring_init(&c->ring, cpu);
	}
	for_each_online_cpu(cpu) {
		err = vmt_session_add_ring(s, cpu);
		if (err)
			goto err_free;
	}
	return s;

err_free:
	NL_SET_ERR_MSG(extack, "cannot allocate the rings");
	vmt_session_free(s);
	return ERR_PTR(err);
}

/*
 * Producers off, for a session that vmt_session_detach_producers() took
 * out of the probes' hands: returns with no probe or sampling handler
 * using @s.  Waits for other CPUs (timer callbacks, an RCU grace period),
 * so it is called without vmt_session_mutex.
 */
static void vmt_session_quiesce(struct vmt_session *s)
{
	cpus_read_lock();
	if (vmt_hp_session == s)
		WRITE_ONCE(vmt_hp_session, NULL);
	vmt_sampling_stop(s);
	cpus_read_unlock();
	vmt_probes_sync();
}

/* Under the mutex: the probes stop taking @s (they may still be in it). */
static void vmt_session_detach_producers(struct vmt_session *s)
{
	lockdep_assert_held(&vmt_session_mutex);
	s->stopping = true;
	vmt_probes_unpublish();
}

/*
 * START.  The mutex is held only to check and change what the session is;
 * the slow part (freeing the old rings, allocating and zeroing the new
 * ones, starting the timers on every CPU) runs without it, with
 * vmt_session_starting keeping a second START out.  The caller's socket
 * cannot close meanwhile (its START is still in progress).
 */
int vmt_session_start(const struct vmt_config *cfg, u32 portid,
		      struct netlink_ext_ack *extack)
{
	struct vmt_session *s, *old;
	int err = 0;

	mutex_lock(&vmt_session_mutex);
	if (vmt_session_starting ||
	    (vmt_session && vmt_session->state != VMTRACE_STATE_STOPPED)) {
		mutex_unlock(&vmt_session_mutex);
		NL_SET_ERR_MSG(extack, "a vmtrace session is already running");
		return -EBUSY;
	}
	/*
	 * A stopped session's records are discarded by the next START: free
	 * them first, so that the two never hold ring memory together.
	 */
	old = vmt_session;
	vmt_session = NULL;
	WRITE_ONCE(vmt_session_owner, 0);
	vmt_session_starting = true;
	mutex_unlock(&vmt_session_mutex);
	if (old)
		vmt_session_free(old);

	cpus_read_lock();
	s = vmt_session_alloc(cfg, extack);
	if (IS_ERR(s)) {
		err = PTR_ERR(s);
	} else {
		s->owner_portid = portid;
		s->state = VMTRACE_STATE_RUNNING;
		err = vmt_sampling_start(s);
		if (err)
			NL_SET_ERR_MSG(extack, "cannot start the PMU sampling counters");
		else
			WRITE_ONCE(vmt_hp_session, s);
	}
	cpus_read_unlock();
	if (err && !IS_ERR(s))
		vmt_session_free(s);

	mutex_lock(&vmt_session_mutex);
	vmt_session_starting = false;
	if (!err) {
		vmt_session = s;
		WRITE_ONCE(vmt_session_owner, portid);
		vmt_probes_publish(s);
	}
	mutex_unlock(&vmt_session_mutex);
	return err;
}

/* STOP: the same split as START; READ keeps draining meanwhile. */
int vmt_session_stop(u32 portid, struct netlink_ext_ack *extack)
{
	struct vmt_session *s;

	mutex_lock(&vmt_session_mutex);
	s = vmt_session;
	if (!s || s->state != VMTRACE_STATE_RUNNING || s->stopping) {
		mutex_unlock(&vmt_session_mutex);
		NL_SET_ERR_MSG(extack, "no vmtrace session is running");
		return -ENOENT;
	}
	if (s->owner_portid != portid) {
		mutex_unlock(&vmt_session_mutex);
		NL_SET_ERR_MSG(extack, "the session belongs to another socket");
		return -EPERM;
	}
	vmt_session_detach_producers(s);
	mutex_unlock(&vmt_session_mutex);

	/*
	 * Only the owner stops its session, and its socket cannot close
	 * while this STOP runs: @s stays until STOPPED is set below.
	 */
	vmt_session_quiesce(s);

	mutex_lock(&vmt_session_mutex);
	s->state = VMTRACE_STATE_STOPPED;
	mutex_unlock(&vmt_session_mutex);
	return 0;
}

/*
 * End the session owned by @portid (any owner if @portid is 0, for module
 * exit), whatever its state, and free it.
 */
static void vmt_session_end(u32 portid)
{
	struct vmt_session *s;
	bool running;

	mutex_lock(&vmt_session_mutex);
	s = vmt_session;
	if (!s || (portid && s->owner_portid != portid)) {
		mutex_unlock(&vmt_session_mutex);
		return;
	}
	vmt_session = NULL;
	WRITE_ONCE(vmt_session_owner, 0);
	running = s->state == VMTRACE_STATE_RUNNING;
	if (running)
		vmt_session_detach_producers(s);
	mutex_unlock(&vmt_session_mutex);

	if (running)
		vmt_session_quiesce(s);
	vmt_session_free(s);
}

/*
 * A generic netlink socket closed: if it owned the session (a collector
 * that exited or died), end the session so the next START works.
 */
static int vmt_netlink_notify(struct notifier_block *nb, unsigned long event,
			      void *ptr)
{
	struct netlink_notify *n = ptr;

	if (event != NETLINK_URELEASE || n->protocol != NETLINK_GENERIC ||
	    !net_eq(n->net, &init_net))
		return NOTIFY_DONE;
	/*
	 * Every generic netlink socket on the host closes through here:
	 * only the owner's may wait for the mutex.  The owner is published
	 * before START returns, so its own close cannot miss it.
	 */
	if (READ_ONCE(vmt_session_owner) != n->portid)
		return NOTIFY_DONE;
	vmt_session_end(n->portid);
	return NOTIFY_DONE;
}

static struct notifier_block vmt_netlink_notifier = {
	.notifier_call = vmt_netlink_notify,
};

/*
 * CPU hotplug, on the CPU concerned.  Coming online: its ring (if the cap
 * allows) and its sampling.  Going offline: its sampling stops; its ring
 * stays, with whatever it holds, for READ.
 */
static int vmt_cpu_online(unsigned int cpu)
{
	struct vmt_session *s = vmt_hp_session;

	if (!s)
		return 0;
	if (vmt_session_add_ring(s, cpu))
		pr_warn_ratelimited("vmtrace: CPU %u came online with no ring (cap %llu bytes reached): its events are counted as lost\n",
				    cpu, vmt_ring_cap());
	vmt_sampling_cpu_online(s, cpu);
	return 0;
}

static int vmt_cpu_offline(unsigned int cpu)
{
	struct vmt_session *s = vmt_hp_session;

	if (s)
		vmt_sampling_cpu_offline(s, cpu);
	return 0;
}

int vmt_session_init(void)
{
	int err;

	err = cpuhp_setup_state_nocalls(CPUHP_AP_ONLINE_DYN, "vmtrace:online",
					vmt_cpu_online, vmt_cpu_offline);
	if (err < 0)
		return err;
	vmt_hp_state = err;
	err = netlink_register_notifier(&vmt_netlink_notifier);
	if (err)
		cpuhp_remove_state_nocalls(vmt_hp_state);
	return err;
}

void vmt_session_exit(void)
{
	netlink_unregister_notifier(&vmt_netlink_notifier);
	vmt_session_end(0);
	cpuhp_remove_state_nocalls(vmt_hp_state);
}
