// SPDX-License-Identifier: GPL-2.0
/*
 * The metadata index of a trace: sorted arrays and binary searches.
 * Tables are built once by trace_meta_load() and read-only afterwards, but
 * for the clock's cached segment.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "trace/meta.h"

#define CR3_ADDR_MASK 0x000ffffffffff000ull
#define KPTI_USER_BIT (1ull << 12)

struct symbol {
	uint32_t vm_id;
	uint64_t start, end;	/* end: UINT64_MAX until the next symbol */
	struct trace_symbol_meta *meta;
};

struct trace_meta {
	struct trace_info info;
	struct trace_vm_meta *vms;
	size_t nr_vms, cap_vms;
	struct trace_task_meta *tasks;
	size_t nr_tasks, cap_tasks;
	struct symbol *syms;
	size_t nr_syms, cap_syms;
	struct trace_clock_pair *clocks;
	size_t nr_clocks, cap_clocks;
	size_t clock_hint;		/* segment of the last conversion */
	struct trace_end_meta end;
	bool have_end;
};

/* Append one element to a growable array. */
static int grow(void **arr, size_t *nr, size_t *cap, size_t size)
{
	if (*nr == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		void *p = realloc(*arr, ncap * size);

		if (!p)
			return -ENOMEM;
		*arr = p;
		*cap = ncap;
	}
	(*nr)++;
	return 0;
}

int trace_meta_new(const struct trace_info *info, struct trace_meta **out)
{
	struct trace_meta *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->info = *info;
	if (grow((void **)&m->clocks, &m->nr_clocks, &m->cap_clocks, sizeof(*m->clocks))) {
		free(m);
		return -ENOMEM;
	}
	m->clocks[0] = info->clock;
	*out = m;
	return 0;
}

void trace_meta_free(struct trace_meta *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nr_syms; i++)
		free(m->syms[i].meta);
	free(m->syms);
	free(m->vms);
	free(m->tasks);
	free(m->clocks);
	free(m);
}

int trace_meta_add(struct trace_meta *m, const struct trace_item *it)
{
	switch (it->type) {
	case TRACE_ITEM_VM:
		if (grow((void **)&m->vms, &m->nr_vms, &m->cap_vms, sizeof(*m->vms)))
			return -ENOMEM;
		m->vms[m->nr_vms - 1] = it->vm;
		break;
	case TRACE_ITEM_TASK:
		if (grow((void **)&m->tasks, &m->nr_tasks, &m->cap_tasks, sizeof(*m->tasks)))
			return -ENOMEM;
		m->tasks[m->nr_tasks - 1] = it->task;
		m->tasks[m->nr_tasks - 1].cr3 &= CR3_ADDR_MASK;
		break;
	case TRACE_ITEM_SYMBOL: {
		struct trace_symbol_meta *copy = malloc(sizeof(*copy));

		if (!copy || grow((void **)&m->syms, &m->nr_syms, &m->cap_syms,
				  sizeof(*m->syms))) {
			free(copy);
			return -ENOMEM;
		}
		*copy = it->symbol;
		m->syms[m->nr_syms - 1] = (struct symbol){
			.vm_id = copy->vm_id,
			.start = copy->start,
			.end = copy->size ? copy->start + copy->size : UINT64_MAX,
			.meta = copy,
		};
		break;
	}
	case TRACE_ITEM_CLOCK:
		if (grow((void **)&m->clocks, &m->nr_clocks, &m->cap_clocks,
			 sizeof(*m->clocks)))
			return -ENOMEM;
		m->clocks[m->nr_clocks - 1] = it->clock;
		break;
	case TRACE_ITEM_END:
		m->end = it->end;
		m->have_end = true;
		break;
	case TRACE_ITEM_RECORDS:
	case TRACE_ITEM_METRICS:		/* the reports' own, read with the records */
		break;
	}
	return 0;
}

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_task(const void *pa, const void *pb)
{
	const struct trace_task_meta *a = pa, *b = pb;

	return cmp_u64(a->vm_id, b->vm_id) ?: cmp_u64(a->cr3, b->cr3) ?:
	       cmp_u64(a->gs_base, b->gs_base) ?:
	       cmp_u64(a->valid_from_tsc, b->valid_from_tsc);
}

static int cmp_symbol(const void *pa, const void *pb)
{
	const struct symbol *a = pa, *b = pb;

	return cmp_u64(a->vm_id, b->vm_id) ?: cmp_u64(a->start, b->start);
}

static int cmp_clock(const void *pa, const void *pb)
{
	const struct trace_clock_pair *a = pa, *b = pb;

	return cmp_u64(a->tsc, b->tsc);
}

void trace_meta_index(struct trace_meta *m)
{
	size_t i, kept;

	/* Stable for equal keys: a later entry wins (qsort is not stable,
	 * but equal keys are the same task, so either will do). */
	/* (qsort may not be given NULL, even for no elements) */
	if (m->nr_tasks)
		qsort(m->tasks, m->nr_tasks, sizeof(*m->tasks), cmp_task);
	if (m->nr_syms)
		qsort(m->syms, m->nr_syms, sizeof(*m->syms), cmp_symbol);
	for (i = 0; i + 1 < m->nr_syms; i++)
		if (m->syms[i].end == UINT64_MAX && m->syms[i + 1].vm_id == m->syms[i].vm_id)
			m->syms[i].end = m->syms[i + 1].start;

	/* Clock pairs: sorted, at least 100 ms apart (closer ones would
	 * give noisy slopes), and the clocks must not run backwards. */
	qsort(m->clocks, m->nr_clocks, sizeof(*m->clocks), cmp_clock);
	for (i = 1, kept = 1; i < m->nr_clocks; i++) {
		const struct trace_clock_pair *prev = &m->clocks[kept - 1], *c = &m->clocks[i];

		if (c->tsc - prev->tsc < m->info.tsc_hz / 10 || c->mono_ns <= prev->mono_ns)
			continue;
		m->clocks[kept++] = *c;
	}
	m->nr_clocks = kept;
	m->clock_hint = 0;
}

int trace_meta_load(struct trace_reader *r, struct trace_meta **out)
{
	struct trace_meta *m;
	struct trace_item it;
	int err;

	err = trace_meta_new(trace_info(r), &m);
	if (err)
		return err;
	/* Interval metrics are not needed to read records: not parsed here. */
	trace_set_filter(r, TRACE_ITEMS_META & ~(1U << TRACE_ITEM_METRICS));
	while ((err = trace_next(r, &it)) > 0) {
		err = trace_meta_add(m, &it);
		if (err)
			break;
	}
	trace_set_filter(r, TRACE_ITEMS_ALL);
	if (!err)
		err = trace_rewind(r);
	if (err) {
		trace_meta_free(m);
		return err;
	}
	trace_meta_index(m);
	*out = m;
	return 0;
}

const struct trace_vm_meta *trace_meta_vm(const struct trace_meta *m, uint32_t vm_id)
{
	/* Few VMs: the last entry for the id wins. */
	for (size_t i = m->nr_vms; i-- > 0;)
		if (m->vms[i].vm_id == vm_id)
			return &m->vms[i];
	return NULL;
}

size_t trace_meta_nr_vms(const struct trace_meta *m)
{
	return m->nr_vms;
}

const struct trace_vm_meta *trace_meta_vm_at(const struct trace_meta *m, size_t i)
{
	return i < m->nr_vms ? &m->vms[i] : NULL;
}

const struct trace_end_meta *trace_meta_end(const struct trace_meta *m)
{
	return m->have_end ? &m->end : NULL;
}

bool trace_meta_has_tasks(const struct trace_meta *m)
{
	return m->nr_tasks;
}

/* The task with the exact key and the latest valid_from <= tsc. */
static const struct trace_task_meta *task_find(const struct trace_meta *m, uint32_t vm_id,
					     uint64_t cr3, uint64_t gs_base, uint64_t tsc)
{
	struct trace_task_meta key = {
		.vm_id = vm_id, .cr3 = cr3, .gs_base = gs_base, .valid_from_tsc = tsc,
	};
	size_t lo = 0, hi = m->nr_tasks;
	const struct trace_task_meta *t;

	/* The first entry greater than key; the one before is the candidate. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cmp_task(&m->tasks[mid], &key) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	t = &m->tasks[lo - 1];
	if (t->vm_id != vm_id || t->cr3 != cr3 || t->gs_base != gs_base)
		return NULL;
	return t;
}

const struct trace_task_meta *trace_meta_task(const struct trace_meta *m, uint32_t vm_id,
					  uint64_t cr3, uint64_t gs_base, uint64_t tsc)
{
	const struct trace_task_meta *t = NULL;
	uint64_t page = cr3 & CR3_ADDR_MASK;

	if (!m->nr_tasks)
		return NULL;
	for (int kpti = 0; kpti < 2 && !t; kpti++) {
		if (kpti) {
			if (!(page & KPTI_USER_BIT))
				break;
			page &= ~KPTI_USER_BIT;
		}
		if (gs_base)
			t = task_find(m, vm_id, page, gs_base, tsc);
		if (!t)
			t = task_find(m, vm_id, page, 0, tsc);
	}
	return t;
}

bool trace_meta_has_symbols(const struct trace_meta *m)
{
	return m->nr_syms;
}

static const struct trace_symbol_meta *symbol_find(const struct trace_meta *m, uint32_t vm_id,
						 uint64_t rip)
{
	size_t lo = 0, hi = m->nr_syms;
	const struct symbol *s;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct symbol *x = &m->syms[mid];

		if (x->vm_id < vm_id || (x->vm_id == vm_id && x->start <= rip))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	s = &m->syms[lo - 1];
	return s->vm_id == vm_id && rip >= s->start && rip < s->end ? s->meta : NULL;
}

const struct trace_symbol_meta *trace_meta_symbol(const struct trace_meta *m, uint32_t vm_id,
					      uint64_t rip)
{
	const struct trace_symbol_meta *s;

	if (!m->nr_syms)
		return NULL;
	s = symbol_find(m, vm_id, rip);
	return s || !vm_id ? s : symbol_find(m, 0, rip);
}

/* a * b / c without overflow (c > 0). */
static uint64_t mul_div(uint64_t a, uint64_t b, uint64_t c)
{
	return (unsigned __int128)a * b / c;
}

/* ns of @tsc on CLOCK_REALTIME if @real, else CLOCK_MONOTONIC. */
static uint64_t convert(struct trace_meta *m, uint64_t tsc, bool real)
{
	const struct trace_clock_pair *c = m->clocks, *a, *b;
	size_t i = m->clock_hint, n = m->nr_clocks;
	uint64_t base;

	/* The segment [i, i + 1] holding tsc: usually the last one used. */
	if (!(c[i].tsc <= tsc && (i + 1 == n || tsc < c[i + 1].tsc))) {
		size_t lo = 0, hi = n;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (c[mid].tsc <= tsc)
				lo = mid + 1;
			else
				hi = mid;
		}
		i = lo ? lo - 1 : 0;
		m->clock_hint = i;
	}
	a = &c[i];
	base = real ? a->real_ns : a->mono_ns;
	if (tsc < a->tsc)	/* before the first pair */
		return base - mul_div(a->tsc - tsc, 1000000000ull, m->info.tsc_hz);
	if (i + 1 == n)		/* after the last pair */
		return base + mul_div(tsc - a->tsc, 1000000000ull, m->info.tsc_hz);
	b = &c[i + 1];
	if (real && b->real_ns < a->real_ns)	/* the wall clock was set back */
		return base + mul_div(tsc - a->tsc, 1000000000ull, m->info.tsc_hz);
	return base + mul_div(tsc - a->tsc, real ? b->real_ns - a->real_ns :
			      b->mono_ns - a->mono_ns, b->tsc - a->tsc);
}

uint64_t trace_meta_mono_ns(const struct trace_meta *m, uint64_t tsc)
{
	return convert((struct trace_meta *)m, tsc, false);
}

uint64_t trace_meta_real_ns(const struct trace_meta *m, uint64_t tsc)
{
	return convert((struct trace_meta *)m, tsc, true);
}

uint64_t trace_meta_cycles_ns(const struct trace_meta *m, uint64_t cycles)
{
	return mul_div(cycles, 1000000000ull, m->info.tsc_hz);
}

const struct trace_info *trace_meta_info(const struct trace_meta *m)
{
	return &m->info;
}
