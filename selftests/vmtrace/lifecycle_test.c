// SPDX-License-Identifier: GPL-2.0
/*
 * vmtrace.ko's lifecycle: VMs that come and go while recording, module
 * unload during an exit storm, loading with VMs already running, reloading
 * the KVM vendor module underneath, and the collector with no module.
 * These tests unload and load vmtrace.ko (found next to the tree as
 * build/$(uname -r)/kmod/vmtrace.ko, or $VMTRACE_KO) and leave it loaded.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "kvm_util.h"
#include "tap.h"
#include "vmt_test_util.h"

#define TEST_PORT 0x5000

static const char *tree_path(const char *rel, char *buf, size_t size)
{
	ssize_t len = readlink("/proc/self/exe", buf, size - 1);

	TEST_ASSERT(len > 0, "readlink /proc/self/exe: %m");
	buf[len] = '\0';
	/* selftests/vmtrace/<test> -> the tree's top */
	for (int i = 0; i < 3; i++)
		*strrchr(buf, '/') = '\0';
	TEST_ASSERT(strlen(buf) + strlen(rel) + 2 < size, "path too long");
	strcat(buf, "/");
	strcat(buf, rel);
	return buf;
}

static bool module_loaded(const char *name)
{
	char line[256];
	bool found = false;
	FILE *f = fopen("/proc/modules", "r");

	TEST_ASSERT(f, "/proc/modules: %m");
	while (!found && fgets(line, sizeof(line), f))
		found = !strncmp(line, name, strlen(name)) && line[strlen(name)] == ' ';
	fclose(f);
	return found;
}

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
	char cmd[4200];
	va_list ap;
	int status;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	status = system(cmd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Unload a module, retrying while it is busy (a dump or a VM holds it). */
static void unload(const char *name)
{
	for (int i = 0; i < 100 && module_loaded(name); i++) {
		if (!run("rmmod %s 2>/dev/null", name))
			break;
		usleep(100000);
	}
	TEST_ASSERT(!module_loaded(name), "cannot unload %s", name);
}

static void load_vmtrace(void)
{
	char path[4096];
	const char *ko = getenv("VMTRACE_KO");
	struct utsname u;

	if (module_loaded("vmtrace"))
		return;
	if (!ko) {
		char rel[512];

		uname(&u);
		snprintf(rel, sizeof(rel), "build/%s/kmod/vmtrace.ko", u.release);
		ko = tree_path(rel, path, sizeof(path));
	}
	TEST_ASSERT(!run("insmod %s", ko), "insmod %s failed", ko);
}

/* A VM whose vCPU makes port-write exits on its own thread until stopped. */
struct storm {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	pthread_t thread;
	volatile bool stop;
	volatile uint64_t exits;
};

static void *storm_run(void *arg)
{
	struct storm *s = arg;

	vcpu_set_entry(s->vcpu, vm_code_va(s->vm, guest_port_writes), TEST_PORT,
		       1u << 31, 0);
	while (!s->stop) {
		vcpu_run(s->vcpu);
		s->exits++;
	}
	return NULL;
}

static void storm_start(struct storm *s)
{
	memset(s, 0, sizeof(*s));
	s->vm = vm_create();
	s->vcpu = vm_vcpu_add(s->vm);
	TEST_ASSERT(!pthread_create(&s->thread, NULL, storm_run, s), "pthread_create");
}

static void storm_stop(struct storm *s)
{
	s->stop = true;
	pthread_join(s->thread, NULL);
	vm_free(s->vm);
}

static size_t count_kind(const struct rec_buf *buf, uint8_t kind, uint32_t vm_id)
{
	size_t n = 0;

	for (size_t i = 0; i < buf->n; i++)
		n += buf->recs[i].kind == kind && buf->recs[i].vm_id == vm_id;
	return n;
}

static void run_exits(struct kvm_vm *vm, struct kvm_vcpu *vcpu, uint32_t count)
{
	vcpu_set_entry(vcpu, vm_code_va(vm, guest_port_writes), TEST_PORT, count, 0);
	for (uint32_t i = 0; i < count; i++)
		vcpu_run_expect_out(vcpu, TEST_PORT, 4, i);
	vcpu_run(vcpu);
	vcpu_assert_done(vcpu);
}

/* Whether GET_VMS lists a VM of process @pid. */
static bool vm_listed(struct vmt_client *c, uint32_t pid)
{
	struct vmt_vm_info *info;
	bool found = false;
	size_t nr;

	TEST_ASSERT(!vmt_client_get_vms(c, &info, &nr), "GET_VMS");
	for (size_t i = 0; i < nr; i++)
		found |= info[i].pid == pid;
	vmt_vms_free(info, nr);
	return found;
}

/* A VM destroyed while recording: a VM_GONE record with its id follows its
 * last exit, it leaves GET_VMS, and a VM created later gets a new id. */
static void test_vm_gone(void)
{
	struct vmt_start_config cfg = { 0 };
	struct vmt_client *c = vmt_open();
	struct kvm_vm *vm1 = vm_create(), *vm2;
	struct kvm_vcpu *vcpu;
	struct rec_buf buf = { 0 };
	struct vmt_vm_info *info;
	uint64_t last_exit = 0, gone_tsc = 0;
	uint32_t id1, id2;
	size_t nr;

	vmt_start(c, &cfg);
	vcpu = vm_vcpu_add(vm1);
	run_exits(vm1, vcpu, 10);
	vm_free(vm1);
	/* The module reaps dead VMs every 200 ms; a loaded host may be late. */
	for (int i = 0; i < 100 && vm_listed(c, getpid()); i++)
		usleep(100000);
	TEST_ASSERT(!vm_listed(c, getpid()), "the destroyed VM is still listed after 10 s");
	vm2 = vm_create();
	vcpu = vm_vcpu_add(vm2);
	run_exits(vm2, vcpu, 10);
	vmt_stop_drain(c, &buf);

	id1 = vm_id_of_pid(&buf, getpid(), 0);
	id2 = vm_id_of_pid(&buf, getpid(), 1);
	TEST_ASSERT(id1 && id2 && id2 > id1, "VM ids %u, %u", id1, id2);
	TEST_ASSERT_EQ(count_kind(&buf, VMTRACE_KIND_VM_GONE, id1), 1);
	TEST_ASSERT_EQ(count_kind(&buf, VMTRACE_KIND_VM_GONE, id2), 0);
	TEST_ASSERT_EQ(count_exits(&buf, id1, vmt_exit_codes()->io), 10);
	TEST_ASSERT_EQ(count_exits(&buf, id2, vmt_exit_codes()->io), 10);
	for (size_t i = 0; i < buf.n; i++) {
		const struct vmtrace_record *r = &buf.recs[i];

		if (r->vm_id == id1 && r->kind == VMTRACE_KIND_EXIT && r->host_tsc > last_exit)
			last_exit = r->host_tsc;
		if (r->vm_id == id1 && r->kind == VMTRACE_KIND_VM_GONE)
			gone_tsc = r->host_tsc;
	}
	TEST_ASSERT(gone_tsc > last_exit, "VM_GONE before the VM's last exit");

	TEST_ASSERT(!vmt_client_get_vms(c, &info, &nr), "GET_VMS");
	for (size_t i = 0; i < nr; i++)
		TEST_ASSERT(info[i].id != id1, "the destroyed VM is still listed");
	for (size_t i = 0; i < nr && id2; i++)
		if (info[i].id == id2)
			id2 = 0;
	TEST_ASSERT(!id2, "the live VM is not listed");
	vmt_vms_free(info, nr);
	rec_buf_free(&buf);
	vm_free(vm2);
	vmt_client_close(c);
}

/* rmmod while a collector drains an exit storm: the unload completes, the
 * collector gets a clean error, the guest keeps running; then reload. */
static void test_rmmod_during_storm(void)
{
	struct storm storm;
	uint64_t before;
	int status, pipefd[2];
	char ready;
	pid_t pid;

	load_vmtrace();
	storm_start(&storm);
	TEST_ASSERT_SYSCALL(pipe(pipefd), "pipe");
	pid = fork();
	TEST_ASSERT_SYSCALL(pid, "fork");
	if (!pid) {
		struct vmt_start_config cfg = { .sample_hz = 1000 };
		struct vmt_client *c = vmt_open();
		long n;

		vmt_start(c, &cfg);
		TEST_ASSERT_EQ(write(pipefd[1], "r", 1), 1);
		do
			n = vmt_client_read(c, NULL, NULL);
		while (n >= 0);
		/*
		 * The family went away under us: an error, not a hang.  Mostly
		 * ENOENT (no such family); report any other, but a READ cut
		 * short by the unload may fail otherwise too.
		 */
		if (n != -ENOENT)
			test_diag("collector: READ after rmmod: %s", strerror(-n));
		exit(0);
	}
	TEST_ASSERT_EQ(read(pipefd[0], &ready, 1), 1);
	usleep(500000);
	unload("vmtrace");
	TEST_ASSERT_EQ(waitpid(pid, &status, 0), pid);
	TEST_ASSERT(WIFEXITED(status) && !WEXITSTATUS(status),
		    "collector ended with status %d", status);
	TEST_ASSERT(!module_loaded("vmtrace"), "vmtrace came back");
	before = storm.exits;
	for (int i = 0; i < 50 && storm.exits == before; i++)
		usleep(100000);
	TEST_ASSERT(storm.exits > before, "the guest stopped running after rmmod");
	storm_stop(&storm);
	load_vmtrace();
}

/* Loaded while a VM already runs: the VM is picked up at its next entry. */
static void test_load_with_vm_running(void)
{
	struct vmt_start_config cfg = { 0 };
	struct rec_buf buf = { 0 };
	struct storm storm;
	struct vmt_client *c;
	uint32_t id;

	unload("vmtrace");
	storm_start(&storm);
	usleep(200000);
	load_vmtrace();
	c = vmt_open();
	vmt_start(c, &cfg);
	usleep(300000);
	vmt_stop_drain(c, &buf);
	storm_stop(&storm);
	id = vm_id_of_pid(&buf, getpid(), 0);
	TEST_ASSERT(id, "no VM_NEW for the running VM");
	TEST_ASSERT(count_exits(&buf, id, vmt_exit_codes()->io) > 10, "%zu IO exits",
		    count_exits(&buf, id, vmt_exit_codes()->io));
	rec_buf_free(&buf);
	vmt_client_close(c);
}

/* The vendor module unloaded and loaded again under a running session:
 * recording goes on with the new module's VMs. */
static void test_vendor_module_reload(void)
{
	const char *vendor = vmt_exit_codes()->io == 0x7b ? "kvm_amd" : "kvm_intel";
	struct vmt_start_config cfg = { 0 };
	struct vmt_client *c = vmt_open();
	struct rec_buf buf = { 0 };
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;

	vmt_start(c, &cfg);
	unload(vendor);
	TEST_ASSERT(!run("modprobe %s", vendor), "modprobe %s failed", vendor);
	vm = vm_create();
	vcpu = vm_vcpu_add(vm);
	run_exits(vm, vcpu, 100);
	vmt_stop_drain(c, &buf);
	TEST_ASSERT_EQ(count_exits(&buf, 0, vmt_exit_codes()->io), 100);
	rec_buf_free(&buf);
	vm_free(vm);
	vmt_client_close(c);
}

/* Sessions started and stopped 200 times under a running guest (each
 * attaches and detaches the probes, patching KVM's code as it runs): every
 * session ends STOPPED with nothing queued, and drains to produced ==
 * drained + lost; the guest keeps running throughout. */
static void test_session_churn(void)
{
	struct vmt_start_config cfg = { .sample_hz = 1000 };
	struct vmt_client *c = vmt_open();
	struct storm storm;
	struct vmt_totals t;
	uint64_t before;

	storm_start(&storm);
	for (int i = 0; i < 200; i++) {
		struct rec_buf buf = { 0 };

		vmt_start(c, &cfg);
		usleep(2000);
		vmt_stop_drain(c, &buf);
		vmt_totals(c, &t);
		TEST_ASSERT_EQ(t.queued, 0);
		TEST_ASSERT(t.produced == t.drained + t.lost, "session %d: %llu != %llu + %llu",
			    i, (unsigned long long)t.produced, (unsigned long long)t.drained,
			    (unsigned long long)t.lost);
		rec_buf_free(&buf);
	}
	before = storm.exits;
	for (int i = 0; i < 50 && storm.exits == before; i++)
		usleep(100000);
	TEST_ASSERT(storm.exits > before, "the guest stopped running");
	storm_stop(&storm);
	vmt_client_close(c);
}

/* With no module, the collector says so in one line and exits 1. */
static void test_collector_without_module(void)
{
	char exe[4096], msg[256] = "";
	int out[2], status;
	ssize_t n;
	pid_t pid;

	tree_path("user/vmtrace-collect", exe, sizeof(exe));
	unload("vmtrace");
	TEST_ASSERT_SYSCALL(pipe(out), "pipe");
	pid = fork();
	TEST_ASSERT_SYSCALL(pid, "fork");
	if (!pid) {
		dup2(out[1], 1);
		dup2(out[1], 2);
		execl(exe, "vmtrace-collect", "status", (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	n = read(out[0], msg, sizeof(msg) - 1);
	TEST_ASSERT_EQ(waitpid(pid, &status, 0), pid);
	load_vmtrace();
	TEST_ASSERT(n > 0, "no output");
	msg[n] = '\0';
	TEST_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 1, "exit status %d", status);
	TEST_ASSERT(!strcmp(msg, "vmtrace-collect: vmtrace.ko is not loaded\n"),
		    "output '%s'", msg);
}

static const struct tap_test tests[] = {
	TAP_TEST(vm_gone),
	TAP_TEST(rmmod_during_storm),
	TAP_TEST(load_with_vm_running),
	TAP_TEST(vendor_module_reload),
	TAP_TEST(session_churn),
	TAP_TEST(collector_without_module),
};

int main(int argc, char **argv)
{
	return tap_main(argc, argv, tests, ARRAY_SIZE(tests), TAP_NEEDS_KVM);
}
