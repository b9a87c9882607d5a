/* SPDX-License-Identifier: GPL-2.0 */
/* What a trace header says about the recording host, read from the host. */
#ifndef HOST_HOST_INFO_H
#define HOST_HOST_INFO_H

#include "trace/trace.h"

/* uname, hostname, /proc/cpuinfo's model name and vendor_id, the host's
 * vendor (svm/vmx from the CPU flags) into @info; what cannot be read
 * stays empty. */
void host_info_fill(struct trace_info *info);

/* The host TSC and both clocks, read as close together as this process
 * can: the best of several tries, the clocks between two RDTSCs. */
void host_clock_pair(struct trace_clock_pair *pair);

/* The host TSC now (RDTSC: the module stamps records with it too). */
uint64_t host_tsc(void);

#endif
