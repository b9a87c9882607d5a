// SPDX-License-Identifier: GPL-2.0
/*
 * Guest profiles: struct offsets from BTF (built here with libbpf),
 * symbols from System.map and kallsyms (KASLR undone), kernel images (an
 * ELF with .BTF, inside XZ and zstd bzImages), the profile file format and
 * its reader's strictness, the profile directory.  With the real Debian
 * images in /boot, their BTF too.
 */
#include <elf.h>
#include <errno.h>
#include <glob.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>
#include <bpf/btf.h>
#include "guest/btf_profile.h"
#include "guest/kallsyms_image.h"
#include "guest/vmlinuz.h"
#include "tap.h"

#define TEXT 0xffffffff81000000ULL
static const char banner[] =
	"Linux version 6.1.0-test (t@t) (gcc) #1 SMP PREEMPT_DYNAMIC Debian 6.1.1-1\n";

/* A BTF with the structs the profile needs, at known offsets. */
static struct btf *make_btf(int modern)
{
	struct btf *b = btf__new_empty();
	int u32, u64, ch, ptr, comm, lh, task, mm, anon, cred, kuid, sig, hot;

	TEST_ASSERT(b, "btf__new_empty");
	u32 = btf__add_int(b, "unsigned int", 4, 0);
	u64 = btf__add_int(b, "long unsigned int", 8, 0);
	ch = btf__add_int(b, "char", 1, BTF_INT_SIGNED);
	ptr = btf__add_ptr(b, u64);
	comm = btf__add_array(b, u32, ch, 16);
	lh = btf__add_struct(b, "list_head", 16);
	btf__add_field(b, "next", ptr, 0, 0);
	btf__add_field(b, "prev", ptr, 64, 0);
	kuid = btf__add_struct(b, "kuid_t", 4);
	btf__add_field(b, "val", u32, 0, 0);
	cred = btf__add_struct(b, "cred", 64);
	btf__add_field(b, "usage", u32, 0, 0);
	btf__add_field(b, "uid", kuid, 64, 0);
	/* mm_struct keeps pgd inside an anonymous struct, as 6.1 does. */
	anon = btf__add_struct(b, NULL, 128);
	btf__add_field(b, "mmap", ptr, 0, 0);
	btf__add_field(b, "pgd", ptr, 72 * 8, 0);
	mm = btf__add_struct(b, "mm_struct", 256);
	btf__add_field(b, "owner", ptr, 0, 0);
	btf__add_field(b, NULL, anon, 64, 0);
	sig = btf__add_struct(b, "signal_struct", 64);
	btf__add_field(b, "thread_head", lh, 16 * 8, 0);
	task = btf__add_struct(b, "task_struct", 4096);
	btf__add_field(b, modern ? "__state" : "state", modern ? u32 : u64, 24 * 8, 0);
	btf__add_field(b, "flags", u32, 44 * 8, 0);
	btf__add_field(b, "tasks", lh, 1000 * 8, 0);
	btf__add_field(b, "mm", ptr, 1100 * 8, 0);
	btf__add_field(b, "pid", u32, 1200 * 8, 0);
	btf__add_field(b, "tgid", u32, 1204 * 8, 0);
	btf__add_field(b, "comm", comm, 1300 * 8, 0);
	btf__add_field(b, "bits", u32, 1320 * 8 + 3, 5);	/* a bit field */
	btf__add_field(b, "signal", ptr, 1400 * 8, 0);
	btf__add_field(b, "thread_node", lh, 1500 * 8, 0);
	btf__add_field(b, "real_cred", ptr, 1600 * 8, 0);
	if (!modern)
		btf__add_field(b, "thread_group", lh, 1700 * 8, 0);
	hot = btf__add_struct(b, "pcpu_hot", 64);
	btf__add_field(b, "current_task", ptr, 0, 0);
	(void)mm; (void)task; (void)cred; (void)sig; (void)hot;
	return b;
}

static void test_btf_offsets(void)
{
	struct guest_profile *p = guest_profile_new();
	struct btf *b = make_btf(0);
	char why[256] = "";

	TEST_ASSERT_EQ(guest_profile_fill_btf(p, b, why, sizeof(why)), 0);
	TEST_ASSERT_EQ(p->field[GUEST_OFF_TASK_TASKS], 1000);
	TEST_ASSERT_EQ(p->field[GUEST_OFF_TASK_PID], 1200);
	TEST_ASSERT_EQ(p->field[GUEST_OFF_TASK_COMM], 1300);
	TEST_ASSERT_EQ(p->field[GUEST_SIZE_TASK_COMM], 16);
	TEST_ASSERT_EQ(p->field[GUEST_OFF_MM_PGD], 8 + 72);	/* anonymous struct */
	TEST_ASSERT_EQ(p->field[GUEST_OFF_CRED_UID], 8);
	TEST_ASSERT_EQ(p->field[GUEST_OFF_TASK_STATE], 24);	/* older "state" */
	TEST_ASSERT_EQ(p->field[GUEST_SIZE_TASK_STATE], 8);
	TEST_ASSERT_EQ(p->field[GUEST_OFF_TASK_THREAD_GROUP], 1700);
	TEST_ASSERT_EQ(p->field[GUEST_OFF_SIGNAL_THREAD_HEAD], 16);
	TEST_ASSERT_EQ(p->field[GUEST_OFF_TASK_ACTIVE_MM], GUEST_PROF_ABSENT);
	TEST_ASSERT_EQ(p->field[GUEST_SIZE_TASK_STRUCT], 4096);
	TEST_ASSERT_EQ(p->field[GUEST_OFF_PCPU_HOT_CURRENT_TASK], 0);
	btf__free(b);
	guest_profile_free(p);

	p = guest_profile_new();
	b = make_btf(1);
	TEST_ASSERT_EQ(guest_profile_fill_btf(p, b, why, sizeof(why)), 0);
	TEST_ASSERT_EQ(p->field[GUEST_SIZE_TASK_STATE], 4);
	TEST_ASSERT_EQ(p->field[GUEST_OFF_TASK_THREAD_GROUP], GUEST_PROF_ABSENT);
	btf__free(b);
	guest_profile_free(p);

	/* Without task_struct: refused, and said why. */
	p = guest_profile_new();
	b = btf__new_empty();
	btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	TEST_ASSERT_EQ(guest_profile_fill_btf(p, b, why, sizeof(why)), -ENOENT);
	TEST_ASSERT(strstr(why, "task_struct"), "why: %s", why);
	btf__free(b);
	guest_profile_free(p);
}

/* A minimal vmlinux: one PT_LOAD at TEXT holding the banner at +0x100,
 * and a .BTF section. */
static void *make_vmlinux(size_t *len)
{
	struct btf *b = make_btf(0);
	const void *raw;
	uint32_t raw_len;
	static const char shstr[] = "\0.text\0.BTF\0.shstrtab";
	size_t text_off = 0x1000, text_len = 0x1000, btf_off, str_off, sh_off, total;
	Elf64_Ehdr *eh;
	Elf64_Phdr *ph;
	Elf64_Shdr *sh;
	uint8_t *img;

	raw = btf__raw_data(b, &raw_len);
	TEST_ASSERT(raw, "btf__raw_data");
	btf_off = text_off + text_len;
	str_off = btf_off + raw_len;
	sh_off = (str_off + sizeof(shstr) + 7) & ~7UL;
	total = sh_off + 4 * sizeof(Elf64_Shdr);
	img = calloc(1, total);
	eh = (Elf64_Ehdr *)img;
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_phoff = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = 1;
	eh->e_shoff = sh_off;
	eh->e_shentsize = sizeof(*sh);
	eh->e_shnum = 4;
	eh->e_shstrndx = 3;
	ph = (Elf64_Phdr *)(img + eh->e_phoff);
	ph->p_type = PT_LOAD;
	ph->p_offset = text_off;
	ph->p_vaddr = TEXT;
	ph->p_filesz = ph->p_memsz = text_len;
	memcpy(img + text_off + 0x100, banner, sizeof(banner));
	memcpy(img + btf_off, raw, raw_len);
	memcpy(img + str_off, shstr, sizeof(shstr));
	sh = (Elf64_Shdr *)(img + sh_off);
	sh[1] = (Elf64_Shdr){ .sh_name = 1, .sh_type = SHT_PROGBITS,
			      .sh_offset = text_off, .sh_size = text_len, .sh_addr = TEXT };
	sh[2] = (Elf64_Shdr){ .sh_name = 7, .sh_type = SHT_PROGBITS,
			      .sh_offset = btf_off, .sh_size = raw_len };
	sh[3] = (Elf64_Shdr){ .sh_name = 12, .sh_type = SHT_STRTAB,
			      .sh_offset = str_off, .sh_size = sizeof(shstr) };
	btf__free(b);
	*len = total;
	return img;
}

/* Wrap a payload as a bzImage: setup sectors, header, payload, size. */
static void *make_bzimage(const void *payload, size_t plen, uint32_t raw_size,
			  size_t *len)
{
	size_t setup_sects = 4, pm = (setup_sects + 1) * 512;
	uint8_t *img = calloc(1, pm + 0x40 + plen + 4);

	img[0x1f1] = setup_sects;
	memcpy(img + 0x202, "HdrS", 4);
	img[0x206] = 0x0f;
	img[0x207] = 0x02;
	*(uint32_t *)(img + 0x248) = 0x40;
	*(uint32_t *)(img + 0x24c) = plen + 4;
	memcpy(img + pm + 0x40, payload, plen);
	memcpy(img + pm + 0x40 + plen, &raw_size, 4);
	*len = pm + 0x40 + plen + 4;
	return img;
}

static void check_image(const void *buf, size_t len, const char *compression)
{
	struct guest_kimage k;
	const void *btf;
	size_t btf_len;
	uint64_t text;
	char text_buf[16];

	TEST_ASSERT_EQ(guest_kimage_from_buffer(buf, len, &k), 0);
	TEST_ASSERT(!strcmp(k.compression, compression), "%s", k.compression);
	TEST_ASSERT_EQ(guest_kimage_btf(&k, &btf, &btf_len), 0);
	TEST_ASSERT(btf_len > 100, "btf %zu", btf_len);
	TEST_ASSERT_EQ(guest_kimage_text_link(&k, &text), 0);
	TEST_ASSERT_EQ(text, TEXT);
	TEST_ASSERT_EQ(guest_kimage_read_va(&k, TEXT + 0x100, text_buf, 13), 13);
	TEST_ASSERT(!memcmp(text_buf, "Linux version", 13), "banner");
	TEST_ASSERT_EQ(guest_kimage_read_va(&k, TEXT + 0x2000, text_buf, 1), -ENOENT);
	guest_kimage_free(&k);
}

static void test_kernel_images(void)
{
	size_t elf_len, xz_len = 0, bz_len, zlen;
	uint8_t *elf = make_vmlinux(&elf_len), *xz, *bz, *z;
	struct guest_kimage k;

	check_image(elf, elf_len, "none");
	/* XZ with the x86 BCJ filter, as the kernel's build makes it. */
	xz = malloc(elf_len + 65536);
	{
		lzma_filter filters[3];
		lzma_options_lzma opt;

		lzma_lzma_preset(&opt, 6);
		filters[0] = (lzma_filter){ .id = LZMA_FILTER_X86 };
		filters[1] = (lzma_filter){ .id = LZMA_FILTER_LZMA2, .options = &opt };
		filters[2] = (lzma_filter){ .id = LZMA_VLI_UNKNOWN };
		TEST_ASSERT_EQ(lzma_stream_buffer_encode(filters, LZMA_CHECK_CRC32, NULL,
							 elf, elf_len, xz, &xz_len,
							 elf_len + 65536), LZMA_OK);
	}
	bz = make_bzimage(xz, xz_len, elf_len, &bz_len);
	check_image(bz, bz_len, "xz");
	/* Truncated payload: an error, not a crash. */
	*(uint32_t *)(bz + 0x24c) = xz_len / 2;
	TEST_ASSERT_EQ(guest_kimage_from_buffer(bz, bz_len, &k), -EBADMSG);
	free(bz);
	/* zstd, as Debian's 6.12. */
	z = malloc(ZSTD_compressBound(elf_len));
	zlen = ZSTD_compress(z, ZSTD_compressBound(elf_len), elf, elf_len, 19);
	TEST_ASSERT(!ZSTD_isError(zlen), "zstd");
	bz = make_bzimage(z, zlen, elf_len, &bz_len);
	check_image(bz, bz_len, "zstd");
	free(bz);
	/* gzip, as x86_64_defconfig: one member, as the kernel's build writes it. */
	{
		uLongf gz_cap = compressBound(elf_len) + 64;
		uint8_t *gz = malloc(gz_cap);
		z_stream zs = { 0 };

		TEST_ASSERT_EQ(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8,
					    Z_DEFAULT_STRATEGY), Z_OK);
		zs.next_in = elf;
		zs.avail_in = elf_len;
		zs.next_out = gz;
		zs.avail_out = gz_cap;
		TEST_ASSERT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
		bz = make_bzimage(gz, zs.total_out, elf_len, &bz_len);
		check_image(bz, bz_len, "gzip");
		/* Cut short, and one flipped byte in the deflate stream. */
		*(uint32_t *)(bz + 0x24c) = zs.total_out / 2;
		TEST_ASSERT_EQ(guest_kimage_from_buffer(bz, bz_len, &k), -EBADMSG);
		free(bz);
		gz[zs.total_out / 3] ^= 0xff;
		bz = make_bzimage(gz, zs.total_out, elf_len, &bz_len);
		TEST_ASSERT_EQ(guest_kimage_from_buffer(bz, bz_len, &k), -EBADMSG);
		free(bz);
		deflateEnd(&zs);
		free(gz);
	}
	/* bzip2: known, not supported; garbage: not a kernel. */
	bz = make_bzimage("BZh91AY&SYgarbage", 17, 100, &bz_len);
	TEST_ASSERT_EQ(guest_kimage_from_buffer(bz, bz_len, &k), -ENOTSUP);
	free(bz);
	TEST_ASSERT_EQ(guest_kimage_from_buffer("hello world, no kernel", 22, &k), -ENOEXEC);
	/* A corrupt ELF: section headers past the end. */
	((Elf64_Ehdr *)elf)->e_shoff = elf_len - 8;
	TEST_ASSERT_EQ(guest_kimage_from_buffer(elf, elf_len, &k), 0);
	{
		size_t off, size;

		TEST_ASSERT_EQ(guest_kimage_section(&k, ".BTF", &off, &size), -EBADMSG);
	}
	guest_kimage_free(&k);
	free(z);
	free(xz);
	free(elf);
}

/*
 * kallsyms tables as scripts/kallsyms.c writes them, in the older order
 * (offsets, relative_base, num_syms, names, markers, token_table,
 * token_index) or the 6.4+ one (num_syms, names, markers, token_table,
 * token_index, offsets, relative_base), after @lead bytes of junk.
 */
#define KS_NR 600
static size_t put_kallsyms(uint8_t *img, size_t at, int newer, uint64_t text)
{
	uint32_t markers[(KS_NR + 255) / 256], names_len = 0, i, c;
	uint16_t index[256];
	uint8_t names[KS_NR * 40];
	char tokens[256][4], name[32];
	size_t table, o;

	for (i = 0; i < 256; i++) {
		if (i >= 0x20 && i < 0x7f)
			snprintf(tokens[i], sizeof(tokens[i]), "%c", i);
		else
			snprintf(tokens[i], sizeof(tokens[i]), "~%02x", i);
	}
	for (i = 0; i < KS_NR; i++) {
		/* _text first (at text), then fn_N every 16 bytes, a percpu one. */
		if (!i)
			snprintf(name, sizeof(name), "T_text");
		else if (i == KS_NR - 1)
			snprintf(name, sizeof(name), "Dper_cpu_thing");
		else
			snprintf(name, sizeof(name), "%cfn_%u", i & 1 ? 't' : 'T', i);
		if (!(i & 255))
			markers[i >> 8] = names_len;
		names[names_len++] = strlen(name);
		for (c = 0; name[c]; c++)
			names[names_len++] = (uint8_t)name[c];
	}
#define PUT(p, v, n) do { uint64_t __v = (v); memcpy(img + (p), &__v, (n)); } while (0)
#define ALIGN8(p) (((p) + 7) & ~(size_t)7)
	o = ALIGN8(at);
	if (!newer) {
		for (i = 0; i < KS_NR; i++)	/* absolute per-CPU: >= 0 absolute */
			PUT(o + 4 * i, i == KS_NR - 1 ? 0x1000 : (uint32_t)(-1 - 16 * i), 4);
		o = ALIGN8(o + 4 * KS_NR);
		PUT(o, text, 8);
		o += 8;
	}
	PUT(o, KS_NR, 4);
	o = ALIGN8(o + 4);
	memcpy(img + o, names, names_len);
	o = ALIGN8(o + names_len);
	for (i = 0; i < (KS_NR + 255) / 256; i++)
		PUT(o + 4 * i, markers[i], 4);
	o = ALIGN8(o + 4 * i);
	table = o;
	for (i = 0; i < 256; i++) {
		index[i] = o - table;
		memcpy(img + o, tokens[i], strlen(tokens[i]) + 1);
		o += strlen(tokens[i]) + 1;
	}
	o = ALIGN8(o);
	memcpy(img + o, index, sizeof(index));
	o = ALIGN8(o + sizeof(index));
	if (newer) {
		for (i = 0; i < KS_NR; i++)
			PUT(o + 4 * i, i == KS_NR - 1 ? 0x1000 : (uint32_t)(-1 - 16 * i), 4);
		o = ALIGN8(o + 4 * KS_NR);
		PUT(o, text, 8);
		o += 8;
	}
	return o;
#undef PUT
#undef ALIGN8
}

static void test_image_kallsyms(void)
{
	int newer;

	for (newer = 0; newer < 2; newer++) {
		struct guest_kimage img = { .elf64 = 1 };
		struct guest_ksyms *k = guest_ksyms_new();
		uint64_t addr;
		char why[128] = "";
		long n;

		img.size = 1 << 20;
		img.data = calloc(1, img.size);
		/* Junk that looks like a token table but has no index. */
		memcpy(img.data + 100, "0\0" "1\0" "2\0" "3\0" "4\0" "5\0" "6\0" "7\0" "8\0" "9", 19);
		put_kallsyms(img.data, 4096 + 3, newer, TEXT);
		n = guest_kimage_kallsyms(&img, TEXT, k, why, sizeof(why));
		TEST_ASSERT(n == KS_NR, "%s layout: %ld symbols: %s", newer ? "newer" : "older",
			    n, why);
		TEST_ASSERT_EQ(guest_ksyms_finish(k), 0);
		TEST_ASSERT_EQ(guest_ksyms_lookup(k, "_text", &addr), 0);
		TEST_ASSERT_EQ(addr, TEXT);
		TEST_ASSERT_EQ(guest_ksyms_lookup(k, "fn_513", &addr), 0);
		TEST_ASSERT_EQ(addr, TEXT + 16 * 513);
		TEST_ASSERT_EQ(guest_ksyms_lookup(k, "per_cpu_thing", &addr), 0);
		TEST_ASSERT_EQ(addr, 0x1000);
		guest_ksyms_free(k);
		k = guest_ksyms_new();
		/* Another _text: the offsets cannot be these. */
		TEST_ASSERT_EQ(guest_kimage_kallsyms(&img, TEXT + 0x200000, k, why, sizeof(why)),
			       -ENOENT);
		TEST_ASSERT(strstr(why, "_text"), "why: %s", why);
		guest_ksyms_free(k);
		free(img.data);
	}
}

static char tmpdir[64];

static char *write_file(const char *name, const void *data, size_t len)
{
	static char path[8][128];
	static int n;
	char *p = path[n++ % 8];
	FILE *f;

	snprintf(p, 128, "%s/%s", tmpdir, name);
	f = fopen(p, "w");
	TEST_ASSERT(f && fwrite(data, 1, len, f) == len && !fclose(f), "write %s", p);
	return p;
}

static const char system_map[] =
	"0000000000000000 A __per_cpu_start\n"
	"000000000001fb80 A current_task\n"
	"ffffffff81000000 T _text\n"
	"ffffffff81000000 T _stext\n"
	"ffffffff81000100 D linux_banner\n"
	"ffffffff81000400 T schedule\n"
	"ffffffff81000800 t do_idle\n"
	"ffffffff81000f00 T _etext\n"
	"ffffffff82a10000 D init_top_pgt\n"
	"ffffffff82a1aa40 D init_task\n"
	"ffffffff82b5c940 D init_mm\n";

static void test_create_and_roundtrip(void)
{
	struct guest_profile_sources src = { 0 };
	struct guest_profile *p, *q;
	char why[256] = "", buf[64];
	size_t elf_len;
	void *elf;
	FILE *f;

	strcpy(tmpdir, "/tmp/vmt-profile-XXXXXX");
	TEST_ASSERT(mkdtemp(tmpdir), "mkdtemp");
	elf = make_vmlinux(&elf_len);
	src.vmlinux_path = write_file("vmlinux", elf, elf_len);
	src.symbols_path = write_file("System.map", system_map, strlen(system_map));
	TEST_ASSERT_EQ(guest_profile_create(&src, &p, why, sizeof(why)), 0);
	TEST_ASSERT(!strcmp(p->banner, banner), "banner: %s", p->banner);
	TEST_ASSERT(!strcmp(p->release, "6.1.0-test"), "%s", p->release);
	TEST_ASSERT_EQ(p->sym[GUEST_SYM_INIT_TASK], 0xffffffff82a1aa40ULL);
	TEST_ASSERT_EQ(p->sym[GUEST_SYM_CURRENT_TASK], 0x1fb80);
	TEST_ASSERT_EQ(guest_ksyms_count(p->code), 5);
	TEST_ASSERT_EQ(guest_profile_symbolize(p, 0x2000000, 0xffffffff83000404ULL, buf,
					     sizeof(buf)), 0);
	TEST_ASSERT(!strcmp(buf, "schedule+0x4"), "%s", buf);

	/* Write, read back: the same. */
	f = tmpfile();
	TEST_ASSERT_EQ(guest_profile_write(f, p), 0);
	rewind(f);
	TEST_ASSERT_EQ(guest_profile_read(f, 0, &q, NULL), 0);
	fclose(f);
	TEST_ASSERT(!strcmp(q->banner, p->banner), "banner roundtrip");
	TEST_ASSERT(!memcmp(q->field, p->field, sizeof(p->field)), "fields roundtrip");
	TEST_ASSERT(!memcmp(q->sym, p->sym, sizeof(p->sym)), "symbols roundtrip");
	TEST_ASSERT_EQ(guest_ksyms_count(q->code), 5);
	guest_profile_free(q);

	/* The same kernel from kallsyms with a KASLR slide: the same result. */
	{
		static const char kallsyms[] =
			"000000000001fb80 A current_task\n"
			"ffffffff9b000000 T _text\n"
			"ffffffff9b000000 T _stext\n"
			"ffffffff9b000100 D linux_banner\n"
			"ffffffff9b000400 T schedule\n"
			"ffffffff9b000800 t do_idle\n"
			"ffffffff9b000f00 T _etext\n"
			"ffffffff9ca10000 D init_top_pgt\n"
			"ffffffff9ca1aa40 D init_task\n"
			"ffffffff9cb5c940 D init_mm\n"
			"ffffffffc0a00000 t kvm_stuff\t[kvm]\n";

		src.symbols_path = write_file("kallsyms", kallsyms, strlen(kallsyms));
		TEST_ASSERT_EQ(guest_profile_create(&src, &q, why, sizeof(why)), 0);
		TEST_ASSERT(!memcmp(q->sym, p->sym, sizeof(p->sym)), "kallsyms slide undone");
		guest_profile_free(q);
	}
	/* kallsyms read without privileges: all zero. */
	src.symbols_path = write_file("zero",
		"0000000000000000 T _text\n0000000000000000 D init_task\n", 50);
	TEST_ASSERT_EQ(guest_profile_create(&src, &q, why, sizeof(why)), -EINVAL);
	TEST_ASSERT(strstr(why, "root"), "why: %s", why);
	/* Symbols of another kernel: the banner is not where they say. */
	{
		char other[sizeof(system_map)];
		char *at;

		memcpy(other, system_map, sizeof(other));
		at = strstr(other, "ffffffff81000100 D linux_banner");
		memcpy(at, "ffffffff81000200", 16);
		src.symbols_path = write_file("other", other, strlen(other));
		TEST_ASSERT_EQ(guest_profile_create(&src, &q, why, sizeof(why)), -ESRCH);
		TEST_ASSERT(strstr(why, "not this image"), "why: %s", why);
	}
	/* --btf without a banner or release: refused; with one: fine. */
	{
		struct btf *b = make_btf(0);
		uint32_t raw_len;
		const void *raw = btf__raw_data(b, &raw_len);
		struct guest_profile_sources bsrc = {
			.btf_path = write_file("btf", raw, raw_len),
			.symbols_path = write_file("map2", system_map, strlen(system_map)),
		};

		TEST_ASSERT_EQ(guest_profile_create(&bsrc, &q, why, sizeof(why)), -EINVAL);
		bsrc.banner = banner;
		TEST_ASSERT_EQ(guest_profile_create(&bsrc, &q, why, sizeof(why)), 0);
		TEST_ASSERT(!strcmp(q->release, "6.1.0-test"), "%s", q->release);
		guest_profile_free(q);
		btf__free(b);
	}
	guest_profile_free(p);
	free(elf);
}

static int read_text(const char *text, struct guest_profile **p)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int err = guest_profile_read(f, 0, p, NULL);

	fclose(f);
	if (!err)
		guest_profile_free(*p);
	return err;
}

static void test_reader_strictness(void)
{
	struct guest_profile *p;
	char *huge;

	TEST_ASSERT_EQ(read_text("vmtrace-profile 1\nrelease x\ncode 0\nend\n", &p), 0);
	/* Unknown keys and fields are skipped: a newer writer's. */
	TEST_ASSERT_EQ(read_text("vmtrace-profile 1\nrelease x\nnewkey 5\n"
				 "field some.future 4\nsymbol future_sym 0x5\ncode 0\nend\n",
				 &p), 0);
	TEST_ASSERT_EQ(read_text("", &p), -EBADMSG);
	TEST_ASSERT_EQ(read_text("not a profile\n", &p), -EBADMSG);
	TEST_ASSERT_EQ(read_text("vmtrace-profile 2\n", &p), -EPROTO);
	/* No release; truncated code table; no end. */
	TEST_ASSERT_EQ(read_text("vmtrace-profile 1\ncode 0\nend\n", &p), -EBADMSG);
	TEST_ASSERT_EQ(read_text("vmtrace-profile 1\nrelease x\ncode 2\n"
				 "ffffffff81000000 T a\n", &p), -EBADMSG);
	TEST_ASSERT_EQ(read_text("vmtrace-profile 1\nrelease x\ncode 0\n", &p), -EBADMSG);
	TEST_ASSERT_EQ(read_text("vmtrace-profile 1\nrelease x\n", &p), -EBADMSG);
	/* Out-of-bounds values. */
	TEST_ASSERT_EQ(read_text("vmtrace-profile 1\nrelease x\nfield task_struct.tasks "
				 "99999999\ncode 0\nend\n", &p), -EBADMSG);
	TEST_ASSERT_EQ(read_text("vmtrace-profile 1\nrelease x\nfield sizeof.task_struct.comm "
				 "1000\ncode 0\nend\n", &p), -EBADMSG);
	TEST_ASSERT_EQ(read_text("vmtrace-profile 1\nrelease x\nfield task_struct.pid -4\n"
				 "code 0\nend\n", &p), -EBADMSG);
	TEST_ASSERT_EQ(read_text("vmtrace-profile 1\nrelease x\npointer-size 16\ncode 0\nend\n",
				 &p), -EBADMSG);
	TEST_ASSERT_EQ(read_text("vmtrace-profile 1\nrelease x\ncode 99999999999\n", &p),
		       -EBADMSG);
	TEST_ASSERT_EQ(read_text("vmtrace-profile 1\nrelease x\ncode 1\n"
				 "ffffffff81000000 D data\nend\n", &p), -EBADMSG);
	TEST_ASSERT_EQ(read_text("vmtrace-profile 1\nrelease x\nrelease y\ncode 0\nend\n",
				 &p), -EBADMSG);
	/* Banner escapes: good and bad. */
	TEST_ASSERT_EQ(read_text("vmtrace-profile 1\nrelease x\nbanner a\\x41\\n\\\\\n"
				 "code 0\nend\n", &p), 0);
	TEST_ASSERT_EQ(read_text("vmtrace-profile 1\nrelease x\nbanner a\\q\ncode 0\nend\n",
				 &p), -EBADMSG);
	TEST_ASSERT_EQ(read_text("vmtrace-profile 1\nrelease x\nbanner a\\x00\ncode 0\nend\n",
				 &p), -EBADMSG);
	/* A line longer than the limit. */
	huge = malloc(GUEST_PROF_LINE_MAX * 2 + 64);
	strcpy(huge, "vmtrace-profile 1\nrelease ");
	memset(huge + strlen(huge), 'x', GUEST_PROF_LINE_MAX * 2);
	strcpy(huge + 26 + GUEST_PROF_LINE_MAX * 2, "\ncode 0\nend\n");
	TEST_ASSERT_EQ(read_text(huge, &p), -EBADMSG);
	free(huge);
}

static void test_profile_dir(void)
{
	struct guest_profile **list;
	struct guest_profile *p = guest_profile_new();
	char path[128];
	size_t nr;
	FILE *f;

	strcpy(tmpdir, "/tmp/vmt-profdir-XXXXXX");
	TEST_ASSERT(mkdtemp(tmpdir), "mkdtemp");
	p->release = strdup("6.1.0-a");
	snprintf(path, sizeof(path), "%s/b-profile", tmpdir);
	f = fopen(path, "w");
	TEST_ASSERT_EQ(guest_profile_write(f, p), 0);
	fclose(f);
	free(p->release);
	p->release = strdup("6.12.0-b");
	snprintf(path, sizeof(path), "%s/a-profile", tmpdir);
	f = fopen(path, "w");
	TEST_ASSERT_EQ(guest_profile_write(f, p), 0);
	fclose(f);
	write_file("junk", "not a profile\n", 14);
	TEST_ASSERT_EQ(guest_profile_dir_scan(tmpdir, &list, &nr), 0);
	TEST_ASSERT_EQ(nr, 2);
	TEST_ASSERT(!strcmp(list[0]->name, "a-profile") &&
		    !strcmp(list[0]->release, "6.12.0-b"), "order");
	guest_profile_list_free(list, nr);
	TEST_ASSERT_EQ(guest_profile_dir_scan("/nonexistent-dir", &list, &nr), -ENOENT);
	guest_profile_free(p);
}

/* Every installed /boot image (Debian xz/zstd, the gzip debug kernel): BTF gives a usable layout. */
static void test_debian_images(void)
{
	glob_t g;
	size_t i;

	if (glob("/boot/vmlinuz-*", 0, NULL, &g) || !g.gl_pathc)
		tap_skip("no /boot/vmlinuz-*");
	for (i = 0; i < g.gl_pathc; i++) {
		struct guest_profile *p = guest_profile_new();
		struct guest_kimage k;
		const void *raw;
		size_t len;
		struct btf *b;
		char why[256];

		TEST_ASSERT_EQ(guest_kimage_load(g.gl_pathv[i], &k), 0);
		TEST_ASSERT_EQ(guest_kimage_btf(&k, &raw, &len), 0);
		b = btf__new(raw, len);
		TEST_ASSERT(b, "%s: BTF does not parse", g.gl_pathv[i]);
		TEST_ASSERT_EQ(guest_profile_fill_btf(p, b, why, sizeof(why)), 0);
		TEST_ASSERT(p->field[GUEST_OFF_TASK_COMM] > p->field[GUEST_OFF_TASK_PID],
			    "%s: odd layout", g.gl_pathv[i]);
		TEST_ASSERT_EQ(p->field[GUEST_SIZE_TASK_COMM], 16);
		TEST_ASSERT_EQ(p->pointer_size, 8);
		/* Its own kallsyms tables, as /proc/kallsyms lists them. */
		{
			struct guest_ksyms *syms = guest_ksyms_new();
			uint64_t text = 0, addr;
			char banner[16];
			long n;

			TEST_ASSERT_EQ(guest_kimage_text_link(&k, &text), 0);
			n = guest_kimage_kallsyms(&k, text, syms, why, sizeof(why));
			TEST_ASSERT(n > 50000, "%s: %ld symbols: %s", g.gl_pathv[i], n, why);
			TEST_ASSERT_EQ(guest_ksyms_finish(syms), 0);
			TEST_ASSERT(!guest_ksyms_lookup(syms, "linux_banner", &addr) &&
				    guest_kimage_read_va(&k, addr, banner, 14) == 14 &&
				    !memcmp(banner, "Linux version ", 14), "linux_banner");
			TEST_ASSERT(!guest_ksyms_lookup(syms, "init_task", &addr) && addr > text,
				    "init_task");
			test_diag("%s: %ld symbols from its kallsyms tables", g.gl_pathv[i], n);
			guest_ksyms_free(syms);
		}
		test_diag("%s (%s): tasks %d pid %d comm %d mm %d pgd %d", g.gl_pathv[i],
			  k.compression, p->field[GUEST_OFF_TASK_TASKS],
			  p->field[GUEST_OFF_TASK_PID], p->field[GUEST_OFF_TASK_COMM],
			  p->field[GUEST_OFF_TASK_MM], p->field[GUEST_OFF_MM_PGD]);
		btf__free(b);
		guest_kimage_free(&k);
		guest_profile_free(p);
	}
	globfree(&g);
}

static const struct tap_test tests[] = {
	TAP_TEST(btf_offsets),
	TAP_TEST(image_kallsyms),
	TAP_TEST(kernel_images),
	TAP_TEST(create_and_roundtrip),
	TAP_TEST(reader_strictness),
	TAP_TEST(profile_dir),
	TAP_TEST_TIMEOUT(debian_images, 120),
};

int main(int argc, char **argv)
{
	return tap_main(argc, argv, tests, ARRAY_SIZE(tests), 0);
}
