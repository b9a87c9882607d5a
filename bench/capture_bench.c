// SPDX-License-Identifier: GPL-2.0
/*
 * Capture-path benchmarks, run inside the test host (bench/run does
 * `scripts/vmtest -- bench/capture_bench`):
 *
 *   storm      exits/s of a tight guest port-write loop without and with
 *              vmtrace recording (a collector draining as `record` does),
 *              interleaved rounds, ratio of the medians
 *   cost       host TSC cycles per event in vmtrace's probes
 *              (VMTRACE_CFG_F_COST), over all exits of a storm
 *   lookup     the same cost with a fresh module (reloaded), after 2,000
 *              VMs came and went in one session, and with 500 VMs alive:
 *              the VM table's lookup must not grow with VMs destroyed
 *   drain      READ throughput: records/s drained from full rings
 *   loss       with the default ring size and a draining collector: the
 *              exit rate reached by 1 and 2 storming vCPUs, and what was lost
 *   task_read  probe cycles per event with the guest's current task copied
 *              into each record (a task slot set, SET_TASK_SLOT) and without,
 *              the same storm, interleaved rounds
 *   backends   the storm's exits/s untraced, recorded by the module (if
 *              loaded) and by the BPF backend (user/client/bpf.c), with a
 *              drain as `record` does: interleaved rounds, the medians and
 *              each backend's ratio to untraced (issue 15 asks the BPF
 *              one within 1.5x of the module's overhead)
 *   recorders  the same storm in a child process (capture_bench
 *              storm-child) run as operators run the recorders:
 *              untraced, under `vmtrace-collect record --backend module`
 *              and `--backend bpf` (exits only: --sample-hz 0 --no-guest
 *              --metrics-interval 0), and under `trace-cmd record -e
 *              kvm:kvm_exit -e kvm:kvm_entry`: interleaved rounds, each
 *              arm's median exits/s, its ratio to untraced, and the bytes
 *              it wrote per exit (vmtrace: the trace file; trace-cmd: its
 *              per-CPU data, without the kallsyms and headers it adds),
 *              compressed as written and uncompressed (vmtrace: 64-byte
 *              records; trace-cmd: its ring pages)
 *
 * Figures, not pass/fail: printed as "name: value unit" lines.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "kvm_util.h"
#include "client/client.h"

#define TEST_PORT 0x5000

struct storm {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	pthread_t thread;
	volatile bool stop;
	uint64_t exits;
};

/* The guest kernel GS base of the storms' vCPUs (0: left as created). */
static uint64_t storm_gs_base;

static void *storm_run(void *arg)
{
	struct storm *s = arg;

	while (!s->stop) {
		vcpu_run(s->vcpu);
		s->exits++;
	}
	return NULL;
}

static void storms_start(struct storm *s, int n)
{
	for (int i = 0; i < n; i++) {
		memset(&s[i], 0, sizeof(s[i]));
		s[i].vm = vm_create();
		s[i].vcpu = vm_vcpu_add(s[i].vm);
		vcpu_set_entry(s[i].vcpu, vm_code_va(s[i].vm, guest_port_writes),
			       TEST_PORT, 1u << 31, 0);
		if (storm_gs_base) {
			struct kvm_sregs sregs;

			vcpu_sregs_get(s[i].vcpu, &sregs);
			sregs.gs.base = storm_gs_base;
			vcpu_sregs_set(s[i].vcpu, &sregs);
		}
		TEST_ASSERT(!pthread_create(&s[i].thread, NULL, storm_run, &s[i]),
			    "pthread_create");
	}
}

static uint64_t storms_stop(struct storm *s, int n)
{
	uint64_t exits = 0;

	for (int i = 0; i < n; i++)
		s[i].stop = true;
	for (int i = 0; i < n; i++) {
		pthread_join(s[i].thread, NULL);
		exits += s[i].exits;
		vm_free(s[i].vm);
	}
	return exits;
}

/* The collector's drain loop, as `vmtrace-collect record` runs it. */
struct drainer {
	struct client *c;
	pthread_t thread;
	volatile bool stop;
	uint64_t records;
};

static int count_records(void *arg, uint32_t cpu, const struct vmtrace_record *r,
			 size_t n)
{
	(void)cpu;
	(void)r;
	((struct drainer *)arg)->records += n;
	return 0;
}

static void *drain_run(void *arg)
{
	struct drainer *d = arg;

	while (!d->stop) {
		long n = client_read(d->c, count_records, d);

		TEST_ASSERT(n >= 0, "READ: %ld", n);
		if (n < 1024)
			usleep(20000);
	}
	return NULL;
}

/* What open_client() opens: the module, but for bench_backends(). */
static enum client_backend bench_backend = CLIENT_BACKEND_MODULE;

static struct client *open_client(void)
{
	struct client *c;
	char why[256];
	int err = client_open_backend(bench_backend, &c, why, sizeof(why));

	TEST_ASSERT(!err, "%s backend: %s", client_backend_name(bench_backend), why);
	return c;
}

static void totals(struct client *c, uint64_t *produced, uint64_t *lost,
		   uint64_t *cost_cycles, uint64_t *cost_events)
{
	struct client_status st;

	TEST_ASSERT(!client_status(c, &st), "GET_STATUS");
	*produced = st.totals.produced;
	*lost = 0;
	for (int k = 0; k < __VMTRACE_LOST_MAX; k++)
		*lost += st.totals.lost[k];
	*cost_cycles = st.totals.cost_cycles;
	*cost_events = st.totals.cost_events;
}

/* One storm of @seconds on @nr vCPUs; exits/s, optionally recorded. */
static double storm_rate(int nr, double seconds, const struct client_start_config *cfg,
			 uint64_t *lost, uint64_t *produced, double *cycles_per_event)
{
	struct drainer d = { 0 };
	struct storm s[2];
	uint64_t exits, start, cc, ce, p, l;
	double elapsed;

	if (cfg) {
		d.c = open_client();
		TEST_ASSERT(!client_start(d.c, cfg), "START: %s", client_error(d.c));
		TEST_ASSERT(!pthread_create(&d.thread, NULL, drain_run, &d), "pthread");
	}
	storms_start(s, nr);
	start = test_now_ns();
	usleep(seconds * 1e6);
	exits = storms_stop(s, nr);
	elapsed = (test_now_ns() - start) / 1e9;
	if (cfg) {
		d.stop = true;
		pthread_join(d.thread, NULL);
		TEST_ASSERT(!client_stop(d.c), "STOP");
		client_read(d.c, count_records, &d);
		totals(d.c, &p, &l, &cc, &ce);
		if (lost)
			*lost = l;
		if (produced)
			*produced = p;
		if (cycles_per_event)
			*cycles_per_event = ce ? (double)cc / ce : 0;
		client_close(d.c);
	}
	return exits / elapsed;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void bench_storm(void)
{
	const struct client_start_config cfg = { 0 };
	double off[5], on[5];

	for (int i = 0; i < 5; i++) {
		off[i] = storm_rate(1, 1.5, NULL, NULL, NULL, NULL);
		on[i] = storm_rate(1, 1.5, &cfg, NULL, NULL, NULL);
	}
	qsort(off, 5, sizeof(double), cmp_double);
	qsort(on, 5, sizeof(double), cmp_double);
	printf("storm_exits_per_s_without: %.0f\n", off[2]);
	printf("storm_exits_per_s_with: %.0f\n", on[2]);
	printf("storm_ratio_with_over_without: %.3f\n", on[2] / off[2]);
}

static void bench_cost(void)
{
	const struct client_start_config cfg = { .flags = VMTRACE_CFG_F_COST };
	uint64_t produced;
	double cycles;

	storm_rate(1, 2, &cfg, NULL, &produced, &cycles);
	printf("probe_cycles_per_event: %.0f (over %llu events)\n", cycles,
	       (unsigned long long)produced);
}

/*
 * VM lookup cost stays flat.  The probes find a vCPU's VM in an RCU hash
 * table (kmod/vm.c) whose entries leave when kvm_destroy_vm() runs, so the
 * probe cost per event must not depend on how many VMs came and went.
 * Each round reloads vmtrace.ko (a fresh VM table, no VM ever seen), then
 * measures the cost per event of one exit-storm VM:
 *   after_0        first, with nothing else seen since the load;
 *   destroyed      after LOOKUP_CHURN VMs were created, ran one exit each
 *                  and were destroyed, all in one session (never more than
 *                  LOOKUP_THREADS alive at once);
 *   live           with LOOKUP_LIVE VMs tracked and alive (each ran one
 *                  exit while recording), if max_vms has room for them.
 * TCG's noise is large and drifts with the host's load: the conditions are
 * interleaved, one of each per round, and the medians compared.
 */
#define LOOKUP_ROUNDS 5
#define LOOKUP_CHURN 2000
#define LOOKUP_THREADS 4
#define LOOKUP_LIVE 500
#define LOOKUP_STORM_S 1.0
/* Before each storm: what the churn left to do (RCU callbacks, KVM's
 * deferred frees) would otherwise run inside the measurement. */
#define LOOKUP_SETTLE_S 3

/* The tree's top into @buf, from this program's path (bench/capture_bench). */
static bool tree_top(char *buf, size_t size)
{
	ssize_t len = readlink("/proc/self/exe", buf, size - 1);

	if (len <= 0)
		return false;
	buf[len] = '\0';
	for (int i = 0; i < 2; i++)
		*strrchr(buf, '/') = '\0';
	return true;
}

/* The vmtrace.ko loaded: $VMTRACE_KO, $VMTEST_MODULE, else the one
 * scripts/build-module made for this kernel (build/<release>/kmod/). */
static const char *vmtrace_ko(char *buf, size_t size)
{
	const char *ko = getenv("VMTRACE_KO");
	struct utsname u;

	if (!ko || !*ko)
		ko = getenv("VMTEST_MODULE");
	if (ko && *ko)
		return access(ko, R_OK) ? NULL : ko;
	if (!tree_top(buf, size))
		return NULL;
	uname(&u);
	if (strlen(buf) + strlen(u.release) + 32 > size)
		return NULL;
	strcat(buf, "/build/");
	strcat(buf, u.release);
	strcat(buf, "/kmod/vmtrace.ko");
	return access(buf, R_OK) ? NULL : buf;
}

static void reload_vmtrace(const char *ko)
{
	char cmd[4352];
	int i;

	/* A socket just closed can hold the module for a moment. */
	for (i = 0; i < 100 && system("rmmod vmtrace 2>/dev/null"); i++)
		usleep(100000);
	TEST_ASSERT(i < 100, "cannot unload vmtrace");
	snprintf(cmd, sizeof(cmd), "insmod '%s'", ko);
	TEST_ASSERT(!system(cmd), "%s failed", cmd);
}

static unsigned long vmtrace_param(const char *name)
{
	char path[128];
	unsigned long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/vmtrace/parameters/%s", name);
	f = fopen(path, "r");
	TEST_ASSERT(f, "%s: %m", path);
	TEST_ASSERT(fscanf(f, "%lu", &v) == 1, "%s: not a number", path);
	fclose(f);
	return v;
}

/* A VM with one vCPU that has made one port-write exit, left at its HLT. */
static struct kvm_vm *vm_one_exit(void)
{
	struct kvm_vm *vm = vm_create();
	struct kvm_vcpu *vcpu = vm_vcpu_add(vm);

	vcpu_set_entry(vcpu, vm_code_va(vm, guest_port_writes), TEST_PORT, 1, 0);
	vcpu_run_expect_out(vcpu, TEST_PORT, 4, 0);
	vcpu_run(vcpu);
	vcpu_assert_done(vcpu);
	return vm;
}

static void *churn_run(void *arg)
{
	(void)arg;
	for (int i = 0; i < LOOKUP_CHURN / LOOKUP_THREADS; i++)
		vm_free(vm_one_exit());
	return NULL;
}

struct kind_count {
	uint64_t vm_new, vm_gone;
};

static int count_kinds(void *arg, uint32_t cpu, const struct vmtrace_record *r, size_t n)
{
	struct kind_count *k = arg;

	(void)cpu;
	for (size_t i = 0; i < n; i++) {
		k->vm_new += r[i].kind == VMTRACE_KIND_VM_NEW;
		k->vm_gone += r[i].kind == VMTRACE_KIND_VM_GONE;
	}
	return 0;
}

/* Stop the session of @c, drain it; VM_NEW and VM_GONE records read, and
 * what was lost to the VM table.  Closes @c. */
static struct kind_count stop_count(struct client *c, uint64_t *lost_vm_table)
{
	struct kind_count k = { 0 };
	struct client_status st;

	TEST_ASSERT(!client_stop(c), "STOP");
	TEST_ASSERT(client_read(c, count_kinds, &k) >= 0, "READ");
	TEST_ASSERT(!client_status(c, &st), "GET_STATUS");
	*lost_vm_table = st.totals.lost[VMTRACE_LOST_VM_TABLE];
	client_close(c);
	return k;
}

/* Probe cycles per event over an exit storm of one VM. */
struct cost_rounds {
	double cycles[LOOKUP_ROUNDS];
	uint64_t min_events, max_events;
};

static void lookup_cost(struct cost_rounds *cr, int round)
{
	const struct client_start_config cfg = { .flags = VMTRACE_CFG_F_COST };
	uint64_t events;

	sleep(LOOKUP_SETTLE_S);
	storm_rate(1, LOOKUP_STORM_S, &cfg, NULL, &events, &cr->cycles[round]);
	if (!round || events < cr->min_events)
		cr->min_events = events;
	if (!round || events > cr->max_events)
		cr->max_events = events;
}

static double median(const struct cost_rounds *cr)
{
	double v[LOOKUP_ROUNDS];

	memcpy(v, cr->cycles, sizeof(v));
	qsort(v, LOOKUP_ROUNDS, sizeof(*v), cmp_double);
	return LOOKUP_ROUNDS % 2 ? v[LOOKUP_ROUNDS / 2] :
	       (v[LOOKUP_ROUNDS / 2 - 1] + v[LOOKUP_ROUNDS / 2]) / 2;
}

static void print_rounds(const char *what, const struct cost_rounds *cr)
{
	printf("probe_cycles_per_event_%s: %.0f (median of %d rounds:", what, median(cr),
	       LOOKUP_ROUNDS);
	for (int i = 0; i < LOOKUP_ROUNDS; i++)
		printf(" %.0f", cr->cycles[i]);
	printf("; %llu to %llu events a round)\n", (unsigned long long)cr->min_events,
	       (unsigned long long)cr->max_events);
}

/* START a session that holds every record of what follows undrained. */
static struct client *start_undrained(void)
{
	const struct client_start_config cfg = { .ring_size = 8u << 20 };
	struct client *c = open_client();

	TEST_ASSERT(!client_start(c, &cfg), "START: %s", client_error(c));
	return c;
}

static void bench_lookup(void)
{
	static struct cost_rounds fresh, gone, live;
	static struct kvm_vm *live_vms[LOOKUP_LIVE];
	char path[4096], gone_name[64], live_name[64];
	const char *ko = vmtrace_ko(path, sizeof(path));
	uint64_t start = test_now_ns();
	unsigned long max_vms;
	bool with_live;
	struct rlimit rl;

	snprintf(gone_name, sizeof(gone_name), "after_%d_destroyed_vms", LOOKUP_CHURN);
	snprintf(live_name, sizeof(live_name), "with_%d_live_vms", LOOKUP_LIVE);
	if (!ko) {
		printf("probe_cycles_per_event_after_0_vms: skipped: no vmtrace.ko to reload "
		       "(set VMTRACE_KO)\n");
		return;
	}
	reload_vmtrace(ko);
	/* Room for the live VMs, the storm VM and entries of destroyed VMs
	 * that wait for their grace period. */
	max_vms = vmtrace_param("max_vms");
	with_live = max_vms >= LOOKUP_LIVE + 16;
	/*
	 * Every VM of the test library touches its first 4 MiB of guest
	 * memory: with THP always on (Debian) that is 4 MiB of huge pages
	 * each, more than the test host has for 500 VMs.  Small pages for
	 * every condition alike.
	 */
	TEST_ASSERT(!prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0), "PR_SET_THP_DISABLE: %m");
	/* Three descriptors per live VM: /dev/kvm, the VM, its vCPU. */
	TEST_ASSERT(!getrlimit(RLIMIT_NOFILE, &rl), "getrlimit");
	if (rl.rlim_cur < 3 * LOOKUP_LIVE + 256) {
		rl.rlim_cur = 3 * LOOKUP_LIVE + 256;
		if (rl.rlim_max < rl.rlim_cur)
			rl.rlim_max = rl.rlim_cur;
		TEST_ASSERT(!setrlimit(RLIMIT_NOFILE, &rl), "setrlimit NOFILE: %m");
	}

	for (int r = 0; r < LOOKUP_ROUNDS; r++) {
		pthread_t threads[LOOKUP_THREADS];
		struct client *c;
		struct kind_count k;
		uint64_t lost, t0 = test_now_ns(), t1;

		if (r)
			reload_vmtrace(ko);
		lookup_cost(&fresh, r);

		c = start_undrained();
		for (int i = 0; i < LOOKUP_THREADS; i++)
			TEST_ASSERT(!pthread_create(&threads[i], NULL, churn_run, NULL), "pthread");
		for (int i = 0; i < LOOKUP_THREADS; i++)
			pthread_join(threads[i], NULL);
		k = stop_count(c, &lost);
		/* Every VM was tracked, and left the table. */
		TEST_ASSERT(k.vm_new == LOOKUP_CHURN && k.vm_gone == LOOKUP_CHURN && !lost,
			    "churn: %llu VM_NEW, %llu VM_GONE, %llu lost to the VM table",
			    (unsigned long long)k.vm_new, (unsigned long long)k.vm_gone,
			    (unsigned long long)lost);
		t1 = test_now_ns();
		lookup_cost(&gone, r);

		if (!with_live) {
			printf("lookup_round_%d: after_0 %.0f, destroyed %.0f cycles/event "
			       "(churn %.0f s)\n", r + 1, fresh.cycles[r], gone.cycles[r],
			       (t1 - t0) / 1e9);
			continue;
		}
		c = start_undrained();
		for (int i = 0; i < LOOKUP_LIVE; i++)
			live_vms[i] = vm_one_exit();
		k = stop_count(c, &lost);
		TEST_ASSERT(k.vm_new == LOOKUP_LIVE && !k.vm_gone && !lost,
			    "live: %llu VM_NEW, %llu VM_GONE, %llu lost to the VM table",
			    (unsigned long long)k.vm_new, (unsigned long long)k.vm_gone,
			    (unsigned long long)lost);
		lookup_cost(&live, r);
		for (int i = 0; i < LOOKUP_LIVE; i++)
			vm_free(live_vms[i]);
		printf("lookup_round_%d: after_0 %.0f, destroyed %.0f, live %.0f cycles/event "
		       "(round %.0f s, of which churn %.0f s)\n", r + 1, fresh.cycles[r],
		       gone.cycles[r], live.cycles[r], (test_now_ns() - t0) / 1e9,
		       (t1 - t0) / 1e9);
	}
	TEST_ASSERT(!prctl(PR_SET_THP_DISABLE, 0, 0, 0, 0), "PR_SET_THP_DISABLE: %m");

	print_rounds("after_0_vms", &fresh);
	print_rounds(gone_name, &gone);
	printf("probe_cycles_per_event_ratio_%s_over_after_0: %.3f\n", gone_name,
	       median(&gone) / median(&fresh));
	if (with_live) {
		print_rounds(live_name, &live);
		printf("probe_cycles_per_event_ratio_%s_over_after_0: %.3f\n", live_name,
		       median(&live) / median(&fresh));
	} else {
		printf("probe_cycles_per_event_%s: skipped: max_vms=%lu\n", live_name, max_vms);
	}
	printf("lookup_rounds_took: %.0f s\n", (test_now_ns() - start) / 1e9);
}

static void bench_drain(void)
{
	/* 32 MiB x 2 CPUs: within the default cap (1/16 of the 2 GiB test host). */
	const struct client_start_config cfg = { .ring_size = 32u << 20 };
	struct client *c = open_client();
	struct drainer d = { .c = c };
	struct storm s[2];
	uint64_t start, ns;
	long n;

	TEST_ASSERT(!client_start(c, &cfg), "START: %s", client_error(c));
	storms_start(s, 2);
	usleep(3000000);
	storms_stop(s, 2);
	TEST_ASSERT(!client_stop(c), "STOP");
	start = test_now_ns();
	n = client_read(c, count_records, &d);
	ns = test_now_ns() - start;
	TEST_ASSERT(n > 0, "READ");
	printf("drain_records: %ld in %.3f s\n", n, ns / 1e9);
	printf("drain_records_per_s: %.0f\n", n / (ns / 1e9));
	client_close(c);
}

static void bench_loss(void)
{
	const struct client_start_config cfg = { 0 };

	for (int nr = 1; nr <= 2; nr++) {
		uint64_t lost, produced;
		double rate = storm_rate(nr, 3, &cfg, &lost, &produced, NULL);

		printf("loss_%d_vcpus: %.0f exits/s, %llu produced, %llu lost\n", nr, rate,
		       (unsigned long long)produced, (unsigned long long)lost);
	}
}

static int set_slot(struct client *c, uint32_t vm_id, uint32_t vcpu, uint64_t gs,
		    uint64_t hva)
{
	struct client_task_slot slot = {
		.vm_id = vm_id, .vcpu = vcpu, .gs_base = gs, .hva = hva,
	};

	return client_set_task_slot(c, &slot);
}

/*
 * One storm of 2 s with VMTRACE_CFG_F_COST, its vCPU's task slot set
 * (@slot) or not: probe cycles per event over the second half.  The slot
 * points at a word of this process (the VMM), as record points it at the
 * guest's current-task word.
 */
static double task_read_round(bool slot)
{
	static volatile uint64_t word __attribute__((aligned(8))) = 0xffff888001230000ULL;
	const struct client_start_config cfg = { .flags = VMTRACE_CFG_F_COST };
	struct client *status = open_client();
	struct client_vm_info *vms;
	struct drainer d = { 0 };
	struct storm s;
	uint64_t p, l, cc0, ce0, cc1, ce1;
	size_t nr;

	d.c = open_client();
	TEST_ASSERT(!client_start(d.c, &cfg), "START: %s", client_error(d.c));
	storms_start(&s, 1);
	usleep(100000);
	/* The storm's VM is the only one of this process that ran. */
	TEST_ASSERT(!client_get_vms(d.c, &vms, &nr), "GET_VMS");
	for (size_t i = 0; slot && i < nr; i++)
		if (vms[i].pid == (uint32_t)getpid())
			TEST_ASSERT(!set_slot(d.c, vms[i].id, 0, storm_gs_base, (uintptr_t)&word),
				    "SET_TASK_SLOT: %s", client_error(d.c));
	client_vms_free(vms, nr);
	TEST_ASSERT(!pthread_create(&d.thread, NULL, drain_run, &d), "pthread");
	usleep(1000000);
	totals(status, &p, &l, &cc0, &ce0);
	usleep(1000000);
	totals(status, &p, &l, &cc1, &ce1);
	storms_stop(&s, 1);
	d.stop = true;
	pthread_join(d.thread, NULL);
	TEST_ASSERT(!client_stop(d.c), "STOP");
	client_read(d.c, count_records, &d);
	client_close(d.c);
	client_close(status);
	return ce1 > ce0 ? (double)(cc1 - cc0) / (ce1 - ce0) : 0;
}

static void bench_task_read(void)
{
	double with[5], without[5];

	storm_gs_base = 0xffff888007e00000ULL;
	for (int i = 0; i < 5; i++) {
		without[i] = task_read_round(false);
		with[i] = task_read_round(true);
	}
	storm_gs_base = 0;
	qsort(without, 5, sizeof(double), cmp_double);
	qsort(with, 5, sizeof(double), cmp_double);
	printf("task_read_cycles_per_event_without: %.0f (median of 5; %.0f to %.0f)\n",
	       without[2], without[0], without[4]);
	printf("task_read_cycles_per_event_with: %.0f (median of 5; %.0f to %.0f)\n",
	       with[2], with[0], with[4]);
	printf("task_read_cycles_per_event_added: %.0f\n", with[2] - without[2]);
}

/*
 * The overhead of each backend on the same exit storm: untraced, module,
 * BPF, one storm of each per round, five rounds, medians.  The module arm
 * runs only where it is loaded (scripts/vmtest without --no-module).
 */
static void bench_backends(void)
{
	static const enum client_backend arms[] = { CLIENT_BACKEND_MODULE, CLIENT_BACKEND_BPF };
	const struct client_start_config cfg = { 0 };
	double off[5], on[2][5];
	struct client *probe;
	bool have[2] = { false, true };
	char why[256];

	if (!client_open_backend(CLIENT_BACKEND_MODULE, &probe, why, sizeof(why))) {
		have[0] = true;
		client_close(probe);
	}
	for (int i = 0; i < 5; i++) {
		off[i] = storm_rate(1, 1.5, NULL, NULL, NULL, NULL);
		for (int a = 0; a < 2; a++) {
			if (!have[a])
				continue;
			bench_backend = arms[a];
			on[a][i] = storm_rate(1, 1.5, &cfg, NULL, NULL, NULL);
		}
	}
	bench_backend = CLIENT_BACKEND_MODULE;
	qsort(off, 5, sizeof(double), cmp_double);
	printf("backends_exits_per_s_untraced: %.0f\n", off[2]);
	for (int a = 0; a < 2; a++) {
		if (!have[a]) {
			printf("backends_%s: not loaded\n", client_backend_name(arms[a]));
			continue;
		}
		qsort(on[a], 5, sizeof(double), cmp_double);
		printf("backends_exits_per_s_%s: %.0f\n", client_backend_name(arms[a]), on[a][2]);
		printf("backends_slowdown_%s: %.3f (untraced exits/s over recorded)\n",
		       client_backend_name(arms[a]), off[2] / on[a][2]);
	}
}

/*
 * `capture_bench storm-child SECONDS`: one storm, alone in its process, so
 * that a recorder can run it as its COMMAND; prints its exits and seconds.
 */
static int storm_child(double seconds)
{
	struct storm s[1];
	uint64_t exits, start;

	storms_start(s, 1);
	start = test_now_ns();
	usleep(seconds * 1e6);
	exits = storms_stop(s, 1);
	printf("storm_child: %llu exits in %.6f s\n", (unsigned long long)exits,
	       (test_now_ns() - start) / 1e9);
	return 0;
}

#define RECORDER_ROUNDS 5
#define RECORDER_STORM_S "1.5"

enum recorder { REC_UNTRACED, REC_MODULE, REC_BPF, REC_TRACE_CMD, __REC_MAX };

static const char *const recorder_names[__REC_MAX] = {
	[REC_UNTRACED] = "untraced", [REC_MODULE] = "module", [REC_BPF] = "bpf",
	[REC_TRACE_CMD] = "trace-cmd",
};

struct recorder_round {
	double rate;		/* exits/s inside the child */
	double bytes_per_exit;	/* as written */
	double raw_per_exit;	/* uncompressed */
	unsigned long long lost;
};

/* Sum of every "<number> <word>" after @key in @out (trace-cmd's stats). */
static unsigned long long sum_after(const char *out, const char *key)
{
	unsigned long long sum = 0, v;
	const char *p = out;

	while ((p = strstr(p, key))) {
		p += strlen(key);
		if (sscanf(p, "%llu", &v) == 1)
			sum += v;
	}
	return sum;
}

/* Run one arm's command; false if it could not run (printed why). */
static bool recorder_round(enum recorder r, const char *self, const char *vc,
			   const char *dir, struct recorder_round *out_round)
{
	char cmd[8192 + 512], file[256], buf[65536], *at;
	unsigned long long exits = 0, p = 0, d = 0, l = 0, records = 0;
	double seconds = 0;
	size_t len = 0, n;
	struct stat st;
	FILE *f;

	snprintf(file, sizeof(file), "%s/%s.out", dir, recorder_names[r]);
	unlink(file);
	switch (r) {
	case REC_UNTRACED:
		snprintf(cmd, sizeof(cmd), "%s storm-child " RECORDER_STORM_S " 2>&1", self);
		break;
	case REC_MODULE:
	case REC_BPF:
		snprintf(cmd, sizeof(cmd), "%s record --backend %s --sample-hz 0 --no-guest "
			 "--metrics-interval 0 -o %s -- %s storm-child " RECORDER_STORM_S " 2>&1",
			 vc, recorder_names[r], file, self);
		break;
	default:
		snprintf(cmd, sizeof(cmd), "trace-cmd record -e kvm:kvm_exit -e kvm:kvm_entry "
			 "-o %s %s storm-child " RECORDER_STORM_S " 2>&1", file, self);
		break;
	}
	f = popen(cmd, "r");
	TEST_ASSERT(f, "popen: %m");
	while (len < sizeof(buf) - 1 && (n = fread(buf + len, 1, sizeof(buf) - 1 - len, f)) > 0)
		len += n;
	buf[len] = '\0';
	if (pclose(f) || !(at = strstr(buf, "storm_child: ")) ||
	    sscanf(at, "storm_child: %llu exits in %lf s", &exits, &seconds) != 2 || !seconds) {
		printf("recorders_%s: did not run: %s\n", recorder_names[r], cmd);
		printf("%.2000s\n", buf);
		return false;
	}
	out_round->rate = exits / seconds;
	out_round->bytes_per_exit = 0;
	out_round->raw_per_exit = 0;
	out_round->lost = 0;
	if (!exits)
		return true;
	if (r == REC_MODULE || r == REC_BPF) {
		TEST_ASSERT(!stat(file, &st), "%s: %m", file);
		out_round->bytes_per_exit = (double)st.st_size / exits;
		/* "vmtrace-collect: N records (E exits, ...": N records of 64 bytes. */
		at = strstr(buf, " records (");
		while (at && at > buf && at[-1] >= '0' && at[-1] <= '9')
			at--;
		if (at)
			records = strtoull(at, NULL, 10);
		out_round->raw_per_exit = records * 64.0 / exits;
		at = strstr(buf, "produced ");
		if (at && sscanf(at, "produced %llu, drained %llu, lost %llu", &p, &d, &l) == 3)
			out_round->lost = l;
	} else if (r == REC_TRACE_CMD) {
		/* "CPU0 data recorded at offset=0x...\n    N bytes in size (U
		 * uncompressed)", and per CPU "overrun: N". */
		unsigned long long data = 0, raw = 0, v, u;
		int got;

		for (at = buf; (at = strstr(at, "data recorded at offset")); ) {
			at = strchr(at, '\n');
			if (!at)
				break;
			got = sscanf(at, "%llu bytes in size (%llu uncompressed)", &v, &u);
			if (got < 1)
				break;
			data += v;
			raw += got == 2 ? u : v;
		}
		out_round->bytes_per_exit = (double)data / exits;
		out_round->raw_per_exit = (double)raw / exits;
		out_round->lost = sum_after(buf, "overrun: ");
	}
	unlink(file);
	return true;
}

static void bench_recorders(void)
{
	struct recorder_round rounds[__REC_MAX][RECORDER_ROUNDS];
	char self[4096], vc[4096 + 64], dir[] = "/tmp/recorders.XXXXXX";
	bool have[__REC_MAX] = { true, true, true, true };
	double rate[RECORDER_ROUNDS], bytes[RECORDER_ROUNDS], raw[RECORDER_ROUNDS];
	double untraced = 0;
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);

	TEST_ASSERT(len > 0 && mkdtemp(dir) && tree_top(vc, sizeof(vc) - 32),
		    "readlink or mkdtemp: %m");
	self[len] = '\0';
	strcat(vc, "/user/vmtrace-collect");
	if (system("command -v trace-cmd >/dev/null 2>&1")) {
		printf("recorders_trace-cmd: not installed (apt-get install trace-cmd)\n");
		have[REC_TRACE_CMD] = false;
	}
	if (access("/sys/module/vmtrace", F_OK)) {
		printf("recorders_module: vmtrace.ko not loaded\n");
		have[REC_MODULE] = false;
	}
	for (int i = 0; i < RECORDER_ROUNDS; i++)
		for (int r = 0; r < __REC_MAX; r++)
			if (have[r] && !recorder_round(r, self, vc, dir, &rounds[r][i]))
				have[r] = false;
	for (int r = 0; r < __REC_MAX; r++) {
		unsigned long long lost = 0;

		if (!have[r])
			continue;
		for (int i = 0; i < RECORDER_ROUNDS; i++) {
			rate[i] = rounds[r][i].rate;
			bytes[i] = rounds[r][i].bytes_per_exit;
			raw[i] = rounds[r][i].raw_per_exit;
			lost += rounds[r][i].lost;
		}
		qsort(rate, RECORDER_ROUNDS, sizeof(double), cmp_double);
		qsort(bytes, RECORDER_ROUNDS, sizeof(double), cmp_double);
		qsort(raw, RECORDER_ROUNDS, sizeof(double), cmp_double);
		if (r == REC_UNTRACED)
			untraced = rate[RECORDER_ROUNDS / 2];
		printf("recorders_exits_per_s_%s: %.0f (median of %d; %.0f to %.0f)\n",
		       recorder_names[r], rate[RECORDER_ROUNDS / 2], RECORDER_ROUNDS, rate[0],
		       rate[RECORDER_ROUNDS - 1]);
		if (r == REC_UNTRACED)
			continue;
		printf("recorders_slowdown_%s: %.3f (untraced exits/s over recorded)\n",
		       recorder_names[r], untraced / rate[RECORDER_ROUNDS / 2]);
		printf("recorders_bytes_per_exit_%s: %.2f written, %.2f uncompressed (medians)\n",
		       recorder_names[r], bytes[RECORDER_ROUNDS / 2], raw[RECORDER_ROUNDS / 2]);
		printf("recorders_lost_%s: %llu (all rounds)\n", recorder_names[r], lost);
	}
	rmdir(dir);
}

int main(int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : NULL;
	struct kvm_vm *hold;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (only && !strcmp(only, "storm-child"))
		return storm_child(argc > 2 ? atof(argv[2]) : 1.5);
	/*
	 * One VM with one vCPU held open throughout, which never runs (never
	 * tracked, no exits), as selftests/run's lib/kvm_hold does: without
	 * it the first VM and the last one flip static keys in KVM, which
	 * live-patches kernel text, and QEMU's multi-threaded TCG now and then
	 * runs a stale copy of such a patch on the other CPU (lib/kvm_hold.c):
	 * without it, the test host hung for good, without a word on its
	 * console, in two of three runs of the lookup phase.
	 */
	hold = vm_create();
	vm_vcpu_add(hold);
	if (!only || !strcmp(only, "storm"))
		bench_storm();
	if (!only || !strcmp(only, "cost"))
		bench_cost();
	if (!only || !strcmp(only, "lookup"))
		bench_lookup();
	if (!only || !strcmp(only, "drain"))
		bench_drain();
	if (!only || !strcmp(only, "loss"))
		bench_loss();
	if (!only || !strcmp(only, "task_read"))
		bench_task_read();
	if (!only || !strcmp(only, "backends"))
		bench_backends();
	if (!only || !strcmp(only, "recorders"))
		bench_recorders();
	vm_free(hold);
	return 0;
}
