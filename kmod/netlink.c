// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "vmtrace": the message tree is documented in
 * include/uapi/linux/vmtrace.h.  Every command needs CAP_SYS_ADMIN (and,
 * through GENL_ADMIN_PERM, CAP_NET_ADMIN).  Input is validated strictly
 * by the policies below before anything changes.
 */
#include <linux/kvm_host.h>
#include <linux/capability.h>
#include <linux/cpumask.h>
#include <net/genetlink.h>
#include <asm/tsc.h>
#include "vmtrace.h"

static struct genl_family vmt_genl_family;

static const struct nla_policy vmt_cfg_policy[VMTRACE_CFG_A_MAX + 1] = {
	/* Ranges are checked in vmt_parse_config(): -EINVAL, not -ERANGE. */
	[VMTRACE_CFG_A_RING_SIZE] = { .type = NLA_U32 },
	[VMTRACE_CFG_A_SAMPLE_HZ] = { .type = NLA_U32 },
	[VMTRACE_CFG_A_SAMPLE_SOURCE] = { .type = NLA_U32 },
	[VMTRACE_CFG_A_FLAGS] = NLA_POLICY_MASK(NLA_U32, VMTRACE_CFG_F_ALL),
	/* Lengths are checked in vmt_parse_u32_array(), for the same reason. */
	[VMTRACE_CFG_A_EXIT_FILTER] = { .type = NLA_BINARY },
	[VMTRACE_CFG_A_VM_PIDS] = { .type = NLA_BINARY },
};

static const struct nla_policy vmt_tslot_policy[VMTRACE_TSLOT_A_MAX + 1] = {
	[VMTRACE_TSLOT_A_VM_ID] = { .type = NLA_U32 },
	[VMTRACE_TSLOT_A_VCPU] = { .type = NLA_U32 },
	[VMTRACE_TSLOT_A_GS_BASE] = { .type = NLA_U64 },
	[VMTRACE_TSLOT_A_HVA] = { .type = NLA_U64 },
	[VMTRACE_TSLOT_A_DIRECT_MAP] = { .type = NLA_U64 },
	/* A task_struct is a few KiB; checked against 64 KiB below. */
	[VMTRACE_TSLOT_A_PID_OFFSET] = { .type = NLA_U32 },
};

static const struct nla_policy vmt_policy[VMTRACE_A_MAX + 1] = {
	[VMTRACE_A_CONFIG] = NLA_POLICY_NESTED(vmt_cfg_policy),
	[VMTRACE_A_TASK_SLOT] = NLA_POLICY_NESTED(vmt_tslot_policy),
};

/* GENL_ADMIN_PERM checks CAP_NET_ADMIN; vmtrace wants CAP_SYS_ADMIN too. */
static int vmt_check_admin(const struct sk_buff *skb,
			   struct netlink_ext_ack *extack)
{
	if (netlink_capable(skb, CAP_SYS_ADMIN))
		return 0;
	NL_SET_ERR_MSG(extack, "vmtrace requires CAP_SYS_ADMIN");
	return -EPERM;
}

/* A __u32 array attribute of at most VMTRACE_FILTER_MAX entries. */
static int vmt_parse_u32_array(const struct nlattr *attr, u32 *dst, u32 *nr,
			       struct netlink_ext_ack *extack)
{
	u32 len = nla_len(attr);

	if (len > VMTRACE_FILTER_MAX * sizeof(u32)) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "more than 256 entries");
		return -EINVAL;
	}
	if (len % sizeof(u32)) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "length is not a multiple of 4 bytes");
		return -EINVAL;
	}
	*nr = len / sizeof(u32);
	memcpy(dst, nla_data(attr), len);
	return 0;
}

static int vmt_parse_config(struct genl_info *info, struct vmt_config *cfg)
{
	struct nlattr *tb[VMTRACE_CFG_A_MAX + 1];
	struct netlink_ext_ack *extack = info->extack;
	int err;

	memset(cfg, 0, sizeof(*cfg));
	cfg->ring_size = VMTRACE_RING_SIZE_DEFAULT;
	cfg->sample_hz = VMTRACE_SAMPLE_HZ_DEFAULT;
	cfg->sample_source = VMTRACE_SAMPLE_AUTO;
	if (!info->attrs[VMTRACE_A_CONFIG])
		return 0;
	err = nla_parse_nested(tb, VMTRACE_CFG_A_MAX,
			       info->attrs[VMTRACE_A_CONFIG], vmt_cfg_policy,
			       extack);
	if (err)
		return err;
	if (tb[VMTRACE_CFG_A_RING_SIZE]) {
		cfg->ring_size = nla_get_u32(tb[VMTRACE_CFG_A_RING_SIZE]);
		if (!is_power_of_2(cfg->ring_size) ||
		    cfg->ring_size < VMTRACE_RING_SIZE_MIN ||
		    cfg->ring_size > VMTRACE_RING_SIZE_MAX) {
			NL_SET_ERR_MSG_ATTR(extack, tb[VMTRACE_CFG_A_RING_SIZE],
					    "ring size must be a power of two from 4 KiB to 256 MiB");
			return -EINVAL;
		}
	}
	if (tb[VMTRACE_CFG_A_SAMPLE_HZ]) {
		cfg->sample_hz = nla_get_u32(tb[VMTRACE_CFG_A_SAMPLE_HZ]);
		if (cfg->sample_hz > VMTRACE_SAMPLE_HZ_MAX) {
			NL_SET_ERR_MSG_ATTR(extack, tb[VMTRACE_CFG_A_SAMPLE_HZ],
					    "sampling rate above 100000 Hz");
			return -EINVAL;
		}
	}
	if (tb[VMTRACE_CFG_A_SAMPLE_SOURCE]) {
		cfg->sample_source =
			nla_get_u32(tb[VMTRACE_CFG_A_SAMPLE_SOURCE]);
		if (cfg->sample_source >= __VMTRACE_SAMPLE_LAST) {
			NL_SET_ERR_MSG_ATTR(extack, tb[VMTRACE_CFG_A_SAMPLE_SOURCE],
					    "unknown sample source");
			return -EINVAL;
		}
	}
	if (cfg->sample_source == VMTRACE_SAMPLE_PMU &&
	    vmt_pmu_available() != VMTRACE_SAMPLE_PMU) {
		NL_SET_ERR_MSG_ATTR(extack, tb[VMTRACE_CFG_A_SAMPLE_SOURCE],
				    "this host has no PMU cycles counter");
		return -EOPNOTSUPP;
	}
	if (tb[VMTRACE_CFG_A_FLAGS])
		cfg->flags = nla_get_u32(tb[VMTRACE_CFG_A_FLAGS]);
	if (tb[VMTRACE_CFG_A_EXIT_FILTER]) {
		err = vmt_parse_u32_array(tb[VMTRACE_CFG_A_EXIT_FILTER],
					  cfg->exits, &cfg->nr_exits, extack);
		if (err)
			return err;
	}
	if (tb[VMTRACE_CFG_A_VM_PIDS]) {
		err = vmt_parse_u32_array(tb[VMTRACE_CFG_A_VM_PIDS], cfg->pids,
					  &cfg->nr_pids, extack);
		if (err)
			return err;
	}
	return 0;
}

static int vmt_put_config(struct sk_buff *skb, const struct vmt_session *s)
{
	const struct vmt_config *cfg = &s->cfg;
	struct nlattr *nest = nla_nest_start(skb, VMTRACE_A_CONFIG);

	if (!nest ||
	    nla_put_u32(skb, VMTRACE_CFG_A_RING_SIZE, cfg->ring_size) ||
	    nla_put_u32(skb, VMTRACE_CFG_A_SAMPLE_HZ, cfg->sample_hz) ||
	    nla_put_u32(skb, VMTRACE_CFG_A_SAMPLE_SOURCE, cfg->sample_source) ||
	    nla_put_u32(skb, VMTRACE_CFG_A_FLAGS, cfg->flags) ||
	    nla_put(skb, VMTRACE_CFG_A_EXIT_FILTER,
		    cfg->nr_exits * sizeof(u32), cfg->exits) ||
	    nla_put(skb, VMTRACE_CFG_A_VM_PIDS, cfg->nr_pids * sizeof(u32),
		    cfg->pids))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

/* A CPU's figures, or their sum over CPUs. */
struct vmt_cpu_figures {
	u64 produced, drained, host_samples, queued, cost_cycles, cost_events;
	u64 lost[__VMTRACE_LOST_MAX];
};

/* Add @vc's figures to @f.  Under vmt_session_mutex (drained, tail). */
static void vmt_cpu_figures_add(struct vmt_cpu_figures *f,
				const struct vmt_cpu *vc)
{
	const struct vmt_ring *r = &vc->ring;
	int c;

	f->produced += local64_read(&r->produced);
	f->drained += r->drained;
	f->host_samples += local64_read(&r->host_samples);
	f->queued += vmt_ring_queued(r);
	f->cost_cycles += local64_read(&vc->cost_cycles);
	f->cost_events += local64_read(&vc->cost_events);
	for (c = 0; c < __VMTRACE_LOST_MAX; c++)
		f->lost[c] += local64_read(&r->lost[c]);
}

/* The VMTRACE_CPU_A_* counters of @f, in the nest the caller opened. */
static int vmt_put_cpu_figures(struct sk_buff *skb,
			       const struct vmt_cpu_figures *f)
{
	struct nlattr *lost;
	int c;

	if (nla_put_u64_64bit(skb, VMTRACE_CPU_A_PRODUCED, f->produced,
			      VMTRACE_CPU_A_PAD) ||
	    nla_put_u64_64bit(skb, VMTRACE_CPU_A_DRAINED, f->drained,
			      VMTRACE_CPU_A_PAD) ||
	    nla_put_u64_64bit(skb, VMTRACE_CPU_A_HOST_SAMPLES,
			      f->host_samples, VMTRACE_CPU_A_PAD) ||
	    nla_put_u64_64bit(skb, VMTRACE_CPU_A_QUEUED, f->queued,
			      VMTRACE_CPU_A_PAD) ||
	    nla_put_u64_64bit(skb, VMTRACE_CPU_A_COST_CYCLES, f->cost_cycles,
			      VMTRACE_CPU_A_PAD) ||
	    nla_put_u64_64bit(skb, VMTRACE_CPU_A_COST_EVENTS, f->cost_events,
			      VMTRACE_CPU_A_PAD))
		return -EMSGSIZE;
	lost = nla_nest_start(skb, VMTRACE_CPU_A_LOST);
	if (!lost)
		return -EMSGSIZE;
	for (c = 0; c < __VMTRACE_LOST_MAX; c++)
		if (nla_put_u64_64bit(skb, c, f->lost[c], VMTRACE_CPU_A_PAD))
			return -EMSGSIZE;
	nla_nest_end(skb, lost);
	return 0;
}

/* A CPU's ring memory; 0 if it has none (never online, or over the cap). */
static u32 vmt_ring_bytes(const struct vmt_ring *r)
{
	if (!vmt_ring_has_memory(r))
		return 0;
	return (r->mask + 1) * VMTRACE_RECORD_SIZE;
}

/* One CPU's nest in VMTRACE_A_CPUS.  On failure the caller trims it. */
static int vmt_put_cpu(struct sk_buff *skb, int cpu, const struct vmt_cpu *vc)
{
	struct vmt_cpu_figures f = {};
	struct nlattr *nest;

	vmt_cpu_figures_add(&f, vc);
	nest = nla_nest_start(skb, 0);
	if (!nest ||
	    nla_put_u32(skb, VMTRACE_CPU_A_CPU, cpu) ||
	    vmt_put_cpu_figures(skb, &f) ||
	    nla_put_u32(skb, VMTRACE_CPU_A_RING_BYTES,
			vmt_ring_bytes(&vc->ring)))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

/*
 * The counters summed over every possible CPU: a few hundred bytes.  Not
 * RING_BYTES, whose sum a u32 cannot hold.
 */
static int vmt_put_totals(struct sk_buff *skb, const struct vmt_session *s)
{
	struct vmt_cpu_figures f = {};
	struct nlattr *nest;
	int cpu;

	for_each_possible_cpu(cpu)
		vmt_cpu_figures_add(&f, per_cpu_ptr(s->cpus, cpu));
	nest = nla_nest_start(skb, VMTRACE_A_TOTALS);
	if (!nest || vmt_put_cpu_figures(skb, &f))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int vmt_fill_status(struct sk_buff *skb, const struct vmt_session *s)
{
	if (nla_put_string(skb, VMTRACE_A_VERSION, VMT_VERSION) ||
	    nla_put_u32(skb, VMTRACE_A_FORMAT_VERSION, VMTRACE_FORMAT_VERSION) ||
	    nla_put_u32(skb, VMTRACE_A_NR_CPUS, num_possible_cpus()) ||
	    nla_put_u32(skb, VMTRACE_A_STATE,
			s ? s->state : VMTRACE_STATE_IDLE) ||
	    nla_put_u32(skb, VMTRACE_A_TSC_KHZ, tsc_khz) ||
	    nla_put_u64_64bit(skb, VMTRACE_A_RING_CAP, vmt_ring_cap(),
			      VMTRACE_A_PAD))
		return -EMSGSIZE;
	if (!s)
		return 0;
	if (nla_put_u32(skb, VMTRACE_A_SAMPLE_SOURCE, s->sample_source) ||
	    vmt_put_config(skb, s) || vmt_put_totals(skb, s))
		return -EMSGSIZE;
	return 0;
}

static int vmt_nl_get_status(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;
	int err;

	err = vmt_check_admin(skb, info->extack);
	if (err)
		return err;
	/* Globals, config (filters: 2 KiB at most) and totals: one page. */
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &vmt_genl_family, 0,
				VMTRACE_CMD_GET_STATUS);
	if (!hdr) {
		err = -EMSGSIZE;
		goto err_free;
	}
	mutex_lock(&vmt_session_mutex);
	err = vmt_fill_status(msg, vmt_session);
	mutex_unlock(&vmt_session_mutex);
	if (err)
		goto err_free;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_free:
	nlmsg_free(msg);
	return err;
}

/*
 * GET_CPUS cursor in cb->args: [0] the next CPU to report, [1] the
 * session generation the dump started on.  Each step looks the session
 * up again under the mutex, as READ does: a session that ended or was
 * replaced ends the dump.  Such a dump is incomplete, and says so: the
 * core sets NLM_F_DUMP_INTR on the closing message when cb->seq differs
 * from cb->prev_seq, which .start makes equal (non-zero, so that a dump
 * cut short before its first message is flagged too).
 */
static int vmt_nl_cpus_start(struct netlink_callback *cb)
{
	int err;

	err = vmt_check_admin(cb->skb, cb->extack);
	if (err)
		return err;
	mutex_lock(&vmt_session_mutex);
	if (!vmt_session) {
		NL_SET_ERR_MSG(cb->extack, "no vmtrace session");
		err = -ENOENT;
	} else {
		cb->args[0] = cpumask_first(cpu_possible_mask);
		cb->args[1] = vmt_session->generation;
		cb->seq = 1;
		cb->prev_seq = 1;
	}
	mutex_unlock(&vmt_session_mutex);
	return err;
}

/* One message of as many CPUs as fit in @skb, from the cursor on. */
static int vmt_nl_cpus_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct vmt_session *s;
	struct nlattr *cpus;
	int cpu = cb->args[0], n = 0, err = 0;
	void *hdr;

	if (cpu >= nr_cpu_ids)
		return 0;		/* every CPU was sent: done */
	mutex_lock(&vmt_session_mutex);
	s = vmt_session;
	if (!s || s->generation != cb->args[1]) {
		cb->seq = 2;		/* incomplete: NLM_F_DUMP_INTR */
		goto out;
	}
	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &vmt_genl_family, NLM_F_MULTI, VMTRACE_CMD_GET_CPUS);
	if (!hdr) {
		err = -EMSGSIZE;
		goto out;
	}
	cpus = nla_nest_start(skb, VMTRACE_A_CPUS);
	if (!cpus) {
		genlmsg_cancel(skb, hdr);
		err = -EMSGSIZE;
		goto out;
	}
	while (cpu < nr_cpu_ids) {
		const void *mark = skb_tail_pointer(skb);

		/* Also within the 64 KiB a nest can hold, whatever the skb. */
		if (vmt_put_cpu(skb, cpu, per_cpu_ptr(s->cpus, cpu)) ||
		    skb_tail_pointer(skb) - (unsigned char *)cpus > U16_MAX) {
			nlmsg_trim(skb, mark);
			break;
		}
		n++;
		cpu = cpumask_next(cpu, cpu_possible_mask);
	}
	if (!n) {
		/* Not even one CPU fits in an empty message: cannot be. */
		genlmsg_cancel(skb, hdr);
		err = -EMSGSIZE;
		goto out;
	}
	nla_nest_end(skb, cpus);
	genlmsg_end(skb, hdr);
	cb->args[0] = cpu;
out:
	mutex_unlock(&vmt_session_mutex);
	return err ?: skb->len;
}

static int vmt_nl_start(struct sk_buff *skb, struct genl_info *info)
{
	struct vmt_config *cfg;
	int err;

	err = vmt_check_admin(skb, info->extack);
	if (err)
		return err;
	cfg = kmalloc(sizeof(*cfg), GFP_KERNEL);
	if (!cfg)
		return -ENOMEM;
	err = vmt_parse_config(info, cfg);
	if (!err) {
		err = vmt_session_start(cfg, info->snd_portid, info->extack);
	}
	kfree(cfg);
	return err;
}

static int vmt_nl_stop(struct sk_buff *skb, struct genl_info *info)
{
	int err;

	err = vmt_check_admin(skb, info->extack);
	if (err)
		return err;
	err = vmt_session_stop(info->snd_portid, info->extack);
	return err;
}

/*
 * SET_TASK_SLOT: checked whole before anything changes.  The address is
 * only ever read by the probes with copy_from_user_nofault() from the VM's
 * own vCPU threads, so a wrong one costs a flagged record, nothing else;
 * it must still be a user address, 8-byte aligned (one page, one read).
 */
static int vmt_nl_set_task_slot(struct sk_buff *skb, struct genl_info *info)
{
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr *tb[VMTRACE_TSLOT_A_MAX + 1];
	struct vmt_task_slot_req req = {};
	struct vmt_session *s;
	int err;

	err = vmt_check_admin(skb, extack);
	if (err)
		return err;
	if (!info->attrs[VMTRACE_A_TASK_SLOT]) {
		NL_SET_ERR_MSG(extack, "VMTRACE_A_TASK_SLOT missing");
		return -EINVAL;
	}
	err = nla_parse_nested(tb, VMTRACE_TSLOT_A_MAX,
			       info->attrs[VMTRACE_A_TASK_SLOT],
			       vmt_tslot_policy, extack);
	if (err)
		return err;
	if (!tb[VMTRACE_TSLOT_A_VM_ID] || !tb[VMTRACE_TSLOT_A_VCPU] ||
	    !tb[VMTRACE_TSLOT_A_GS_BASE] || !tb[VMTRACE_TSLOT_A_HVA]) {
		NL_SET_ERR_MSG_ATTR(extack, info->attrs[VMTRACE_A_TASK_SLOT],
				    "VM id, vCPU, GS base and address are all needed");
		return -EINVAL;
	}
	req.vm_id = nla_get_u32(tb[VMTRACE_TSLOT_A_VM_ID]);
	req.vcpu = nla_get_u32(tb[VMTRACE_TSLOT_A_VCPU]);
	req.gs_base = nla_get_u64(tb[VMTRACE_TSLOT_A_GS_BASE]);
	req.hva = nla_get_u64(tb[VMTRACE_TSLOT_A_HVA]);
	if (req.hva && (!IS_ALIGNED(req.hva, sizeof(u64)) ||
			req.hva > TASK_SIZE_MAX - sizeof(u64))) {
		NL_SET_ERR_MSG_ATTR(extack, tb[VMTRACE_TSLOT_A_HVA],
				    "not an 8-byte aligned user address");
		return -EINVAL;
	}
	if (!tb[VMTRACE_TSLOT_A_DIRECT_MAP] != !tb[VMTRACE_TSLOT_A_PID_OFFSET]) {
		NL_SET_ERR_MSG_ATTR(extack, info->attrs[VMTRACE_A_TASK_SLOT],
				    "direct map and pid offset go together");
		return -EINVAL;
	}
	if (tb[VMTRACE_TSLOT_A_PID_OFFSET]) {
		req.tid = true;
		req.direct_map = nla_get_u64(tb[VMTRACE_TSLOT_A_DIRECT_MAP]);
		req.pid_offset = nla_get_u32(tb[VMTRACE_TSLOT_A_PID_OFFSET]);
		if (req.pid_offset >= SZ_64K || !IS_ALIGNED(req.pid_offset, 4)) {
			NL_SET_ERR_MSG_ATTR(extack, tb[VMTRACE_TSLOT_A_PID_OFFSET],
					    "pid offset not 4-byte aligned below 64 KiB");
			return -EINVAL;
		}
	}

	mutex_lock(&vmt_session_mutex);
	s = vmt_session;
	if (!s || s->state != VMTRACE_STATE_RUNNING) {
		NL_SET_ERR_MSG(extack, "no running vmtrace session");
		err = -ENOENT;
	} else if (s->owner_portid != info->snd_portid) {
		NL_SET_ERR_MSG(extack, "not the session's owner");
		err = -EPERM;
	} else {
		err = vmt_vm_set_task_slot(&req, s->generation, extack);
	}
	mutex_unlock(&vmt_session_mutex);
	return err;
}

/*
 * READ cursor in cb->args: [0] the CPU being drained, [1] the session
 * generation the dump started on (a new session ends the dump), [2] 1 +
 * the ring position to drain the current CPU up to, 0 if not yet taken.
 * Bounding each CPU by its head when the dump reaches it keeps a ring that
 * producers refill as fast as it drains from holding the dump forever.
 */
static int vmt_nl_read_start(struct netlink_callback *cb)
{
	u32 portid = NETLINK_CB(cb->skb).portid;
	int err;

	err = vmt_check_admin(cb->skb, cb->extack);
	if (err)
		return err;
	mutex_lock(&vmt_session_mutex);
	if (!vmt_session) {
		NL_SET_ERR_MSG(cb->extack, "no vmtrace session");
		err = -ENOENT;
	} else if (vmt_session->owner_portid != portid) {
		NL_SET_ERR_MSG(cb->extack, "the session belongs to another socket");
		err = -EPERM;
	} else {
		cb->args[0] = cpumask_first(cpu_possible_mask);
		cb->args[1] = vmt_session->generation;
		cb->args[2] = 0;
	}
	mutex_unlock(&vmt_session_mutex);
	return err;
}

/*
 * Put one message of at most @max records from @ring, as many as fit.
 * Returns the number of records, 0 if there were none, or -EMSGSIZE if not
 * even one record fits in what is left of @skb.
 */
static int vmt_read_batch(struct sk_buff *skb, struct netlink_callback *cb,
			  struct vmt_ring *ring, int cpu, u64 max, bool final)
{
	/* One attribute holds at most 64 KiB. */
	const u32 attr_max = (U16_MAX - NLA_HDRLEN) / VMTRACE_RECORD_SIZE;
	int overhead = GENL_HDRLEN + NLMSG_HDRLEN + nla_total_size(4) +
		       NLA_HDRLEN + NLA_ALIGNTO;
	int room = skb_tailroom(skb) - overhead;
	struct nlattr *attr;
	void *hdr;
	u32 n;

	if (room < VMTRACE_RECORD_SIZE)
		return -EMSGSIZE;
	max = min3(max, (u64)(room / VMTRACE_RECORD_SIZE), (u64)attr_max);
	if (!max)
		return 0;
	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &vmt_genl_family, NLM_F_MULTI, VMTRACE_CMD_READ);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, VMTRACE_A_CPU, cpu))
		goto err_cancel;
	attr = nla_reserve(skb, VMTRACE_A_RECORDS, max * VMTRACE_RECORD_SIZE);
	if (!attr)
		goto err_cancel;
	n = vmt_ring_read(ring, nla_data(attr), max, final);
	if (!n) {
		genlmsg_cancel(skb, hdr);
		return 0;
	}
	/* Shrink the attribute to what was read; the skb is linear. */
	attr->nla_len = nla_attr_size(n * VMTRACE_RECORD_SIZE);
	skb_trim(skb, (unsigned char *)attr +
		      nla_total_size(n * VMTRACE_RECORD_SIZE) - skb->data);
	genlmsg_end(skb, hdr);
	return n;

err_cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

static int vmt_nl_read_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct vmt_session *s;
	int cpu = cb->args[0];

	mutex_lock(&vmt_session_mutex);
	s = vmt_session;
	if (!s || s->generation != cb->args[1]) {
		mutex_unlock(&vmt_session_mutex);
		return 0;
	}
	while (cpu < nr_cpu_ids) {
		struct vmt_ring *ring = &per_cpu_ptr(s->cpus, cpu)->ring;
		bool final = s->state == VMTRACE_STATE_STOPPED;
		u64 end, left;
		int n;

		if (!cb->args[2])
			cb->args[2] = smp_load_acquire(&ring->head) + 1;
		end = cb->args[2] - 1;
		left = end - ring->tail;
		/* Stopped: room for the marker of loss still pending. */
		n = vmt_read_batch(skb, cb, ring, cpu, left + final, final);
		if (n < 0)
			break;		/* skb full: resume on this CPU */
		if (n == 0 || ring->tail >= end) {
			cpu = cpumask_next(cpu, cpu_possible_mask);
			cb->args[2] = 0;
		}
	}
	cb->args[0] = cpu;
	mutex_unlock(&vmt_session_mutex);
	return skb->len;
}

static int vmt_nl_vms_start(struct netlink_callback *cb)
{
	cb->args[0] = 0;
	return vmt_check_admin(cb->skb, cb->extack);
}

static int vmt_nl_put_memslot(const struct vmt_memslot_info *slot, void *arg)
{
	struct sk_buff *skb = arg;
	struct nlattr *nest = nla_nest_start(skb, 0);

	if (!nest ||
	    nla_put_u32(skb, VMTRACE_SLOT_A_ID, slot->id) ||
	    nla_put_u64_64bit(skb, VMTRACE_SLOT_A_GPA, slot->gpa,
			      VMTRACE_SLOT_A_PAD) ||
	    nla_put_u64_64bit(skb, VMTRACE_SLOT_A_SIZE, slot->size,
			      VMTRACE_SLOT_A_PAD) ||
	    nla_put_u64_64bit(skb, VMTRACE_SLOT_A_HVA, slot->hva,
			      VMTRACE_SLOT_A_PAD) ||
	    nla_put_u32(skb, VMTRACE_SLOT_A_FLAGS, slot->flags))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

struct vmt_nl_dump {
	struct sk_buff *skb;
	u32 portid, seq;
};

/* One GET_VMS message: under vmt_vm_lock (vmt_vm_dump()), no allocation. */
static int vmt_nl_put_vm(const struct vmt_vm_info *vm, void *arg)
{
	struct vmt_nl_dump *d = arg;
	struct sk_buff *skb = d->skb;
	struct nlattr *nest, *slots;
	void *hdr;

	hdr = genlmsg_put(skb, d->portid, d->seq, &vmt_genl_family, NLM_F_MULTI,
			  VMTRACE_CMD_GET_VMS);
	if (!hdr)
		return -EMSGSIZE;
	nest = nla_nest_start(skb, VMTRACE_A_VM);
	if (!nest ||
	    nla_put_u32(skb, VMTRACE_VM_A_ID, vm->id) ||
	    nla_put_u32(skb, VMTRACE_VM_A_PID, vm->pid) ||
	    nla_put_u32(skb, VMTRACE_VM_A_NR_VCPUS, vm->nr_vcpus) ||
	    nla_put_u32(skb, VMTRACE_VM_A_VENDOR, vmt_host_vendor) ||
	    nla_put_u32(skb, VMTRACE_VM_A_FLAGS, vm->flags))
		goto err_cancel;
	slots = nla_nest_start(skb, VMTRACE_VM_A_MEMSLOTS);
	if (!slots || vmt_vm_for_each_memslot(vm, vmt_nl_put_memslot, skb))
		goto err_cancel;
	nla_nest_end(skb, slots);
	nla_nest_end(skb, nest);
	genlmsg_end(skb, hdr);
	return 0;

err_cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

static int vmt_nl_vms_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct vmt_nl_dump d = {
		.skb = skb,
		.portid = NETLINK_CB(cb->skb).portid,
		.seq = cb->nlh->nlmsg_seq,
	};
	int err;

	err = vmt_vm_dump(&cb->args[0], vmt_nl_put_vm, &d);
	/* A VM that does not fit in an empty message is an error. */
	if (err && !skb->len)
		return err;
	return skb->len;
}

static const struct genl_ops vmt_genl_ops[] = {
	{
		.cmd = VMTRACE_CMD_GET_STATUS,
		.doit = vmt_nl_get_status,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = VMTRACE_CMD_START,
		.doit = vmt_nl_start,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = VMTRACE_CMD_STOP,
		.doit = vmt_nl_stop,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = VMTRACE_CMD_READ,
		.start = vmt_nl_read_start,
		.dumpit = vmt_nl_read_dump,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = VMTRACE_CMD_GET_VMS,
		.start = vmt_nl_vms_start,
		.dumpit = vmt_nl_vms_dump,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = VMTRACE_CMD_GET_CPUS,
		.start = vmt_nl_cpus_start,
		.dumpit = vmt_nl_cpus_dump,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = VMTRACE_CMD_SET_TASK_SLOT,
		.doit = vmt_nl_set_task_slot,
		.flags = GENL_ADMIN_PERM,
	},
};

static struct genl_family vmt_genl_family __ro_after_init = {
	.ops = vmt_genl_ops,
	.n_ops = ARRAY_SIZE(vmt_genl_ops),
	.name = VMTRACE_GENL_NAME,
	.version = VMTRACE_GENL_VERSION,
	.maxattr = VMTRACE_A_MAX,
	.policy = vmt_policy,
	.module = THIS_MODULE,
	.netnsok = false,
	/* vmt_session_mutex serialises what needs it; GET_VMS need not wait. */
	.parallel_ops = true,
};

int __init vmt_genl_init(void)
{
	return genl_register_family(&vmt_genl_family);
}

void vmt_genl_exit(void)
{
	genl_unregister_family(&vmt_genl_family);
}
