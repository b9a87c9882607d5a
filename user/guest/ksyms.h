/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel symbol tables: System.map or a copy of /proc/kallsyms in, name ->
 * address and address -> symbol+offset out.
 *
 * Both files have lines "ADDRESS TYPE NAME" (kallsyms adds "\t[module]" for
 * module symbols, which are skipped: their addresses belong to one boot).
 * Every line is bounded and checked; malformed lines are counted and
 * skipped, not fatal, so that a truncated copy still gives what it has.
 */
#ifndef GUEST_KSYMS_H
#define GUEST_KSYMS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define GUEST_KSYM_NAME_MAX 255		/* longer names are refused */
#define GUEST_KSYMS_MAX (8U << 20)	/* symbols per table */

struct guest_ksyms;

struct guest_ksym {
	uint64_t addr;
	char type;		/* System.map type letter: T, t, D, ... */
	const char *name;
};

struct guest_ksyms *guest_ksyms_new(void);
void guest_ksyms_free(struct guest_ksyms *k);

/* Add one symbol; -EINVAL (bad name), -E2BIG (table full), -ENOMEM. */
int guest_ksyms_add(struct guest_ksyms *k, uint64_t addr, char type,
		  const char *name);

/*
 * Parse System.map / kallsyms text from @f, adding every symbol.  Returns
 * the number of lines skipped as malformed (>= 0), or -errno.
 */
long guest_ksyms_parse(struct guest_ksyms *k, FILE *f);

/* Sort after adding; lookups need it.  0 or -ENOMEM. */
int guest_ksyms_finish(struct guest_ksyms *k);

size_t guest_ksyms_count(const struct guest_ksyms *k);
/* The @i-th symbol by address (after finish), or NULL. */
const struct guest_ksym *guest_ksyms_at(const struct guest_ksyms *k, size_t i);

/* The address of @name: 0, or -ENOENT. */
int guest_ksyms_lookup(const struct guest_ksyms *k, const char *name, uint64_t *addr);

/*
 * The code symbol (type t/T/w/W) at or below @addr and @addr's offset in
 * it, or NULL if @addr is below the first one or more than @max_offset
 * past the symbol (then it is most likely not in this table's code).
 * *size (if @size is not NULL): the distance to the next code symbol, 0
 * for the last one.
 */
const struct guest_ksym *guest_ksyms_find_code(const struct guest_ksyms *k,
					   uint64_t addr, uint64_t max_offset,
					   uint64_t *offset, uint64_t *size);

/* Add @delta to every symbol at or above @from (KASLR of a kallsyms copy). */
void guest_ksyms_shift(struct guest_ksyms *k, uint64_t from, uint64_t delta);

/* True for a code symbol's type letter. */
int guest_ksym_is_code(char type);

#endif /* GUEST_KSYMS_H */
