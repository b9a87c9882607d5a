/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The vmtrace client: every conversation with the kernel side goes through
 * here, for the collector and the selftests alike, whichever backend
 * records (as wireguard-tools' ipc.h fronts its kernel and userspace
 * backends):
 *
 *   module  vmtrace.ko over generic netlink (genl.c)
 *   bpf     BPF programs on the same tracepoints, loaded by libbpf (bpf.c),
 *           for hosts that cannot load the module.  Records, accounting
 *           and sessions as the module's; what it does not do yet fails
 *           with -EOPNOTSUPP and says so in client_error().
 *
 * All functions return 0 (or a count) on success and -errno on failure; the
 * kernel's extended-ack message, or the BPF backend's reason, if any, is in
 * client_error().
 */
#ifndef CLIENT_CLIENT_H
#define CLIENT_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/vmtrace.h>

struct client;

struct client_start_config {
	uint32_t ring_size;		/* 0: module default */
	uint32_t sample_hz;		/* 0: no sampling */
	uint32_t sample_source;		/* enum vmtrace_sample_source */
	uint32_t flags;			/* VMTRACE_CFG_F_* */
	uint32_t nr_exits;
	const uint32_t *exits;
	uint32_t nr_pids;
	const uint32_t *pids;
};

/* A CPU's figures (GET_CPUS), or their sum over CPUs (client_status.totals). */
struct client_cpu_status {
	uint32_t cpu;			/* not in totals */
	uint64_t produced;
	uint64_t drained;
	uint64_t lost[__VMTRACE_LOST_MAX];
	uint64_t host_samples;
	uint64_t queued;
	uint64_t cost_cycles;		/* VMTRACE_CFG_F_COST */
	uint64_t cost_events;
	uint32_t ring_bytes;		/* 0: no ring on this CPU; not in totals */
};

struct client_status {
	char version[32];
	uint32_t format_version;
	uint32_t nr_cpus;		/* possible CPUs */
	uint32_t state;			/* enum vmtrace_state */
	uint32_t tsc_khz;
	uint64_t ring_cap;		/* bytes, all CPUs of a session */
	bool has_session;		/* fields below are valid */
	uint32_t sample_source;		/* the source in use */
	uint32_t ring_size, sample_hz, flags, nr_exits, nr_pids;
	struct client_cpu_status totals;	/* over all CPUs */
};

struct client_memslot {
	uint32_t id;
	uint32_t flags;
	uint64_t gpa, size, hva;
};

struct client_vm_info {
	uint32_t id, pid, nr_vcpus, vendor, flags;
	size_t nr_slots;
	struct client_memslot *slots;
};

enum client_backend {
	CLIENT_BACKEND_AUTO,		/* the module if loaded, else BPF */
	CLIENT_BACKEND_MODULE,
	CLIENT_BACKEND_BPF,
};

/* "auto", "module", "bpf" -> *@out; -EINVAL for anything else. */
int client_backend_parse(const char *name, enum client_backend *out);
const char *client_backend_name(enum client_backend backend);

/* The module: -ENOENT if its family is not registered (not loaded). */
int client_open(struct client **out);
/*
 * @want, or with CLIENT_BACKEND_AUTO the module when its family exists, else
 * BPF.  The BPF backend checks here what it needs (BTF of vmlinux, kvm
 * and the vendor module; the privilege to load BPF): -ENOENT or -EPERM,
 * with the reason in *@why (@why_size bytes), as there is no client yet.
 */
int client_open_backend(enum client_backend want, struct client **out,
			    char *why, size_t why_size);
/* The backend @c records with: MODULE or BPF. */
enum client_backend client_get_backend(const struct client *c);

/*
 * A process that holds vmtrace's BPF programs loaded: a BPF backend's
 * session lives in its recorder (record, top, serve), not in the kernel.
 */
struct client_bpf_holder {
	uint32_t pid;
	char comm[16];
	uint32_t nr_programs;	/* of vmtrace's, through its descriptors */
};

/*
 * The processes other than this one holding vmtrace's BPF programs now,
 * by pid (their descriptors' fdinfo "prog_id").  Needs CAP_SYS_ADMIN to
 * look the programs up.  0 or -errno.
 */
int client_bpf_holders(struct client_bpf_holder **out, size_t *nr);
void client_close(struct client *c);
/* The kernel's explanation of the last failure, or "". */
const char *client_error(const struct client *c);

/* GET_STATUS: one small message, whatever the number of CPUs. */
int client_status(struct client *c, struct client_status *st);
/*
 * GET_CPUS: the session's figures of every possible CPU, in CPU order, in
 * *@cpus (malloc'd: free() it) and their number in *@nr.  -ENOENT: no
 * session; -EINTR: the session ended or was replaced during the dump (the
 * list would be incomplete): ask again.
 */
int client_get_cpus(struct client *c, struct client_cpu_status **cpus,
			size_t *nr);
int client_start(struct client *c, const struct client_start_config *cfg);
int client_stop(struct client *c);

/* A SET_TASK_SLOT request (include/uapi/linux/vmtrace.h). */
struct client_task_slot {
	uint32_t vm_id, vcpu;
	uint64_t gs_base;
	uint64_t hva;		/* 0: forget the slot */
	bool tid;		/* direct_map and pid_offset are given */
	uint64_t direct_map;
	uint32_t pid_offset;
};

/*
 * SET_TASK_SLOT: from now on the module copies the 8 bytes at @s->hva of
 * the VMM into each record of VM @s->vm_id's vCPU @s->vcpu taken with
 * kernel GS base @s->gs_base (VMTRACE_REC_F_TASK), and with @s->tid that
 * task's pid into its SAMPLE records (VMTRACE_REC_F_TID).  The session
 * owner's socket only.  0 or -errno (-ENOENT: no session or no such VM).
 */
int client_set_task_slot(struct client *c, const struct client_task_slot *s);

/*
 * One READ dump: @fn gets every batch of records drained, with its CPU.
 * A non-zero return from @fn aborts the read and is returned.  Returns
 * the number of records read.
 */
typedef int (*client_records_fn)(void *arg, uint32_t cpu,
			      const struct vmtrace_record *recs, size_t n);
long client_read(struct client *c, client_records_fn fn, void *arg);

int client_get_vms(struct client *c, struct client_vm_info **vms,
		       size_t *nr);
void client_vms_free(struct client_vm_info *vms, size_t nr);

/*
 * Send a request built by hand: genl command @cmd, netlink @flags (on top
 * of NLM_F_REQUEST | NLM_F_ACK) and @len bytes of raw attributes.  For
 * tests of the module's input validation.  Replies are discarded.
 */
int client_send_raw(struct client *c, uint8_t cmd, uint16_t flags,
			const void *attrs, size_t len);

/* Convert a libnl -NLE_* code to -errno. */
int client_nle_to_errno(int nle);

const char *client_state_name(uint32_t state);
const char *client_sample_source_name(uint32_t source);

#endif /* CLIENT_CLIENT_H */
