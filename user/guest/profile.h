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
 * offsets past GUEST_PROF_OFFSET_MAX, sizes past their limit, over-long lines
 * are errors) and lenient about what it does not know (unknown keys are
 * skipped, so older collectors read newer profiles).
 */
#ifndef GUEST_PROFILE_H
#define GUEST_PROFILE_H

#include <stdint.h>
#include <stdio.h>
#include "guest/ksyms.h"

#define GUEST_PROFILE_MAGIC "vmtrace-profile"
#define GUEST_PROFILE_VERSION 1
#define GUEST_PROFILE_DIR_DEFAULT "/var/lib/vmtrace/profiles"

#define GUEST_PROF_OFFSET_MAX 65536	/* member offsets and struct sizes */
#define GUEST_PROF_COMM_MAX 64		/* task_struct.comm bytes */
#define GUEST_PROF_BANNER_MAX 512	/* also the most a "source" may say */
/* A line holds a banner escaped (\xNN: 4 bytes per byte) and its key. */
#define GUEST_PROF_LINE_MAX (4 * GUEST_PROF_BANNER_MAX + 64)

/* Struct members and sizes; -1 (GUEST_PROF_ABSENT) where the kernel has none. */
enum guest_prof_field {
	GUEST_OFF_TASK_TASKS,		/* struct list_head: the process list */
	GUEST_OFF_TASK_PID,
	GUEST_OFF_TASK_TGID,
	GUEST_OFF_TASK_COMM,
	GUEST_OFF_TASK_MM,
	GUEST_OFF_TASK_ACTIVE_MM,
	GUEST_OFF_TASK_FLAGS,		/* PF_KTHREAD */
	GUEST_OFF_TASK_STATE,		/* __state (5.14+) or state */
	GUEST_OFF_TASK_EXIT_STATE,
	GUEST_OFF_TASK_REAL_CRED,
	GUEST_OFF_TASK_REAL_PARENT,
	GUEST_OFF_TASK_GROUP_LEADER,
	GUEST_OFF_TASK_THREAD_GROUP,	/* list_head ring of a group's threads (< 6.7) */
	GUEST_OFF_TASK_SIGNAL,
	GUEST_OFF_TASK_THREAD_NODE,	/* on signal->thread_head (6.7+) */
	GUEST_OFF_TASK_START_TIME,	/* tells a reused pid from the old task */
	GUEST_OFF_TASK_STACK,
	GUEST_OFF_SIGNAL_THREAD_HEAD,
	GUEST_OFF_MM_PGD,
	GUEST_OFF_CRED_UID,
	GUEST_OFF_PCPU_HOT_CURRENT_TASK,	/* struct pcpu_hot (6.2 - 6.14) */
	GUEST_SIZE_TASK_STRUCT,
	GUEST_SIZE_TASK_COMM,
	GUEST_SIZE_TASK_STATE,
	GUEST_SIZE_TASK_FLAGS,
	__GUEST_PROF_FIELDS
};
#define GUEST_PROF_ABSENT (-1)

/* Symbols the decoder reads; 0 where the kernel has none. */
enum guest_prof_sym {
	GUEST_SYM_INIT_TASK,
	GUEST_SYM_LINUX_BANNER,
	GUEST_SYM_INIT_MM,
	GUEST_SYM_INIT_TOP_PGT,		/* x86-64 kernel page tables */
	GUEST_SYM_SWAPPER_PG_DIR,		/* i386 kernel page tables */
	GUEST_SYM_PAGE_OFFSET_BASE,	/* direct map base (KASLR'd, x86-64) */
	GUEST_SYM_PGTABLE_L5_ENABLED,
	GUEST_SYM_CURRENT_TASK,		/* per-CPU, < 6.2 and 6.15+ */
	GUEST_SYM_PCPU_HOT,		/* per-CPU, 6.2 - 6.14 */
	GUEST_SYM_PER_CPU_START,
	GUEST_SYM_PER_CPU_END,
	GUEST_SYM_TEXT,			/* _text */
	GUEST_SYM_STEXT,
	GUEST_SYM_ETEXT,
	GUEST_SYM_SINITTEXT,
	GUEST_SYM_EINITTEXT,
	GUEST_SYM_INIT_STACK,
	GUEST_SYM_PER_CPU_OFFSET,		/* __per_cpu_offset[]: each CPU's GS base */
	GUEST_SYM_TOTALRAM_PAGES,		/* _totalram_pages: guest accounting */
	GUEST_SYM_VM_ZONE_STAT,		/* vm_zone_stat[]: free pages */
	GUEST_SYM_KERNEL_CPUSTAT,		/* per-CPU: the guest's steal time */
	__GUEST_PROF_SYMS
};

/*
 * The guest kernel's own accounting (guest/acct.h: per-task CPU times,
 * memory counters), so that a guest known only through its profile (made
 * from a vmlinuz, say) is accounted too.  "acct NAME VALUE" lines; -1
 * (GUEST_PROF_ABSENT) where the kernel has none, or the profile predates
 * them.  Offsets, a stride and small indexes, all below
 * GUEST_PROF_OFFSET_MAX.
 */
enum guest_prof_acct {
	GUEST_ACCT_TASK_UTIME,
	GUEST_ACCT_TASK_STIME,
	GUEST_ACCT_TASK_RUNTIME,		/* se.sum_exec_runtime */
	GUEST_ACCT_TASK_EXEC_START,	/* se.exec_start */
	GUEST_ACCT_TASK_MM,
	GUEST_ACCT_TASK_SIGNAL,
	GUEST_ACCT_SIGNAL_UTIME,
	GUEST_ACCT_SIGNAL_STIME,
	GUEST_ACCT_SIGNAL_RUNTIME,	/* sum_sched_runtime */
	GUEST_ACCT_MM_RSS_STAT,		/* the counters' array in mm_struct */
	GUEST_ACCT_RSS_STRIDE,
	GUEST_ACCT_RSS_COUNT_OFF,
	GUEST_ACCT_NR_MM_COUNTERS,
	GUEST_ACCT_MM_FILE,		/* enum indexes: MM_FILEPAGES, ... */
	GUEST_ACCT_MM_ANON,
	GUEST_ACCT_MM_SHMEM,
	GUEST_ACCT_NR_FREE_PAGES,		/* enum zone_stat_item */
	GUEST_ACCT_CPUTIME_STEAL,		/* enum cpu_usage_stat */
	__GUEST_PROF_ACCT
};

struct guest_profile {
	char *name;		/* file name, or what created it */
	char *release;		/* "6.1.0-56-amd64" */
	char *banner;		/* linux_banner, trailing "\n" included; or NULL */
	char *source;		/* what it was made from (informative) */
	unsigned int pointer_size; /* 8 (x86-64) or 4 (i386) */
	uint64_t text_link;	/* link address of _text */
	uint64_t kernel_map;	/* __START_KERNEL_map (x86-64), PAGE_OFFSET (i386) */
	int32_t field[__GUEST_PROF_FIELDS];
	uint64_t sym[__GUEST_PROF_SYMS];
	int32_t acct[__GUEST_PROF_ACCT];
	struct guest_ksyms *code;	/* code symbols, link addresses; may be NULL */
};

/* Names as they appear in profile files ("task_struct.tasks", "init_task"). */
const char *guest_prof_field_name(enum guest_prof_field f);
const char *guest_prof_sym_name(enum guest_prof_sym s);
const char *guest_prof_acct_name(enum guest_prof_acct a);

/* An empty profile: every field absent, every symbol 0.  NULL if no memory. */
struct guest_profile *guest_profile_new(void);
void guest_profile_free(struct guest_profile *p);

/*
 * Read a profile.  0, or -errno: -EBADMSG (not a profile, or a bad line:
 * *line says which), -EPROTO (a newer format version), -EIO.  With
 * @header_only, stops before the symbol table (for matching banners).
 */
int guest_profile_read(FILE *f, int header_only, struct guest_profile **out,
		     unsigned long *line);
int guest_profile_load(const char *path, int header_only,
		     struct guest_profile **out);
int guest_profile_write(FILE *f, const struct guest_profile *p);

/* The release in a banner "Linux version RELEASE ...": 0 or -EINVAL. */
int guest_banner_release(const char *banner, char *buf, size_t len);

/*
 * Kernel RIP (runtime address) -> "symbol+0xoff" using the profile's code
 * symbols and the guest's virtual KASLR slide.  0, or -ENOENT (no symbol
 * covers @rip: the result then is the raw address), -ENOSPC.
 */
int guest_profile_symbolize(const struct guest_profile *p, uint64_t slide,
			  uint64_t rip, char *buf, size_t len);

/*
 * The code symbol holding runtime address @rip, @rip's offset in it and
 * its size (up to the next symbol; 0 if unknown), or NULL.
 */
const struct guest_ksym *guest_profile_find_code(const struct guest_profile *p,
					     uint64_t slide, uint64_t rip,
					     uint64_t *offset, uint64_t *size);

/* Say why something failed into @why (@len bytes), printf style. */
void guest_whyf(char *why, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The profiles in @dir, headers only, sorted by file name.  0 or -errno. */
int guest_profile_dir_scan(const char *dir, struct guest_profile ***out, size_t *nr);
void guest_profile_list_free(struct guest_profile **list, size_t nr);

#endif /* GUEST_PROFILE_H */
