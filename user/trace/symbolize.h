/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest RIP -> symbol, for report, script and export.
 *
 * Two sources, asked in this order:
 *  1. resolvers registered with trace_symbolizer_register() (guest
 *     introspection plugs in here: kallsyms read from the guest, a
 *     vmlinux, ...), most recently registered first;
 *  2. the trace's own symbol entries (trace_write_symbol()).
 * With neither, every lookup fails fast and the symbol columns stay empty.
 */
#ifndef TRACE_SYMBOLIZE_H
#define TRACE_SYMBOLIZE_H

#include <stdbool.h>
#include <stdint.h>
#include "trace/meta.h"

struct trace_sym_query {
	const struct trace_meta *meta;	/* the trace's metadata */
	uint32_t vm_id;
	uint64_t rip, cr3, gs_base;
	uint64_t tsc;			/* host TSC of the record */
	bool user;			/* guest CPL 3 */
};

struct trace_sym_result {
	const char *name;		/* must stay valid until exit */
	uint64_t offset;		/* rip - symbol start */
};

/* Fill @res and return true if @q->rip is known. */
typedef bool (*trace_symbolizer_fn)(void *arg, const struct trace_sym_query *q,
				  struct trace_sym_result *res);

/* 0, or -ENOSPC beyond 8 resolvers. */
int trace_symbolizer_register(trace_symbolizer_fn fn, void *arg);
bool trace_symbolize(const struct trace_sym_query *q, struct trace_sym_result *res);
/* False if no resolver could ever answer for @meta (skip the lookups). */
bool trace_symbolize_possible(const struct trace_meta *meta);

#endif
