// SPDX-License-Identifier: GPL-2.0
/* libvirt status XML: identity by VMM pid, odd and hostile documents. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "host/libvirt_domain.h"
#include "tap.h"

static const char status_xml[] =
	"<!-- WARNING: THIS IS AN AUTO-GENERATED FILE. -->\n"
	"<domstatus state='running' reason='booted' pid='4242'>\n"
	"  <taint flag='high-privileges'/>\n"
	"  <monitor path='/var/lib/libvirt/qemu/domain-1-web1/monitor.sock' type='unix'/>\n"
	"  <vcpus>\n    <vcpu id='0' pid='4250'/>\n  </vcpus>\n"
	"  <domain type='kvm' id='1'>\n"
	"    <name>web1</name>\n"
	"    <uuid>6f1c3e0a-2b1d-4c7e-9a55-0d5b8e1f2a3c</uuid>\n"
	"    <memory unit='KiB'>1048576</memory>\n"
	"    <devices>\n"
	"      <disk type='file' device='disk'><mac address='00:00:00:00:00:01'/></disk>\n"
	"      <interface type='network'>\n"
	"        <mac address='52:54:00:AB:cd:01'/>\n"
	"        <source network='default'/>\n"
	"      </interface>\n"
	"      <interface type='bridge'><mac address='52:54:00:ab:cd:02'/></interface>\n"
	"      <interface type='bridge'><mac address='52:54:00:ab:cd:01'/></interface>\n"
	"      <interface type='user'><mac address='not-a-mac'/></interface>\n"
	"    </devices>\n"
	"  </domain>\n"
	"</domstatus>\n";

static void test_parse_status(void)
{
	struct trace_vm_meta vm = { 0 };
	pid_t pid = -1;

	TEST_ASSERT_EQ(host_libvirt_parse_status(status_xml, strlen(status_xml), &pid, &vm), 0);
	TEST_ASSERT_EQ(pid, 4242);
	TEST_ASSERT(!strcmp(vm.name, "web1"), "name %s", vm.name);
	TEST_ASSERT(!strcmp(vm.uuid, "6f1c3e0a-2b1d-4c7e-9a55-0d5b8e1f2a3c"), "uuid");
	/* Interfaces only, lowercased, once each, malformed dropped. */
	TEST_ASSERT_EQ(vm.nr_macs, 2);
	TEST_ASSERT(!strcmp(vm.macs[0], "52:54:00:ab:cd:01"), "mac0 %s", vm.macs[0]);
	TEST_ASSERT(!strcmp(vm.macs[1], "52:54:00:ab:cd:02"), "mac1 %s", vm.macs[1]);
}

static void test_bare_domain_and_bad_input(void)
{
	static const char bare[] = "<domain><name> db </name></domain>";
	static const char other[] = "<network><name>x</name></network>";
	static const char broken[] = "<domstatus pid='1'><domain><name>x</name>";
	static const char bad_pid[] = "<domstatus pid='12x'><domain><name>y</name></domain></domstatus>";
	struct trace_vm_meta vm = { 0 };
	pid_t pid = -1;

	TEST_ASSERT_EQ(host_libvirt_parse_status(bare, strlen(bare), &pid, &vm), 0);
	TEST_ASSERT_EQ(pid, 0);
	TEST_ASSERT(!strcmp(vm.name, "db"), "trimmed name '%s'", vm.name);
	TEST_ASSERT_EQ(host_libvirt_parse_status(other, strlen(other), &pid, &vm), -EBADMSG);
	TEST_ASSERT_EQ(host_libvirt_parse_status(broken, strlen(broken), &pid, &vm), -EBADMSG);
	TEST_ASSERT_EQ(host_libvirt_parse_status("", 0, &pid, &vm), -EBADMSG);
	TEST_ASSERT_EQ(host_libvirt_parse_status(bad_pid, strlen(bad_pid), &pid, &vm), 0);
	TEST_ASSERT_EQ(pid, 0);
}

/* An external entity is neither fetched nor expanded into the name. */
static void test_no_entity_expansion(void)
{
	static const char xxe[] =
		"<?xml version='1.0'?>\n"
		"<!DOCTYPE d [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>\n"
		"<domstatus pid='7'><domain><name>&e;</name></domain></domstatus>";
	struct trace_vm_meta vm = { 0 };
	pid_t pid;

	host_libvirt_parse_status(xxe, strlen(xxe), &pid, &vm);
	TEST_ASSERT(!strstr(vm.name, "root:"), "entity expanded: %s", vm.name);
}

static void test_lookup_by_pid(void)
{
	char dir[] = "/tmp/libvirt_test.XXXXXX", path[256];
	struct trace_vm_meta vm = { 0 };
	FILE *f;

	TEST_ASSERT(mkdtemp(dir), "mkdtemp");
	snprintf(path, sizeof(path), "%s/other.xml", dir);
	f = fopen(path, "w");
	fputs("<domstatus pid='99'><domain><name>other</name></domain></domstatus>", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/junk.xml", dir);
	f = fopen(path, "w");
	fputs("not xml at all", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/web1.xml", dir);
	f = fopen(path, "w");
	fputs(status_xml, f);
	fclose(f);

	/* The command line's MAC stays, libvirt's are merged in. */
	strcpy(vm.name, "from-cmdline");
	vm.nr_macs = 1;
	strcpy(vm.macs[0], "52:54:00:ab:cd:02");
	TEST_ASSERT_EQ(host_libvirt_lookup(dir, 4242, &vm), 0);
	TEST_ASSERT(!strcmp(vm.name, "web1"), "name %s", vm.name);
	TEST_ASSERT_EQ(vm.nr_macs, 2);
	TEST_ASSERT_EQ(host_libvirt_lookup(dir, 4243, &vm), -ENOENT);
	TEST_ASSERT_EQ(host_libvirt_lookup("/nonexistent/libvirt", 4242, &vm), -ENOENT);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	TEST_ASSERT_EQ(system(path), 0);
}

static const struct tap_test tests[] = {
	TAP_TEST(parse_status),
	TAP_TEST(bare_domain_and_bad_input),
	TAP_TEST(no_entity_expansion),
	TAP_TEST(lookup_by_pid),
};

int main(int argc, char **argv)
{
	return tap_main(argc, argv, tests, ARRAY_SIZE(tests), 0);
}
