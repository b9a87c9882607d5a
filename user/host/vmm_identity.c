// SPDX-License-Identifier: GPL-2.0
/*
 * A VMM's identity from /proc.  QEMU's options take "QemuOpts" values:
 * key=value pairs separated by commas, a doubled comma standing for a
 * comma inside a value, and for some options an implied first key (the
 * name of -name is "guest").  -device also takes JSON.  Options may be
 * spelled with one dash or two.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "host/vmm_identity.h"

#define CMDLINE_MAX (256U << 10)

static void set_str(char *dst, size_t size, const char *src, size_t len)
{
	if (len >= size)
		len = size - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/*
 * The value of @key in the QemuOpts string @opts, unescaped into @out;
 * @implied is the key of a first element without "=" (or NULL).
 * Returns false if the key is not there.
 */
static bool qemuopts_get(const char *opts, const char *key, const char *implied,
			 char *out, size_t size)
{
	const char *p = opts;
	bool first = true;

	while (*p) {
		char elem[512];
		size_t n = 0;
		const char *eq;

		/* One element, with ",," unescaped. */
		while (*p && !(p[0] == ',' && p[1] != ',')) {
			if (p[0] == ',' && p[1] == ',')
				p++;
			if (n < sizeof(elem) - 1)
				elem[n++] = *p;
			p++;
		}
		elem[n] = '\0';
		if (*p == ',')
			p++;
		eq = strchr(elem, '=');
		if (eq && (size_t)(eq - elem) == strlen(key) && !strncmp(elem, key, eq - elem)) {
			set_str(out, size, eq + 1, strlen(eq + 1));
			return true;
		}
		if (!eq && first && implied && !strcmp(implied, key)) {
			set_str(out, size, elem, n);
			return true;
		}
		first = false;
	}
	return false;
}

/* "52:54:00:AB:cd:ef" or with dashes -> "52:54:00:ab:cd:ef"; false if not
 * a MAC address. */
static bool normalise_mac(const char *s, char out[TRACE_MAC_LEN])
{
	for (int i = 0; i < 6; i++) {
		const char *octet = s + 3 * i;

		if (!isxdigit((unsigned char)octet[0]) || !isxdigit((unsigned char)octet[1]))
			return false;
		if (i < 5 && octet[2] != ':' && octet[2] != '-')
			return false;
		out[3 * i] = tolower((unsigned char)octet[0]);
		out[3 * i + 1] = tolower((unsigned char)octet[1]);
		out[3 * i + 2] = i < 5 ? ':' : '\0';
	}
	return s[17] == '\0' || s[17] == '"';
}

void host_vmm_identity_add_mac(struct trace_vm_meta *vm, const char *s)
{
	char mac[TRACE_MAC_LEN];

	if (!normalise_mac(s, mac))
		return;
	for (uint32_t i = 0; i < vm->nr_macs; i++)
		if (!strcmp(vm->macs[i], mac))
			return;
	if (vm->nr_macs < TRACE_MAX_MACS)
		memcpy(vm->macs[vm->nr_macs++], mac, TRACE_MAC_LEN);
}

/* JSON -device: every "mac": "..." in the object. */
static void json_macs(const char *s, struct trace_vm_meta *vm)
{
	while ((s = strstr(s, "\"mac\""))) {
		s += 5;
		while (*s == ' ' || *s == ':')
			s++;
		if (*s == '"')
			host_vmm_identity_add_mac(vm, s + 1);
	}
}

static const char *option_name(const char *arg)
{
	if (arg[0] != '-')
		return NULL;
	return arg[1] == '-' ? arg + 2 : arg + 1;
}

void host_vmm_identity_parse_cmdline(const char *args, size_t len, struct trace_vm_meta *vm)
{
	const char *end = args + len, *arg = args, *prev = NULL;
	char value[TRACE_NAME_LEN];

	while (arg < end) {
		size_t n = strnlen(arg, end - arg);
		const char *opt = prev ? option_name(prev) : NULL;

		if (arg + n == end)
			break;	/* not NUL-terminated: cut short, ignore */
		if (opt && !strcmp(opt, "name")) {
			if (qemuopts_get(arg, "guest", "guest", value, sizeof(value)))
				set_str(vm->name, sizeof(vm->name), value, strlen(value));
		} else if (opt && !strcmp(opt, "uuid")) {
			set_str(vm->uuid, sizeof(vm->uuid), arg, n);
		} else if (arg[0] == '{') {
			json_macs(arg, vm);
		} else if (arg[0] != '-') {
			if (qemuopts_get(arg, "mac", NULL, value, sizeof(value)) ||
			    qemuopts_get(arg, "macaddr", NULL, value, sizeof(value)))
				host_vmm_identity_add_mac(vm, value);
		}
		prev = arg;
		arg += n + 1;
	}
}

/* Read a small /proc file whole: bytes read, or -errno. */
static ssize_t read_proc(pid_t pid, const char *what, char *buf, size_t size)
{
	char path[64];
	ssize_t n, total = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, what);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	while ((size_t)total < size && (n = read(fd, buf + total, size - total)) > 0)
		total += n;
	if (n < 0)
		total = -errno;
	close(fd);
	return total;
}

int host_vmm_identity_read(pid_t pid, struct trace_vm_meta *vm)
{
	char comm[64], *cmdline;
	ssize_t n;

	n = read_proc(pid, "comm", comm, sizeof(comm) - 1);
	if (n < 0)
		return n;
	while (n && comm[n - 1] == '\n')
		n--;
	set_str(vm->comm, sizeof(vm->comm), comm, n);

	cmdline = malloc(CMDLINE_MAX);
	if (!cmdline)
		return -ENOMEM;
	n = read_proc(pid, "cmdline", cmdline, CMDLINE_MAX);
	if (n > 0)
		host_vmm_identity_parse_cmdline(cmdline, n, vm);
	free(cmdline);
	return 0;
}
