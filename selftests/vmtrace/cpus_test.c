// SPDX-License-Identifier: GPL-2.0
/*
 * GET_STATUS and GET_CPUS on any number of possible CPUs: every possible
 * CPU exactly once, totals that are the sum of the per-CPU figures, exact
 * accounting after a drained session, `vmtrace-collect status`, and a dump
 * that the session's end cuts short saying so.
 *
 * Sampling stays off the CPUs the operator isolated, unless asked for.
 *
 * It runs in every test host; `make check` also boots one with more than
 * 1024 possible CPUs (possible_cpus=, a 6.1 kernel parameter) for it, where
 * the old one-message status overflowed its 16-bit attribute length, and
 * with CPU 1 isolated (isolcpus=1), which isolated_not_sampled needs.  A
 * possible_cpus= on the kernel command line must have taken effect.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <netlink/netlink.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>

#include "kvm_util.h"
#include "tap.h"
#include "vmt_test_util.h"

#define TEST_PORT 0x5000
#define RING_SIZE (64u << 10)
#define MAX_CPUS 8192

/* A CPU list as in /sys/devices/system/cpu/possible ("0-3,8"), as flags. */
static uint32_t read_cpu_list(const char *name, bool *set)
{
	char path[128], buf[4096], *p;
	uint32_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/%s", name);
	f = fopen(path, "r");
	TEST_ASSERT(f, "%s: %m", path);
	TEST_ASSERT(fgets(buf, sizeof(buf), f), "%s: empty", path);
	fclose(f);
	memset(set, 0, MAX_CPUS * sizeof(*set));
	for (p = buf; *p && *p != '\n';) {
		unsigned long lo = strtoul(p, &p, 10), hi = lo;

		if (*p == '-')
			hi = strtoul(p + 1, &p, 10);
		TEST_ASSERT(lo <= hi && hi < MAX_CPUS, "%s: '%s'", path, buf);
		for (unsigned long cpu = lo; cpu <= hi; cpu++, n++)
			set[cpu] = true;
		if (*p == ',')
			p++;
	}
	return n;
}

/* The possible CPUs, ascending, in @cpus; their number. */
static uint32_t possible_cpus(uint32_t *cpus)
{
	static bool set[MAX_CPUS];
	uint32_t n = 0;

	read_cpu_list("possible", set);
	for (uint32_t cpu = 0; cpu < MAX_CPUS; cpu++)
		if (set[cpu])
			cpus[n++] = cpu;
	return n;
}

/* N from possible_cpus=N on the kernel command line, or 0. */
static unsigned long cmdline_possible_cpus(void)
{
	char buf[4096] = "", *p;
	FILE *f = fopen("/proc/cmdline", "r");

	TEST_ASSERT(f, "/proc/cmdline: %m");
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	for (p = buf; (p = strstr(p, "possible_cpus=")); p++)
		if (p == buf || p[-1] == ' ')
			return strtoul(p + strlen("possible_cpus="), NULL, 10);
	return 0;
}

/* The number of CPUs GET_STATUS reports is the number possible. */
static void test_nr_cpus(void)
{
	static uint32_t cpus[MAX_CPUS];
	struct client *c = vmt_open();
	unsigned long wanted = cmdline_possible_cpus();
	uint32_t n = possible_cpus(cpus);
	struct client_status st;

	test_diag("%u possible CPUs, %ld online", n, sysconf(_SC_NPROCESSORS_ONLN));
	if (wanted)
		TEST_ASSERT(n == wanted, "possible_cpus=%lu given, %u possible", wanted, n);
	TEST_ASSERT_EQ(client_status(c, &st), 0);
	TEST_ASSERT_EQ(st.nr_cpus, n);
	TEST_ASSERT_EQ(st.state, VMTRACE_STATE_IDLE);
	client_close(c);
}

/* The sum of @cpus[@n] as GET_STATUS gives it (ring_bytes aside). */
static void sum_cpus(const struct client_cpu_status *cpus, size_t n,
		     struct client_cpu_status *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (size_t i = 0; i < n; i++) {
		sum->produced += cpus[i].produced;
		sum->drained += cpus[i].drained;
		sum->host_samples += cpus[i].host_samples;
		sum->queued += cpus[i].queued;
		sum->cost_cycles += cpus[i].cost_cycles;
		sum->cost_events += cpus[i].cost_events;
		for (int k = 0; k < __VMTRACE_LOST_MAX; k++)
			sum->lost[k] += cpus[i].lost[k];
	}
}

/*
 * A stopped, drained session of 100 IO exits: GET_CPUS has each possible
 * CPU once, in order, each with produced == drained + lost and nothing
 * queued, ring memory on the online CPUs only; GET_STATUS's totals are
 * the sums; the records read are the ones drained.
 */
static void test_cpu_figures(void)
{
	static uint32_t possible[MAX_CPUS];
	static bool online[MAX_CPUS], present[MAX_CPUS];
	struct client_start_config cfg = { .ring_size = RING_SIZE, .flags = VMTRACE_CFG_F_COST };
	struct client *c = vmt_open();
	uint32_t n = possible_cpus(possible);
	struct client_cpu_status *cpus, sum;
	struct rec_buf buf = { 0 };
	struct client_status st;
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	size_t nr, markers = 0;
	int err;

	err = client_get_cpus(c, &cpus, &nr);
	TEST_ASSERT(err == -ENOENT, "GET_CPUS without a session: %d", err);
	/* 6.1 gives a dump's start no extended ack to fill. */
	TEST_ASSERT(!*client_error(c) || strstr(client_error(c), "no vmtrace session"),
		    "message '%s'", client_error(c));

	vm = vm_create();
	vcpu = vm_vcpu_add(vm);
	/* Online CPUs now: the session must not outlive a hotplug here. */
	read_cpu_list("online", online);
	read_cpu_list("present", present);
	vmt_start(c, &cfg);
	vcpu_set_entry(vcpu, vm_code_va(vm, guest_port_writes), TEST_PORT, 100, 0);
	for (int i = 0; i < 100; i++)
		vcpu_run_expect_out(vcpu, TEST_PORT, 4, i);
	vcpu_run(vcpu);
	vcpu_assert_done(vcpu);
	vmt_stop_drain(c, &buf);
	TEST_ASSERT_EQ(count_exits(&buf, 0, vmt_exit_codes()->io), 100);
	for (size_t i = 0; i < buf.n; i++)
		markers += buf.recs[i].kind == VMTRACE_KIND_LOST;

	err = client_get_cpus(c, &cpus, &nr);
	TEST_ASSERT(!err, "GET_CPUS: %s (%s)", strerror(-err), client_error(c));
	TEST_ASSERT(nr == n, "GET_CPUS: %zu CPUs, %u possible", nr, n);
	for (size_t i = 0; i < nr; i++) {
		const struct client_cpu_status *cs = &cpus[i];
		uint64_t lost = 0;

		TEST_ASSERT(cs->cpu == possible[i], "entry %zu: CPU %u, expected %u", i,
			    cs->cpu, possible[i]);
		for (int k = 0; k < __VMTRACE_LOST_MAX; k++)
			lost += cs->lost[k];
		TEST_ASSERT(cs->produced == cs->drained + lost,
			    "CPU %u: produced %llu, drained %llu, lost %llu", cs->cpu,
			    (unsigned long long)cs->produced,
			    (unsigned long long)cs->drained, (unsigned long long)lost);
		TEST_ASSERT(!cs->queued, "CPU %u: %llu queued after the drain", cs->cpu,
			    (unsigned long long)cs->queued);
		if (online[cs->cpu])
			TEST_ASSERT(cs->ring_bytes == RING_SIZE, "online CPU %u: ring %u bytes",
				    cs->cpu, cs->ring_bytes);
		if (!present[cs->cpu])
			TEST_ASSERT(!cs->ring_bytes && !cs->produced,
				    "absent CPU %u: ring %u bytes, %llu produced", cs->cpu,
				    cs->ring_bytes, (unsigned long long)cs->produced);
	}

	sum_cpus(cpus, nr, &sum);
	TEST_ASSERT_EQ(client_status(c, &st), 0);
	TEST_ASSERT_EQ(st.state, VMTRACE_STATE_STOPPED);
	TEST_ASSERT_EQ(st.nr_cpus, n);
	TEST_ASSERT_EQ(st.totals.produced, sum.produced);
	TEST_ASSERT_EQ(st.totals.drained, sum.drained);
	TEST_ASSERT_EQ(st.totals.queued, 0);
	TEST_ASSERT_EQ(st.totals.host_samples, sum.host_samples);
	TEST_ASSERT_EQ(st.totals.cost_cycles, sum.cost_cycles);
	TEST_ASSERT_EQ(st.totals.cost_events, sum.cost_events);
	for (int k = 0; k < __VMTRACE_LOST_MAX; k++)
		TEST_ASSERT_EQ(st.totals.lost[k], sum.lost[k]);
	/* Every record read but the LOST markers was drained, and no more. */
	TEST_ASSERT_EQ(sum.drained, buf.n - markers);
	TEST_ASSERT(sum.produced >= 100 && sum.cost_events >= 100,
		    "produced %llu, cost events %llu", (unsigned long long)sum.produced,
		    (unsigned long long)sum.cost_events);
	test_diag("%zu CPUs; produced %llu = drained %llu + lost %llu", nr,
		  (unsigned long long)sum.produced, (unsigned long long)sum.drained,
		  (unsigned long long)(sum.lost[0] + sum.lost[1] + sum.lost[2]));
	free(cpus);
	rec_buf_free(&buf);
	vm_free(vm);
	client_close(c);
}

/* Run `vmtrace-collect status` to the end; its stdout in a malloc'd string. */
static char *collect_status(int *status)
{
	size_t len = 0, cap = 1 << 16;
	char *out = malloc(cap);
	int pipefd[2];
	ssize_t n;
	pid_t pid;

	TEST_ASSERT(out, "malloc");
	TEST_ASSERT_SYSCALL(pipe(pipefd), "pipe");
	pid = fork();
	TEST_ASSERT_SYSCALL(pid, "fork");
	if (!pid) {
		char exe[4096];
		ssize_t l = readlink("/proc/self/exe", exe, sizeof(exe) - 64);

		if (l <= 0)
			_exit(127);
		exe[l] = '\0';
		strcpy(strrchr(exe, '/'), "/../../user/vmtrace-collect");
		dup2(pipefd[1], 1);
		close(pipefd[0]);
		execl(exe, "vmtrace-collect", "status", (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	while ((n = read(pipefd[0], out + len, cap - len - 1)) > 0) {
		len += n;
		if (cap - len < 4096) {
			cap *= 2;
			out = realloc(out, cap);
			TEST_ASSERT(out, "realloc");
		}
	}
	close(pipefd[0]);
	out[len] = '\0';
	TEST_ASSERT_EQ(waitpid(pid, status, 0), pid);
	return out;
}

/*
 * `vmtrace-collect status` with a stopped session (this test owns it):
 * the header lines, then one row per possible CPU, in order, with the
 * figures GET_CPUS gives.
 */
static void test_status_command(void)
{
	static const char header[] = " cpu     produced      drained       queued"
		"    ring_full       nested     vm_table host_samples\n";
	static uint32_t possible[MAX_CPUS];
	struct client_start_config cfg = { .ring_size = RING_SIZE };
	struct client *c = vmt_open();
	uint32_t n = possible_cpus(possible);
	struct client_cpu_status *cpus;
	struct rec_buf buf = { 0 };
	char *out, *line, *save, expect[256];
	size_t nr, row = 0;
	int status;

	out = collect_status(&status);
	TEST_ASSERT(WIFEXITED(status) && !WEXITSTATUS(status), "status %d: %s", status, out);
	snprintf(expect, sizeof(expect), "\ncpus: %u\ntsc_khz: ", n);
	TEST_ASSERT(!strncmp(out, "version: ", 9) && strstr(out, expect) &&
		    strstr(out, "\nstate: idle\n") && !strstr(out, "produced"),
		    "idle: '%s'", out);
	free(out);

	vmt_start(c, &cfg);
	vmt_stop_drain(c, &buf);
	TEST_ASSERT_EQ(client_get_cpus(c, &cpus, &nr), 0);
	TEST_ASSERT_EQ(nr, n);
	out = collect_status(&status);
	TEST_ASSERT(WIFEXITED(status) && !WEXITSTATUS(status), "status %d", status);
	TEST_ASSERT(strstr(out, expect) && strstr(out, "\nstate: stopped\n"), "'%.2000s'", out);
	snprintf(expect, sizeof(expect), "\nring_size: %u\n", RING_SIZE);
	TEST_ASSERT(strstr(out, expect), "'%.2000s'", out);
	line = strstr(out, "\n cpu ");
	TEST_ASSERT(line, "no table header: '%.2000s'", out);
	TEST_ASSERT(!strncmp(line + 1, header, strlen(header)), "header '%.100s'", line + 1);
	strtok_r(line + 1, "\n", &save);
	while ((line = strtok_r(NULL, "\n", &save))) {
		unsigned long long v[8];
		unsigned int cpu;

		TEST_ASSERT(row < nr, "more rows than %zu CPUs: '%s'", nr, line);
		TEST_ASSERT(sscanf(line, "%u %llu %llu %llu %llu %llu %llu %llu", &cpu,
				   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6]) == 8,
			    "row '%s'", line);
		TEST_ASSERT(cpu == possible[row], "row %zu: CPU %u, expected %u", row, cpu,
			    possible[row]);
		TEST_ASSERT(v[0] == cpus[row].produced && v[1] == cpus[row].drained &&
			    v[2] == cpus[row].queued && v[3] == cpus[row].lost[0] &&
			    v[4] == cpus[row].lost[1] && v[5] == cpus[row].lost[2] &&
			    v[6] == cpus[row].host_samples, "row '%s' differs from GET_CPUS", line);
		row++;
	}
	TEST_ASSERT(row == nr, "%zu rows for %zu CPUs", row, nr);
	free(out);
	free(cpus);
	rec_buf_free(&buf);
	client_close(c);
}

/*
 * The session ends (its owner's socket closes) while another socket is in
 * the middle of a GET_CPUS dump: the dump ends at once, flagged
 * NLM_F_DUMP_INTR, with fewer CPUs than possible; then GET_CPUS says
 * -ENOENT.  The dump must span several messages: it does with many CPUs.
 */
static void test_dump_cut_short(void)
{
	struct client_start_config cfg = { .ring_size = RING_SIZE };
	struct client *owner = vmt_open(), *c = vmt_open();
	struct rec_buf buf = { 0 };
	struct client_cpu_status *cpus;
	struct nl_sock *sock;
	struct sockaddr_nl peer;
	unsigned char *data;
	struct nl_msg *msg;
	size_t nr, seen = 0, datagrams = 0;
	bool done = false, intr = false;
	int family, n;

	vmt_start(owner, &cfg);
	vmt_stop_drain(owner, &buf);
	TEST_ASSERT_EQ(client_get_cpus(c, &cpus, &nr), 0);
	free(cpus);

	/* The dump's messages are up to 32 KiB; the first one page. */
	sock = nl_socket_alloc();
	TEST_ASSERT(sock && !genl_connect(sock), "netlink socket");
	nl_socket_disable_msg_peek(sock);
	nl_socket_set_msg_buf_size(sock, 64 << 10);
	family = genl_ctrl_resolve(sock, VMTRACE_GENL_NAME);
	TEST_ASSERT(family > 0, "resolve: %d", family);
	msg = nlmsg_alloc();
	TEST_ASSERT(msg && genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0,
				       NLM_F_DUMP, VMTRACE_CMD_GET_CPUS,
				       VMTRACE_GENL_VERSION), "message");
	TEST_ASSERT(nl_send_auto(sock, msg) >= 0, "send");
	nlmsg_free(msg);

	while (!done) {
		struct nlmsghdr *hdr;

		n = nl_recv(sock, &peer, &data, NULL);
		TEST_ASSERT(n > 0, "recv: %d", n);
		datagrams++;
		for (hdr = (struct nlmsghdr *)data; nlmsg_ok(hdr, n); hdr = nlmsg_next(hdr, &n)) {
			struct nlattr *tb[VMTRACE_A_MAX + 1], *cpu;
			int rem;

			if (hdr->nlmsg_type == NLMSG_DONE) {
				done = true;
				intr = hdr->nlmsg_flags & NLM_F_DUMP_INTR;
				break;
			}
			TEST_ASSERT(hdr->nlmsg_type == family, "message type %u", hdr->nlmsg_type);
			TEST_ASSERT(!(hdr->nlmsg_flags & NLM_F_DUMP_INTR), "data flagged");
			TEST_ASSERT(!genlmsg_parse(hdr, 0, tb, VMTRACE_A_MAX, NULL) &&
				    tb[VMTRACE_A_CPUS], "no CPUS nest");
			nla_for_each_nested(cpu, tb[VMTRACE_A_CPUS], rem)
				seen++;
		}
		free(data);
		/*
		 * After the first read the kernel has filled the next message
		 * already: end the session then, and the one after that finds
		 * it gone.
		 */
		if (datagrams == 1 && !done) {
			if (seen * 3 > nr) {
				nl_socket_free(sock);
				rec_buf_free(&buf);
				client_close(owner);
				client_close(c);
				tap_skip("%zu CPUs: the dump is too short to cut", nr);
			}
			client_close(owner);
			owner = NULL;
		}
	}
	test_diag("%zu of %zu CPUs in %zu reads, then the end%s", seen, nr, datagrams,
		  intr ? " flagged NLM_F_DUMP_INTR" : "");
	TEST_ASSERT(seen < nr, "all %zu CPUs came", seen);
	TEST_ASSERT(intr, "the end of the cut dump is not flagged NLM_F_DUMP_INTR");
	TEST_ASSERT_EQ(client_get_cpus(c, &cpus, &nr), -ENOENT);
	nl_socket_free(sock);
	rec_buf_free(&buf);
	client_close(c);
}

/* A vCPU spinning in guest code on its own thread, pinned to a CPU. */
struct spinner {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	pthread_t thread;
	int cpu;
	volatile int on_cpu;	/* where it runs once pinned; -1 before */
	volatile bool stop;
};

static void *spinner_run(void *arg)
{
	struct spinner *s = arg;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(s->cpu, &set);
	TEST_ASSERT_SYSCALL(sched_setaffinity(0, sizeof(set), &set), "sched_setaffinity");
	s->on_cpu = sched_getcpu();
	while (!s->stop) {
		vcpu_set_entry(s->vcpu, vm_code_va(s->vm, guest_spin), 2000000, TEST_PORT);
		vcpu_run_expect_out(s->vcpu, TEST_PORT, 4, 2000000);
		vcpu_run(s->vcpu);
		vcpu_assert_done(s->vcpu);
	}
	return NULL;
}

/* Records of @kind on host CPU @cpu, of VM @vm_id (0: of any VM). */
static size_t count_on_cpu(const struct rec_buf *buf, uint8_t kind, uint32_t vm_id,
			   uint32_t cpu)
{
	size_t n = 0;

	for (size_t i = 0; i < buf->n; i++) {
		const struct vmtrace_record *r = &buf->recs[i];

		n += r->kind == kind && r->host_cpu == cpu && (!vm_id || r->vm_id == vm_id);
	}
	return n;
}

/*
 * CPUs isolated with isolcpus= or nohz_full= are not sampled: a vCPU
 * spinning in guest code on isolated CPU 1 through half a second of
 * sampling at 1 kHz gets no SAMPLE record there, and no sampling
 * interrupt fires there at all (no host samples counted on CPU 1 either),
 * while its VM-exits on CPU 1 are recorded.  With
 * VMTRACE_CFG_F_SAMPLE_ISOLATED the same vCPU is sampled on CPU 1.  Needs
 * a test host booted with isolcpus=1 (make check's many-CPUs boot).
 */
static void test_isolated_not_sampled(void)
{
	static bool isolated[MAX_CPUS], online[MAX_CPUS];
	struct client_start_config cfg = { .ring_size = 1u << 20, .sample_hz = 1000 };
	struct spinner sp = { .cpu = 1, .on_cpu = -1 };
	struct client *c;
	uint32_t id = 0;

	read_cpu_list("isolated", isolated);
	if (!isolated[1])
		tap_skip("CPU 1 is not isolated (boot with isolcpus=1)");
	read_cpu_list("online", online);
	TEST_ASSERT(online[1], "isolated CPU 1 is offline");

	c = vmt_open();
	sp.vm = vm_create();
	sp.vcpu = vm_vcpu_add(sp.vm);
	TEST_ASSERT(!pthread_create(&sp.thread, NULL, spinner_run, &sp), "pthread_create");
	while (sp.on_cpu < 0)
		usleep(1000);
	TEST_ASSERT(sp.on_cpu == 1, "the vCPU thread runs on CPU %d, not CPU 1", sp.on_cpu);

	for (int pass = 0; pass < 2; pass++) {
		struct rec_buf buf = { 0 };
		struct client_cpu_status *cpus;
		uint64_t host_samples_1 = UINT64_MAX;
		size_t nr, samples_1, samples_0, exits_1;

		cfg.flags = pass ? VMTRACE_CFG_F_SAMPLE_ISOLATED : 0;
		vmt_start(c, &cfg);
		usleep(500000);
		vmt_stop_drain(c, &buf);
		TEST_ASSERT_EQ(client_get_cpus(c, &cpus, &nr), 0);
		for (size_t i = 0; i < nr; i++)
			if (cpus[i].cpu == 1)
				host_samples_1 = cpus[i].host_samples;
		free(cpus);
		if (!id)
			id = vm_id_of_pid(&buf, getpid(), 0);
		TEST_ASSERT(id, "pass %d: no VM_NEW record of the spinning VM", pass);
		samples_1 = count_on_cpu(&buf, VMTRACE_KIND_SAMPLE, 0, 1);
		samples_0 = count_on_cpu(&buf, VMTRACE_KIND_SAMPLE, 0, 0);
		exits_1 = count_on_cpu(&buf, VMTRACE_KIND_EXIT, id, 1);
		test_diag("%s: CPU 1: %zu samples (%zu of the VM), %llu host samples, %zu exits; "
			  "CPU 0: %zu samples", pass ? "SAMPLE_ISOLATED" : "default", samples_1,
			  count_on_cpu(&buf, VMTRACE_KIND_SAMPLE, id, 1),
			  (unsigned long long)host_samples_1, exits_1, samples_0);
		TEST_ASSERT(exits_1 > 0, "pass %d: no exit of the VM recorded on CPU 1", pass);
		if (!pass) {
			TEST_ASSERT(samples_1 == 0, "isolated CPU 1 sampled: %zu samples", samples_1);
			TEST_ASSERT(host_samples_1 == 0,
				    "isolated CPU 1 sampled: %llu host samples",
				    (unsigned long long)host_samples_1);
		} else {
			TEST_ASSERT(count_on_cpu(&buf, VMTRACE_KIND_SAMPLE, id, 1) >= 5,
				    "SAMPLE_ISOLATED: %zu samples of the VM on CPU 1",
				    count_on_cpu(&buf, VMTRACE_KIND_SAMPLE, id, 1));
		}
		rec_buf_free(&buf);
	}
	sp.stop = true;
	pthread_join(sp.thread, NULL);
	vm_free(sp.vm);
	client_close(c);
}

static const struct tap_test tests[] = {
	TAP_TEST(nr_cpus),
	TAP_TEST(cpu_figures),
	TAP_TEST(status_command),
	TAP_TEST(dump_cut_short),
	TAP_TEST(isolated_not_sampled),
};

int main(int argc, char **argv)
{
	return tap_main(argc, argv, tests, ARRAY_SIZE(tests), TAP_NEEDS_KVM);
}
