// SPDX-License-Identifier: GPL-2.0
/*
 * gen_trace: synthetic .vmt traces for the trace benchmarks, written
 * through the real writer (user/trace/write.c), in time order as the
 * collector writes them.
 *
 *   gen_trace storm|exits|samples|mixed N OUT [LEVEL]
 *
 * storm: an exit storm: 4 vCPUs (2 VMs) each in a loop of port writes at
 * one RIP, with guest run and host handling times jittering by 5-10%
 * around their means, and 1% interrupt exits elsewhere.
 * exits: an exit-heavy mix of 2 VMs x 2 vCPUs on 4 host CPUs: mostly port
 * I/O at a few RIPs, some NPF, HLT and interrupt exits at varied RIPs, run
 * and handling times drawn from widely spread skewed distributions
 * (harder to compress than a storm).  samples: 1 kHz
 * samples of 8 vCPUs running guest kernels and ~60 processes, RIPs drawn
 * from a skewed distribution over ~3000 functions, with task and symbol
 * metadata.  mixed: both, interleaved.  The randomness is seeded: the same
 * arguments give the same file.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "trace/trace.h"

static uint64_t rng = 0x853c49e6748fea9bull;

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

static double unif(void)
{
	return (rnd() >> 11) * (1.0 / 9007199254740992.0);
}

/* Log-normal-ish cycles around @median (spread: sigma of the log). */
static uint64_t skewed(double median, double sigma)
{
	double u1 = unif() + 1e-12, u2 = unif();
	double z = sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);

	return (uint64_t)(median * exp(sigma * z)) + 1;
}

/* Zipf-like index in [0, n): small indexes much more likely. */
static uint32_t zipf(uint32_t n)
{
	return (uint32_t)(pow(unif(), 3.0) * n);
}

#define NR_FUNCS 3000
#define NR_PROCS 60
#define KTEXT 0xffffffff81000000ull

static uint64_t func_start[NR_FUNCS + 1];

struct vcpu {
	uint32_t vm_id, vcpu, host_cpu;
	uint64_t next_tsc;
	uint64_t run;			/* guest time before next_tsc */
	uint64_t cr3, gs_base, guest_ofs;
	uint32_t proc;
};

static void init_funcs(void)
{
	uint64_t a = KTEXT;

	for (int i = 0; i <= NR_FUNCS; i++) {
		func_start[i] = a;
		a += 16 * (4 + rnd() % 200);
	}
}

static uint64_t proc_cr3(uint32_t vm, uint32_t proc)
{
	return 0x10000000ull * vm + 0x2000ull * (proc + 1);
}

int main(int argc, char **argv)
{
	struct trace_info info = {
		.tsc_hz = 2000000000ull,
		.clock = { 1000000000ull, 100000000000ull, 1700000000000000000ull },
		.nr_cpus = 8, .vendor = VMTRACE_VENDOR_SVM, .sample_hz = 1000,
		.host_kernel = "6.1.0-synthetic", .hostname = "bench",
		.cpu_model = "synthetic", .cpu_vendor = "AuthenticAMD",
		.collector = "gen_trace",
	};
	struct trace_writer_opts opts = { 0 };
	struct trace_writer *w;
	struct trace_end_meta end = { 0 };
	struct vcpu v[8];
	struct vmtrace_record *batch;
	size_t nr_vcpus, n, done = 0, fill = 0;
	bool exits, samples, storm;
	const size_t batch_max = 4096;
	int err;

	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: %s storm|exits|samples|mixed N OUT [LEVEL]\n", argv[0]);
		return 2;
	}
	storm = !strcmp(argv[1], "storm");
	exits = storm || !strcmp(argv[1], "exits") || !strcmp(argv[1], "mixed");
	samples = !strcmp(argv[1], "samples") || !strcmp(argv[1], "mixed");
	if (!exits && !samples)
		return 2;
	n = strtoull(argv[2], NULL, 0);
	if (argc == 5)
		opts.level = atoi(argv[4]);
	init_funcs();
	batch = calloc(batch_max, sizeof(*batch));
	err = trace_create(argv[3], &info, &opts, &w);
	if (err || !batch) {
		fprintf(stderr, "%s: %s\n", argv[3], strerror(-err));
		return 1;
	}
	nr_vcpus = exits && !samples ? 4 : 8;
	for (size_t i = 0; i < nr_vcpus; i++) {
		v[i] = (struct vcpu){
			.vm_id = 1 + i / 2, .vcpu = i % 2, .host_cpu = i,
			.next_tsc = info.clock.tsc + rnd() % 100000,
			.gs_base = 0xffff88807fc00000ull + 0x40000ull * (i % 2),
			.guest_ofs = 0x1000000000ull * (1 + i / 2),
		};
		v[i].proc = rnd() % NR_PROCS;
		v[i].run = skewed(3000, 0.6);
		v[i].cr3 = proc_cr3(v[i].vm_id, v[i].proc);
	}
	for (uint32_t vm = 1; vm <= nr_vcpus / 2; vm++) {
		struct trace_vm_meta meta = {
			.vm_id = vm, .vmm_pid = 4000 + vm, .vendor = VMTRACE_VENDOR_SVM,
			.nr_vcpus = 2, .comm = "qemu-system-x86", .nr_macs = 1,
		};

		snprintf(meta.name, sizeof(meta.name), "guest%u", vm);
		snprintf(meta.macs[0], sizeof(meta.macs[0]), "52:54:00:00:00:%02x", vm);
		trace_write_vm(w, &meta);
		for (uint32_t p = 0; p < NR_PROCS; p++) {
			struct trace_task_meta t = {
				.vm_id = vm, .pid = 100 + p, .tid = 100 + p,
				.cr3 = proc_cr3(vm, p), .valid_from_tsc = 0,
			};

			snprintf(t.comm, sizeof(t.comm), "proc%u", p);
			trace_write_task(w, &t);
		}
	}
	if (samples) {
		for (int f = 0; f < NR_FUNCS; f++) {
			struct trace_symbol_meta s = {
				.vm_id = 0, .start = func_start[f],
				.size = func_start[f + 1] - func_start[f],
			};

			snprintf(s.name, sizeof(s.name), "kfunc_%d", f);
			trace_write_symbol(w, &s);
		}
	}

	while (done < n) {
		struct vcpu *c = &v[0];
		struct vmtrace_record *r = &batch[fill];
		bool is_exit;

		for (size_t i = 1; i < nr_vcpus; i++)
			if (v[i].next_tsc < c->next_tsc)
				c = &v[i];
		is_exit = exits && (!samples || c - v < 4);
		memset(r, 0, sizeof(*r));
		r->host_tsc = c->next_tsc;
		r->guest_tsc = r->host_tsc + c->guest_ofs;
		r->vm_id = c->vm_id;
		r->vmm_pid = 4000 + c->vm_id;
		r->host_cpu = c->host_cpu;
		r->vcpu = c->vcpu;
		r->vendor = VMTRACE_VENDOR_SVM;
		r->mode = VMTRACE_MODE_LONG | VMTRACE_MODE_PAGING | VMTRACE_MODE_PAE;
		r->u.g.guest_cr3 = c->cr3;
		r->u.g.guest_gs_base = c->gs_base;
		if (is_exit) {
			uint32_t kind = rnd() % 100;
			uint64_t handle;

			r->kind = VMTRACE_KIND_EXIT;
			r->entry_delta = c->run;
			if (storm) {
				if (kind) {
					r->exit_reason = 0x7b;
					r->u.g.guest_rip = KTEXT + 0x5a3120;
					handle = skewed(6000, 0.1);
				} else {
					r->exit_reason = 0x60;
					r->u.g.guest_rip = KTEXT + 0x5a3100 + 4 * (rnd() % 8);
					handle = skewed(2500, 0.3);
				}
				c->run = skewed(1500, 0.05);
				c->next_tsc += handle + c->run;
			} else if (kind < 70) {		/* port I/O from a driver */
				r->exit_reason = 0x7b;
				r->u.g.guest_rip = KTEXT + 0x5a3120 + 0x10 * (rnd() % 3);
				handle = skewed(9000, 0.4);
			} else if (kind < 85) {		/* MMIO / first touch */
				r->exit_reason = 0x400;
				r->u.g.guest_rip = func_start[zipf(NR_FUNCS)] + 16 * (rnd() % 8);
				handle = skewed(15000, 0.8);
			} else if (kind < 93) {		/* host interrupt */
				r->exit_reason = 0x60;
				r->u.g.guest_rip = func_start[zipf(NR_FUNCS)] + 4 * (rnd() % 30);
				handle = skewed(2500, 0.5);
			} else {			/* idle */
				r->exit_reason = 0x78;
				r->u.g.guest_rip = KTEXT + 0x1f2e40;
				handle = skewed(40000, 1.2);
			}
			if (!storm) {
				c->run = skewed(3000, 0.6);
				c->next_tsc += handle + c->run;
			}
		} else {
			uint32_t f = zipf(NR_FUNCS);

			r->kind = VMTRACE_KIND_SAMPLE;
			r->entry_delta = VMTRACE_ENTRY_DELTA_UNKNOWN;
			if (rnd() % 4 == 0) {		/* user space */
				r->mode |= 3 | VMTRACE_MODE_USER;
				r->flags = VMTRACE_REC_F_GS_USER;
				r->u.g.guest_rip = 0x55d1c0000000ull + (c->proc << 20) +
						   16 * zipf(4096);
			} else {
				r->u.g.guest_rip = func_start[f] +
					(func_start[f + 1] - func_start[f]) * unif();
			}
			if (rnd() % 50 == 0) {		/* a context switch */
				c->proc = zipf(NR_PROCS);
				c->cr3 = proc_cr3(c->vm_id, c->proc);
			}
			/* 1 kHz with timer jitter */
			c->next_tsc += info.tsc_hz / 1000 + rnd() % 20000 - 10000;
		}
		done++;
		if (++fill == batch_max || done == n) {
			err = trace_write_records(w, batch, fill);
			if (err)
				break;
			fill = 0;
		}
	}
	end.records = n;
	if (!err)
		err = trace_close(w, &end);
	if (err) {
		fprintf(stderr, "%s: %s\n", argv[3], strerror(-err));
		return 1;
	}
	free(batch);
	return 0;
}
