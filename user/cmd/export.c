// SPDX-License-Identifier: GPL-2.0
/*
 * vmtrace-collect export: a trace for other tools.
 *
 * chrome-json: the Trace Event Format that chrome://tracing, Perfetto UI
 * and trace_processor read.  Each VM is a process (pid = VM id, named
 * after the VM), each vCPU a thread of it (tid = vCPU index): an exit is
 * a complete event ("X") lasting its handling time, or an instant if that
 * is unknown; a sample is an instant named after its symbol.  Host
 * samples go to process 0 ("host"), one thread per CPU; loss markers are
 * global instants.  Times are CLOCK_MONOTONIC microseconds.
 *
 * folded: "vm;process;symbol count" per distinct guest sample stack,
 * sorted, for flamegraph.pl and similar.
 *
 * perfetto: Perfetto's protobuf trace (util/perfetto.h), streamed: a
 * process track per VM (its VMM's pid) with a track per vCPU (exits as
 * slices lasting their handling time, else instants; samples of unknown
 * tasks), a track per guest process (its samples, named by symbol), an
 * exits/s counter per VM (1 s buckets), host CPU tracks and a "lost"
 * track.  Times are CLOCK_MONOTONIC nanoseconds.
 *
 * pprof: the samples as a pprof profile (util/pprof.h) for go tool pprof,
 * Grafana Pyroscope and Parca: frames VM -> guest process -> thread ->
 * [kernel]|[user] -> symbol, labels vm, vm_uuid, vcpu, pid, comm, tid
 * (strings all: Pyroscope keeps string labels only, and pprof drops a
 * number label of 0); values samples/count and cpu/nanoseconds (one
 * sampling period each).
 *
 * The output goes to a temporary file renamed over OUT at the end, so a
 * failure leaves no partial OUT behind.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "util/bytes.h"
#include "trace/exit_timing.h"
#include "util/outbuf.h"
#include "util/perfetto.h"
#include "util/pprof.h"
#include "trace/input.h"
#include "trace/names.h"
#include "cmd/cmd.h"

enum export_format { FORMAT_NONE, FORMAT_CHROME, FORMAT_FOLDED, FORMAT_PPROF, FORMAT_PERFETTO };

struct export {
	struct trace_input *in;
	struct util_outbuf *out;
	bool first_event;
	/* Tracks named already, open hash: chrome-json's (pid << 32 | tid) + 1,
	 * perfetto's PF_* keys with their uuids beside. */
	uint64_t *named, *uuids;
	size_t nr_named, cap_named;
	/* folded: stack string -> count */
	struct stack { char *s; uint64_t count; } *stacks;
	size_t nr_stacks, cap_stacks;
	uint64_t samples;
	/* perfetto: the writer, and per VM its exit-rate bucket */
	struct util_perfetto_writer pf;
	struct pf_rate { uint32_t vm_id; uint64_t track, start_ns, exits; } *rates;
	size_t nr_rates;
	/* pprof */
	struct util_pprof *prof;
	int64_t period_ns;
	uint64_t first_tsc, last_tsc;
};

/* ---- chrome-json ---- */

static void out_us(struct util_outbuf *o, uint64_t ns)
{
	char frac[4] = { '0' + ns / 100 % 10, '0' + ns / 10 % 10, '0' + ns % 10, 0 };

	util_out_u64(o, ns / 1000);
	util_out_char(o, '.');
	util_out_str(o, frac);
}

static void event_start(struct export *ex)
{
	util_out_str(ex->out, ex->first_event ? "\n{" : ",\n{");
	ex->first_event = false;
}

/*
 * The track of key @key (not 0: chrome-json's (pid << 32 | tid) + 1,
 * perfetto's PF_* keys): its uuid, small and dense (1, 2, ...) as varints
 * like them; *@is_new if it was not named yet (then the caller names it).
 * 0 or -ENOMEM.
 */
static int track_of(struct export *ex, uint64_t key, uint64_t *uuid, bool *is_new)
{
	size_t i;

	if (2 * (ex->nr_named + 1) > ex->cap_named) {
		size_t cap = ex->cap_named ? 2 * ex->cap_named : 64;
		uint64_t *named = calloc(cap, sizeof(*named));
		uint64_t *uuids = calloc(cap, sizeof(*uuids));

		if (!named || !uuids) {
			free(named);
			free(uuids);
			return -ENOMEM;
		}
		for (i = 0; i < ex->cap_named; i++) {
			uint64_t k = ex->named[i];
			size_t j;

			if (!k)
				continue;
			j = (k * 0x9e3779b97f4a7c15ull >> 20) & (cap - 1);
			while (named[j])
				j = (j + 1) & (cap - 1);
			named[j] = k;
			uuids[j] = ex->uuids[i];
		}
		free(ex->named);
		free(ex->uuids);
		ex->named = named;
		ex->uuids = uuids;
		ex->cap_named = cap;
	}
	i = (key * 0x9e3779b97f4a7c15ull >> 20) & (ex->cap_named - 1);
	while (ex->named[i]) {
		if (ex->named[i] == key) {
			*uuid = ex->uuids[i];
			*is_new = false;
			return 0;
		}
		i = (i + 1) & (ex->cap_named - 1);
	}
	ex->named[i] = key;
	ex->uuids[i] = ++ex->nr_named;
	*uuid = ex->uuids[i];
	*is_new = true;
	return 0;
}

/* The process_name/thread_name metadata of (pid, tid), once each. */
static int name_track(struct export *ex, uint32_t pid, uint32_t tid, bool host)
{
	uint64_t key = (uint64_t)pid << 32 | tid, uuid;
	struct util_outbuf *o = ex->out;
	char name[200];
	bool is_new;
	int err;

	/* + 1 so that (0, 0) is not the empty slot. */
	err = track_of(ex, key + 1, &uuid, &is_new);
	if (err || !is_new)
		return err;
	if (host) {
		snprintf(name, sizeof(name), "host");
	} else {
		const char *vm_name = trace_vm_name(ex->in->meta, pid);

		snprintf(name, sizeof(name), "VM %u%s%s", pid, *vm_name ? " " : "", vm_name);
	}
	/* A VM's process name comes with its first vCPU. */
	event_start(ex);
	util_out_str(o, "\"ph\":\"M\",\"pid\":");
	util_out_u64(o, pid);
	util_out_str(o, ",\"name\":\"process_name\",\"args\":{\"name\":");
	util_out_json_str(o, name);
	util_out_str(o, "}}");
	snprintf(name, sizeof(name), host ? "CPU %u" : "vCPU %u", tid);
	event_start(ex);
	util_out_str(o, "\"ph\":\"M\",\"pid\":");
	util_out_u64(o, pid);
	util_out_str(o, ",\"tid\":");
	util_out_u64(o, tid);
	util_out_str(o, ",\"name\":\"thread_name\",\"args\":{\"name\":");
	util_out_json_str(o, name);
	util_out_str(o, "}}");
	return 0;
}

/* An exit: complete event if @timed, else an instant. */
static int chrome_exit(struct export *ex, const struct vmtrace_record *r,
		       bool timed, uint64_t cycles)
{
	struct util_outbuf *o = ex->out;
	struct trace_event ev;
	char code[32];
	int err;

	trace_event_decode(ex->in, r, TRACE_EV_TASK | TRACE_EV_SYMBOL, &ev);
	err = name_track(ex, r->vm_id, r->vcpu, false);
	if (err)
		return err;
	event_start(ex);
	util_out_str(o, timed ? "\"ph\":\"X\",\"cat\":\"exit\",\"name\":" :
		"\"ph\":\"i\",\"s\":\"t\",\"cat\":\"exit\",\"name\":");
	if (ev.exit_name) {
		util_out_json_str(o, ev.exit_name);
	} else {
		snprintf(code, sizeof(code), "exit 0x%x", r->exit_reason);
		util_out_json_str(o, code);
	}
	util_out_str(o, ",\"pid\":");
	util_out_u64(o, r->vm_id);
	util_out_str(o, ",\"tid\":");
	util_out_u64(o, r->vcpu);
	util_out_str(o, ",\"ts\":");
	out_us(o, trace_meta_mono_ns(ex->in->meta, r->host_tsc));
	if (timed) {
		util_out_str(o, ",\"dur\":");
		out_us(o, trace_meta_cycles_ns(ex->in->meta, cycles));
	}
	util_out_str(o, ",\"args\":{\"exit_code\":");
	util_out_u64(o, r->exit_reason);
	trace_event_json(o, r, &ev);
	util_out_str(o, "}}");
	return 0;
}

static int chrome_record(struct export *ex, struct trace_exit_timer *timer,
			 const struct vmtrace_record *r)
{
	struct util_outbuf *o = ex->out;
	struct trace_timed_exit done;
	struct trace_event ev;
	int err;

	if (trace_exit_timer_feed(timer, r, NULL, &done)) {
		err = chrome_exit(ex, &done.exit, done.timed, done.cycles);
		if (err)
			return err;
	}
	switch (r->kind) {
	case VMTRACE_KIND_SAMPLE:
		trace_event_decode(ex->in, r, TRACE_EV_TASK | TRACE_EV_SYMBOL, &ev);
		err = ev.guest ? name_track(ex, r->vm_id, r->vcpu, false) :
				 name_track(ex, 0, r->host_cpu, true);
		if (err)
			return err;
		event_start(ex);
		util_out_str(o, "\"ph\":\"i\",\"s\":\"t\",\"cat\":\"sample\",\"name\":");
		util_out_json_str(o, ev.have_sym ? ev.sym.name : "sample");
		util_out_str(o, ",\"pid\":");
		util_out_u64(o, ev.guest ? r->vm_id : 0);
		util_out_str(o, ",\"tid\":");
		util_out_u64(o, ev.guest ? r->vcpu : r->host_cpu);
		util_out_str(o, ",\"ts\":");
		out_us(o, trace_meta_mono_ns(ex->in->meta, r->host_tsc));
		util_out_str(o, ",\"args\":{\"vm_pid\":");
		util_out_u64(o, r->vmm_pid);
		if (ev.guest) {
			trace_event_json(o, r, &ev);
		} else {
			util_out_str(o, ",\"host_rip\":\"");
			util_out_hex(o, r->u.g.guest_rip);
			util_out_char(o, '"');	/* a host sample: the RIP is the host's */
		}
		util_out_str(o, "}}");
		break;
	case VMTRACE_KIND_LOST:
		event_start(ex);
		util_out_str(o, "\"ph\":\"i\",\"s\":\"g\",\"cat\":\"lost\",\"name\":\"lost\",\"pid\":0,\"tid\":");
		util_out_u64(o, r->host_cpu);
		util_out_str(o, ",\"ts\":");
		out_us(o, trace_meta_mono_ns(ex->in->meta, r->host_tsc));
		util_out_str(o, ",\"args\":");
		trace_lost_json(o, r->u.lost);
		util_out_char(o, '}');
		break;
	}
	return 0;
}

struct pending_ctx {
	struct export *ex;
	int err;
};

static void chrome_pending(void *arg, const struct vmtrace_record *exit, void *cookie)
{
	struct pending_ctx *p = arg;

	(void)cookie;
	if (!p->err)
		p->err = chrome_exit(p->ex, exit, false, 0);
}

static void chrome_begin(struct export *ex)
{
	const struct trace_info *info = trace_meta_info(ex->in->meta);
	struct util_outbuf *o = ex->out;

	util_out_str(o, "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"trace\":");
	util_out_json_str(o, ex->in->path);
	util_out_str(o, ",\"host\":");
	util_out_json_str(o, info->hostname);
	util_out_str(o, ",\"kernel\":");
	util_out_json_str(o, info->host_kernel);
	util_out_str(o, ",\"clock\":\"CLOCK_MONOTONIC\"},\"traceEvents\":[");
	ex->first_event = true;
}

/* ---- folded ---- */

/* Frame names may not hold ';' (the separator) or end the line early. */
static void frame_clean(char *s)
{
	for (; *s; s++)
		if (*s == ';' || *s == '\n' || *s == '\r')
			*s = '_';
}

static int folded_add(struct export *ex, const char *stack)
{
	size_t i;

	if (2 * (ex->nr_stacks + 1) > ex->cap_stacks) {
		size_t cap = ex->cap_stacks ? 2 * ex->cap_stacks : 1024;
		struct stack *stacks = calloc(cap, sizeof(*stacks));

		if (!stacks)
			return -ENOMEM;
		for (i = 0; i < ex->cap_stacks; i++) {
			if (!ex->stacks[i].s)
				continue;
			size_t j = util_hash_str(ex->stacks[i].s) & (cap - 1);

			while (stacks[j].s)
				j = (j + 1) & (cap - 1);
			stacks[j] = ex->stacks[i];
		}
		free(ex->stacks);
		ex->stacks = stacks;
		ex->cap_stacks = cap;
	}
	i = util_hash_str(stack) & (ex->cap_stacks - 1);
	while (ex->stacks[i].s && strcmp(ex->stacks[i].s, stack))
		i = (i + 1) & (ex->cap_stacks - 1);
	if (!ex->stacks[i].s) {
		ex->stacks[i].s = strdup(stack);
		if (!ex->stacks[i].s)
			return -ENOMEM;
		ex->nr_stacks++;
	}
	ex->stacks[i].count++;
	return 0;
}

static int folded_record(struct export *ex, const struct vmtrace_record *r)
{
	char vm[160], process[64], symbol[300], stack[600];
	struct trace_event ev;

	if (r->kind != VMTRACE_KIND_SAMPLE)
		return 0;
	trace_event_decode(ex->in, r, TRACE_EV_TASK | TRACE_EV_SYMBOL, &ev);
	if (ev.guest) {
		const char *name = trace_vm_name(ex->in->meta, r->vm_id);

		snprintf(vm, sizeof(vm), "vm%u%s%s", r->vm_id, *name ? ":" : "", name);
	} else {
		snprintf(vm, sizeof(vm), "[host]");
	}
	if (ev.task)
		snprintf(process, sizeof(process), "%s:%u", ev.task->comm, ev.task->pid);
	else
		snprintf(process, sizeof(process), "[unknown]");
	if (ev.have_sym)
		snprintf(symbol, sizeof(symbol), "%s", ev.sym.name);
	else if (ev.state || !ev.guest)
		snprintf(symbol, sizeof(symbol), "0x%" PRIx64, (uint64_t)r->u.g.guest_rip);
	else
		snprintf(symbol, sizeof(symbol), "[unknown]");
	frame_clean(vm);
	frame_clean(process);
	frame_clean(symbol);
	snprintf(stack, sizeof(stack), "%s;%s;%s", vm, process, symbol);
	ex->samples++;
	return folded_add(ex, stack);
}

static int cmp_stack(const void *pa, const void *pb)
{
	const struct stack *a = pa, *b = pb;

	return strcmp(a->s, b->s);
}

static void folded_end(struct export *ex)
{
	size_t n = 0;

	for (size_t i = 0; i < ex->cap_stacks; i++)
		if (ex->stacks[i].s)
			ex->stacks[n++] = ex->stacks[i];
	if (n)
		qsort(ex->stacks, n, sizeof(*ex->stacks), cmp_stack);
	for (size_t i = 0; i < n; i++) {
		util_out_str(ex->out, ex->stacks[i].s);
		util_out_char(ex->out, ' ');
		util_out_u64(ex->out, ex->stacks[i].count);
		util_out_char(ex->out, '\n');
	}
	ex->cap_stacks = n;	/* what export_free() walks */
}

/* ---- perfetto ---- */

/* Track ids: the kind in the top byte. */
#define PF_VM(vm)		(1ull << 56 | (vm))
#define PF_VCPU(vm, vcpu)	(2ull << 56 | (uint64_t)(vm) << 24 | (vcpu))
#define PF_RATE(vm)		(3ull << 56 | (vm))
#define PF_PROC(vm, pid)	(4ull << 56 | (uint64_t)(vm) << 32 | (pid))
#define PF_HOST_CPU(cpu)	(5ull << 56 | (cpu))
#define PF_LOST			(6ull << 56)
#define PF_RATE_NS		1000000000ull

/*
 * VM @r->vm_id's process track (and its exit-rate counter track), then the
 * track of its vCPU @vcpu (if not ~0u), described at first use: the
 * vCPU's uuid in *@track.
 */
static int pf_vm_tracks(struct export *ex, const struct vmtrace_record *r, uint32_t vcpu,
			uint64_t *track)
{
	uint64_t vm_uuid, uuid;
	char name[200];
	bool is_new;
	int err;

	err = track_of(ex, PF_VM(r->vm_id), &vm_uuid, &is_new);
	if (!err && is_new) {
		const char *vm_name = trace_vm_name(ex->in->meta, r->vm_id);

		snprintf(name, sizeof(name), "VM %u%s%s", r->vm_id, *vm_name ? " " : "", vm_name);
		util_perfetto_process_track(&ex->pf, vm_uuid, (int32_t)r->vmm_pid, name);
		err = track_of(ex, PF_RATE(r->vm_id), &uuid, &is_new);
		if (!err)
			util_perfetto_counter_track(&ex->pf, uuid, vm_uuid, "exits/s", "exits/s");
	}
	if (err || vcpu == ~0u)
		return err;
	err = track_of(ex, PF_VCPU(r->vm_id, vcpu), track, &is_new);
	if (!err && is_new) {
		snprintf(name, sizeof(name), "vCPU %u", vcpu);
		util_perfetto_child_track(&ex->pf, *track, vm_uuid, name);
	}
	return err;
}

/* The exit-rate bucket of VM @vm_id: emit those that ended before @ns. */
static int pf_rate(struct export *ex, uint32_t vm_id, uint64_t ns, uint64_t exits)
{
	struct pf_rate *b = NULL;
	size_t i;

	for (i = 0; i < ex->nr_rates; i++)
		if (ex->rates[i].vm_id == vm_id)
			b = &ex->rates[i];
	if (!b) {
		struct pf_rate *n = realloc(ex->rates, (ex->nr_rates + 1) * sizeof(*n));
		bool is_new;

		if (!n)
			return -ENOMEM;
		ex->rates = n;
		b = &ex->rates[ex->nr_rates++];
		b->vm_id = vm_id;
		b->start_ns = ns - ns % PF_RATE_NS;
		b->exits = 0;
		/* Described with the VM's process track (pf_vm_tracks()). */
		if (track_of(ex, PF_RATE(vm_id), &b->track, &is_new))
			return -ENOMEM;
	}
	if (ns >= b->start_ns + PF_RATE_NS) {
		util_perfetto_counter(&ex->pf, b->track, b->start_ns, (int64_t)b->exits);
		b->start_ns += PF_RATE_NS;
		/* A quiet second or more: the rate drops to 0 until the next. */
		if (ns >= b->start_ns + PF_RATE_NS) {
			util_perfetto_counter(&ex->pf, b->track, b->start_ns, 0);
			b->start_ns = ns - ns % PF_RATE_NS;
		}
		b->exits = 0;
	}
	b->exits += exits;
	return 0;
}

/* What a guest record says of its task, as annotations after @a[n]. */
static size_t pf_task_args(const struct vmtrace_record *r, const struct trace_event *ev,
			   struct util_perfetto_arg *a, size_t n)
{
	if (ev->state) {
		a[n++] = (struct util_perfetto_arg){ .name = "guest_rip", .u = r->u.g.guest_rip, .ptr = true };
		a[n++] = (struct util_perfetto_arg){ .name = "guest_cr3", .u = r->u.g.guest_cr3, .ptr = true };
		a[n++] = (struct util_perfetto_arg){ .name = "guest_mode", .str = ev->user ? "user" : "kernel" };
	}
	if (ev->task) {
		a[n++] = (struct util_perfetto_arg){ .name = "guest_pid", .u = ev->task->pid };
		a[n++] = (struct util_perfetto_arg){ .name = "guest_tid", .u = ev->task->tid };
		a[n++] = (struct util_perfetto_arg){ .name = "guest_comm", .str = ev->task->comm };
	}
	if (ev->have_sym)
		a[n++] = (struct util_perfetto_arg){ .name = "symbol", .str = ev->sym.name };
	return n;
}

static int pf_exit(struct export *ex, const struct vmtrace_record *r, bool timed,
		   uint64_t cycles)
{
	uint64_t ns = trace_meta_mono_ns(ex->in->meta, r->host_tsc);
	struct util_perfetto_arg args[8];
	char code[32];
	struct trace_event ev;
	uint64_t track;
	size_t n = 0;
	int err;

	trace_event_decode(ex->in, r, TRACE_EV_TASK | TRACE_EV_SYMBOL, &ev);
	err = pf_vm_tracks(ex, r, r->vcpu, &track);
	if (!err)
		err = pf_rate(ex, r->vm_id, ns, 1);
	if (err)
		return err;
	if (!ev.exit_name)
		snprintf(code, sizeof(code), "exit 0x%x", r->exit_reason);
	args[n++] = (struct util_perfetto_arg){ .name = "exit_code", .u = r->exit_reason };
	n = pf_task_args(r, &ev, args, n);
	if (timed)
		util_perfetto_slice(&ex->pf, track, ns,
			 ns + trace_meta_cycles_ns(ex->in->meta, cycles), "exit",
			 ev.exit_name ? ev.exit_name : code, args, n);
	else
		util_perfetto_instant(&ex->pf, track, ns, "exit",
			   ev.exit_name ? ev.exit_name : code, args, n);
	return 0;
}

static int pf_sample(struct export *ex, const struct vmtrace_record *r)
{
	uint64_t ns = trace_meta_mono_ns(ex->in->meta, r->host_tsc), track, vm_uuid;
	struct util_perfetto_arg args[8];
	char name[100];
	struct trace_event ev;
	size_t n = 0;
	bool is_new;
	int err;

	trace_event_decode(ex->in, r, TRACE_EV_TASK | TRACE_EV_SYMBOL, &ev);
	if (!ev.guest) {
		err = track_of(ex, PF_HOST_CPU(r->host_cpu), &track, &is_new);
		if (err)
			return err;
		if (is_new) {
			snprintf(name, sizeof(name), "host CPU %u", r->host_cpu);
			util_perfetto_child_track(&ex->pf, track, 0, name);
		}
		args[n++] = (struct util_perfetto_arg){ .name = "host_rip", .u = r->u.g.guest_rip, .ptr = true };
		util_perfetto_instant(&ex->pf, track, ns, "sample", "sample", args, n);
		return 0;
	}
	/* A guest process's samples on its own track, the others on the vCPU's. */
	err = pf_vm_tracks(ex, r, r->vcpu, &track);
	if (!err && ev.task) {
		err = track_of(ex, PF_VM(r->vm_id), &vm_uuid, &is_new);
		if (!err)
			err = track_of(ex, PF_PROC(r->vm_id, ev.task->pid), &track, &is_new);
		if (!err && is_new) {
			snprintf(name, sizeof(name), "%s (pid %u)", ev.task->comm, ev.task->pid);
			util_perfetto_child_track(&ex->pf, track, vm_uuid, name);
		}
	}
	if (err)
		return err;
	args[n++] = (struct util_perfetto_arg){ .name = "vcpu", .u = r->vcpu };
	n = pf_task_args(r, &ev, args, n);
	util_perfetto_instant(&ex->pf, track, ns, "sample", ev.have_sym ? ev.sym.name : "sample", args, n);
	return 0;
}

static int pf_record(struct export *ex, struct trace_exit_timer *timer,
		     const struct vmtrace_record *r)
{
	struct trace_timed_exit done;
	struct util_perfetto_arg args[__VMTRACE_LOST_MAX];
	uint64_t track;
	bool is_new;
	int err = 0;

	if (trace_exit_timer_feed(timer, r, NULL, &done))
		err = pf_exit(ex, &done.exit, done.timed, done.cycles);
	if (err)
		return err;
	switch (r->kind) {
	case VMTRACE_KIND_SAMPLE:
		err = pf_sample(ex, r);
		break;
	case VMTRACE_KIND_LOST:
		err = track_of(ex, PF_LOST, &track, &is_new);
		if (err)
			break;
		if (is_new)
			util_perfetto_child_track(&ex->pf, track, 0, "lost");
		for (int c = 0; c < __VMTRACE_LOST_MAX; c++)
			args[c] = (struct util_perfetto_arg){ .name = trace_lost_cause_name(c), .u = r->u.lost[c] };
		util_perfetto_instant(&ex->pf, track, trace_meta_mono_ns(ex->in->meta, r->host_tsc), "lost",
			   "lost", args, __VMTRACE_LOST_MAX);
		break;
	}
	return err;
}

static void pf_pending(void *arg, const struct vmtrace_record *exit, void *cookie)
{
	struct pending_ctx *p = arg;

	(void)cookie;
	if (!p->err)
		p->err = pf_exit(p->ex, exit, false, 0);
}

/* The last bucket of each VM's exit rate. */
static void pf_end(struct export *ex)
{
	for (size_t i = 0; i < ex->nr_rates; i++)
		util_perfetto_counter(&ex->pf, ex->rates[i].track, ex->rates[i].start_ns,
			   (int64_t)ex->rates[i].exits);
}

/* ---- pprof ---- */

static int pprof_begin(struct export *ex)
{
	static const char *const types[][2] = {
		{ "samples", "count" }, { "cpu", "nanoseconds" },
	};
	static const char *const period_type[2] = { "cpu", "nanoseconds" };
	uint32_t hz = trace_meta_info(ex->in->meta)->sample_hz;

	ex->period_ns = hz ? 1000000000 / hz : 0;
	return util_pprof_new(types, 2, period_type, ex->period_ns, &ex->prof);
}

static int pprof_record(struct export *ex, const struct vmtrace_record *r)
{
	char vm[160], process[80], thread[80], symbol[300];
	char vcpu[12], pid[12], tid[12];
	const struct trace_vm_meta *vmm = NULL;
	struct util_pprof_label labels[6];
	int64_t values[2] = { 1, ex->period_ns };
	uint64_t locs[5];
	size_t nl = 0;
	struct trace_event ev;

	if (r->kind != VMTRACE_KIND_SAMPLE)
		return 0;
	if (!ex->first_tsc)
		ex->first_tsc = r->host_tsc;
	ex->last_tsc = r->host_tsc;
	trace_event_decode(ex->in, r, TRACE_EV_TASK | TRACE_EV_SYMBOL, &ev);
	if (ev.guest) {
		const char *name = trace_vm_name(ex->in->meta, r->vm_id);

		vmm = trace_meta_vm(ex->in->meta, r->vm_id);
		snprintf(vm, sizeof(vm), "vm%u%s%s", r->vm_id, *name ? ":" : "", name);
		labels[nl++] = (struct util_pprof_label){ .key = "vm", .str = vm };
		if (vmm && vmm->uuid[0])
			labels[nl++] = (struct util_pprof_label){ .key = "vm_uuid", .str = vmm->uuid };
		snprintf(vcpu, sizeof(vcpu), "%u", r->vcpu);
		labels[nl++] = (struct util_pprof_label){ .key = "vcpu", .str = vcpu };
	} else {
		snprintf(vm, sizeof(vm), "[host]");
	}
	if (ev.task) {
		snprintf(process, sizeof(process), "%s (pid %u)", ev.task->comm, ev.task->pid);
		snprintf(thread, sizeof(thread), "%s (tid %u)",
			 ev.task->thread_comm[0] ? ev.task->thread_comm : ev.task->comm,
			 ev.task->tid);
		snprintf(pid, sizeof(pid), "%u", ev.task->pid);
		snprintf(tid, sizeof(tid), "%u", ev.task->tid);
		labels[nl++] = (struct util_pprof_label){ .key = "pid", .str = pid };
		labels[nl++] = (struct util_pprof_label){ .key = "comm", .str = ev.task->comm };
		labels[nl++] = (struct util_pprof_label){ .key = "tid", .str = tid };
	} else if (ev.guest) {
		snprintf(process, sizeof(process), "[unknown process]");
		snprintf(thread, sizeof(thread), "[unknown thread]");
	} else {
		snprintf(process, sizeof(process), "[host]");
		snprintf(thread, sizeof(thread), "cpu %u", r->host_cpu);
	}
	if (ev.have_sym)
		snprintf(symbol, sizeof(symbol), "%s", ev.sym.name);
	else if (ev.state || !ev.guest)
		snprintf(symbol, sizeof(symbol), "0x%" PRIx64, (uint64_t)r->u.g.guest_rip);
	else
		snprintf(symbol, sizeof(symbol), "[unknown]");
	/* Leaf first. */
	locs[0] = util_pprof_frame(ex->prof, symbol);
	locs[1] = util_pprof_frame(ex->prof, !ev.guest ? "[host]" : ev.user ? "[user]" : "[kernel]");
	locs[2] = util_pprof_frame(ex->prof, thread);
	locs[3] = util_pprof_frame(ex->prof, process);
	locs[4] = util_pprof_frame(ex->prof, vm);
	ex->samples++;
	return util_pprof_add(ex->prof, locs, 5, labels, nl, values);
}

static int pprof_end(struct export *ex)
{
	const struct trace_meta *m = ex->in->meta;

	if (ex->first_tsc)
		util_pprof_set_time(ex->prof, (int64_t)trace_meta_real_ns(m, ex->first_tsc),
			       (int64_t)(trace_meta_real_ns(m, ex->last_tsc) -
					 trace_meta_real_ns(m, ex->first_tsc)) + ex->period_ns);
	return util_pprof_write(ex->prof, ex->out);
}

static void export_free(struct export *ex)
{
	for (size_t i = 0; i < ex->cap_stacks; i++)
		free(ex->stacks[i].s);
	free(ex->stacks);
	free(ex->named);
	free(ex->uuids);
	free(ex->rates);
	if (ex->pf.out)
		util_perfetto_finish(&ex->pf);
	util_pprof_free(ex->prof);
}

static void export_usage(FILE *f)
{
	fprintf(f,
		"Usage: %s export --format chrome-json|perfetto|folded|pprof [-i FILE] [-o OUT]\n\n"
		"Converts a trace (default vmtrace.vmt) for other tools, to OUT (default:\n"
		"standard output):\n"
		"  chrome-json  Trace Event JSON for Perfetto UI, trace_processor and\n"
		"               chrome://tracing: one track per VM (process) and vCPU\n"
		"               (thread); exits last their handling time.\n"
		"  perfetto     Perfetto's protobuf trace (ui.perfetto.dev), streamed: the\n"
		"               same tracks, one per guest process for its samples,\n"
		"               an exits/s counter per VM; smaller than chrome-json.\n"
		"  folded       \"vm;process;symbol count\" lines of the guest samples,\n"
		"               for flamegraph.pl.\n"
		"  pprof        the guest samples as a gzip'd pprof profile (go tool pprof,\n"
		"               Pyroscope, Parca): VM, process, thread, kernel|user,\n"
		"               symbol frames; vm, vcpu, pid, comm, tid labels.\n"
		"See Documentation/vmtrace-collect-export.rst.\n" CMD_HELP_FOOTER, cmd_prog_name);
}

/* What the command line asks for. */
struct export_args {
	enum export_format format;
	const char *input;
	const char *output;		/* NULL: standard output */
};

/*
 * Parse export's options into @a.  -1 to export, or the exit status to
 * return at once: 0 after --help or --version, CMD_EXIT_USAGE after saying
 * what is wrong.
 */
static int parse_args(int argc, char *argv[], struct export_args *a)
{
	static const struct option longopts[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "output", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'f' },
		CMD_COMMON_OPTIONS,
		{ 0 }
	};
	int opt, ret = 0;

	*a = (struct export_args){ .format = FORMAT_NONE, .input = "vmtrace.vmt" };
	optind = 1;
	while ((opt = cmd_getopt(argc, argv, ":i:o:h", longopts, &ret)) != -1) {
		switch (opt) {
		case 'i':
			a->input = optarg;
			break;
		case 'o':
			a->output = strcmp(optarg, "-") ? optarg : NULL;
			break;
		case 'f':
			if (!strcmp(optarg, "chrome-json"))
				a->format = FORMAT_CHROME;
			else if (!strcmp(optarg, "folded"))
				a->format = FORMAT_FOLDED;
			else if (!strcmp(optarg, "pprof"))
				a->format = FORMAT_PPROF;
			else if (!strcmp(optarg, "perfetto"))
				a->format = FORMAT_PERFETTO;
			else
				return cmd_bad_value("--format", optarg,
						 "chrome-json, perfetto, folded or pprof");
			break;
		case 'h':
			export_usage(stdout);
			return 0;
		}
	}
	if (ret >= 0)
		return ret;
	if (optind != argc)
		return cmd_usage_error("%s: unexpected argument", argv[optind]);
	if (a->format == FORMAT_NONE)
		return cmd_usage_error("which format? --format chrome-json, perfetto, folded or pprof");
	return -1;
}

/* -o OUT: written as a temporary file beside it, renamed over it at the end. */
struct export_output {
	const char *path;
	char *tmp_path;
	FILE *f;
};

/*
 * Create @o's temporary file: 0, -ENOMEM (for the caller to say), or 1
 * after saying why it cannot be made.
 */
static int open_output(struct export_output *o)
{
	size_t len = strlen(o->path) + sizeof(".tmp-XXXXXX");
	mode_t mask = umask(0);
	int fd;

	umask(mask);
	o->tmp_path = malloc(len);
	if (!o->tmp_path)
		return -ENOMEM;
	snprintf(o->tmp_path, len, "%s.tmp-XXXXXX", o->path);
	fd = mkstemp(o->tmp_path);
	/* mkstemp makes it 0600: give OUT the mode a plain create would. */
	if (fd >= 0)
		fchmod(fd, 0666 & ~mask);
	o->f = fd < 0 ? NULL : fdopen(fd, "w");
	if (!o->f) {
		fprintf(stderr, "%s: %s: %s\n", cmd_prog_name, o->path, strerror(errno));
		if (fd >= 0)
			close(fd);
		free(o->tmp_path);
		o->tmp_path = NULL;
		return 1;
	}
	return 0;
}

/*
 * Close @o's temporary file and, if all went well (@ret 0), rename it over
 * OUT; else remove it.  The exit status: @ret, or 1 after saying why OUT
 * could not be had.
 */
static int close_output(struct export_output *o, int ret)
{
	if (fclose(o->f) && !ret) {
		fprintf(stderr, "%s: %s: %s\n", cmd_prog_name, o->path, strerror(errno));
		ret = 1;
	}
	if (!ret && rename(o->tmp_path, o->path)) {
		fprintf(stderr, "%s: %s: %s\n", cmd_prog_name, o->path, strerror(errno));
		ret = 1;
	}
	if (ret)
		unlink(o->tmp_path);
	free(o->tmp_path);
	return ret;
}

/* The trace's records to ex->out in @format, start to end: 0 or -errno. */
static int convert(struct export *ex, enum export_format format)
{
	struct trace_input *in = ex->in;
	struct trace_exit_timer *timer;
	struct trace_item it;
	int err = 0;

	if (trace_exit_timer_new(&timer))
		return -ENOMEM;
	if (format == FORMAT_CHROME)
		chrome_begin(ex);
	else if (format == FORMAT_PPROF)
		err = pprof_begin(ex);
	else if (format == FORMAT_PERFETTO)
		util_perfetto_init(&ex->pf, ex->out);
	while (!err && (err = trace_next(in->reader, &it)) > 0) {
		err = 0;
		if (it.type != TRACE_ITEM_RECORDS)
			continue;
		for (size_t i = 0; i < it.records.n && !err; i++)
			err = format == FORMAT_CHROME ?
			      chrome_record(ex, timer, &it.records.recs[i]) :
			      format == FORMAT_PPROF ? pprof_record(ex, &it.records.recs[i]) :
			      format == FORMAT_PERFETTO ? pf_record(ex, timer, &it.records.recs[i]) :
			      folded_record(ex, &it.records.recs[i]);
		in->records += it.records.n;
	}
	if (!err && format == FORMAT_CHROME) {
		struct pending_ctx p = { .ex = ex };

		trace_exit_timer_pending(timer, chrome_pending, &p);
		err = p.err;
		util_out_str(ex->out, "\n]}\n");
	} else if (!err && format == FORMAT_PERFETTO) {
		struct pending_ctx p = { .ex = ex };

		trace_exit_timer_pending(timer, pf_pending, &p);
		err = p.err;
		pf_end(ex);
		if (!err)
			err = util_perfetto_finish(&ex->pf);
	} else if (!err && format == FORMAT_PPROF) {
		err = pprof_end(ex);
	} else if (!err) {
		folded_end(ex);
	}
	trace_exit_timer_free(timer);
	return err;
}

int cmd_export(int argc, char *argv[])
{
	static struct util_outbuf out;
	struct export ex = { .out = &out };
	struct export_output o = { .f = stdout };
	struct export_args a;
	struct trace_input in;
	int err, ret;

	ret = parse_args(argc, argv, &a);
	if (ret >= 0)
		return ret;
	err = cmd_input_open(&in, a.input);
	if (err)
		return cmd_input_status(err);
	ex.in = &in;
	o.path = a.output;
	/* 1: said already; -ENOMEM goes on to be said as the others below. */
	if (o.path && (err = open_output(&o)) > 0) {
		ret = 1;
		goto out;
	}
	if (!err) {
		util_outbuf_init(&out, o.f);
		err = convert(&ex, a.format);
	}
	if (err) {
		fprintf(stderr, "%s: %s: %s\n", cmd_prog_name, a.input, strerror(-err));
		ret = 1;
	} else {
		ret = cmd_input_finish(&in);
		if (!ret && (err = util_outbuf_finish(&out))) {
			fprintf(stderr, "%s: %s: %s\n", cmd_prog_name,
				o.path ? o.path : "stdout", strerror(-err));
			ret = 1;
		}
	}
	if (o.tmp_path)
		ret = close_output(&o, ret);
out:
	export_free(&ex);
	trace_input_close(&in);
	return ret;
}
