/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the selftests of vmtrace.ko: sessions through the real
 * netlink client (user/client/), records collected into memory, and the
 * vendor's exit codes.
 */
#ifndef VMT_TEST_UTIL_H
#define VMT_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <linux/vmtrace.h>
#include "client/client.h"
#include "kvm_util.h"

struct rec_buf {
	struct vmtrace_record *recs;
	size_t n, cap;
};

/* Exit codes of the host's vendor (SVM_EXIT_* or VMX basic reasons). */
struct vmt_exit_codes {
	uint32_t io, hlt, npf, intr;
};
const struct vmt_exit_codes *vmt_exit_codes(void);

/*
 * The backend the tests record with: SELFTEST_BACKEND=module (the
 * default) or bpf in the environment.
 */
enum client_backend vmt_test_backend(void);
/*
 * Whether the test backend reads the guest's state (RIP, CR3, CPL, mode)
 * at an exit: not the BPF backend on VMX, where it lives in the VMCS,
 * which only VMREAD reads; its records say NO_STATE there.
 */
bool vmt_reads_guest_state(void);
struct client *vmt_open(void);		/* the test backend; asserts */
void vmt_start(struct client *c, const struct client_start_config *cfg);
/* STOP, then READ everything left (with the final loss markers). */
void vmt_stop_drain(struct client *c, struct rec_buf *buf);
void vmt_drain(struct client *c, struct rec_buf *buf);
void rec_buf_free(struct rec_buf *buf);

/* Totals over all CPUs from GET_STATUS. */
struct vmt_totals {
	uint64_t produced, drained, lost, queued, host_samples;
	uint64_t lost_cause[__VMTRACE_LOST_MAX];
};
void vmt_totals(struct client *c, struct vmt_totals *t);

/* The id the module gave the @nth VM (in time order, from 0) of process
 * @pid, from its VM_NEW record; 0 if there is none. */
uint32_t vm_id_of_pid(const struct rec_buf *buf, uint32_t pid, size_t nth);

/* Count EXIT records of VM @vm_id (0: any of this process) with @code. */
size_t count_exits(const struct rec_buf *buf, uint32_t vm_id, uint32_t code);

#endif
