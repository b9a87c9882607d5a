// SPDX-License-Identifier: GPL-2.0
/*
 * The BPF backend of the client (client.h): vmtrace.bpf.c's programs,
 * embedded as a libbpf skeleton, loaded at the first START or GET_VMS and
 * kept until the client closes (VM ids stay unique meanwhile, as the
 * module's while it is loaded); the tracing programs are attached at the
 * first START only, so that asking for the VMs hooks nothing of KVM's.
 * A session is the programs' `recording` switch:
 *
 *   START  set the session's filters, reset the counters, switch on
 *   STOP   switch off, then wait an RCU grace period (membarrier(2)
 *          MEMBARRIER_CMD_GLOBAL is synchronize_rcu()): every program
 *          that saw the switch on has finished, so what is in the ring
 *          now is all there will be
 *   READ   consume the ring; after STOP, the loss no record told yet
 *          becomes a last LOST marker per CPU, as the module's final READ
 *
 * Sampling: a cpu-clock perf event per CPU runs the sampling program (the
 * module's timer source); there is no PMU source yet.
 *
 * VMs (GET_VMS): the VM iterator (vmt_vms_iter, a task_file iterator)
 * finds every open KVM VM file, gives each VM its id if no exit has yet,
 * and reads its vCPU count and memslots, for the guest's memory; the
 * programs are loaded for it if no session has loaded them.
 *
 * Guest task slots (SET_TASK_SLOT): as the module's, in the programs'
 * task_slots and tid_maps, which each START empties.
 *
 * Not in this backend yet (-EOPNOTSUPP, said in client_bpf_error()): PMU
 * sampling, the cost counters, Intel guest registers (VMX records carry
 * the exit reason and NO_STATE, so no task slots there either).
 *
 * Time: the programs cannot read the TSC (no helper on 6.1 or 6.12); they
 * read CLOCK_MONOTONIC and map it onto the TSC with a (ns, tsc) pair and
 * rate that a thread of this file refreshes every 50 ms while recording
 * (struct client_bpf_clock), so host_tsc, guest_tsc and entry_delta are the
 * TSC's to within the clocks' drift over 50 ms.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <stdarg.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <linux/membarrier.h>
#include <linux/perf_event.h>
#include <x86intrin.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <bpf/btf.h>
#include "util/log.h"
#include "client/backend.h"
#include "client/vmtrace_bpf.h"
#include "client/vmtrace.skel.h"

#define VMT_BPF_MAX_VMS 1024		/* as the module's max_vms default */
#define VMT_BPF_BATCH 256		/* records handed to the reader at once */

struct client_bpf {
	struct vmtrace_bpf *skel;	/* loaded, or NULL before the first START or GET_VMS */
	struct ring_buffer *ring;
	uint32_t ring_size;		/* per CPU, as START asked */
	uint8_t vendor;			/* enum vmtrace_vendor */
	uint32_t state;			/* enum vmtrace_state */
	uint32_t nr_cpus;		/* possible */
	struct bpf_link **samplers;	/* per CPU: its cpu-clock event, or NULL */
	struct bpf_link *vms_iter;	/* the VM iterator, from the first GET_VMS */
	bool attached;			/* the tracing programs, from the first START */
	bool told_slots;		/* a memslot problem was logged */
	struct client_start_config cfg;	/* the session's, without the lists */
	uint64_t *drained;		/* per CPU, events read (not LOST) */
	/* The clock mapping: the first pair, and the rate since. */
	uint64_t first_ns, first_tsc;
	uint64_t tsc_khz;		/* atomic: the clock thread writes it */
	/* While recording, the thread that keeps the mapping fresh. */
	pthread_t clock_thread;
	pthread_mutex_t clock_lock;
	pthread_cond_t clock_wake;
	bool clock_running, clock_stop;
	/* READ's batch: records of one CPU, in ring order. */
	struct vmtrace_record batch[VMT_BPF_BATCH];
	size_t batch_n;
	uint16_t batch_cpu;
	client_records_fn fn;
	void *fn_arg;
	long read_count;
	int read_err;
	char error[256];
};

static void client_bpf_sampling_stop(struct client_bpf *b);

static int client_bpf_fail(struct client_bpf *b, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b->error, sizeof(b->error), fmt, ap);
	va_end(ap);
	return err;
}

const char *client_bpf_error(const struct client_bpf *b)
{
	return b->error;
}

/* ---- libbpf's messages ---- */

/*
 * libbpf's warnings (why a load or attach failed, the verifier's verdict)
 * are kept, the first since client_bpf_load() cleared it (it names the program
 * and the errno; those after only say that the object failed), for the
 * error that follows, and passed on to the printer the program had set;
 * with
 * VMTRACE_BPF_VERBOSE=1 in the environment all its messages, the
 * verifier's log included, go to stderr as libbpf would print them.
 */
static char vmt_libbpf_last[192];
/* The printer the program had set (vmtrace-collect's: warnings with -v). */
static libbpf_print_fn_t vmt_libbpf_prev;

static int vmt_libbpf_print(enum libbpf_print_level level, const char *fmt,
			    va_list ap)
{
	static int verbose = -1;
	va_list copy;
	size_t n;

	if (verbose < 0)
		verbose = getenv("VMTRACE_BPF_VERBOSE") != NULL;
	va_copy(copy, ap);
	if (verbose)
		vfprintf(stderr, fmt, copy);
	else if (vmt_libbpf_prev)
		vmt_libbpf_prev(level, fmt, copy);
	va_end(copy);
	if (level == LIBBPF_WARN && !vmt_libbpf_last[0]) {
		vsnprintf(vmt_libbpf_last, sizeof(vmt_libbpf_last), fmt, ap);
		n = strlen(vmt_libbpf_last);
		while (n && vmt_libbpf_last[n - 1] == '\n')
			vmt_libbpf_last[--n] = '\0';
	}
	return 0;
}

/* ---- clock ---- */

/* CLOCK_MONOTONIC and the TSC at one instant: the narrowest of 8 tries. */
static void client_bpf_clock_pair(uint64_t *ns, uint64_t *tsc)
{
	uint64_t best = UINT64_MAX;

	for (int i = 0; i < 8; i++) {
		uint64_t t0 = __rdtsc(), t1;
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		t1 = __rdtsc();
		if (t1 - t0 < best) {
			best = t1 - t0;
			*tsc = t0 + (t1 - t0) / 2;
			*ns = (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
		}
	}
}

/*
 * Hand the programs a fresh pair and the rate since the first one (the
 * longer the baseline, the truer the rate).  The slot not in use is
 * written, then published: a program reads one slot whole unless two
 * refreshes pass during its few instructions.
 */
static void client_bpf_clock_refresh(struct client_bpf *b)
{
	struct vmtrace_bpf__bss *bss = b->skel->bss;
	uint32_t next = __atomic_load_n(&bss->clock_seq, __ATOMIC_RELAXED) + 1;
	struct client_bpf_clock *c = &bss->clocks[next & 1];
	uint64_t ns, tsc;
	unsigned __int128 rate;

	client_bpf_clock_pair(&ns, &tsc);
	/* Cycles per ns in 32.32 fixed point. */
	rate = ((unsigned __int128)(tsc - b->first_tsc) << 32) / (ns - b->first_ns);
	c->ns = ns;
	c->tsc = tsc;
	c->rate_int = (uint64_t)(rate >> 32);
	c->rate_frac = (uint64_t)rate & 0xffffffffULL;
	__atomic_store_n(&b->tsc_khz, (uint64_t)((rate * 1000000) >> 32), __ATOMIC_RELAXED);
	__atomic_store_n(&bss->clock_seq, next, __ATOMIC_RELEASE);
}

#define VMT_BPF_CLOCK_PERIOD_NS 50000000ULL

/*
 * Refresh the mapping every 50 ms while recording, whether or not anyone
 * drains: then a record's TSC is off by the clocks' drift over 50 ms at
 * most (under a microsecond even at a 10 ppm rate error), however long
 * the reader waits.  The only writer of the clock slots meanwhile.
 */
static void *client_bpf_clock_main(void *arg)
{
	struct client_bpf *b = arg;
	struct timespec next;

	pthread_mutex_lock(&b->clock_lock);
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!b->clock_stop) {
		client_bpf_clock_refresh(b);
		next.tv_nsec += VMT_BPF_CLOCK_PERIOD_NS;
		if (next.tv_nsec >= 1000000000L) {
			next.tv_sec++;
			next.tv_nsec -= 1000000000L;
		}
		while (!b->clock_stop &&
		       pthread_cond_timedwait(&b->clock_wake, &b->clock_lock, &next) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&b->clock_lock);
	return NULL;
}

/* A fresh mapping now, and the thread that keeps it fresh. */
static int client_bpf_clock_start(struct client_bpf *b)
{
	pthread_condattr_t attr;
	int err;

	client_bpf_clock_refresh(b);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	err = -pthread_cond_init(&b->clock_wake, &attr);
	pthread_condattr_destroy(&attr);
	if (err)
		return client_bpf_fail(b, err, "cannot start the clock thread");
	pthread_mutex_init(&b->clock_lock, NULL);
	b->clock_stop = false;
	err = -pthread_create(&b->clock_thread, NULL, client_bpf_clock_main, b);
	if (err) {
		pthread_cond_destroy(&b->clock_wake);
		pthread_mutex_destroy(&b->clock_lock);
		return client_bpf_fail(b, err, "cannot start the clock thread");
	}
	b->clock_running = true;
	return 0;
}

static void client_bpf_clock_stop(struct client_bpf *b)
{
	if (!b->clock_running)
		return;
	pthread_mutex_lock(&b->clock_lock);
	b->clock_stop = true;
	pthread_cond_signal(&b->clock_wake);
	pthread_mutex_unlock(&b->clock_lock);
	pthread_join(b->clock_thread, NULL);
	pthread_cond_destroy(&b->clock_wake);
	pthread_mutex_destroy(&b->clock_lock);
	b->clock_running = false;
}

/* ---- open: what the programs need from this kernel ---- */

static bool client_bpf_have(const char *path)
{
	return access(path, R_OK) == 0;
}

/* CAP_SYS_ADMIN, or CAP_BPF with CAP_PERFMON (tracing programs), in effect. */
static bool client_bpf_privileged(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = { { 0 } };
	uint64_t eff;

	if (syscall(SYS_capget, &hdr, data))
		return false;
	eff = data[0].effective | (uint64_t)data[1].effective << 32;
#define VMT_CAP(c) (1ULL << (c))
	return (eff & VMT_CAP(CAP_SYS_ADMIN)) ||
	       ((eff & VMT_CAP(38 /* CAP_PERFMON */)) && (eff & VMT_CAP(39 /* CAP_BPF */)));
#undef VMT_CAP
}

int client_bpf_open(struct client_bpf **out, char *why, size_t why_size)
{
	struct client_bpf *b;
	int err = -ENOENT;

#define WHY(...) do { if (why_size) snprintf(why, why_size, __VA_ARGS__); } while (0)
	if (!client_bpf_have("/sys/kernel/btf/vmlinux")) {
		WHY("the BPF backend needs the kernel's BTF (/sys/kernel/btf/vmlinux: CONFIG_DEBUG_INFO_BTF)");
		return err;
	}
	/* kvm's tracepoints: in its module BTF, or vmlinux's if built in. */
	if (!client_bpf_have("/sys/kernel/btf/kvm") && !client_bpf_have("/sys/module/kvm")) {
		WHY("the BPF backend needs kvm loaded, with its BTF (/sys/kernel/btf/kvm: CONFIG_DEBUG_INFO_BTF_MODULES)");
		return err;
	}
	if (!client_bpf_privileged()) {
		WHY("the BPF backend needs CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN (run as root)");
		return -EPERM;
	}
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	/*
	 * The vendor module's BTF says which, and has the VMCB's layout on
	 * AMD.  A vendor module without BTF cannot be read; a host with
	 * neither (another KVM backend) gets exits without guest state.
	 */
	if (client_bpf_have("/sys/kernel/btf/kvm_amd")) {
		b->vendor = VMTRACE_VENDOR_SVM;
	} else if (client_bpf_have("/sys/kernel/btf/kvm_intel")) {
		b->vendor = VMTRACE_VENDOR_VMX;
	} else if (client_bpf_have("/sys/module/kvm_amd") || client_bpf_have("/sys/module/kvm_intel")) {
		WHY("the BPF backend needs the BTF of kvm_amd or kvm_intel (/sys/kernel/btf/kvm_amd: CONFIG_DEBUG_INFO_BTF_MODULES)");
		goto err_free;
	} else {
		b->vendor = VMTRACE_VENDOR_UNKNOWN;
	}
	err = libbpf_num_possible_cpus();
	if (err < 0) {
		WHY("cannot count the possible CPUs");
		goto err_free;
	}
	b->nr_cpus = err;
	b->drained = calloc(b->nr_cpus, sizeof(*b->drained));
	if (!b->drained) {
		err = -ENOMEM;
		goto err_free;
	}
	/* The first clock pair, and a rate over 20 ms until START refines it. */
	client_bpf_clock_pair(&b->first_ns, &b->first_tsc);
	usleep(20000);
	{
		uint64_t ns, tsc;

		client_bpf_clock_pair(&ns, &tsc);
		b->tsc_khz = (tsc - b->first_tsc) * 1000000ULL / (ns - b->first_ns);
	}
	{
		libbpf_print_fn_t prev = libbpf_set_print(vmt_libbpf_print);

		if (prev != vmt_libbpf_print)
			vmt_libbpf_prev = prev;
	}
	b->state = VMTRACE_STATE_IDLE;
	*out = b;
	return 0;
#undef WHY

err_free:
	free(b->drained);
	free(b);
	return err;
}

static void client_bpf_unload(struct client_bpf *b)
{
	bpf_link__destroy(b->vms_iter);
	b->vms_iter = NULL;
	ring_buffer__free(b->ring);
	b->ring = NULL;
	vmtrace_bpf__destroy(b->skel);
	b->skel = NULL;
	b->attached = false;
}

void client_bpf_close(struct client_bpf *b)
{
	if (!b)
		return;
	client_bpf_clock_stop(b);
	client_bpf_sampling_stop(b);
	client_bpf_unload(b);
	free(b->drained);
	free(b);
}

/* ---- counters ---- */

/* Every CPU's struct client_bpf_cpu, into @cpus (nr_cpus of them). */
static int client_bpf_read_cpus(struct client_bpf *b, struct client_bpf_cpu *cpus)
{
	uint32_t zero = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(b->skel->maps.cpus), &zero, cpus))
		return client_bpf_fail(b, -errno, "cannot read the BPF programs' counters");
	return 0;
}

static void client_bpf_figures(const struct client_bpf *b, uint32_t cpu,
			    const struct client_bpf_cpu *in, struct client_cpu_status *out)
{
	uint64_t lost = 0;

	out->cpu = cpu;
	out->produced = in->produced;
	out->drained = b->drained[cpu];
	for (int k = 0; k < __VMTRACE_LOST_MAX; k++) {
		out->lost[k] = in->lost[k];
		lost += in->lost[k];
	}
	/* Neither drained nor lost: in the ring (exact once stopped). */
	out->queued = in->produced - out->drained - lost;
	out->host_samples = in->host_samples;
	out->ring_bytes = b->ring_size;
}

int client_bpf_status(struct client_bpf *b, struct client_status *st)
{
	struct client_bpf_cpu *cpus;
	int err;

	memset(st, 0, sizeof(*st));
	snprintf(st->version, sizeof(st->version), "%s", VMT_RELEASE);
	st->format_version = VMTRACE_FORMAT_VERSION;
	st->nr_cpus = b->nr_cpus;
	st->state = b->state;
	st->tsc_khz = __atomic_load_n(&b->tsc_khz, __ATOMIC_RELAXED);
	if (b->state == VMTRACE_STATE_IDLE)
		return 0;
	st->has_session = true;
	st->sample_source = VMTRACE_SAMPLE_TIMER;
	st->sample_hz = b->cfg.sample_hz;
	st->ring_size = b->ring_size;
	st->flags = b->cfg.flags;
	st->nr_exits = b->cfg.nr_exits;
	st->nr_pids = b->cfg.nr_pids;
	cpus = calloc(b->nr_cpus, sizeof(*cpus));
	if (!cpus)
		return -ENOMEM;
	err = client_bpf_read_cpus(b, cpus);
	for (uint32_t i = 0; !err && i < b->nr_cpus; i++) {
		struct client_cpu_status one = { 0 };

		client_bpf_figures(b, i, &cpus[i], &one);
		st->totals.produced += one.produced;
		st->totals.drained += one.drained;
		st->totals.queued += one.queued;
		st->totals.host_samples += one.host_samples;
		for (int k = 0; k < __VMTRACE_LOST_MAX; k++)
			st->totals.lost[k] += one.lost[k];
	}
	free(cpus);
	return err;
}

int client_bpf_get_cpus(struct client_bpf *b, struct client_cpu_status **out, size_t *nr)
{
	struct client_cpu_status *list;
	struct client_bpf_cpu *cpus;
	int err;

	if (b->state == VMTRACE_STATE_IDLE)
		return client_bpf_fail(b, -ENOENT, "no session");
	cpus = calloc(b->nr_cpus, sizeof(*cpus));
	list = calloc(b->nr_cpus, sizeof(*list));
	if (!cpus || !list) {
		err = -ENOMEM;
		goto out;
	}
	err = client_bpf_read_cpus(b, cpus);
	if (err)
		goto out;
	for (uint32_t i = 0; i < b->nr_cpus; i++)
		client_bpf_figures(b, i, &cpus[i], &list[i]);
	*out = list;
	*nr = b->nr_cpus;
	list = NULL;
out:
	free(list);
	free(cpus);
	return err;
}

/* ---- READ ---- */

static void client_bpf_flush_batch(struct client_bpf *b)
{
	int err;

	if (!b->batch_n)
		return;
	b->read_count += b->batch_n;
	if (b->fn) {
		err = b->fn(b->fn_arg, b->batch_cpu, b->batch, b->batch_n);
		if (err) {
			/* Keep draining, as the module's READ, but stop calling. */
			b->read_err = err;
			b->fn = NULL;
		}
	}
	b->batch_n = 0;
}

static void client_bpf_take(struct client_bpf *b, const struct vmtrace_record *r)
{
	if (b->batch_n && (b->batch_cpu != r->host_cpu || b->batch_n == VMT_BPF_BATCH))
		client_bpf_flush_batch(b);
	b->batch_cpu = r->host_cpu;
	b->batch[b->batch_n++] = *r;
	if (r->kind != VMTRACE_KIND_LOST && r->host_cpu < b->nr_cpus)
		b->drained[r->host_cpu]++;
}

/* One ring sample: an event, or a LOST marker and the event after it. */
static int client_bpf_on_sample(void *ctx, void *data, size_t len)
{
	struct client_bpf *b = ctx;

	for (size_t off = 0; off + sizeof(struct vmtrace_record) <= len;
	     off += sizeof(struct vmtrace_record)) {
		struct vmtrace_record r;

		memcpy(&r, (char *)data + off, sizeof(r));
		client_bpf_take(b, &r);
	}
	return 0;
}

/*
 * After STOP: the loss still pending on each CPU, told by one last marker
 * per CPU (as the module's final READ), and taken off the counters.
 */
static int client_bpf_flush_pending(struct client_bpf *b)
{
	int fd = bpf_map__fd(b->skel->maps.cpus);
	struct client_bpf_cpu *cpus = calloc(b->nr_cpus, sizeof(*cpus));
	uint32_t zero = 0;
	bool owed = false;
	int err;

	if (!cpus)
		return -ENOMEM;
	err = client_bpf_read_cpus(b, cpus);
	for (uint32_t i = 0; !err && i < b->nr_cpus; i++) {
		struct vmtrace_record m = {
			.kind = VMTRACE_KIND_LOST,
			.host_cpu = i,
			.host_tsc = __rdtsc(),
		};
		bool here = false;

		for (int k = 0; k < __VMTRACE_LOST_MAX; k++) {
			m.u.lost[k] = cpus[i].pending[k];
			here |= m.u.lost[k] != 0;
			cpus[i].pending[k] = 0;
		}
		if (here)
			client_bpf_take(b, &m);
		owed |= here;
	}
	/* Stopped: no program writes the counters meanwhile. */
	if (!err && owed && bpf_map_update_elem(fd, &zero, cpus, BPF_ANY))
		err = client_bpf_fail(b, -errno, "cannot reset the pending loss counters");
	free(cpus);
	return err;
}

long client_bpf_read(struct client_bpf *b, client_records_fn fn, void *arg)
{
	int err;

	if (b->state == VMTRACE_STATE_IDLE)
		return client_bpf_fail(b, -ENOENT, "no session");
	b->fn = fn;
	b->fn_arg = arg;
	b->read_count = 0;
	b->read_err = 0;
	b->batch_n = 0;
	err = ring_buffer__consume(b->ring);
	if (err < 0)
		return client_bpf_fail(b, err, "cannot read the BPF ring buffer");
	if (b->state == VMTRACE_STATE_STOPPED) {
		err = client_bpf_flush_pending(b);
		if (err)
			return err;
	}
	client_bpf_flush_batch(b);
	return b->read_err ? b->read_err : b->read_count;
}

/* ---- sampling ---- */

/* Mark in @set (nr_cpus long) the CPUs of cpulist file @path ("0-3,8"). */
static void client_bpf_cpulist(const char *path, bool *set, uint32_t nr_cpus)
{
	char buf[4096], *p, *end;
	unsigned long lo, hi;
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	for (p = buf; *p && *p != '\n'; p = *end ? end + 1 : end) {
		lo = hi = strtoul(p, &end, 10);
		if (end == p)
			return;
		if (*end == '-')
			hi = strtoul(end + 1, &end, 10);
		for (; lo <= hi && lo < nr_cpus; lo++)
			set[lo] = true;
		if (*end != ',')
			return;
	}
}

/*
 * A cpu-clock event at @cfg->sample_hz on each online CPU, with the
 * sampling program attached; as the module's timer source, not the CPUs
 * isolated from the scheduler tick or load balancing (isolcpus=,
 * nohz_full=) unless the session asks for them.  CPUs coming online later
 * are not sampled.
 */
static int client_bpf_sampling_start(struct client_bpf *b, const struct client_start_config *cfg)
{
	bool *online = calloc(b->nr_cpus, sizeof(bool));
	bool *isolated = calloc(b->nr_cpus, sizeof(bool));
	int err = 0;

	b->samplers = calloc(b->nr_cpus, sizeof(*b->samplers));
	if (!online || !isolated || !b->samplers) {
		err = -ENOMEM;
		goto out;
	}
	client_bpf_cpulist("/sys/devices/system/cpu/online", online, b->nr_cpus);
	if (!(cfg->flags & VMTRACE_CFG_F_SAMPLE_ISOLATED)) {
		client_bpf_cpulist("/sys/devices/system/cpu/isolated", isolated, b->nr_cpus);
		client_bpf_cpulist("/sys/devices/system/cpu/nohz_full", isolated, b->nr_cpus);
	}
	for (uint32_t cpu = 0; cpu < b->nr_cpus; cpu++) {
		struct perf_event_attr attr = {
			.type = PERF_TYPE_SOFTWARE,
			.config = PERF_COUNT_SW_CPU_CLOCK,
			.size = sizeof(attr),
			.sample_period = 1000000000ULL / cfg->sample_hz,	/* ns */
		};
		int fd;

		if (!online[cpu] || isolated[cpu])
			continue;
		fd = syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
		if (fd < 0) {
			if (errno == ENODEV)	/* went offline meanwhile */
				continue;
			err = client_bpf_fail(b, -errno, "cannot open a cpu-clock event on CPU %u: %s",
					   cpu, strerror(errno));
			goto out;
		}
		/* The link owns the event from here on. */
		b->samplers[cpu] = bpf_program__attach_perf_event(b->skel->progs.vmt_sample, fd);
		if (!b->samplers[cpu]) {
			err = -errno;
			close(fd);
			client_bpf_fail(b, err, "cannot attach the sampling program on CPU %u: %s", cpu,
				     strerror(-err));
			goto out;
		}
	}
out:
	free(online);
	free(isolated);
	if (err)
		client_bpf_sampling_stop(b);
	return err;
}

static void client_bpf_sampling_stop(struct client_bpf *b)
{
	if (!b->samplers)
		return;
	for (uint32_t cpu = 0; cpu < b->nr_cpus; cpu++)
		bpf_link__destroy(b->samplers[cpu]);
	free(b->samplers);
	b->samplers = NULL;
}

/* ---- START / STOP ---- */

/*
 * Where VM teardown is hooked: kvm_destroy_vm, or where a compiler inlined
 * it, kvm_arch_pre_destroy_vm (kmod/vm.c says why either will do); the
 * first that kvm's BTF has as a function.
 */
static int client_bpf_gone_target(struct client_bpf *b, struct vmtrace_bpf *skel)
{
	static const char *const funcs[] = { "kvm_destroy_vm", "kvm_arch_pre_destroy_vm" };
	struct btf *vmlinux = btf__load_vmlinux_btf(), *kvm = NULL;
	int err = -ENOENT;

	/* kvm's own BTF, or vmlinux's where kvm is built in. */
	if (vmlinux) {
		kvm = btf__load_module_btf("kvm", vmlinux);
		if (!kvm)
			kvm = vmlinux;
	}
	for (size_t i = 0; kvm && i < sizeof(funcs) / sizeof(funcs[0]); i++) {
		if (btf__find_by_name_kind(kvm, funcs[i], BTF_KIND_FUNC) < 0)
			continue;
		err = bpf_program__set_attach_target(skel->progs.vmt_vm_gone, 0, funcs[i]);
		break;
	}
	if (kvm != vmlinux)
		btf__free(kvm);
	btf__free(vmlinux);
	if (err)
		return client_bpf_fail(b, err, "kvm's BTF has neither kvm_destroy_vm nor kvm_arch_pre_destroy_vm to hook VM teardown at");
	return 0;
}

/*
 * Load the programs, the ring sized for @ring_size per CPU; with
 * @teardown, the VM teardown hook too.  Nothing is attached: the first
 * START attaches (client_bpf_attach()), and a client that only asks for
 * the VMs (GET_VMS, SET_TASK_SLOT's lookups) runs the VM iterator alone,
 * hooking nothing of KVM's.
 */
static int client_bpf_load_with(struct client_bpf *b, uint32_t ring_size, bool teardown)
{
	int err, cpus = libbpf_num_possible_cpus();
	struct vmtrace_bpf *skel;
	uint64_t bytes;

	LIBBPF_OPTS(bpf_object_open_opts, opts);

	/* Verbose: the verifier's statistics of every program it accepts. */
	if (getenv("VMTRACE_BPF_VERBOSE"))
		opts.kernel_log_level = 4;	/* BPF_LOG_STATS */
	vmt_libbpf_last[0] = '\0';
	skel = vmtrace_bpf__open_opts(&opts);
	if (!skel)
		return client_bpf_fail(b, -errno, "cannot open the BPF programs: %s",
				    vmt_libbpf_last);
	skel->rodata->host_vendor = b->vendor;
	if (teardown)
		err = client_bpf_gone_target(b, skel);
	else
		err = bpf_program__set_autoload(skel->progs.vmt_vm_gone, false);
	if (err)
		goto err_destroy;
	/* The iterator is run, not attached: GET_VMS makes its link. */
	bpf_program__set_autoattach(skel->progs.vmt_vms_iter, false);
	/* One shared ring: the module's per-CPU bytes times the CPUs. */
	bytes = (uint64_t)ring_size * (cpus > 0 ? cpus : 1);
	while (bytes & (bytes - 1))
		bytes += bytes & -bytes;
	if (bytes < (uint64_t)sysconf(_SC_PAGESIZE))
		bytes = sysconf(_SC_PAGESIZE);
	bpf_map__set_max_entries(skel->maps.records, bytes);
	bpf_map__set_max_entries(skel->maps.vms, VMT_BPF_MAX_VMS);
	bpf_map__set_max_entries(skel->maps.tid_maps, VMT_BPF_MAX_VMS);
	err = vmtrace_bpf__load(skel);
	if (err) {
		if (err == -EPERM)
			client_bpf_fail(b, err, "loading BPF programs needs CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN: %s",
				     vmt_libbpf_last);
		else
			client_bpf_fail(b, err, "the kernel refused the BPF programs (VMTRACE_BPF_VERBOSE=1 shows why): %s",
				     vmt_libbpf_last);
		goto err_destroy;
	}
	b->ring = ring_buffer__new(bpf_map__fd(skel->maps.records), client_bpf_on_sample, b,
				   NULL);
	if (!b->ring) {
		err = client_bpf_fail(b, -errno, "cannot map the BPF ring buffer");
		goto err_destroy;
	}
	b->skel = skel;
	b->ring_size = ring_size;
	return 0;

err_destroy:
	vmtrace_bpf__destroy(skel);
	return err;
}

/*
 * Load with the VM teardown hook (fentry), or, where the kernel refuses
 * that alone (no fentry on this kernel, a function it will not trace),
 * without: then VM_GONE is not recorded and a VM is told apart from an
 * earlier one at the same struct kvm address by its VMM's pid alone (the
 * programs' vm_of()), which util_log() says.
 */
static int client_bpf_load(struct client_bpf *b, uint32_t ring_size)
{
	char why[sizeof(vmt_libbpf_last)];
	int err = client_bpf_load_with(b, ring_size, true);

	if (!err)
		return 0;
	snprintf(why, sizeof(why), "%s", vmt_libbpf_last);
	if (client_bpf_load_with(b, ring_size, false))
		return err;
	util_log("BPF backend: no VM teardown hook, no VM_GONE records (%s)", why);
	b->error[0] = '\0';
	return 0;
}

/*
 * Attach the exit and entry programs and, if loaded, the VM teardown
 * hook, once.  A teardown hook the kernel will not attach (its function
 * not traceable) is done without, said, as a load without it.
 */
static int client_bpf_attach(struct client_bpf *b)
{
	struct vmtrace_bpf *skel = b->skel;

	if (b->attached)
		return 0;
	vmt_libbpf_last[0] = '\0';
	skel->links.vmt_entry = bpf_program__attach(skel->progs.vmt_entry);
	if (skel->links.vmt_entry)
		skel->links.vmt_exit = bpf_program__attach(skel->progs.vmt_exit);
	if (!skel->links.vmt_entry || !skel->links.vmt_exit) {
		int err = -errno;

		bpf_link__destroy(skel->links.vmt_entry);
		skel->links.vmt_entry = NULL;
		return client_bpf_fail(b, err, "cannot attach to kvm_entry and kvm_exit: %s",
				    vmt_libbpf_last);
	}
	if (bpf_program__autoload(skel->progs.vmt_vm_gone)) {
		skel->links.vmt_vm_gone = bpf_program__attach(skel->progs.vmt_vm_gone);
		if (!skel->links.vmt_vm_gone)
			util_log("BPF backend: VM teardown hook not attached, no VM_GONE records (%s)",
				 vmt_libbpf_last);
	}
	b->attached = true;
	return 0;
}

/* Empty @map (a hash). */
static int client_bpf_clear(struct client_bpf *b, struct bpf_map *map)
{
	uint32_t size = bpf_map__key_size(map);
	char key[32], next[32];
	int fd = bpf_map__fd(map);

	if (size > sizeof(key))
		return -EINVAL;
	while (!bpf_map_get_next_key(fd, NULL, next)) {
		memcpy(key, next, size);
		if (bpf_map_delete_elem(fd, key))
			return client_bpf_fail(b, -errno, "cannot clear the %s map",
					    bpf_map__name(map));
	}
	return 0;
}

/* Empty @map (a hash), then add @n keys with value 1. */
static int client_bpf_set_keys(struct client_bpf *b, struct bpf_map *map,
			    const uint32_t *keys, uint32_t n)
{
	int fd = bpf_map__fd(map), err = client_bpf_clear(b, map);
	uint8_t one = 1;

	if (err)
		return err;
	for (uint32_t i = 0; i < n; i++)
		if (bpf_map_update_elem(fd, &keys[i], &one, BPF_ANY))
			return client_bpf_fail(b, -errno, "cannot set the %s filter",
					    bpf_map__name(map));
	return 0;
}

int client_bpf_start(struct client_bpf *b, const struct client_start_config *cfg)
{
	uint32_t ring_size = cfg->ring_size ? cfg->ring_size : VMTRACE_RING_SIZE_DEFAULT;
	struct client_bpf_cpu *zeros;
	uint32_t zero = 0;
	int err;

	b->error[0] = '\0';
	if (b->state == VMTRACE_STATE_RUNNING)
		return client_bpf_fail(b, -EBUSY, "a session is running");
	if (ring_size < VMTRACE_RING_SIZE_MIN || ring_size > VMTRACE_RING_SIZE_MAX ||
	    (ring_size & (ring_size - 1)))
		return client_bpf_fail(b, -EINVAL, "ring size %u: a power of two from %u to %u",
				    ring_size, VMTRACE_RING_SIZE_MIN, VMTRACE_RING_SIZE_MAX);
	if (cfg->sample_hz > VMTRACE_SAMPLE_HZ_MAX || cfg->sample_source >= __VMTRACE_SAMPLE_LAST)
		return client_bpf_fail(b, -EINVAL, "sampling: at most %u Hz, source auto, pmu or timer",
				    VMTRACE_SAMPLE_HZ_MAX);
	if (cfg->sample_hz && cfg->sample_source == VMTRACE_SAMPLE_PMU)
		return client_bpf_fail(b, -EOPNOTSUPP,
				    "the BPF backend samples with the cpu-clock timer only (sample source timer or auto)");
	if (cfg->flags & ~VMTRACE_CFG_F_ALL)
		return client_bpf_fail(b, -EINVAL, "unknown flags %#x", cfg->flags);
	if (cfg->flags & VMTRACE_CFG_F_COST)
		return client_bpf_fail(b, -EOPNOTSUPP,
				    "the BPF backend does not measure its cost yet (needs the module)");
	if (cfg->nr_exits > VMTRACE_FILTER_MAX || cfg->nr_pids > VMTRACE_FILTER_MAX)
		return client_bpf_fail(b, -EINVAL, "at most %u exit reasons and %u VMs",
				    VMTRACE_FILTER_MAX, VMTRACE_FILTER_MAX);
	if (b->skel && b->ring_size != ring_size)
		client_bpf_unload(b);
	if (!b->skel) {
		err = client_bpf_load(b, ring_size);
		if (err)
			return err;
	}
	err = client_bpf_attach(b);
	if (err)
		return err;

	/* A stopped session's records are discarded, as the module's. */
	b->fn = NULL;
	ring_buffer__consume(b->ring);
	b->batch_n = 0;
	zeros = calloc(b->nr_cpus, sizeof(*zeros));
	if (!zeros)
		return -ENOMEM;
	err = bpf_map_update_elem(bpf_map__fd(b->skel->maps.cpus), &zero, zeros, BPF_ANY);
	free(zeros);
	if (err)
		return client_bpf_fail(b, -errno, "cannot reset the BPF programs' counters");
	memset(b->drained, 0, b->nr_cpus * sizeof(*b->drained));
	err = client_bpf_set_keys(b, b->skel->maps.vm_pids, cfg->pids, cfg->nr_pids);
	if (!err)
		err = client_bpf_set_keys(b, b->skel->maps.exit_codes, cfg->exits, cfg->nr_exits);
	/* A session's task slots are its own, as the module's. */
	b->skel->bss->have_task_slots = 0;
	if (!err)
		err = client_bpf_clear(b, b->skel->maps.task_slots);
	if (!err)
		err = client_bpf_clear(b, b->skel->maps.tid_maps);
	if (err)
		return err;
	b->cfg = *cfg;
	b->cfg.pids = b->cfg.exits = NULL;
	b->cfg.ring_size = ring_size;
	b->skel->bss->cfg_flags = cfg->flags;
	b->skel->bss->nr_pids = cfg->nr_pids;
	b->skel->bss->nr_exits = cfg->nr_exits;
	if (cfg->sample_hz) {
		err = client_bpf_sampling_start(b, cfg);
		if (err)
			return err;
	}
	err = client_bpf_clock_start(b);
	if (err) {
		client_bpf_sampling_stop(b);
		return err;
	}
	b->state = VMTRACE_STATE_RUNNING;
	/* Everything above is in place before a program sees the switch. */
	__atomic_store_n(&b->skel->bss->recording, 1, __ATOMIC_RELEASE);
	return 0;
}

int client_bpf_stop(struct client_bpf *b)
{
	b->error[0] = '\0';
	if (b->state != VMTRACE_STATE_RUNNING)
		return client_bpf_fail(b, -ENOENT, "no session running");
	__atomic_store_n(&b->skel->bss->recording, 0, __ATOMIC_RELEASE);
	client_bpf_sampling_stop(b);
	/*
	 * The programs run with preemption or migration disabled under RCU
	 * (tracepoints): a grace period after the switch went off, none
	 * that saw it on is still writing.  With nohz_full= the kernel
	 * refuses MEMBARRIER_CMD_GLOBAL; then a program on its way out may
	 * still add a record after the final READ (counted as queued).
	 */
	if (syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0) && errno != EINVAL)
		return client_bpf_fail(b, -errno, "membarrier: cannot wait for the BPF programs");
	b->state = VMTRACE_STATE_STOPPED;
	client_bpf_clock_stop(b);
	return 0;
}

/* ---- other processes' sessions ---- */

/* vmtrace.bpf.c's programs, by the names the kernel keeps (16 bytes). */
static bool client_bpf_ours(const char *name)
{
	static const char *const names[] = { "vmt_entry", "vmt_exit", "vmt_vm_gone", "vmt_sample",
					     "vmt_vms_iter" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i]))
			return true;
	return false;
}

/*
 * How many of @ids process @pid holds through its descriptors (fdinfo
 * "prog_id:": a program's own, or a link's to it), each counted once;
 * @seen: nr_ids flags of scratch.
 */
static uint32_t client_bpf_held_by(const char *pid, const uint32_t *ids, size_t nr_ids,
				   bool *seen)
{
	char path[64 + 2 * 256], line[128];
	struct dirent *de;
	uint32_t n = 0;
	unsigned int id;
	DIR *d;
	FILE *f;

	memset(seen, 0, nr_ids * sizeof(*seen));
	snprintf(path, sizeof(path), "/proc/%s/fdinfo", pid);
	d = opendir(path);
	if (!d)
		return 0;		/* gone, or not ours to read */
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fdinfo/%s", pid, de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "prog_id: %u", &id) == 1) {
				for (size_t i = 0; i < nr_ids; i++)
					if (ids[i] == id && !seen[i]) {
						seen[i] = true;
						n++;
					}
				break;
			}
		fclose(f);
	}
	closedir(d);
	return n;
}

int client_bpf_holders(struct client_bpf_holder **out, size_t *nr)
{
	struct client_bpf_holder *list = NULL, *more;
	uint32_t id = 0, *ids = NULL, *grown;
	size_t nr_ids = 0, n = 0;
	bool *seen = NULL;
	struct dirent *de;
	int err = 0;
	DIR *d;

	*out = NULL;
	*nr = 0;
	/* The programs loaded now whose names are ours. */
	while (!bpf_prog_get_next_id(id, &id)) {
		struct bpf_prog_info info = { 0 };
		__u32 len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(id);

		if (fd < 0) {
			if (errno == ENOENT)
				continue;	/* unloaded meanwhile */
			err = -errno;
			goto out;
		}
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && client_bpf_ours(info.name)) {
			grown = realloc(ids, (nr_ids + 1) * sizeof(*ids));
			if (!grown) {
				close(fd);
				err = -ENOMEM;
				goto out;
			}
			ids = grown;
			ids[nr_ids++] = id;
		}
		close(fd);
	}
	if (errno != ENOENT) {
		err = -errno;
		goto out;
	}
	if (!nr_ids)
		goto out;
	seen = calloc(nr_ids, sizeof(*seen));
	if (!seen) {
		err = -ENOMEM;
		goto out;
	}
	d = opendir("/proc");
	if (!d) {
		err = -errno;
		goto out;
	}
	while ((de = readdir(d))) {
		char path[64 + 256];
		uint32_t held;
		FILE *f;

		if (de->d_name[0] < '1' || de->d_name[0] > '9' ||
		    strtoul(de->d_name, NULL, 10) == (unsigned long)getpid())
			continue;
		held = client_bpf_held_by(de->d_name, ids, nr_ids, seen);
		if (!held)
			continue;
		more = realloc(list, (n + 1) * sizeof(*list));
		if (!more) {
			err = -ENOMEM;
			break;
		}
		list = more;
		memset(&list[n], 0, sizeof(list[n]));
		list[n].pid = (uint32_t)strtoul(de->d_name, NULL, 10);
		list[n].nr_programs = held;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		f = fopen(path, "re");
		if (f) {
			if (fgets(list[n].comm, sizeof(list[n].comm), f))
				list[n].comm[strcspn(list[n].comm, "\n")] = '\0';
			fclose(f);
		}
		n++;
	}
	closedir(d);
out:
	free(seen);
	free(ids);
	if (err) {
		free(list);
		return err;
	}
	*out = list;
	*nr = n;
	return 0;
}

/*
 * Run the VM iterator once: its output, whole, into *@out (*@len bytes).
 * 0 or -errno.
 */
static int client_bpf_run_vms_iter(struct client_bpf *b, char **out, size_t *len)
{
	size_t cap = 16384, n = 0;
	char *buf = NULL, *more;
	int fd, err = 0;
	ssize_t got;

	*out = NULL;
	*len = 0;
	if (!b->vms_iter) {
		vmt_libbpf_last[0] = '\0';
		b->vms_iter = bpf_program__attach_iter(b->skel->progs.vmt_vms_iter, NULL);
		if (!b->vms_iter) {
			err = -errno;
			return client_bpf_fail(b, err, "cannot attach the VM iterator: %s",
					    vmt_libbpf_last);
		}
	}
	fd = bpf_iter_create(bpf_link__fd(b->vms_iter));
	if (fd < 0)
		return client_bpf_fail(b, -errno, "cannot run the VM iterator");
	for (;;) {
		if (n == cap || !buf) {
			cap = buf ? 2 * cap : cap;
			more = realloc(buf, cap);
			if (!more) {
				err = -ENOMEM;
				break;
			}
			buf = more;
		}
		got = read(fd, buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			err = client_bpf_fail(b, -errno, "reading the VM iterator");
			break;
		}
		if (!got)
			break;
		n += got;
	}
	close(fd);
	if (err) {
		free(buf);
		return err;
	}
	*out = buf;
	*len = n;
	return 0;
}

static int client_bpf_slot_cmp(const void *a, const void *b)
{
	const struct client_memslot *x = a, *y = b;

	if (x->id >> 16 != y->id >> 16)
		return x->id >> 16 < y->id >> 16 ? -1 : 1;
	return x->gpa < y->gpa ? -1 : x->gpa > y->gpa;
}

/*
 * The iterator's output @buf (@len bytes) as VMs, each VM once (a VM file
 * open in two processes is seen twice), and their struct kvm addresses
 * (*@keys_out, in the same order).  *@stale: a VM's memslots changed
 * under the walk.  0, -ENOMEM, or -EPROTO for output not as written.
 */
static int client_bpf_parse_vms(struct client_bpf *b, const char *buf, size_t len,
				struct client_vm_info **out, uint64_t **keys_out, size_t *nr,
				bool *stale)
{
	struct client_vm_info *vms = NULL, *more;
	uint64_t *keys = NULL, *more_keys;
	size_t n = 0, off = 0;

	*stale = false;
	while (off < len) {
		struct client_bpf_vm_desc d;
		struct client_vm_info *vm;
		size_t i, slots_len;

		if (len - off < sizeof(d))
			goto err_proto;
		memcpy(&d, buf + off, sizeof(d));
		off += sizeof(d);
		if (d.nr_slots > VMT_BPF_SLOTS_MAX)
			goto err_proto;
		slots_len = (size_t)d.nr_slots * sizeof(struct client_bpf_slot);
		if (len - off < slots_len)
			goto err_proto;
		off += slots_len;
		for (i = 0; i < n && keys[i] != d.kvm; i++)
			;
		if (i < n || (d.flags & VMT_BPF_DESC_F_NO_ID))
			continue;	/* seen, or without an id (the table is full) */
		if (d.flags & VMT_BPF_DESC_F_STALE)
			*stale = true;
		if ((d.flags & (VMT_BPF_DESC_F_NO_SLOTS | VMT_BPF_DESC_F_TRUNCATED)) &&
		    !b->told_slots) {
			b->told_slots = true;
			util_log("BPF backend: %s",
				 d.flags & VMT_BPF_DESC_F_NO_SLOTS ?
				 "this kernel's memslot layout is not known: no guest memory" :
				 "a VM has more memslots than the VM iterator reads");
		}
		more = realloc(vms, (n + 1) * sizeof(*vms));
		if (more)
			vms = more;
		more_keys = realloc(keys, (n + 1) * sizeof(*keys));
		if (more_keys)
			keys = more_keys;
		if (!more || !more_keys)
			goto err_nomem;
		vm = &vms[n];
		*vm = (struct client_vm_info){
			.id = d.id, .pid = d.pid, .nr_vcpus = d.nr_vcpus, .vendor = b->vendor,
			.flags = d.state_ok ? 0 : VMTRACE_VM_F_NO_STATE,
		};
		keys[n++] = d.kvm;
		if (!d.nr_slots)
			continue;
		vm->slots = calloc(d.nr_slots, sizeof(*vm->slots));
		if (!vm->slots)
			goto err_nomem;
		for (i = 0; i < d.nr_slots; i++) {
			struct client_bpf_slot s;

			memcpy(&s, buf + off - slots_len + i * sizeof(s), sizeof(s));
			vm->slots[i] = (struct client_memslot){
				.id = s.id, .flags = s.flags, .gpa = s.gpa, .size = s.size,
				.hva = s.hva,
			};
		}
		vm->nr_slots = d.nr_slots;
		qsort(vm->slots, vm->nr_slots, sizeof(*vm->slots), client_bpf_slot_cmp);
	}
	*out = vms;
	*keys_out = keys;
	*nr = n;
	return 0;

err_proto:
	free(keys);
	client_vms_free(vms, n);
	return client_bpf_fail(b, -EPROTO, "the VM iterator's output is cut at byte %zu of %zu",
			    off, len);
err_nomem:
	free(keys);
	client_vms_free(vms, n);
	return -ENOMEM;
}

/*
 * Every VM with an open VM file: id, VMM pid, vCPUs, vendor, memslots,
 * and its struct kvm's address in *@keys.  A walk that saw memslots
 * change is run again, up to 5 times; then the last is taken (reads of
 * guest memory check what they find).
 */
static int client_bpf_read_vms(struct client_bpf *b, struct client_vm_info **out,
			       uint64_t **keys, size_t *nr)
{
	bool stale = true;
	int err, tries;

	*out = NULL;
	*keys = NULL;
	*nr = 0;
	if (!b->skel) {
		err = client_bpf_load(b, VMTRACE_RING_SIZE_DEFAULT);
		if (err)
			return err;
	}
	for (tries = 0; stale && tries < 5; tries++) {
		char *buf;
		size_t len;

		client_vms_free(*out, *nr);
		free(*keys);
		*out = NULL;
		*keys = NULL;
		*nr = 0;
		err = client_bpf_run_vms_iter(b, &buf, &len);
		if (err)
			return err;
		err = client_bpf_parse_vms(b, buf, len, out, keys, nr, &stale);
		free(buf);
		if (err)
			return err;
	}
	return 0;
}

int client_bpf_get_vms(struct client_bpf *b, struct client_vm_info **out, size_t *nr)
{
	uint64_t *keys;
	int err;

	b->error[0] = '\0';
	err = client_bpf_read_vms(b, out, &keys, nr);
	free(keys);
	return err;
}

/*
 * The direct map and the VM's largest RAM memslots (address space 0, at
 * most VMT_BPF_TID_RANGES, largest first), as the module snapshots them.
 */
static void client_bpf_tid_map_of(const struct client_vm_info *vm, uint64_t direct_map,
				  uint32_t pid_offset, struct client_bpf_tid_map *m)
{
	uint32_t i;

	memset(m, 0, sizeof(*m));
	m->direct_map = direct_map;
	m->pid_offset = pid_offset;
	for (size_t s = 0; s < vm->nr_slots; s++) {
		const struct client_memslot *ms = &vm->slots[s];

		if (ms->id >> 16)
			continue;
		for (i = m->nr_ranges; i > 0 && m->range[i - 1].size < ms->size; i--)
			if (i < VMT_BPF_TID_RANGES)
				m->range[i] = m->range[i - 1];
		if (i >= VMT_BPF_TID_RANGES)
			continue;
		m->range[i].gpa = ms->gpa;
		m->range[i].size = ms->size;
		m->range[i].hva = ms->hva;
		if (m->nr_ranges < VMT_BPF_TID_RANGES)
			m->nr_ranges++;
	}
}

/*
 * SET_TASK_SLOT, checked as the module checks it: a running session, a
 * VM of that id with that vCPU, an 8-byte aligned user address, a pid
 * offset 4-byte aligned below 64 KiB.  The slot and the VM's pid map go
 * into the programs' maps, which START empties.
 */
int client_bpf_set_task_slot(struct client_bpf *b, const struct client_task_slot *s)
{
	struct client_bpf_slot_key key = { .vcpu = s->vcpu };
	struct client_bpf_task_slot slot = { .gs_base = s->gs_base, .hva = s->hva };
	struct client_vm_info *vms;
	uint64_t *keys;
	size_t nr, i;
	int err;

	b->error[0] = '\0';
	if (s->hva && ((s->hva & 7) || s->hva > 0x7ffffffff000ULL - sizeof(uint64_t)))
		return client_bpf_fail(b, -EINVAL, "not an 8-byte aligned user address");
	if (s->tid && (s->pid_offset >= 65536 || (s->pid_offset & 3)))
		return client_bpf_fail(b, -EINVAL, "pid offset not 4-byte aligned below 64 KiB");
	if (b->state != VMTRACE_STATE_RUNNING)
		return client_bpf_fail(b, -ENOENT, "no running vmtrace session");
	err = client_bpf_read_vms(b, &vms, &keys, &nr);
	if (err)
		return err;
	for (i = 0; i < nr && vms[i].id != s->vm_id; i++)
		;
	if (i == nr) {
		err = client_bpf_fail(b, -ENOENT, "no such VM (not seen, or destroyed)");
	} else if (s->vcpu >= vms[i].nr_vcpus) {
		err = client_bpf_fail(b, -EINVAL, "no such vCPU in that VM");
	} else {
		key.kvm = keys[i];
		if (!s->hva)
			err = bpf_map_delete_elem(bpf_map__fd(b->skel->maps.task_slots), &key) &&
			      errno != ENOENT ? -errno : 0;
		else
			err = bpf_map_update_elem(bpf_map__fd(b->skel->maps.task_slots), &key,
						  &slot, BPF_ANY) ? -errno : 0;
		if (!err && s->hva)
			__atomic_store_n(&b->skel->bss->have_task_slots, 1, __ATOMIC_RELEASE);
		if (!err && s->tid) {
			struct client_bpf_tid_map m;

			client_bpf_tid_map_of(&vms[i], s->direct_map, s->pid_offset, &m);
			err = bpf_map_update_elem(bpf_map__fd(b->skel->maps.tid_maps), &keys[i],
						  &m, BPF_ANY) ? -errno : 0;
		}
		if (err)
			client_bpf_fail(b, err, "cannot set the task slot");
	}
	client_vms_free(vms, nr);
	free(keys);
	return err;
}
