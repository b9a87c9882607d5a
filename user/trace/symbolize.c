// SPDX-License-Identifier: GPL-2.0
/* The resolver chain of trace/symbolize.h. */
#include <errno.h>
#include <stddef.h>
#include "trace/symbolize.h"

#define MAX_SYMBOLIZERS 8

static struct {
	vmt_symbolizer_fn fn;
	void *arg;
} symbolizers[MAX_SYMBOLIZERS];
static unsigned int nr_symbolizers;

int vmt_symbolizer_register(vmt_symbolizer_fn fn, void *arg)
{
	if (nr_symbolizers == MAX_SYMBOLIZERS)
		return -ENOSPC;
	symbolizers[nr_symbolizers].fn = fn;
	symbolizers[nr_symbolizers].arg = arg;
	nr_symbolizers++;
	return 0;
}

bool vmt_symbolize_possible(const struct vmt_meta *meta)
{
	return nr_symbolizers || vmt_meta_has_symbols(meta);
}

bool vmt_symbolize(const struct vmt_sym_query *q, struct vmt_sym_result *res)
{
	const struct vmt_symbol_meta *sym;

	for (unsigned int i = nr_symbolizers; i-- > 0;)
		if (symbolizers[i].fn(symbolizers[i].arg, q, res))
			return true;
	sym = vmt_meta_symbol(q->meta, q->vm_id, q->rip);
	if (!sym)
		return false;
	res->name = sym->name;
	res->offset = q->rip - sym->start;
	return true;
}
