// SPDX-License-Identifier: GPL-2.0
/*
 * vmtrace-collect top: a live full-screen view of the host's VMs, both
 * sides: per VM the hypervisor's CPU % next to the guest's own accounting,
 * their gap, exits/s and the top exit reasons, memory; Enter on a VM shows
 * its guest processes with CPU % from vmtrace's samples and from the guest
 * kernel, memory and uid.  Flags (N new, U uid, C cpu, M mem, G gap) mark
 * what the baseline finds notable.  --batch prints the same as text.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <ncurses.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "util/options.h"
#include "view/top_view.h"
#include "cmd/cmd.h"
#include "cmd/sample_loop.h"

#define LINE_MAX_COLS 256

struct top {
	struct cmd_sample_loop cli;
	bool batch;
	enum view_top_sort sort;
	unsigned long max_procs;	/* batch: per VM; 0: all */
	bool flagged_only;
	/* The full-screen view. */
	struct trace_snapshot last;
	bool have_last;
	const char *session;
	uint32_t sel_vmm_pid;		/* the selected VM, kept across snapshots */
	bool in_vm;			/* showing the selected VM's processes */
	uint32_t sel_guest_pid;
	size_t first_row;		/* scrolling */
};

static void top_usage(FILE *f)
{
	fprintf(f,
		"Usage: %s top [--batch] [--sort KEY] [--procs N] [--flagged] [options]\n\n"
		"A live view of the VMs, hypervisor and guest side by side.\n"
		"  --batch           print text every interval instead of a full screen\n"
		"  --sort KEY        cpu (default), guest, gap, mem, exits, name, pid, flags\n"
		"  --procs N         --batch: processes shown per VM (default 10; 0: all)\n"
		"  --flagged         only flagged VMs and processes\n",
		cmd_prog_name);
	cmd_sample_loop_usage(f);
	fprintf(f,
		"\nKeys: Up/Down select, Enter shows the VM's processes, Left/Esc back,\n"
		"s/S next/previous sort, f flagged only, q quit.\n"
		"Flags: N new process, U uid outside --admin-uids, C cpu or M memory\n"
		"outside baseline, G hypervisor/guest CPU gap.\n"
		"CPU %% is of one CPU; HV%% is the VMM process as the host sees it, GST%% the\n"
		"time the guest kernel accounted to its tasks, SMP%% from vmtrace's samples.\n"
		"Without vmtrace.ko: the VMs found in /proc, their /proc and guest-memory\n"
		"figures (no exits, no samples; said in the header).\n"
		CMD_HELP_FOOTER);
}

static bool vm_shown(const struct top *t, const struct trace_snapshot_vm *vm)
{
	return !t->flagged_only || vm->flags || vm->proc_flags;
}

static bool proc_shown(const struct top *t, const struct trace_snapshot_proc *p)
{
	return !t->flagged_only || p->flags;
}

static void print_time(FILE *f, uint64_t real_ns)
{
	time_t sec = (time_t)(real_ns / 1000000000ULL);
	struct tm tm;
	char buf[32];

	localtime_r(&sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
	fputs(buf, f);
}

static int batch_tick(struct top *t, struct trace_snapshot *snap, const char *session)
{
	char line[LINE_MAX_COLS], details[4][256];
	size_t i, j, shown;
	int k, n;

	if (snap->interval_s <= 0)
		return 0;	/* no rates yet */
	view_top_sort_snapshot(snap, t->sort);
	printf("vmtrace-collect top  ");
	print_time(stdout, snap->real_ns);
	printf("  interval %.1f s  %zu VMs  %s\n", snap->interval_s, snap->nr_vms, session);
	view_top_vm_header(line, sizeof(line), LINE_MAX_COLS - 1);
	printf("%s\n", line);
	for (i = 0; i < snap->nr_vms; i++) {
		if (!vm_shown(t, &snap->vms[i]))
			continue;
		view_top_vm_line(&snap->vms[i], line, sizeof(line), LINE_MAX_COLS - 1);
		printf("%s\n", line);
	}
	for (i = 0; i < snap->nr_vms; i++) {
		const struct trace_snapshot_vm *vm = &snap->vms[i];

		if (!vm_shown(t, vm))
			continue;
		printf("\n");
		n = view_top_vm_details(vm, details, 4, LINE_MAX_COLS - 1);
		for (k = 0; k < n; k++)
			printf("%s\n", details[k]);
		if (!vm->guest_valid)
			continue;
		view_top_proc_header(line, sizeof(line), LINE_MAX_COLS - 1);
		printf("%s\n", line);
		for (j = 0, shown = 0; j < vm->nr_procs; j++) {
			if (!proc_shown(t, &vm->procs[j]))
				continue;
			if (t->max_procs && shown == t->max_procs)
				break;
			view_top_proc_line(&vm->procs[j], line, sizeof(line), LINE_MAX_COLS - 1);
			printf("%s\n", line);
			shown++;
		}
	}
	printf("\n");
	fflush(stdout);
	return ferror(stdout) ? 1 : 0;
}

/* ---- full screen ---- */

static struct trace_snapshot_vm *selected_vm(struct top *t)
{
	size_t i;

	for (i = 0; i < t->last.nr_vms; i++)
		if (t->last.vms[i].id.vmm_pid == t->sel_vmm_pid &&
		    vm_shown(t, &t->last.vms[i]))
			return &t->last.vms[i];
	return NULL;
}

/* Visible rows: indexes into the list, the selection kept valid. */
static size_t vm_rows(struct top *t, size_t *rows, size_t max, size_t *sel)
{
	size_t i, n = 0;

	*sel = 0;
	for (i = 0; i < t->last.nr_vms && n < max; i++) {
		if (!vm_shown(t, &t->last.vms[i]))
			continue;
		if (t->last.vms[i].id.vmm_pid == t->sel_vmm_pid)
			*sel = n;
		rows[n++] = i;
	}
	if (n && t->last.vms[rows[*sel]].id.vmm_pid != t->sel_vmm_pid)
		t->sel_vmm_pid = t->last.vms[rows[0]].id.vmm_pid;
	return n;
}

static size_t proc_rows(struct top *t, const struct trace_snapshot_vm *vm, size_t *rows,
			size_t max, size_t *sel)
{
	size_t i, n = 0;

	*sel = 0;
	for (i = 0; i < vm->nr_procs && n < max; i++) {
		if (!proc_shown(t, &vm->procs[i]))
			continue;
		if (vm->procs[i].pid == t->sel_guest_pid)
			*sel = n;
		rows[n++] = i;
	}
	if (n && vm->procs[rows[*sel]].pid != t->sel_guest_pid)
		t->sel_guest_pid = vm->procs[rows[0]].pid;
	return n;
}

static void put_line(int y, const char *s, attr_t attr)
{
	move(y, 0);
	clrtoeol();
	attron(attr);
	addnstr(s, COLS);
	attroff(attr);
}

/* Draw rows [first, first + height) of a list, the selection reversed. */
static void draw_list(struct top *t, int y0, int height, size_t n, size_t sel,
		      void (*line)(struct top *t, size_t i, char *buf, bool *flagged),
		      const size_t *rows)
{
	char buf[LINE_MAX_COLS];
	size_t r;
	bool flagged;
	int y;

	if (sel < t->first_row)
		t->first_row = sel;
	if (height > 0 && sel >= t->first_row + (size_t)height)
		t->first_row = sel - (size_t)height + 1;
	for (y = 0; y < height; y++) {
		r = t->first_row + (size_t)y;
		if (r >= n) {
			move(y0 + y, 0);
			clrtoeol();
			continue;
		}
		line(t, rows[r], buf, &flagged);
		put_line(y0 + y, buf, (r == sel ? A_REVERSE : 0) | (flagged ? A_BOLD : 0));
	}
}

static void vm_line_at(struct top *t, size_t i, char *buf, bool *flagged)
{
	view_top_vm_line(&t->last.vms[i], buf, LINE_MAX_COLS, COLS < LINE_MAX_COLS ? COLS : LINE_MAX_COLS - 1);
	*flagged = t->last.vms[i].flags || t->last.vms[i].proc_flags;
}

static const struct trace_snapshot_vm *drawing_vm;

static void proc_line_at(struct top *t, size_t i, char *buf, bool *flagged)
{
	(void)t;
	view_top_proc_line(&drawing_vm->procs[i], buf, LINE_MAX_COLS,
		     COLS < LINE_MAX_COLS ? COLS : LINE_MAX_COLS - 1);
	*flagged = drawing_vm->procs[i].flags != 0;
}

static void draw(struct top *t)
{
	static size_t rows[65536];
	int width = COLS < LINE_MAX_COLS ? COLS : LINE_MAX_COLS - 1, y, k, n;
	char buf[LINE_MAX_COLS], details[4][256];
	struct trace_snapshot_vm *vm;
	size_t nr, sel;

	erase();
	snprintf(buf, sizeof(buf), "vmtrace top  %zu VMs  sort %s%s  %s", t->last.nr_vms,
		 view_top_sort_name(t->sort), t->flagged_only ? "  flagged only" : "",
		 t->have_last ? t->session : "collecting...");
	put_line(0, buf, A_BOLD);
	vm = t->in_vm ? selected_vm(t) : NULL;
	if (t->in_vm && !vm)
		t->in_vm = false;
	if (!t->in_vm) {
		view_top_vm_header(buf, sizeof(buf), width);
		put_line(1, buf, A_REVERSE);
		nr = vm_rows(t, rows, sizeof(rows) / sizeof(rows[0]), &sel);
		draw_list(t, 2, LINES - 3, nr, sel, vm_line_at, rows);
		if (!nr)
			put_line(3, t->have_last ? "  no VMs" : "  collecting the first interval...", 0);
		put_line(LINES - 1, "Enter: processes  s/S: sort  f: flagged  q: quit   "
			 "N new U uid C cpu M mem G gap", A_REVERSE);
	} else {
		n = view_top_vm_details(vm, details, 4, width);
		for (k = 0; k < n; k++)
			put_line(1 + k, details[k], 0);
		y = 1 + n;
		view_top_proc_header(buf, sizeof(buf), width);
		put_line(y, buf, A_REVERSE);
		drawing_vm = vm;
		nr = proc_rows(t, vm, rows, sizeof(rows) / sizeof(rows[0]), &sel);
		draw_list(t, y + 1, LINES - y - 2, nr, sel, proc_line_at, rows);
		if (!nr)
			put_line(y + 2, vm->guest_valid ? "  no processes" :
				 "  guest processes cannot be read (see guest: above)", 0);
		put_line(LINES - 1, "Left/Esc: VMs  s/S: sort  f: flagged  q: quit   "
			 "SMP% samples GST% guest acct", A_REVERSE);
	}
	refresh();
}

/* Move the selection by @delta rows. */
static void move_sel(struct top *t, int delta)
{
	static size_t rows[65536];
	size_t nr, sel, target;
	struct trace_snapshot_vm *vm;

	if (!t->in_vm) {
		nr = vm_rows(t, rows, sizeof(rows) / sizeof(rows[0]), &sel);
	} else {
		vm = selected_vm(t);
		if (!vm)
			return;
		nr = proc_rows(t, vm, rows, sizeof(rows) / sizeof(rows[0]), &sel);
	}
	if (!nr)
		return;
	if (delta < 0)
		target = (size_t)-delta > sel ? 0 : sel - (size_t)-delta;
	else
		target = sel + (size_t)delta >= nr ? nr - 1 : sel + (size_t)delta;
	if (!t->in_vm)
		t->sel_vmm_pid = t->last.vms[rows[target]].id.vmm_pid;
	else
		t->sel_guest_pid = selected_vm(t)->procs[rows[target]].pid;
}

/* Keys until the timeout: 1 to quit. */
static int screen_idle(void *arg, int timeout_ms)
{
	struct top *t = arg;
	int ch;

	timeout(timeout_ms);
	ch = getch();
	switch (ch) {
	case ERR:
		return 0;
	case 'q':
	case 'Q':
		return 1;
	case KEY_UP:
	case 'k':
		move_sel(t, -1);
		break;
	case KEY_DOWN:
	case 'j':
		move_sel(t, 1);
		break;
	case KEY_PPAGE:
		move_sel(t, -(LINES - 4));
		break;
	case KEY_NPAGE:
		move_sel(t, LINES - 4);
		break;
	case '\n':
	case '\r':
	case KEY_ENTER:
	case KEY_RIGHT:
		if (!t->in_vm && selected_vm(t)) {
			t->in_vm = true;
			t->sel_guest_pid = 0;
			t->first_row = 0;
		}
		break;
	case KEY_LEFT:
	case KEY_BACKSPACE:
	case 27:
	case 127:
		if (t->in_vm) {
			t->in_vm = false;
			t->first_row = 0;
		}
		break;
	case 's':
		t->sort = (enum view_top_sort)((t->sort + 1) % __VIEW_TOP_SORT_MAX);
		view_top_sort_snapshot(&t->last, t->sort);
		break;
	case 'S':
		t->sort = (enum view_top_sort)((t->sort + __VIEW_TOP_SORT_MAX - 1) % __VIEW_TOP_SORT_MAX);
		view_top_sort_snapshot(&t->last, t->sort);
		break;
	case 'f':
		t->flagged_only = !t->flagged_only;
		break;
	case KEY_RESIZE:
		break;
	default:
		return 0;
	}
	draw(t);
	return 0;
}

static int top_tick(void *arg, struct trace_snapshot *snap, struct view_sampler *s)
{
	struct top *t = arg;

	t->session = view_sampler_session_status(s);
	if (t->batch)
		return batch_tick(t, snap, t->session);
	if (snap->interval_s <= 0 && t->have_last)
		return 0;
	trace_snapshot_free(&t->last);
	if (trace_snapshot_copy(&t->last, snap))
		return 1;
	view_top_sort_snapshot(&t->last, t->sort);
	t->have_last = snap->interval_s > 0;
	draw(t);
	return 0;
}

int cmd_top(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "batch", no_argument, NULL, 'b' },
		{ "sort", required_argument, NULL, 'o' },
		{ "procs", required_argument, NULL, 'p' },
		{ "flagged", no_argument, NULL, 'f' },
		CMD_COMMON_OPTIONS,
		CMD_SAMPLE_LOOP_OPTIONS,
		{ 0 }
	};
	static struct top t;
	uint64_t v;
	int opt, ret;

	memset(&t, 0, sizeof(t));
	cmd_sample_loop_init(&t.cli);
	t.max_procs = 10;
	optind = 1;
	while ((opt = cmd_getopt(argc, argv, ":bh", longopts, &ret)) != -1) {
		switch (opt) {
		case 'b':
			t.batch = true;
			break;
		case 'o':
			if (view_top_sort_parse(optarg, &t.sort))
				return cmd_bad_value("--sort", optarg, "cpu, guest, gap, mem, exits, name, "
						 "pid or flags");
			break;
		case 'p':
			if (util_parse_u64(optarg, 0, 1000000, &v))
				return cmd_bad_value("--procs", optarg, "not a number of processes "
						 "(0: all)");
			t.max_procs = (unsigned long)v;
			break;
		case 'f':
			t.flagged_only = true;
			break;
		case 'h':
			top_usage(stdout);
			return 0;
		default:
			/* CMD_SAMPLE_LOOP_OPTIONS: a bad value is said there. */
			if (cmd_sample_loop_option(&t.cli, opt, optarg) < 0)
				return CMD_EXIT_USAGE;
		}
	}
	if (ret >= 0)
		return ret;
	if (optind != argc)
		return cmd_usage_error("%s: unexpected argument", argv[optind]);
	if (t.batch)
		return cmd_sample_loop_run(&t.cli, top_tick, NULL, &t);

	setlocale(LC_ALL, "");
	if (!initscr()) {
		fprintf(stderr, "%s: top: cannot use the terminal (try --batch)\n", cmd_prog_name);
		return 1;
	}
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	draw(&t);
	ret = cmd_sample_loop_run(&t.cli, top_tick, screen_idle, &t);
	endwin();
	trace_snapshot_free(&t.last);
	return ret;
}
