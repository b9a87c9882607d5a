// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include "rawfile.h"

int vmt_raw_write_header(FILE *f, uint32_t tsc_khz)
{
	struct vmt_raw_header h = {
		.format_version = VMTRACE_FORMAT_VERSION,
		.record_size = VMTRACE_RECORD_SIZE,
		.tsc_khz = tsc_khz,
	};

	memcpy(h.magic, VMT_RAW_MAGIC, sizeof(h.magic));
	return fwrite(&h, sizeof(h), 1, f) == 1 ? 0 : -EIO;
}

int vmt_raw_read_header(FILE *f, struct vmt_raw_header *h)
{
	if (fread(h, sizeof(*h), 1, f) != 1)
		return ferror(f) ? -EIO : -ENODATA;
	if (memcmp(h->magic, VMT_RAW_MAGIC, sizeof(h->magic)))
		return -EINVAL;
	if (h->format_version > VMTRACE_FORMAT_VERSION ||
	    h->record_size != VMTRACE_RECORD_SIZE)
		return -EPROTO;
	return 0;
}
