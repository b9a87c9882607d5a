// SPDX-License-Identifier: GPL-2.0
/*
 * The module backend of the client (client.h): vmtrace.ko's generic
 * netlink family, on libnl-3.  libnl's -NLE_* codes are
 * converted to -errno here and nowhere else; the kernel's own errno and
 * extended-ack message are taken from its error message directly, since
 * libnl's conversion of them loses information.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <netlink/netlink.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include "client/backend.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

struct client_genl {
	struct nl_sock *sock;
	int family;
	int kernel_errno;		/* from the last NLMSG_ERROR, <= 0 */
	bool done;			/* the ACK, error or end of dump came */
	char error[256];
};

int client_nle_to_errno(int nle)
{
	switch (nle < 0 ? -nle : nle) {
	case 0: return 0;
	case NLE_INTR: return -EINTR;
	case NLE_AGAIN: return -EAGAIN;
	case NLE_NOMEM: return -ENOMEM;
	case NLE_EXIST: return -EEXIST;
	case NLE_INVAL: return -EINVAL;
	case NLE_RANGE: return -ERANGE;
	case NLE_MSGSIZE: return -EMSGSIZE;
	case NLE_OPNOTSUPP: return -EOPNOTSUPP;
	case NLE_OBJ_NOTFOUND: return -ENOENT;
	case NLE_BUSY: return -EBUSY;
	case NLE_NOACCESS: return -EACCES;
	case NLE_PERM: return -EPERM;
	case NLE_NODEV: return -ENODEV;
	case NLE_MSG_TRUNC: return -EMSGSIZE;
	case NLE_DUMP_INTR: return -EINTR;
	default: return -EIO;
	}
}

const char *client_genl_error(const struct client_genl *c)
{
	return c ? c->error : "";
}

/* NLMSG_ERROR: keep the errno and the extended-ack message. */
static int vmt_on_error(struct sockaddr_nl *nla, struct nlmsgerr *err,
			void *arg)
{
	struct client_genl *c = arg;
	struct nlmsghdr *nlh = (struct nlmsghdr *)err - 1;
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t hlen = sizeof(*err);

	(void)nla;
	c->done = true;
	c->kernel_errno = err->error;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NL_STOP;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		hlen += err->msg.nlmsg_len - sizeof(struct nlmsghdr);
	if (nlh->nlmsg_len <= NLMSG_HDRLEN + hlen)
		return NL_STOP;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX,
		      (struct nlattr *)((char *)err + hlen),
		      nlh->nlmsg_len - NLMSG_HDRLEN - hlen, NULL) == 0 &&
	    tb[NLMSGERR_ATTR_MSG])
		snprintf(c->error, sizeof(c->error), "%s",
			 nla_get_string(tb[NLMSGERR_ATTR_MSG]));
	return NL_STOP;
}

/* The ACK of a request, or NLMSG_DONE of a dump: the reply is complete. */
static int vmt_on_done(struct nl_msg *msg, void *arg)
{
	struct client_genl *c = arg;

	(void)msg;
	c->done = true;
	return NL_STOP;
}

int client_genl_open(struct client_genl **out)
{
	struct client_genl *c;
	int one = 1, err;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->sock = nl_socket_alloc();
	if (!c->sock) {
		err = -ENOMEM;
		goto err_free;
	}
	err = genl_connect(c->sock);
	if (err < 0) {
		err = client_nle_to_errno(err);
		goto err_sock;
	}
	/* Large dump messages: the kernel sizes them after our buffer. */
	nl_socket_disable_msg_peek(c->sock);
	nl_socket_set_msg_buf_size(c->sock, 64 << 10);
	nl_socket_set_buffer_size(c->sock, 4 << 20, 0);
	setsockopt(nl_socket_get_fd(c->sock), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));
	c->family = genl_ctrl_resolve(c->sock, VMTRACE_GENL_NAME);
	if (c->family < 0) {
		err = client_nle_to_errno(c->family);
		goto err_sock;
	}
	nl_socket_modify_err_cb(c->sock, NL_CB_CUSTOM, vmt_on_error, c);
	nl_socket_modify_cb(c->sock, NL_CB_ACK, NL_CB_CUSTOM, vmt_on_done, c);
	nl_socket_modify_cb(c->sock, NL_CB_FINISH, NL_CB_CUSTOM, vmt_on_done, c);
	*out = c;
	return 0;

err_sock:
	nl_socket_free(c->sock);
err_free:
	free(c);
	return err;
}

void client_genl_close(struct client_genl *c)
{
	if (!c)
		return;
	nl_socket_free(c->sock);
	free(c);
}

/*
 * Send @msg (consumed) and receive until the ACK, the end of the dump or
 * an error, passing each valid message to @fn.  libnl's nl_recvmsgs()
 * returns after one datagram unless it is multipart, so a reply followed
 * by its ACK needs the loop: an ACK left behind would be taken for the
 * answer to the next request.
 */
static int vmt_transact(struct client_genl *c, struct nl_msg *msg,
			nl_recvmsg_msg_cb_t fn, void *arg)
{
	int err;

	c->kernel_errno = 0;
	c->done = false;
	c->error[0] = '\0';
	nl_socket_modify_cb(c->sock, NL_CB_VALID, fn ? NL_CB_CUSTOM : NL_CB_DEFAULT,
			    fn, arg);
	err = nl_send_auto(c->sock, msg);
	nlmsg_free(msg);
	if (err < 0)
		return client_nle_to_errno(err);
	do
		err = nl_recvmsgs_default(c->sock);
	while (err >= 0 && !c->done);
	if (c->kernel_errno)
		return c->kernel_errno;
	return err < 0 ? client_nle_to_errno(err) : 0;
}

static struct nl_msg *vmt_msg(struct client_genl *c, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, c->family, 0,
			 flags | NLM_F_ACK, cmd, VMTRACE_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/* ---- GET_STATUS, GET_CPUS ---- */

/* The VMTRACE_CPU_A_* figures in @tb (absent ones stay 0). */
static void vmt_parse_figures(struct nlattr **tb, struct client_cpu_status *cs)
{
	struct nlattr *lost;
	int rem;

	if (tb[VMTRACE_CPU_A_PRODUCED])
		cs->produced = nla_get_u64(tb[VMTRACE_CPU_A_PRODUCED]);
	if (tb[VMTRACE_CPU_A_DRAINED])
		cs->drained = nla_get_u64(tb[VMTRACE_CPU_A_DRAINED]);
	if (tb[VMTRACE_CPU_A_HOST_SAMPLES])
		cs->host_samples = nla_get_u64(tb[VMTRACE_CPU_A_HOST_SAMPLES]);
	if (tb[VMTRACE_CPU_A_QUEUED])
		cs->queued = nla_get_u64(tb[VMTRACE_CPU_A_QUEUED]);
	if (tb[VMTRACE_CPU_A_COST_CYCLES])
		cs->cost_cycles = nla_get_u64(tb[VMTRACE_CPU_A_COST_CYCLES]);
	if (tb[VMTRACE_CPU_A_COST_EVENTS])
		cs->cost_events = nla_get_u64(tb[VMTRACE_CPU_A_COST_EVENTS]);
	if (tb[VMTRACE_CPU_A_RING_BYTES])
		cs->ring_bytes = nla_get_u32(tb[VMTRACE_CPU_A_RING_BYTES]);
	if (tb[VMTRACE_CPU_A_LOST])
		nla_for_each_nested(lost, tb[VMTRACE_CPU_A_LOST], rem)
			if (nla_type(lost) < __VMTRACE_LOST_MAX)
				cs->lost[nla_type(lost)] = nla_get_u64(lost);
}

static int vmt_parse_cpu(struct nlattr *nest, struct client_cpu_status *cs)
{
	struct nlattr *tb[VMTRACE_CPU_A_MAX + 1];

	memset(cs, 0, sizeof(*cs));
	if (nla_parse_nested(tb, VMTRACE_CPU_A_MAX, nest, NULL) < 0 ||
	    !tb[VMTRACE_CPU_A_CPU])
		return -EPROTO;
	cs->cpu = nla_get_u32(tb[VMTRACE_CPU_A_CPU]);
	vmt_parse_figures(tb, cs);
	return 0;
}

static int vmt_parse_status(struct nl_msg *msg, void *arg)
{
	struct client_status *st = arg;
	struct nlattr *tb[VMTRACE_A_MAX + 1], *cfg[VMTRACE_CFG_A_MAX + 1];
	struct nlattr *totals[VMTRACE_CPU_A_MAX + 1];

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, VMTRACE_A_MAX, NULL) < 0)
		return NL_SKIP;
	if (tb[VMTRACE_A_VERSION])
		snprintf(st->version, sizeof(st->version), "%s",
			 nla_get_string(tb[VMTRACE_A_VERSION]));
	if (tb[VMTRACE_A_FORMAT_VERSION])
		st->format_version = nla_get_u32(tb[VMTRACE_A_FORMAT_VERSION]);
	if (tb[VMTRACE_A_NR_CPUS])
		st->nr_cpus = nla_get_u32(tb[VMTRACE_A_NR_CPUS]);
	if (tb[VMTRACE_A_STATE])
		st->state = nla_get_u32(tb[VMTRACE_A_STATE]);
	if (tb[VMTRACE_A_TSC_KHZ])
		st->tsc_khz = nla_get_u32(tb[VMTRACE_A_TSC_KHZ]);
	if (tb[VMTRACE_A_RING_CAP])
		st->ring_cap = nla_get_u64(tb[VMTRACE_A_RING_CAP]);
	if (tb[VMTRACE_A_SAMPLE_SOURCE])
		st->sample_source = nla_get_u32(tb[VMTRACE_A_SAMPLE_SOURCE]);
	if (tb[VMTRACE_A_CONFIG] &&
	    nla_parse_nested(cfg, VMTRACE_CFG_A_MAX, tb[VMTRACE_A_CONFIG],
			     NULL) == 0) {
		st->has_session = true;
		if (cfg[VMTRACE_CFG_A_RING_SIZE])
			st->ring_size = nla_get_u32(cfg[VMTRACE_CFG_A_RING_SIZE]);
		if (cfg[VMTRACE_CFG_A_SAMPLE_HZ])
			st->sample_hz = nla_get_u32(cfg[VMTRACE_CFG_A_SAMPLE_HZ]);
		if (cfg[VMTRACE_CFG_A_FLAGS])
			st->flags = nla_get_u32(cfg[VMTRACE_CFG_A_FLAGS]);
		if (cfg[VMTRACE_CFG_A_EXIT_FILTER])
			st->nr_exits = nla_len(cfg[VMTRACE_CFG_A_EXIT_FILTER]) / 4;
		if (cfg[VMTRACE_CFG_A_VM_PIDS])
			st->nr_pids = nla_len(cfg[VMTRACE_CFG_A_VM_PIDS]) / 4;
	}
	if (tb[VMTRACE_A_TOTALS] &&
	    nla_parse_nested(totals, VMTRACE_CPU_A_MAX, tb[VMTRACE_A_TOTALS],
			     NULL) == 0)
		vmt_parse_figures(totals, &st->totals);
	return NL_OK;
}

int client_genl_status(struct client_genl *c, struct client_status *st)
{
	struct nl_msg *msg = vmt_msg(c, VMTRACE_CMD_GET_STATUS, 0);
	int err;

	memset(st, 0, sizeof(*st));
	if (!msg)
		return -ENOMEM;
	err = vmt_transact(c, msg, vmt_parse_status, st);
	if (!err && !st->version[0])
		err = -EPROTO;
	return err;
}

struct vmt_cpus_ctx {
	struct client_cpu_status *cpus;
	size_t nr, cap;
	int err;
};

/* One message of the dump: a VMTRACE_A_CPUS nest of one or more CPUs. */
static int vmt_parse_cpus(struct nl_msg *msg, void *arg)
{
	struct vmt_cpus_ctx *ctx = arg;
	struct nlattr *tb[VMTRACE_A_MAX + 1], *cpu;
	int rem;

	if (ctx->err)
		return NL_SKIP;		/* read the rest of the dump */
	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, VMTRACE_A_MAX, NULL) < 0 ||
	    !tb[VMTRACE_A_CPUS]) {
		ctx->err = -EPROTO;
		return NL_SKIP;
	}
	nla_for_each_nested(cpu, tb[VMTRACE_A_CPUS], rem) {
		if (ctx->nr == ctx->cap) {
			size_t cap = ctx->cap ? ctx->cap * 2 : 64;
			struct client_cpu_status *p;

			p = realloc(ctx->cpus, cap * sizeof(*p));
			if (!p) {
				ctx->err = -ENOMEM;
				return NL_SKIP;
			}
			ctx->cpus = p;
			ctx->cap = cap;
		}
		ctx->err = vmt_parse_cpu(cpu, &ctx->cpus[ctx->nr]);
		if (ctx->err)
			return NL_SKIP;
		ctx->nr++;
	}
	return NL_OK;
}

int client_genl_get_cpus(struct client_genl *c, struct client_cpu_status **cpus,
			size_t *nr)
{
	struct vmt_cpus_ctx ctx = { 0 };
	struct nl_msg *msg = vmt_msg(c, VMTRACE_CMD_GET_CPUS, NLM_F_DUMP);
	int err;

	if (!msg)
		return -ENOMEM;
	err = vmt_transact(c, msg, vmt_parse_cpus, &ctx);
	if (!err)
		err = ctx.err;
	if (err) {
		free(ctx.cpus);
		return err;
	}
	*cpus = ctx.cpus;
	*nr = ctx.nr;
	return 0;
}

/* ---- START / STOP ---- */

int client_genl_start(struct client_genl *c, const struct client_start_config *cfg)
{
	struct nl_msg *msg = vmt_msg(c, VMTRACE_CMD_START, 0);
	struct nlattr *nest;

	if (!msg)
		return -ENOMEM;
	nest = nla_nest_start(msg, VMTRACE_A_CONFIG);
	if (!nest ||
	    (cfg->ring_size &&
	     nla_put_u32(msg, VMTRACE_CFG_A_RING_SIZE, cfg->ring_size)) ||
	    nla_put_u32(msg, VMTRACE_CFG_A_SAMPLE_HZ, cfg->sample_hz) ||
	    nla_put_u32(msg, VMTRACE_CFG_A_SAMPLE_SOURCE, cfg->sample_source) ||
	    nla_put_u32(msg, VMTRACE_CFG_A_FLAGS, cfg->flags) ||
	    (cfg->nr_exits &&
	     nla_put(msg, VMTRACE_CFG_A_EXIT_FILTER,
		     cfg->nr_exits * sizeof(uint32_t), cfg->exits)) ||
	    (cfg->nr_pids &&
	     nla_put(msg, VMTRACE_CFG_A_VM_PIDS,
		     cfg->nr_pids * sizeof(uint32_t), cfg->pids))) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	nla_nest_end(msg, nest);
	return vmt_transact(c, msg, NULL, NULL);
}

int client_genl_stop(struct client_genl *c)
{
	struct nl_msg *msg = vmt_msg(c, VMTRACE_CMD_STOP, 0);

	if (!msg)
		return -ENOMEM;
	return vmt_transact(c, msg, NULL, NULL);
}

/* ---- SET_TASK_SLOT ---- */

int client_genl_set_task_slot(struct client_genl *c, const struct client_task_slot *s)
{
	struct nl_msg *msg = vmt_msg(c, VMTRACE_CMD_SET_TASK_SLOT, 0);
	struct nlattr *nest;

	if (!msg)
		return -ENOMEM;
	nest = nla_nest_start(msg, VMTRACE_A_TASK_SLOT);
	if (!nest ||
	    nla_put_u32(msg, VMTRACE_TSLOT_A_VM_ID, s->vm_id) ||
	    nla_put_u32(msg, VMTRACE_TSLOT_A_VCPU, s->vcpu) ||
	    nla_put_u64(msg, VMTRACE_TSLOT_A_GS_BASE, s->gs_base) ||
	    nla_put_u64(msg, VMTRACE_TSLOT_A_HVA, s->hva) ||
	    (s->tid && (nla_put_u64(msg, VMTRACE_TSLOT_A_DIRECT_MAP, s->direct_map) ||
			nla_put_u32(msg, VMTRACE_TSLOT_A_PID_OFFSET, s->pid_offset)))) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	nla_nest_end(msg, nest);
	return vmt_transact(c, msg, NULL, NULL);
}

/* ---- READ ---- */

struct vmt_read_ctx {
	client_records_fn fn;
	void *arg;
	long count;
	int err;
};

static int vmt_parse_records(struct nl_msg *msg, void *arg)
{
	struct vmt_read_ctx *ctx = arg;
	struct nlattr *tb[VMTRACE_A_MAX + 1];
	size_t len, n;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, VMTRACE_A_MAX, NULL) < 0 ||
	    !tb[VMTRACE_A_CPU] || !tb[VMTRACE_A_RECORDS]) {
		ctx->err = -EPROTO;
		return NL_STOP;
	}
	len = nla_len(tb[VMTRACE_A_RECORDS]);
	if (len % sizeof(struct vmtrace_record)) {
		ctx->err = -EPROTO;
		return NL_STOP;
	}
	n = len / sizeof(struct vmtrace_record);
	ctx->count += n;
	if (ctx->fn) {
		/* nla_data is 4-byte aligned; records want 8: copy if needed. */
		const void *data = nla_data(tb[VMTRACE_A_RECORDS]);
		int err;

		if ((uintptr_t)data % 8) {
			void *copy = malloc(len);

			if (!copy) {
				ctx->err = -ENOMEM;
				return NL_STOP;
			}
			memcpy(copy, data, len);
			err = ctx->fn(ctx->arg, nla_get_u32(tb[VMTRACE_A_CPU]),
				      copy, n);
			free(copy);
		} else {
			err = ctx->fn(ctx->arg, nla_get_u32(tb[VMTRACE_A_CPU]),
				      data, n);
		}
		if (err) {
			/* Keep reading to the end of the dump, but stop calling. */
			ctx->err = err;
			ctx->fn = NULL;
		}
	}
	return NL_OK;
}

long client_genl_read(struct client_genl *c, client_records_fn fn, void *arg)
{
	struct vmt_read_ctx ctx = { .fn = fn, .arg = arg };
	struct nl_msg *msg = vmt_msg(c, VMTRACE_CMD_READ, NLM_F_DUMP);
	int err;

	if (!msg)
		return -ENOMEM;
	err = vmt_transact(c, msg, vmt_parse_records, &ctx);
	if (err)
		return err;
	return ctx.err ? ctx.err : ctx.count;
}

/* ---- GET_VMS ---- */

struct vmt_vms_ctx {
	struct client_vm_info *vms;
	size_t nr;
	int err;
};

static int vmt_parse_slots(struct nlattr *nest, struct client_vm_info *vm)
{
	struct nlattr *slot, *tb[VMTRACE_SLOT_A_MAX + 1];
	size_t n = 0;
	int rem;

	nla_for_each_nested(slot, nest, rem)
		n++;
	vm->slots = calloc(n ? n : 1, sizeof(*vm->slots));
	if (!vm->slots)
		return -ENOMEM;
	nla_for_each_nested(slot, nest, rem) {
		struct client_memslot *s = &vm->slots[vm->nr_slots];

		if (nla_parse_nested(tb, VMTRACE_SLOT_A_MAX, slot, NULL) < 0 ||
		    !tb[VMTRACE_SLOT_A_GPA] || !tb[VMTRACE_SLOT_A_SIZE] ||
		    !tb[VMTRACE_SLOT_A_HVA])
			return -EPROTO;
		s->id = tb[VMTRACE_SLOT_A_ID] ? nla_get_u32(tb[VMTRACE_SLOT_A_ID]) : 0;
		s->flags = tb[VMTRACE_SLOT_A_FLAGS] ?
			   nla_get_u32(tb[VMTRACE_SLOT_A_FLAGS]) : 0;
		s->gpa = nla_get_u64(tb[VMTRACE_SLOT_A_GPA]);
		s->size = nla_get_u64(tb[VMTRACE_SLOT_A_SIZE]);
		s->hva = nla_get_u64(tb[VMTRACE_SLOT_A_HVA]);
		vm->nr_slots++;
	}
	return 0;
}

static int vmt_parse_vm(struct nl_msg *msg, void *arg)
{
	struct vmt_vms_ctx *ctx = arg;
	struct nlattr *tb[VMTRACE_A_MAX + 1], *vtb[VMTRACE_VM_A_MAX + 1];
	struct client_vm_info *vms, *vm;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, VMTRACE_A_MAX, NULL) < 0 ||
	    !tb[VMTRACE_A_VM] ||
	    nla_parse_nested(vtb, VMTRACE_VM_A_MAX, tb[VMTRACE_A_VM], NULL) < 0 ||
	    !vtb[VMTRACE_VM_A_ID] || !vtb[VMTRACE_VM_A_PID]) {
		ctx->err = -EPROTO;
		return NL_STOP;
	}
	vms = realloc(ctx->vms, (ctx->nr + 1) * sizeof(*vms));
	if (!vms) {
		ctx->err = -ENOMEM;
		return NL_STOP;
	}
	ctx->vms = vms;
	vm = &vms[ctx->nr++];
	memset(vm, 0, sizeof(*vm));
	vm->id = nla_get_u32(vtb[VMTRACE_VM_A_ID]);
	vm->pid = nla_get_u32(vtb[VMTRACE_VM_A_PID]);
	if (vtb[VMTRACE_VM_A_NR_VCPUS])
		vm->nr_vcpus = nla_get_u32(vtb[VMTRACE_VM_A_NR_VCPUS]);
	if (vtb[VMTRACE_VM_A_VENDOR])
		vm->vendor = nla_get_u32(vtb[VMTRACE_VM_A_VENDOR]);
	if (vtb[VMTRACE_VM_A_FLAGS])
		vm->flags = nla_get_u32(vtb[VMTRACE_VM_A_FLAGS]);
	if (vtb[VMTRACE_VM_A_MEMSLOTS]) {
		ctx->err = vmt_parse_slots(vtb[VMTRACE_VM_A_MEMSLOTS], vm);
		if (ctx->err)
			return NL_STOP;
	}
	return NL_OK;
}

int client_genl_get_vms(struct client_genl *c, struct client_vm_info **vms,
		       size_t *nr)
{
	struct vmt_vms_ctx ctx = { 0 };
	struct nl_msg *msg = vmt_msg(c, VMTRACE_CMD_GET_VMS, NLM_F_DUMP);
	int err;

	if (!msg)
		return -ENOMEM;
	err = vmt_transact(c, msg, vmt_parse_vm, &ctx);
	if (!err)
		err = ctx.err;
	if (err) {
		client_vms_free(ctx.vms, ctx.nr);
		return err;
	}
	*vms = ctx.vms;
	*nr = ctx.nr;
	return 0;
}

int client_genl_send_raw(struct client_genl *c, uint8_t cmd, uint16_t flags,
			const void *attrs, size_t len)
{
	struct nl_msg *msg = vmt_msg(c, cmd, flags);

	if (!msg)
		return -ENOMEM;
	if (len && nlmsg_append(msg, (void *)attrs, len, 0) < 0) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return vmt_transact(c, msg, NULL, NULL);
}
