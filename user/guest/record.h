/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest introspection while recording: record opens a decoder (guest/guest.h)
 * for each VM it keeps and, as records go to the trace, writes what they
 * mean as metadata: the guest task behind each (CR3, GS base) whenever it
 * changes, the kernel function behind each kernel-mode RIP once.  A
 * finished trace then names processes, threads and kernel functions even
 * for guests and processes that are gone.
 */
#ifndef GUEST_RECORD_H
#define GUEST_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/vmtrace.h>

struct client;
struct client_vm_info;
struct trace_writer;
struct trace_vm_meta;
struct guest_recorder;

#define GUEST_REC_MAX_FORCED 64

struct guest_rec_opts {
	const char *profile_dir;	/* NULL: the default */
	/* --guest-profile VMPID=PROFILE */
	struct {
		uint32_t vmm_pid;
		const char *path;
	} forced[GUEST_REC_MAX_FORCED];
	size_t nr_forced;
	unsigned int poll_us;		/* current-task polling; 0: 1000 */
	const uint32_t *pids;		/* only these VMMs' VMs (record --vm) */
	size_t nr_pids;			/* 0: every VM noted */
	bool quiet;			/* no status lines on stderr */
};

/* Parse "VMPID=PROFILE" into @o: 0, or -EINVAL / -E2BIG. */
int guest_rec_add_forced(struct guest_rec_opts *o, const char *arg);

int guest_rec_new(const struct guest_rec_opts *o, struct guest_recorder **out);
/* Says per VM how much was named, and why not; frees. */
void guest_rec_free(struct guest_recorder *gr);

/*
 * A VM the trace keeps, with its metadata entry (cheap: no I/O here, this
 * may run inside a READ dump).  The decoder opens at the next
 * guest_rec_attach().
 */
void guest_rec_note_vm(struct guest_recorder *gr, const struct trace_vm_meta *vm);

/*
 * Open decoders for the VMs noted since (GET_VMS on @c, outside a dump),
 * and write each one's VM entry again with what its guest says
 * (trace_vm_meta.guest).  0 or the writer's -errno.
 */
int guest_rec_attach(struct guest_recorder *gr, struct client *c,
		     struct trace_writer *w);
/* The same with the VM list given (@vms NULL: GET_VMS failed, -@err). */
int guest_rec_attach_vms(struct guest_recorder *gr, const struct client_vm_info *vms,
			 size_t nr, int err, struct trace_writer *w);

/*
 * Before @recs (sorted) go to the trace: task and symbol metadata for
 * them.  0 or the writer's -errno.
 */
int guest_rec_decode(struct guest_recorder *gr, struct trace_writer *w,
		     const struct vmtrace_record *recs, size_t n);

/*
 * Ask the module (SET_TASK_SLOT on @c, outside a dump) to copy the guest's
 * current task into the records of the vCPUs decoded since, so that their
 * threads are named exactly rather than by polling.  Returns 0: a module
 * that refuses is said once and not asked again.
 */
int guest_rec_set_slots(struct guest_recorder *gr, struct client *c);

#endif /* GUEST_RECORD_H */
