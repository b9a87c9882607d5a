/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A kernel's symbols from its own image: the kallsyms tables
 * (CONFIG_KALLSYMS) that the kernel keeps for /proc/kallsyms are in every
 * vmlinux, compressed vmlinuz or not.  So a profile needs no System.map
 * (a stub in Debian's linux-image packages) and no running kernel.
 *
 * The tables carry no symbols of their own in a stripped image, and their
 * order changed between kernel versions (even within 6.1 stable), so they
 * are found by their structure and checked against each other:
 *   kallsyms_token_table   256 NUL-terminated strings, the single-digit
 *                          tokens "0".."9" among them, in order
 *   kallsyms_token_index   256 u16 offsets of those strings (must match)
 *   kallsyms_markers       u32 offsets into names of every 256th symbol,
 *                          from 0, before the token table (possibly with
 *                          kallsyms_seqs_of_names between)
 *   kallsyms_names         per symbol: a length (1 byte, 2 if >= 0x80)
 *                          and that many token indexes; decoding every
 *                          symbol must hit every marker and end at the
 *                          markers
 *   kallsyms_offsets       s32 per symbol, and kallsyms_relative_base:
 *                          before kallsyms_num_syms (older kernels) or
 *                          after the token index (6.4+); the one whose
 *                          _text decodes to the image's link address wins
 *
 * Everything is bounds-checked and every loop bounded; an image without
 * the tables, or with tables that do not agree, gives -ENOENT and why.
 */
#ifndef GUEST_KALLSYMS_IMAGE_H
#define GUEST_KALLSYMS_IMAGE_H

#include <stddef.h>
#include "guest/ksyms.h"
#include "guest/vmlinuz.h"

/*
 * Add the image's symbols (link addresses, System.map type letters) to
 * @out.  @text_link: the link address of _text (guest_kimage_text_link()).
 * The number of symbols, or -errno (-ENOENT, -ENOMEM) with @why.
 */
long guest_kimage_kallsyms(const struct guest_kimage *img, uint64_t text_link,
			 struct guest_ksyms *out, char *why, size_t why_len);

#endif /* GUEST_KALLSYMS_IMAGE_H */
