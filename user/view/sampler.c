// SPDX-License-Identifier: GPL-2.0
/* The live both-sides sampler (view/sampler.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/utsname.h>
#include "client/client.h"
#include "util/clock.h"
#include "trace/names.h"
#include "trace/exit_timing.h"
#include "guest/guest.h"
#include "guest/acct.h"
#include "host/proc_sample.h"
#include "host/libvirt_domain.h"
#include "guest/profile.h"
#include "util/sorted.h"
#include "view/sampler.h"

#define HOST_BTF "/sys/kernel/btf/vmlinux"
#define HOST_KALLSYMS "/proc/kallsyms"
/* x86-64's __START_KERNEL: _text's link address unless a profile says. */
#define X86_64_TEXT_LINK 0xffffffff81000000ULL
/*
 * A guest whose kernel cannot be read yet (booting) is opened again after
 * 3 s, then after twice as long each time, up to 5 minutes: a guest that
 * is not Linux at all is looked at a few times an hour.  Only the first
 * open scans all its RAM for a banner (reading the pages the guest
 * touched: gigabytes, for a guest that fills its memory); later ones look
 * for a profile's kernel at the 2 MiB aligned addresses where it loads
 * (a pagemap lookup and a 14-byte read per 2 MiB), which finds a Linux
 * guest that has booted since.
 */
#define GUEST_RETRY_NS 3000000000ULL
#define GUEST_RETRY_MAX_NS 300000000000ULL
#define MAX_EXIT_CODES 64

struct exit_count {
	uint32_t reason;
	uint64_t n;
};

struct pid_count {
	uint32_t pid;
	uint64_t n;
};

/* A process's cumulative guest CPU time at the previous snapshot. */
struct prev_cpu {
	uint32_t pid;
	char comm[TRACE_SNAPSHOT_COMM_LEN];
	uint64_t utime_ns, stime_ns;
};

struct vvs_vm {
	struct client_vm_info info;		/* slots owned */
	struct trace_vm_meta id;
	bool seen;				/* in this refresh's GET_VMS */
	struct host_proc_sample hv_prev;
	bool have_hv_prev;
	struct guest *guest;
	uint64_t guest_opened_ns;
	uint64_t guest_retry_ns;		/* the wait before the next open */
	bool layout_tried, layout_ok;
	struct guest_acct_layout layout;
	char acct_status[TRACE_SNAPSHOT_STATUS_LEN];
	struct prev_cpu *prev;			/* by pid */
	size_t nr_prev;
	uint64_t guest_prev_ns;			/* when prev[] was read */
	bool guest_warm;			/* prev[] is not the first read */
	uint64_t guest_prev_clock;		/* the guest's clock then, or 0 */
	uint64_t steal_prev_ns;			/* its steal time then */
	bool have_steal_prev;
	/* Since the last snapshot, from the records. */
	uint64_t exits, samples, unnamed_samples;
	struct exit_count exit_counts[MAX_EXIT_CODES];
	size_t nr_exit_counts;
	uint64_t other_exits;			/* codes past MAX_EXIT_CODES */
	uint64_t exit_cycles;			/* handling time of timed exits */
	/* The same since the VM was first seen (counters), per reason too. */
	uint64_t exits_total, exit_cycles_total;
	struct exit_count exit_totals[TRACE_SNAPSHOT_MAX_EXIT_REASONS];
	size_t nr_exit_totals;
	uint32_t hlt_code;			/* this vendor's halt exit, or
						 * UINT32_MAX */
	struct pid_count *sample_pids;
	size_t nr_sample_pids, cap_sample_pids;
};

struct view_sampler {
	struct view_sampler_opts o;
	const char *proc_root;
	const char *kvm_debugfs;
	long clk_tck;
	struct client *c;		/* NULL: no vmtrace.ko (/proc only) */
	bool bpf;			/* c is the BPF backend */
	bool session;
	bool fed;				/* records come from view_sampler_feed() */
	char status[128];
	char host_release[65];
	struct vvs_vm *vms;
	size_t nr_vms;
	uint64_t seq;
	uint64_t last_ns;			/* previous snapshot */
	struct trace_exit_timer *exit_timer;	/* exits' handling times */
	uint64_t tsc_hz;			/* 0: handling times unknown */
};

static bool wanted_pid(const struct view_sampler *s, uint32_t pid)
{
	size_t i;

	if (!s->o.nr_vm_pids)
		return true;
	for (i = 0; i < s->o.nr_vm_pids; i++)
		if (s->o.vm_pids[i] == pid)
			return true;
	return false;
}

int view_sampler_open(const struct view_sampler_opts *opts, struct view_sampler **out)
{
	struct view_sampler *s = calloc(1, sizeof(*s));
	struct client_start_config cfg = { 0 };
	struct client_status st;
	struct utsname u;
	int err;

	if (!s) {
		client_close(opts->client);
		return -ENOMEM;
	}
	s->o = *opts;
	s->proc_root = opts->proc_root ? opts->proc_root : "/proc";
	s->kvm_debugfs = opts->kvm_debugfs ? opts->kvm_debugfs : "/sys/kernel/debug/kvm";
	s->clk_tck = sysconf(_SC_CLK_TCK);
	if (s->clk_tck <= 0)
		s->clk_tck = 100;
	if (!uname(&u))
		snprintf(s->host_release, sizeof(s->host_release), "%s", u.release);
	if (opts->client) {
		s->c = opts->client;
		s->o.client = NULL;
		err = 0;
	} else {
		err = client_open(&s->c);
	}
	if (err == -ENOENT) {
		/* No module: the VMs and their figures from /proc; no memory
		 * map (memslots) there, so no guest side. */
		s->c = NULL;
		snprintf(s->status, sizeof(s->status), "%s", VVS_NO_MODULE);
		*out = s;
		return 0;
	}
	if (err) {
		free(s);
		return err;
	}
	s->bpf = client_get_backend(s->c) == CLIENT_BACKEND_BPF;
	/* Handling times are TSC cycles: without the module's TSC rate, or
	 * the memory to time them, they stay unknown. */
	if (!client_status(s->c, &st) && st.tsc_khz &&
	    !trace_exit_timer_new(&s->exit_timer))
		s->tsc_hz = st.tsc_khz * 1000ULL;
	snprintf(s->status, sizeof(s->status), "no session (--no-session)");
	if (!opts->no_session) {
		cfg.sample_hz = opts->sample_hz;
		cfg.pids = opts->vm_pids;
		cfg.nr_pids = (uint32_t)opts->nr_vm_pids;
		err = client_start(s->c, &cfg);
		if (!err) {
			s->session = true;
			if (opts->sample_hz)
				snprintf(s->status, sizeof(s->status),
					 "session: exits, guest samples at %u Hz%s",
					 opts->sample_hz, s->bpf ? " (BPF backend)" : "");
			else
				snprintf(s->status, sizeof(s->status), "session: exits%s",
					 s->bpf ? " (BPF backend)" : "");
		} else if (err == -EBUSY) {
			snprintf(s->status, sizeof(s->status),
				 "no session: another collector has it (no exits, no samples)");
		} else {
			client_close(s->c);
			free(s);
			return err;
		}
	}
	*out = s;
	return 0;
}

static void vm_release(struct vvs_vm *v)
{
	free(v->info.slots);
	host_sample_free(&v->hv_prev);
	if (v->guest)
		guest_close(v->guest);
	free(v->prev);
	free(v->sample_pids);
}

void view_sampler_close(struct view_sampler *s)
{
	size_t i;

	if (!s)
		return;
	if (s->session)
		client_stop(s->c);
	for (i = 0; i < s->nr_vms; i++)
		vm_release(&s->vms[i]);
	free(s->vms);
	trace_exit_timer_free(s->exit_timer);
	client_close(s->c);
	free(s);
}

const char *view_sampler_session_status(const struct view_sampler *s)
{
	return s->status;
}

static struct vvs_vm *find_vm(struct view_sampler *s, uint32_t vm_id)
{
	size_t i;

	for (i = 0; i < s->nr_vms; i++)
		if (s->vms[i].info.id == vm_id)
			return &s->vms[i];
	return NULL;
}

/* One more exit of @reason in @c (@nr of @cap used); false if full. */
static bool bump_exit(struct exit_count *c, size_t *nr, size_t cap, uint32_t reason)
{
	size_t i;

	for (i = 0; i < *nr; i++)
		if (c[i].reason == reason) {
			c[i].n++;
			return true;
		}
	if (*nr == cap)
		return false;
	c[(*nr)++] = (struct exit_count){ reason, 1 };
	return true;
}

static void count_exit(struct vvs_vm *v, uint32_t reason)
{
	v->exits_total++;
	bump_exit(v->exit_totals, &v->nr_exit_totals, TRACE_SNAPSHOT_MAX_EXIT_REASONS, reason);
	v->exits++;
	if (!bump_exit(v->exit_counts, &v->nr_exit_counts, MAX_EXIT_CODES, reason))
		v->other_exits++;
}

static void count_sample_pid(struct vvs_vm *v, uint32_t pid)
{
	struct pid_count *n;
	size_t i;

	for (i = 0; i < v->nr_sample_pids; i++)
		if (v->sample_pids[i].pid == pid) {
			v->sample_pids[i].n++;
			return;
		}
	if (v->nr_sample_pids == v->cap_sample_pids) {
		size_t cap = v->cap_sample_pids ? 2 * v->cap_sample_pids : 32;

		if (cap > 65536)
			return;
		n = realloc(v->sample_pids, cap * sizeof(*n));
		if (!n)
			return;
		v->sample_pids = n;
		v->cap_sample_pids = cap;
	}
	v->sample_pids[v->nr_sample_pids++] = (struct pid_count){ pid, 1 };
}

/*
 * Exits' handling times: each exit is timed when its vCPU's next exit
 * arrives (trace/exit_timing.h), and counted to the VM it belongs to then,
 * unless it was a halt.  A LOST marker leaves the exits pending then
 * untimed.  Records come as drained, one host CPU's ring after the other
 * (top's and serve's drain, and record's before it sorts them): an exit
 * that comes after a later one of its vCPU (the vCPU moved between host
 * CPUs while the drain was between them) is left untimed, and the exit
 * before it is timed up to the later one's entry, long by the guest time
 * and the handling between.  That takes a migration inside one drain's
 * window (milliseconds); `report --by exit` on a trace times every exit
 * from sorted records.
 */
static void time_exit(struct view_sampler *s, const struct vmtrace_record *r)
{
	struct trace_timed_exit done;
	struct vvs_vm *v;

	if (!s->exit_timer || !trace_exit_timer_feed(s->exit_timer, r, NULL, &done) ||
	    !done.timed)
		return;
	v = find_vm(s, done.exit.vm_id);
	if (!v)
		return;
	if (done.exit.exit_reason != v->hlt_code) {
		v->exit_cycles += done.cycles;
		v->exit_cycles_total += done.cycles;
	}
}

static int on_records(void *arg, uint32_t cpu, const struct vmtrace_record *recs,
		      size_t n)
{
	struct view_sampler *s = arg;
	size_t i;

	(void)cpu;
	for (i = 0; i < n; i++) {
		const struct vmtrace_record *r = &recs[i];
		struct guest_task t;
		struct vvs_vm *v;

		if (r->kind == VMTRACE_KIND_LOST)
			time_exit(s, r);
		if (r->kind != VMTRACE_KIND_EXIT && r->kind != VMTRACE_KIND_SAMPLE)
			continue;
		v = find_vm(s, r->vm_id);
		if (!v)
			continue;	/* new: counted from the next refresh on */
		if (r->kind == VMTRACE_KIND_EXIT) {
			count_exit(v, r->exit_reason);
			time_exit(s, r);
			continue;
		}
		if (r->flags & VMTRACE_REC_F_HOST)
			continue;
		v->samples++;
		/* Which guest process: named now, from the CR3 (the process
		 * lives on for a sample taken milliseconds ago). */
		if (v->guest && !(r->flags & VMTRACE_REC_F_NO_STATE) &&
		    !guest_task_for_record(v->guest, r, &t))
			count_sample_pid(v, (t.flags & GUEST_TASK_IDLE) ? 0 : t.pid);
		else
			v->unnamed_samples++;
	}
	return 0;
}

void view_sampler_feed(struct view_sampler *s, const struct vmtrace_record *recs, size_t n)
{
	s->fed = true;
	on_records(s, 0, recs, n);
}

int view_sampler_poll(struct view_sampler *s)
{
	long n;

	if (!s->session)
		return 0;
	n = client_read(s->c, on_records, s);
	return n < 0 ? (int)n : 0;
}

/* The guest kernel's BTF and symbols for @v's guest, once it is known. */
static void load_layout(struct view_sampler *s, struct vvs_vm *v,
			const struct guest_info *gi)
{
	const char *btf = s->o.guest_btf, *syms = s->o.guest_symbols;
	uint64_t text_link = X86_64_TEXT_LINK;
	struct guest_profile *p = NULL;
	char why[160] = "", path[4096];
	bool same_kernel = gi->release && !strcmp(gi->release, s->host_release);
	int err;

	v->layout_tried = true;
	if (!btf && same_kernel)
		btf = HOST_BTF;
	if (!syms && same_kernel)
		syms = HOST_KALLSYMS;
	if (gi->profile && s->o.profile_dir) {
		snprintf(path, sizeof(path), "%s/%s", s->o.profile_dir, gi->profile);
		if (guest_profile_load(path, 1, &p))
			p = NULL;
	}
	/* The layout: from --guest-btf if given, else from the guest's
	 * profile (profile create writes it there from the BTF it reads, a
	 * vmlinuz's included), else, for a profile made before that, from
	 * the host's BTF where the guest runs the host's kernel. */
	if (s->o.guest_btf || (btf && (!p || p->acct[GUEST_ACCT_TASK_UTIME] == GUEST_PROF_ABSENT))) {
		err = guest_acct_layout_from_btf(btf, &v->layout, why, sizeof(why));
	} else if (p) {
		err = guest_acct_layout_from_profile(p, &v->layout, why, sizeof(why));
	} else {
		snprintf(why, sizeof(why), "no BTF for guest kernel %s (--guest-btf)",
			 gi->release ? gi->release : "?");
		err = -ENOENT;
	}
	if (err) {
		snprintf(v->acct_status, sizeof(v->acct_status), "%s", why);
		goto out;
	}
	v->layout_ok = true;
	snprintf(v->acct_status, sizeof(v->acct_status), "ok");
	if (p)
		text_link = p->text_link;
	if (syms)
		guest_acct_layout_symbols(syms, text_link, &v->layout);
out:
	guest_profile_free(p);
}

static void open_guest(struct view_sampler *s, struct vvs_vm *v, uint64_t now)
{
	struct guest_opts go = { .profile_dir = s->o.profile_dir };
	struct guest_info gi;
	struct guest *fresh;

	if (s->o.no_guest || !s->c)
		return;
	if (!v->guest) {
		v->guest_retry_ns = GUEST_RETRY_NS;
		v->guest_opened_ns = now;
		if (guest_open(&v->info, &go, &v->guest))
			v->guest = NULL;
		return;
	}
	guest_info(v->guest, &gi);
	if (gi.ready || now - v->guest_opened_ns < v->guest_retry_ns)
		return;
	v->guest_opened_ns = now;
	v->guest_retry_ns = v->guest_retry_ns * 2 < GUEST_RETRY_MAX_NS ?
			    v->guest_retry_ns * 2 : GUEST_RETRY_MAX_NS;
	go.no_scan = 1;
	if (guest_open(&v->info, &go, &fresh))
		return;
	guest_info(fresh, &gi);
	if (!gi.ready) {
		/* The first open's status (from its scan) says more. */
		guest_close(fresh);
		return;
	}
	guest_close(v->guest);
	v->guest = fresh;
}

/*
 * Without the module: the VMs /proc shows (host/proc_sample.h), each known
 * by its VMM pid (id too), without memslots.  0 or -errno.
 */
static int proc_vms(struct view_sampler *s, struct client_vm_info **out, size_t *nr)
{
	struct hv_kvm_vm *found;
	size_t i, n;
	int err;

	*out = NULL;
	*nr = 0;
	err = host_find_kvm_vms(s->proc_root, &found, &n);
	if (err || !n)
		return err;
	*out = calloc(n, sizeof(**out));
	if (!*out) {
		free(found);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		(*out)[i].id = (uint32_t)found[i].pid;
		(*out)[i].pid = (uint32_t)found[i].pid;
		(*out)[i].nr_vcpus = found[i].nr_vcpus;
	}
	*nr = n;
	free(found);
	return 0;
}

/* GET_VMS (or /proc): keep known VMs, add new ones, drop the gone. */
static int refresh_vms(struct view_sampler *s, uint64_t now)
{
	struct client_vm_info *list = NULL;
	size_t nr = 0, i, j;
	int err;

	err = s->c ? client_get_vms(s->c, &list, &nr) : proc_vms(s, &list, &nr);
	if (err)
		return err;
	for (i = 0; i < s->nr_vms; i++)
		s->vms[i].seen = false;
	for (i = 0; i < nr; i++) {
		struct vvs_vm *v;

		if (!wanted_pid(s, list[i].pid))
			continue;
		v = find_vm(s, list[i].id);
		if (v) {
			/* Memslots change (hotplug, SMM): take the new table. */
			free(v->info.slots);
			v->info = list[i];
			list[i].slots = NULL;
			list[i].nr_slots = 0;
			v->seen = true;
			continue;
		}
		v = realloc(s->vms, (s->nr_vms + 1) * sizeof(*s->vms));
		if (!v) {
			err = -ENOMEM;
			break;
		}
		s->vms = v;
		v = &s->vms[s->nr_vms++];
		memset(v, 0, sizeof(*v));
		v->info = list[i];
		list[i].slots = NULL;
		list[i].nr_slots = 0;
		v->seen = true;
		host_vm_identity_read(s->o.libvirt_dir, v->info.id, (pid_t)v->info.pid, &v->id);
		v->id.vendor = v->info.vendor;
		v->id.nr_vcpus = v->info.nr_vcpus;
		if (trace_exit_code(v->info.vendor, "hlt", &v->hlt_code))
			v->hlt_code = UINT32_MAX;
	}
	client_vms_free(list, nr);
	for (i = 0, j = 0; i < s->nr_vms; i++) {
		if (!s->vms[i].seen) {
			vm_release(&s->vms[i]);
			continue;
		}
		s->vms[j++] = s->vms[i];
	}
	s->nr_vms = j;
	for (i = 0; i < s->nr_vms; i++)
		open_guest(s, &s->vms[i], now);
	return err;
}

static void hv_side(struct view_sampler *s, struct vvs_vm *v, struct trace_snapshot_vm *out,
		    uint64_t now)
{
	struct host_proc_sample cur;
	static struct host_rates r;
	size_t i;

	/* Stamped with the time of the read itself: a snapshot's steps take
	 * varying time (guest walks), and the rates must not inherit that. */
	(void)now;
	if (host_sample_read(s->proc_root, s->clk_tck, (pid_t)v->info.pid, util_mono_ns(), &cur)) {
		host_sample_free(&cur);
		return;
	}
	out->hv_rss_bytes = cur.rss_bytes;
	/* Unnamed vCPU threads: KVM's debugfs says which they are. */
	host_vcpus_from_debugfs(s->kvm_debugfs, &cur);
	out->hv_totals_valid = true;
	out->hv_cpu_ns = cur.utime_ns + cur.stime_ns;
	for (i = 0; i < cur.nr_threads; i++) {
		const struct host_thread *t = &cur.threads[i];

		if (t->vcpu < 0)
			continue;
		out->hv_vcpu_totals_valid = true;
		out->hv_vcpu_ns += t->have_schedstat ? t->run_ns : t->utime_ns + t->stime_ns;
		out->hv_run_delay_ns += t->have_schedstat ? t->wait_ns : 0;
	}
	if (v->have_hv_prev && !host_rates(&v->hv_prev, &cur, &r)) {
		out->hv_valid = true;
		out->hv_cpu_pct = r.cpu_pct;
		out->hv_user_pct = r.user_pct;
		out->hv_sys_pct = r.sys_pct;
		/* QEMU names its vCPU threads only with -name ...,debug-threads=on
		 * (libvirt sets it); without names, KVM's debugfs tells them
		 * (root, debugfs mounted); without either the split is unknown. */
		out->hv_vcpu_pct = r.nr_vcpus ? r.vcpu_pct : -1;
		out->hv_other_pct = r.nr_vcpus ? r.other_pct : -1;
		out->hv_run_delay_pct = r.nr_vcpus ? r.run_delay_pct : -1;
	}
	host_sample_free(&v->hv_prev);
	v->hv_prev = cur;
	v->have_hv_prev = true;
	for (i = 0; i < v->info.nr_slots; i++)
		if ((v->info.slots[i].id >> 16) == 0)
			out->mem_bytes += v->info.slots[i].size;
}

static int cmp_rate(const void *a, const void *b)
{
	const struct trace_snapshot_exit_rate *x = a, *y = b;

	return (x->per_s < y->per_s) - (x->per_s > y->per_s);
}

static void record_side(struct view_sampler *s, struct vvs_vm *v, struct trace_snapshot_vm *out,
			double interval_s)
{
	size_t i;

	out->exits_per_s = out->samples_per_s = out->hv_exit_pct = -1;
	if (!s->session && !s->fed)
		return;
	out->exit_totals_valid = true;
	out->exits_total = v->exits_total;
	out->exit_handling_ns = s->tsc_hz ? (uint64_t)((double)v->exit_cycles_total * 1e9 /
						       (double)s->tsc_hz) : 0;
	for (i = 0; i < v->nr_exit_totals; i++) {
		struct trace_snapshot_exit_total *t = &out->exit_totals[out->nr_exit_totals++];
		const char *name = trace_exit_name(v->info.vendor, v->exit_totals[i].reason);

		t->reason = v->exit_totals[i].reason;
		if (name)
			snprintf(t->name, sizeof(t->name), "%s", name);
		else
			snprintf(t->name, sizeof(t->name), "0x%x", t->reason);
		t->n = v->exit_totals[i].n;
	}
	if (interval_s <= 0)
		return;
	out->exits_per_s = v->exits / interval_s;
	if (s->tsc_hz)
		out->hv_exit_pct = 100.0 * (double)v->exit_cycles /
				   ((double)s->tsc_hz * interval_s);
	out->samples_per_s = v->samples / interval_s;
	for (i = 0; i < v->nr_exit_counts && out->nr_exit_rates < TRACE_SNAPSHOT_MAX_EXIT_REASONS; i++) {
		struct trace_snapshot_exit_rate *e = &out->exit_rates[out->nr_exit_rates++];
		const char *name = trace_exit_name(v->info.vendor, v->exit_counts[i].reason);

		e->reason = v->exit_counts[i].reason;
		if (name)
			snprintf(e->name, sizeof(e->name), "%s", name);
		else
			snprintf(e->name, sizeof(e->name), "0x%x", e->reason);
		e->per_s = v->exit_counts[i].n / interval_s;
	}
	qsort(out->exit_rates, out->nr_exit_rates, sizeof(out->exit_rates[0]), cmp_rate);
}

static const struct prev_cpu *find_prev(const struct vvs_vm *v, uint32_t pid)
{
	return util_find_by_id(v->prev, v->nr_prev, sizeof(*v->prev), pid);
}

static uint64_t sample_count(const struct vvs_vm *v, uint32_t pid)
{
	size_t i;

	for (i = 0; i < v->nr_sample_pids; i++)
		if (v->sample_pids[i].pid == pid)
			return v->sample_pids[i].n;
	return 0;
}

/* Guest names are cut to what the view keeps. */
static void copy_str(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = 0;
}

static uint64_t delta(uint64_t a, uint64_t b)
{
	return b >= a ? b - a : 0;
}

/*
 * A process's run time since the previous read (@dt, ns) and its user and
 * system parts (@du + @ds == @dt).  The total is the exact run time's
 * delta; the split comes from re-splitting each read's total in its tick
 * ratio (guest_acct_adjust), so one part can go back while the other jumps:
 * summing the parts clipped at zero would count more than ran.
 */
static void run_deltas(const struct prev_cpu *pr, const struct trace_snapshot_proc *p, double *du,
		       double *ds, double *dt)
{
	double u = (double)delta(pr->utime_ns, p->utime_ns);
	double s = (double)delta(pr->stime_ns, p->stime_ns);

	*dt = (double)delta(pr->utime_ns + pr->stime_ns, p->utime_ns + p->stime_ns);
	*du = u + s > 0 ? *dt * u / (u + s) : 0;
	*ds = *dt - *du;
}

/*
 * The guest's steal time over the guest side's interval (@interval_s: the
 * same span its processes' rates are over, 0 for none).  A failed read
 * forgets the previous one: the next interval starts afresh.
 */
static void steal_side(struct vvs_vm *v, struct trace_snapshot_vm *out,
		       const struct guest_info *gi, double interval_s)
{
	uint64_t steal;

	if (!v->layout_ok ||
	    guest_acct_read_steal(v->guest, &v->layout, gi->virt_slide, v->info.nr_vcpus, &steal)) {
		v->have_steal_prev = false;
		return;
	}
	if (v->have_steal_prev && interval_s > 0)
		out->guest_steal_pct = 100.0 * (double)delta(v->steal_prev_ns, steal) /
				       (interval_s * 1e9);
	v->steal_prev_ns = steal;
	v->have_steal_prev = true;
	out->guest_steal_ns = steal;
	out->guest_totals_valid = !guest_acct_read_busy(v->guest, &v->layout, gi->virt_slide,
						   v->info.nr_vcpus, &out->guest_busy_ns);
}

/* A process's times summed over its threads (fold_tasks()). */
struct proc_times {
	uint64_t utime, stime, runtime;
	bool no_runtime;		/* a thread without one: use ticks */
};

/*
 * Tasks come by pid, then tid: one process is a run of them.  Fold them
 * into out->procs (returns how many), with the tick-sampled utime/stime
 * and the exact run time summed over the threads in @rt, and the guest
 * scheduler's latest clock in @gclock.
 */
static size_t fold_tasks(struct vvs_vm *v, const struct guest_task *tasks, size_t nr,
			 struct trace_snapshot_vm *out, struct proc_times *rt, uint64_t *gclock)
{
	size_t i, np = 0;

	for (i = 0; i < nr; i++) {
		const struct guest_task *t = &tasks[i];
		struct trace_snapshot_proc *p;
		struct guest_acct_task acct;
		bool leader = t->tid == t->pid;

		if (t->pid == 0)
			continue;	/* the idle tasks: not work */
		if (!np || out->procs[np - 1].pid != t->pid) {
			p = &out->procs[np++];
			p->pid = t->pid;
			p->uid = t->uid;
			p->ppid = t->ppid;
			p->state = t->state;
			p->kthread = t->flags & GUEST_TASK_KTHREAD;
			copy_str(p->comm, sizeof(p->comm), t->comm);
			p->guest_cpu_pct = p->guest_user_pct = p->guest_sys_pct = -1;
			p->sample_cpu_pct = -1;
			p->acct_valid = v->layout_ok;
		} else {
			p = &out->procs[np - 1];
		}
		p->nr_threads++;
		if (leader) {
			p->uid = t->uid;
			p->ppid = t->ppid;
			p->state = t->state;
		}
		if (!v->layout_ok)
			continue;
		if (guest_acct_read_task(v->guest, &v->layout, t->task, &acct)) {
			p->acct_valid = false;
			continue;
		}
		if (acct.exec_start_ns > *gclock)
			*gclock = acct.exec_start_ns;
		rt[np - 1].utime += acct.utime_ns;
		rt[np - 1].stime += acct.stime_ns;
		rt[np - 1].runtime += acct.runtime_ns;
		if (!acct.runtime_ns && (acct.utime_ns || acct.stime_ns))
			rt[np - 1].no_runtime = true;
		if (leader) {
			uint64_t su, ss, sr;

			if (!guest_acct_read_signal(v->guest, &v->layout, acct.signal, &su, &ss,
					       &sr)) {
				rt[np - 1].utime += su;
				rt[np - 1].stime += ss;
				rt[np - 1].runtime += sr;
			}
			if (acct.mm && !guest_acct_read_rss(v->guest, &v->layout, acct.mm,
						       &p->rss_bytes))
				p->rss_valid = true;
		}
	}
	return np;
}

/*
 * Each process's rates over @interval_s (none for one first seen now, or
 * a pid reused: it started within the interval) and its sampled share;
 * @next gets the totals that the next snapshot's rates start from.
 */
static void proc_rates(const struct view_sampler *s, const struct vvs_vm *v,
		       struct trace_snapshot_vm *out, struct prev_cpu *next, double interval_s,
		       double sample_interval_s)
{
	size_t i;

	for (i = 0; i < out->nr_procs; i++) {
		struct trace_snapshot_proc *p = &out->procs[i];
		const struct prev_cpu *pr = find_prev(v, p->pid);

		/* Samples were counted from snapshot to snapshot. */
		if ((s->session || s->fed) && s->o.sample_hz && sample_interval_s > 0)
			p->sample_cpu_pct = 100.0 * sample_count(v, p->pid) /
					    (s->o.sample_hz * sample_interval_s);
		if (p->rss_valid)
			out->guest_rss_bytes += p->rss_bytes;
		if (!p->acct_valid)
			continue;
		next[i].pid = p->pid;
		memcpy(next[i].comm, p->comm, sizeof(next[i].comm));
		next[i].utime_ns = p->utime_ns;
		next[i].stime_ns = p->stime_ns;
		if (pr && !strcmp(pr->comm, p->comm) && interval_s > 0) {
			double pct = 100.0 / (interval_s * 1e9), du, ds, dt;

			run_deltas(pr, p, &du, &ds, &dt);
			p->guest_user_pct = du * pct;
			p->guest_sys_pct = ds * pct;
			p->guest_cpu_pct = dt * pct;
		}
	}
}

/*
 * The VM's figure: every live process's time since the last snapshot
 * (those that exited in between are missed), all of a new one's.
 */
static void vm_guest_cpu(const struct vvs_vm *v, struct trace_snapshot_vm *out, double interval_s)
{
	double sum = 0, ksum = 0;
	size_t i;

	for (i = 0; i < out->nr_procs; i++) {
		const struct trace_snapshot_proc *p = &out->procs[i];
		const struct prev_cpu *pr = find_prev(v, p->pid);
		double du, ds, dt;

		if (!p->acct_valid)
			continue;
		if (!pr || strcmp(pr->comm, p->comm)) {
			sum += (double)(p->utime_ns + p->stime_ns);
			ksum += (double)(p->kthread ? p->utime_ns + p->stime_ns : p->stime_ns);
			continue;
		}
		run_deltas(pr, p, &du, &ds, &dt);
		sum += dt;
		ksum += p->kthread ? dt : ds;
	}
	out->guest_cpu_pct = sum * 100.0 / (interval_s * 1e9);
	out->guest_kernel_pct = ksum * 100.0 / (interval_s * 1e9);
}

/*
 * Keep this snapshot's totals for the next one (by pid; entries of
 * processes without accounting stay pid 0 and are dropped).  Takes @next.
 */
static void keep_totals(struct vvs_vm *v, struct prev_cpu *next, size_t np, uint64_t gnow,
			uint64_t gclock)
{
	size_t i, j = 0;

	for (i = 0; i < np; i++)
		if (next[i].pid)
			next[j++] = next[i];
	free(v->prev);
	v->prev = next;
	v->nr_prev = j;
	v->guest_warm = v->guest_prev_ns != 0;
	v->guest_prev_ns = gnow;
	v->guest_prev_clock = gclock;
}

/* The guest's processes (threads summed) with their accounting. */
static int guest_side(struct view_sampler *s, struct vvs_vm *v, struct trace_snapshot_vm *out,
		      double interval_s)
{
	struct guest_task *tasks = NULL;
	struct guest_info gi;
	struct prev_cpu *next = NULL;
	struct proc_times *rt = NULL;
	uint64_t total, free_b, gnow, gclock = 0;
	double sample_interval_s = interval_s;
	size_t nr = 0, i, np;
	int err;

	out->guest_cpu_pct = out->guest_kernel_pct = out->guest_steal_pct = -1;
	if (!v->guest) {
		snprintf(out->guest_status, sizeof(out->guest_status), "%s",
			 s->o.no_guest ? "not read (--no-guest)" :
			 !s->c ? "not read: needs vmtrace.ko or --backend bpf" :
			 "guest not opened");
		return 0;
	}
	guest_info(v->guest, &gi);
	if (!gi.ready) {
		snprintf(out->guest_status, sizeof(out->guest_status), "%s", gi.status);
		return 0;
	}
	if (!v->layout_tried)
		load_layout(s, v, &gi);
	if (guest_rewalk(v->guest) ||
	    guest_tasks(v->guest, 1, &tasks, &nr)) {
		snprintf(out->guest_status, sizeof(out->guest_status), "task walk failed");
		return 0;
	}
	/* The guest side's own interval, from the previous accounting read
	 * to this one: the host's time of the reads (opening a guest or
	 * walking its tasks takes seconds under emulation, and varies) and
	 * the guest scheduler's clock (gclock), the rates over whichever is
	 * longer (guest_acct_rate_span_s() says why). */
	gnow = util_mono_ns();
	out->procs = calloc(nr ? nr : 1, sizeof(*out->procs));
	next = calloc(nr ? nr : 1, sizeof(*next));
	rt = calloc(nr ? nr : 1, sizeof(*rt));
	if (!out->procs || !next || !rt) {
		err = -ENOMEM;
		goto out;
	}
	np = fold_tasks(v, tasks, nr, out, rt, &gclock);
	/* Without the guest's clock, the first read after opening a guest
	 * is no rate's start: the guest updates a running task's run time
	 * at its ticks, and those come late while the host is busy opening
	 * it (seen: 148 % over the host's interval alone, for a process at
	 * 100 % in every later one). */
	if (v->layout_ok && ((gclock && v->guest_prev_clock) || v->guest_warm))
		interval_s = guest_acct_rate_span_s(v->guest_prev_ns, gnow,
					       v->guest_prev_clock, gclock);
	else
		interval_s = 0;
	/* Split as the guest's tools would show them. */
	for (i = 0; i < np; i++)
		guest_acct_adjust(rt[i].utime, rt[i].stime, rt[i].no_runtime ? 0 : rt[i].runtime,
			     &out->procs[i].utime_ns, &out->procs[i].stime_ns);
	out->nr_procs = np;
	out->guest_valid = true;
	snprintf(out->guest_status, sizeof(out->guest_status), "%s",
		 v->layout_ok ? "ok" : v->acct_status);
	proc_rates(s, v, out, next, interval_s, sample_interval_s);
	if (v->layout_ok && interval_s > 0)
		vm_guest_cpu(v, out, interval_s);
	keep_totals(v, next, np, gnow, gclock);
	next = NULL;
	steal_side(v, out, &gi, interval_s);
	if (v->layout_ok && !guest_acct_read_memory(v->guest, &v->layout, gi.virt_slide,
					       &total, &free_b) && total) {
		out->guest_mem_total = total;
		out->guest_mem_free = free_b;
		out->guest_mem_used = total > free_b ? total - free_b : 0;
	}
	err = 0;
out:
	free(rt);
	free(next);
	free(tasks);
	return err;
}

static void reset_counts(struct vvs_vm *v)
{
	v->exits = v->samples = v->unnamed_samples = v->other_exits = 0;
	v->exit_cycles = 0;
	v->nr_exit_counts = 0;
	v->nr_sample_pids = 0;
}

static int cmp_vm(const void *a, const void *b)
{
	const struct trace_snapshot_vm *x = a, *y = b;

	return (x->id.vm_id > y->id.vm_id) - (x->id.vm_id < y->id.vm_id);
}

int view_sampler_snapshot(struct view_sampler *s, struct trace_snapshot *out)
{
	uint64_t now;
	double interval_s;
	size_t i;
	int err;

	memset(out, 0, sizeof(*out));
	/* Records up to now belong to this interval. */
	view_sampler_poll(s);
	now = util_mono_ns();
	interval_s = s->last_ns ? (now - s->last_ns) / 1e9 : 0;
	err = refresh_vms(s, now);
	if (err)
		return err;
	out->seq = s->seq++;
	out->mono_ns = now;
	out->real_ns = util_clock_ns(CLOCK_REALTIME);
	out->interval_s = interval_s;
	if (s->nr_vms) {
		out->vms = calloc(s->nr_vms, sizeof(*out->vms));
		if (!out->vms)
			return -ENOMEM;
	}
	for (i = 0; i < s->nr_vms; i++) {
		struct vvs_vm *v = &s->vms[i];
		struct trace_snapshot_vm *vm = &out->vms[out->nr_vms++];

		vm->id = v->id;
		vm->id.nr_vcpus = v->info.nr_vcpus;
		hv_side(s, v, vm, now);
		record_side(s, v, vm, interval_s);
		err = guest_side(s, v, vm, interval_s);
		if (err)
			break;
		if (!vm->hv_valid)
			vm->hv_cpu_pct = -1;
		if (vm->hv_valid && vm->guest_valid && vm->guest_cpu_pct >= 0) {
			vm->gap_valid = true;
			vm->cpu_gap_pct = vm->hv_cpu_pct - vm->guest_cpu_pct;
		}
		reset_counts(v);
	}
	s->last_ns = now;
	qsort(out->vms, out->nr_vms, sizeof(*out->vms), cmp_vm);
	if (err)
		trace_snapshot_free(out);
	return err;
}
