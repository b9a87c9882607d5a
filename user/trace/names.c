// SPDX-License-Identifier: GPL-2.0
/*
 * Exit-reason names.  The tables are the kernel's: <asm/svm.h> and
 * <asm/vmx.h> export SVM_EXIT_REASONS and VMX_EXIT_REASONS as lists of
 * { code, "name" } pairs, the ones `perf kvm stat` and the kvm_exit
 * tracepoint use.  They are small: a linear search costs less than a
 * cache miss, and callers that need speed cache by code.
 */
#include <stdbool.h>
#include <errno.h>
#include <stddef.h>
#include <strings.h>
#include <asm/kvm.h>	/* the exception vectors SVM_EXIT_REASONS uses */
#include <asm/svm.h>
#include <asm/vmx.h>
#include <linux/vmtrace.h>
#include "trace/names.h"

struct exit_name {
	uint32_t code;
	const char *name;
};

/* SVM_EXIT_ERR is -1: the table holds it as 0xffffffff, as records do. */
static const struct exit_name svm_exits[] = { SVM_EXIT_REASONS };
static const struct exit_name vmx_exits[] = { VMX_EXIT_REASONS };

static const char *lookup(const struct exit_name *table, size_t n, uint32_t code)
{
	for (size_t i = 0; i < n; i++)
		if (table[i].code == code)
			return table[i].name;
	return NULL;
}

/* Codes below this have a direct slot in the per-vendor caches. */
#define CACHE_CODES 0x500

static const char *lookup_uncached(unsigned int vendor, uint32_t code)
{
	switch (vendor) {
	case VMTRACE_VENDOR_SVM:
		return lookup(svm_exits, sizeof(svm_exits) / sizeof(svm_exits[0]), code);
	case VMTRACE_VENDOR_VMX:
		/* The basic reason: bits 15:0 (bit 31 flags a failed entry). */
		return lookup(vmx_exits, sizeof(vmx_exits) / sizeof(vmx_exits[0]),
			      code & 0xffff);
	}
	return NULL;
}

/* Readers name every exit of millions: the common codes come from a
 * table filled at the first call. */
const char *trace_exit_name(unsigned int vendor, uint32_t code)
{
	static const char *cache[2][CACHE_CODES];
	static const char unknown[] = "";
	static bool filled;
	const char *name;

	if ((vendor != VMTRACE_VENDOR_SVM && vendor != VMTRACE_VENDOR_VMX) ||
	    code >= CACHE_CODES)
		return lookup_uncached(vendor, code);
	if (!filled) {
		for (uint32_t c = 0; c < CACHE_CODES; c++) {
			name = lookup_uncached(VMTRACE_VENDOR_SVM, c);
			cache[0][c] = name ? name : unknown;
			name = lookup_uncached(VMTRACE_VENDOR_VMX, c);
			cache[1][c] = name ? name : unknown;
		}
		filled = true;
	}
	name = cache[vendor == VMTRACE_VENDOR_VMX][code];
	return name == unknown ? NULL : name;
}

int trace_exit_code(unsigned int vendor, const char *name, uint32_t *code)
{
	const struct exit_name *table = vendor == VMTRACE_VENDOR_VMX ? vmx_exits : svm_exits;
	size_t n = vendor == VMTRACE_VENDOR_VMX ? sizeof(vmx_exits) / sizeof(vmx_exits[0]) :
		   sizeof(svm_exits) / sizeof(svm_exits[0]);

	if (vendor != VMTRACE_VENDOR_SVM && vendor != VMTRACE_VENDOR_VMX)
		return -ENOENT;
	for (size_t i = 0; i < n; i++) {
		if (!strcasecmp(table[i].name, name)) {
			*code = table[i].code;
			return 0;
		}
	}
	return -ENOENT;
}

const char *trace_lost_cause_name(unsigned int cause)
{
	switch (cause) {
	case VMTRACE_LOST_RING_FULL: return "ring_full";
	case VMTRACE_LOST_NESTED: return "nested";
	case VMTRACE_LOST_VM_TABLE: return "vm_table";
	}
	return "unknown";
}
