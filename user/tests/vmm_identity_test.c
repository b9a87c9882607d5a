// SPDX-License-Identifier: GPL-2.0
/*
 * A VM's identity from its VMM's command line: QEMU's -name (plain, guest=,
 * escaped commas), -uuid, MACs from -device (QemuOpts and JSON), -nic,
 * -net nic,macaddr=, cloud-hypervisor's --net; nothing made up from
 * command lines that do not say; and /proc of a live process.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "tap.h"
#include "host/vmm_identity.h"

/* "a\0b\0c\0" from a list of arguments. */
static size_t cmdline(char *buf, size_t size, const char *const *args)
{
	size_t len = 0;

	for (; *args; args++) {
		size_t n = strlen(*args) + 1;

		TEST_ASSERT(len + n <= size, "command line too long");
		memcpy(buf + len, *args, n);
		len += n;
	}
	return len;
}

static struct trace_vm_meta parse(const char *const *args)
{
	struct trace_vm_meta vm = { 0 };
	char buf[4096];
	size_t len = cmdline(buf, sizeof(buf), args);

	host_vmm_identity_parse_cmdline(buf, len, &vm);
	return vm;
}

static void test_libvirt_qemu(void)
{
	struct trace_vm_meta vm = parse((const char *[]){
		"/usr/bin/qemu-system-x86_64", "-name", "guest=web-01,debug-threads=on",
		"-S", "-uuid", "c7a5fdbd-cdaf-9455-926a-d65c16db1809",
		"-netdev", "{\"type\":\"tap\",\"fd\":\"31\",\"id\":\"hostnet0\"}",
		"-device", "{\"driver\":\"virtio-net-pci\",\"netdev\":\"hostnet0\","
			   "\"id\":\"net0\",\"mac\":\"52:54:00:AB:cd:01\",\"bus\":\"pci.1\"}",
		"-device", "e1000,netdev=hostnet1,id=net1,mac=52:54:00:00:00:02",
		NULL });

	TEST_ASSERT(!strcmp(vm.name, "web-01"), "name %s", vm.name);
	TEST_ASSERT(!strcmp(vm.uuid, "c7a5fdbd-cdaf-9455-926a-d65c16db1809"), "uuid %s", vm.uuid);
	TEST_ASSERT_EQ(vm.nr_macs, 2);
	TEST_ASSERT(!strcmp(vm.macs[0], "52:54:00:ab:cd:01"), "mac0 %s", vm.macs[0]);
	TEST_ASSERT(!strcmp(vm.macs[1], "52:54:00:00:00:02"), "mac1 %s", vm.macs[1]);
}

static void test_plain_qemu(void)
{
	struct trace_vm_meta vm = parse((const char *[]){
		"qemu-system-x86_64", "--name", "my,,vm,process=qemu-myvm",
		"-nic", "user,model=virtio-net-pci,mac=52-54-00-12-34-56",
		"-net", "nic,macaddr=52:54:00:12:34:57", "-net", "user",
		"-device", "virtio-net-pci,mac=52:54:00:12:34:56",	/* a repeat */
		NULL });

	TEST_ASSERT(!strcmp(vm.name, "my,vm"), "name %s", vm.name);
	TEST_ASSERT(!vm.uuid[0], "uuid %s", vm.uuid);
	TEST_ASSERT_EQ(vm.nr_macs, 2);
	TEST_ASSERT(!strcmp(vm.macs[0], "52:54:00:12:34:56"), "mac0 %s", vm.macs[0]);
	TEST_ASSERT(!strcmp(vm.macs[1], "52:54:00:12:34:57"), "mac1 %s", vm.macs[1]);
}

static void test_cloud_hypervisor(void)
{
	struct trace_vm_meta vm = parse((const char *[]){
		"cloud-hypervisor", "--kernel", "vmlinux", "--net",
		"tap=tap0,mac=12:34:56:78:9a:bc,ip=192.168.1.2", NULL });

	TEST_ASSERT(!vm.name[0], "name %s", vm.name);
	TEST_ASSERT_EQ(vm.nr_macs, 1);
	TEST_ASSERT(!strcmp(vm.macs[0], "12:34:56:78:9a:bc"), "mac %s", vm.macs[0]);
}

/* Not MACs, not names: nothing. */
static void test_nothing_made_up(void)
{
	struct trace_vm_meta vm = parse((const char *[]){
		"guest_exits", "--name", "-device", "virtio-net-pci,mac=52:54:00:zz:00:01",
		"-device", "e1000,mac=52:54:00:00:00:011", "-append", "mac=1", "foo,mac=", NULL });

	/* "--name" took "-device" as the VM's name, as QEMU would. */
	TEST_ASSERT(!strcmp(vm.name, "-device"), "name %s", vm.name);
	TEST_ASSERT_EQ(vm.nr_macs, 0);

	vm = parse((const char *[]){ "x", "-name", NULL });
	TEST_ASSERT(!vm.name[0], "name %s", vm.name);
	host_vmm_identity_parse_cmdline("", 0, &vm);
	host_vmm_identity_parse_cmdline("-name\0cut", 9, &vm);	/* no final NUL */
	TEST_ASSERT(!vm.name[0], "name %s", vm.name);
}

static void test_many_macs(void)
{
	const char *args[2 * (TRACE_MAX_MACS + 2) + 2] = { "qemu" };
	char macs[TRACE_MAX_MACS + 2][64];
	struct trace_vm_meta vm;
	int n = 1;

	for (int i = 0; i < TRACE_MAX_MACS + 2; i++) {
		snprintf(macs[i], sizeof(macs[i]), "virtio-net-pci,mac=52:54:00:00:00:%02x", i);
		args[n++] = "-device";
		args[n++] = macs[i];
	}
	args[n] = NULL;
	vm = parse(args);
	TEST_ASSERT_EQ(vm.nr_macs, TRACE_MAX_MACS);
}

/* This very process: comm from /proc, a zombie-free error for a gone one. */
static void test_proc(void)
{
	struct trace_vm_meta vm = { 0 };

	TEST_ASSERT_EQ(host_vmm_identity_read(getpid(), &vm), 0);
	TEST_ASSERT(!strcmp(vm.comm, "vmm_identity_te"), "comm %s", vm.comm);
	TEST_ASSERT_EQ(host_vmm_identity_read(0x7ffffff0, &vm), -ESRCH);
}

static const struct tap_test tests[] = {
	TAP_TEST(libvirt_qemu),
	TAP_TEST(plain_qemu),
	TAP_TEST(cloud_hypervisor),
	TAP_TEST(nothing_made_up),
	TAP_TEST(many_macs),
	TAP_TEST(proc),
};

int main(int argc, char **argv)
{
	return tap_main(argc, argv, tests, ARRAY_SIZE(tests), 0);
}
