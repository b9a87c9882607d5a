// SPDX-License-Identifier: GPL-2.0
/* VM identity from libvirt's status XML (host/libvirt_domain.h). */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include "host/libvirt_domain.h"
#include "host/vmm_identity.h"

static bool is_elem(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && !xmlStrcmp(n->name, BAD_CAST name);
}

static const xmlNode *child(const xmlNode *parent, const char *name)
{
	const xmlNode *n;

	for (n = parent->children; n; n = n->next)
		if (is_elem(n, name))
			return n;
	return NULL;
}

/* Copy the text of @n, trimmed, cut to @size. */
static void copy_text(const xmlNode *n, char *dst, size_t size)
{
	xmlChar *text = xmlNodeGetContent(n);
	const char *s = (const char *)text;
	size_t len;

	if (!text)
		return;
	while (isspace((unsigned char)*s))
		s++;
	len = strlen(s);
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	if (len >= size)
		len = size - 1;
	memcpy(dst, s, len);
	dst[len] = 0;
	xmlFree(text);
}

static void parse_domain(const xmlNode *domain, struct trace_vm_meta *vm)
{
	const xmlNode *n, *devices = child(domain, "devices");

	if ((n = child(domain, "name")))
		copy_text(n, vm->name, sizeof(vm->name));
	if ((n = child(domain, "uuid")))
		copy_text(n, vm->uuid, sizeof(vm->uuid));
	if (!devices)
		return;
	for (n = devices->children; n; n = n->next) {
		const xmlNode *mac;
		xmlChar *addr;

		if (!is_elem(n, "interface") || !(mac = child(n, "mac")))
			continue;
		addr = xmlGetProp(mac, BAD_CAST "address");
		if (addr) {
			host_vmm_identity_add_mac(vm, (const char *)addr);
			xmlFree(addr);
		}
	}
}

int host_libvirt_parse_status(const char *xml, size_t len, pid_t *pid,
			 struct trace_vm_meta *vm)
{
	const int flags = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
			  XML_PARSE_NOBLANKS;
	const xmlNode *root, *domain;
	xmlDoc *doc;
	int err = 0;

	*pid = 0;
	if (len > HOST_LIBVIRT_XML_MAX)
		return -EBADMSG;
	doc = xmlReadMemory(xml, (int)len, "status.xml", NULL, flags);
	if (!doc)
		return -EBADMSG;
	root = xmlDocGetRootElement(doc);
	if (root && is_elem(root, "domstatus")) {
		xmlChar *p = xmlGetProp(root, BAD_CAST "pid");
		char *end;
		long v = p ? strtol((const char *)p, &end, 10) : 0;

		if (p && *end == 0 && v > 0 && v <= INT32_MAX)
			*pid = (pid_t)v;
		xmlFree(p);
		domain = child(root, "domain");
	} else if (root && is_elem(root, "domain")) {
		domain = root;
	} else {
		domain = NULL;
	}
	if (domain)
		parse_domain(domain, vm);
	else
		err = -EBADMSG;
	xmlFreeDoc(doc);
	return err;
}

/* Read @dirfd/@name whole (at most HOST_LIBVIRT_XML_MAX).  Bytes or -errno. */
static ssize_t read_file(int dirfd, const char *name, char **out)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	size_t cap = 16384, total = 0;
	char *buf = NULL, *tmp;
	ssize_t n, ret;

	if (fd < 0)
		return -errno;
	for (;;) {
		if (total == cap || !buf) {
			if (buf)
				cap *= 2;
			if (cap > HOST_LIBVIRT_XML_MAX) {
				ret = -EFBIG;
				goto out;
			}
			tmp = realloc(buf, cap);
			if (!tmp) {
				ret = -ENOMEM;
				goto out;
			}
			buf = tmp;
		}
		n = read(fd, buf + total, cap - total);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			goto out;
		}
		if (n == 0)
			break;
		total += (size_t)n;
	}
	*out = buf;
	buf = NULL;
	ret = (ssize_t)total;
out:
	free(buf);
	close(fd);
	return ret;
}

int host_libvirt_lookup(const char *dir, pid_t pid, struct trace_vm_meta *vm)
{
	struct trace_vm_meta found;
	struct dirent *de;
	int dirfd, err = -ENOENT;
	DIR *d;

	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return errno == ENOENT ? -ENOENT : -errno;
	d = fdopendir(dirfd);
	if (!d) {
		close(dirfd);
		return -errno;
	}
	while (err == -ENOENT && (de = readdir(d))) {
		size_t len = strlen(de->d_name);
		char *xml = NULL;
		pid_t file_pid;
		ssize_t n;

		if (len < 5 || strcmp(de->d_name + len - 4, ".xml"))
			continue;
		n = read_file(dirfd, de->d_name, &xml);
		if (n < 0)
			continue;	/* a domain going away: not ours */
		memset(&found, 0, sizeof(found));
		if (!host_libvirt_parse_status(xml, (size_t)n, &file_pid, &found) &&
		    file_pid == pid) {
			uint32_t i;

			if (found.name[0])
				memcpy(vm->name, found.name, sizeof(vm->name));
			if (found.uuid[0])
				memcpy(vm->uuid, found.uuid, sizeof(vm->uuid));
			for (i = 0; i < found.nr_macs; i++)
				host_vmm_identity_add_mac(vm, found.macs[i]);
			err = 0;
		}
		free(xml);
	}
	closedir(d);
	return err;
}

int host_vm_identity_read(const char *libvirt_dir, uint32_t vm_id, pid_t pid,
		     struct trace_vm_meta *vm)
{
	int err;

	vm->vm_id = vm_id;
	vm->vmm_pid = (uint32_t)pid;
	err = host_vmm_identity_read(pid, vm);
	if (err == -ESRCH)
		return err;
	host_libvirt_lookup(libvirt_dir ? libvirt_dir : HOST_LIBVIRT_RUN_DIR, pid, vm);
	return 0;
}
