/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Names of what records carry: VM-exit reasons, from the kernel's own UAPI
 * tables, and the causes of lost records.
 */
#ifndef TRACE_NAMES_H
#define TRACE_NAMES_H

#include <stdint.h>

/*
 * The name of exit @code on @vendor (enum vmtrace_vendor): SVM_EXIT_REASONS
 * ("io", "hlt", "npf", ...) or VMX_EXIT_REASONS ("IO_INSTRUCTION", ...),
 * exactly as the kernel's tracepoints print them.  NULL if the table has
 * no such code or the vendor is unknown.
 */
const char *trace_exit_name(unsigned int vendor, uint32_t code);

/* The code of exit @name on @vendor (case-insensitive): 0 or -ENOENT. */
int trace_exit_code(unsigned int vendor, const char *name, uint32_t *code);

/* "ring_full", "nested", "vm_table" (enum vmtrace_lost_cause), else "unknown". */
const char *trace_lost_cause_name(unsigned int cause);

#endif
