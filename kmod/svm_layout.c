// SPDX-License-Identifier: GPL-2.0
/*
 * AMD SVM: is the running kvm-amd's struct vcpu_svm the one vmtrace was
 * built against?
 *
 * svm.c finds the VMCB through struct vcpu_svm, which is internal to
 * kvm-amd.  Its layout was read at build time from the BTF of the
 * kvm-amd.ko the module was built for (scripts/kvm-layout ->
 * kvm_layout.h).  A kvm-amd rebuilt since (a distribution's stable update
 * that keeps the kernel release) may differ, and then the pointer svm.c
 * reads after struct kvm_vcpu is something else.  So the layout is read
 * again from the running kvm-amd's own BTF, /sys/kernel/btf/kvm_amd, and
 * compared: size of struct vcpu_svm, its first member at offset 0 and the
 * vmcb pointer right after struct kvm_vcpu.
 *
 *  - At load, with kvm-amd loaded: a difference refuses the load, saying
 *    what differs.
 *  - When kvm-amd is loaded later (or again): vmtrace must not refuse
 *    kvm-amd, so a difference marks SVM guest state unreadable: every VM
 *    seen from then on is recorded without guest state (NO_STATE).
 *  - Without that BTF (CONFIG_DEBUG_INFO_BTF_MODULES off) nothing can be
 *    compared; the check per VM in svm.c (a page-aligned direct-map VMCB
 *    whose save.rip is KVM's RIP) remains, before any VMCB access.
 *
 * Module BTF is split BTF on top of vmlinux's: string offsets below the
 * size of vmlinux's string section are vmlinux's, so that size is read from
 * /sys/kernel/btf/vmlinux's header.  The walk is bounded by the section
 * sizes and refuses what it does not understand.
 */
#include <linux/kernel.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <uapi/linux/btf.h>
#include "vmtrace.h"
#include "kvm_layout.h"

static int layout_offset_bias;
module_param(layout_offset_bias, int, 0644);
MODULE_PARM_DESC(layout_offset_bias,
		 "fault injection for the selftests: expect struct vcpu_svm's vmcb pointer this many bytes from where it was at build time (checked at load and at each kvm_amd load)");

static bool vmt_svm_layout_bad;

bool vmt_svm_layout_ok(void)
{
	return !READ_ONCE(vmt_svm_layout_bad);
}

#define VMT_BTF_MAX_SIZE (64U << 20)

struct vmt_btf_layout {
	u32 size;		/* sizeof(struct vcpu_svm) */
	u32 first_off;		/* bit offset of its first member */
	u32 vmcb_off;		/* bit offset of its second member */
	char vmcb_name[8];	/* its name, or "" if in vmlinux's strings */
};

/* The size of the extra data after a struct btf_type of this kind. */
static long vmt_btf_extra(const struct btf_type *t)
{
	u32 vlen = BTF_INFO_VLEN(t->info);

	switch (BTF_INFO_KIND(t->info)) {
	case BTF_KIND_INT:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
		return 4;
	case BTF_KIND_PTR:
	case BTF_KIND_FWD:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_FLOAT:
	case BTF_KIND_TYPE_TAG:
		return 0;
	case BTF_KIND_ARRAY:
		return sizeof(struct btf_array);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return (long)vlen * sizeof(struct btf_member);
	case BTF_KIND_ENUM:
		return (long)vlen * sizeof(struct btf_enum);
	case BTF_KIND_FUNC_PROTO:
		return (long)vlen * sizeof(struct btf_param);
	case BTF_KIND_DATASEC:
		return (long)vlen * sizeof(struct btf_var_secinfo);
	case BTF_KIND_ENUM64:
		return (long)vlen * sizeof(struct btf_enum64);
	}
	return -1;
}

/* A string of the split BTF: NULL if it is vmlinux's or out of range. */
static const char *vmt_btf_str(const char *strs, u32 strs_len, u32 base_len,
			       u32 off)
{
	u32 local;

	if (off < base_len)
		return NULL;
	local = off - base_len;
	if (local >= strs_len || !memchr(strs + local, 0, strs_len - local))
		return NULL;
	return strs + local;
}

/* Find struct vcpu_svm in kvm-amd's split BTF @data (@size bytes). */
static int vmt_btf_find_vcpu_svm(const void *data, size_t size, u32 base_len,
				 struct vmt_btf_layout *out)
{
	const struct btf_header *hdr = data;
	const char *types, *strs, *end;

	if (size < sizeof(*hdr) || hdr->magic != BTF_MAGIC ||
	    hdr->hdr_len < sizeof(*hdr) || hdr->hdr_len > size ||
	    size - hdr->hdr_len < (u64)hdr->type_off + hdr->type_len ||
	    size - hdr->hdr_len < (u64)hdr->str_off + hdr->str_len)
		return -EINVAL;
	types = (const char *)data + hdr->hdr_len + hdr->type_off;
	end = types + hdr->type_len;
	strs = (const char *)data + hdr->hdr_len + hdr->str_off;

	while (end - types >= (long)sizeof(struct btf_type)) {
		const struct btf_type *t = (const void *)types;
		long extra = vmt_btf_extra(t);
		const struct btf_member *m;
		const char *name;

		if (extra < 0 ||
		    end - types - (long)sizeof(*t) < extra)
			return -EINVAL;
		types += sizeof(*t) + extra;
		if (BTF_INFO_KIND(t->info) != BTF_KIND_STRUCT)
			continue;
		name = vmt_btf_str(strs, hdr->str_len, base_len, t->name_off);
		if (!name || strcmp(name, "vcpu_svm"))
			continue;
		if (BTF_INFO_VLEN(t->info) < 2)
			return -EINVAL;
		m = (const struct btf_member *)(t + 1);
		out->size = t->size;
		out->first_off = BTF_INFO_KFLAG(t->info) ?
				 BTF_MEMBER_BIT_OFFSET(m[0].offset) : m[0].offset;
		out->vmcb_off = BTF_INFO_KFLAG(t->info) ?
				BTF_MEMBER_BIT_OFFSET(m[1].offset) : m[1].offset;
		name = vmt_btf_str(strs, hdr->str_len, base_len, m[1].name_off);
		strscpy(out->vmcb_name, name ?: "", sizeof(out->vmcb_name));
		return 0;
	}
	return -ENOENT;
}

/*
 * Read up to @max bytes of @path into a new vmalloc buffer.  Plain
 * filp_open/kernel_read, not kernel_read_file_from_path(): that one runs
 * the LSMs' kernel-file hooks, and 6.12's IPE WARNs on READING_UNKNOWN.
 */
static ssize_t vmt_read_path(const char *path, void **out, size_t max)
{
	struct file *f = filp_open(path, O_RDONLY, 0);
	loff_t pos = 0, size;
	ssize_t n;
	void *buf;

	if (IS_ERR(f))
		return PTR_ERR(f);
	size = i_size_read(file_inode(f));
	if (size <= 0 || size > max)
		size = max;
	buf = vmalloc(size);
	if (!buf) {
		filp_close(f, NULL);
		return -ENOMEM;
	}
	/* sysfs hands out a page per read: loop to the end. */
	do {
		n = kernel_read(f, buf + pos, size - pos, &pos);
	} while (n > 0 && pos < size);
	filp_close(f, NULL);
	if (n < 0) {
		vfree(buf);
		return n;
	}
	*out = buf;
	return pos;
}

/*
 * Compare the running kvm-amd's layout with the build's.  0: the same;
 * -ENOEXEC: different (logged); another error: nothing to compare with.
 */
static int vmt_svm_layout_compare(void)
{
#ifdef VMT_LAYOUT_UNCHECKED
	return -EOPNOTSUPP;
#else
	struct btf_header base_hdr;
	void *base_buf = NULL, *data = NULL;
	struct vmt_btf_layout l = {};
	u32 want_vmcb = (VMT_SVM_VMCB_OFFSET + layout_offset_bias) * 8;
	ssize_t n;
	int err;

	n = vmt_read_path("/sys/kernel/btf/vmlinux", &base_buf,
			  sizeof(base_hdr));
	if (n < 0)
		return n;
	if (n < (ssize_t)sizeof(base_hdr)) {
		vfree(base_buf);
		return -EINVAL;
	}
	memcpy(&base_hdr, base_buf, sizeof(base_hdr));
	vfree(base_buf);
	if (base_hdr.magic != BTF_MAGIC)
		return -EINVAL;
	n = vmt_read_path("/sys/kernel/btf/kvm_amd", &data, VMT_BTF_MAX_SIZE);
	if (n < 0)
		return n;
	err = vmt_btf_find_vcpu_svm(data, n, base_hdr.str_len, &l);
	vfree(data);
	if (err) {
		pr_warn("vmtrace: kvm_amd's BTF has no usable struct vcpu_svm (%d); its layout is checked per VM only\n",
			err);
		return err;
	}
	if (l.size == VMT_SVM_SIZE && l.first_off == 0 &&
	    l.vmcb_off == want_vmcb &&
	    (!l.vmcb_name[0] || !strcmp(l.vmcb_name, "vmcb")))
		return 0;
	pr_err("vmtrace: kvm_amd's struct vcpu_svm differs from the one vmtrace was built against: size %u (built: %u), second member '%s' at byte %u (built: vmcb at %u); rebuild vmtrace for this kernel\n",
	       l.size, VMT_SVM_SIZE, l.vmcb_name, l.vmcb_off / 8,
	       want_vmcb / 8);
	return -ENOEXEC;
#endif
}

/* kvm_amd loaded after vmtrace: check it, and never refuse it. */
static int vmt_svm_module_notify(struct notifier_block *nb,
				 unsigned long action, void *data)
{
	struct module *mod = data;

	if (action != MODULE_STATE_LIVE || strcmp(mod->name, "kvm_amd"))
		return NOTIFY_DONE;
	if (vmt_svm_layout_compare() == -ENOEXEC) {
		pr_err("vmtrace: SVM guests are recorded without guest state from now on\n");
		WRITE_ONCE(vmt_svm_layout_bad, true);
	} else {
		WRITE_ONCE(vmt_svm_layout_bad, false);
	}
	return NOTIFY_DONE;
}

static struct notifier_block vmt_svm_module_nb = {
	.notifier_call = vmt_svm_module_notify,
};

int vmt_svm_layout_init(void)
{
	int err;

	err = register_module_notifier(&vmt_svm_module_nb);
	if (err)
		return err;
	/* kvm_amd not loaded, or no BTF: nothing to compare with now. */
	if (vmt_svm_layout_compare() == -ENOEXEC) {
		unregister_module_notifier(&vmt_svm_module_nb);
		return -ENOEXEC;
	}
	return 0;
}

void vmt_svm_layout_exit(void)
{
	unregister_module_notifier(&vmt_svm_module_nb);
}
