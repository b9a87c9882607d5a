// SPDX-License-Identifier: GPL-2.0
/*
 * vmtrace-collect report: exits and samples counted by any nesting of
 * VM, vCPU, exit reason, guest process, guest thread and guest symbol,
 * with shares, rates and, for exits, the time the host spent handling
 * them (exit to the vCPU's next entry, as perf kvm stat shows it).
 *
 * One pass over the records fills a hash table of leaf rows keyed by the
 * full key tuple; the tree of nested rows is built from the sorted leaves
 * at the end, parents summing their children.
 *
 * A trace recorded with interval metrics (record --metrics-interval) also
 * has both sides per VM and guest process: --by vm and --by vm,process
 * add them after the rows (view/vm_report.h), and --format html draws them
 * (view/vm_html.c), as vmreport does for a metrics file.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "util/bytes.h"
#include "trace/names.h"
#include "trace/exit_timing.h"
#include "util/hist.h"
#include "util/options.h"
#include "util/outbuf.h"
#include "trace/input.h"
#include "view/vm_report.h"
#include "cmd/cmd.h"

enum key {
	KEY_VM, KEY_VCPU, KEY_EXIT, KEY_PROCESS, KEY_THREAD, KEY_SYMBOL,
	NR_KEYS
};

static const char *const key_names[NR_KEYS] = {
	"vm", "vcpu", "exit", "process", "thread", "symbol",
};

/* Key value for "not applicable / unknown" (a sample's exit, no task). */
#define KEY_NONE UINT64_MAX

enum report_format { FORMAT_TEXT, FORMAT_CSV, FORMAT_JSON, FORMAT_HTML };

struct keytuple {
	uint64_t v[NR_KEYS];	/* in --by order; unused ones 0 */
};

/* One leaf (full key tuple), or a group of leaves when printing. */
struct row {
	struct keytuple key;
	uint64_t exits, samples;
	struct util_hist handling;	/* ns, of the timed exits */
	/* Labels, from the first record of the row. */
	uint32_t vm_pid, vendor;
	const struct trace_task_meta *task;
};

struct report {
	const struct trace_input *in;
	enum key by[NR_KEYS];
	unsigned int nr_by;
	unsigned int need;		/* VMT_EV_* the keys need */
	enum report_format format;
	unsigned int top;		/* 0: all */

	struct row *rows;
	size_t nr_rows, cap_rows;
	/* The rows' hash table: per slot, the row index + 1 (0: empty) in
	 * the low half and the key's hash in the high half, so that a probe
	 * touches a row only when the hash matches (rows are many and big:
	 * each look at one is a cache miss). */
	uint64_t *slots;
	size_t nr_slots;

	/* Interned symbol names: id = index.  Resolvers hand out the same
	 * pointer for the same name, so a small cache by pointer spares
	 * hashing the string for most records. */
	struct { const char *name; long id; } sym_cache[1024];
	char **symbols;
	size_t nr_symbols, cap_symbols;
	uint32_t *sym_slots;
	size_t nr_sym_slots;

	uint64_t exits, samples;
	__u64 lost[__VMTRACE_LOST_MAX];	/* as LOST records count them */
	uint64_t first_tsc, last_tsc;
	uint64_t handled_ns;
	bool timing;			/* exit timing is meaningful */
	struct trace_metrics_series metrics;	/* the trace's interval metrics */
	struct util_outbuf *out;
};

/*
 * Symbol keys: an unresolved RIP is the RIP itself; a resolved symbol is
 * its interned name id with bit 62 set and bit 63 clear, and an unknown
 * RIP SYM_NONE: both non-canonical, so no RIP can be taken for them.
 */
#define SYM_ID_TAG (1ull << 62)
#define SYM_NONE (SYM_ID_TAG | 0xffffffffull)

static inline bool keys_equal(const struct keytuple *a, const struct keytuple *b,
			      unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (a->v[i] != b->v[i])
			return false;
	return true;
}

static uint64_t hash_tuple(const struct keytuple *k, unsigned int n)
{
	uint64_t h = 0x243f6a8885a308d3ull;

	for (unsigned int i = 0; i < n; i++) {
		h = (h ^ k->v[i]) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	/* murmur3's finaliser: every input bit reaches the low bits the
	 * table index is taken from. */
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 33);
}

static int rows_rehash(struct report *rep, size_t nr_slots)
{
	uint64_t *slots = calloc(nr_slots, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t s = 0; s < rep->nr_slots; s++) {
		uint64_t h = rep->slots[s] >> 32;
		size_t i;

		if (!rep->slots[s])
			continue;
		/* The high half of the hash picks the slot; see row_of(). */
		i = h & (nr_slots - 1);
		while (slots[i])
			i = (i + 1) & (nr_slots - 1);
		slots[i] = rep->slots[s];
	}
	free(rep->slots);
	rep->slots = slots;
	rep->nr_slots = nr_slots;
	return 0;
}

/* The row of key tuple @k, created if new: its index, or -ENOMEM. */
static long row_of(struct report *rep, const struct keytuple *k)
{
	uint64_t h = hash_tuple(k, rep->nr_by) >> 32;
	size_t i;

	if (2 * (rep->nr_rows + 1) > rep->nr_slots &&
	    rows_rehash(rep, rep->nr_slots ? 2 * rep->nr_slots : 1024))
		return -ENOMEM;
	i = h & (rep->nr_slots - 1);
	while (rep->slots[i]) {
		uint32_t r = (uint32_t)rep->slots[i] - 1;

		if (rep->slots[i] >> 32 == h && keys_equal(&rep->rows[r].key, k, rep->nr_by))
			return r;
		i = (i + 1) & (rep->nr_slots - 1);
	}
	if (rep->nr_rows >= UINT32_MAX - 1)
		return -E2BIG;
	if (rep->nr_rows == rep->cap_rows) {
		size_t cap = rep->cap_rows ? 2 * rep->cap_rows : 256;
		struct row *rows = realloc(rep->rows, cap * sizeof(*rows));

		if (!rows)
			return -ENOMEM;
		rep->rows = rows;
		rep->cap_rows = cap;
	}
	memset(&rep->rows[rep->nr_rows], 0, sizeof(rep->rows[0]));
	rep->rows[rep->nr_rows].key = *k;
	rep->slots[i] = h << 32 | (rep->nr_rows + 1);
	return rep->nr_rows++;
}

/* The id of symbol name @name (interned), or -ENOMEM. */
static long symbol_id(struct report *rep, const char *name)
{
	size_t i;

	if (2 * (rep->nr_symbols + 1) > rep->nr_sym_slots) {
		size_t n = rep->nr_sym_slots ? 2 * rep->nr_sym_slots : 1024;
		uint32_t *slots = calloc(n, sizeof(*slots));

		if (!slots)
			return -ENOMEM;
		for (size_t s = 0; s < rep->nr_symbols; s++) {
			i = util_hash_str(rep->symbols[s]) & (n - 1);
			while (slots[i])
				i = (i + 1) & (n - 1);
			slots[i] = s + 1;
		}
		free(rep->sym_slots);
		rep->sym_slots = slots;
		rep->nr_sym_slots = n;
	}
	i = util_hash_str(name) & (rep->nr_sym_slots - 1);
	while (rep->sym_slots[i]) {
		if (!strcmp(rep->symbols[rep->sym_slots[i] - 1], name))
			return rep->sym_slots[i] - 1;
		i = (i + 1) & (rep->nr_sym_slots - 1);
	}
	if (rep->nr_symbols == rep->cap_symbols) {
		size_t cap = rep->cap_symbols ? 2 * rep->cap_symbols : 256;
		char **syms = realloc(rep->symbols, cap * sizeof(*syms));

		if (!syms)
			return -ENOMEM;
		rep->symbols = syms;
		rep->cap_symbols = cap;
	}
	rep->symbols[rep->nr_symbols] = strdup(name);
	if (!rep->symbols[rep->nr_symbols])
		return -ENOMEM;
	rep->sym_slots[i] = rep->nr_symbols + 1;
	return rep->nr_symbols++;
}

static long symbol_key(struct report *rep, const struct vmtrace_record *r,
		       const struct trace_event *ev, uint64_t *key)
{
	long id;

	if (!ev->state) {
		*key = SYM_NONE;
		return 0;
	}
	if (!ev->have_sym) {
		*key = r->u.g.guest_rip;
		return 0;
	}
	{
		size_t slot = ((uintptr_t)ev->sym.name >> 3) % 1024;

		if (rep->sym_cache[slot].name == ev->sym.name) {
			id = rep->sym_cache[slot].id;
		} else {
			id = symbol_id(rep, ev->sym.name);
			if (id < 0)
				return id;
			rep->sym_cache[slot].name = ev->sym.name;
			rep->sym_cache[slot].id = id;
		}
	}
	if ((uint64_t)id >= 0xffffffffull)
		return -E2BIG;
	*key = SYM_ID_TAG | id;
	return 0;
}

static int key_tuple(struct report *rep, const struct vmtrace_record *r,
		     const struct trace_event *ev, struct keytuple *k)
{
	for (unsigned int i = 0; i < rep->nr_by; i++) {
		uint64_t v = KEY_NONE;

		switch (rep->by[i]) {
		case KEY_VM:
			v = ev->guest ? r->vm_id : 0;	/* 0: the host */
			break;
		case KEY_VCPU:
			v = ev->guest ? r->vcpu : KEY_NONE;
			break;
		case KEY_EXIT:
			if (r->kind == VMTRACE_KIND_EXIT)
				v = (uint64_t)r->vendor << 32 | r->exit_reason;
			break;
		case KEY_PROCESS:
			v = ev->task ? ev->task->pid : KEY_NONE;
			break;
		case KEY_THREAD:
			v = ev->task ? ev->task->tid : KEY_NONE;
			break;
		case KEY_SYMBOL:
			if (symbol_key(rep, r, ev, &v))
				return -ENOMEM;	/* or too many names: as bad */
			break;
		case NR_KEYS:
			break;
		}
		k->v[i] = v;
	}
	return 0;
}

static int account(struct report *rep, struct trace_exit_timer *timer,
		   const struct vmtrace_record *r, long *last_row,
		   struct keytuple *last_key)
{
	struct trace_timed_exit done;
	struct trace_event ev;
	struct keytuple k;
	struct row *row;
	long idx = -1;

	if (r->kind == VMTRACE_KIND_LOST) {
		for (int c = 0; c < __VMTRACE_LOST_MAX; c++)
			rep->lost[c] += r->u.lost[c];
	}
	if (r->kind == VMTRACE_KIND_EXIT || r->kind == VMTRACE_KIND_SAMPLE) {
		trace_event_decode(rep->in, r, rep->need, &ev);
		if (key_tuple(rep, r, &ev, &k))
			return -ENOMEM;
		/* Runs of alike records are common: skip the hash then. */
		if (*last_row >= 0 && keys_equal(&k, last_key, rep->nr_by)) {
			idx = *last_row;
		} else {
			idx = row_of(rep, &k);
			if (idx < 0)
				return idx;
			*last_row = idx;
			*last_key = k;
		}
		row = &rep->rows[idx];
		if (!row->exits && !row->samples) {
			row->vm_pid = r->vmm_pid;
			row->vendor = r->vendor;
			row->task = ev.task;
		}
		if (r->kind == VMTRACE_KIND_EXIT) {
			row->exits++;
			rep->exits++;
		} else {
			row->samples++;
			rep->samples++;
		}
		if (!rep->first_tsc || r->host_tsc < rep->first_tsc)
			rep->first_tsc = r->host_tsc;
		if (r->host_tsc > rep->last_tsc)
			rep->last_tsc = r->host_tsc;
	}
	if (rep->timing &&
	    trace_exit_timer_feed(timer, r, (void *)(uintptr_t)(idx + 1), &done) &&
	    done.timed) {
		uint64_t ns = trace_meta_cycles_ns(rep->in->meta, done.cycles);
		struct row *timed = &rep->rows[(uintptr_t)done.cookie - 1];

		if (util_hist_add(&timed->handling, ns))
			return -ENOMEM;
		rep->handled_ns += ns;
	}
	return 0;
}

/* ---- the tree ---- */

static struct report *sort_rep;	/* qsort has no argument */

static int cmp_leaf(const void *pa, const void *pb)
{
	const struct row *a = &sort_rep->rows[*(const uint32_t *)pa];
	const struct row *b = &sort_rep->rows[*(const uint32_t *)pb];

	for (unsigned int i = 0; i < sort_rep->nr_by; i++)
		if (a->key.v[i] != b->key.v[i])
			return a->key.v[i] < b->key.v[i] ? -1 : 1;
	return 0;
}

struct group {
	struct row sum;			/* totals; key and labels of the first */
	size_t lo, hi;			/* its leaves, in the sorted order */
};

static int cmp_group(const void *pa, const void *pb)
{
	const struct group *a = pa, *b = pb;
	uint64_t ta = a->sum.exits + a->sum.samples, tb = b->sum.exits + b->sum.samples;

	if (ta != tb)
		return ta > tb ? -1 : 1;
	return a->lo < b->lo ? -1 : a->lo > b->lo;
}

/* The label of key @level of @row for people (text output). */
static void key_label(const struct report *rep, unsigned int level,
		      const struct row *row, char *buf, size_t size)
{
	uint64_t v = row->key.v[level];
	const char *name;

	switch (rep->by[level]) {
	case KEY_VM:
		if (!v) {
			snprintf(buf, size, "[host]");
			break;
		}
		name = trace_vm_name(rep->in->meta, v);
		snprintf(buf, size, "vm %" PRIu64 "%s%s (pid %u)", v, *name ? " " : "",
			 name, row->vm_pid);
		break;
	case KEY_VCPU:
		if (v == KEY_NONE)
			snprintf(buf, size, "-");
		else
			snprintf(buf, size, "vcpu %" PRIu64, v);
		break;
	case KEY_EXIT:
		if (v == KEY_NONE) {
			snprintf(buf, size, "(samples)");
			break;
		}
		name = trace_exit_name(v >> 32, (uint32_t)v);
		if (name)
			snprintf(buf, size, "%s", name);
		else
			snprintf(buf, size, "exit 0x%x", (uint32_t)v);
		break;
	case KEY_PROCESS:
	case KEY_THREAD:
		if (v == KEY_NONE)
			snprintf(buf, size, "[unknown]");
		else if (rep->by[level] == KEY_THREAD && row->task && row->task->thread_comm[0])
			snprintf(buf, size, "%s %" PRIu64, row->task->thread_comm, v);
		else
			snprintf(buf, size, "%s %" PRIu64, row->task ? row->task->comm : "?", v);
		break;
	case KEY_SYMBOL:
		if (v == SYM_NONE)
			snprintf(buf, size, "[unknown]");
		else if (v >> 62 == 1)
			snprintf(buf, size, "%s", rep->symbols[v & 0xffffffffull]);
		else
			snprintf(buf, size, "0x%" PRIx64, v);
		break;
	case NR_KEYS:
		buf[0] = '\0';
		break;
	}
}

static void out_ratio(struct util_outbuf *o, double v, const char *fmt)
{
	char buf[32];

	snprintf(buf, sizeof(buf), fmt, v);
	util_out_str(o, buf);
}

/* "1.23us" style, for text. */
static void fmt_ns(char *buf, size_t size, uint64_t ns, bool known)
{
	if (!known)
		snprintf(buf, size, "-");
	else if (ns < 10000)
		snprintf(buf, size, "%" PRIu64 "ns", ns);
	else if (ns < 10000000)
		snprintf(buf, size, "%.2fus", ns / 1e3);
	else if (ns < 10000000000ull)
		snprintf(buf, size, "%.2fms", ns / 1e6);
	else
		snprintf(buf, size, "%.2fs", ns / 1e9);
}

static double duration_s(const struct report *rep)
{
	return rep->last_tsc > rep->first_tsc ?
	       trace_meta_cycles_ns(rep->in->meta, rep->last_tsc - rep->first_tsc) / 1e9 : 0;
}

static void text_row(struct report *rep, unsigned int level, const struct row *g)
{
	const struct util_hist *h = &g->handling;
	char label[300], mn[16], avg[16], p99[16], mx[16], line[512];
	double secs = duration_s(rep);

	key_label(rep, level, g, label, sizeof(label));
	fmt_ns(mn, sizeof(mn), h->min, h->count);
	fmt_ns(avg, sizeof(avg), h->count ? h->sum / h->count : 0, h->count);
	fmt_ns(p99, sizeof(p99), util_hist_quantile(h, 0.99), h->count);
	fmt_ns(mx, sizeof(mx), h->max, h->count);
	snprintf(line, sizeof(line),
		 "%10" PRIu64 " %6.2f%% %10.1f %9" PRIu64 " %6.2f%% %6.2f%% %9s %9s %9s %9s  %*s%s\n",
		 g->exits, rep->exits ? 100.0 * g->exits / rep->exits : 0,
		 secs > 0 ? g->exits / secs : 0, g->samples,
		 rep->samples ? 100.0 * g->samples / rep->samples : 0,
		 rep->handled_ns ? 100.0 * h->sum / rep->handled_ns : 0,
		 mn, avg, p99, mx, 2 * level, "", label);
	util_out_str(rep->out, line);
}

static void csv_key_header(struct util_outbuf *o, enum key k)
{
	static const char *const cols[NR_KEYS] = {
		"vm_id,vm_pid,vm_name", "vcpu", "exit_code,exit_name",
		"guest_pid,guest_comm", "guest_tid,thread_comm", "symbol",
	};

	util_out_str(o, cols[k]);
	util_out_char(o, ',');
}

/* The key columns of level @level of @g (CSV: bare; JSON: "k":v,). */
static void key_fields(struct report *rep, unsigned int level, const struct row *g,
		       bool json)
{
	struct util_outbuf *o = rep->out;
	uint64_t v = g->key.v[level];
	char label[300];
	const char *name;

#define FIELD(key) do { if (json) { util_out_json_str(o, key); util_out_char(o, ':'); } } while (0)
#define SEP() util_out_char(o, ',')
#define NUM(x) util_out_u64(o, x)
#define NONE() do { if (json) util_out_str(o, "null"); } while (0)
#define STR(s) do { if (json) util_out_json_str(o, s); else util_out_csv_str(o, s); } while (0)
	switch (rep->by[level]) {
	case KEY_VM:
		FIELD("vm_id");
		if (v) NUM(v); else NONE();
		SEP();
		FIELD("vm_pid");
		NUM(g->vm_pid);
		SEP();
		FIELD("vm_name");
		STR(v ? trace_vm_name(rep->in->meta, v) : "[host]");
		break;
	case KEY_VCPU:
		FIELD("vcpu");
		if (v != KEY_NONE) NUM(v); else NONE();
		break;
	case KEY_EXIT:
		FIELD("exit_code");
		if (v != KEY_NONE) NUM((uint32_t)v); else NONE();
		SEP();
		FIELD("exit_name");
		name = v != KEY_NONE ? trace_exit_name(v >> 32, (uint32_t)v) : NULL;
		if (name) STR(name); else NONE();
		break;
	case KEY_PROCESS:
	case KEY_THREAD:
		FIELD(rep->by[level] == KEY_PROCESS ? "guest_pid" : "guest_tid");
		if (v != KEY_NONE) NUM(v); else NONE();
		SEP();
		FIELD(rep->by[level] == KEY_PROCESS ? "guest_comm" : "thread_comm");
		if (g->task) STR(g->task->comm); else NONE();
		break;
	case KEY_SYMBOL:
		FIELD("symbol");
		if (v == SYM_NONE) {
			NONE();
		} else {
			key_label(rep, level, g, label, sizeof(label));
			STR(label);
		}
		break;
	case NR_KEYS:
		break;
	}
	SEP();
#undef FIELD
#undef SEP
#undef NUM
#undef NONE
#undef STR
}

static void metric_fields(struct report *rep, const struct row *g, bool json)
{
	struct util_outbuf *o = rep->out;
	const struct util_hist *h = &g->handling;
	double secs = duration_s(rep);
	const struct {
		const char *name;
		bool integer, known;
		double v;
	} m[] = {
		{ "exits", true, true, g->exits },
		{ "exit_share", false, rep->exits, rep->exits ? (double)g->exits / rep->exits : 0 },
		{ "exits_per_s", false, secs > 0, secs > 0 ? g->exits / secs : 0 },
		{ "samples", true, true, g->samples },
		{ "sample_share", false, rep->samples,
		  rep->samples ? (double)g->samples / rep->samples : 0 },
		{ "samples_per_s", false, secs > 0, secs > 0 ? g->samples / secs : 0 },
		{ "timed_exits", true, true, h->count },
		{ "time_share", false, rep->handled_ns,
		  rep->handled_ns ? (double)h->sum / rep->handled_ns : 0 },
		{ "min_ns", true, h->count, h->min },
		{ "avg_ns", true, h->count, h->count ? h->sum / h->count : 0 },
		{ "p99_ns", true, h->count, util_hist_quantile(h, 0.99) },
		{ "max_ns", true, h->count, h->max },
	};

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		if (i)
			util_out_char(o, ',');
		if (json) {
			util_out_json_str(o, m[i].name);
			util_out_char(o, ':');
		}
		if (!m[i].known)
			util_out_str(o, json ? "null" : "");
		else if (m[i].integer)
			util_out_u64(o, (uint64_t)m[i].v);
		else
			out_ratio(o, m[i].v, "%.6f");
	}
}

static void csv_header(struct report *rep)
{
	for (unsigned int i = 0; i < rep->nr_by; i++)
		csv_key_header(rep->out, rep->by[i]);
	util_out_str(rep->out, "exits,exit_share,exits_per_s,samples,sample_share,samples_per_s,"
		"timed_exits,time_share,min_ns,avg_ns,p99_ns,max_ns\n");
}

/* The groups of leaves [lo, hi) at @level, biggest first, --top cut. */
static int groups_of(struct report *rep, const uint32_t *leaves, size_t lo, size_t hi,
		     unsigned int level, struct group **out, size_t *nr)
{
	struct group *g = NULL;
	size_t n = 0, cap = 0;

	for (size_t i = lo; i < hi; i++) {
		const struct row *leaf = &rep->rows[leaves[i]];

		if (!n || g[n - 1].sum.key.v[level] != leaf->key.v[level]) {
			if (n == cap) {
				struct group *ng = realloc(g, (cap = cap ? 2 * cap : 16) * sizeof(*g));

				if (!ng) {
					free(g);
					return -ENOMEM;
				}
				g = ng;
			}
			memset(&g[n], 0, sizeof(g[n]));
			g[n].sum.key = leaf->key;
			g[n].sum.vm_pid = leaf->vm_pid;
			g[n].sum.vendor = leaf->vendor;
			g[n].sum.task = leaf->task;
			g[n].lo = i;
			n++;
		}
		g[n - 1].hi = i + 1;
		g[n - 1].sum.exits += leaf->exits;
		g[n - 1].sum.samples += leaf->samples;
		if (util_hist_merge(&g[n - 1].sum.handling, &leaf->handling)) {
			for (size_t k = 0; k < n; k++)
				util_hist_free(&g[k].sum.handling);
			free(g);
			return -ENOMEM;
		}
	}
	if (n)
		qsort(g, n, sizeof(*g), cmp_group);
	if (rep->top && n > rep->top) {
		for (size_t k = rep->top; k < n; k++)
			util_hist_free(&g[k].sum.handling);
		n = rep->top;
	}
	*out = g;
	*nr = n;
	return 0;
}

/* Print the groups of [lo, hi) at @level and, nested, their children.
 * @path holds the groups of the levels above (for CSV's key columns). */
static int print_level(struct report *rep, const uint32_t *leaves, size_t lo, size_t hi,
		       unsigned int level, const struct row **path)
{
	bool last = level + 1 == rep->nr_by;
	struct group *g;
	size_t n;
	int err;

	err = groups_of(rep, leaves, lo, hi, level, &g, &n);
	if (err)
		return err;
	for (size_t i = 0; i < n && !err; i++) {
		path[level] = &g[i].sum;
		switch (rep->format) {
		case FORMAT_TEXT:
			text_row(rep, level, &g[i].sum);
			break;
		case FORMAT_CSV:
			if (!last)
				break;
			for (unsigned int l = 0; l <= level; l++)
				key_fields(rep, l, path[l], false);
			metric_fields(rep, &g[i].sum, false);
			util_out_char(rep->out, '\n');
			break;
		case FORMAT_JSON:
			util_out_str(rep->out, i ? ",{" : "{");
			key_fields(rep, level, &g[i].sum, true);
			metric_fields(rep, &g[i].sum, true);
			if (!last)
				util_out_str(rep->out, ",\"children\":[");
			break;
		case FORMAT_HTML:	/* written by write_html() */
			break;
		}
		if (!last)
			err = print_level(rep, leaves, g[i].lo, g[i].hi, level + 1, path);
		if (rep->format == FORMAT_JSON)
			util_out_str(rep->out, last ? "}" : "]}");
	}
	for (size_t i = 0; i < n; i++)
		util_hist_free(&g[i].sum.handling);
	free(g);
	return err;
}

static void text_header(struct report *rep)
{
	const struct trace_info *info = trace_meta_info(rep->in->meta);
	struct util_outbuf *o = rep->out;
	char line[1024], when[64] = "?", by[128] = "";
	time_t secs = info->clock.real_ns / 1000000000ull;
	struct tm tm;
	uint64_t lost = 0;

	if (gmtime_r(&secs, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	for (int c = 0; c < __VMTRACE_LOST_MAX; c++)
		lost += rep->lost[c];
	for (unsigned int i = 0; i < rep->nr_by; i++) {
		strcat(by, i ? " / " : "");
		strcat(by, key_names[rep->by[i]]);
	}
	snprintf(line, sizeof(line),
		 "# trace: %s\n# host: %s, %s, %s, TSC %.3f MHz\n"
		 "# backend: %s%s%s%s\n"
		 "# recorded: %s; %.3f s of events: %" PRIu64 " exits, %" PRIu64
		 " samples; lost %" PRIu64 " (ring_full %" PRIu64 ", nested %" PRIu64
		 ", vm_table %" PRIu64 ")\n",
		 rep->in->path, info->hostname, info->host_kernel, info->cpu_model,
		 info->tsc_hz / 1e6, info->backend,
		 info->module_version[0] ? " (vmtrace.ko " : "", info->module_version,
		 info->module_version[0] ? ")" : "",
		 when, duration_s(rep), rep->exits, rep->samples,
		 lost, (uint64_t)rep->lost[0], (uint64_t)rep->lost[1], (uint64_t)rep->lost[2]);
	util_out_str(o, line);
	/* Guest introspection per VM: whether names come, and why not. */
	for (size_t i = 0; i < trace_meta_nr_vms(rep->in->meta); i++) {
		const struct trace_vm_meta *vm = trace_meta_vm_at(rep->in->meta, i);

		if (vm->guest[0] && trace_meta_vm(rep->in->meta, vm->vm_id) == vm) {
			snprintf(line, sizeof(line), "# vm %u guest: %s\n", vm->vm_id,
				 vm->guest);
			util_out_str(o, line);
		}
	}
	if (!rep->timing && rep->exits)
		util_out_str(o, "# exit handling times unknown: exits were filtered when recording\n");
	snprintf(line, sizeof(line), "#\n# %8s %7s %10s %9s %7s %7s %9s %9s %9s %9s  %s\n",
		 "Exits", "Exit%", "Exits/s", "Samples", "Sample%", "Time%", "Min", "Avg",
		 "P99", "Max", by);
	util_out_str(o, line);
}

static void json_header(struct report *rep)
{
	struct util_outbuf *o = rep->out;
	uint64_t lost = 0;

	util_out_str(o, "{\"trace\":");
	util_out_json_str(o, rep->in->path);
	util_out_str(o, ",\"by\":[");
	for (unsigned int i = 0; i < rep->nr_by; i++) {
		if (i)
			util_out_char(o, ',');
		util_out_json_str(o, key_names[rep->by[i]]);
	}
	util_out_str(o, "],\"duration_ns\":");
	util_out_u64(o, rep->last_tsc > rep->first_tsc ?
		trace_meta_cycles_ns(rep->in->meta, rep->last_tsc - rep->first_tsc) : 0);
	util_out_str(o, ",\"exits\":");
	util_out_u64(o, rep->exits);
	util_out_str(o, ",\"samples\":");
	util_out_u64(o, rep->samples);
	util_out_str(o, ",\"lost\":");
	trace_lost_json(o, rep->lost);
	for (int c = 0; c < __VMTRACE_LOST_MAX; c++)
		lost += rep->lost[c];
	util_out_str(o, ",\"lost_total\":");
	util_out_u64(o, lost);
	util_out_str(o, ",\"rows\":[");
}

/*
 * Both sides per VM (--by vm) or per VM and guest process (--by
 * vm,process), from the trace's interval metrics, after the rows: text
 * and CSV as a second table after an empty line, JSON as "both_sides".
 */
static int print_both_sides(struct report *rep)
{
	static const enum view_vm_report_format formats[] = {
		[FORMAT_TEXT] = VIEW_VM_REPORT_TEXT, [FORMAT_CSV] = VIEW_VM_REPORT_CSV,
		[FORMAT_JSON] = VIEW_VM_REPORT_JSON,
	};
	bool by_vm = rep->nr_by == 1 && rep->by[0] == KEY_VM;
	bool by_process = rep->nr_by == 2 && rep->by[0] == KEY_VM && rep->by[1] == KEY_PROCESS;
	char line[160];

	if (!rep->metrics.nr || (!by_vm && !by_process))
		return 0;
	if (rep->format == FORMAT_TEXT) {
		snprintf(line, sizeof(line),
			 "\n# Both sides, from the trace's interval metrics (%zu snapshots):\n",
			 rep->metrics.nr);
		util_out_str(rep->out, line);
	} else {
		util_out_str(rep->out, rep->format == FORMAT_CSV ? "\n" : ",\"both_sides\":");
	}
	util_outbuf_drain(rep->out);
	if (rep->out->err)
		return rep->out->err;
	return view_vm_report_write(rep->out->f, &rep->metrics, formats[rep->format], by_process,
			       rep->top);
}

static int print_report(struct report *rep)
{
	const struct row *path[NR_KEYS];
	uint32_t *leaves = malloc((rep->nr_rows ? rep->nr_rows : 1) * sizeof(*leaves));
	int err;

	if (!leaves)
		return -ENOMEM;
	for (size_t i = 0; i < rep->nr_rows; i++)
		leaves[i] = i;
	sort_rep = rep;
	qsort(leaves, rep->nr_rows, sizeof(*leaves), cmp_leaf);
	if (rep->format == FORMAT_TEXT)
		text_header(rep);
	else if (rep->format == FORMAT_CSV)
		csv_header(rep);
	else
		json_header(rep);
	err = print_level(rep, leaves, 0, rep->nr_rows, 0, path);
	if (rep->format == FORMAT_JSON)
		util_out_str(rep->out, "]");
	if (!err)
		err = print_both_sides(rep);
	if (rep->format == FORMAT_JSON)
		util_out_str(rep->out, "}\n");
	free(leaves);
	return err;
}

static void report_free(struct report *rep)
{
	for (size_t i = 0; i < rep->nr_rows; i++)
		util_hist_free(&rep->rows[i].handling);
	free(rep->rows);
	free(rep->slots);
	for (size_t i = 0; i < rep->nr_symbols; i++)
		free(rep->symbols[i]);
	free(rep->symbols);
	free(rep->sym_slots);
	trace_metrics_series_free(&rep->metrics);
}

/* "vm,exit" -> by[]; false on an unknown or repeated key. */
static bool parse_keys(const char *s, struct report *rep)
{
	char buf[128], *save, *tok;

	if (strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	rep->nr_by = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned int k;

		for (k = 0; k < NR_KEYS && strcmp(tok, key_names[k]); k++)
			;
		if (k == NR_KEYS)
			return false;
		for (unsigned int i = 0; i < rep->nr_by; i++)
			if (rep->by[i] == k)
				return false;
		rep->by[rep->nr_by++] = k;
	}
	return rep->nr_by && s[strlen(s) - 1] != ',' && s[0] != ',' && !strstr(s, ",,");
}

/* --format html: the page of vmreport, from the trace's metrics; none is
 * a usage error (the trace cannot give what was asked), and no file. */
static int write_html(struct report *rep, const char *input, const char *path,
		      const char *const *vm_keys, size_t nr_vm_keys)
{
	if (!rep->metrics.nr) {
		fprintf(stderr, "%s: %s: no interval metrics in this trace (recorded with "
			"--metrics-interval 0, or by an older vmtrace-collect)\n",
			cmd_prog_name, input);
		return CMD_EXIT_USAGE;
	}
	view_vm_report_keep_vms(&rep->metrics, vm_keys, nr_vm_keys);
	return cmd_html_write(&rep->metrics, path);
}

static void report_usage(FILE *f)
{
	fprintf(f,
		"Usage: %s report [-i FILE] [--by KEYS] [--format text|csv|json] [--top N]\n"
		"       %s report [-i FILE] --format html -o OUT.html [--vm KEY]...\n\n"
		"Counts the exits and samples of a trace (default vmtrace.vmt) by KEYS,\n"
		"comma-separated and nested in that order (default: exit):\n"
		"  vm, vcpu, exit, process, thread, symbol\n"
		"with each row's share of all exits and samples, its rate per second and,\n"
		"for exits, the host's handling time (exit to the vCPU's next entry):\n"
		"share of all handling time, min, avg, p99 (within 3%%), max.\n"
		"--top N keeps the N biggest rows at each level.  csv prints the\n"
		"deepest rows only, with every level's key columns; json nests them.\n"
		"A trace with interval metrics (record --metrics-interval): --by vm and\n"
		"--by vm,process add both sides per VM and guest process (hypervisor and\n"
		"guest CPU %%, their gap, memory, flags); html: CPU and memory over time\n"
		"of one VM (KEY: name, UUID, MAC, VMM pid or id:N; else the busiest).\n"
		"See Documentation/vmtrace-collect-report.rst.\n" CMD_HELP_FOOTER,
		cmd_prog_name, cmd_prog_name);
}

/* What the command line asks for besides what @rep keeps (keys, format, --top). */
struct report_args {
	const char *input;
	const char *html_out;		/* --format html's -o */
	const char *vm_keys[64];	/* --format html's --vm */
	size_t nr_vm_keys;
};

/*
 * Parse report's options into @a and @rep (its keys, what they need, its
 * format and --top).  -1 to report, or the exit status to return at once:
 * 0 after --help or --version, CMD_EXIT_USAGE after saying what is wrong.
 */
static int parse_args(int argc, char *argv[], struct report_args *a, struct report *rep)
{
	static const struct option longopts[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "by", required_argument, NULL, 'b' },
		{ "format", required_argument, NULL, 'f' },
		{ "top", required_argument, NULL, 't' },
		{ "output", required_argument, NULL, 'o' },
		{ "vm", required_argument, NULL, 'V' },
		CMD_COMMON_OPTIONS,
		{ 0 }
	};
	const size_t max_vm_keys = sizeof(a->vm_keys) / sizeof(a->vm_keys[0]);
	uint64_t value;
	int opt, ret;

	memset(a, 0, sizeof(*a));
	a->input = "vmtrace.vmt";
	optind = 1;
	while ((opt = cmd_getopt(argc, argv, ":i:o:h", longopts, &ret)) != -1) {
		switch (opt) {
		case 'i':
			a->input = optarg;
			break;
		case 'b':
			if (!parse_keys(optarg, rep))
				return cmd_bad_value("--by", optarg, "keys of vm, vcpu, exit, process, "
						 "thread, symbol, comma-separated, each once");
			break;
		case 'f':
			if (!strcmp(optarg, "text"))
				rep->format = FORMAT_TEXT;
			else if (!strcmp(optarg, "csv"))
				rep->format = FORMAT_CSV;
			else if (!strcmp(optarg, "json"))
				rep->format = FORMAT_JSON;
			else if (!strcmp(optarg, "html"))
				rep->format = FORMAT_HTML;
			else
				return cmd_bad_value("--format", optarg, "text, csv, json or html");
			break;
		case 'o':
			a->html_out = optarg;
			break;
		case 'V':
			if (a->nr_vm_keys == max_vm_keys)
				return cmd_bad_value("--vm", optarg, "at most %zu VMs", max_vm_keys);
			a->vm_keys[a->nr_vm_keys++] = optarg;
			break;
		case 't':
			if (util_parse_u64(optarg, 1, UINT32_MAX, &value))
				return cmd_bad_value("--top", optarg, "not a number of rows from 1 to %u",
						 UINT32_MAX);
			rep->top = value;
			break;
		case 'h':
			report_usage(stdout);
			return 0;
		}
	}
	if (ret >= 0)
		return ret;
	if (optind != argc)
		return cmd_usage_error("%s: unexpected argument", argv[optind]);
	if (rep->format == FORMAT_HTML && !a->html_out)
		return cmd_usage_error("--format html: which file? -o OUT.html");
	if (a->html_out && rep->format != FORMAT_HTML)
		return cmd_usage_error("-o %s: only with --format html (the others print)",
				   a->html_out);
	if (a->nr_vm_keys && rep->format != FORMAT_HTML)
		return cmd_usage_error("--vm %s: only with --format html", a->vm_keys[0]);
	for (unsigned int i = 0; i < rep->nr_by; i++) {
		if (rep->by[i] == KEY_PROCESS || rep->by[i] == KEY_THREAD)
			rep->need |= TRACE_EV_TASK;
		if (rep->by[i] == KEY_SYMBOL)
			rep->need |= TRACE_EV_SYMBOL;
	}
	return -1;
}

/*
 * Every record of @in into @rep's rows, and its interval metrics into
 * rep->metrics: 0, or -errno (the trace could not be read, or no memory).
 */
static int read_trace(struct report *rep, struct trace_input *in)
{
	struct trace_exit_timer *timer;
	struct keytuple last_key;
	struct trace_item it;
	long last_row = -1;
	int err;

	/* The page needs the metrics only: data frames stay compressed. */
	if (rep->format == FORMAT_HTML)
		trace_set_filter(in->reader, 1U << TRACE_ITEM_METRICS);
	rep->timing = !trace_meta_info(in->meta)->nr_exit_filters;
	if (trace_exit_timer_new(&timer))
		return -ENOMEM;
	while ((err = trace_next(in->reader, &it)) > 0) {
		err = 0;
		if (it.type == TRACE_ITEM_METRICS &&
		    trace_metrics_series_add(&rep->metrics, it.metrics)) {
			err = -ENOMEM;
			break;
		}
		if (it.type != TRACE_ITEM_RECORDS)
			continue;
		for (size_t i = 0; i < it.records.n && !err; i++)
			err = account(rep, timer, &it.records.recs[i], &last_row, &last_key);
		in->records += it.records.n;
		if (err)
			break;
	}
	trace_exit_timer_free(timer);
	return err;
}

/* The text, csv or json report on standard output: 0, or 1 after saying why not. */
static int write_report(struct report *rep)
{
	int err;

	util_outbuf_init(rep->out, stdout);
	err = print_report(rep);
	if (util_outbuf_finish(rep->out) && !err)
		err = rep->out->err;
	if (err) {
		fprintf(stderr, "%s: writing the report: %s\n", cmd_prog_name, strerror(-err));
		return 1;
	}
	return 0;
}

int cmd_report(int argc, char *argv[])
{
	static struct util_outbuf out;
	struct report rep = { .nr_by = 1, .by = { KEY_EXIT }, .out = &out };
	struct report_args a;
	struct trace_input in;
	int err, ret;

	ret = parse_args(argc, argv, &a, &rep);
	if (ret >= 0)
		return ret;
	err = cmd_input_open(&in, a.input);
	if (err)
		return cmd_input_status(err);
	rep.in = &in;
	err = read_trace(&rep, &in);
	if (err < 0) {
		fprintf(stderr, "%s: %s: %s\n", cmd_prog_name, a.input, strerror(-err));
		ret = 1;
	} else if ((ret = cmd_input_finish(&in))) {
		/* not one readable frame: said so */
	} else if (rep.format == FORMAT_HTML) {
		ret = write_html(&rep, a.input, a.html_out, a.vm_keys, a.nr_vm_keys);
	} else {
		ret = write_report(&rep);
	}
	report_free(&rep);
	trace_input_close(&in);
	return ret;
}
