// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tap.h"
#include "vmt_test_util.h"

/* The host's vendor: VMX unless /proc/cpuinfo's flags have svm. */
static bool host_is_vmx(void)
{
	static int is_vmx = -1;

	if (is_vmx < 0) {
		FILE *f = fopen("/proc/cpuinfo", "r");
		char line[4096];

		is_vmx = 1;
		while (f && fgets(line, sizeof(line), f))
			if (!strncmp(line, "flags", 5)) {
				is_vmx = !strstr(line, " svm");
				break;
			}
		if (f)
			fclose(f);
	}
	return is_vmx;
}

const struct vmt_exit_codes *vmt_exit_codes(void)
{
	/* SVM_EXIT_IOIO, _HLT, _NPF, _INTR; VMX 30, 12, 48 (EPT), 1. */
	static const struct vmt_exit_codes svm = { 0x7b, 0x78, 0x400, 0x60 };
	static const struct vmt_exit_codes vmx = { 30, 12, 48, 1 };

	return host_is_vmx() ? &vmx : &svm;
}

enum client_backend vmt_test_backend(void)
{
	const char *name = getenv("SELFTEST_BACKEND");
	enum client_backend backend;

	if (!name || !*name)
		return CLIENT_BACKEND_MODULE;
	TEST_ASSERT(!client_backend_parse(name, &backend) && backend != CLIENT_BACKEND_AUTO,
		    "SELFTEST_BACKEND=%s: module or bpf", name);
	return backend;
}

bool vmt_reads_guest_state(void)
{
	return vmt_test_backend() != CLIENT_BACKEND_BPF || !host_is_vmx();
}

struct client *vmt_open(void)
{
	struct client *c;
	char why[256];
	int err = client_open_backend(vmt_test_backend(), &c, why, sizeof(why));

	TEST_ASSERT(!err, "cannot open the %s backend: %s (%s)",
		    client_backend_name(vmt_test_backend()), strerror(-err), why);
	return c;
}

void vmt_start(struct client *c, const struct client_start_config *cfg)
{
	int err = client_start(c, cfg);

	TEST_ASSERT(!err, "START: %s (%s)", strerror(-err), client_error(c));
}

static int collect(void *arg, uint32_t cpu, const struct vmtrace_record *recs,
		   size_t n)
{
	struct rec_buf *buf = arg;

	(void)cpu;
	if (buf->n + n > buf->cap) {
		size_t cap = (buf->n + n) * 2;
		void *p = realloc(buf->recs, cap * sizeof(*recs));

		if (!p)
			return -12;
		buf->recs = p;
		buf->cap = cap;
	}
	memcpy(buf->recs + buf->n, recs, n * sizeof(*recs));
	buf->n += n;
	return 0;
}

void vmt_drain(struct client *c, struct rec_buf *buf)
{
	long n = client_read(c, collect, buf);

	TEST_ASSERT(n >= 0, "READ: %s (%s)", strerror(-n), client_error(c));
}

void vmt_stop_drain(struct client *c, struct rec_buf *buf)
{
	int err = client_stop(c);

	TEST_ASSERT(!err, "STOP: %s (%s)", strerror(-err), client_error(c));
	vmt_drain(c, buf);
}

void rec_buf_free(struct rec_buf *buf)
{
	free(buf->recs);
	memset(buf, 0, sizeof(*buf));
}

void vmt_totals(struct client *c, struct vmt_totals *t)
{
	struct client_status st;
	int err = client_status(c, &st);

	TEST_ASSERT(!err, "GET_STATUS: %s", strerror(-err));
	memset(t, 0, sizeof(*t));
	t->produced = st.totals.produced;
	t->drained = st.totals.drained;
	t->queued = st.totals.queued;
	t->host_samples = st.totals.host_samples;
	for (int k = 0; k < __VMTRACE_LOST_MAX; k++) {
		t->lost += st.totals.lost[k];
		t->lost_cause[k] = st.totals.lost[k];
	}
}

uint32_t vm_id_of_pid(const struct rec_buf *buf, uint32_t pid, size_t nth)
{
	/* READ drains CPU by CPU: order the VM_NEW records by time. */
	uint64_t last_tsc = 0;
	uint32_t id = 0;

	for (size_t k = 0; k <= nth; k++) {
		const struct vmtrace_record *next = NULL;

		for (size_t i = 0; i < buf->n; i++) {
			const struct vmtrace_record *r = &buf->recs[i];

			if (r->kind != VMTRACE_KIND_VM_NEW || r->vmm_pid != pid ||
			    (k && r->host_tsc <= last_tsc))
				continue;
			if (!next || r->host_tsc < next->host_tsc)
				next = r;
		}
		if (!next)
			return 0;
		last_tsc = next->host_tsc;
		id = next->vm_id;
	}
	return id;
}

size_t count_exits(const struct rec_buf *buf, uint32_t vm_id, uint32_t code)
{
	size_t n = 0;

	for (size_t i = 0; i < buf->n; i++) {
		const struct vmtrace_record *r = &buf->recs[i];

		if (r->kind != VMTRACE_KIND_EXIT || r->exit_reason != code)
			continue;
		if (vm_id ? r->vm_id == vm_id : r->vmm_pid == (uint32_t)getpid())
			n++;
	}
	return n;
}
