// SPDX-License-Identifier: GPL-2.0
/* The resolver chain of trace/symbolize.h. */
#include <errno.h>
#include <stddef.h>
#include "trace/symbolize.h"

#define MAX_SYMBOLIZERS 8

static struct {
	trace_symbolizer_fn fn;
	void *arg;
} symbolizers[MAX_SYMBOLIZERS];
static unsigned int nr_symbolizers;

int trace_symbolizer_register(trace_symbolizer_fn fn, void *arg)
{
	if (nr_symbolizers == MAX_SYMBOLIZERS)
		return -ENOSPC;
	symbolizers[nr_symbolizers].fn = fn;
	symbolizers[nr_symbolizers].arg = arg;
	nr_symbolizers++;
	return 0;
}

bool trace_symbolize_possible(const struct trace_meta *meta)
{
	return nr_symbolizers || trace_meta_has_symbols(meta);
}

bool trace_symbolize(const struct trace_sym_query *q, struct trace_sym_result *res)
{
	const struct trace_symbol_meta *sym;

	for (unsigned int i = nr_symbolizers; i-- > 0;)
		if (symbolizers[i].fn(symbolizers[i].arg, q, res))
			return true;
	sym = trace_meta_symbol(q->meta, q->vm_id, q->rip);
	if (!sym)
		return false;
	res->name = sym->name;
	res->offset = q->rip - sym->start;
	return true;
}
