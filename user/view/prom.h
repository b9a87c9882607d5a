/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The both-sides view (trace/snapshot.h) in the Prometheus text exposition format
 * (version 0.0.4), for `vmtrace-collect serve`.  Every series names its VM
 * by labels vm (name, or "" if none), uuid and pid (the VMM's); process
 * series add guest_pid and comm; figures that exist on both sides carry
 * source="hypervisor" or source="guest".  Label values are escaped as the
 * format requires (\\, \", \n) and made valid UTF-8 (bytes that are not
 * become '?': guest process names are guest data).
 */
#ifndef VIEW_PROM_H
#define VIEW_PROM_H

#include <stdio.h>
#include "trace/snapshot.h"

/* Content-Type of what view_prom_write() writes. */
#define VIEW_PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Write @s to @f.  0 or -EIO. */
int view_prom_write(FILE *f, const struct trace_snapshot *s);

/* Write @s as a label value (without the quotes) to @f. */
void view_prom_write_label_value(FILE *f, const char *s);

#endif
