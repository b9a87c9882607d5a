/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Linux guest profiles: what the collector must know about one guest
 * kernel build to read its processes out of guest memory.
 *
 *   - struct member offsets and sizes (task_struct.tasks, mm_struct.pgd,
 *     ...), taken from the kernel's BTF;
 *   - addresses of a few symbols (init_task, linux_banner, ...) and of
 *     every code symbol (for kernel RIP -> symbol+offset), taken from
 *     System.map or a copy of /proc/kallsyms, as linked (KASLR undone);
 *   - the banner ("Linux version ..."), which is how a guest is matched to
 *     its profile.
 *
 * The file format is text, one item per line; Documentation/profiles.rst
 * describes it.  Reading is strict about bounds (a profile is input too:
 * offsets past VMT_PROF_OFFSET_MAX, sizes past their limit, over-long lines
 * are errors) and lenient about what it does not know (unknown keys are
 * skipped, so older collectors read newer profiles).
 */
#ifndef VMT_PROFILE_H
#define VMT_PROFILE_H

#include <stdint.h>
#include <stdio.h>
#include "guest/ksyms.h"

#define VMT_PROFILE_MAGIC "vmtrace-profile"
#define VMT_PROFILE_VERSION 1
#define VMT_PROFILE_DIR_DEFAULT "/var/lib/vmtrace/profiles"

#define VMT_PROF_OFFSET_MAX 65536	/* member offsets and struct sizes */
#define VMT_PROF_COMM_MAX 64		/* task_struct.comm bytes */
#define VMT_PROF_BANNER_MAX 512	/* also the most a "source" may say */
/* A line holds a banner escaped (\xNN: 4 bytes per byte) and its key. */
#define VMT_PROF_LINE_MAX (4 * VMT_PROF_BANNER_MAX + 64)

/* Struct members and sizes; -1 (VMT_PROF_ABSENT) where the kernel has none. */
enum vmt_prof_field {
	VMT_OFF_TASK_TASKS,		/* struct list_head: the process list */
	VMT_OFF_TASK_PID,
	VMT_OFF_TASK_TGID,
	VMT_OFF_TASK_COMM,
	VMT_OFF_TASK_MM,
	VMT_OFF_TASK_ACTIVE_MM,
	VMT_OFF_TASK_FLAGS,		/* PF_KTHREAD */
	VMT_OFF_TASK_STATE,		/* __state (5.14+) or state */
	VMT_OFF_TASK_EXIT_STATE,
	VMT_OFF_TASK_REAL_CRED,
	VMT_OFF_TASK_REAL_PARENT,
	VMT_OFF_TASK_GROUP_LEADER,
	VMT_OFF_TASK_THREAD_GROUP,	/* list_head ring of a group's threads (< 6.7) */
	VMT_OFF_TASK_SIGNAL,
	VMT_OFF_TASK_THREAD_NODE,	/* on signal->thread_head (6.7+) */
	VMT_OFF_TASK_START_TIME,	/* tells a reused pid from the old task */
	VMT_OFF_TASK_STACK,
	VMT_OFF_SIGNAL_THREAD_HEAD,
	VMT_OFF_MM_PGD,
	VMT_OFF_CRED_UID,
	VMT_OFF_PCPU_HOT_CURRENT_TASK,	/* struct pcpu_hot (6.2 - 6.14) */
	VMT_SIZE_TASK_STRUCT,
	VMT_SIZE_TASK_COMM,
	VMT_SIZE_TASK_STATE,
	VMT_SIZE_TASK_FLAGS,
	__VMT_PROF_FIELDS
};
#define VMT_PROF_ABSENT (-1)

/* Symbols the decoder reads; 0 where the kernel has none. */
enum vmt_prof_sym {
	VMT_SYM_INIT_TASK,
	VMT_SYM_LINUX_BANNER,
	VMT_SYM_INIT_MM,
	VMT_SYM_INIT_TOP_PGT,		/* x86-64 kernel page tables */
	VMT_SYM_SWAPPER_PG_DIR,		/* i386 kernel page tables */
	VMT_SYM_PAGE_OFFSET_BASE,	/* direct map base (KASLR'd, x86-64) */
	VMT_SYM_PGTABLE_L5_ENABLED,
	VMT_SYM_CURRENT_TASK,		/* per-CPU, < 6.2 and 6.15+ */
	VMT_SYM_PCPU_HOT,		/* per-CPU, 6.2 - 6.14 */
	VMT_SYM_PER_CPU_START,
	VMT_SYM_PER_CPU_END,
	VMT_SYM_TEXT,			/* _text */
	VMT_SYM_STEXT,
	VMT_SYM_ETEXT,
	VMT_SYM_SINITTEXT,
	VMT_SYM_EINITTEXT,
	VMT_SYM_INIT_STACK,
	VMT_SYM_PER_CPU_OFFSET,		/* __per_cpu_offset[]: each CPU's GS base */
	VMT_SYM_TOTALRAM_PAGES,		/* _totalram_pages: guest accounting */
	VMT_SYM_VM_ZONE_STAT,		/* vm_zone_stat[]: free pages */
	VMT_SYM_KERNEL_CPUSTAT,		/* per-CPU: the guest's steal time */
	__VMT_PROF_SYMS
};

/*
 * The guest kernel's own accounting (guest/acct.h: per-task CPU times,
 * memory counters), so that a guest known only through its profile (made
 * from a vmlinuz, say) is accounted too.  "acct NAME VALUE" lines; -1
 * (VMT_PROF_ABSENT) where the kernel has none, or the profile predates
 * them.  Offsets, a stride and small indexes, all below
 * VMT_PROF_OFFSET_MAX.
 */
enum vmt_prof_acct {
	VMT_ACCT_TASK_UTIME,
	VMT_ACCT_TASK_STIME,
	VMT_ACCT_TASK_RUNTIME,		/* se.sum_exec_runtime */
	VMT_ACCT_TASK_EXEC_START,	/* se.exec_start */
	VMT_ACCT_TASK_MM,
	VMT_ACCT_TASK_SIGNAL,
	VMT_ACCT_SIGNAL_UTIME,
	VMT_ACCT_SIGNAL_STIME,
	VMT_ACCT_SIGNAL_RUNTIME,	/* sum_sched_runtime */
	VMT_ACCT_MM_RSS_STAT,		/* the counters' array in mm_struct */
	VMT_ACCT_RSS_STRIDE,
	VMT_ACCT_RSS_COUNT_OFF,
	VMT_ACCT_NR_MM_COUNTERS,
	VMT_ACCT_MM_FILE,		/* enum indexes: MM_FILEPAGES, ... */
	VMT_ACCT_MM_ANON,
	VMT_ACCT_MM_SHMEM,
	VMT_ACCT_NR_FREE_PAGES,		/* enum zone_stat_item */
	VMT_ACCT_CPUTIME_STEAL,		/* enum cpu_usage_stat */
	__VMT_PROF_ACCT
};

struct vmt_profile {
	char *name;		/* file name, or what created it */
	char *release;		/* "6.1.0-56-amd64" */
	char *banner;		/* linux_banner, trailing "\n" included; or NULL */
	char *source;		/* what it was made from (informative) */
	unsigned int pointer_size; /* 8 (x86-64) or 4 (i386) */
	uint64_t text_link;	/* link address of _text */
	uint64_t kernel_map;	/* __START_KERNEL_map (x86-64), PAGE_OFFSET (i386) */
	int32_t field[__VMT_PROF_FIELDS];
	uint64_t sym[__VMT_PROF_SYMS];
	int32_t acct[__VMT_PROF_ACCT];
	struct vmt_ksyms *code;	/* code symbols, link addresses; may be NULL */
};

/* Names as they appear in profile files ("task_struct.tasks", "init_task"). */
const char *vmt_prof_field_name(enum vmt_prof_field f);
const char *vmt_prof_sym_name(enum vmt_prof_sym s);
const char *vmt_prof_acct_name(enum vmt_prof_acct a);

/* An empty profile: every field absent, every symbol 0.  NULL if no memory. */
struct vmt_profile *vmt_profile_new(void);
void vmt_profile_free(struct vmt_profile *p);

/*
 * Read a profile.  0, or -errno: -EBADMSG (not a profile, or a bad line:
 * *line says which), -EPROTO (a newer format version), -EIO.  With
 * @header_only, stops before the symbol table (for matching banners).
 */
int vmt_profile_read(FILE *f, int header_only, struct vmt_profile **out,
		     unsigned long *line);
int vmt_profile_load(const char *path, int header_only,
		     struct vmt_profile **out);
int vmt_profile_write(FILE *f, const struct vmt_profile *p);

/* The release in a banner "Linux version RELEASE ...": 0 or -EINVAL. */
int vmt_banner_release(const char *banner, char *buf, size_t len);

/*
 * Kernel RIP (runtime address) -> "symbol+0xoff" using the profile's code
 * symbols and the guest's virtual KASLR slide.  0, or -ENOENT (no symbol
 * covers @rip: the result then is the raw address), -ENOSPC.
 */
int vmt_profile_symbolize(const struct vmt_profile *p, uint64_t slide,
			  uint64_t rip, char *buf, size_t len);

/*
 * The code symbol holding runtime address @rip, @rip's offset in it and
 * its size (up to the next symbol; 0 if unknown), or NULL.
 */
const struct vmt_ksym *vmt_profile_find_code(const struct vmt_profile *p,
					     uint64_t slide, uint64_t rip,
					     uint64_t *offset, uint64_t *size);

/* Say why something failed into @why (@len bytes), printf style. */
void vmt_whyf(char *why, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The profiles in @dir, headers only, sorted by file name.  0 or -errno. */
int vmt_profile_dir_scan(const char *dir, struct vmt_profile ***out, size_t *nr);
void vmt_profile_list_free(struct vmt_profile **list, size_t nr);

#endif /* VMT_PROFILE_H */
