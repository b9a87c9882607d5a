// SPDX-License-Identifier: GPL-2.0
/*
 * vmtrace.ko's netlink interface under bad input: malformed, mistyped,
 * out-of-range and random attributes, unknown commands, concurrent and
 * foreign sessions, unprivileged callers.  Each gets the documented error
 * and leaves the module as it was, and the module still records right
 * afterwards.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "kvm_util.h"
#include "tap.h"
#include "vmt_test_util.h"

#define TEST_PORT 0x5000

/* A buffer of hand-made netlink attributes. */
struct attrs {
	uint8_t buf[8192];
	size_t len;
};

static void *attr_put(struct attrs *a, uint16_t type, const void *data, size_t len)
{
	uint16_t hdr[2] = { (uint16_t)(4 + len), type };
	void *start = a->buf + a->len;

	memcpy(a->buf + a->len, hdr, 4);
	memcpy(a->buf + a->len + 4, data, len);
	a->len += (4 + len + 3) & ~3u;
	return start;
}

static void attr_put_u32(struct attrs *a, uint16_t type, uint32_t v)
{
	attr_put(a, type, &v, 4);
}

/* A CONFIG nest holding what @inner holds. */
static void config_nest(struct attrs *out, const struct attrs *inner)
{
	attr_put(out, VMTRACE_A_CONFIG | (1 << 15) /* NLA_F_NESTED */, inner->buf,
		 inner->len);
}

static uint32_t vmt_state(struct client *c)
{
	struct client_status st;
	int err = client_status(c, &st);

	TEST_ASSERT(!err, "GET_STATUS: %s", strerror(-err));
	return st.state;
}

/* A session with a guest's 100 port writes records exactly 100 IO exits. */
static void assert_module_records(struct client *c)
{
	struct client_start_config cfg = { 0 };
	struct kvm_vm *vm = vm_create();
	struct kvm_vcpu *vcpu = vm_vcpu_add(vm);
	struct rec_buf buf = { 0 };

	vmt_start(c, &cfg);
	vcpu_set_entry(vcpu, vm_code_va(vm, guest_port_writes), TEST_PORT, 100, 0);
	for (int i = 0; i < 100; i++)
		vcpu_run_expect_out(vcpu, TEST_PORT, 4, i);
	vcpu_run(vcpu);
	vcpu_assert_done(vcpu);
	vmt_stop_drain(c, &buf);
	TEST_ASSERT_EQ(count_exits(&buf, 0, vmt_exit_codes()->io), 100);
	rec_buf_free(&buf);
	vm_free(vm);
}

static void test_unknown_commands(void)
{
	struct client *c = vmt_open();

	TEST_ASSERT_EQ(client_send_raw(c, 99, 0, NULL, 0), -EOPNOTSUPP);
	TEST_ASSERT_EQ(client_send_raw(c, VMTRACE_CMD_UNSPEC, 0, NULL, 0), -EOPNOTSUPP);
	TEST_ASSERT_EQ(client_send_raw(c, VMTRACE_CMD_MAX + 1, 0, NULL, 0), -EOPNOTSUPP);
	/* READ, GET_VMS and GET_CPUS are dumps only; GET_STATUS has no dump. */
	TEST_ASSERT_EQ(client_send_raw(c, VMTRACE_CMD_GET_VMS, 0, NULL, 0), -EOPNOTSUPP);
	TEST_ASSERT_EQ(client_send_raw(c, VMTRACE_CMD_GET_CPUS, 0, NULL, 0), -EOPNOTSUPP);
	TEST_ASSERT_EQ(client_send_raw(c, VMTRACE_CMD_GET_STATUS, 0x300, NULL, 0),
		       -EOPNOTSUPP);
	TEST_ASSERT_EQ(vmt_state(c), VMTRACE_STATE_IDLE);
	client_close(c);
}

struct bad_config {
	const char *what;
	uint16_t type;
	uint32_t len;		/* payload bytes */
	uint32_t value;		/* repeated to fill len */
	const char *extack;	/* expected substring of the message, or NULL */
};

static void test_bad_config(void)
{
	static const struct bad_config cases[] = {
		{ "ring size not a power of two", VMTRACE_CFG_A_RING_SIZE, 4, 3 << 12, "power of two" },
		{ "ring size below minimum", VMTRACE_CFG_A_RING_SIZE, 4, 1024, NULL },
		{ "ring size above maximum", VMTRACE_CFG_A_RING_SIZE, 4, 512u << 20, NULL },
		{ "ring size as one byte", VMTRACE_CFG_A_RING_SIZE, 1, 0, NULL },
		{ "ring size as eight bytes", VMTRACE_CFG_A_RING_SIZE, 8, 4096, NULL },
		{ "sample rate too high", VMTRACE_CFG_A_SAMPLE_HZ, 4, VMTRACE_SAMPLE_HZ_MAX + 1, NULL },
		{ "unknown sample source", VMTRACE_CFG_A_SAMPLE_SOURCE, 4, 7, NULL },
		{ "unknown flag", VMTRACE_CFG_A_FLAGS, 4, 0x80, NULL },
		{ "exit filter of 6 bytes", VMTRACE_CFG_A_EXIT_FILTER, 6, 0x7b, "multiple of 4" },
		{ "exit filter too long", VMTRACE_CFG_A_EXIT_FILTER, (VMTRACE_FILTER_MAX + 1) * 4, 0x7b, NULL },
		{ "pid filter of 3 bytes", VMTRACE_CFG_A_VM_PIDS, 3, 1, "multiple of 4" },
		{ "unknown config attribute", VMTRACE_CFG_A_MAX + 1, 4, 1, NULL },
		{ "attribute type 0", VMTRACE_CFG_A_UNSPEC, 4, 1, NULL },
	};
	struct client *c = vmt_open();

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct attrs inner = { .len = 0 }, msg = { .len = 0 };
		uint32_t payload[VMTRACE_FILTER_MAX + 1];
		int err;

		for (size_t k = 0; k < ARRAY_SIZE(payload); k++)
			payload[k] = cases[i].value;
		attr_put(&inner, cases[i].type, payload, cases[i].len);
		config_nest(&msg, &inner);
		err = client_send_raw(c, VMTRACE_CMD_START, 0, msg.buf, msg.len);
		TEST_ASSERT(err == -EINVAL, "%s: got %d (%s), expected -EINVAL", cases[i].what,
			    err, client_error(c));
		TEST_ASSERT(*client_error(c), "%s: no extack message", cases[i].what);
		if (cases[i].extack)
			TEST_ASSERT(strstr(client_error(c), cases[i].extack),
				    "%s: message '%s'", cases[i].what, client_error(c));
		TEST_ASSERT_EQ(vmt_state(c), VMTRACE_STATE_IDLE);
	}

	/* Top level: an attribute no request takes, a non-nested config, a
	 * length running past the message. */
	{
		struct attrs msg = { .len = 0 };

		attr_put(&msg, VMTRACE_A_VERSION, "1.0", 4);
		TEST_ASSERT_EQ(client_send_raw(c, VMTRACE_CMD_START, 0, msg.buf, msg.len),
			       -EINVAL);
		msg.len = 0;
		attr_put_u32(&msg, VMTRACE_A_CONFIG, 1);
		TEST_ASSERT_EQ(client_send_raw(c, VMTRACE_CMD_START, 0, msg.buf, msg.len),
			       -EINVAL);
		msg.len = 0;
		attr_put_u32(&msg, VMTRACE_A_STATE, 1);
		((uint16_t *)msg.buf)[0] = 200;		/* nla_len beyond the end */
		TEST_ASSERT_EQ(client_send_raw(c, VMTRACE_CMD_GET_STATUS, 0, msg.buf, msg.len),
			       -EINVAL);
		msg.len = 0;
		attr_put_u32(&msg, VMTRACE_A_MAX + 5, 1);
		TEST_ASSERT_EQ(client_send_raw(c, VMTRACE_CMD_STOP, 0, msg.buf, msg.len),
			       -EINVAL);
		TEST_ASSERT_EQ(client_send_raw(c, VMTRACE_CMD_READ, 0x300, msg.buf, msg.len),
			       -EINVAL);
	}
	TEST_ASSERT_EQ(vmt_state(c), VMTRACE_STATE_IDLE);
	assert_module_records(c);
	client_close(c);
}

/*
 * SET_TASK_SLOT with malformed attributes: missing nest or members, wrong
 * sizes, an unknown member: EINVAL with a message, during a session
 * (whose VM would otherwise be found); the session records on.
 */
static void test_bad_task_slot(void)
{
	struct client_start_config cfg = { 0 };
	struct client *c = vmt_open();
	struct {
		const char *what;
		int members;		/* bit i: put member i (VM id, vCPU, GS, HVA,
					 * direct map, pid offset) */
		int short_hva;		/* HVA as 4 bytes */
		int extra;		/* an unknown member too */
		int not_nested;		/* TASK_SLOT as a u32 */
	} cases[] = {
		{ "no nest", 0, 0, 0, 0 },
		{ "no VM id", 0xe, 0, 0, 0 },
		{ "no vCPU", 0xd, 0, 0, 0 },
		{ "no GS base", 0xb, 0, 0, 0 },
		{ "no address", 0x7, 0, 0, 0 },
		{ "address of 4 bytes", 0xf, 1, 0, 0 },
		{ "unknown member", 0xf, 0, 1, 0 },
		{ "not nested", 0, 0, 0, 1 },
		{ "direct map without pid offset", 0x1f, 0, 0, 0 },
		{ "pid offset without direct map", 0x2f, 0, 0, 0 },
		{ "pid offset unaligned", 0x3f, 0, 0, 0 },
	};

	vmt_start(c, &cfg);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct attrs inner = { .len = 0 }, msg = { .len = 0 };
		uint64_t gs = 0xffff888007e00000ULL, hva = 0x7f0000001000ULL;
		int err;

		if (cases[i].members & 1)
			attr_put_u32(&inner, VMTRACE_TSLOT_A_VM_ID, 1);
		if (cases[i].members & 2)
			attr_put_u32(&inner, VMTRACE_TSLOT_A_VCPU, 0);
		if (cases[i].members & 4)
			attr_put(&inner, VMTRACE_TSLOT_A_GS_BASE, &gs, 8);
		if (cases[i].members & 8)
			attr_put(&inner, VMTRACE_TSLOT_A_HVA, &hva, cases[i].short_hva ? 4 : 8);
		if (cases[i].members & 16)
			attr_put(&inner, VMTRACE_TSLOT_A_DIRECT_MAP, &gs, 8);
		if (cases[i].members & 32)
			attr_put_u32(&inner, VMTRACE_TSLOT_A_PID_OFFSET, 0x9a9);
		if (cases[i].extra)
			attr_put_u32(&inner, VMTRACE_TSLOT_A_MAX + 1, 1);
		if (cases[i].not_nested)
			attr_put_u32(&msg, VMTRACE_A_TASK_SLOT, 1);
		else if (cases[i].members)
			attr_put(&msg, VMTRACE_A_TASK_SLOT | (1 << 15), inner.buf, inner.len);
		err = client_send_raw(c, VMTRACE_CMD_SET_TASK_SLOT, 0, msg.buf, msg.len);
		TEST_ASSERT(err == -EINVAL, "%s: got %d (%s), expected -EINVAL", cases[i].what,
			    err, client_error(c));
		TEST_ASSERT(*client_error(c), "%s: no extack message", cases[i].what);
	}
	TEST_ASSERT_EQ(vmt_state(c), VMTRACE_STATE_RUNNING);
	TEST_ASSERT_EQ(client_stop(c), 0);
	assert_module_records(c);
	client_close(c);
}

/* One random request: random bytes, half of them shaped like an attribute
 * to get past the header, to a command taken in turn (so every order of
 * commands occurs: READ before START, STOP twice, ...). */
static int random_request(struct client *c, unsigned int i, uint8_t *cmd)
{
	static const uint8_t cmds[] = {
		VMTRACE_CMD_GET_STATUS, VMTRACE_CMD_START, VMTRACE_CMD_STOP,
		VMTRACE_CMD_READ, VMTRACE_CMD_GET_VMS, VMTRACE_CMD_GET_CPUS,
		VMTRACE_CMD_SET_TASK_SLOT,
	};
	uint16_t flags;
	struct attrs msg = { .len = 0 };

	*cmd = cmds[(i + random() % 2) % ARRAY_SIZE(cmds)];
	flags = (*cmd == VMTRACE_CMD_READ || *cmd == VMTRACE_CMD_GET_VMS ||
		 *cmd == VMTRACE_CMD_GET_CPUS) ? 0x300 : 0;
	msg.len = random() % 64;
	for (size_t k = 0; k < msg.len; k++)
		msg.buf[k] = random();
	if (i % 2 && msg.len >= 8) {
		((uint16_t *)msg.buf)[0] = 4 + random() % (msg.len - 3);
		((uint16_t *)msg.buf)[1] = random() % (VMTRACE_A_MAX + 2);
	}
	return client_send_raw(c, *cmd, flags, msg.buf, msg.len);
}

/* A number from the environment, or @def. */
static unsigned long env_ulong(const char *name, unsigned long def)
{
	const char *v = getenv(name);

	return v && *v ? strtoul(v, NULL, 0) : def;
}

/* Random attribute bytes to every command, from a privileged socket and
 * (a quarter of them) an unprivileged one: always a clean answer (0 or a
 * negative errno; EPERM for every unprivileged one), never a stuck or
 * broken module, and a normal session afterwards counts exactly.
 * VMT_FUZZ_REQUESTS (default 3000) and VMT_FUZZ_SEED (default fixed) are
 * for the stress suite, which sends 100,000 with a new seed each round. */
static void test_random_bytes(void)
{
	unsigned long total = env_ulong("VMT_FUZZ_REQUESTS", 3000);
	unsigned long seed = env_ulong("VMT_FUZZ_SEED", 0x766d74);
	unsigned long unpriv = total / 4, priv = total - unpriv;
	struct client *c = vmt_open();
	unsigned int accepted = 0, rejected = 0;
	int status;
	pid_t pid;
	uint8_t cmd;

	test_diag("seed %lu, %lu privileged and %lu unprivileged requests", seed, priv,
		  unpriv);
	pid = fork();
	TEST_ASSERT_SYSCALL(pid, "fork");
	if (!pid) {
		struct client *u;

		srandom(seed + 1);
		TEST_ASSERT_SYSCALL(setresgid(65534, 65534, 65534), "setresgid");
		TEST_ASSERT_SYSCALL(setresuid(65534, 65534, 65534), "setresuid");
		TEST_ASSERT_EQ(client_open(&u), 0);
		for (unsigned long i = 0; i < unpriv; i++) {
			int err = random_request(u, i, &cmd);

			TEST_ASSERT(err == -EPERM, "unprivileged command %u: %d", cmd, err);
		}
		exit(0);
	}

	srandom(seed);
	for (unsigned long i = 0; i < priv; i++) {
		int err = random_request(c, i, &cmd);

		TEST_ASSERT(err <= 0 && err > -4096, "command %u: %d", cmd, err);
		if (err) {
			rejected++;
			continue;
		}
		accepted++;
		if (cmd == VMTRACE_CMD_START)
			TEST_ASSERT_EQ(client_stop(c), 0);
	}
	TEST_ASSERT_EQ(waitpid(pid, &status, 0), pid);
	TEST_ASSERT(WIFEXITED(status) && !WEXITSTATUS(status), "unprivileged child failed");
	test_diag("random requests: %u accepted, %u rejected", accepted, rejected);
	TEST_ASSERT(rejected > priv / 3, "only %u of %lu rejected", rejected, priv);
	if (vmt_state(c) == VMTRACE_STATE_RUNNING)
		client_stop(c);
	assert_module_records(c);
	client_close(c);
}

/* One session at a time, controlled and read by its owner only. */
static void test_ownership(void)
{
	struct client_start_config cfg = { 0 };
	struct client *owner = vmt_open(), *other = vmt_open();

	TEST_ASSERT_EQ(client_stop(owner), -ENOENT);
	vmt_start(owner, &cfg);
	TEST_ASSERT_EQ(client_start(owner, &cfg), -EBUSY);
	TEST_ASSERT(strstr(client_error(owner), "already running"), "message '%s'",
		    client_error(owner));
	TEST_ASSERT_EQ(client_start(other, &cfg), -EBUSY);
	TEST_ASSERT_EQ(client_stop(other), -EPERM);
	TEST_ASSERT_EQ(client_read(other, NULL, NULL), -EPERM);
	TEST_ASSERT_EQ(vmt_state(other), VMTRACE_STATE_RUNNING);
	TEST_ASSERT_EQ(client_stop(owner), 0);
	TEST_ASSERT_EQ(client_stop(owner), -ENOENT);
	TEST_ASSERT_EQ(vmt_state(other), VMTRACE_STATE_STOPPED);
	/* A new session from another socket replaces a stopped one. */
	vmt_start(other, &cfg);
	TEST_ASSERT_EQ(client_read(owner, NULL, NULL), -EPERM);
	TEST_ASSERT_EQ(client_stop(other), 0);
	client_close(owner);
	client_close(other);
}

/* A collector that dies mid-session (killed while draining an exit storm)
 * leaves the module ready for the next START. */
static void test_collector_dies(void)
{
	struct client_start_config cfg = { 0 };
	struct client *c;
	int pipefd[2], status;
	char ready;
	pid_t pid;

	TEST_ASSERT_SYSCALL(pipe(pipefd), "pipe");
	pid = fork();
	TEST_ASSERT_SYSCALL(pid, "fork");
	if (!pid) {
		struct kvm_vm *vm = vm_create();
		struct kvm_vcpu *vcpu = vm_vcpu_add(vm);

		c = vmt_open();
		vmt_start(c, &cfg);
		TEST_ASSERT_EQ(write(pipefd[1], "r", 1), 1);
		vcpu_set_entry(vcpu, vm_code_va(vm, guest_port_writes), TEST_PORT,
			       1u << 30, 0);
		for (;;) {
			for (int i = 0; i < 100; i++)
				vcpu_run(vcpu);
			client_read(c, NULL, NULL);
		}
	}
	TEST_ASSERT_EQ(read(pipefd[0], &ready, 1), 1);
	usleep(300000);
	c = vmt_open();
	TEST_ASSERT_EQ(vmt_state(c), VMTRACE_STATE_RUNNING);
	TEST_ASSERT_EQ(client_start(c, &cfg), -EBUSY);
	kill(pid, SIGKILL);
	TEST_ASSERT_EQ(waitpid(pid, &status, 0), pid);
	TEST_ASSERT(WIFSIGNALED(status), "the child collector was not killed");
	TEST_ASSERT_EQ(vmt_state(c), VMTRACE_STATE_IDLE);
	assert_module_records(c);
	client_close(c);
}

/* Without CAP_SYS_ADMIN every command is refused and nothing changes;
 * the collector says why in one line and exits 1. */
static void test_unprivileged(void)
{
	struct client *c = vmt_open();
	int status, out[2];
	char msg[512] = "";
	ssize_t n;
	pid_t pid;

	pid = fork();
	TEST_ASSERT_SYSCALL(pid, "fork");
	if (!pid) {
		struct client_start_config cfg = { 0 };
		struct client_cpu_status *cpus;
		struct client_status st;
		struct client *u;
		size_t nr;

		TEST_ASSERT_SYSCALL(setresgid(65534, 65534, 65534), "setresgid");
		TEST_ASSERT_SYSCALL(setresuid(65534, 65534, 65534), "setresuid");
		TEST_ASSERT_EQ(client_open(&u), 0);
		TEST_ASSERT_EQ(client_status(u, &st), -EPERM);
		TEST_ASSERT_EQ(client_get_cpus(u, &cpus, &nr), -EPERM);
		TEST_ASSERT_EQ(client_start(u, &cfg), -EPERM);
		TEST_ASSERT_EQ(client_stop(u), -EPERM);
		TEST_ASSERT_EQ(client_read(u, NULL, NULL), -EPERM);
		TEST_ASSERT_EQ(client_send_raw(u, VMTRACE_CMD_GET_VMS, 0x300, NULL, 0),
			       -EPERM);
		exit(0);
	}
	TEST_ASSERT_EQ(waitpid(pid, &status, 0), pid);
	TEST_ASSERT(WIFEXITED(status) && !WEXITSTATUS(status), "unprivileged child failed");
	TEST_ASSERT_EQ(vmt_state(c), VMTRACE_STATE_IDLE);

	TEST_ASSERT_SYSCALL(pipe(out), "pipe");
	pid = fork();
	TEST_ASSERT_SYSCALL(pid, "fork");
	if (!pid) {
		char exe[4096];
		ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 64);

		TEST_ASSERT(len > 0, "readlink");
		exe[len] = '\0';
		strcpy(strrchr(exe, '/'), "/../../user/vmtrace-collect");
		dup2(out[1], 2);
		dup2(out[1], 1);
		TEST_ASSERT_SYSCALL(setresgid(65534, 65534, 65534), "setresgid");
		TEST_ASSERT_SYSCALL(setresuid(65534, 65534, 65534), "setresuid");
		execl(exe, "vmtrace-collect", "status", (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	n = read(out[0], msg, sizeof(msg) - 1);
	TEST_ASSERT_EQ(waitpid(pid, &status, 0), pid);
	TEST_ASSERT(n > 0, "no output");
	msg[n] = '\0';
	TEST_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 1, "status %d: %s", status, msg);
	TEST_ASSERT(strstr(msg, "CAP_SYS_ADMIN") && strchr(msg, '\n') == msg + n - 1,
		    "not one clear line: '%s'", msg);
	client_close(c);
}

static const struct tap_test tests[] = {
	TAP_TEST(unknown_commands),
	TAP_TEST(bad_config),
	TAP_TEST(bad_task_slot),
	TAP_TEST(random_bytes),
	TAP_TEST(ownership),
	TAP_TEST(collector_dies),
	TAP_TEST(unprivileged),
};

int main(int argc, char **argv)
{
	return tap_main(argc, argv, tests, ARRAY_SIZE(tests), TAP_NEEDS_KVM);
}
