// SPDX-License-Identifier: GPL-2.0
/*
 * record's guest introspection (guest/record.h) without the module: a
 * synthetic guest (synth_guest.h) plays the VM, records are made up, and
 * the trace they go to is read back: the VM entry says what the guest is
 * (or why it is not named), task entries name the records' processes and
 * threads, symbol entries their kernel functions.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "guest/poll.h"
#include "guest/record.h"
#include "synth_guest.h"
#include "trace/trace.h"
#include "trace/meta.h"
#include "tap.h"

static char dir[64];

static struct synth_guest *world(uint64_t *burner, uint64_t *duo, uint64_t *duo_b)
{
	struct synth_opts o = { .vslide = 0x8000000 };
	struct synth_guest *s = synth_new(&o);
	char path[128];
	FILE *f;

	*burner = synth_add_process(s, 41, "vmtburn", 1000, 0);
	*duo = synth_add_process(s, 42, "vmtduo", 1000, 0);
	*duo_b = synth_add_thread(s, *duo, 43, "duo-b");
	strcpy(dir, "/tmp/vmt-grec-XXXXXX");
	TEST_ASSERT(mkdtemp(dir), "mkdtemp");
	snprintf(path, sizeof(path), "%s/profiles", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/profiles/synth", dir);
	f = fopen(path, "w");
	TEST_ASSERT(f && !guest_profile_write(f, s->prof) && !fclose(f), "profile");
	return s;
}

static struct trace_writer *new_trace(const char *name)
{
	struct trace_info info = { .tsc_hz = 1000000000ULL, .nr_cpus = 1 };
	struct trace_writer *w;
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	TEST_ASSERT_EQ(trace_create(path, &info, NULL, &w), 0);
	return w;
}

static struct trace_meta *load(const char *name, struct trace_reader **r)
{
	struct trace_meta *m;
	char path[128], why[128];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	TEST_ASSERT_EQ(trace_open(path, r, why, sizeof(why)), 0);
	TEST_ASSERT_EQ(trace_meta_load(*r, &m), 0);
	return m;
}

static struct vmtrace_record sample(const struct synth_guest *s, uint64_t cr3,
				    uint64_t rip, int user, uint64_t tsc)
{
	struct vmtrace_record r = {
		.host_tsc = tsc, .kind = VMTRACE_KIND_SAMPLE, .vm_id = 1,
		.vmm_pid = getpid(),
		.mode = VMTRACE_MODE_PAGING | VMTRACE_MODE_PAE | VMTRACE_MODE_LONG |
			(user ? VMTRACE_MODE_USER | 3 : 0),
	};

	r.u.g.guest_rip = rip;
	r.u.g.guest_cr3 = cr3 | (user ? 0x1000 : 0);
	r.u.g.guest_gs_base = s->percpu[0];
	return r;
}

static void test_named(void)
{
	struct guest_rec_opts o = { .poll_us = 500, .quiet = true };
	struct trace_vm_meta vm = { .vm_id = 1, .vmm_pid = getpid(), .nr_vcpus = 1 };
	const struct trace_task_meta *t;
	const struct trace_symbol_meta *sym;
	const struct trace_vm_meta *vmm;
	struct vmtrace_record recs[3];
	struct trace_reader *r;
	struct trace_writer *w;
	struct guest_recorder *gr;
	uint64_t burner, duo, duo_b, t1, t2, t3, text;
	struct synth_guest *s = world(&burner, &duo, &duo_b);
	struct trace_meta *m;
	char pdir[96];

	snprintf(pdir, sizeof(pdir), "%s/profiles", dir);
	o.profile_dir = pdir;
	w = new_trace("named.vmt");
	TEST_ASSERT_EQ(guest_rec_new(&o, &gr), 0);
	guest_rec_note_vm(gr, &vm);
	TEST_ASSERT_EQ(guest_rec_attach_vms(gr, &s->vm, 1, 0, w), 0);

	/* The burner, then duo-b, then the kernel in schedule(). */
	synth_set_current(s, 0, burner);
	usleep(20000);
	t1 = guest_poll_tsc();
	usleep(20000);
	synth_set_current(s, 0, duo_b);
	usleep(20000);
	t2 = guest_poll_tsc();
	usleep(20000);
	t3 = t2 + 1000;
	text = SYNTH_TEXT_LINK + s->o.vslide;
	recs[0] = sample(s, synth_cr3(s, burner), 0x401000, 1, t1);
	recs[1] = sample(s, synth_cr3(s, duo), 0x402000, 1, t2);
	recs[2] = sample(s, synth_cr3(s, duo), text + 0x2010, 0, t3);
	TEST_ASSERT_EQ(guest_rec_decode(gr, w, recs, 3), 0);
	TEST_ASSERT_EQ(trace_write_records(w, recs, 3), 0);
	guest_rec_free(gr);
	TEST_ASSERT_EQ(trace_close(w, NULL), 0);

	m = load("named.vmt", &r);
	vmm = trace_meta_vm(m, 1);
	TEST_ASSERT(vmm && !strncmp(vmm->guest, "Linux 6.1.0-synth, profile synth, kernel at "
				    "guest-physical 0x2000000, virtual KASLR slide +0x8000000, "
				    "4-level paging", 200), "guest: %s", vmm ? vmm->guest : "none");
	t = trace_meta_task(m, 1, recs[0].u.g.guest_cr3, recs[0].u.g.guest_gs_base, t1);
	TEST_ASSERT(t && t->pid == 41 && t->tid == 41 && !strcmp(t->comm, "vmtburn"),
		    "burner: %s", t ? t->comm : "none");
	t = trace_meta_task(m, 1, recs[1].u.g.guest_cr3, recs[1].u.g.guest_gs_base, t2);
	TEST_ASSERT(t && t->pid == 42 && t->tid == 43 && !strcmp(t->comm, "vmtduo") &&
		    !strcmp(t->thread_comm, "duo-b"), "duo-b: %s/%s", t ? t->comm : "none",
		    t ? t->thread_comm : "");
	sym = trace_meta_symbol(m, 1, text + 0x2010);
	TEST_ASSERT(sym && !strcmp(sym->name, "schedule") && sym->start == text + 0x2000,
		    "symbol: %s", sym ? sym->name : "none");
	trace_meta_free(m);
	trace_close_reader(r);
	synth_free(s);
}

/*
 * Records that carry their task (VMTRACE_REC_F_TASK): two threads of one
 * process taking turns on one vCPU within microseconds, faster than any
 * poll, each record named by its own thread in the trace, read back by
 * the (cr3, task) key whatever the time.
 */
static void test_task_pointer(void)
{
	struct guest_rec_opts o = { .poll_us = 500, .quiet = true };
	struct trace_vm_meta vm = { .vm_id = 1, .vmm_pid = getpid(), .nr_vcpus = 1 };
	const struct trace_task_meta *t;
	struct vmtrace_record recs[8];
	struct trace_reader *r;
	struct trace_writer *w;
	struct guest_recorder *gr;
	uint64_t burner, duo, duo_b;
	struct synth_guest *s = world(&burner, &duo, &duo_b);
	struct trace_meta *m;
	char pdir[96];

	snprintf(pdir, sizeof(pdir), "%s/profiles", dir);
	o.profile_dir = pdir;
	w = new_trace("task.vmt");
	TEST_ASSERT_EQ(guest_rec_new(&o, &gr), 0);
	guest_rec_note_vm(gr, &vm);
	TEST_ASSERT_EQ(guest_rec_attach_vms(gr, &s->vm, 1, 0, w), 0);
	/* What runs now is neither: only the records' own tasks can say. */
	synth_set_current(s, 0, burner);
	for (int i = 0; i < 8; i++) {
		recs[i] = sample(s, synth_cr3(s, duo), 0x402000, 1, 1000 + i);
		recs[i].flags |= VMTRACE_REC_F_TASK;
		recs[i].u.g.guest_task = i % 2 ? duo_b : duo;
	}
	TEST_ASSERT_EQ(guest_rec_decode(gr, w, recs, 8), 0);
	TEST_ASSERT_EQ(trace_write_records(w, recs, 8), 0);
	guest_rec_free(gr);
	TEST_ASSERT_EQ(trace_close(w, NULL), 0);

	m = load("task.vmt", &r);
	for (int i = 0; i < 8; i++) {
		t = trace_meta_task(m, 1, recs[i].u.g.guest_cr3, recs[i].u.g.guest_task,
				  recs[i].host_tsc);
		TEST_ASSERT(t && t->pid == 42 && t->tid == (i % 2 ? 43u : 42u),
			    "record %d: tid %u", i, t ? t->tid : 0);
		TEST_ASSERT(!strcmp(t->thread_comm, i % 2 ? "duo-b" : "vmtduo"), "record %d: %s",
			    i, t->thread_comm);
	}
	trace_meta_free(m);
	trace_close_reader(r);
	synth_free(s);
}

static void test_no_profile(void)
{
	struct guest_rec_opts o = { .quiet = true, .profile_dir = "/nonexistent-vmt" };
	struct trace_vm_meta vm = { .vm_id = 1, .vmm_pid = getpid() };
	struct trace_vm_meta gone = { .vm_id = 2, .vmm_pid = getpid() };
	const struct trace_vm_meta *vmm;
	struct vmtrace_record rec;
	struct trace_reader *r;
	struct trace_writer *w;
	struct guest_recorder *gr;
	uint64_t burner, duo, duo_b;
	struct synth_guest *s = world(&burner, &duo, &duo_b);
	struct trace_meta *m;

	w = new_trace("unnamed.vmt");
	TEST_ASSERT_EQ(guest_rec_new(&o, &gr), 0);
	guest_rec_note_vm(gr, &vm);
	guest_rec_note_vm(gr, &gone);
	TEST_ASSERT_EQ(guest_rec_attach_vms(gr, &s->vm, 1, 0, w), 0);
	rec = sample(s, synth_cr3(s, burner), 0x401000, 1, 1000);
	TEST_ASSERT_EQ(guest_rec_decode(gr, w, &rec, 1), 0);
	TEST_ASSERT_EQ(trace_write_records(w, &rec, 1), 0);
	guest_rec_free(gr);
	TEST_ASSERT_EQ(trace_close(w, NULL), 0);

	m = load("unnamed.vmt", &r);
	vmm = trace_meta_vm(m, 1);
	TEST_ASSERT(vmm && !strcmp(vmm->guest, "no guest task names: no profile in "
				   "/nonexistent-vmt matches this guest's kernel, Linux "
				   "6.1.0-synth (see profile create --help)"),
		    "guest: %s", vmm ? vmm->guest : "none");
	vmm = trace_meta_vm(m, 2);
	TEST_ASSERT(vmm && strstr(vmm->guest, "gone before its memory could be read"),
		    "gone: %s", vmm ? vmm->guest : "none");
	TEST_ASSERT(!trace_meta_has_tasks(m), "tasks without a profile");
	trace_meta_free(m);
	trace_close_reader(r);
	synth_free(s);
}

static void test_forced_profile_option(void)
{
	struct guest_rec_opts o = { 0 };

	TEST_ASSERT_EQ(guest_rec_add_forced(&o, "1234=/p/x"), 0);
	TEST_ASSERT_EQ(o.forced[0].vmm_pid, 1234);
	TEST_ASSERT(!strcmp(o.forced[0].path, "/p/x"), "path");
	TEST_ASSERT_EQ(guest_rec_add_forced(&o, "=/p/x"), -EINVAL);
	TEST_ASSERT_EQ(guest_rec_add_forced(&o, "12="), -EINVAL);
	TEST_ASSERT_EQ(guest_rec_add_forced(&o, "x12=/a"), -EINVAL);
	TEST_ASSERT_EQ(guest_rec_add_forced(&o, "0=/a"), -EINVAL);
}

static const struct tap_test tests[] = {
	TAP_TEST(named),
	TAP_TEST(task_pointer),
	TAP_TEST(no_profile),
	TAP_TEST(forced_profile_option),
};

int main(int argc, char **argv)
{
	return tap_main(argc, argv, tests, ARRAY_SIZE(tests), 0);
}
