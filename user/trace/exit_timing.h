/* SPDX-License-Identifier: GPL-2.0 */
/*
 * How long the host took to handle each VM-exit: from the exit to the
 * vCPU's next entry into the guest, as `perf kvm stat` measures it.
 *
 * An EXIT record carries entry_delta, the TSC cycles since its vCPU last
 * entered the guest; so the handling time of a vCPU's previous exit A is
 * (B.host_tsc - B.entry_delta) - A.host_tsc, known when its next exit B
 * arrives.  Records are fed in time order; an exit is left untimed if its
 * vCPU's next exit has no entry time, if records were lost in between
 * (any LOST marker: the lost one might have been the next exit), or if
 * the trace ends first (the VM went away, or the recording stopped).
 */
#ifndef TRACE_EXIT_TIMING_H
#define TRACE_EXIT_TIMING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/vmtrace.h>

struct trace_exit_timer;

struct trace_timed_exit {
	struct vmtrace_record exit;	/* the exit retired */
	bool timed;			/* cycles is known */
	uint64_t cycles;		/* its handling time, TSC cycles */
	void *cookie;			/* what was fed with it */
};

int trace_exit_timer_new(struct trace_exit_timer **out);
void trace_exit_timer_free(struct trace_exit_timer *t);

/*
 * Feed one record.  An EXIT is remembered with @cookie until its vCPU's
 * next exit, which retires it: then true, and @done describes it, timed
 * or not.  An exit older than its vCPU's remembered one (out of order) is
 * retired at once, untimed.  Every exit fed is retired exactly once, here
 * or by trace_exit_timer_pending().
 */
bool trace_exit_timer_feed(struct trace_exit_timer *t, const struct vmtrace_record *r,
			 void *cookie, struct trace_timed_exit *done);

/* The exits still waiting for their vCPU's next entry (at the end). */
void trace_exit_timer_pending(struct trace_exit_timer *t,
			    void (*fn)(void *arg, const struct vmtrace_record *exit,
				       void *cookie),
			    void *arg);

#endif
