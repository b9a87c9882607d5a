// SPDX-License-Identifier: GPL-2.0
/*
 * Building guest profiles: struct offsets from BTF through libbpf, symbols
 * from System.map/kallsyms, banner and link address from the image.
 * libbpf reports errors as NULL plus errno, or negative returns; they are
 * turned into -errno right at each call.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* also given by the selftests' -D_GNU_SOURCE */
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "guest/btf_profile.h"
#include "guest/kallsyms_image.h"
#include "guest/vmlinuz.h"

/* x86-64 __START_KERNEL_map; i386 PAGE_OFFSET with Debian's 3G/1G split. */
#define X86_64_KERNEL_MAP 0xffffffff80000000ULL
#define I386_PAGE_OFFSET 0xc0000000ULL
/* _text's link address when no ELF says otherwise (CONFIG_PHYSICAL_START). */
#define X86_64_TEXT_LINK 0xffffffff81000000ULL
#define I386_TEXT_LINK 0xc1000000ULL

/* Anonymous structs nest a few deep (mm_struct's); never more than this. */
#define MEMBER_DEPTH_MAX 8

static int find_member(const struct btf *btf, __u32 id, const char *name,
		       int depth, __u32 *off, __u32 *type)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	const struct btf_member *m;
	__u32 bit, sub_off, sub_type;
	unsigned int i;
	int sub;

	if (!t || !btf_is_composite(t) || depth > MEMBER_DEPTH_MAX)
		return -ENOENT;
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++, m++) {
		const char *mname = btf__name_by_offset(btf, m->name_off);

		bit = btf_member_bit_offset(t, i);
		if (mname && *mname) {
			if (strcmp(mname, name))
				continue;
			if (bit % 8 || btf_member_bitfield_size(t, i))
				return -ENOENT;
			*off = bit / 8;
			*type = m->type;
			return 0;
		}
		sub = btf__resolve_type(btf, m->type);
		if (sub > 0 && !find_member(btf, (__u32)sub, name, depth + 1, &sub_off,
					    &sub_type)) {
			*off = bit / 8 + sub_off;
			*type = sub_type;
			return 0;
		}
	}
	return -ENOENT;
}

int guest_btf_member(const struct btf *btf, __u32 id, const char *name,
		   __u32 *off, __u32 *type)
{
	return find_member(btf, id, name, 0, off, type);
}

static const struct {
	enum guest_prof_field field, size_field;
	const char *type;
	const char *members[2];		/* alternatives, newest first */
	int required;
} btf_fields[] = {
	{ GUEST_OFF_TASK_TASKS, -1, "task_struct", { "tasks" }, 1 },
	{ GUEST_OFF_TASK_PID, -1, "task_struct", { "pid" }, 1 },
	{ GUEST_OFF_TASK_TGID, -1, "task_struct", { "tgid" }, 1 },
	{ GUEST_OFF_TASK_COMM, GUEST_SIZE_TASK_COMM, "task_struct", { "comm" }, 1 },
	{ GUEST_OFF_TASK_MM, -1, "task_struct", { "mm" }, 1 },
	{ GUEST_OFF_TASK_ACTIVE_MM, -1, "task_struct", { "active_mm" }, 0 },
	{ GUEST_OFF_TASK_FLAGS, GUEST_SIZE_TASK_FLAGS, "task_struct", { "flags" }, 0 },
	{ GUEST_OFF_TASK_STATE, GUEST_SIZE_TASK_STATE, "task_struct", { "__state", "state" }, 0 },
	{ GUEST_OFF_TASK_EXIT_STATE, -1, "task_struct", { "exit_state" }, 0 },
	{ GUEST_OFF_TASK_REAL_CRED, -1, "task_struct", { "real_cred" }, 0 },
	{ GUEST_OFF_TASK_REAL_PARENT, -1, "task_struct", { "real_parent" }, 0 },
	{ GUEST_OFF_TASK_GROUP_LEADER, -1, "task_struct", { "group_leader" }, 0 },
	{ GUEST_OFF_TASK_THREAD_GROUP, -1, "task_struct", { "thread_group" }, 0 },
	{ GUEST_OFF_TASK_SIGNAL, -1, "task_struct", { "signal" }, 0 },
	{ GUEST_OFF_TASK_THREAD_NODE, -1, "task_struct", { "thread_node" }, 0 },
	{ GUEST_OFF_TASK_START_TIME, -1, "task_struct", { "start_time" }, 0 },
	{ GUEST_OFF_TASK_STACK, -1, "task_struct", { "stack" }, 0 },
	{ GUEST_OFF_SIGNAL_THREAD_HEAD, -1, "signal_struct", { "thread_head" }, 0 },
	{ GUEST_OFF_MM_PGD, -1, "mm_struct", { "pgd" }, 1 },
	{ GUEST_OFF_CRED_UID, -1, "cred", { "uid" }, 0 },
	{ GUEST_OFF_PCPU_HOT_CURRENT_TASK, -1, "pcpu_hot", { "current_task" }, 0 },
};

int guest_profile_fill_btf(struct guest_profile *p, const struct btf *btf,
			 char *why, size_t why_len)
{
	__u32 off, type;
	__s64 size;
	__s32 id;
	size_t i, j;

	for (i = 0; i < sizeof(btf_fields) / sizeof(btf_fields[0]); i++) {
		int found = 0;

		id = btf__find_by_name_kind(btf, btf_fields[i].type, BTF_KIND_STRUCT);
		for (j = 0; id > 0 && j < 2 && btf_fields[i].members[j] && !found; j++)
			found = !find_member(btf, id, btf_fields[i].members[j], 0,
					     &off, &type);
		if (!found) {
			if (btf_fields[i].required) {
				guest_whyf(why, why_len, "the BTF has no struct %s member %s",
				    btf_fields[i].type, btf_fields[i].members[0]);
				return -ENOENT;
			}
			continue;
		}
		if (off >= GUEST_PROF_OFFSET_MAX) {
			guest_whyf(why, why_len, "%s.%s at offset %u: implausible",
			    btf_fields[i].type, btf_fields[i].members[0], off);
			return -EBADMSG;
		}
		p->field[btf_fields[i].field] = off;
		if ((int)btf_fields[i].size_field < 0)
			continue;
		size = btf__resolve_size(btf, type);
		if (size <= 0 || size > (btf_fields[i].size_field == GUEST_SIZE_TASK_COMM ?
					 GUEST_PROF_COMM_MAX : 8)) {
			guest_whyf(why, why_len, "%s.%s has an unexpected size %lld",
			    btf_fields[i].type, btf_fields[i].members[0],
			    (long long)size);
			return -EBADMSG;
		}
		p->field[btf_fields[i].size_field] = size;
	}
	id = btf__find_by_name_kind(btf, "task_struct", BTF_KIND_STRUCT);
	size = id > 0 ? btf__resolve_size(btf, id) : -ENOENT;
	if (size > 0 && size < GUEST_PROF_OFFSET_MAX)
		p->field[GUEST_SIZE_TASK_STRUCT] = size;
	if (p->field[GUEST_OFF_TASK_THREAD_GROUP] == GUEST_PROF_ABSENT &&
	    (p->field[GUEST_OFF_TASK_THREAD_NODE] == GUEST_PROF_ABSENT ||
	     p->field[GUEST_OFF_TASK_SIGNAL] == GUEST_PROF_ABSENT ||
	     p->field[GUEST_OFF_SIGNAL_THREAD_HEAD] == GUEST_PROF_ABSENT)) {
		guest_whyf(why, why_len, "the BTF has neither task_struct.thread_group nor "
		    "signal_struct.thread_head: threads cannot be listed");
		return -ENOENT;
	}
	p->pointer_size = btf__pointer_size(btf) == 4 ? 4 : 8;
	return 0;
}

int guest_profile_fill_symbols(struct guest_profile *p, struct guest_ksyms *syms,
			     char *why, size_t why_len)
{
	static const enum guest_prof_sym required[] = {
		GUEST_SYM_INIT_TASK, GUEST_SYM_LINUX_BANNER, GUEST_SYM_TEXT,
	};
	const struct guest_ksym *s;
	uint64_t text, nonzero = 0, slide;
	size_t i;
	int err;

	err = guest_ksyms_finish(syms);
	if (err)
		return err;
	for (i = 0; i < guest_ksyms_count(syms); i++)
		nonzero |= guest_ksyms_at(syms, i)->addr;
	if (!nonzero) {
		guest_whyf(why, why_len, "every address is 0: a /proc/kallsyms copy must "
		    "be read as root (kptr_restrict)");
		return -EINVAL;
	}
	if (guest_ksyms_lookup(syms, "_text", &text)) {
		guest_whyf(why, why_len, "no _text symbol: not a System.map or kallsyms");
		return -ENOENT;
	}
	/*
	 * A kallsyms copy carries the slide of the boot it came from; per-CPU
	 * symbols (below the kernel map) are not slid.  Undo it.
	 */
	slide = text - p->text_link;
	if (slide) {
		guest_ksyms_shift(syms, p->kernel_map, -slide);
		err = guest_ksyms_finish(syms);
		if (err)
			return err;
	}
	for (i = 0; i < __GUEST_PROF_SYMS; i++)
		guest_ksyms_lookup(syms, guest_prof_sym_name(i), &p->sym[i]);
	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		if (!p->sym[required[i]]) {
			guest_whyf(why, why_len, "no symbol %s", guest_prof_sym_name(required[i]));
			return -ENOENT;
		}
	}
	if (!p->sym[GUEST_SYM_INIT_TOP_PGT] && !p->sym[GUEST_SYM_SWAPPER_PG_DIR]) {
		guest_whyf(why, why_len, "no symbol init_top_pgt or swapper_pg_dir");
		return -ENOENT;
	}
	/* The code symbols, for symbolizing kernel RIPs. */
	guest_ksyms_free(p->code);
	p->code = guest_ksyms_new();
	if (!p->code)
		return -ENOMEM;
	for (i = 0; i < guest_ksyms_count(syms); i++) {
		s = guest_ksyms_at(syms, i);
		if (!guest_ksym_is_code(s->type) || s->addr < p->kernel_map)
			continue;
		err = guest_ksyms_add(p->code, s->addr, s->type, s->name);
		if (err)
			return err;
	}
	return guest_ksyms_finish(p->code);
}

/* The banner in the image: at linux_banner, else the first one found. */
static int image_banner(const struct guest_kimage *img, uint64_t banner_va,
			char *buf, size_t len)
{
	static const char prefix[] = "Linux version ";
	const uint8_t *hit;
	long n;

	n = guest_kimage_read_va(img, banner_va, buf, len - 1);
	if (n > 0) {
		buf[n] = 0;
		if (!strncmp(buf, prefix, sizeof(prefix) - 1) && strlen(buf) < len - 1)
			return 0;
		return -ESRCH;	/* the symbols do not belong to this image */
	}
	hit = memmem(img->data, img->size, prefix, sizeof(prefix) - 1);
	if (!hit)
		return -ENOENT;
	n = strnlen((const char *)hit, img->size - (hit - img->data));
	if ((size_t)n >= len)
		return -ENOENT;
	memcpy(buf, hit, n + 1);
	return 0;
}

static int load_btf(const struct guest_profile_sources *src,
		    const struct guest_kimage *img, struct btf **out,
		    char *why, size_t why_len)
{
	const void *data;
	size_t len;
	int err;

	if (src->btf_path) {
		/* Raw BTF (/sys/kernel/btf/vmlinux) or an ELF with .BTF. */
		*out = btf__parse(src->btf_path, NULL);
		if (!*out) {
			char msg[128];

			err = errno ? -errno : -EBADMSG;
			/* libbpf's own codes (4001: not ELF or BTF) as well. */
			libbpf_strerror(err, msg, sizeof(msg));
			guest_whyf(why, why_len, "%s: cannot parse BTF: %s", src->btf_path, msg);
			return err;
		}
		return 0;
	}
	err = guest_kimage_btf(img, &data, &len);
	if (err) {
		guest_whyf(why, why_len, "no BTF in the kernel image (CONFIG_DEBUG_INFO_BTF)");
		return err;
	}
	*out = btf__new(data, len);
	if (!*out) {
		err = errno ? -errno : -EBADMSG;
		guest_whyf(why, why_len, "the image's BTF does not parse: %s", strerror(-err));
		return err;
	}
	return 0;
}

int guest_profile_create(const struct guest_profile_sources *src,
		       struct guest_profile **out, char *why, size_t why_len)
{
	const char *image_path = src->vmlinuz_path ?: src->vmlinux_path;
	struct guest_kimage img = { 0 };
	struct guest_ksyms *syms = NULL;
	struct guest_profile *p;
	char banner[GUEST_PROF_BANNER_MAX], release[128];
	struct btf *btf = NULL;
	FILE *f;
	long skipped;
	int err;

	p = guest_profile_new();
	if (!p)
		return -ENOMEM;
	if (image_path) {
		err = guest_kimage_load(image_path, &img);
		if (err) {
			guest_whyf(why, why_len, "%s: %s", image_path,
			    err == -ENOEXEC ? "not a kernel image" :
			    err == -ENOTSUP ? "compressed in a way this build cannot read" :
			    strerror(-err));
			goto out;
		}
		err = guest_kimage_text_link(&img, &p->text_link);
		if (err) {
			guest_whyf(why, why_len, "%s: no loadable segment", image_path);
			goto out;
		}
	}
	err = load_btf(src, &img, &btf, why, why_len);
	if (err)
		goto out;
	err = guest_profile_fill_btf(p, btf, why, why_len);
	if (err)
		goto out;
	if (image_path && img.elf64 != (p->pointer_size == 8)) {
		guest_whyf(why, why_len, "the image and its BTF disagree on the pointer size");
		err = -EINVAL;
		goto out;
	}
	p->kernel_map = p->pointer_size == 8 ? X86_64_KERNEL_MAP : I386_PAGE_OFFSET;
	if (!p->text_link)
		p->text_link = p->pointer_size == 8 ? X86_64_TEXT_LINK : I386_TEXT_LINK;

	syms = guest_ksyms_new();
	if (!syms) {
		err = -ENOMEM;
		goto out;
	}
	if (src->symbols_path) {
		f = fopen(src->symbols_path, "re");
		if (!f) {
			err = -errno;
			guest_whyf(why, why_len, "%s: %s", src->symbols_path, strerror(-err));
			goto out;
		}
		skipped = guest_ksyms_parse(syms, f);
		fclose(f);
		if (skipped < 0) {
			err = skipped;
			guest_whyf(why, why_len, "%s: %s", src->symbols_path, strerror(-err));
			goto out;
		}
	} else if (image_path) {
		/* No System.map: the image's own kallsyms tables. */
		skipped = guest_kimage_kallsyms(&img, p->text_link, syms, why, why_len);
		if (skipped < 0) {
			err = skipped;
			goto out;
		}
	} else {
		guest_whyf(why, why_len, "BTF has no symbols: give --system-map");
		err = -EINVAL;
		goto out;
	}
	err = guest_profile_fill_symbols(p, syms, why, why_len);
	if (err)
		goto out;

	if (src->banner) {
		snprintf(banner, sizeof(banner), "%s", src->banner);
	} else if (image_path) {
		err = image_banner(&img, p->sym[GUEST_SYM_LINUX_BANNER], banner,
				   sizeof(banner));
		if (err) {
			guest_whyf(why, why_len, err == -ESRCH ?
			    "%s: no banner at linux_banner: the symbols are not this image's" :
			    "%s: no Linux banner in the image", image_path);
			goto out;
		}
	} else {
		banner[0] = 0;
	}
	if (banner[0]) {
		p->banner = strdup(banner);
		err = guest_banner_release(banner, release, sizeof(release));
		if (err) {
			guest_whyf(why, why_len, "the banner does not start with \"Linux version \"");
			goto out;
		}
	}
	if (src->release)
		snprintf(release, sizeof(release), "%s", src->release);
	else if (!banner[0]) {
		guest_whyf(why, why_len, "with --btf, give the guest's banner or release "
		    "(--banner \"$(cat /proc/version)\" or --release)");
		err = -EINVAL;
		goto out;
	}
	p->release = strdup(release);
	if (asprintf(&p->source, "%s%.200s + %.200s", src->btf_path ? "btf " : "",
		     src->btf_path ?: image_path,
		     src->symbols_path ?: "the image's kallsyms") < 0)
		p->source = NULL;
	if (!p->release || (banner[0] && !p->banner) || !p->source) {
		err = -ENOMEM;
		goto out;
	}
	err = 0;
out:
	btf__free(btf);
	guest_ksyms_free(syms);
	guest_kimage_free(&img);
	if (err) {
		guest_profile_free(p);
		return err;
	}
	*out = p;
	return 0;
}
