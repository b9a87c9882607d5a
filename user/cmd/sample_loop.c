// SPDX-License-Identifier: GPL-2.0
/* The sampling options and loop of top and serve (cmd/sample_loop.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "util/clock.h"
#include "util/options.h"
#include "guest/profile.h"
#include "cmd/cmd.h"
#include "cmd/sample_loop.h"
#include "trace/metrics_file.h"

static volatile sig_atomic_t vv_stop;

static void on_signal(int sig)
{
	(void)sig;
	vv_stop = 1;
}

void cmd_sample_loop_init(struct cmd_sample_loop *c)
{
	memset(c, 0, sizeof(*c));
	c->interval_s = 2;
	c->sampler.sample_hz = 100;
	c->sampler.vm_pids = c->pids;
	view_baseline_config_default(&c->baseline);
}

void cmd_sample_loop_usage(FILE *f)
{
	fprintf(f,
		"  --interval SECONDS   time between snapshots (default 2)\n"
		"  --count N            stop after N snapshots with rates\n"
		"  --vm KEY             only this VM: VMM pid, name, UUID, MAC or id:N\n"
		"                       (repeatable)\n"
		"  --sample-hz N        guest samples per host CPU (default 100; 0: none)\n"
		"  --no-session         do not start a vmtrace session (no exits, samples)\n"
		"  --no-guest           do not read guest memory\n"
		"  --profile-dir DIR    guest profiles (default %s)\n"
		"  --guest-btf FILE     the guests' kernel BTF (default: the host's, for\n"
		"                       guests running the host's kernel release)\n"
		"  --guest-symbols FILE their System.map or kallsyms (memory totals)\n"
		"  --libvirt-dir DIR    libvirt's status XML (default /run/libvirt/qemu)\n"
		"  --admin-uids LIST    uids of admins and services, e.g. 0-999: user\n"
		"                       processes of other uids are flagged\n"
		"  --baseline N,K       history of N intervals, flag beyond K std devs\n"
		"                       (default 30,3)\n"
		"  --gap PP             flag a hypervisor/guest CPU gap beyond PP points\n"
		"                       (default 25)\n"
		"  --metrics-out FILE   append every snapshot to FILE (for report)\n"
		"  --backend B          what records exits and samples: module (vmtrace.ko),\n"
		"                       bpf (BPF programs on KVM's tracepoints) or\n"
		"                       auto (the module if loaded, else bpf); without it,\n"
		"                       the module if loaded, else /proc figures only\n",
		GUEST_PROFILE_DIR_DEFAULT);
}

/* A bad value, said in one line (cmd.h's cmd_bad_value()): -EINVAL. */
#define bad(opt, arg, ...) (cmd_bad_value(opt, arg, __VA_ARGS__), -EINVAL)

int cmd_sample_loop_option(struct cmd_sample_loop *c, int opt, const char *arg)
{
	uint64_t v;
	double d;
	char *end;

	switch (opt) {
	case 0x1000:
		if (util_parse_seconds(arg, &d) || d < 0.1 || d > 3600)
			return bad("--interval", arg, "not from 0.1 to 3600 seconds");
		c->interval_s = d;
		return 1;
	case 0x1001:
		if (util_parse_u64(arg, 1, 1000000000, &v))
			return bad("--count", arg, "not a number of snapshots from 1 on");
		c->count = (unsigned long)v;
		return 1;
	case 0x1002:
		if (!*arg)
			return bad("--vm", arg, "empty: a VMM pid, name, UUID, MAC or id:N");
		if (!util_parse_u64(arg, 1, INT32_MAX, &v)) {
			if (c->sampler.nr_vm_pids == CMD_SAMPLE_LOOP_MAX_VM_KEYS)
				return bad("--vm", arg, "at most %d VMs", CMD_SAMPLE_LOOP_MAX_VM_KEYS);
			c->pids[c->sampler.nr_vm_pids++] = (uint32_t)v;
		} else {
			if (c->nr_vm_keys == CMD_SAMPLE_LOOP_MAX_VM_KEYS)
				return bad("--vm", arg, "at most %d VMs", CMD_SAMPLE_LOOP_MAX_VM_KEYS);
			c->vm_keys[c->nr_vm_keys++] = arg;
		}
		return 1;
	case 0x1003:
		if (util_parse_u64(arg, 0, VMTRACE_SAMPLE_HZ_MAX, &v))
			return bad("--sample-hz", arg, "not a rate from 0 to %d",
				   VMTRACE_SAMPLE_HZ_MAX);
		c->sampler.sample_hz = (uint32_t)v;
		return 1;
	case 0x1004:
		c->sampler.profile_dir = arg;
		return 1;
	case 0x1005:
		c->sampler.guest_btf = arg;
		return 1;
	case 0x1006:
		c->sampler.guest_symbols = arg;
		return 1;
	case 0x1007:
		c->sampler.no_session = true;
		return 1;
	case 0x1008:
		c->sampler.no_guest = true;
		return 1;
	case 0x1009:
		if (view_baseline_parse_uids(arg, &c->baseline))
			return bad("--admin-uids", arg, "uids and ranges, e.g. 0-999,1500");
		return 1;
	case 0x100a:
		v = strtoul(arg, &end, 10);
		if (end == arg || *end != ',' || v < 2 || v > VIEW_BASELINE_WINDOW_MAX)
			return bad("--baseline", arg, "N,K: N intervals from 2 to %d, K std devs",
				   VIEW_BASELINE_WINDOW_MAX);
		d = strtod(end + 1, &end);
		if (*end || !(d > 0) || d > 100)
			return bad("--baseline", arg, "N,K: K std devs above 0, at most 100");
		c->baseline.window = (unsigned int)v;
		if (c->baseline.min_history > v)
			c->baseline.min_history = (unsigned int)v;
		c->baseline.k = d;
		return 1;
	case 0x100b:
		if (util_parse_seconds(arg, &d) || d > 10000)
			return bad("--gap", arg, "not a number of percentage points up to 10000");
		c->baseline.gap_pct = d;
		return 1;
	case 0x100c:
		c->metrics_out = arg;
		return 1;
	case 0x100d:
		c->sampler.libvirt_dir = arg;
		return 1;
	case 0x100e:
		if (client_backend_parse(arg, &c->backend))
			return bad("--backend", arg, "module, bpf or auto");
		c->backend_given = true;
		return 1;
	default:
		return 0;
	}
}

void cmd_sample_loop_filter(const struct cmd_sample_loop *c, struct trace_snapshot *snap)
{
	size_t i, j, k;

	if (!c->nr_vm_keys)
		return;
	for (i = 0, j = 0; i < snap->nr_vms; i++) {
		bool keep = false;

		for (k = 0; k < c->nr_vm_keys && !keep; k++)
			keep = trace_snapshot_vm_matches(&snap->vms[i], c->vm_keys[k]);
		if (!keep) {
			free(snap->vms[i].procs);
			continue;
		}
		snap->vms[j++] = snap->vms[i];
	}
	snap->nr_vms = j;
}

int cmd_sample_loop_run(struct cmd_sample_loop *c, cmd_sample_loop_tick_fn tick, cmd_sample_loop_idle_fn idle, void *arg)
{
	struct view_sampler *s = NULL;
	struct view_baseline_state *bl = NULL;
	struct trace_snapshot snap;
	FILE *metrics = NULL;
	uint64_t next, now;
	unsigned long done = 0;
	int err, ret = 1;

	/* --backend: opened here, where a failure is said in full (the
	 * sampler owns the client then). */
	if (c->backend_given && cmd_collect_open(c->backend, &c->sampler.client))
		return 1;
	err = view_sampler_open(&c->sampler, &s);
	c->sampler.client = NULL;
	if (err) {
		fprintf(stderr, "%s: cannot start: %s\n", cmd_prog_name, strerror(-err));
		return 1;
	}
	if (view_baseline_new(&c->baseline, &bl)) {
		fprintf(stderr, "%s: bad baseline settings\n", cmd_prog_name);
		goto out;
	}
	if (c->metrics_out) {
		metrics = fopen(c->metrics_out, "ae");
		if (!metrics || trace_metrics_file_write_header(metrics)) {
			fprintf(stderr, "%s: %s: %s\n", cmd_prog_name, c->metrics_out,
				strerror(errno));
			goto out;
		}
	}
	vv_stop = 0;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	next = (uint64_t)util_mono_ms();
	ret = 0;
	while (!vv_stop) {
		now = (uint64_t)util_mono_ms();
		if (now < next) {
			uint64_t wait = next - now < 50 ? next - now : 50;

			view_sampler_poll(s);
			if (idle) {
				ret = idle(arg, (int)wait);
				if (ret)
					break;
			} else {
				usleep((useconds_t)wait * 1000);
			}
			continue;
		}
		next += (uint64_t)(c->interval_s * 1000);
		if (next < now)
			next = now + (uint64_t)(c->interval_s * 1000);
		err = view_sampler_snapshot(s, &snap);
		if (err) {
			fprintf(stderr, "%s: snapshot: %s\n", cmd_prog_name, strerror(-err));
			ret = 1;
			break;
		}
		cmd_sample_loop_filter(c, &snap);
		view_baseline_update(bl, &snap);
		if (metrics && snap.interval_s > 0 &&
		    (trace_metrics_file_write(metrics, &snap) || fflush(metrics))) {
			fprintf(stderr, "%s: %s: write error\n", cmd_prog_name, c->metrics_out);
			trace_snapshot_free(&snap);
			ret = 1;
			break;
		}
		ret = tick(arg, &snap, s);
		trace_snapshot_free(&snap);
		if (ret)
			break;
		if (snap.interval_s > 0 && c->count && ++done >= c->count)
			break;
	}
out:
	if (metrics && fclose(metrics) && !ret) {
		fprintf(stderr, "%s: %s: write error\n", cmd_prog_name, c->metrics_out);
		ret = 1;
	}
	view_baseline_free(bl);
	view_sampler_close(s);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	return ret < 0 ? 1 : ret;
}
