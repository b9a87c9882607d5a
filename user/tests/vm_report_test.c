// SPDX-License-Identifier: GPL-2.0
/*
 * The VM reports of a metrics recording: text, CSV and JSON figures, and
 * the HTML page, opened in headless Chromium (when installed): no errors,
 * both lines drawn, the screenshot kept in build/vmview/ as an artifact.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "tap.h"
#include "view/top_view.h"
#include "view/vm_report.h"
#include "cmd/cmd.h"
#include "vv_fixture.h"

/* build/vmview of the source tree, wherever the test runs from. */
static char artifacts[4200];

static void find_artifacts(void)
{
	char exe[4096], cmd[8300];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	TEST_ASSERT(n > 0, "readlink");
	exe[n] = 0;
	*strrchr(exe, '/') = 0;			/* user/tests */
	snprintf(artifacts, sizeof(artifacts), "%s/../../build/vmview", exe);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", artifacts);
	TEST_ASSERT_EQ(system(cmd), 0);
}

static struct trace_snapshot_vm vms[2];
static struct trace_snapshot_proc procs[3];

/* Ten 1-second intervals: the VM at 95 +- 3 %, "spin" at 90 + i. */
static void write_series(const char *path)
{
	struct trace_snapshot s;
	FILE *f = fopen(path, "w");
	int i;

	TEST_ASSERT(f, "fopen %s", path);
	TEST_ASSERT_EQ(trace_metrics_file_write_header(f), 0);
	for (i = 0; i < 10; i++) {
		vv_fixture(&s, vms, procs, 80 + i);
		s.seq = (uint64_t)i;
		s.mono_ns += (uint64_t)i * 1000000000ULL;
		s.real_ns += (uint64_t)i * 1000000000ULL;
		vms[0].hv_rss_bytes = (200ULL + 2 * i) << 20;
		procs[2].rss_bytes = (3ULL + i) << 20;
		if (i == 0)
			s.interval_s = 0;	/* a first snapshot: no rates */
		TEST_ASSERT_EQ(trace_metrics_file_write(f, &s), 0);
	}
	fclose(f);
}

/* Run vmreport with @args, its stdout into a string. */
static char *run_report(char **args, int nargs, int *rc)
{
	char out[] = "/tmp/vm_report_test.out.XXXXXX", *buf;
	int fd = mkstemp(out), saved = dup(1);
	long len;
	FILE *f;

	fflush(stdout);
	dup2(fd, 1);
	*rc = cmd_vmreport(nargs, args);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	f = fdopen(fd, "r");
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)len + 1);
	TEST_ASSERT_EQ(fread(buf, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	unlink(out);
	return buf;
}

static void test_text_csv_json(void)
{
	char path[] = "/tmp/vm_report_test.XXXXXX";
	char *text;
	int rc, fd = mkstemp(path);

	close(fd);
	write_series(path);
	{
		char *args[] = { "vmreport", "-i", path, "--by", "vm,process", NULL };

		text = run_report(args, 5, &rc);
		TEST_ASSERT_EQ(rc, 0);
		/* Means over the 9 intervals with rates: spin 80+1..80+9 -> 85;
		 * the VM 5 above it (90), the guest 1 above (86), gap 4. */
		TEST_ASSERT(strstr(text, "web1"), "vm: %s", text);
		TEST_ASSERT(strstr(text, "  90.0   86.0    4.0"), "vm figures: %s", text);
		/* vCPU threads and their wait: the gap is within tolerance. */
		TEST_ASSERT(strstr(text, "  88.0    0.5    1.5    0.3  none\n"), "vm gap cause: %s",
			    text);
		TEST_ASSERT(strstr(text, "NU...      77   1000       1   83.0   85.0   -2.0"),
			    "process figures: %s", text);
		free(text);
	}
	{
		char *args[] = { "vmreport", "-i", path, "--by", "vm,process", "--format",
				 "csv", NULL };

		text = run_report(args, 7, &rc);
		TEST_ASSERT_EQ(rc, 0);
		TEST_ASSERT(strstr(text, "vm,web1,6f1c3e0a-2b1d-4c7e-9a55-0d5b8e1f2a3c,4242,,,,"
				   "90.000,86.000,4.000,,1500.000,228589568,83886080,,"
				   "\"new,uid,gap\",88.000,0.500,none,1.500,0.300\n"), "csv vm: %s",
			    text);
		TEST_ASSERT(strstr(text, ",4242,77,\"spin \"\"x\"\"\\\n\",1000,,85.000,,83.000,,,12582912,\"new,uid\",,,,,\n"),
			    "csv process: %s", text);
		free(text);
	}
	{
		char *args[] = { "vmreport", "-i", path, "--format", "json", "--vm",
				 "52:54:00:AB:CD:01", "--by", "vm,process", NULL };

		text = run_report(args, 9, &rc);
		TEST_ASSERT_EQ(rc, 0);
		TEST_ASSERT(strstr(text, "\"name\":\"web1\""), "json: %s", text);
		TEST_ASSERT(!strstr(text, "\"vmm_pid\":5000"), "--vm filter: %s", text);
		TEST_ASSERT(strstr(text, "\"comm\":\"spin \\\"x\\\"\\\\\\u000a\""),
			    "json escaping: %s", text);
		TEST_ASSERT(strstr(text, "\"vcpu_cpu_pct\":88.000,\"run_delay_pct\":0.500,"
				   "\"exit_handling_pct\":1.500,\"guest_steal_pct\":0.300,"
				   "\"gap_cause\":\"none\""), "json gap cause: %s", text);
		TEST_ASSERT(strstr(text, "\"exit_reasons\":{\"npf\":1000.000,\"hlt\":500.000}"),
			    "exit reasons: %s", text);
		free(text);
	}
	unlink(path);
	/* Input that cannot be read is bad input: 2, as report says it. */
	{
		char *args[] = { "vmreport", "-i", "/nonexistent/vm.metrics", NULL };

		free(run_report(args, 3, &rc));
		TEST_ASSERT_EQ(rc, 2);
	}
	{
		char *args[] = { "vmreport", "-i", "/proc/self/status", NULL };

		free(run_report(args, 3, &rc));
		TEST_ASSERT_EQ(rc, 2);
	}
}

/* What explains the gap: each cause at and across its boundary. */
static void test_gap_cause(void)
{
#define CAUSE_ALL(hv, vcpu, wait, exit, guest, steal)					\
	trace_snapshot_gap_cause_name(trace_snapshot_gap_cause(&(struct trace_snapshot_gap_figures){			\
		.hv_cpu = hv, .hv_vcpu = vcpu, .run_delay = wait, .exit_handling = exit,	\
		.guest_cpu = guest, .guest_steal = steal }))
#define CAUSE(hv, vcpu, wait, guest) CAUSE_ALL(hv, vcpu, wait, -1, guest, -1)
	/* The contended VM of the test bed: half a CPU, the guest at 100 %. */
	TEST_ASSERT(!strcmp(CAUSE(52.0, 50.0, 48.0, 100.0), "contention"), "contended");
	/* The wait falls 10 points short, and then 10.5: */
	TEST_ASSERT(!strcmp(CAUSE(52.0, 50.0, 40.0, 100.0), "contention"), "at tolerance");
	TEST_ASSERT(!strcmp(CAUSE(52.0, 50.0, 39.5, 100.0), "unexplained"), "beyond");
	/* No vCPU figure: the VMM's CPU stands in; no wait figure: unexplained. */
	TEST_ASSERT(!strcmp(CAUSE(52.0, -1, 48.0, 100.0), "contention"), "no vcpu");
	TEST_ASSERT(!strcmp(CAUSE(52.0, 50.0, -1, 100.0), "unexplained"), "no wait");
	/* Within 10 points either way: none. */
	TEST_ASSERT(!strcmp(CAUSE(90.0, 88.0, 0.5, 80.0), "none"), "+10");
	TEST_ASSERT(!strcmp(CAUSE(70.0, 68.0, 0.5, 80.0), "none"), "-10");
	/* The VMM above the guest: its I/O threads, or its vCPU threads. */
	TEST_ASSERT(!strcmp(CAUSE(60.0, 30.0, 0.0, 25.0), "vmm-threads"), "io threads");
	TEST_ASSERT(!strcmp(CAUSE(60.0, 55.0, 0.0, 25.0), "vcpu-overhead"), "halt polling");
	TEST_ASSERT(!strcmp(CAUSE(60.0, -1, 0.0, 25.0), "unexplained"), "no vcpu figure");
	/* Either side unknown: no cause. */
	TEST_ASSERT(!strcmp(CAUSE(-1, 50.0, 0.0, 25.0), "-"), "no hv");
	TEST_ASSERT(!strcmp(CAUSE(60.0, 50.0, 0.0, NAN), "-"), "no guest");
	/* No host wait figure: the guest's steal time is the same wait. */
	TEST_ASSERT(!strcmp(CAUSE_ALL(52.0, 50.0, -1, -1, 100.0, 48.0), "contention"),
		    "steal");
	TEST_ASSERT(!strcmp(CAUSE_ALL(52.0, 50.0, -1, -1, 100.0, 39.5), "unexplained"),
		    "steal short");
	/* The host's wait wins where both are known. */
	TEST_ASSERT(!strcmp(CAUSE_ALL(52.0, 50.0, 20.0, -1, 100.0, 48.0), "unexplained"),
		    "run delay first");
	/* No vCPU figure: exits' handling time covering the excess. */
	TEST_ASSERT(!strcmp(CAUSE_ALL(60.0, -1, 0.0, 26.0, 25.0, 0.0), "vcpu-overhead"),
		    "exit handling");
	TEST_ASSERT(!strcmp(CAUSE_ALL(60.0, -1, 0.0, 24.5, 25.0, 0.0), "unexplained"),
		    "exit handling short");
#undef CAUSE
#undef CAUSE_ALL
}

/* top's detail lines: the gap and its cause, without a session too. */
static void test_top_details(void)
{
	struct trace_snapshot_vm vm = { 0 };
	char lines[4][256];
	int n;

	strcpy(vm.id.name, "busy");
	vm.hv_valid = vm.guest_valid = vm.gap_valid = true;
	vm.hv_cpu_pct = 50.0;
	vm.hv_vcpu_pct = 49.9;
	vm.hv_other_pct = 0.1;
	vm.hv_run_delay_pct = 50.2;
	vm.guest_cpu_pct = 99.8;
	vm.guest_kernel_pct = 1.0;
	vm.cpu_gap_pct = -49.8;
	vm.exits_per_s = -1;		/* no session */
	n = view_top_vm_details(&vm, lines, 4, 200);
	TEST_ASSERT_EQ(n, 4);
	TEST_ASSERT(!strcmp(lines[1], "hypervisor: cpu 50.0% (vcpus 49.9, vmm 0.1) run-delay "
			    "50.2% rss - of -"), "%s", lines[1]);
	TEST_ASSERT(strstr(lines[2], ", 0 procs  gap -49.8 pp (contention)"), "%s", lines[2]);
	TEST_ASSERT(!strcmp(lines[3], "exits: - (no session)"), "%s", lines[3]);
	/* Processes read, accounting not: the reason, not a "-". */
	vm.gap_valid = false;
	vm.nr_procs = 53;
	strcpy(vm.guest_status, "no BTF for guest kernel 6.12.118+deb12-amd64 (--guest-btf)");
	n = view_top_vm_details(&vm, lines, 4, 200);
	TEST_ASSERT(!strcmp(lines[2], "guest: 53 procs, no accounting: no BTF for guest kernel "
			    "6.12.118+deb12-amd64 (--guest-btf)"), "%s", lines[2]);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long len;

	TEST_ASSERT(f, "open %s", path);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)len + 1);
	TEST_ASSERT_EQ(fread(buf, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	return buf;
}

static void test_html_in_chromium(void)
{
	char series[] = "/tmp/vm_report_test.XXXXXX", cmd[16384], *html, *dom;
	char html_path[4400], path[4400];
	int rc, fd = mkstemp(series);

	close(fd);
	write_series(series);
	find_artifacts();
	snprintf(html_path, sizeof(html_path), "%s/report.html", artifacts);
	{
		char *args[] = { "vmreport", "-i", series, "--format", "html", "-o",
				 html_path, NULL };

		free(run_report(args, 7, &rc));
		TEST_ASSERT_EQ(rc, 0);
	}
	unlink(series);
	html = slurp(html_path);
	/* Self-contained: no external resources, fetching forbidden. */
	TEST_ASSERT(strstr(html, "Content-Security-Policy\" content=\"default-src 'none'"), "CSP");
	TEST_ASSERT(!strstr(html, "src=\"http") && !strstr(html, "href=\"http"),
		    "external resource");
	/* The guest's comm cannot close the script: it is escaped. */
	TEST_ASSERT(!strstr(html, "spin \"x\""), "raw comm in the page");
	/* Both sides' means and what explains their gap. */
	TEST_ASSERT(strstr(html, "\"gap\":{\"hv_cpu_pct\":90.000,\"vcpu_cpu_pct\":88.000,"
			   "\"run_delay_pct\":0.500,\"guest_cpu_pct\":86.000,"
			   "\"exit_handling_pct\":1.500,\"guest_steal_pct\":0.300,\"cause\":\"none\"}"),
		    "gap data: %.3000s", html);
	free(html);

	if (system("command -v chromium >/dev/null 2>&1"))
		tap_skip("chromium is not installed (Debian package chromium)");
	/* A fresh profile, nothing in the background, as root without a
	 * sandbox (the test may run as root in a container). */
#define CHROMIUM "timeout 120 chromium --headless --no-sandbox --disable-gpu " \
	"--disable-background-networking --disable-component-update --disable-sync " \
	"--no-first-run --disable-dev-shm-usage --user-data-dir=$(mktemp -d) "
	snprintf(cmd, sizeof(cmd),
		 CHROMIUM "--virtual-time-budget=5000 --dump-dom file://$(realpath '%s') "
		 "> '%s/report.dom' 2> '%s/chromium.log'", html_path, artifacts, artifacts);
	TEST_ASSERT_EQ(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/report.dom", artifacts);
	dom = slurp(path);
	/* The script ran to its end, and both series of both charts have
	 * points: the VM (solid) and the selected process (dashed). */
	TEST_ASSERT(strstr(dom, "data-ready=\"1\""), "script did not finish: %.2000s", dom);
	TEST_ASSERT(strstr(dom, "data-selected-pid=\"77\""), "busiest process selected");
	TEST_ASSERT(strstr(dom, "Means: hypervisor CPU 90.0% (vCPU threads 88.0%, their run-queue "
			   "wait 0.5%, exits' handling 1.5%), guest CPU 86.0% (its steal time "
			   "0.3%); gap cause: none"), "gap line");
	TEST_ASSERT(strstr(dom, "id=\"cpu-vm\" data-series=\"vm\" data-points=\"9\""),
		    "cpu vm line");
	TEST_ASSERT(strstr(dom, "id=\"cpu-proc\" data-series=\"process\" data-points=\"9\""),
		    "cpu process line");
	TEST_ASSERT(strstr(dom, "id=\"mem-vm\" data-series=\"vm\" data-points=\"9\""),
		    "memory vm line");
	TEST_ASSERT(strstr(dom, "id=\"mem-proc\" data-series=\"process\" data-points=\"9\""),
		    "memory process line");
	TEST_ASSERT(strstr(dom, "stroke-dasharray") || strstr(dom, "class=\"proc\""),
		    "dashed class");
	free(dom);
	/* The page's own errors reach the log as console messages. */
	snprintf(cmd, sizeof(cmd), "grep -E 'Uncaught|SyntaxError|TypeError|Refused' "
		 "'%s/chromium.log'", artifacts);
	TEST_ASSERT(system(cmd) != 0, "script errors in %s/chromium.log", artifacts);
	snprintf(path, sizeof(path), "%s/report.png", artifacts);
	unlink(path);
	snprintf(cmd, sizeof(cmd),
		 CHROMIUM "--window-size=1200,900 --screenshot=$(realpath '%s')/report.png "
		 "file://$(realpath '%s') > /dev/null 2>&1", artifacts, html_path);
	TEST_ASSERT_EQ(system(cmd), 0);
	TEST_ASSERT(access(path, R_OK) == 0, "screenshot");
}

static const struct tap_test tests[] = {
	TAP_TEST(text_csv_json),
	TAP_TEST(gap_cause),
	TAP_TEST(top_details),
	TAP_TEST_TIMEOUT(html_in_chromium, 300),
};

int main(int argc, char **argv)
{
	return tap_main(argc, argv, tests, ARRAY_SIZE(tests), 0);
}
