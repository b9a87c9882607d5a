// SPDX-License-Identifier: GPL-2.0
/* vmtrace-collect dump: the records of a raw recording, one per line. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "vmtrace-collect.h"
#include "rawfile.h"

static const char *kind_name(uint8_t kind)
{
	switch (kind) {
	case VMTRACE_KIND_EXIT: return "exit";
	case VMTRACE_KIND_SAMPLE: return "sample";
	case VMTRACE_KIND_LOST: return "lost";
	case VMTRACE_KIND_VM_NEW: return "vm_new";
	case VMTRACE_KIND_VM_GONE: return "vm_gone";
	}
	return "unknown";
}

int dump_main(int argc, char *argv[])
{
	const char *input = "vmtrace.raw";
	struct vmtrace_record rec;
	struct vmt_raw_header h;
	int opt, err;
	FILE *f;

	optind = 1;
	while ((opt = getopt(argc, argv, "i:h")) != -1) {
		switch (opt) {
		case 'i':
			input = optarg;
			break;
		case 'h':
			printf("Usage: %s dump [-i FILE]\n", prog_name);
			return 0;
		default:
			fprintf(stderr, "Usage: %s dump [-i FILE]\n", prog_name);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "Usage: %s dump [-i FILE]\n", prog_name);
		return EXIT_USAGE;
	}
	f = fopen(input, "rb");
	if (!f) {
		fprintf(stderr, "%s: %s: %s\n", prog_name, input, strerror(errno));
		return EXIT_USAGE;
	}
	err = vmt_raw_read_header(f, &h);
	if (err) {
		fprintf(stderr, "%s: %s: %s\n", prog_name, input,
			err == -ENODATA ? "empty or truncated header" :
			err == -EINVAL ? "not a vmtrace raw recording" :
			err == -EPROTO ? "newer format version" : "read error");
		fclose(f);
		return EXIT_USAGE;
	}
	printf("host_tsc,host_cpu,kind,vm_id,vm_pid,vcpu,exit_code,guest_rip,guest_cr3,guest_gs_base,mode,flags,entry_delta,lost\n");
	while (fread(&rec, sizeof(rec), 1, f) == 1) {
		if (rec.kind == VMTRACE_KIND_LOST) {
			printf("%llu,%u,lost,,,,,,,,,,,%llu/%llu/%llu\n",
			       (unsigned long long)rec.host_tsc, rec.host_cpu,
			       (unsigned long long)rec.u.lost[0],
			       (unsigned long long)rec.u.lost[1],
			       (unsigned long long)rec.u.lost[2]);
			continue;
		}
		printf("%llu,%u,%s,%u,%u,%u,0x%x,0x%llx,0x%llx,0x%llx,0x%x,0x%x,%u,\n",
		       (unsigned long long)rec.host_tsc, rec.host_cpu,
		       kind_name(rec.kind), rec.vm_id, rec.vmm_pid, rec.vcpu,
		       rec.exit_reason, (unsigned long long)rec.u.g.guest_rip,
		       (unsigned long long)rec.u.g.guest_cr3,
		       (unsigned long long)rec.u.g.guest_gs_base, rec.mode,
		       rec.flags, rec.entry_delta);
	}
	if (ftell(f) % sizeof(rec) != sizeof(h) % sizeof(rec))
		fprintf(stderr, "%s: %s: %ld trailing bytes ignored\n", prog_name,
			input, (ftell(f) - (long)sizeof(h)) % (long)sizeof(rec));
	fclose(f);
	return 0;
}
