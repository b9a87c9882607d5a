// SPDX-License-Identifier: GPL-2.0
/* Guest introspection while recording: see guest/record.h. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "client/client.h"
#include "util/clock.h"
#include "guest/guest.h"
#include "guest/record.h"
#include "util/options.h"
#include "trace/trace.h"
#include "util/log.h"

#define DEFAULT_POLL_US 1000
/* vCPUs whose current-task slot is set in the module, per VM. */
#define SLOT_VCPUS_MAX 4096U
/* A vCPU's slot is looked up again at most this often (a guest that keeps
 * changing its GS base costs one translation and one request per second). */
#define SLOT_RETRY_NS 1000000000ULL


enum rec_vm_state { VM_NOTED, VM_OPEN, VM_FAILED };

struct rec_vm {
	uint32_t vm_id, vmm_pid;
	struct trace_vm_meta meta;	/* its trace entry */
	enum rec_vm_state state;
	struct guest *g;
	uint64_t records;	/* exits and samples with guest state */
	uint64_t named;		/* ... whose task the decoder named */
	uint64_t tasks, symbols; /* metadata entries written */
	char why[256];		/* VM_FAILED, or not ready: why */
	/* Per vCPU: the GS base whose slot was set (or asked for), when. */
	struct {
		uint64_t gs_base, at_ns;
	} *slots;
	uint64_t slots_set, slot_failures;
	uint64_t task_faults;	/* records whose task read would have faulted */
};

struct guest_recorder {
	struct guest_rec_opts o;
	struct rec_vm *vms;
	size_t nr, cap;
	size_t noted;		/* VMs in VM_NOTED */
	size_t last;		/* the last VM looked up */
	struct client_task_slot *requests;	/* SET_TASK_SLOTs not sent yet */
	size_t nr_requests, cap_requests;
	int slots_refused;	/* the module refused: -errno, no more asked */
};

int guest_rec_add_forced(struct guest_rec_opts *o, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char pid[16];
	uint64_t v;

	if (!eq || eq == arg || !eq[1] || (size_t)(eq - arg) >= sizeof(pid))
		return -EINVAL;
	memcpy(pid, arg, eq - arg);
	pid[eq - arg] = 0;
	if (util_parse_u64(pid, 1, INT_MAX, &v))
		return -EINVAL;
	if (o->nr_forced == GUEST_REC_MAX_FORCED)
		return -E2BIG;
	o->forced[o->nr_forced].vmm_pid = v;
	o->forced[o->nr_forced++].path = eq + 1;
	return 0;
}

int guest_rec_new(const struct guest_rec_opts *o, struct guest_recorder **out)
{
	struct guest_recorder *gr = calloc(1, sizeof(*gr));

	if (!gr)
		return -ENOMEM;
	gr->o = *o;
	if (!gr->o.poll_us)
		gr->o.poll_us = DEFAULT_POLL_US;
	*out = gr;
	return 0;
}

static struct rec_vm *find_vm(struct guest_recorder *gr, uint32_t vm_id)
{
	size_t i;

	if (gr->last < gr->nr && gr->vms[gr->last].vm_id == vm_id)
		return &gr->vms[gr->last];
	for (i = 0; i < gr->nr; i++) {
		if (gr->vms[i].vm_id == vm_id) {
			gr->last = i;
			return &gr->vms[i];
		}
	}
	return NULL;
}

void guest_rec_note_vm(struct guest_recorder *gr, const struct trace_vm_meta *vm)
{
	struct rec_vm *v;
	size_t i;

	if (find_vm(gr, vm->vm_id))
		return;
	/* A VM the session does not record: no decoder (nor its poller). */
	for (i = 0; i < gr->o.nr_pids && gr->o.pids[i] != vm->vmm_pid; i++)
		;
	if (gr->o.nr_pids && i == gr->o.nr_pids)
		return;
	if (gr->nr == gr->cap) {
		size_t cap = gr->cap ? 2 * gr->cap : 8;

		v = realloc(gr->vms, cap * sizeof(*v));
		if (!v)
			return;		/* that VM goes unnamed */
		gr->vms = v;
		gr->cap = cap;
	}
	v = &gr->vms[gr->nr++];
	memset(v, 0, sizeof(*v));
	v->vm_id = vm->vm_id;
	v->vmm_pid = vm->vmm_pid;
	v->meta = *vm;
	v->state = VM_NOTED;
	gr->noted++;
}

static const char *forced_profile(const struct guest_recorder *gr, uint32_t pid)
{
	size_t i;

	for (i = 0; i < gr->o.nr_forced; i++)
		if (gr->o.forced[i].vmm_pid == pid)
			return gr->o.forced[i].path;
	return NULL;
}

/* One line for the VM's trace entry: what the guest is, or why no names. */
static void describe_guest(struct rec_vm *v, const struct guest_info *info)
{
	char *g = v->meta.guest;
	size_t len = sizeof(v->meta.guest);

	if (!info->ready) {
		snprintf(g, len, "no guest task names: %s", v->why);
		return;
	}
	snprintf(g, len, "Linux %s, profile %s, kernel at guest-physical 0x%llx, "
		 "virtual KASLR slide %s0x%llx, %s paging", info->release, info->profile,
		 (unsigned long long)info->phys_load, info->virt_slide < 0 ? "-" : "+",
		 (unsigned long long)(info->virt_slide < 0 ? -info->virt_slide :
				      info->virt_slide), guest_paging_name(info->paging));
}

static void guess_slots(struct guest_recorder *gr, struct rec_vm *v, uint32_t nr_vcpus);

static void open_guest(struct guest_recorder *gr, struct rec_vm *v,
		       const struct client_vm_info *vm)
{
	struct guest_opts opts = {
		.profile_dir = gr->o.profile_dir,
		.profile_path = forced_profile(gr, v->vmm_pid),
		.poll_us = gr->o.poll_us,
	};
	struct guest_info info;
	int err;

	err = guest_open(vm, &opts, &v->g);
	if (err) {
		snprintf(v->why, sizeof(v->why), "%s", strerror(-err));
		snprintf(v->meta.guest, sizeof(v->meta.guest), "no guest task names: %s",
			 v->why);
		v->state = VM_FAILED;
		return;
	}
	v->state = VM_OPEN;
	guest_info(v->g, &info);
	if (!info.ready)
		snprintf(v->why, sizeof(v->why), "%s", info.status);
	else
		guess_slots(gr, v, vm->nr_vcpus);
	describe_guest(v, &info);
	if (gr->o.quiet)
		return;
	if (info.ready)
		util_log("vm %u (pid %u): guest Linux %s, profile %s, kaslr "
			"virtual %+lld MiB: naming its processes", v->vm_id,
			v->vmm_pid, info.release, info.profile,
			(long long)info.virt_slide / (1 << 20));
	else
		util_log("vm %u (pid %u): no guest names: %s",
			v->vm_id, v->vmm_pid, info.status);
}

int guest_rec_attach_vms(struct guest_recorder *gr, const struct client_vm_info *vms,
			 size_t nr, int err, struct trace_writer *w)
{
	size_t i, j;
	int ret = 0;

	for (i = 0; i < gr->nr; i++) {
		struct rec_vm *v = &gr->vms[i];

		if (v->state != VM_NOTED)
			continue;
		for (j = 0; !err && j < nr && vms[j].id != v->vm_id; j++)
			;
		if (err || j == nr) {
			snprintf(v->why, sizeof(v->why), err ? "GET_VMS failed: %s" :
				 "the VM was gone before its memory could be read",
				 strerror(-err));
			snprintf(v->meta.guest, sizeof(v->meta.guest),
				 "no guest task names: %s", v->why);
			v->state = VM_FAILED;
		} else {
			open_guest(gr, v, &vms[j]);
		}
		/* The VM's entry again, now with its guest: the last one counts. */
		if (!ret)
			ret = trace_write_vm(w, &v->meta);
	}
	gr->noted = 0;
	return ret;
}

int guest_rec_attach(struct guest_recorder *gr, struct client *c,
		     struct trace_writer *w)
{
	struct client_vm_info *vms = NULL;
	size_t nr = 0;
	int err, ret;

	if (!gr->noted)
		return 0;
	err = client_get_vms(c, &vms, &nr);
	ret = guest_rec_attach_vms(gr, vms, nr, err, w);
	if (!err)
		client_vms_free(vms, nr);
	return ret;
}

static int write_task(struct trace_writer *w, const struct rec_vm *v,
		      const struct vmtrace_record *r, const struct guest_task *t)
{
	struct trace_task_meta m = {
		.vm_id = v->vm_id, .pid = t->pid, .tid = t->tid, .cr3 = t->cr3,
		.gs_base = r->u.g.guest_gs_base, .valid_from_tsc = r->host_tsc,
	};

	snprintf(m.comm, sizeof(m.comm), "%.*s", (int)sizeof(m.comm) - 1, t->comm);
	/* Only a thread the decoder knows has a name of its own. */
	if (t->flags & GUEST_TASK_THREAD)
		snprintf(m.thread_comm, sizeof(m.thread_comm), "%.*s",
			 (int)sizeof(m.thread_comm) - 1, t->thread_comm);
	return trace_write_task(w, &m);
}

static int write_symbol(struct trace_writer *w, struct rec_vm *v, uint64_t rip)
{
	struct trace_symbol_meta m = { .vm_id = v->vm_id };
	int is_new;

	if (guest_symbol(v->g, rip, &m.start, &m.size, m.name, sizeof(m.name),
			     &is_new) || !is_new)
		return 0;
	v->symbols++;
	return trace_write_symbol(w, &m);
}

/*
 * Ask for vCPU @vcpu's current-task slot for kernel GS base @gs (sent by
 * guest_rec_set_slots()), unless asked already, at most once per
 * SLOT_RETRY_NS per vCPU.
 */
static void queue_slot(struct guest_recorder *gr, struct rec_vm *v, uint32_t vcpu,
		       uint64_t gs)
{
	struct client_task_slot *q, slot = { .vm_id = v->vm_id, .vcpu = vcpu, .gs_base = gs };
	uint64_t now;

	if (gr->slots_refused || !gs || vcpu >= SLOT_VCPUS_MAX)
		return;
	if (!v->slots) {
		v->slots = calloc(SLOT_VCPUS_MAX, sizeof(*v->slots));
		if (!v->slots)
			return;
	}
	if (v->slots[vcpu].gs_base == gs)
		return;
	now = util_mono_ns();
	if (v->slots[vcpu].at_ns && now - v->slots[vcpu].at_ns < SLOT_RETRY_NS)
		return;
	v->slots[vcpu].at_ns = now;
	if (guest_task_slot(v->g, gs, &slot.hva)) {
		v->slot_failures++;
		return;
	}
	/* And each sample's thread id with its task, where it can be read. */
	slot.tid = !guest_tid_layout(v->g, &slot.direct_map, &slot.pid_offset);
	if (gr->nr_requests == gr->cap_requests) {
		size_t cap = gr->cap_requests ? 2 * gr->cap_requests : 16;

		q = realloc(gr->requests, cap * sizeof(*q));
		if (!q)
			return;
		gr->requests = q;
		gr->cap_requests = cap;
	}
	v->slots[vcpu].gs_base = gs;
	gr->requests[gr->nr_requests++] = slot;
}

/* A record that does not carry its task: its vCPU's slot, for its GS base. */
static void want_slot(struct guest_recorder *gr, struct rec_vm *v,
		      const struct vmtrace_record *r)
{
	if ((r->flags & (VMTRACE_REC_F_TASK | VMTRACE_REC_F_TASK_FAULT)) ||
	    (r->mode & VMTRACE_MODE_NESTED))
		return;
	queue_slot(gr, v, r->vcpu, r->u.g.guest_gs_base);
}

/*
 * A guest just opened: each vCPU's slot at once, for guest CPU i's GS base
 * on vCPU i (which is how Linux numbers the CPUs QEMU and libvirt give
 * it), so that records carry their task from the start rather than from
 * the first decoded record of each vCPU.  A wrong guess costs nothing: the
 * module reads a slot only under its own GS base, and the records of a
 * vCPU under another one ask for theirs.
 */
static void guess_slots(struct guest_recorder *gr, struct rec_vm *v, uint32_t nr_vcpus)
{
	uint64_t gs;

	for (uint32_t cpu = 0; cpu < nr_vcpus && cpu < SLOT_VCPUS_MAX; cpu++)
		if (!guest_cpu_gs_base(v->g, cpu, &gs))
			queue_slot(gr, v, cpu, gs);
}

int guest_rec_set_slots(struct guest_recorder *gr, struct client *c)
{
	size_t i;
	int err;

	for (i = 0; i < gr->nr_requests && !gr->slots_refused; i++) {
		struct client_task_slot *q = &gr->requests[i];
		struct rec_vm *v = find_vm(gr, q->vm_id);

		err = client_set_task_slot(c, q);
		if (!err) {
			if (v) {
				v->slots_set++;
				if (v->g)
					guest_task_slot_set(v->g, q->gs_base);
			}
			continue;
		}
		if (v)
			v->slot_failures++;
		/* The VM is gone, or the vCPU not there yet: that one only. */
		if (err == -ENOENT || err == -EINVAL)
			continue;
		/* A module without the command (-EOPNOTSUPP), or not the
		 * session's owner: threads are named by polling alone. */
		gr->slots_refused = err;
		if (!gr->o.quiet)
			util_log("the module does not read guest current tasks (%s): "
				"threads named by polling", strerror(-err));
	}
	gr->nr_requests = 0;
	return 0;
}

int guest_rec_decode(struct guest_recorder *gr, struct trace_writer *w,
		     const struct vmtrace_record *recs, size_t n)
{
	struct guest_task t;
	struct rec_vm *v;
	size_t i;
	int err;

	for (i = 0; i < n; i++) {
		const struct vmtrace_record *r = &recs[i];

		if ((r->kind != VMTRACE_KIND_EXIT && r->kind != VMTRACE_KIND_SAMPLE) ||
		    (r->flags & (VMTRACE_REC_F_HOST | VMTRACE_REC_F_NO_STATE)))
			continue;
		v = find_vm(gr, r->vm_id);
		if (!v)
			continue;
		v->records++;
		v->task_faults += !!(r->flags & VMTRACE_REC_F_TASK_FAULT);
		if (v->state != VM_OPEN)
			continue;
		want_slot(gr, v, r);
		if (guest_task_for_record(v->g, r, &t))
			continue;
		v->named++;
		if (t.flags & GUEST_TASK_CHANGED) {
			v->tasks++;
			err = write_task(w, v, r, &t);
			if (err)
				return err;
		}
		/* Kernel code: the function, once per function. */
		if (!(r->mode & VMTRACE_MODE_CPL_MASK)) {
			err = write_symbol(w, v, r->u.g.guest_rip);
			if (err)
				return err;
		}
	}
	return 0;
}

void guest_rec_free(struct guest_recorder *gr)
{
	size_t i;

	if (!gr)
		return;
	for (i = 0; i < gr->nr; i++) {
		struct rec_vm *v = &gr->vms[i];

		if (!gr->o.quiet && v->records && !v->why[0]) {
			const struct guest_stats *st = guest_stats(v->g);

			util_log("vm %u: %llu of %llu guest records named "
				"(%llu task and %llu symbol entries); threads: %llu by the "
				"record's task (%llu not fitting, %llu unknown; %llu vCPU "
				"slots set, %llu reads faulted), %llu polled, "
				"%llu between polls, %llu nearest, %llu read late, %llu by "
				"the process alone (%llu vCPUs watched, %llu no longer "
				"polled, %llu polls, %llu failed)",
				v->vm_id, (unsigned long long)v->named,
				(unsigned long long)v->records, (unsigned long long)v->tasks,
				(unsigned long long)v->symbols,
				(unsigned long long)st->task_exact,
				(unsigned long long)st->task_mismatch,
				(unsigned long long)st->task_unknown,
				(unsigned long long)v->slots_set,
				(unsigned long long)v->task_faults,
				(unsigned long long)st->timeline_hits,
				(unsigned long long)st->timeline_between,
				(unsigned long long)st->timeline_nearest,
				(unsigned long long)st->timeline_misses,
				(unsigned long long)st->process_only,
				(unsigned long long)st->watches,
				(unsigned long long)st->watches_paused, (unsigned long long)st->polls,
				(unsigned long long)st->poll_failures);
		}
		else if (!gr->o.quiet && v->records)
			util_log("vm %u: %llu guest records, none named: %s", v->vm_id,
				(unsigned long long)v->records, v->why);
		guest_close(v->g);
		free(v->slots);
	}
	free(gr->requests);
	free(gr->vms);
	free(gr);
}
