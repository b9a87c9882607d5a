/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Raw recordings: a 24-byte header and the records exactly as the module
 * produced them.  The capture path's own format, for tests and debugging;
 * see Documentation/design.rst.
 */
#ifndef VMT_RAWFILE_H
#define VMT_RAWFILE_H

#include <stdint.h>
#include <stdio.h>
#include <linux/vmtrace.h>

#define VMT_RAW_MAGIC "VMTRAW01"

struct vmt_raw_header {
	char magic[8];
	uint32_t format_version;	/* VMTRACE_FORMAT_VERSION */
	uint32_t record_size;		/* VMTRACE_RECORD_SIZE */
	uint32_t tsc_khz;
	uint32_t reserved;
};

int vmt_raw_write_header(FILE *f, uint32_t tsc_khz);
/* Read and check the header: -EINVAL (foreign), -EPROTO (newer), -EIO. */
int vmt_raw_read_header(FILE *f, struct vmt_raw_header *h);

#endif
