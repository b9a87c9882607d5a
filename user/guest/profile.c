// SPDX-License-Identifier: GPL-2.0
/* Linux guest profiles: the file format (Documentation/profiles.rst). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* also given by the selftests' -D_GNU_SOURCE */
#endif
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "guest/profile.h"

static const char *const field_names[__GUEST_PROF_FIELDS] = {
	[GUEST_OFF_TASK_TASKS] = "task_struct.tasks",
	[GUEST_OFF_TASK_PID] = "task_struct.pid",
	[GUEST_OFF_TASK_TGID] = "task_struct.tgid",
	[GUEST_OFF_TASK_COMM] = "task_struct.comm",
	[GUEST_OFF_TASK_MM] = "task_struct.mm",
	[GUEST_OFF_TASK_ACTIVE_MM] = "task_struct.active_mm",
	[GUEST_OFF_TASK_FLAGS] = "task_struct.flags",
	[GUEST_OFF_TASK_STATE] = "task_struct.__state",
	[GUEST_OFF_TASK_EXIT_STATE] = "task_struct.exit_state",
	[GUEST_OFF_TASK_REAL_CRED] = "task_struct.real_cred",
	[GUEST_OFF_TASK_REAL_PARENT] = "task_struct.real_parent",
	[GUEST_OFF_TASK_GROUP_LEADER] = "task_struct.group_leader",
	[GUEST_OFF_TASK_THREAD_GROUP] = "task_struct.thread_group",
	[GUEST_OFF_TASK_SIGNAL] = "task_struct.signal",
	[GUEST_OFF_TASK_THREAD_NODE] = "task_struct.thread_node",
	[GUEST_OFF_TASK_START_TIME] = "task_struct.start_time",
	[GUEST_OFF_TASK_STACK] = "task_struct.stack",
	[GUEST_OFF_SIGNAL_THREAD_HEAD] = "signal_struct.thread_head",
	[GUEST_OFF_MM_PGD] = "mm_struct.pgd",
	[GUEST_OFF_CRED_UID] = "cred.uid",
	[GUEST_OFF_PCPU_HOT_CURRENT_TASK] = "pcpu_hot.current_task",
	[GUEST_SIZE_TASK_STRUCT] = "sizeof.task_struct",
	[GUEST_SIZE_TASK_COMM] = "sizeof.task_struct.comm",
	[GUEST_SIZE_TASK_STATE] = "sizeof.task_struct.__state",
	[GUEST_SIZE_TASK_FLAGS] = "sizeof.task_struct.flags",
};

static const char *const sym_names[__GUEST_PROF_SYMS] = {
	[GUEST_SYM_INIT_TASK] = "init_task",
	[GUEST_SYM_LINUX_BANNER] = "linux_banner",
	[GUEST_SYM_INIT_MM] = "init_mm",
	[GUEST_SYM_INIT_TOP_PGT] = "init_top_pgt",
	[GUEST_SYM_SWAPPER_PG_DIR] = "swapper_pg_dir",
	[GUEST_SYM_PAGE_OFFSET_BASE] = "page_offset_base",
	[GUEST_SYM_PGTABLE_L5_ENABLED] = "__pgtable_l5_enabled",
	[GUEST_SYM_CURRENT_TASK] = "current_task",
	[GUEST_SYM_PCPU_HOT] = "pcpu_hot",
	[GUEST_SYM_PER_CPU_START] = "__per_cpu_start",
	[GUEST_SYM_PER_CPU_END] = "__per_cpu_end",
	[GUEST_SYM_TEXT] = "_text",
	[GUEST_SYM_STEXT] = "_stext",
	[GUEST_SYM_ETEXT] = "_etext",
	[GUEST_SYM_SINITTEXT] = "_sinittext",
	[GUEST_SYM_EINITTEXT] = "_einittext",
	[GUEST_SYM_INIT_STACK] = "init_stack",
	[GUEST_SYM_PER_CPU_OFFSET] = "__per_cpu_offset",
	[GUEST_SYM_TOTALRAM_PAGES] = "_totalram_pages",
	[GUEST_SYM_VM_ZONE_STAT] = "vm_zone_stat",
	[GUEST_SYM_KERNEL_CPUSTAT] = "kernel_cpustat",
};

static const char *const acct_names[__GUEST_PROF_ACCT] = {
	[GUEST_ACCT_TASK_UTIME] = "task_struct.utime",
	[GUEST_ACCT_TASK_STIME] = "task_struct.stime",
	[GUEST_ACCT_TASK_RUNTIME] = "task_struct.se.sum_exec_runtime",
	[GUEST_ACCT_TASK_EXEC_START] = "task_struct.se.exec_start",
	[GUEST_ACCT_TASK_MM] = "task_struct.mm",
	[GUEST_ACCT_TASK_SIGNAL] = "task_struct.signal",
	[GUEST_ACCT_SIGNAL_UTIME] = "signal_struct.utime",
	[GUEST_ACCT_SIGNAL_STIME] = "signal_struct.stime",
	[GUEST_ACCT_SIGNAL_RUNTIME] = "signal_struct.sum_sched_runtime",
	[GUEST_ACCT_MM_RSS_STAT] = "mm_struct.rss_stat",
	[GUEST_ACCT_RSS_STRIDE] = "rss_stat.stride",
	[GUEST_ACCT_RSS_COUNT_OFF] = "rss_stat.count",
	[GUEST_ACCT_NR_MM_COUNTERS] = "rss_stat.nr",
	[GUEST_ACCT_MM_FILE] = "MM_FILEPAGES",
	[GUEST_ACCT_MM_ANON] = "MM_ANONPAGES",
	[GUEST_ACCT_MM_SHMEM] = "MM_SHMEMPAGES",
	[GUEST_ACCT_NR_FREE_PAGES] = "NR_FREE_PAGES",
	[GUEST_ACCT_CPUTIME_STEAL] = "CPUTIME_STEAL",
};

const char *guest_prof_field_name(enum guest_prof_field f)
{
	return (unsigned int)f < __GUEST_PROF_FIELDS ? field_names[f] : "?";
}

const char *guest_prof_acct_name(enum guest_prof_acct a)
{
	return (unsigned int)a < __GUEST_PROF_ACCT ? acct_names[a] : "?";
}

const char *guest_prof_sym_name(enum guest_prof_sym s)
{
	return (unsigned int)s < __GUEST_PROF_SYMS ? sym_names[s] : "?";
}

/* The most a size field may say. */
static int32_t field_limit(enum guest_prof_field f)
{
	switch (f) {
	case GUEST_SIZE_TASK_COMM:
		return GUEST_PROF_COMM_MAX;
	case GUEST_SIZE_TASK_STATE:
	case GUEST_SIZE_TASK_FLAGS:
		return 8;
	default:
		return GUEST_PROF_OFFSET_MAX;
	}
}

struct guest_profile *guest_profile_new(void)
{
	struct guest_profile *p = calloc(1, sizeof(*p));
	int i;

	if (!p)
		return NULL;
	for (i = 0; i < __GUEST_PROF_FIELDS; i++)
		p->field[i] = GUEST_PROF_ABSENT;
	for (i = 0; i < __GUEST_PROF_ACCT; i++)
		p->acct[i] = GUEST_PROF_ABSENT;
	p->pointer_size = 8;
	return p;
}

void guest_profile_free(struct guest_profile *p)
{
	if (!p)
		return;
	free(p->name);
	free(p->release);
	free(p->banner);
	free(p->source);
	guest_ksyms_free(p->code);
	free(p);
}

/* Banner escapes: \\, \n and \xNN for anything not printable ASCII. */
static void write_escaped(FILE *f, const char *s)
{
	const unsigned char *c;

	for (c = (const unsigned char *)s; *c; c++) {
		if (*c == '\\')
			fputs("\\\\", f);
		else if (*c == '\n')
			fputs("\\n", f);
		else if (*c < 0x20 || *c >= 0x7f)
			fprintf(f, "\\x%02x", *c);
		else
			fputc(*c, f);
	}
}

/* Undo write_escaped() into a new string: 0, -EBADMSG, -ENOMEM. */
static int unescape(const char *s, char **out)
{
	size_t len = strlen(s);
	char *d = malloc(len + 1), *o = d;
	unsigned int v;

	if (!d)
		return -ENOMEM;
	while (*s) {
		if (*s != '\\') {
			*o++ = *s++;
			continue;
		}
		if (s[1] == '\\' || s[1] == 'n') {
			*o++ = s[1] == 'n' ? '\n' : '\\';
			s += 2;
		} else if (s[1] == 'x' && sscanf(s + 2, "%2x", &v) == 1 &&
			   strspn(s + 2, "0123456789abcdefABCDEF") >= 2 && v) {
			*o++ = (char)v;
			s += 4;
		} else {
			free(d);
			return -EBADMSG;
		}
	}
	*o = 0;
	*out = d;
	return 0;
}

int guest_profile_write(FILE *f, const struct guest_profile *p)
{
	size_t i, nr = p->code ? guest_ksyms_count(p->code) : 0;

	fprintf(f, "%s %d\n", GUEST_PROFILE_MAGIC, GUEST_PROFILE_VERSION);
	fprintf(f, "os linux\n");
	fprintf(f, "arch %s\n", p->pointer_size == 4 ? "i386" : "x86_64");
	fprintf(f, "pointer-size %u\n", p->pointer_size);
	if (p->release)
		fprintf(f, "release %s\n", p->release);
	if (p->banner) {
		fputs("banner ", f);
		write_escaped(f, p->banner);
		fputc('\n', f);
	}
	if (p->source) {
		fputs("source ", f);
		write_escaped(f, p->source);
		fputc('\n', f);
	}
	fprintf(f, "text-link 0x%" PRIx64 "\n", p->text_link);
	fprintf(f, "kernel-map 0x%" PRIx64 "\n", p->kernel_map);
	for (i = 0; i < __GUEST_PROF_FIELDS; i++)
		if (p->field[i] != GUEST_PROF_ABSENT)
			fprintf(f, "field %s %d\n", field_names[i], p->field[i]);
	for (i = 0; i < __GUEST_PROF_SYMS; i++)
		if (p->sym[i])
			fprintf(f, "symbol %s 0x%" PRIx64 "\n", sym_names[i], p->sym[i]);
	for (i = 0; i < __GUEST_PROF_ACCT; i++)
		if (p->acct[i] != GUEST_PROF_ABSENT)
			fprintf(f, "acct %s %d\n", acct_names[i], p->acct[i]);
	fprintf(f, "code %zu\n", nr);
	for (i = 0; i < nr; i++) {
		const struct guest_ksym *s = guest_ksyms_at(p->code, i);

		fprintf(f, "%016" PRIx64 " %c %s\n", s->addr, s->type, s->name);
	}
	fprintf(f, "end\n");
	fflush(f);
	return ferror(f) ? -EIO : 0;
}

/* A whole-line read: 1 (got one, newline stripped), 0 (EOF), -EBADMSG. */
static int read_line(FILE *f, char *buf, size_t len)
{
	size_t n;

	if (!fgets(buf, len, f))
		return ferror(f) ? -EIO : 0;
	n = strlen(buf);
	if (n && buf[n - 1] == '\n')
		buf[--n] = 0;
	else if (!feof(f))
		return -EBADMSG;	/* longer than GUEST_PROF_LINE_MAX */
	if (strlen(buf) != n)
		return -EBADMSG;	/* a NUL inside */
	return 1;
}

static int parse_u64_strict(const char *s, uint64_t *v)
{
	unsigned long long x;
	char *end;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -EBADMSG;
	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno || *end)
		return -EBADMSG;
	*v = x;
	return 0;
}

/* "NAME VALUE" of a field or symbol line: 0, or -EBADMSG. */
static int split_name_value(char *arg, const char **name, uint64_t *v)
{
	char *sp = strchr(arg, ' ');

	if (!sp)
		return -EBADMSG;
	*sp = 0;
	*name = arg;
	return parse_u64_strict(sp + 1, v);
}

static int parse_field(struct guest_profile *p, char *arg)
{
	const char *name;
	uint64_t v;
	int i;

	if (split_name_value(arg, &name, &v))
		return -EBADMSG;
	for (i = 0; i < __GUEST_PROF_FIELDS; i++) {
		if (strcmp(name, field_names[i]))
			continue;
		/* Offsets below the limit; sizes up to it. */
		if (v >= (uint64_t)field_limit(i) + (i >= GUEST_SIZE_TASK_STRUCT))
			return -EBADMSG;
		p->field[i] = (int32_t)v;
		return 0;
	}
	return 0;	/* a field this collector does not use */
}

static int parse_acct(struct guest_profile *p, char *arg)
{
	const char *name;
	uint64_t v;
	int i;

	if (split_name_value(arg, &name, &v))
		return -EBADMSG;
	for (i = 0; i < __GUEST_PROF_ACCT; i++) {
		if (strcmp(name, acct_names[i]))
			continue;
		if (v >= GUEST_PROF_OFFSET_MAX)
			return -EBADMSG;
		p->acct[i] = (int32_t)v;
	}
	return 0;	/* unknown names: a newer collector's */
}

static int parse_symbol(struct guest_profile *p, char *arg)
{
	const char *name;
	uint64_t v;
	int i;

	if (split_name_value(arg, &name, &v))
		return -EBADMSG;
	for (i = 0; i < __GUEST_PROF_SYMS; i++)
		if (!strcmp(name, sym_names[i]))
			p->sym[i] = v;
	return 0;
}

/* "code N" and N symbol lines, then "end". */
static int read_code(FILE *f, struct guest_profile *p, const char *arg,
		     char *line, unsigned long *lineno)
{
	uint64_t nr, i, addr;
	char *end;
	int err;

	if (parse_u64_strict(arg, &nr) || nr > GUEST_KSYMS_MAX)
		return -EBADMSG;
	p->code = guest_ksyms_new();
	if (!p->code)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		(*lineno)++;
		err = read_line(f, line, GUEST_PROF_LINE_MAX);
		if (err <= 0)
			return err ?: -EBADMSG;
		errno = 0;
		addr = strtoull(line, &end, 16);
		if (errno || end == line || end[0] != ' ' || !end[1] ||
		    end[2] != ' ' || !guest_ksym_is_code(end[1]))
			return -EBADMSG;
		err = guest_ksyms_add(p->code, addr, end[1], end + 3);
		if (err)
			return err == -ENOMEM ? err : -EBADMSG;
	}
	err = guest_ksyms_finish(p->code);
	if (err)
		return err;
	(*lineno)++;
	err = read_line(f, line, GUEST_PROF_LINE_MAX);
	if (err <= 0 || strcmp(line, "end"))
		return err < 0 ? err : -EBADMSG;
	return 0;
}

static int set_string(char **dst, const char *arg, int escaped)
{
	char *s;
	int err;

	if (*dst)
		return -EBADMSG;	/* said twice */
	if (escaped) {
		err = unescape(arg, &s);
		if (err)
			return err;
	} else {
		s = strdup(arg);
		if (!s)
			return -ENOMEM;
	}
	*dst = s;
	return 0;
}

int guest_profile_read(FILE *f, int header_only, struct guest_profile **out,
		     unsigned long *lineno)
{
	char *line = malloc(GUEST_PROF_LINE_MAX);
	struct guest_profile *p = guest_profile_new();
	unsigned long dummy;
	uint64_t v;
	int err, version;
	char *arg;

	if (!lineno)
		lineno = &dummy;
	*lineno = 1;
	if (!line || !p) {
		err = -ENOMEM;
		goto out;
	}
	err = read_line(f, line, GUEST_PROF_LINE_MAX);
	if (err <= 0 || sscanf(line, GUEST_PROFILE_MAGIC " %d", &version) != 1) {
		err = err < 0 && err != -EBADMSG ? err : -EBADMSG;
		goto out;
	}
	if (version > GUEST_PROFILE_VERSION || version < 1) {
		err = -EPROTO;
		goto out;
	}
	for (;;) {
		(*lineno)++;
		err = read_line(f, line, GUEST_PROF_LINE_MAX);
		if (err <= 0) {
			/* A profile ends with its "code" table and "end". */
			err = err ?: -EBADMSG;
			goto out;
		}
		if (!*line || *line == '#')
			continue;
		arg = strchr(line, ' ');
		if (!arg) {
			err = -EBADMSG;
			goto out;
		}
		*arg++ = 0;
		err = 0;
		if (!strcmp(line, "os")) {
			err = strcmp(arg, "linux") ? -EBADMSG : 0;
		} else if (!strcmp(line, "arch") || !strcmp(line, "pointer-size")) {
			if (!strcmp(line, "arch"))
				err = strcmp(arg, "x86_64") && strcmp(arg, "i386") ?
				      -EBADMSG : 0;
			else if (parse_u64_strict(arg, &v) || (v != 4 && v != 8))
				err = -EBADMSG;
			else
				p->pointer_size = v;
		} else if (!strcmp(line, "release")) {
			err = set_string(&p->release, arg, 0);
		} else if (!strcmp(line, "banner")) {
			err = set_string(&p->banner, arg, 1);
			if (!err && strlen(p->banner) >= GUEST_PROF_BANNER_MAX)
				err = -EBADMSG;
		} else if (!strcmp(line, "source")) {
			err = set_string(&p->source, arg, 1);
			if (!err && strlen(p->source) >= GUEST_PROF_BANNER_MAX)
				err = -EBADMSG;
		} else if (!strcmp(line, "text-link")) {
			err = parse_u64_strict(arg, &p->text_link);
		} else if (!strcmp(line, "kernel-map")) {
			err = parse_u64_strict(arg, &p->kernel_map);
		} else if (!strcmp(line, "field")) {
			err = parse_field(p, arg);
		} else if (!strcmp(line, "symbol")) {
			err = parse_symbol(p, arg);
		} else if (!strcmp(line, "acct")) {
			err = parse_acct(p, arg);
		} else if (!strcmp(line, "code")) {
			err = header_only ? 0 : read_code(f, p, arg, line, lineno);
			break;
		}
		/* Anything else: a newer collector's key, skipped. */
		if (err)
			goto out;
	}
	if (!err && !p->release)
		err = -EBADMSG;
out:
	free(line);
	if (err) {
		guest_profile_free(p);
		return err;
	}
	*out = p;
	return 0;
}

int guest_profile_load(const char *path, int header_only, struct guest_profile **out)
{
	FILE *f = fopen(path, "re");
	const char *base;
	int err;

	if (!f)
		return -errno;
	err = guest_profile_read(f, header_only, out, NULL);
	fclose(f);
	if (err)
		return err;
	base = strrchr(path, '/');
	(*out)->name = strdup(base ? base + 1 : path);
	if (!(*out)->name) {
		guest_profile_free(*out);
		return -ENOMEM;
	}
	return 0;
}

int guest_banner_release(const char *banner, char *buf, size_t len)
{
	static const char prefix[] = "Linux version ";
	size_t n;

	if (strncmp(banner, prefix, sizeof(prefix) - 1))
		return -EINVAL;
	banner += sizeof(prefix) - 1;
	n = strcspn(banner, " \n");
	if (!n || n >= len)
		return -EINVAL;
	memcpy(buf, banner, n);
	buf[n] = 0;
	return 0;
}

const struct guest_ksym *guest_profile_find_code(const struct guest_profile *p,
					     uint64_t slide, uint64_t rip,
					     uint64_t *offset, uint64_t *size)
{
	const struct guest_ksym *s;
	uint64_t link = rip - slide;

	if (!p->code)
		return NULL;
	/* A function is never 1 MiB long: further is not this table's code. */
	s = guest_ksyms_find_code(p->code, link, 1 << 20, offset, size);
	/* Past _etext and outside the init text: data, or a module. */
	if (s && p->sym[GUEST_SYM_ETEXT] && link >= p->sym[GUEST_SYM_ETEXT] &&
	    !(p->sym[GUEST_SYM_SINITTEXT] && link >= p->sym[GUEST_SYM_SINITTEXT] &&
	      link < p->sym[GUEST_SYM_EINITTEXT]))
		return NULL;
	if (s && size && (!*size || s->addr + *size > p->sym[GUEST_SYM_ETEXT]) &&
	    link < p->sym[GUEST_SYM_ETEXT])
		*size = p->sym[GUEST_SYM_ETEXT] - s->addr;
	return s;
}

int guest_profile_symbolize(const struct guest_profile *p, uint64_t slide,
			  uint64_t rip, char *buf, size_t len)
{
	const struct guest_ksym *s;
	uint64_t off = 0;
	int n;

	s = guest_profile_find_code(p, slide, rip, &off, NULL);
	if (s)
		n = snprintf(buf, len, "%s+0x%" PRIx64, s->name, off);
	else
		n = snprintf(buf, len, "0x%" PRIx64, rip);
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	return s ? 0 : -ENOENT;
}

void guest_whyf(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
}

static int name_cmp(const void *a, const void *b)
{
	const struct guest_profile *x = *(struct guest_profile *const *)a;
	const struct guest_profile *y = *(struct guest_profile *const *)b;

	return strcmp(x->name, y->name);
}

/* At most this many profiles per directory are looked at. */
#define PROFILE_DIR_MAX 4096

int guest_profile_dir_scan(const char *dir, struct guest_profile ***out, size_t *nr)
{
	struct guest_profile **list = NULL, **grown, *p;
	size_t n = 0, cap = 0;
	struct dirent *de;
	char path[4096];
	DIR *d;
	int err = 0;

	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d)) && n < PROFILE_DIR_MAX) {
		if (de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >=
		    sizeof(path))
			continue;
		/* Not a profile (or a broken one): not a candidate, no error. */
		if (guest_profile_load(path, 1, &p))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			grown = realloc(list, cap * sizeof(*list));
			if (!grown) {
				guest_profile_free(p);
				err = -ENOMEM;
				break;
			}
			list = grown;
		}
		list[n++] = p;
	}
	closedir(d);
	if (err) {
		guest_profile_list_free(list, n);
		return err;
	}
	if (n)
		qsort(list, n, sizeof(*list), name_cmp);
	*out = list;
	*nr = n;
	return 0;
}

void guest_profile_list_free(struct guest_profile **list, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++)
		guest_profile_free(list[i]);
	free(list);
}
