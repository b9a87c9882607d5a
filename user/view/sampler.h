/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The live sampler behind top, serve and the metrics files: it keeps a
 * vmtrace session (VM-exits, guest samples), the VM list, the guest
 * decoders, and at each view_sampler_snapshot() turns what happened since the
 * previous one into a struct trace_snapshot (trace/snapshot.h):
 *
 *   hypervisor side   /proc of each VMM (host/proc_sample.h), exits per reason
 *                     and samples from the session's records
 *   guest side        the guest's task list (guest/guest.h) with each task's
 *                     own utime/stime and its mm's rss (guest/acct.h);
 *                     the samples' CR3s named to processes
 *
 * If another collector owns the session (-EBUSY), the sampler runs
 * without one: no exits and no sample CPU (shown as unknown), everything
 * else as usual.  Single-threaded: view_sampler_poll() between snapshots drains
 * the rings (call it every few tens of milliseconds).
 */
#ifndef VIEW_SAMPLER_H
#define VIEW_SAMPLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "trace/snapshot.h"

struct client;

struct view_sampler_opts {
	const char *proc_root;		/* NULL: "/proc" */
	const char *kvm_debugfs;	/* NULL: "/sys/kernel/debug/kvm" */
	const char *libvirt_dir;	/* NULL: HOST_LIBVIRT_RUN_DIR */
	const char *profile_dir;	/* NULL: the guest decoder's default */
	/* The guest kernel's BTF and symbols (guest/acct.h).  NULL: the
	 * host's own (/sys/kernel/btf/vmlinux, /proc/kallsyms) for guests
	 * that run the host's kernel release. */
	const char *guest_btf;
	const char *guest_symbols;
	uint32_t sample_hz;		/* guest samples per host CPU; 0: none */
	bool no_session;		/* never start a session */
	bool no_guest;			/* do not read guest memory */
	size_t nr_vm_pids;		/* only these VMMs; 0: all */
	const uint32_t *vm_pids;
	/* A client the caller opened (client_open_backend(): the BPF
	 * backend, say); the sampler owns it from view_sampler_open() on,
	 * even if that fails.  NULL: the module's, or /proc alone. */
	struct client *client;
};

struct view_sampler;

/* view_sampler_session_status() without the module. */
#define VVS_NO_MODULE "no vmtrace.ko: /proc figures only (no exits, samples or guest memory)"

/*
 * Connect to vmtrace.ko and start a session (unless told not to, or busy).
 * Without the module, the sampler runs on /proc alone: the KVM VMs /proc
 * shows (each with its VMM pid as id), the hypervisor side, no exits, no
 * samples and no guest side (guest memory is read through memslots, which
 * /proc does not show); view_sampler_session_status() says VVS_NO_MODULE.
 * 0, or -errno.
 */
int view_sampler_open(const struct view_sampler_opts *opts, struct view_sampler **out);
void view_sampler_close(struct view_sampler *s);

/* Drain the session's records: 0 or -errno. */
int view_sampler_poll(struct view_sampler *s);

/*
 * Count records that another drain loop read (record's, which owns the
 * session: open the sampler with no_session and the session's sample_hz),
 * as view_sampler_poll() counts its own.
 */
void view_sampler_feed(struct view_sampler *s, const struct vmtrace_record *recs, size_t n);

/*
 * Everything since the previous snapshot (the first has no rates:
 * interval_s 0).  The snapshot is the caller's (trace_snapshot_free()).
 * 0 or -errno (-ENOMEM; a VM that cannot be read is only shown so).
 */
int view_sampler_snapshot(struct view_sampler *s, struct trace_snapshot *out);

/* "session, sampling at 100 Hz", "no session: another collector has it". */
const char *view_sampler_session_status(const struct view_sampler *s);

#endif
