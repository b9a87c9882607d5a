// SPDX-License-Identifier: GPL-2.0
/* The recording host's description and its TSC/clock correspondence. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <x86intrin.h>
#include "util/clock.h"
#include "host/host_info.h"

uint64_t host_tsc(void)
{
	return __rdtsc();
}

void host_clock_pair(struct trace_clock_pair *pair)
{
	uint64_t best = UINT64_MAX;

	for (int i = 0; i < 8; i++) {
		uint64_t t0 = host_tsc();
		uint64_t mono = util_clock_ns(CLOCK_MONOTONIC);
		uint64_t real = util_clock_ns(CLOCK_REALTIME);
		uint64_t t1 = host_tsc();

		/* The narrowest bracket; the clocks were read at its middle. */
		if (t1 - t0 < best) {
			best = t1 - t0;
			pair->tsc = t0 + (t1 - t0) / 2;
			pair->mono_ns = mono;
			pair->real_ns = real;
		}
	}
}

static void copy_cut(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* The value of "key<spaces>: value" in /proc/cpuinfo. */
static void cpuinfo_field(const char *key, char *out, size_t size)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[4096];
	size_t klen = strlen(key);

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (strncmp(line, key, klen) || !colon ||
		    strspn(line + klen, " \t") != (size_t)(colon - line - klen))
			continue;
		colon += 1 + (colon[1] == ' ');
		colon[strcspn(colon, "\n")] = '\0';
		copy_cut(out, size, colon);
		break;
	}
	fclose(f);
}

void host_info_fill(struct trace_info *info)
{
	struct utsname u;
	char flags[4096] = "";

	if (!uname(&u)) {
		char kernel[sizeof(u.release) + sizeof(u.version) + 1];

		/* Cut to the header's size on purpose: it is a label. */
		strcpy(kernel, u.release);
		strcat(kernel, " ");
		strcat(kernel, u.version);
		copy_cut(info->host_kernel, sizeof(info->host_kernel), kernel);
		copy_cut(info->hostname, sizeof(info->hostname), u.nodename);
	}
	cpuinfo_field("model name", info->cpu_model, sizeof(info->cpu_model));
	cpuinfo_field("vendor_id", info->cpu_vendor, sizeof(info->cpu_vendor));
	cpuinfo_field("flags", flags, sizeof(flags));
	strcat(flags, " ");
	if (strstr(flags, " svm "))
		info->vendor = VMTRACE_VENDOR_SVM;
	else if (strstr(flags, " vmx "))
		info->vendor = VMTRACE_VENDOR_VMX;
}
