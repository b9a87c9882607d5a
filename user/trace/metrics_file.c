// SPDX-License-Identifier: GPL-2.0
/* Interval metrics files (trace/metrics_file.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "trace/metrics_file.h"

#define V_FIELDS 31
#define E_FIELDS 3
#define G_FIELDS 2
#define P_FIELDS 17

int trace_metrics_escape(const char *s, char *out, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	if (!*s) {
		if (len < 2)
			return -ENOSPC;
		out[0] = '%';
		out[1] = 0;
		return 1;
	}
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		bool plain = c > 0x20 && c < 0x7f && c != '%' && c != ',';

		if (o + (plain ? 1 : 3) >= len)
			return -ENOSPC;
		if (plain) {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = 0;
	return (int)o;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int trace_metrics_unescape(char *s)
{
	char *o = s;
	int hi, lo;

	if (!strcmp(s, "%")) {
		*s = 0;
		return 0;
	}
	while (*s) {
		if (*s != '%') {
			*o++ = *s++;
			continue;
		}
		hi = hexval(s[1]);
		lo = hi < 0 ? -1 : hexval(s[2]);
		if (lo < 0 || (hi == 0 && lo == 0))
			return -EINVAL;
		*o++ = (char)(hi << 4 | lo);
		s += 3;
	}
	*o = 0;
	return 0;
}

static void put_str(FILE *f, const char *s)
{
	char buf[3 * 256 + 2];

	if (trace_metrics_escape(s, buf, sizeof(buf)) < 0)
		snprintf(buf, sizeof(buf), "%%");
	fputc(' ', f);
	fputs(buf, f);
}

static void put_d(FILE *f, double v)
{
	if (isnan(v) || isinf(v))
		v = -1;
	fprintf(f, " %.6g", v);
}

int trace_metrics_file_write_header(FILE *f)
{
	if (fseeko(f, 0, SEEK_END) == 0 && ftello(f) == 0)
		fprintf(f, "%s %d\n", TRACE_METRICS_FILE_MAGIC, TRACE_METRICS_FILE_VERSION);
	return ferror(f) ? -EIO : 0;
}

int trace_metrics_file_write(FILE *f, const struct trace_snapshot *s)
{
	size_t i, j;

	fprintf(f, "S %" PRIu64 " %" PRIu64 " %" PRIu64 " %.6f\n", s->seq, s->mono_ns,
		s->real_ns, s->interval_s);
	for (i = 0; i < s->nr_vms; i++) {
		const struct trace_snapshot_vm *vm = &s->vms[i];
		char macs[TRACE_MAX_MACS * TRACE_MAC_LEN + 1] = "";

		for (j = 0; j < vm->id.nr_macs && j < TRACE_MAX_MACS; j++) {
			if (j)
				strcat(macs, ",");
			strcat(macs, vm->id.macs[j]);
		}
		fprintf(f, "V %u %u", vm->id.vm_id, vm->id.vmm_pid);
		put_str(f, vm->id.name);
		put_str(f, vm->id.uuid);
		/* MACs are written raw: ',' joins them, nothing needs escaping. */
		fprintf(f, " %s", macs[0] ? macs : "%");
		put_str(f, vm->id.comm);
		fprintf(f, " %" PRIu64 " %d", vm->mem_bytes, vm->hv_valid);
		put_d(f, vm->hv_cpu_pct);
		put_d(f, vm->hv_user_pct);
		put_d(f, vm->hv_sys_pct);
		put_d(f, vm->hv_vcpu_pct);
		put_d(f, vm->hv_other_pct);
		put_d(f, vm->hv_run_delay_pct);
		fprintf(f, " %" PRIu64, vm->hv_rss_bytes);
		put_d(f, vm->exits_per_s);
		put_d(f, vm->samples_per_s);
		fprintf(f, " %d", vm->guest_valid);
		put_str(f, vm->guest_status);
		put_d(f, vm->guest_cpu_pct);
		put_d(f, vm->guest_kernel_pct);
		fprintf(f, " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %d",
			vm->guest_mem_total, vm->guest_mem_free, vm->guest_mem_used,
			vm->guest_rss_bytes, vm->gap_valid);
		put_d(f, vm->cpu_gap_pct);
		fprintf(f, " %u %u %u\n", vm->flags, vm->proc_flags, vm->id.nr_vcpus);
		/* Added after version 1's V line: a line of its own, which
		 * older readers skip. */
		fputs("G", f);
		put_d(f, vm->guest_steal_pct);
		put_d(f, vm->hv_exit_pct);
		fputc('\n', f);
		for (j = 0; j < vm->nr_exit_rates; j++) {
			fprintf(f, "E %u", vm->exit_rates[j].reason);
			put_str(f, vm->exit_rates[j].name);
			put_d(f, vm->exit_rates[j].per_s);
			fputc('\n', f);
		}
		for (j = 0; j < vm->nr_procs; j++) {
			const struct trace_snapshot_proc *p = &vm->procs[j];

			fprintf(f, "P %u %u %u %c %d", p->pid, p->ppid, p->uid,
				p->state > 0x20 && p->state < 0x7f ? p->state : '?',
				p->kthread);
			put_str(f, p->comm);
			fprintf(f, " %u %d %" PRIu64 " %" PRIu64, p->nr_threads, p->acct_valid,
				p->utime_ns, p->stime_ns);
			put_d(f, p->guest_cpu_pct);
			put_d(f, p->guest_user_pct);
			put_d(f, p->guest_sys_pct);
			put_d(f, p->sample_cpu_pct);
			fprintf(f, " %d %" PRIu64 " %u\n", p->rss_valid, p->rss_bytes, p->flags);
		}
	}
	return ferror(f) ? -EIO : 0;
}

/* Strict field parsers: false on anything but the whole token. */
static bool get_u64(const char *t, uint64_t *v)
{
	char *end;

	if (*t < '0' || *t > '9')
		return false;
	errno = 0;
	*v = strtoull(t, &end, 10);
	return !*end && !errno;
}

static bool get_u32(const char *t, uint32_t *v)
{
	uint64_t x;

	if (!get_u64(t, &x) || x > UINT32_MAX)
		return false;
	*v = (uint32_t)x;
	return true;
}

static bool get_bool(const char *t, bool *v)
{
	if (strcmp(t, "0") && strcmp(t, "1"))
		return false;
	*v = t[0] == '1';
	return true;
}

static bool get_d(const char *t, double *v)
{
	char *end;

	if (!*t)
		return false;
	*v = strtod(t, &end);
	return !*end && !isnan(*v) && !isinf(*v);
}

static bool get_str(char *t, char *dst, size_t size)
{
	if (trace_metrics_unescape(t) || strlen(t) >= size)
		return false;
	strcpy(dst, t);
	return true;
}

/* Split @line at single spaces into at most @max tokens. */
static size_t split(char *line, char **tok, size_t max)
{
	size_t n = 0;
	char *p = line;

	while (n < max) {
		tok[n++] = p;
		p = strchr(p, ' ');
		if (!p)
			break;
		*p++ = 0;
	}
	return p ? max + 1 : n;
}

static bool parse_vm(char **t, struct trace_snapshot_vm *vm)
{
	uint32_t flags, proc_flags;
	char *mac, *save = NULL;

	memset(vm, 0, sizeof(*vm));
	if (!get_u32(t[0], &vm->id.vm_id) || !get_u32(t[1], &vm->id.vmm_pid) ||
	    !get_str(t[2], vm->id.name, sizeof(vm->id.name)) ||
	    !get_str(t[3], vm->id.uuid, sizeof(vm->id.uuid)))
		return false;
	if (strcmp(t[4], "%"))
		for (mac = strtok_r(t[4], ",", &save); mac; mac = strtok_r(NULL, ",", &save)) {
			if (vm->id.nr_macs == TRACE_MAX_MACS || strlen(mac) != TRACE_MAC_LEN - 1)
				return false;
			strcpy(vm->id.macs[vm->id.nr_macs++], mac);
		}
	return get_str(t[5], vm->id.comm, sizeof(vm->id.comm)) &&
	       get_u64(t[6], &vm->mem_bytes) && get_bool(t[7], &vm->hv_valid) &&
	       get_d(t[8], &vm->hv_cpu_pct) && get_d(t[9], &vm->hv_user_pct) &&
	       get_d(t[10], &vm->hv_sys_pct) && get_d(t[11], &vm->hv_vcpu_pct) &&
	       get_d(t[12], &vm->hv_other_pct) && get_d(t[13], &vm->hv_run_delay_pct) &&
	       get_u64(t[14], &vm->hv_rss_bytes) && get_d(t[15], &vm->exits_per_s) &&
	       get_d(t[16], &vm->samples_per_s) && get_bool(t[17], &vm->guest_valid) &&
	       get_str(t[18], vm->guest_status, sizeof(vm->guest_status)) &&
	       get_d(t[19], &vm->guest_cpu_pct) && get_d(t[20], &vm->guest_kernel_pct) &&
	       get_u64(t[21], &vm->guest_mem_total) && get_u64(t[22], &vm->guest_mem_free) &&
	       get_u64(t[23], &vm->guest_mem_used) && get_u64(t[24], &vm->guest_rss_bytes) &&
	       get_bool(t[25], &vm->gap_valid) && get_d(t[26], &vm->cpu_gap_pct) &&
	       get_u32(t[27], &flags) && get_u32(t[28], &proc_flags) &&
	       get_u32(t[29], &vm->id.nr_vcpus) && flags <= TRACE_SNAPSHOT_F_ALL &&
	       proc_flags <= TRACE_SNAPSHOT_F_ALL && (vm->flags = flags, vm->proc_flags = proc_flags, true);
}

static bool parse_proc(char **t, struct trace_snapshot_proc *p)
{
	uint32_t flags;

	memset(p, 0, sizeof(*p));
	if (strlen(t[3]) != 1)
		return false;
	p->state = t[3][0];
	return get_u32(t[0], &p->pid) && get_u32(t[1], &p->ppid) &&
	       get_u32(t[2], &p->uid) && get_bool(t[4], &p->kthread) &&
	       get_str(t[5], p->comm, sizeof(p->comm)) && get_u32(t[6], &p->nr_threads) &&
	       get_bool(t[7], &p->acct_valid) && get_u64(t[8], &p->utime_ns) &&
	       get_u64(t[9], &p->stime_ns) && get_d(t[10], &p->guest_cpu_pct) &&
	       get_d(t[11], &p->guest_user_pct) && get_d(t[12], &p->guest_sys_pct) &&
	       get_d(t[13], &p->sample_cpu_pct) && get_bool(t[14], &p->rss_valid) &&
	       get_u64(t[15], &p->rss_bytes) && get_u32(t[16], &flags) &&
	       flags <= TRACE_SNAPSHOT_F_ALL && (p->flags = flags, true);
}

void trace_metrics_series_free(struct trace_metrics_series *s)
{
	size_t i;

	for (i = 0; i < s->nr; i++)
		trace_snapshot_free(&s->snaps[i]);
	free(s->snaps);
	memset(s, 0, sizeof(*s));
}

static void *grow(void *p, size_t nr, size_t elem)
{
	/* Double at powers of two: amortised O(1) appends. */
	if (nr & (nr - 1))
		return p;
	return realloc(p, (nr ? 2 * nr : 1) * elem);
}

int trace_metrics_series_add(struct trace_metrics_series *s, const struct trace_snapshot *snap)
{
	void *np = grow(s->snaps, s->nr, sizeof(*s->snaps));

	if (!np)
		return -ENOMEM;
	s->snaps = np;
	if (trace_snapshot_copy(&s->snaps[s->nr], snap))
		return -ENOMEM;
	s->nr++;
	return 0;
}

static int cmp_pid(const void *a, const void *b)
{
	const struct trace_snapshot_proc *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

/*
 * Where trace_metrics_file_read() is: the snapshot and VM that the next lines add
 * to (NULL after a line that could not be read, so that what depends on
 * it is not taken for part of another).  Each line reader returns 0, 1
 * for a malformed line (counted) or -ENOMEM.
 */
struct file_reader {
	struct trace_metrics_series *out;
	struct trace_snapshot *snap;
	struct trace_snapshot_vm *vm;
};

/* "S seq mono_ns real_ns interval_s": a snapshot begins. */
static int read_snapshot_line(struct file_reader *r, char *rest)
{
	char *tok[4];
	struct trace_snapshot s = { 0 };
	uint64_t seq;
	void *np;

	r->snap = NULL;
	r->vm = NULL;
	if (split(rest, tok, 4) != 4 || !get_u64(tok[0], &seq) ||
	    !get_u64(tok[1], &s.mono_ns) || !get_u64(tok[2], &s.real_ns) ||
	    !get_d(tok[3], &s.interval_s) || r->out->nr == TRACE_METRICS_FILE_MAX_SNAPSHOTS)
		return 1;
	s.seq = seq;
	np = grow(r->out->snaps, r->out->nr, sizeof(*r->out->snaps));
	if (!np)
		return -ENOMEM;
	r->out->snaps = np;
	r->snap = &r->out->snaps[r->out->nr++];
	*r->snap = s;
	return 0;
}

/* "V ...": a VM of the current snapshot. */
static int read_vm_line(struct file_reader *r, char *rest)
{
	char *tok[V_FIELDS + 2];
	struct trace_snapshot *snap = r->snap;
	struct trace_snapshot_vm v;
	void *np;

	r->vm = NULL;
	if (!snap || split(rest, tok, V_FIELDS - 1) != V_FIELDS - 1 || !parse_vm(tok, &v) ||
	    snap->nr_vms == TRACE_METRICS_FILE_MAX_VMS)
		return 1;
	np = grow(snap->vms, snap->nr_vms, sizeof(*snap->vms));
	if (!np)
		return -ENOMEM;
	snap->vms = np;
	r->vm = &snap->vms[snap->nr_vms++];
	*r->vm = v;
	/* Unknown unless a G line follows (older writers). */
	r->vm->guest_steal_pct = r->vm->hv_exit_pct = -1;
	return 0;
}

/* "G steal exit_handling": more of the current VM. */
static int read_guest_line(struct file_reader *r, char *rest)
{
	char *tok[G_FIELDS + 1];
	struct trace_snapshot_vm *vm = r->vm;

	if (vm && split(rest, tok, G_FIELDS) == G_FIELDS &&
	    get_d(tok[0], &vm->guest_steal_pct) && get_d(tok[1], &vm->hv_exit_pct))
		return 0;
	if (vm)
		vm->guest_steal_pct = vm->hv_exit_pct = -1;
	return 1;
}

/* "E reason name per_s": one exit reason's rate of the current VM. */
static int read_exit_line(struct file_reader *r, char *rest)
{
	char *tok[E_FIELDS + 1];
	struct trace_snapshot_vm *vm = r->vm;
	struct trace_snapshot_exit_rate *e;

	if (!vm || split(rest, tok, E_FIELDS) != E_FIELDS ||
	    vm->nr_exit_rates == TRACE_SNAPSHOT_MAX_EXIT_REASONS)
		return 1;
	e = &vm->exit_rates[vm->nr_exit_rates];
	if (!get_u32(tok[0], &e->reason) || !get_str(tok[1], e->name, sizeof(e->name)) ||
	    !get_d(tok[2], &e->per_s))
		return 1;
	vm->nr_exit_rates++;
	return 0;
}

/* "P ...": a guest process of the current VM. */
static int read_proc_line(struct file_reader *r, char *rest)
{
	char *tok[P_FIELDS + 1];
	struct trace_snapshot_vm *vm = r->vm;
	struct trace_snapshot_proc p;
	void *np;

	if (!vm || split(rest, tok, P_FIELDS) != P_FIELDS || !parse_proc(tok, &p) ||
	    vm->nr_procs == TRACE_METRICS_FILE_MAX_PROCS)
		return 1;
	np = grow(vm->procs, vm->nr_procs, sizeof(*vm->procs));
	if (!np)
		return -ENOMEM;
	vm->procs = np;
	vm->procs[vm->nr_procs++] = p;
	return 0;
}

int trace_metrics_file_read(FILE *f, struct trace_metrics_series *out)
{
	char line[TRACE_METRICS_FILE_MAX_LINE + 2];
	struct file_reader r = { .out = out };
	int version, ret;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (!fgets(line, sizeof(line), f))
		return ferror(f) ? -EIO : -EMEDIUMTYPE;
	if (sscanf(line, TRACE_METRICS_FILE_MAGIC " %d", &version) != 1)
		return -EMEDIUMTYPE;
	if (version > TRACE_METRICS_FILE_VERSION)
		return -EPROTONOSUPPORT;
	while (fgets(line, sizeof(line), f)) {
		size_t len = strlen(line);

		/* Over-long or torn (no newline: the writer died) lines. */
		if (!len || line[len - 1] != '\n') {
			out->bad_lines++;
			while (len && line[len - 1] != '\n' && fgets(line, sizeof(line), f))
				len = strlen(line);
			continue;
		}
		line[len - 1] = 0;
		if (line[0] && line[1] != ' ') {
			out->bad_lines++;
			continue;
		}
		switch (line[0]) {
		case 'S': ret = read_snapshot_line(&r, line + 2); break;
		case 'V': ret = read_vm_line(&r, line + 2); break;
		case 'G': ret = read_guest_line(&r, line + 2); break;
		case 'E': ret = read_exit_line(&r, line + 2); break;
		case 'P': ret = read_proc_line(&r, line + 2); break;
		default: ret = 0; break;	/* a later version's line */
		}
		if (ret < 0)
			goto fail;
		out->bad_lines += ret;
	}
	if (ferror(f)) {
		ret = -EIO;
		goto fail;
	}
	/* Lookups (trace_snapshot_find_proc) want processes by pid, whatever the file
	 * had them in. */
	for (n = 0; n < out->nr; n++) {
		size_t i;

		for (i = 0; i < out->snaps[n].nr_vms; i++)
			if (out->snaps[n].vms[i].nr_procs)
				qsort(out->snaps[n].vms[i].procs, out->snaps[n].vms[i].nr_procs,
				      sizeof(struct trace_snapshot_proc), cmp_pid);
	}
	return 0;
fail:
	trace_metrics_series_free(out);
	return ret;
}
