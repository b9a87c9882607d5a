// SPDX-License-Identifier: GPL-2.0
/*
 * The recording session: at most one at a time, owned by the netlink
 * socket that started it.  IDLE -> RUNNING (START) -> STOPPED (STOP) ->
 * IDLE (owner's socket closed, or the next START).  A STOPPED session
 * keeps its rings so the owner can drain what is left.
 *
 * Everything here runs in process context under vmt_session_mutex.
 */
#include <linux/kvm_host.h>
#include <linux/slab.h>
#include <linux/percpu.h>
#include <linux/netlink.h>
#include <linux/notifier.h>
#include <net/net_namespace.h>
#include "vmtrace.h"

DEFINE_MUTEX(vmt_session_mutex);
struct vmt_session *vmt_session;
static u32 vmt_session_generation;

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

static struct vmt_session *vmt_session_alloc(const struct vmt_config *cfg)
{
	struct vmt_session *s;
	int cpu, err;
	u32 i;

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

	s->cpus = alloc_percpu(struct vmt_cpu);
	if (!s->cpus) {
		err = -ENOMEM;
		goto err_free;
	}
	for_each_possible_cpu(cpu) {
		struct vmt_cpu *c = per_cpu_ptr(s->cpus, cpu);

		local64_set(&c->cost_cycles, 0);
		local64_set(&c->cost_events, 0);
		err = vmt_ring_init(&c->ring, cpu, cfg->ring_size);
		if (err)
			goto err_free;
	}
	return s;

err_free:
	vmt_session_free(s);
	return ERR_PTR(err);
}

bool vmt_session_wants_exit(const struct vmt_session *s, u32 exit_reason)
{
	u32 i;

	if (!s->exit_filter)
		return true;
	if (exit_reason < VMT_EXIT_BITMAP_BITS)
		return test_bit(exit_reason, s->exit_bitmap);
	for (i = 0; i < s->cfg.nr_exits; i++)
		if (s->cfg.exits[i] == exit_reason)
			return true;
	return false;
}

bool vmt_session_wants_pid(const struct vmt_session *s, u32 pid)
{
	u32 i;

	if (!s->cfg.nr_pids)
		return true;
	for (i = 0; i < s->cfg.nr_pids; i++)
		if (s->cfg.pids[i] == pid)
			return true;
	return false;
}

/* Producers off; returns with no probe or sampling handler running. */
static void vmt_session_quiesce(struct vmt_session *s)
{
	vmt_sampling_stop(s);
	vmt_probes_stop();
	s->state = VMTRACE_STATE_STOPPED;
}

int vmt_session_start(const struct vmt_config *cfg, u32 portid,
		      struct netlink_ext_ack *extack)
{
	struct vmt_session *s;
	int err;

	lockdep_assert_held(&vmt_session_mutex);
	if (vmt_session && vmt_session->state == VMTRACE_STATE_RUNNING) {
		NL_SET_ERR_MSG(extack, "a vmtrace session is already running");
		return -EBUSY;
	}
	s = vmt_session_alloc(cfg);
	if (IS_ERR(s)) {
		NL_SET_ERR_MSG(extack, "cannot allocate the rings");
		return PTR_ERR(s);
	}
	s->owner_portid = portid;
	s->state = VMTRACE_STATE_RUNNING;

	err = vmt_sampling_start(s);
	if (err) {
		NL_SET_ERR_MSG(extack, "cannot start the PMU sampling counters");
		goto err_free;
	}
	/* Only now that nothing can fail: the old session's data goes. */
	if (vmt_session)
		vmt_session_free(vmt_session);
	vmt_session = s;
	vmt_probes_start(s);
	return 0;

err_free:
	vmt_session_free(s);
	return err;
}

int vmt_session_stop(u32 portid, struct netlink_ext_ack *extack)
{
	lockdep_assert_held(&vmt_session_mutex);
	if (!vmt_session || vmt_session->state != VMTRACE_STATE_RUNNING) {
		NL_SET_ERR_MSG(extack, "no vmtrace session is running");
		return -ENOENT;
	}
	if (vmt_session->owner_portid != portid) {
		NL_SET_ERR_MSG(extack, "the session belongs to another socket");
		return -EPERM;
	}
	vmt_session_quiesce(vmt_session);
	return 0;
}

/* End the session, whatever its state; for module exit. */
void vmt_session_destroy(void)
{
	lockdep_assert_held(&vmt_session_mutex);
	if (!vmt_session)
		return;
	if (vmt_session->state == VMTRACE_STATE_RUNNING)
		vmt_session_quiesce(vmt_session);
	vmt_session_free(vmt_session);
	vmt_session = NULL;
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
	mutex_lock(&vmt_session_mutex);
	if (vmt_session && vmt_session->owner_portid == n->portid)
		vmt_session_destroy();
	mutex_unlock(&vmt_session_mutex);
	return NOTIFY_DONE;
}

static struct notifier_block vmt_netlink_notifier = {
	.notifier_call = vmt_netlink_notify,
};

int vmt_session_init(void)
{
	return netlink_register_notifier(&vmt_netlink_notifier);
}

void vmt_session_exit(void)
{
	netlink_unregister_notifier(&vmt_netlink_notifier);
	mutex_lock(&vmt_session_mutex);
	vmt_session_destroy();
	mutex_unlock(&vmt_session_mutex);
}
