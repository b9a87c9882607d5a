// SPDX-License-Identifier: GPL-2.0
/* Prometheus text format: the series, their labels, escaping, validity. */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "view/prom.h"
#include "tap.h"
#include "vv_fixture.h"

static char *render(void)
{
	static struct trace_snapshot_vm vms[2];
	static struct trace_snapshot_proc procs[3];
	struct trace_snapshot s;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	vv_fixture(&s, vms, procs, 90);
	TEST_ASSERT_EQ(view_prom_write(f, &s), 0);
	fclose(f);
	return buf;
}

static void expect(const char *text, const char *line)
{
	char *want;

	TEST_ASSERT(asprintf(&want, "\n%s\n", line) > 0, "asprintf");
	TEST_ASSERT(strstr(text, want), "missing line: %s", line);
	free(want);
}

#define WEB1 "vm=\"web1\",uuid=\"6f1c3e0a-2b1d-4c7e-9a55-0d5b8e1f2a3c\",pid=\"4242\""

#define V5000 "vm=\"\",uuid=\"\",pid=\"5000\""
#define SPIN ",guest_pid=\"77\",comm=\"spin \\\"x\\\"\\\\\\n\""

static void test_series(void)
{
	char *t = render();

	expect(t, "vmtrace_build_info{version=\"" VMT_TEST_RELEASE "\",record_format=\"2\"} 1");
	expect(t, "vmtrace_vm_info{" WEB1 ",mac=\"52:54:00:ab:cd:02\"} 1");
	expect(t, "vmtrace_vm_info{" V5000 ",mac=\"\"} 1");
	/* Counters in seconds, exact to the nanosecond. */
	expect(t, "vmtrace_vm_cpu_seconds_total{" WEB1 ",source=\"hypervisor\"} 123.456789012");
	expect(t, "vmtrace_vm_cpu_seconds_total{" WEB1 ",source=\"guest\"} 110");
	expect(t, "vmtrace_vm_cpu_seconds_total{" V5000 ",source=\"hypervisor\"} 7");
	expect(t, "vmtrace_vm_vcpu_cpu_seconds_total{" WEB1 ",source=\"hypervisor\"} 120");
	expect(t, "vmtrace_vm_run_delay_seconds_total{" WEB1 ",source=\"hypervisor\"} 0.5");
	expect(t, "vmtrace_vm_run_delay_seconds_total{" WEB1 ",source=\"guest\"} 0.3");
	expect(t, "vmtrace_vm_exit_handling_seconds_total{" WEB1 ",source=\"hypervisor\"} 2.25");
	expect(t, "vmtrace_vm_exits_total{" WEB1 ",reason=\"npf\"} 1000000");
	expect(t, "vmtrace_vm_exits_total{" WEB1 ",reason=\"hlt\"} 500000");
	expect(t, "vmtrace_process_cpu_seconds_total{" WEB1 SPIN ",mode=\"user\"} 90");
	expect(t, "vmtrace_process_cpu_seconds_total{" WEB1 SPIN ",mode=\"system\"} 1.5");
	/* Gauges in base units: ratios of one CPU, bytes. */
	expect(t, "vmtrace_vm_cpu_gap_ratio{" WEB1 "} 0.04");
	expect(t, "vmtrace_vm_cpu_gap_cause{" WEB1 ",cause=\"none\"} 1");
	expect(t, "vmtrace_vm_memory_bytes{" WEB1 ",source=\"hypervisor\"} 209715200");
	expect(t, "vmtrace_vm_memory_bytes{" WEB1 ",source=\"guest\"} 83886080");
	expect(t, "vmtrace_vm_memory_given_bytes{" WEB1 ",source=\"hypervisor\"} 268435456");
	expect(t, "vmtrace_vm_flag{" WEB1 ",flag=\"gap\"} 1");
	expect(t, "vmtrace_process_sampled_cpu_ratio{" WEB1 SPIN "} 0.88");
	expect(t, "vmtrace_process_memory_bytes{" WEB1 SPIN ",source=\"guest\"} 3145728");
	expect(t, "vmtrace_process_flag{" WEB1 SPIN ",flag=\"uid\"} 1");
	expect(t, "vmtrace_process_uid{" WEB1 ",guest_pid=\"2\",comm=\"kthreadd\",kind=\"kernel\"} 0");
	expect(t, "vmtrace_snapshot_timestamp_seconds 1700000000.123");
	/* Unknown figures are absent, not -1: VM 5000's vCPU threads were
	 * not found, it has no session's exits, and its guest is unknown (no
	 * gap, no cause, no guest series). */
	TEST_ASSERT(!strstr(t, "vmtrace_vm_vcpu_cpu_seconds_total{" V5000), "vcpu series of 5000");
	TEST_ASSERT(!strstr(t, "vmtrace_vm_run_delay_seconds_total{" V5000), "delay of 5000");
	TEST_ASSERT(!strstr(t, "vmtrace_vm_exit_handling_seconds_total{" V5000), "exits of 5000");
	TEST_ASSERT(!strstr(t, "vmtrace_vm_exits_total{" V5000), "exits of 5000");
	TEST_ASSERT(!strstr(t, V5000 ",source=\"guest\""), "guest series of 5000");
	TEST_ASSERT(!strstr(t, "cause=\"-\""), "a cause for an unknown gap");
	TEST_ASSERT(!strstr(t, "} -1\n"), "a -1 value");
	/* The old percent and per-second gauges are gone. */
	TEST_ASSERT(!strstr(t, "_percent") && !strstr(t, "_per_second"), "old names:\n%s", t);
	/* One HELP and TYPE per family, never repeated; counters say so. */
	{
		const char *first = strstr(t, "# TYPE vmtrace_vm_cpu_seconds_total counter\n");

		TEST_ASSERT(first && !strstr(first + 1, "# TYPE vmtrace_vm_cpu_seconds_total "),
			    "family header missing or repeated");
		TEST_ASSERT(strstr(t, "# TYPE vmtrace_vm_exits_total counter\n") &&
			    strstr(t, "# TYPE vmtrace_process_cpu_seconds_total counter\n") &&
			    strstr(t, "# TYPE vmtrace_vm_memory_bytes gauge\n"), "types");
	}
	free(t);
}

static void test_label_escaping(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	/* Invalid UTF-8 and control bytes become '?', valid UTF-8 stays. */
	view_prom_write_label_value(f, "a\"b\\c\nd\te\xff\xc3\xa9\xe0\x80\x80z");
	fclose(f);
	TEST_ASSERT(!strcmp(buf, "a\\\"b\\\\c\\nd?e?\xc3\xa9???z"), "got %s", buf);
	free(buf);
}

/* promtool (Debian's prometheus package) agrees it is valid. */
static void test_promtool(void)
{
	char path[] = "/tmp/prom_test.XXXXXX", cmd[256];
	char *t;
	FILE *f;
	int fd, rc;

	if (system("command -v promtool >/dev/null 2>&1"))
		tap_skip("promtool is not installed (Debian package prometheus)");
	t = render();
	fd = mkstemp(path);
	TEST_ASSERT(fd >= 0, "mkstemp");
	f = fdopen(fd, "w");
	fputs(t, f);
	fclose(f);
	/* Exit status 3 on any lint problem (a counter without _total, ...). */
	snprintf(cmd, sizeof(cmd), "bash -c 'promtool check metrics < %s'", path);
	rc = system(cmd);
	unlink(path);
	free(t);
	TEST_ASSERT_EQ(rc, 0);
}

/*
 * The Grafana dashboard (Documentation/grafana/) is JSON, and every metric
 * its queries name is a family that serve exports (a TYPE line of the
 * fixture's exposition, which has every family).
 */
static void test_grafana(void)
{
	char self[PATH_MAX], path[PATH_MAX + 64], cmd[PATH_MAX + 128], *json, *t, *p;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	size_t names = 0, len = 0;
	FILE *f;

	TEST_ASSERT(n > 0, "readlink");
	self[n] = '\0';
	*strrchr(self, '/') = '\0';
	snprintf(path, sizeof(path), "%s/../../Documentation/grafana/vmtrace-both-sides.json",
		 self);
	snprintf(cmd, sizeof(cmd), "python3 -m json.tool '%s' >/dev/null", path);
	TEST_ASSERT(!system(cmd), "%s is not JSON", path);
	f = fopen(path, "r");
	TEST_ASSERT(f, "%s", path);
	TEST_ASSERT(getdelim(&json, &len, '\0', f) > 0, "read %s", path);
	fclose(f);
	t = render();
	for (p = strstr(json, "vmtrace_"); p; p = strstr(p, "vmtrace_")) {
		char name[96], type[128];
		size_t k = 0;

		while (k < sizeof(name) - 1 && (islower((unsigned char)p[k]) || p[k] == '_'))
			name[k] = p[k], k++;
		name[k] = '\0';
		p += k;
		/* "vmtrace-both-sides" and the like are not metrics. */
		if (!strcmp(name, "vmtrace_"))
			continue;
		snprintf(type, sizeof(type), "# TYPE %s ", name);
		TEST_ASSERT(strstr(t, type), "the dashboard queries %s, which serve does not export",
			    name);
		names++;
	}
	TEST_ASSERT(names >= 13, "%zu metric names in the dashboard", names);
	free(json);
	free(t);
}

static const struct tap_test tests[] = {
	TAP_TEST(series),
	TAP_TEST(label_escaping),
	TAP_TEST(promtool),
	TAP_TEST(grafana),
};

int main(int argc, char **argv)
{
	return tap_main(argc, argv, tests, ARRAY_SIZE(tests), 0);
}
