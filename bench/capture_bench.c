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
 *   drain      READ throughput: records/s drained from full rings
 *   loss       with the default ring size and a draining collector: the
 *              exit rate reached by 1 and 2 storming vCPUs, and what was lost
 *
 * Figures, not pass/fail: printed as "name: value unit" lines.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvm_util.h"
#include "client.h"

#define TEST_PORT 0x5000

struct storm {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	pthread_t thread;
	volatile bool stop;
	uint64_t exits;
};

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
	struct vmt_client *c;
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
		long n = vmt_client_read(d->c, count_records, d);

		TEST_ASSERT(n >= 0, "READ: %ld", n);
		if (n < 1024)
			usleep(20000);
	}
	return NULL;
}

static struct vmt_client *open_client(void)
{
	struct vmt_client *c;

	TEST_ASSERT(!vmt_client_open(&c), "vmtrace.ko is not loaded");
	return c;
}

static void totals(struct vmt_client *c, uint64_t *produced, uint64_t *lost,
		   uint64_t *cost_cycles, uint64_t *cost_events)
{
	struct vmt_status st;

	TEST_ASSERT(!vmt_client_status(c, &st), "GET_STATUS");
	*produced = st.totals.produced;
	*lost = 0;
	for (int k = 0; k < __VMTRACE_LOST_MAX; k++)
		*lost += st.totals.lost[k];
	*cost_cycles = st.totals.cost_cycles;
	*cost_events = st.totals.cost_events;
}

/* One storm of @seconds on @nr vCPUs; exits/s, optionally recorded. */
static double storm_rate(int nr, double seconds, const struct vmt_start_config *cfg,
			 uint64_t *lost, uint64_t *produced, double *cycles_per_event)
{
	struct drainer d = { 0 };
	struct storm s[2];
	uint64_t exits, start, cc, ce, p, l;
	double elapsed;

	if (cfg) {
		d.c = open_client();
		TEST_ASSERT(!vmt_client_start(d.c, cfg), "START: %s", vmt_client_error(d.c));
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
		TEST_ASSERT(!vmt_client_stop(d.c), "STOP");
		vmt_client_read(d.c, count_records, &d);
		totals(d.c, &p, &l, &cc, &ce);
		if (lost)
			*lost = l;
		if (produced)
			*produced = p;
		if (cycles_per_event)
			*cycles_per_event = ce ? (double)cc / ce : 0;
		vmt_client_close(d.c);
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
	const struct vmt_start_config cfg = { 0 };
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
	const struct vmt_start_config cfg = { .flags = VMTRACE_CFG_F_COST };
	uint64_t produced;
	double cycles;

	storm_rate(1, 2, &cfg, NULL, &produced, &cycles);
	printf("probe_cycles_per_event: %.0f (over %llu events)\n", cycles,
	       (unsigned long long)produced);
}

static void bench_drain(void)
{
	/* 32 MiB x 2 CPUs: within the default cap (1/16 of the 2 GiB test host). */
	const struct vmt_start_config cfg = { .ring_size = 32u << 20 };
	struct vmt_client *c = open_client();
	struct drainer d = { .c = c };
	struct storm s[2];
	uint64_t start, ns;
	long n;

	TEST_ASSERT(!vmt_client_start(c, &cfg), "START: %s", vmt_client_error(c));
	storms_start(s, 2);
	usleep(3000000);
	storms_stop(s, 2);
	TEST_ASSERT(!vmt_client_stop(c), "STOP");
	start = test_now_ns();
	n = vmt_client_read(c, count_records, &d);
	ns = test_now_ns() - start;
	TEST_ASSERT(n > 0, "READ");
	printf("drain_records: %ld in %.3f s\n", n, ns / 1e9);
	printf("drain_records_per_s: %.0f\n", n / (ns / 1e9));
	vmt_client_close(c);
}

static void bench_loss(void)
{
	const struct vmt_start_config cfg = { 0 };

	for (int nr = 1; nr <= 2; nr++) {
		uint64_t lost, produced;
		double rate = storm_rate(nr, 3, &cfg, &lost, &produced, NULL);

		printf("loss_%d_vcpus: %.0f exits/s, %llu produced, %llu lost\n", nr, rate,
		       (unsigned long long)produced, (unsigned long long)lost);
	}
}

int main(int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : NULL;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!only || !strcmp(only, "storm"))
		bench_storm();
	if (!only || !strcmp(only, "cost"))
		bench_cost();
	if (!only || !strcmp(only, "drain"))
		bench_drain();
	if (!only || !strcmp(only, "loss"))
		bench_loss();
	return 0;
}
