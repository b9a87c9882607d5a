/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Building a guest profile (guest/profile.h) from the guest kernel's files:
 * struct layouts from its BTF (libbpf's BTF API), symbols from System.map
 * or kallsyms, the banner and text link address from the kernel image.
 */
#ifndef GUEST_BTF_PROFILE_H
#define GUEST_BTF_PROFILE_H

#include <stddef.h>
#include <linux/types.h>
#include "guest/profile.h"

struct btf;

/*
 * Member @name of struct/union @id, anonymous members searched too
 * (mm_struct keeps pgd in one): 0 with its byte offset and type id, or
 * -ENOENT (also for bit fields, which no decoder here can read).
 */
int guest_btf_member(const struct btf *btf, __u32 id, const char *name,
		   __u32 *off, __u32 *type);

struct guest_profile_sources {
	const char *btf_path;		/* raw BTF or an ELF with .BTF */
	const char *vmlinux_path;	/* a vmlinux ELF */
	const char *vmlinuz_path;	/* a bzImage (or compressed vmlinux) */
	const char *symbols_path;	/* System.map or a kallsyms copy; NULL:
					 * the image's own kallsyms tables */
	const char *banner;		/* overrides the image's; needed with btf_path */
	const char *release;		/* when there is no banner at all */
};

/*
 * Fill @p's struct fields from @btf.  0, or -ENOENT when a member the
 * decoder cannot do without is missing (@why names it).
 */
int guest_profile_fill_btf(struct guest_profile *p, const struct btf *btf,
			 char *why, size_t why_len);

/*
 * Fill @p's symbols from @syms (link addresses).  A kallsyms copy from a
 * guest that ran with KASLR is shifted back using _text and @text_link.
 * 0 or -errno (-ENOENT: a required symbol is missing, -EINVAL: all zero,
 * as when /proc/kallsyms is read without privileges); @why says which.
 */
int guest_profile_fill_symbols(struct guest_profile *p, struct guest_ksyms *syms,
			     char *why, size_t why_len);

/* Everything: the files in @src to a profile.  0 or -errno and @why. */
int guest_profile_create(const struct guest_profile_sources *src,
		       struct guest_profile **out, char *why, size_t why_len);

#endif /* GUEST_BTF_PROFILE_H */
