// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: the profile reader on arbitrary text; what it accepts is
 * written back, read again and used to symbolize.
 */
#include <stdio.h>
#include <stdlib.h>
#include "guest/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct guest_profile *p, *q;
	char *buf = NULL, sym[128];
	size_t len = 0;
	FILE *f;

	if (!size)
		return 0;
	f = fmemopen((void *)data, size, "r");
	if (!f)
		return 0;
	if (guest_profile_read(f, data[0] & 1, &p, NULL)) {
		fclose(f);
		return 0;
	}
	fclose(f);
	guest_profile_symbolize(p, 0x1000000, 0xffffffff82000000ULL, sym, sizeof(sym));
	guest_profile_symbolize(p, 0, p->sym[GUEST_SYM_TEXT] + 16, sym, sizeof(sym));
	f = open_memstream(&buf, &len);
	if (f && !guest_profile_write(f, p)) {
		fclose(f);
		f = fmemopen(buf, len, "r");
		/* Written by us: it must read back. */
		if (!f || guest_profile_read(f, 0, &q, NULL))
			__builtin_trap();
		guest_profile_free(q);
	}
	if (f)
		fclose(f);
	free(buf);
	guest_profile_free(p);
	return 0;
}
