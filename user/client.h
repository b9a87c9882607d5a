/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The vmtrace generic netlink client: every conversation with vmtrace.ko
 * goes through here, for the collector and the selftests alike.  All
 * functions return 0 (or a count) on success and -errno on failure; the
 * kernel's extended-ack message, if any, is in vmt_client_error().
 */
#ifndef VMT_CLIENT_H
#define VMT_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/vmtrace.h>

struct vmt_client;

struct vmt_start_config {
	uint32_t ring_size;		/* 0: module default */
	uint32_t sample_hz;		/* 0: no sampling */
	uint32_t sample_source;		/* enum vmtrace_sample_source */
	uint32_t flags;			/* VMTRACE_CFG_F_* */
	uint32_t nr_exits;
	const uint32_t *exits;
	uint32_t nr_pids;
	const uint32_t *pids;
};

struct vmt_cpu_status {
	uint32_t cpu;
	uint64_t produced;
	uint64_t drained;
	uint64_t lost[__VMTRACE_LOST_MAX];
	uint64_t host_samples;
	uint64_t queued;
	uint64_t cost_cycles;		/* VMTRACE_CFG_F_COST */
	uint64_t cost_events;
};

struct vmt_status {
	char version[32];
	uint32_t format_version;
	uint32_t nr_cpus;
	uint32_t state;			/* enum vmtrace_state */
	uint32_t tsc_khz;
	bool has_session;		/* fields below are valid */
	uint32_t sample_source;		/* the source in use */
	uint32_t ring_size, sample_hz, flags, nr_exits, nr_pids;
	size_t nr_cpu_stats;
	struct vmt_cpu_status *cpu_stats;
};

struct vmt_memslot {
	uint32_t id;
	uint32_t flags;
	uint64_t gpa, size, hva;
};

struct vmt_vm_info {
	uint32_t id, pid, nr_vcpus, vendor, flags;
	size_t nr_slots;
	struct vmt_memslot *slots;
};

/* -ENOENT: the family is not registered, i.e. vmtrace.ko is not loaded. */
int vmt_client_open(struct vmt_client **out);
void vmt_client_close(struct vmt_client *c);
/* The kernel's explanation of the last failure, or "". */
const char *vmt_client_error(const struct vmt_client *c);

int vmt_client_status(struct vmt_client *c, struct vmt_status *st);
void vmt_status_free(struct vmt_status *st);
int vmt_client_start(struct vmt_client *c, const struct vmt_start_config *cfg);
int vmt_client_stop(struct vmt_client *c);

/*
 * One READ dump: @fn gets every batch of records drained, with its CPU.
 * A non-zero return from @fn aborts the read and is returned.  Returns
 * the number of records read.
 */
typedef int (*vmt_records_fn)(void *arg, uint32_t cpu,
			      const struct vmtrace_record *recs, size_t n);
long vmt_client_read(struct vmt_client *c, vmt_records_fn fn, void *arg);

int vmt_client_get_vms(struct vmt_client *c, struct vmt_vm_info **vms,
		       size_t *nr);
void vmt_vms_free(struct vmt_vm_info *vms, size_t nr);

/*
 * Send a request built by hand: genl command @cmd, netlink @flags (on top
 * of NLM_F_REQUEST | NLM_F_ACK) and @len bytes of raw attributes.  For
 * tests of the module's input validation.  Replies are discarded.
 */
int vmt_client_send_raw(struct vmt_client *c, uint8_t cmd, uint16_t flags,
			const void *attrs, size_t len);

/* Convert a libnl -NLE_* code to -errno. */
int vmt_nle_to_errno(int nle);

const char *vmt_state_name(uint32_t state);
const char *vmt_sample_source_name(uint32_t source);
const char *vmt_lost_cause_name(unsigned int cause);

#endif /* VMT_CLIENT_H */
