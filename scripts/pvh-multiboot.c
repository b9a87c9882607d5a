// SPDX-License-Identifier: GPL-2.0
/*
 * A Multiboot (v1) image that boots an uncompressed x86-64 vmlinux through
 * its PVH entry point, for scripts/vmtest --vmx under Bochs.
 *
 * Why: Bochs has no direct kernel boot, and a bzImage spends four of the
 * six minutes of a Bochs boot decompressing itself (XZ) inside the
 * emulator.  GRUB loads Multiboot images, and its "a.out kludge" loads a
 * flat file at a given physical address: scripts/vmtest builds a file of
 * this loader (64 KiB, just below the kernel's physical load address)
 * followed by the kernel's loadable segments as one flat image, so that
 * GRUB puts the kernel where its ELF headers say, zeroes its .bss, and
 * jumps here.  This code converts the Multiboot information (memory map,
 * command line, the initramfs as module 0) into the hvm_start_info of the
 * PVH boot protocol (the kernel's include/xen/interface/hvm/start_info.h)
 * and jumps to the kernel's XEN_ELFNOTE_PHYS32_ENTRY.  Both protocols
 * start in 32-bit flat protected mode with paging off, so nothing else
 * changes hands.  The same kernel boots the same way under QEMU (PVH).
 *
 * Built freestanding for i386 by scripts/vmtest with
 *   -DSTUB_BASE= -DIMAGE_END= -DBSS_END= -DKERNEL_ENTRY=  (physical)
 */
typedef unsigned char u8;
typedef unsigned int u32;
typedef unsigned long long u64;

#define MB_MAGIC	0x1BADB002
#define MB_BOOT_MAGIC	0x2BADB002
/* Page-aligned modules, memory map, load addresses in the header. */
#define MB_FLAGS	((1 << 0) | (1 << 1) | (1 << 16))

/* Multiboot information: flags bits and offsets of the fields used. */
#define MBI_CMDLINE	(1 << 2)
#define MBI_MODS	(1 << 3)
#define MBI_MMAP	(1 << 6)

struct mb_header {
	u32 magic, flags, checksum;
	u32 header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};

struct mb_info {
	u32 flags, mem_lower, mem_upper, boot_device, cmdline;
	u32 mods_count, mods_addr;
	u32 syms[4];
	u32 mmap_length, mmap_addr;
};

struct mb_module {
	u32 mod_start, mod_end, string, reserved;
};

struct mb_mmap {	/* size excludes itself; entries are packed */
	u32 size;
	u64 addr, len;
	u32 type;
} __attribute__((packed));

/* The PVH boot protocol's start info, version 1. */
#define HVM_START_MAGIC	0x336ec578
struct hvm_start_info {
	u32 magic, version, flags, nr_modules;
	u64 modlist_paddr, cmdline_paddr, rsdp_paddr;
	u64 memmap_paddr;
	u32 memmap_entries, reserved;
};

struct hvm_modlist_entry {
	u64 paddr, size, cmdline_paddr, reserved;
};

struct hvm_memmap_table_entry {
	u64 addr, size;
	u32 type, reserved;
};

void stub_entry(void);

__attribute__((section(".mbheader"), used))
static const struct mb_header header = {
	.magic = MB_MAGIC,
	.flags = MB_FLAGS,
	.checksum = -(MB_MAGIC + MB_FLAGS),
	.header_addr = STUB_BASE,
	.load_addr = STUB_BASE,
	.load_end_addr = IMAGE_END,
	.bss_end_addr = BSS_END,
	.entry_addr = (u32)stub_entry,
};

#define MAX_MMAP	64
#define MAX_CMDLINE	2048

static struct hvm_start_info start_info;
static struct hvm_modlist_entry modlist[1];
static struct hvm_memmap_table_entry memmap[MAX_MMAP];
static char cmdline[MAX_CMDLINE];
__attribute__((used, aligned(16))) static u8 stack[4096];

__asm__(".text\n"
	".globl stub_entry\n"
	"stub_entry:\n\t"
	"cli\n\t"
	"cld\n\t"
	"movl $stack + 4096, %esp\n\t"
	"pushl %ebx\n\t"
	"pushl %eax\n\t"
	"call stub_main\n"
	"1:\thlt\n\t"
	"jmp 1b\n");

/* The ACPI RSDP in the BIOS area (ACPI 5.2.5.1), or 0: Linux then looks itself. */
static u32 find_rsdp(void)
{
	for (u32 p = 0xe0000; p < 0x100000; p += 16) {
		const char *s = (const char *)p;

		if (s[0] == 'R' && s[1] == 'S' && s[2] == 'D' && s[3] == ' ' &&
		    s[4] == 'P' && s[5] == 'T' && s[6] == 'R' && s[7] == ' ')
			return p;
	}
	return 0;
}

__attribute__((used, noreturn))
void stub_main(u32 magic, const struct mb_info *mbi)
{
	if (magic != MB_BOOT_MAGIC || !(mbi->flags & MBI_MMAP))
		for (;;)
			__asm__ volatile("hlt");

	start_info.magic = HVM_START_MAGIC;
	start_info.version = 1;
	if (mbi->flags & MBI_CMDLINE) {
		const char *s = (const char *)mbi->cmdline;
		u32 i = 0;

		/* GRUB may start it with the image's path: not for Linux. */
		if (*s == '/') {
			while (*s && *s != ' ')
				s++;
			while (*s == ' ')
				s++;
		}
		for (; s[i] && i < MAX_CMDLINE - 1; i++)
			cmdline[i] = s[i];
		cmdline[i] = 0;
		start_info.cmdline_paddr = (u32)cmdline;
	}
	if ((mbi->flags & MBI_MODS) && mbi->mods_count) {
		const struct mb_module *m = (const struct mb_module *)mbi->mods_addr;

		modlist[0].paddr = m->mod_start;
		modlist[0].size = m->mod_end - m->mod_start;
		start_info.modlist_paddr = (u32)modlist;
		start_info.nr_modules = 1;
	}
	for (u32 off = 0; off < mbi->mmap_length && start_info.memmap_entries < MAX_MMAP;) {
		const struct mb_mmap *e = (const struct mb_mmap *)(mbi->mmap_addr + off);
		struct hvm_memmap_table_entry *h = &memmap[start_info.memmap_entries++];

		/* Multiboot's types are E820's. */
		h->addr = e->addr;
		h->size = e->len;
		h->type = e->type;
		off += e->size + sizeof(e->size);
	}
	start_info.memmap_paddr = (u32)memmap;
	start_info.rsdp_paddr = find_rsdp();

	__asm__ volatile("jmp *%0" : : "r"(KERNEL_ENTRY), "b"(&start_info) : "memory");
	__builtin_unreachable();
}
