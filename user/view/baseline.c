// SPDX-License-Identifier: GPL-2.0
/* Baselines and notable changes (view/baseline.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "view/baseline.h"
#include "util/sorted.h"

/* Bounds on what one host's guests can make this keep. */
#define BL_MAX_VMS 4096
#define BL_MAX_PROCS 16384		/* per VM */
#define BL_MAX_COMMS 16384		/* names per VM */

void view_baseline_config_default(struct view_baseline_config *c)
{
	memset(c, 0, sizeof(*c));
	c->window = 30;
	c->min_history = 5;
	c->k = 3.0;
	c->cpu_floor_pct = 10.0;
	c->mem_floor_bytes = 64.0 * 1024 * 1024;
	c->gap_pct = 25.0;
	c->gap_intervals = 3;
	c->learn_intervals = 1;
	c->new_hold = 5;
}

static int parse_uid(const char *s, const char **end, uint32_t *uid)
{
	unsigned long long v = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (unsigned long long)(*p - '0');
		if (v > UINT32_MAX - 1)		/* (uid_t)-1 is no uid */
			return -EINVAL;
	}
	*uid = (uint32_t)v;
	*end = p;
	return 0;
}

int view_baseline_parse_uids(const char *s, struct view_baseline_config *c)
{
	struct view_baseline_uid_range r[VIEW_BASELINE_MAX_UID_RANGES];
	size_t n = 0;
	const char *p = s;

	if (!*p)
		return -EINVAL;
	for (;;) {
		if (n == VIEW_BASELINE_MAX_UID_RANGES)
			return -E2BIG;
		if (parse_uid(p, &p, &r[n].first))
			return -EINVAL;
		r[n].last = r[n].first;
		if (*p == '-' && (parse_uid(p + 1, &p, &r[n].last) ||
				  r[n].last < r[n].first))
			return -EINVAL;
		n++;
		if (!*p)
			break;
		if (*p++ != ',')
			return -EINVAL;
	}
	memcpy(c->admin_uids, r, n * sizeof(r[0]));
	c->nr_admin_uids = n;
	return 0;
}

bool view_baseline_uid_allowed(const struct view_baseline_config *c, uint32_t uid)
{
	size_t i;

	for (i = 0; i < c->nr_admin_uids; i++)
		if (uid >= c->admin_uids[i].first && uid <= c->admin_uids[i].last)
			return true;
	return false;
}

void view_baseline_series_push(struct view_baseline_series *s, double x, unsigned int window)
{
	if (window == 0 || window > VIEW_BASELINE_WINDOW_MAX)
		window = VIEW_BASELINE_WINDOW_MAX;
	s->v[s->next] = x;
	s->next = (s->next + 1) % window;
	if (s->n < window)
		s->n++;
}

int view_baseline_series_stats(const struct view_baseline_series *s, double *mean, double *sd)
{
	double sum = 0, sq = 0, m;
	unsigned int i;

	if (!s->n)
		return -ENODATA;
	for (i = 0; i < s->n; i++)
		sum += s->v[i];
	m = sum / s->n;
	for (i = 0; i < s->n; i++)
		sq += (s->v[i] - m) * (s->v[i] - m);
	*mean = m;
	*sd = sqrt(sq / s->n);
	return 0;
}

bool view_baseline_series_outside(const struct view_baseline_series *s, double x, double k,
		       double floor, unsigned int min_history)
{
	double mean, sd, band;

	if (s->n < min_history || view_baseline_series_stats(s, &mean, &sd))
		return false;
	band = k * sd > floor ? k * sd : floor;
	return fabs(x - mean) > band;
}

struct bl_proc {
	uint32_t pid;			/* first: util/sorted.h */
	char comm[TRACE_SNAPSHOT_COMM_LEN];
	unsigned int new_left;		/* intervals "new" stays on */
	struct view_baseline_series cpu, mem;
};

struct bl_vm {
	uint32_t vm_id;
	char uuid[TRACE_UUID_LEN];
	uint64_t last_update;		/* view_baseline_state.updates when last seen */
	unsigned int intervals;		/* snapshots seen */
	unsigned int gap_run;		/* intervals in a row over gap_pct */
	struct view_baseline_series cpu, mem;
	char (*comms)[TRACE_SNAPSHOT_COMM_LEN];	/* sorted */
	size_t nr_comms, cap_comms;
	struct bl_proc *procs;		/* sorted by pid */
	size_t nr_procs, cap_procs;
};

struct view_baseline_state {
	struct view_baseline_config c;
	uint64_t updates;
	struct bl_vm *vms;
	size_t nr_vms, cap_vms;
};

int view_baseline_new(const struct view_baseline_config *c, struct view_baseline_state **out)
{
	struct view_baseline_state *b;

	if (!c->window || c->window > VIEW_BASELINE_WINDOW_MAX || c->min_history > c->window ||
	    c->k < 0 || c->nr_admin_uids > VIEW_BASELINE_MAX_UID_RANGES)
		return -EINVAL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->c = *c;
	*out = b;
	return 0;
}

static void vm_free(struct bl_vm *v)
{
	free(v->comms);
	free(v->procs);
}

void view_baseline_free(struct view_baseline_state *b)
{
	size_t i;

	if (!b)
		return;
	for (i = 0; i < b->nr_vms; i++)
		vm_free(&b->vms[i]);
	free(b->vms);
	free(b);
}

/* The same VM: by UUID where it has one (it survives a VMM restart),
 * else by the module's VM id. */
static bool same_vm(const struct bl_vm *v, const struct trace_snapshot_vm *vm)
{
	if (vm->id.uuid[0] || v->uuid[0])
		return !strcmp(v->uuid, vm->id.uuid);
	return v->vm_id == vm->id.vm_id;
}

static struct bl_vm *find_vm(const struct view_baseline_state *b, const struct trace_snapshot_vm *vm)
{
	size_t i;

	for (i = 0; i < b->nr_vms; i++)
		if (same_vm(&b->vms[i], vm))
			return &b->vms[i];
	return NULL;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem, size_t max)
{
	size_t ncap;
	void *np;

	if (need <= *cap)
		return 0;
	if (need > max)
		return -ENOSPC;
	ncap = *cap ? *cap * 2 : 16;
	if (ncap > max)
		ncap = max;
	np = realloc(*p, ncap * elem);
	if (!np)
		return -ENOMEM;
	*p = np;
	*cap = ncap;
	return 0;
}

static struct bl_vm *get_vm(struct view_baseline_state *b, const struct trace_snapshot_vm *vm)
{
	struct bl_vm *v = find_vm(b, vm);

	if (v)
		return v;
	if (grow((void **)&b->vms, &b->cap_vms, b->nr_vms + 1, sizeof(*b->vms),
		 BL_MAX_VMS))
		return NULL;
	v = &b->vms[b->nr_vms++];
	memset(v, 0, sizeof(*v));
	v->vm_id = vm->id.vm_id;
	memcpy(v->uuid, vm->id.uuid, sizeof(v->uuid));
	return v;
}

/* Index of @comm in the sorted names, or where it would go (*found 0). */
static size_t comm_pos(const struct bl_vm *v, const char *comm, bool *found)
{
	size_t lo = 0, hi = v->nr_comms;

	*found = false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(v->comms[mid], comm);

		if (!c) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Learn @comm: 1 if it was new, 0 if known, -errno. */
static int learn_comm(struct bl_vm *v, const char *comm)
{
	bool found;
	size_t pos = comm_pos(v, comm, &found);
	int err;

	if (found)
		return 0;
	err = grow((void **)&v->comms, &v->cap_comms, v->nr_comms + 1,
		   sizeof(*v->comms), BL_MAX_COMMS);
	if (err)
		return err;
	memmove(&v->comms[pos + 1], &v->comms[pos],
		(v->nr_comms - pos) * sizeof(*v->comms));
	snprintf(v->comms[pos], sizeof(v->comms[pos]), "%s", comm);
	v->nr_comms++;
	return 1;
}

static struct bl_proc *find_proc(const struct bl_vm *v, uint32_t pid)
{
	return util_find_by_id(v->procs, v->nr_procs, sizeof(*v->procs), pid);
}

/* The VM's CPU and memory as its baseline follows them: the hypervisor's
 * view where known (that is what the VM costs), else the guest's. */
static bool vm_cpu(const struct trace_snapshot_vm *vm, double *x)
{
	if (vm->hv_valid && vm->hv_cpu_pct >= 0)
		*x = vm->hv_cpu_pct;
	else if (vm->guest_valid && vm->guest_cpu_pct >= 0)
		*x = vm->guest_cpu_pct;
	else
		return false;
	return true;
}

static bool vm_mem(const struct trace_snapshot_vm *vm, double *x)
{
	if (vm->hv_valid && vm->hv_rss_bytes)
		*x = (double)vm->hv_rss_bytes;
	else if (vm->guest_valid && vm->guest_mem_used)
		*x = (double)vm->guest_mem_used;
	else
		return false;
	return true;
}

static bool proc_cpu(const struct trace_snapshot_proc *p, double *x)
{
	if (p->guest_cpu_pct >= 0)
		*x = p->guest_cpu_pct;
	else if (p->sample_cpu_pct >= 0)
		*x = p->sample_cpu_pct;
	else
		return false;
	return true;
}

/* Rebuild the VM's process table from the snapshot's (sorted by pid):
 * processes that are gone are forgotten, a pid reused under another name
 * starts afresh. */
static int update_procs(const struct view_baseline_config *c, struct bl_vm *v,
			struct trace_snapshot_vm *vm, bool rates, bool learning)
{
	struct bl_proc *next = NULL;
	size_t i, n = 0;
	int err = 0, is_new;

	if (vm->nr_procs) {
		size_t count = vm->nr_procs < BL_MAX_PROCS ? vm->nr_procs : BL_MAX_PROCS;

		next = calloc(count, sizeof(*next));
		if (!next)
			return -ENOMEM;
	}
	vm->proc_flags = 0;
	for (i = 0; i < vm->nr_procs; i++) {
		struct trace_snapshot_proc *p = &vm->procs[i];
		const struct bl_proc *old = find_proc(v, p->pid);
		struct bl_proc *bp;
		double x;

		if (n == BL_MAX_PROCS)
			break;
		bp = &next[n++];
		if (old && !strcmp(old->comm, p->comm)) {
			*bp = *old;
		} else {
			bp->pid = p->pid;
			snprintf(bp->comm, sizeof(bp->comm), "%s", p->comm);
		}
		/* Kernel threads come and go by the kernel's will (kworkers
		 * are named after their CPU and pool): never "new". */
		if (!p->kthread) {
			is_new = learn_comm(v, p->comm);
			if (is_new < 0)
				err = is_new;
			else if (is_new && !learning)
				bp->new_left = c->new_hold ? c->new_hold : 1;
		}
		if (bp->new_left) {
			p->flags |= TRACE_SNAPSHOT_F_NEW_PROCESS;
			bp->new_left--;
		}
		if (c->nr_admin_uids && !p->kthread && p->uid != UINT32_MAX &&
		    !view_baseline_uid_allowed(c, p->uid))
			p->flags |= TRACE_SNAPSHOT_F_UID;
		if (rates && proc_cpu(p, &x)) {
			if (view_baseline_series_outside(&bp->cpu, x, c->k, c->cpu_floor_pct,
					      c->min_history))
				p->flags |= TRACE_SNAPSHOT_F_CPU_BASELINE;
			view_baseline_series_push(&bp->cpu, x, c->window);
		}
		if (rates && p->rss_valid) {
			x = (double)p->rss_bytes;
			if (view_baseline_series_outside(&bp->mem, x, c->k, c->mem_floor_bytes,
					      c->min_history))
				p->flags |= TRACE_SNAPSHOT_F_MEM_BASELINE;
			view_baseline_series_push(&bp->mem, x, c->window);
		}
		vm->proc_flags |= p->flags;
	}
	free(v->procs);
	v->procs = next;
	v->nr_procs = n;
	v->cap_procs = vm->nr_procs < BL_MAX_PROCS ? vm->nr_procs : BL_MAX_PROCS;
	return err;
}

int view_baseline_update(struct view_baseline_state *b, struct trace_snapshot *snap)
{
	const struct view_baseline_config *c = &b->c;
	bool rates = snap->interval_s > 0;
	size_t i, j;
	int err = 0, e;

	b->updates++;
	for (i = 0; i < snap->nr_vms; i++) {
		struct trace_snapshot_vm *vm = &snap->vms[i];
		struct bl_vm *v = get_vm(b, vm);
		double x;

		vm->flags = 0;
		if (!v) {
			err = -ENOMEM;
			continue;
		}
		v->last_update = b->updates;
		if (rates && vm_cpu(vm, &x)) {
			if (view_baseline_series_outside(&v->cpu, x, c->k, c->cpu_floor_pct,
					      c->min_history))
				vm->flags |= TRACE_SNAPSHOT_F_CPU_BASELINE;
			view_baseline_series_push(&v->cpu, x, c->window);
		}
		if (rates && vm_mem(vm, &x)) {
			if (view_baseline_series_outside(&v->mem, x, c->k, c->mem_floor_bytes,
					      c->min_history))
				vm->flags |= TRACE_SNAPSHOT_F_MEM_BASELINE;
			view_baseline_series_push(&v->mem, x, c->window);
		}
		if (rates && vm->gap_valid && fabs(vm->cpu_gap_pct) > c->gap_pct)
			v->gap_run++;
		else if (rates)
			v->gap_run = 0;
		if (c->gap_intervals && v->gap_run >= c->gap_intervals)
			vm->flags |= TRACE_SNAPSHOT_F_CPU_GAP;
		/* The guest side may be unreadable for a while (no profile
		 * yet): learning ends with the first interval it was read. */
		if (vm->guest_valid) {
			e = update_procs(c, v, vm, rates,
					 v->intervals < c->learn_intervals);
			if (e)
				err = e;
			v->intervals++;
		}
	}
	/* VMs gone for long are forgotten (bounded memory over VM churn). */
	for (i = 0, j = 0; i < b->nr_vms; i++) {
		if (b->updates - b->vms[i].last_update > 2ULL * c->window) {
			vm_free(&b->vms[i]);
			continue;
		}
		b->vms[j++] = b->vms[i];
	}
	b->nr_vms = j;
	return err;
}

bool view_baseline_vm(const struct view_baseline_state *b, const struct trace_snapshot_vm *vm,
		    double *cpu_mean, double *mem_mean)
{
	const struct bl_vm *v = find_vm(b, vm);
	double sd;

	if (!v || view_baseline_series_stats(&v->cpu, cpu_mean, &sd))
		return false;
	if (view_baseline_series_stats(&v->mem, mem_mean, &sd))
		*mem_mean = -1;
	return true;
}
