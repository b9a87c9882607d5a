/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What top and serve share: their sampling options (--interval, --vm,
 * --sample-hz, --backend, guest profile and BTF, baseline knobs,
 * --metrics-out) and
 * the loop that takes a snapshot every interval, flags it against the
 * baseline, appends it to the metrics file and hands it on, draining the
 * session's rings and waiting for the caller's input in between.
 */
#ifndef CMD_SAMPLE_LOOP_H
#define CMD_SAMPLE_LOOP_H

#include <getopt.h>
#include <stdio.h>
#include "client/client.h"
#include "view/baseline.h"
#include "view/sampler.h"

#define CMD_SAMPLE_LOOP_MAX_VM_KEYS 64

struct cmd_sample_loop {
	struct view_sampler_opts sampler;
	uint32_t pids[CMD_SAMPLE_LOOP_MAX_VM_KEYS];
	const char *vm_keys[CMD_SAMPLE_LOOP_MAX_VM_KEYS];	/* --vm other than pids */
	size_t nr_vm_keys;
	double interval_s;			/* 2 */
	unsigned long count;			/* snapshots with rates; 0: no end */
	struct view_baseline_config baseline;
	const char *metrics_out;		/* append snapshots here */
	bool backend_given;			/* --backend: else the module or /proc */
	enum client_backend backend;
};

/* getopt_long option codes from 0x1000 on; the table's own entries. */
#define CMD_SAMPLE_LOOP_OPTIONS \
	{ "interval", required_argument, NULL, 0x1000 }, \
	{ "count", required_argument, NULL, 0x1001 }, \
	{ "vm", required_argument, NULL, 0x1002 }, \
	{ "sample-hz", required_argument, NULL, 0x1003 }, \
	{ "profile-dir", required_argument, NULL, 0x1004 }, \
	{ "guest-btf", required_argument, NULL, 0x1005 }, \
	{ "guest-symbols", required_argument, NULL, 0x1006 }, \
	{ "no-session", no_argument, NULL, 0x1007 }, \
	{ "no-guest", no_argument, NULL, 0x1008 }, \
	{ "admin-uids", required_argument, NULL, 0x1009 }, \
	{ "baseline", required_argument, NULL, 0x100a }, \
	{ "gap", required_argument, NULL, 0x100b }, \
	{ "metrics-out", required_argument, NULL, 0x100c }, \
	{ "libvirt-dir", required_argument, NULL, 0x100d }, \
	{ "backend", required_argument, NULL, 0x100e }

void cmd_sample_loop_init(struct cmd_sample_loop *c);
/* Take option @opt if it is one of CMD_SAMPLE_LOOP_OPTIONS: 1 taken, 0 not ours,
 * -EINVAL bad value (printed). */
int cmd_sample_loop_option(struct cmd_sample_loop *c, int opt, const char *arg);
void cmd_sample_loop_usage(FILE *f);

/* Keep only the VMs --vm names (by name, UUID, MAC, pid or id:N). */
void cmd_sample_loop_filter(const struct cmd_sample_loop *c, struct trace_snapshot *snap);

/*
 * Called with each snapshot (the first without rates); nonzero stops the
 * loop and is returned by cmd_sample_loop_run().
 */
typedef int (*cmd_sample_loop_tick_fn)(void *arg, struct trace_snapshot *snap,
			  struct view_sampler *s);
/* Wait up to @timeout_ms for the caller's own input (keys, clients);
 * nonzero stops the loop.  NULL: just sleep. */
typedef int (*cmd_sample_loop_idle_fn)(void *arg, int timeout_ms);

/* Run until the count is reached, SIGINT/SIGTERM, or a callback says
 * stop.  0, a callback's value, or 1 after printing why it failed. */
int cmd_sample_loop_run(struct cmd_sample_loop *c, cmd_sample_loop_tick_fn tick, cmd_sample_loop_idle_fn idle, void *arg);

#endif
