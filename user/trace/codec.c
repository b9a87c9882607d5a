// SPDX-License-Identifier: GPL-2.0
/*
 * The payload codecs of .vmt frames: records in column blocks, and the
 * metadata entries.
 *
 * A block stores each field of struct vmtrace_record as its own column,
 * so that zstd sees long runs of alike bytes.  Fields that repeat from one
 * event of a vCPU to the next are stored as the difference from the
 * previous record of the same context: the exit reason and VMM pid per
 * (kind, VM, vCPU); RIP, CR3, GS base and the guest TSC (relative to the
 * host TSC) per (kind, VM, vCPU, exit reason), since an exit for the same
 * reason is often at the same place.  An exit storm at one RIP stores
 * zeros there.  The host TSC is stored relative to the vCPU's previous
 * record, less entry_delta: for an exit, the handling time of the vCPU's
 * previous exit.  Signed differences are zigzagged.
 *
 * Columns of small values are LEB128 varints.  Time and address columns
 * are split in planes instead: the low byte of every value, then the
 * second byte, then the rest as a varint, each plane contiguous.  Their
 * low bytes are noise and their high bytes nearly constant; kept apart,
 * zstd's entropy coder sees each distribution on its own (the writer
 * starts a new zstd block at each large plane, see trace_block_encode()),
 * where varint bytes of all positions mixed would cost it bits.
 *
 * Block layout: varint n; varint nr_planes; a varint length per plane;
 * the planes, in the order of the column table below.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "trace/format.h"

enum field {
	F_KIND, F_VENDOR, F_MODE, F_FLAGS, F_HOST_CPU, F_VM_ID, F_VCPU,
	F_HOST_TSC, F_ENTRY_DELTA, F_EXIT_REASON, F_VMM_PID, F_RIP, F_CR3,
	F_GS_BASE, F_GUEST_TSC,
};

/* How a column's values derive from the records. */
enum codec {
	C_PLAIN,	/* the value */
	C_PLUS_ONE,	/* value + 1 (mod 2^32): UNKNOWN entry_delta is 0 */
	C_DELTA_VCPU,	/* zigzag(value - previous value in the vCPU context) */
	C_DELTA_SITE,	/* zigzag(value - previous value in the site context) */
	C_TSC,		/* the host TSC: see tsc_base() */
};

/* How a column's values are laid out in bytes. */
enum layout {
	L_BYTE,		/* one plane, one byte per value */
	L_VARINT,	/* one plane of LEB128 */
	L_SPLIT,	/* three planes: byte 0, byte 1, varint(value >> 16) */
};

static const struct column {
	enum field field;
	enum codec codec;
	enum layout layout;
	uint64_t max;		/* largest valid decoded value */
} columns[] = {
	{ F_KIND,	 C_PLAIN,	L_BYTE,   0xff },
	{ F_VENDOR,	 C_PLAIN,	L_BYTE,   0xff },
	{ F_MODE,	 C_PLAIN,	L_BYTE,   0xff },
	{ F_FLAGS,	 C_PLAIN,	L_BYTE,   0xff },
	{ F_HOST_CPU,	 C_PLAIN,	L_VARINT, 0xffff },
	{ F_VM_ID,	 C_PLAIN,	L_VARINT, 0xffffffff },
	{ F_VCPU,	 C_PLAIN,	L_VARINT, 0xffff },
	{ F_ENTRY_DELTA, C_PLUS_ONE,	L_SPLIT,  0xffffffff },
	/* After F_ENTRY_DELTA, which it uses. */
	{ F_HOST_TSC,	 C_TSC,		L_SPLIT,  UINT64_MAX },
	{ F_EXIT_REASON, C_DELTA_VCPU,	L_VARINT, 0xffffffff },
	{ F_VMM_PID,	 C_DELTA_VCPU,	L_VARINT, 0xffffffff },
	/* After F_EXIT_REASON, part of their context's key. */
	{ F_RIP,	 C_DELTA_SITE,	L_SPLIT,  UINT64_MAX },
	{ F_CR3,	 C_DELTA_SITE,	L_VARINT, UINT64_MAX },
	{ F_GS_BASE,	 C_DELTA_SITE,	L_VARINT, UINT64_MAX },
	/* After F_HOST_TSC: stored relative to the host TSC. */
	{ F_GUEST_TSC,	 C_DELTA_SITE,	L_SPLIT,  UINT64_MAX },
};

#define NR_COLUMNS (sizeof(columns) / sizeof(columns[0]))

static unsigned int layout_planes(enum layout l)
{
	return l == L_SPLIT ? 3 : 1;
}

/*
 * The previous value of one column per context, in a hash table of
 * CTX_SLOTS slots probed CTX_WAYS deep: a context that finds its ways full
 * takes over the first one, restarting at 0.  The encoder and the decoder
 * make the same moves, so they agree.
 */
#define CTX_SLOTS 2048
#define CTX_WAYS 4

struct ctx_slot {
	uint64_t key;		/* context key + 1; 0: empty */
	uint64_t prev;
};

/* The vCPU context: (kind, VM, vCPU). */
static inline uint64_t vcpu_key(const struct vmtrace_record *r)
{
	return ((uint64_t)r->vm_id << 24 | (uint64_t)r->vcpu << 8 | r->kind) + 1;
}

/* The site context: the vCPU's, and the exit reason. */
static inline uint64_t site_key(const struct vmtrace_record *r)
{
	return (vcpu_key(r) * 0x100000001b3ull ^ r->exit_reason) | 1;
}

static inline uint64_t ctx_key(const struct vmtrace_record *r, enum codec codec)
{
	return codec == C_DELTA_SITE ? site_key(r) : vcpu_key(r);
}

static inline uint64_t *ctx_prev(struct ctx_slot *tab, uint64_t key)
{
	size_t i = (key * 0x9e3779b97f4a7c15ull) >> 53, w;
	struct ctx_slot *s;

	for (w = 0; w < CTX_WAYS; w++) {
		s = &tab[(i + w) & (CTX_SLOTS - 1)];
		if (s->key == key)
			return &s->prev;
		if (!s->key)
			break;
	}
	if (w == CTX_WAYS)
		s = &tab[i];
	s->key = key;
	s->prev = 0;
	return &s->prev;
}

/*
 * The host TSC is stored relative to the vCPU context's previous record,
 * less the record's entry_delta when it has one: for an exit that is the
 * handling time of the vCPU's previous exit, which repeats far more than
 * the gap to whichever vCPU's record came before.
 */
static inline uint64_t tsc_base(const struct vmtrace_record *r)
{
	return r->entry_delta != VMTRACE_ENTRY_DELTA_UNKNOWN ? r->entry_delta : 0;
}

static inline uint64_t field_get(const struct vmtrace_record *r, enum field f)
{
	switch (f) {
	case F_KIND: return r->kind;
	case F_VENDOR: return r->vendor;
	case F_MODE: return r->mode;
	case F_FLAGS: return r->flags;
	case F_HOST_CPU: return r->host_cpu;
	case F_VM_ID: return r->vm_id;
	case F_VCPU: return r->vcpu;
	case F_HOST_TSC: return r->host_tsc;
	case F_ENTRY_DELTA: return r->entry_delta;
	case F_EXIT_REASON: return r->exit_reason;
	case F_VMM_PID: return r->vmm_pid;
	case F_RIP: return r->u.g.guest_rip;
	case F_CR3: return r->u.g.guest_cr3;
	case F_GS_BASE: return r->u.g.guest_gs_base;
	case F_GUEST_TSC: return r->guest_tsc - r->host_tsc;
	}
	return 0;
}

static inline void field_set(struct vmtrace_record *r, enum field f, uint64_t v)
{
	switch (f) {
	case F_KIND: r->kind = v; break;
	case F_VENDOR: r->vendor = v; break;
	case F_MODE: r->mode = v; break;
	case F_FLAGS: r->flags = v; break;
	case F_HOST_CPU: r->host_cpu = v; break;
	case F_VM_ID: r->vm_id = v; break;
	case F_VCPU: r->vcpu = v; break;
	case F_HOST_TSC: r->host_tsc = v; break;
	case F_ENTRY_DELTA: r->entry_delta = v; break;
	case F_EXIT_REASON: r->exit_reason = v; break;
	case F_VMM_PID: r->vmm_pid = v; break;
	case F_RIP: r->u.g.guest_rip = v; break;
	case F_CR3: r->u.g.guest_cr3 = v; break;
	case F_GS_BASE: r->u.g.guest_gs_base = v; break;
	case F_GUEST_TSC: r->guest_tsc = r->host_tsc + v; break;
	}
}

/* The column's stored values, in @vals. */
static void column_values(const struct column *col, const struct vmtrace_record *recs,
			  size_t n, uint64_t *vals)
{
	static __thread struct ctx_slot ctx[CTX_SLOTS];
	size_t i;

	memset(ctx, 0, sizeof(ctx));
	for (i = 0; i < n; i++) {
		uint64_t v = field_get(&recs[i], col->field), *p;

		switch (col->codec) {
		case C_PLAIN:
			break;
		case C_PLUS_ONE:
			v = (uint32_t)(v + 1);
			break;
		case C_TSC:
		case C_DELTA_VCPU:
		case C_DELTA_SITE:
			p = ctx_prev(ctx, ctx_key(&recs[i], col->codec));
			if (col->codec == C_TSC)
				*p += tsc_base(&recs[i]);
			v -= *p;
			*p += v;
			v = util_zigzag((int64_t)v);
			break;
		}
		vals[i] = v;
	}
}

void trace_block_encode(struct util_buf *out, const struct vmtrace_record *recs,
		      size_t n, struct trace_block_planes *planes)
{
	static __thread struct util_buf plane[TRACE_MAX_PLANES];
	static __thread uint64_t *vals;
	static __thread size_t vals_cap;
	size_t c, p, nr = 0;

	if (vals_cap < n) {
		uint64_t *v = realloc(vals, n * sizeof(*v));

		if (!v) {
			out->oom = true;
			return;
		}
		vals = v;
		vals_cap = n;
	}
	for (c = 0; c < NR_COLUMNS; c++) {
		const struct column *col = &columns[c];
		struct util_buf *pl = &plane[nr];

		for (p = 0; p < layout_planes(col->layout); p++)
			util_buf_reset(&pl[p]);
		column_values(col, recs, n, vals);
		for (size_t i = 0; i < n; i++) {
			uint64_t v = vals[i];

			switch (col->layout) {
			case L_BYTE:
				util_put_u8(&pl[0], v);
				break;
			case L_VARINT:
				util_put_varint(&pl[0], v);
				break;
			case L_SPLIT:
				util_put_u8(&pl[0], v);
				util_put_u8(&pl[1], v >> 8);
				util_put_varint(&pl[2], v >> 16);
				break;
			}
		}
		nr += layout_planes(col->layout);
	}
	util_put_varint(out, n);
	util_put_varint(out, nr);
	for (p = 0; p < nr; p++)
		util_put_varint(out, plane[p].len);
	planes->nr = nr;
	for (p = 0; p < nr; p++) {
		if (plane[p].oom)
			out->oom = true;
		util_put_bytes(out, plane[p].data, plane[p].len);
		planes->end[p] = out->len;
	}
}

/* Decode one plane-set column into recs. */
static int decode_column(struct util_cursor *pl, const struct column *col,
			 struct vmtrace_record *recs, size_t n)
{
	static __thread struct ctx_slot ctx[CTX_SLOTS];
	uint64_t v = 0, *p;
	size_t i;

	memset(ctx, 0, sizeof(ctx));
	for (i = 0; i < n; i++) {
		switch (col->layout) {
		case L_BYTE:
			v = util_get_u8(&pl[0]);
			break;
		case L_VARINT:
			v = util_get_varint(&pl[0]);
			break;
		case L_SPLIT:
			v = util_get_u8(&pl[0]);
			v |= (uint64_t)util_get_u8(&pl[1]) << 8;
			v |= util_get_varint_max(&pl[2], UINT64_MAX >> 16) << 16;
			break;
		}
		/* Keys and bases come from columns decoded already. */
		switch (col->codec) {
		case C_PLAIN:
			break;
		case C_PLUS_ONE:
			if (v > 0xffffffff)
				return -EBADMSG;
			v = (uint32_t)(v - 1);
			break;
		case C_TSC:
			p = ctx_prev(ctx, vcpu_key(&recs[i]));
			*p += tsc_base(&recs[i]);
			v = *p + (uint64_t)util_unzigzag(v);
			*p = v;
			break;
		case C_DELTA_VCPU:
		case C_DELTA_SITE:
			p = ctx_prev(ctx, ctx_key(&recs[i], col->codec));
			v = *p + (uint64_t)util_unzigzag(v);
			*p = v;
			break;
		}
		if (v > col->max)
			return -EBADMSG;
		field_set(&recs[i], col->field, v);
	}
	for (unsigned int k = 0; k < layout_planes(col->layout); k++)
		if (pl[k].bad || util_cursor_left(&pl[k]))
			return -EBADMSG;
	return 0;
}

int trace_block_decode(const void *data, size_t len, struct vmtrace_record *recs,
		     size_t n)
{
	struct util_cursor in = util_cursor(data, len), planes[TRACE_MAX_PLANES];
	uint64_t lengths[TRACE_MAX_PLANES], nr_planes = 0;
	size_t c, p = 0;
	int err;

	for (c = 0; c < NR_COLUMNS; c++)
		nr_planes += layout_planes(columns[c].layout);
	if (util_get_varint(&in) != n || util_get_varint(&in) != nr_planes)
		return -EBADMSG;
	for (p = 0; p < nr_planes; p++)
		lengths[p] = util_get_varint(&in);
	for (p = 0; p < nr_planes; p++)
		planes[p] = util_get_sub(&in, lengths[p]);
	if (in.bad || util_cursor_left(&in))
		return -EBADMSG;
	memset(recs, 0, n * sizeof(*recs));
	for (c = 0, p = 0; c < NR_COLUMNS; c++) {
		err = decode_column(&planes[p], &columns[c], recs, n);
		if (err)
			return err;
		p += layout_planes(columns[c].layout);
	}
	return 0;
}

/* ---- metadata entries ---- */

/* Append type, length and body (built in @body). */
static void put_entry(struct util_buf *b, unsigned int type, struct util_buf *body)
{
	if (body->oom)
		b->oom = true;
	util_put_u8(b, type);
	util_put_varint(b, body->len);
	util_put_bytes(b, body->data, body->len);
}

static __thread struct util_buf entry_body;

void trace_entry_encode_vm(struct util_buf *b, const struct trace_vm_meta *vm)
{
	struct util_buf *e = &entry_body;
	uint32_t i, nr = vm->nr_macs < TRACE_MAX_MACS ? vm->nr_macs : TRACE_MAX_MACS;

	util_buf_reset(e);
	util_put_varint(e, vm->vm_id);
	util_put_varint(e, vm->vmm_pid);
	util_put_varint(e, vm->vendor);
	util_put_varint(e, vm->nr_vcpus);
	util_put_varint(e, vm->seen_tsc);
	util_put_str(e, vm->comm);
	util_put_str(e, vm->name);
	util_put_str(e, vm->uuid);
	util_put_varint(e, nr);
	for (i = 0; i < nr; i++)
		util_put_str(e, vm->macs[i]);
	util_put_str(e, vm->guest);
	put_entry(b, TRACE_ENTRY_VM, e);
}

void trace_entry_encode_task(struct util_buf *b, const struct trace_task_meta *t)
{
	struct util_buf *e = &entry_body;

	util_buf_reset(e);
	util_put_varint(e, t->vm_id);
	util_put_varint(e, t->pid);
	util_put_varint(e, t->tid);
	util_put_varint(e, t->cr3);
	util_put_varint(e, t->gs_base);
	util_put_varint(e, t->valid_from_tsc);
	util_put_str(e, t->comm);
	util_put_str(e, t->thread_comm);
	put_entry(b, TRACE_ENTRY_TASK, e);
}

void trace_entry_encode_symbol(struct util_buf *b, const struct trace_symbol_meta *s)
{
	struct util_buf *e = &entry_body;

	util_buf_reset(e);
	util_put_varint(e, s->vm_id);
	util_put_varint(e, s->start);
	util_put_varint(e, s->size);
	util_put_str(e, s->name);
	put_entry(b, TRACE_ENTRY_SYMBOL, e);
}

void trace_entry_encode_clock(struct util_buf *b, const struct trace_clock_pair *c)
{
	struct util_buf *e = &entry_body;

	util_buf_reset(e);
	util_put_varint(e, c->tsc);
	util_put_varint(e, c->mono_ns);
	util_put_varint(e, c->real_ns);
	put_entry(b, TRACE_ENTRY_CLOCK, e);
}

void trace_entry_encode_end(struct util_buf *b, const struct trace_end_meta *end)
{
	struct util_buf *e = &entry_body;
	int i;

	util_buf_reset(e);
	util_put_varint(e, end->end_tsc);
	util_put_varint(e, end->records);
	util_put_varint(e, __VMTRACE_LOST_MAX);
	for (i = 0; i < __VMTRACE_LOST_MAX; i++)
		util_put_varint(e, end->lost[i]);
	util_put_u8(e, end->have_module_totals);
	util_put_varint(e, end->produced);
	util_put_varint(e, end->drained);
	util_put_varint(e, end->module_lost);
	put_entry(b, TRACE_ENTRY_END, e);
}

int trace_entry_decode(unsigned int type, struct util_cursor *in, struct trace_item *item)
{
	uint64_t i, nr;

	memset(item, 0, sizeof(*item));
	switch (type) {
	case TRACE_ENTRY_VM: {
		struct trace_vm_meta *vm = &item->vm;

		item->type = TRACE_ITEM_VM;
		vm->vm_id = util_get_varint_max(in, UINT32_MAX);
		vm->vmm_pid = util_get_varint_max(in, UINT32_MAX);
		vm->vendor = util_get_varint_max(in, UINT32_MAX);
		vm->nr_vcpus = util_get_varint_max(in, UINT32_MAX);
		vm->seen_tsc = util_get_varint(in);
		util_get_str(in, vm->comm, sizeof(vm->comm));
		util_get_str(in, vm->name, sizeof(vm->name));
		util_get_str(in, vm->uuid, sizeof(vm->uuid));
		nr = util_get_varint_max(in, TRACE_MAX_MACS);
		for (i = 0; i < nr; i++)
			util_get_str(in, vm->macs[i], sizeof(vm->macs[i]));
		vm->nr_macs = nr;
		/* Appended later: older traces end here. */
		if (util_cursor_left(in))
			util_get_str(in, vm->guest, sizeof(vm->guest));
		break;
	}
	case TRACE_ENTRY_TASK: {
		struct trace_task_meta *t = &item->task;

		item->type = TRACE_ITEM_TASK;
		t->vm_id = util_get_varint_max(in, UINT32_MAX);
		t->pid = util_get_varint_max(in, UINT32_MAX);
		t->tid = util_get_varint_max(in, UINT32_MAX);
		t->cr3 = util_get_varint(in);
		t->gs_base = util_get_varint(in);
		t->valid_from_tsc = util_get_varint(in);
		util_get_str(in, t->comm, sizeof(t->comm));
		/* Appended later: older traces end here. */
		if (util_cursor_left(in))
			util_get_str(in, t->thread_comm, sizeof(t->thread_comm));
		break;
	}
	case TRACE_ENTRY_SYMBOL: {
		struct trace_symbol_meta *s = &item->symbol;

		item->type = TRACE_ITEM_SYMBOL;
		s->vm_id = util_get_varint_max(in, UINT32_MAX);
		s->start = util_get_varint(in);
		s->size = util_get_varint(in);
		util_get_str(in, s->name, sizeof(s->name));
		break;
	}
	case TRACE_ENTRY_CLOCK:
		item->type = TRACE_ITEM_CLOCK;
		item->clock.tsc = util_get_varint(in);
		item->clock.mono_ns = util_get_varint(in);
		item->clock.real_ns = util_get_varint(in);
		break;
	case TRACE_ENTRY_END: {
		struct trace_end_meta *e = &item->end;

		item->type = TRACE_ITEM_END;
		e->end_tsc = util_get_varint(in);
		e->records = util_get_varint(in);
		nr = util_get_varint_max(in, 64);
		for (i = 0; i < nr; i++) {
			uint64_t v = util_get_varint(in);

			if (i < __VMTRACE_LOST_MAX)
				e->lost[i] = v;
		}
		e->have_module_totals = util_get_u8(in);
		e->produced = util_get_varint(in);
		e->drained = util_get_varint(in);
		e->module_lost = util_get_varint(in);
		break;
	}
	default:
		return 0;
	}
	return in->bad ? -EBADMSG : 1;
}
