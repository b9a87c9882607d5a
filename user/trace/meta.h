/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A trace's metadata, loaded whole before its records are read: the VMs,
 * the guest tasks, the guest symbols and the TSC/clock pairs, indexed for
 * the lookups that report, script and export make per record.
 */
#ifndef TRACE_META_H
#define TRACE_META_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "trace/trace.h"

struct trace_meta;

/*
 * Read every metadata frame of @r (data frames are skipped without being
 * decompressed), then rewind @r to its first frame with every item
 * selected.  Damage met on the way is counted again by the real pass.
 */
int trace_meta_load(struct trace_reader *r, struct trace_meta **out);
/* An empty index over @info's clock (for traces read without a pre-pass). */
int trace_meta_new(const struct trace_info *info, struct trace_meta **out);
void trace_meta_free(struct trace_meta *m);

/* Add what the pre-pass would have found (for tests and for writers that
 * index as they go). */
int trace_meta_add(struct trace_meta *m, const struct trace_item *item);
/* Sort the indexes after adding: lookups need it. */
void trace_meta_index(struct trace_meta *m);

/* The VM's metadata entry (the last one for that id), or NULL. */
const struct trace_vm_meta *trace_meta_vm(const struct trace_meta *m, uint32_t vm_id);
size_t trace_meta_nr_vms(const struct trace_meta *m);
const struct trace_vm_meta *trace_meta_vm_at(const struct trace_meta *m, size_t i);
/* The end entry, if the trace has one. */
const struct trace_end_meta *trace_meta_end(const struct trace_meta *m);

/*
 * The guest task running under (@vm_id, @cr3) at host TSC @tsc: the task
 * entry for that CR3 with the latest valid_from_tsc <= @tsc, preferring one
 * that names @gs_base to one valid for any GS base.  CR3s compare by page
 * address (PCID bits ignored); if nothing matches, the CR3 with bit 12
 * clear is tried too (a KPTI user page table is the kernel one + 4 KiB).
 * NULL if unknown.
 */
const struct trace_task_meta *trace_meta_task(const struct trace_meta *m, uint32_t vm_id,
					  uint64_t cr3, uint64_t gs_base,
					  uint64_t tsc);
bool trace_meta_has_tasks(const struct trace_meta *m);

/* The symbol entry covering @rip in VM @vm_id's table (or in the table of
 * VM 0, which serves every VM), or NULL.  A symbol of size 0 extends to
 * the next one. */
const struct trace_symbol_meta *trace_meta_symbol(const struct trace_meta *m,
					      uint32_t vm_id, uint64_t rip);
bool trace_meta_has_symbols(const struct trace_meta *m);

/*
 * Host TSC to CLOCK_MONOTONIC (or CLOCK_REALTIME) nanoseconds:
 * interpolated between the trace's TSC/clock pairs (the header's and those
 * of clock entries, at most one a second), extrapolated with the header's
 * TSC frequency before the first and after the last.
 */
uint64_t trace_meta_mono_ns(const struct trace_meta *m, uint64_t tsc);
uint64_t trace_meta_real_ns(const struct trace_meta *m, uint64_t tsc);
/* A TSC interval in nanoseconds, at the header's TSC frequency. */
uint64_t trace_meta_cycles_ns(const struct trace_meta *m, uint64_t cycles);
const struct trace_info *trace_meta_info(const struct trace_meta *m);

#endif
