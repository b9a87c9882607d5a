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
#include <fcntl.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/kvm.h>
#include <linux/netlink.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <x86intrin.h>

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
static bool vm_listed(struct client *c, uint32_t pid)
{
	struct client_vm_info *info;
	bool found = false;
	size_t nr;

	TEST_ASSERT(!client_get_vms(c, &info, &nr), "GET_VMS");
	for (size_t i = 0; i < nr; i++)
		found |= info[i].pid == pid;
	client_vms_free(info, nr);
	return found;
}

/* A VM destroyed while recording: a VM_GONE record with its id follows its
 * last exit, it leaves GET_VMS, and a VM created later gets a new id. */
static void test_vm_gone(void)
{
	struct client_start_config cfg = { 0 };
	struct client *c = vmt_open();
	struct kvm_vm *vm1 = vm_create(), *vm2;
	struct kvm_vcpu *vcpu;
	struct rec_buf buf = { 0 };
	struct client_vm_info *info;
	uint64_t last_exit = 0, gone_tsc = 0;
	uint32_t id1, id2;
	size_t nr;

	vmt_start(c, &cfg);
	vcpu = vm_vcpu_add(vm1);
	run_exits(vm1, vcpu, 10);
	vm_free(vm1);
	/* Forgotten in the VMM's close(), not later. */
	TEST_ASSERT(!vm_listed(c, getpid()), "the destroyed VM is still listed after its close()");
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

	TEST_ASSERT(!client_get_vms(c, &info, &nr), "GET_VMS");
	for (size_t i = 0; i < nr; i++)
		TEST_ASSERT(info[i].id != id1, "the destroyed VM is still listed");
	for (size_t i = 0; i < nr && id2; i++)
		if (info[i].id == id2)
			id2 = 0;
	TEST_ASSERT(!id2, "the live VM is not listed");
	client_vms_free(info, nr);
	rec_buf_free(&buf);
	vm_free(vm2);
	client_close(c);
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
		struct client_start_config cfg = { .sample_hz = 1000 };
		struct client *c = vmt_open();
		long n;

		vmt_start(c, &cfg);
		TEST_ASSERT_EQ(write(pipefd[1], "r", 1), 1);
		do
			n = client_read(c, NULL, NULL);
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
	struct client_start_config cfg = { 0 };
	struct rec_buf buf = { 0 };
	struct storm storm;
	struct client *c;
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
	client_close(c);
}

/* The vendor module unloaded and loaded again under a running session:
 * recording goes on with the new module's VMs. */
static void test_vendor_module_reload(void)
{
	const char *vendor = vmt_exit_codes()->io == 0x7b ? "kvm_amd" : "kvm_intel";
	struct client_start_config cfg = { 0 };
	struct client *c = vmt_open();
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
	client_close(c);
}

/* Sessions started and stopped 200 times under a running guest (each
 * attaches and detaches the probes, patching KVM's code as it runs): every
 * session ends STOPPED with nothing queued, and drains to produced ==
 * drained + lost; the guest keeps running throughout. */
static void test_session_churn(void)
{
	struct client_start_config cfg = { .sample_hz = 1000 };
	struct client *c = vmt_open();
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
	client_close(c);
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


/*
 * A VM with one vCPU (no in-kernel irqchip) that never runs, held while a
 * subtest creates and destroys many VMs: with none of its own alive, each
 * first VM and vCPU and each last one would flip KVM's static keys
 * (preempt_notifier_key, kvm_has_noapic_vcpu), i.e. live-patch the test
 * host's kernel text, which QEMU TCG now and then gets wrong (a CPU spins
 * for ever at the patched site: see lib/kvm_hold.c).  The runner's own
 * holder is stopped for this program, which unloads kvm_amd.  Never run,
 * the held VM is never tracked and makes no record.
 */
static struct kvm_vm *hold_static_keys(void)
{
	struct kvm_vm *vm = vm_create();

	vm_vcpu_add(vm);
	return vm;
}

/* A module parameter of vmtrace.ko, written through sysfs. */
static void set_param(const char *name, const char *value)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/vmtrace/parameters/%s", name);
	f = fopen(path, "w");
	TEST_ASSERT(f, "%s: %m", path);
	TEST_ASSERT(fputs(value, f) >= 0 && !fclose(f), "write %s to %s", value, path);
}

static long module_refcnt(const char *name)
{
	char path[256];
	long n = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", name);
	f = fopen(path, "r");
	TEST_ASSERT(f, "%s: %m", path);
	TEST_ASSERT_EQ(fscanf(f, "%ld", &n), 1);
	fclose(f);
	return n;
}

static bool path_exists(const char *path)
{
	struct stat st;

	return !stat(path, &st);
}

/*
 * VMs closed by their VMM while a session records them are destroyed in
 * that close(), as without vmtrace: right after vm_free() their debugfs
 * directory is gone, GET_VMS no longer lists them and the vendor module's
 * reference count is back where it was; each gets one VM_NEW and one
 * VM_GONE, after its last exit.  (With references held by vmtrace, all
 * of that waited for a reaper and the destruction ran in its kworker.)
 */
static void test_destroyed_in_close(void)
{
	const char *vendor = vmt_exit_codes()->io == 0x7b ? "kvm_amd" : "kvm_intel";
	struct client_start_config cfg = { 0 };
	struct client *c = vmt_open();
	struct rec_buf buf = { 0 };
	struct kvm_vm *held = hold_static_keys();
	long refs = module_refcnt(vendor);
	uint32_t ids[10];

	TEST_ASSERT(path_exists("/sys/kernel/debug/kvm"), "debugfs has no kvm directory");
	vmt_start(c, &cfg);
	for (int i = 0; i < 10; i++) {
		struct kvm_vm *vm = vm_create();
		struct kvm_vcpu *vcpu = vm_vcpu_add(vm);
		char dir[128];

		snprintf(dir, sizeof(dir), "/sys/kernel/debug/kvm/%d-%d", getpid(), vm->fd);
		TEST_ASSERT(path_exists(dir), "%s missing while the VM lives", dir);
		run_exits(vm, vcpu, 5);
		TEST_ASSERT(module_refcnt(vendor) > refs, "the live VM holds no %s reference", vendor);
		vm_free(vm);
		TEST_ASSERT(!path_exists(dir), "VM %d: %s still there after close()", i, dir);
		TEST_ASSERT(!vm_listed(c, getpid()), "VM %d still listed after close()", i);
		TEST_ASSERT_EQ(module_refcnt(vendor), refs);
	}
	vmt_stop_drain(c, &buf);
	for (int i = 0; i < 10; i++) {
		uint64_t last_exit = 0, gone_tsc = 0;

		ids[i] = vm_id_of_pid(&buf, getpid(), i);
		TEST_ASSERT(ids[i], "no VM_NEW for VM %d", i);
		for (int j = 0; j < i; j++)
			TEST_ASSERT(ids[j] != ids[i], "VMs %d and %d share id %u", j, i, ids[i]);
		TEST_ASSERT_EQ(count_kind(&buf, VMTRACE_KIND_VM_NEW, ids[i]), 1);
		TEST_ASSERT_EQ(count_kind(&buf, VMTRACE_KIND_VM_GONE, ids[i]), 1);
		TEST_ASSERT_EQ(count_exits(&buf, ids[i], vmt_exit_codes()->io), 5);
		for (size_t k = 0; k < buf.n; k++) {
			const struct vmtrace_record *r = &buf.recs[k];

			if (r->vm_id != ids[i])
				continue;
			if (r->kind == VMTRACE_KIND_EXIT && r->host_tsc > last_exit)
				last_exit = r->host_tsc;
			if (r->kind == VMTRACE_KIND_VM_GONE)
				gone_tsc = r->host_tsc;
		}
		TEST_ASSERT(gone_tsc > last_exit, "VM %d: VM_GONE before its last exit", i);
	}
	vm_free(held);
	rec_buf_free(&buf);
	client_close(c);
}

/* VM create/destroy storm: STORM_THREADS threads each make, run and close
 * STORM_VMS VMs, one at a time, during one session. */
#define STORM_THREADS 4
#define STORM_VMS 500

/*
 * The cheapest VM that exits: one page of real-mode code at GPA 0x1000,
 *	mov $0x5000, %dx; out %al, (%dx); hlt
 * one vCPU, run to the OUT and to the HLT, then closed.  (The library's
 * long-mode VMs cost several times as much to set up under emulation.)
 */
static void raw_vm_once(int kvm_fd, size_t run_size)
{
	static const uint8_t code[] = { 0xba, 0x00, 0x50, 0xee, 0xf4 };
	struct kvm_userspace_memory_region region = {
		.guest_phys_addr = 0x1000, .memory_size = 4096,
	};
	struct kvm_regs regs = { .rip = 0x1000, .rflags = 2 };
	struct kvm_sregs sregs;
	struct kvm_run *run;
	int vm, vcpu;
	uint8_t *mem;

	vm = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	TEST_ASSERT_SYSCALL(vm, "KVM_CREATE_VM");
	mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(mem != MAP_FAILED, "mmap");
	memcpy(mem, code, sizeof(code));
	region.userspace_addr = (uintptr_t)mem;
	TEST_ASSERT_SYSCALL(ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region), "memslot");
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	TEST_ASSERT_SYSCALL(vcpu, "KVM_CREATE_VCPU");
	run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	TEST_ASSERT(run != MAP_FAILED, "mmap kvm_run");
	TEST_ASSERT_SYSCALL(ioctl(vcpu, KVM_GET_SREGS, &sregs), "KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	TEST_ASSERT_SYSCALL(ioctl(vcpu, KVM_SET_SREGS, &sregs), "KVM_SET_SREGS");
	TEST_ASSERT_SYSCALL(ioctl(vcpu, KVM_SET_REGS, &regs), "KVM_SET_REGS");
	TEST_ASSERT_SYSCALL(ioctl(vcpu, KVM_RUN, 0), "KVM_RUN");
	TEST_ASSERT(run->exit_reason == KVM_EXIT_IO && run->io.port == TEST_PORT,
		    "exit %u, port 0x%x", run->exit_reason, run->io.port);
	TEST_ASSERT_SYSCALL(ioctl(vcpu, KVM_RUN, 0), "KVM_RUN");
	TEST_ASSERT_EQ(run->exit_reason, KVM_EXIT_HLT);
	munmap(run, run_size);
	close(vcpu);
	close(vm);
	munmap(mem, 4096);
}

static void *vm_churn(void *arg)
{
	int kvm_fd = open("/dev/kvm", O_RDWR);
	long run_size;

	(void)arg;
	TEST_ASSERT_SYSCALL(kvm_fd, "/dev/kvm");
	run_size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	TEST_ASSERT_SYSCALL(run_size, "KVM_GET_VCPU_MMAP_SIZE");
	for (int i = 0; i < STORM_VMS; i++)
		raw_vm_once(kvm_fd, run_size);
	close(kvm_fd);
	return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * 2,000 VMs in one session (more than the default max_vms of 1024 ever
 * seen, never more than 4 alive): every VM gets its own id, one VM_NEW,
 * one VM_GONE and its one port-write exit; nothing is lost to the VM
 * table, however many VMs came and went before.
 */
static void test_vm_storm(void)
{
	const size_t total = STORM_THREADS * STORM_VMS;
	struct client_start_config cfg = { .ring_size = 8 << 20 };
	struct client *c = vmt_open();
	pthread_t threads[STORM_THREADS];
	struct rec_buf buf = { 0 };
	struct vmt_totals t;
	uint32_t *ids = calloc(total, sizeof(*ids));
	size_t nr = 0;

	struct kvm_vm *held = hold_static_keys();

	TEST_ASSERT(ids, "calloc");
	vmt_start(c, &cfg);
	for (int i = 0; i < STORM_THREADS; i++)
		TEST_ASSERT(!pthread_create(&threads[i], NULL, vm_churn, NULL), "pthread_create");
	for (int i = 0; i < STORM_THREADS; i++)
		pthread_join(threads[i], NULL);
	vmt_stop_drain(c, &buf);
	vmt_totals(c, &t);
	TEST_ASSERT_EQ(t.lost_cause[VMTRACE_LOST_VM_TABLE], 0);
	TEST_ASSERT_EQ(t.lost, 0);
	for (size_t i = 0; i < buf.n; i++) {
		const struct vmtrace_record *r = &buf.recs[i];

		if (r->kind == VMTRACE_KIND_VM_NEW && r->vmm_pid == (uint32_t)getpid()) {
			TEST_ASSERT(nr < total, "more than %zu VM_NEW records", total);
			ids[nr++] = r->vm_id;
		}
	}
	TEST_ASSERT_EQ(nr, total);
	qsort(ids, nr, sizeof(*ids), cmp_u32);
	for (size_t i = 1; i < nr; i++)
		TEST_ASSERT(ids[i] != ids[i - 1], "two VMs got id %u", ids[i]);
	for (size_t i = 0; i < nr; i++) {
		TEST_ASSERT_EQ(count_kind(&buf, VMTRACE_KIND_VM_GONE, ids[i]), 1);
		TEST_ASSERT_EQ(count_exits(&buf, ids[i], vmt_exit_codes()->io), 1);
	}
	test_diag("%zu VMs, %zu distinct ids, one VM_GONE and one IO exit each", total, nr);
	vm_free(held);
	free(ids);
	rec_buf_free(&buf);
	client_close(c);
}

static int online_cpus(void)
{
	return (int)sysconf(_SC_NPROCESSORS_ONLN);
}

/*
 * The ring memory cap: by default 1/16 of RAM over all online CPUs; a
 * START above it is refused (ENOSPC, a message naming max_ring_mb) and
 * changes nothing; max_ring_mb moves the cap.
 */
static void test_ring_cap(void)
{
	uint64_t cap = (uint64_t)sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE) / 16;
	struct client_start_config cfg = { 0 };
	struct client *c = vmt_open();
	int cpus = online_cpus();
	uint32_t size = 4096;
	struct client_status st;
	int err;

	/* The smallest ring size over the cap, and the largest within it. */
	while ((uint64_t)size * cpus <= cap)
		size *= 2;
	TEST_ASSERT(size <= VMTRACE_RING_SIZE_MAX, "cap %llu too large to test",
		    (unsigned long long)cap);
	cfg.ring_size = size;
	err = client_start(c, &cfg);
	TEST_ASSERT_EQ(err, -ENOSPC);
	TEST_ASSERT(strstr(client_error(c), "max_ring_mb"), "message '%s'",
		    client_error(c));
	TEST_ASSERT(!client_status(c, &st), "GET_STATUS");
	TEST_ASSERT_EQ(st.state, VMTRACE_STATE_IDLE);
	/* sysinfo's totalram is the kernel's totalram_pages, in bytes. */
	TEST_ASSERT_EQ(st.ring_cap, cap);
	cfg.ring_size = size / 2;
	TEST_ASSERT(!client_start(c, &cfg), "START at %u bytes: %s", size / 2,
		    client_error(c));
	TEST_ASSERT(!client_stop(c), "STOP");
	client_close(c);

	/*
	 * 1 MiB: rings of 1 MiB in all fit (512 KiB ones on 2 CPUs), rings of
	 * twice that do not (1 MiB ones on 2 CPUs, 2 MiB on 1: the 1-CPU
	 * Bochs test host).
	 */
	set_param("max_ring_mb", "1");
	c = vmt_open();
	TEST_ASSERT(!client_status(c, &st), "GET_STATUS");
	TEST_ASSERT_EQ(st.ring_cap, 1 << 20);
	cfg.ring_size = (1 << 20) / cpus;
	TEST_ASSERT(!client_start(c, &cfg), "START within max_ring_mb=1: %s",
		    client_error(c));
	TEST_ASSERT(!client_stop(c), "STOP");
	cfg.ring_size = (2 << 20) / cpus;
	err = client_start(c, &cfg);
	set_param("max_ring_mb", "0");
	TEST_ASSERT_EQ(err, -ENOSPC);
	client_close(c);
}

static void set_cpu_online(int cpu, bool online)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online", cpu);
	f = fopen(path, "w");
	TEST_ASSERT(f, "%s: %m", path);
	TEST_ASSERT(fputs(online ? "1" : "0", f) >= 0 && !fclose(f), "%s <- %d", path, online);
}

/* A vCPU spinning in guest code on its own thread, pinned to a CPU. */
struct spinner {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	pthread_t thread;
	volatile pid_t tid;
	volatile bool stop;
};

static void *spinner_run(void *arg)
{
	struct spinner *s = arg;

	s->tid = (pid_t)syscall(SYS_gettid);
	while (!s->stop) {
		vcpu_set_entry(s->vcpu, vm_code_va(s->vm, guest_spin), 2000000, TEST_PORT);
		vcpu_run_expect_out(s->vcpu, TEST_PORT, 4, 2000000);
		vcpu_run(s->vcpu);
		vcpu_assert_done(s->vcpu);
	}
	return NULL;
}

static void pin(pid_t tid, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	TEST_ASSERT_SYSCALL(sched_setaffinity(tid, sizeof(set), &set), "sched_setaffinity");
}

static size_t samples_on(const struct rec_buf *buf, uint32_t vm_id, int cpu, uint64_t after)
{
	size_t n = 0;

	for (size_t i = 0; i < buf->n; i++) {
		const struct vmtrace_record *r = &buf->recs[i];

		n += r->kind == VMTRACE_KIND_SAMPLE && r->vm_id == vm_id &&
		     r->host_cpu == cpu && r->host_tsc > after;
	}
	return n;
}

/*
 * CPU 1 goes offline and comes back during a session: once a guest runs
 * on it again it is sampled again; and a CPU that was offline when the
 * session started gets a ring and sampling when it comes online.  Counts
 * balance throughout (nothing drained away with the offline CPU).
 */
static void test_cpu_hotplug(void)
{
	struct client_start_config cfg = { .sample_hz = 1000 };
	struct client *c = vmt_open();
	struct spinner sp = { 0 };
	struct vmt_totals t;
	uint32_t id;

	if (online_cpus() < 2 || !path_exists("/sys/devices/system/cpu/cpu1/online"))
		tap_skip("needs CPU 1, online and hot-pluggable");
	sp.vm = vm_create();
	sp.vcpu = vm_vcpu_add(sp.vm);
	TEST_ASSERT(!pthread_create(&sp.thread, NULL, spinner_run, &sp), "pthread_create");
	while (!sp.tid)
		usleep(1000);

	for (int phase = 0; phase < 2; phase++) {
		struct rec_buf buf = { 0 };
		uint64_t back;

		if (phase == 0) {
			/* Started with CPU 1 online, then it goes away. */
			pin(sp.tid, 1);
			vmt_start(c, &cfg);
			usleep(300000);
			set_cpu_online(1, false);
		} else {
			/* Started with CPU 1 offline: no ring for it yet. */
			set_cpu_online(1, false);
			vmt_start(c, &cfg);
		}
		usleep(200000);
		set_cpu_online(1, true);
		pin(sp.tid, 1);
		back = __rdtsc();
		usleep(500000);
		vmt_stop_drain(c, &buf);
		vmt_totals(c, &t);
		TEST_ASSERT(t.produced == t.drained + t.lost, "phase %d: %llu != %llu + %llu",
			    phase, (unsigned long long)t.produced,
			    (unsigned long long)t.drained, (unsigned long long)t.lost);
		TEST_ASSERT_EQ(t.queued, 0);
		id = vm_id_of_pid(&buf, getpid(), 0);
		if (!id) {
			/* Tracked in an earlier session: its id from any record. */
			for (size_t i = 0; i < buf.n && !id; i++)
				if (buf.recs[i].kind == VMTRACE_KIND_SAMPLE &&
				    buf.recs[i].vmm_pid == (uint32_t)getpid())
					id = buf.recs[i].vm_id;
		}
		TEST_ASSERT(id, "phase %d: no sample of the VM", phase);
		test_diag("phase %d: %zu samples on CPU 1 after it came back", phase,
			  samples_on(&buf, id, 1, back));
		TEST_ASSERT(samples_on(&buf, id, 1, back) >= 5,
			    "phase %d: %zu samples on CPU 1 after it came back", phase,
			    samples_on(&buf, id, 1, back));
		rec_buf_free(&buf);
	}
	sp.stop = true;
	pthread_join(sp.thread, NULL);
	vm_free(sp.vm);
	client_close(c);
}

/*
 * A VM whose vendor layout check fails (forced through the fault-injection
 * parameter fail_layout_check) is recorded without guest state: every
 * record of it says NO_STATE, exit reason unknown, and carries zero RIP,
 * CR3, GS base and mode; GET_VMS flags it.  A VM seen afterwards, with the
 * parameter off, is recorded in full.
 */
static void test_layout_check_failed(void)
{
	struct client_start_config cfg = { 0 };
	struct client *c = vmt_open();
	struct rec_buf buf = { 0 };
	struct client_vm_info *info;
	struct kvm_vm *bad, *good;
	struct kvm_vcpu *vcpu;
	uint32_t bad_id, good_id, flags = 0;
	size_t nr, exits = 0;

	vmt_start(c, &cfg);
	set_param("fail_layout_check", "1");
	bad = vm_create();
	vcpu = vm_vcpu_add(bad);
	run_exits(bad, vcpu, 20);
	set_param("fail_layout_check", "0");
	TEST_ASSERT(!client_get_vms(c, &info, &nr), "GET_VMS");
	for (size_t i = 0; i < nr; i++)
		if (info[i].pid == (uint32_t)getpid())
			flags |= info[i].flags;
	client_vms_free(info, nr);
	TEST_ASSERT(flags & VMTRACE_VM_F_NO_STATE, "GET_VMS flags 0x%x", flags);
	good = vm_create();
	vcpu = vm_vcpu_add(good);
	run_exits(good, vcpu, 20);
	vmt_stop_drain(c, &buf);
	bad_id = vm_id_of_pid(&buf, getpid(), 0);
	good_id = vm_id_of_pid(&buf, getpid(), 1);
	TEST_ASSERT(bad_id && good_id, "VM ids %u, %u", bad_id, good_id);
	for (size_t i = 0; i < buf.n; i++) {
		const struct vmtrace_record *r = &buf.recs[i];

		if (r->vm_id != bad_id || r->kind != VMTRACE_KIND_EXIT)
			continue;
		exits++;
		TEST_ASSERT(r->flags == VMTRACE_REC_F_NO_STATE && r->mode == 0 &&
			    r->exit_reason == VMTRACE_EXIT_REASON_UNKNOWN &&
			    !r->u.g.guest_rip && !r->u.g.guest_cr3 && !r->u.g.guest_gs_base,
			    "record %zu: flags 0x%x mode 0x%x reason 0x%x rip 0x%llx cr3 0x%llx gs 0x%llx",
			    i, r->flags, r->mode, r->exit_reason,
			    (unsigned long long)r->u.g.guest_rip,
			    (unsigned long long)r->u.g.guest_cr3,
			    (unsigned long long)r->u.g.guest_gs_base);
	}
	/* 20 OUTs and the HLT at least (and whatever else the VM exited for). */
	TEST_ASSERT(exits >= 21, "%zu exit records of the failed VM", exits);
	TEST_ASSERT_EQ(count_exits(&buf, good_id, vmt_exit_codes()->io), 20);
	for (size_t i = 0; i < buf.n; i++) {
		const struct vmtrace_record *r = &buf.recs[i];

		if (r->vm_id == good_id && r->kind == VMTRACE_KIND_EXIT &&
		    r->exit_reason == vmt_exit_codes()->io)
			TEST_ASSERT_EQ(r->u.g.guest_rip, vm_code_va(good, guest_port_writes_out));
	}
	rec_buf_free(&buf);
	vm_free(bad);
	vm_free(good);
	client_close(c);
}

/* The module declares no generic netlink family alias, so resolving the
 * family name can never load it: only the operator does. */
static void test_no_autoload_alias(void)
{
	char path[4096], cmd[4300], out[256] = "";
	const char *ko = getenv("VMTRACE_KO");
	struct utsname u;
	size_t n;
	FILE *p;

	if (!ko) {
		char rel[512];

		uname(&u);
		snprintf(rel, sizeof(rel), "build/%s/kmod/vmtrace.ko", u.release);
		ko = tree_path(rel, path, sizeof(path));
	}
	snprintf(cmd, sizeof(cmd), "modinfo -F alias %s", ko);
	p = popen(cmd, "r");
	TEST_ASSERT(p, "popen");
	n = fread(out, 1, sizeof(out) - 1, p);
	TEST_ASSERT_EQ(pclose(p), 0);
	out[n] = '\0';
	TEST_ASSERT(!n, "vmtrace.ko has aliases: %s", out);
}

/*
 * Closing a generic netlink socket that is not the session owner's never
 * waits for vmtrace's session mutex (NetworkManager, iw, systemd-networkd
 * close such sockets all day), and START does not hold that mutex while it
 * allocates and zeroes its rings and starts timers on every CPU, which
 * takes a long while for large rings.  Another process closes sockets and
 * asks GET_STATUS in a loop meanwhile, and counts those that began and
 * ended while one START was in progress.  Were close() to take the mutex,
 * or START to hold it throughout, none could (bar those in the
 * microseconds before START takes it).
 */
static void test_release_does_not_block(void)
{
	uint64_t cap = (uint64_t)sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE) / 16;
	struct client_start_config cfg = { .ring_size = 4096 };
	volatile uint64_t *shared;
	struct client *c = vmt_open();
	uint64_t inside;
	int status;
	pid_t pid;

	while ((uint64_t)cfg.ring_size * 2 * online_cpus() <= cap &&
	       cfg.ring_size < VMTRACE_RING_SIZE_MAX)
		cfg.ring_size *= 2;
	shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(shared != MAP_FAILED, "mmap");
	shared[0] = 0;	/* odd while a START is in progress */
	shared[1] = 0;	/* closes inside one START */
	shared[2] = 0;	/* the child is to stop */
	shared[3] = 0;	/* GET_STATUS inside one START */
	pid = fork();
	TEST_ASSERT_SYSCALL(pid, "fork");
	if (!pid) {
		struct client *other = vmt_open();

		while (!shared[2]) {
			uint64_t before = shared[0];
			int fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_GENERIC);
			struct client_status st;

			TEST_ASSERT_SYSCALL(fd, "socket");
			close(fd);
			if ((before & 1) && shared[0] == before)
				shared[1]++;
			before = shared[0];
			TEST_ASSERT(!client_status(other, &st), "GET_STATUS");
			if ((before & 1) && shared[0] == before)
				shared[3]++;
		}
		client_close(other);
		_exit(0);
	}
	for (int i = 0; i < 20; i++) {
		__atomic_fetch_add(&shared[0], 1, __ATOMIC_SEQ_CST);
		TEST_ASSERT(!client_start(c, &cfg), "START: %s", client_error(c));
		__atomic_fetch_add(&shared[0], 1, __ATOMIC_SEQ_CST);
		TEST_ASSERT(!client_stop(c), "STOP");
	}
	shared[2] = 1;
	TEST_ASSERT_EQ(waitpid(pid, &status, 0), pid);
	TEST_ASSERT(WIFEXITED(status) && !WEXITSTATUS(status), "child status %d", status);
	inside = shared[1];
	test_diag("inside one of 20 STARTs of %u KiB rings began and ended: %llu socket closes, %llu GET_STATUS",
		  cfg.ring_size >> 10, (unsigned long long)inside, (unsigned long long)shared[3]);
	TEST_ASSERT(inside >= 20, "only %llu closes inside a START", (unsigned long long)inside);
	TEST_ASSERT(shared[3] >= 20, "only %llu GET_STATUS inside a START",
		    (unsigned long long)shared[3]);
	munmap((void *)shared, 4096);
	client_close(c);
}

/* Lines of the kernel log that contain @needle. */
static int kmsg_count(const char *needle)
{
	char cmd[512];
	int n = -1;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "dmesg | grep -c -F '%s'", needle);
	p = popen(cmd, "r");
	TEST_ASSERT(p, "popen");
	TEST_ASSERT_EQ(fscanf(p, "%d", &n), 1);
	pclose(p);
	return n;
}

static const char *vmtrace_ko(char *path, size_t size)
{
	const char *ko = getenv("VMTRACE_KO");
	struct utsname u;
	char rel[512];

	if (ko)
		return ko;
	uname(&u);
	snprintf(rel, sizeof(rel), "build/%s/kmod/vmtrace.ko", u.release);
	return tree_path(rel, path, sizeof(path[0]) * size);
}

#define LAYOUT_DIFFERS "struct vcpu_svm differs from the one vmtrace was built against"

/*
 * kvm-amd's struct vcpu_svm is compared at load with the one vmtrace was
 * built against, from the running kvm-amd's BTF.  A difference (forced
 * with layout_offset_bias, as a rebuilt kvm-amd would show it) refuses the
 * load with a message saying what differs; the true layout loads.
 */
static void test_layout_refused_at_load(void)
{
	char path[4096];
	const char *ko = vmtrace_ko(path, sizeof(path));
	int before;

	if (vmt_exit_codes()->io != 0x7b)
		tap_skip("not an SVM host");
	unload("vmtrace");
	before = kmsg_count(LAYOUT_DIFFERS);
	TEST_ASSERT(run("insmod %s layout_offset_bias=8 2>/dev/null", ko),
		    "insmod with a wrong layout succeeded");
	TEST_ASSERT(!module_loaded("vmtrace"), "vmtrace loaded with a wrong layout");
	TEST_ASSERT_EQ(kmsg_count(LAYOUT_DIFFERS), before + 1);
	TEST_ASSERT_EQ(kmsg_count("built: vmcb at"), before + 1);
	load_vmtrace();
}

/*
 * kvm-amd loaded again, with a layout that differs (forced): vmtrace does
 * not refuse it, but records its VMs without guest state; loaded again
 * with the right layout, VMs are recorded in full.
 */
static void test_layout_changed_under_us(void)
{
	struct client_start_config cfg = { 0 };
	struct rec_buf buf = { 0 };
	struct client *c;
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	uint32_t bad, good;
	size_t nr_bad = 0;

	if (vmt_exit_codes()->io != 0x7b)
		tap_skip("not an SVM host");
	load_vmtrace();
	set_param("layout_offset_bias", "8");
	unload("kvm_amd");
	TEST_ASSERT(!run("modprobe kvm_amd"), "modprobe kvm_amd");
	set_param("layout_offset_bias", "0");
	c = vmt_open();
	vmt_start(c, &cfg);
	vm = vm_create();
	vcpu = vm_vcpu_add(vm);
	run_exits(vm, vcpu, 10);
	vm_free(vm);
	vmt_stop_drain(c, &buf);
	bad = vm_id_of_pid(&buf, getpid(), 0);
	TEST_ASSERT(bad, "no VM_NEW");
	for (size_t i = 0; i < buf.n; i++) {
		const struct vmtrace_record *r = &buf.recs[i];

		if (r->vm_id != bad || r->kind != VMTRACE_KIND_EXIT)
			continue;
		TEST_ASSERT(r->flags == VMTRACE_REC_F_NO_STATE && !r->u.g.guest_rip &&
			    r->exit_reason == VMTRACE_EXIT_REASON_UNKNOWN,
			    "record %zu of the VM has guest state", i);
		nr_bad++;
	}
	TEST_ASSERT(nr_bad >= 11, "%zu exit records", nr_bad);
	rec_buf_free(&buf);

	unload("kvm_amd");
	TEST_ASSERT(!run("modprobe kvm_amd"), "modprobe kvm_amd");
	vmt_start(c, &cfg);
	vm = vm_create();
	vcpu = vm_vcpu_add(vm);
	run_exits(vm, vcpu, 10);
	vmt_stop_drain(c, &buf);
	good = vm_id_of_pid(&buf, getpid(), 0);
	TEST_ASSERT(good && good != bad, "VM ids %u, %u", bad, good);
	TEST_ASSERT_EQ(count_exits(&buf, good, vmt_exit_codes()->io), 10);
	vm_free(vm);
	rec_buf_free(&buf);
	client_close(c);
}

static const struct tap_test tests[] = {
	TAP_TEST(vm_gone),
	TAP_TEST(rmmod_during_storm),
	TAP_TEST(load_with_vm_running),
	TAP_TEST(vendor_module_reload),
	TAP_TEST(session_churn),
	TAP_TEST(collector_without_module),
	TAP_TEST(destroyed_in_close),
	TAP_TEST_TIMEOUT(vm_storm, 900),
	TAP_TEST(ring_cap),
	TAP_TEST_TIMEOUT(cpu_hotplug, 120),
	TAP_TEST(layout_check_failed),
	TAP_TEST(no_autoload_alias),
	TAP_TEST_TIMEOUT(release_does_not_block, 300),
	TAP_TEST(layout_refused_at_load),
	TAP_TEST(layout_changed_under_us),
};

int main(int argc, char **argv)
{
	return tap_main(argc, argv, tests, ARRAY_SIZE(tests), TAP_NEEDS_KVM);
}
