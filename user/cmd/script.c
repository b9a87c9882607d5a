// SPDX-License-Identifier: GPL-2.0
/*
 * vmtrace-collect script: every exit, sample and loss marker of a trace,
 * one line each, in file order (time order, as record writes it).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "guest/pt.h"
#include "util/outbuf.h"
#include "trace/input.h"
#include "cmd/cmd.h"

#define CSV_HEADER "time_ns,host_cpu,kind,vm_id,vm_pid,vcpu,exit_code,exit_name," \
	"guest_rip,guest_cr3,guest_mode,guest_pid,guest_tid,guest_comm,symbol,guest_paging\n"

enum script_format { FORMAT_CSV, FORMAT_JSONL };

static void script_usage(FILE *f)
{
	fprintf(f,
		"Usage: %s script [-i FILE] [--format csv|jsonl]\n\n"
		"Prints one line per exit, sample and loss marker of a trace (default\n"
		"vmtrace.vmt).  CSV columns:\n"
		"  %s"
		"time_ns is CLOCK_MONOTONIC in nanoseconds; kind is exit, sample or\n"
		"lost; guest_mode is user or kernel; guest_paging is off, 32, pae, 4\n"
		"or 5 (as peek --paging takes it); rip and cr3 are 0x hex; fields\n"
		"are empty where unknown.  JSON lines have the same keys (unknown ones\n"
		"left out), and lost lines a \"lost\" object of counts per cause.\n"
		"See Documentation/vmtrace-collect-script.rst.\n" CMD_HELP_FOOTER,
		cmd_prog_name, CSV_HEADER);
}

static void csv_line(struct util_outbuf *o, const struct trace_input *in,
		     const struct vmtrace_record *r, const struct trace_event *ev)
{
	util_out_u64(o, trace_meta_mono_ns(in->meta, r->host_tsc));
	util_out_char(o, ',');
	util_out_u64(o, r->host_cpu);
	if (r->kind == VMTRACE_KIND_LOST) {
		util_out_str(o, ",lost,,,,,,,,,,,,,\n");
		return;
	}
	util_out_str(o, r->kind == VMTRACE_KIND_EXIT ? ",exit," : ",sample,");
	if (ev->guest) {
		util_out_u64(o, r->vm_id);
		util_out_char(o, ',');
	} else {
		util_out_char(o, ',');	/* a host sample: no VM */
	}
	util_out_u64(o, r->vmm_pid);
	util_out_char(o, ',');
	if (ev->guest)
		util_out_u64(o, r->vcpu);
	util_out_char(o, ',');
	if (r->kind == VMTRACE_KIND_EXIT) {
		util_out_u64(o, r->exit_reason);
		util_out_char(o, ',');
		if (ev->exit_name)
			util_out_csv_str(o, ev->exit_name);
	} else {
		util_out_char(o, ',');
	}
	util_out_char(o, ',');
	if (ev->state) {
		util_out_hex(o, r->u.g.guest_rip);
		util_out_char(o, ',');
		util_out_hex(o, r->u.g.guest_cr3);
		util_out_str(o, ev->user ? ",user," : ",kernel,");
	} else {
		util_out_str(o, ",,,");
	}
	if (ev->task) {
		util_out_u64(o, ev->task->pid);
		util_out_char(o, ',');
		util_out_u64(o, ev->task->tid);
		util_out_char(o, ',');
		util_out_csv_str(o, ev->task->comm);
		util_out_char(o, ',');
	} else {
		util_out_str(o, ",,,");
	}
	if (ev->have_sym) {
		char offset[24];

		util_out_csv_str(o, ev->sym.name);
		if (ev->sym.offset) {
			snprintf(offset, sizeof(offset), "+0x%llx",
				 (unsigned long long)ev->sym.offset);
			util_out_str(o, offset);
		}
	}
	util_out_char(o, ',');
	if (ev->state)
		util_out_str(o, guest_paging_arg(guest_paging_from_record_mode(r->mode)));
	util_out_char(o, '\n');
}

static void jsonl_line(struct util_outbuf *o, const struct trace_input *in,
		       const struct vmtrace_record *r, const struct trace_event *ev)
{
	util_out_str(o, "{\"time_ns\":");
	util_out_u64(o, trace_meta_mono_ns(in->meta, r->host_tsc));
	util_out_json_key(o, "host_cpu");
	util_out_u64(o, r->host_cpu);
	if (r->kind == VMTRACE_KIND_LOST) {
		util_out_str(o, ",\"kind\":\"lost\",\"lost\":");
		trace_lost_json(o, r->u.lost);
		util_out_str(o, "}\n");
		return;
	}
	util_out_str(o, r->kind == VMTRACE_KIND_EXIT ? ",\"kind\":\"exit\"" :
		   ",\"kind\":\"sample\"");
	if (ev->guest) {
		util_out_json_key(o, "vm_id");
		util_out_u64(o, r->vm_id);
	}
	util_out_json_key(o, "vm_pid");
	util_out_u64(o, r->vmm_pid);
	if (ev->guest) {
		util_out_json_key(o, "vcpu");
		util_out_u64(o, r->vcpu);
	}
	if (r->kind == VMTRACE_KIND_EXIT) {
		util_out_json_key(o, "exit_code");
		util_out_u64(o, r->exit_reason);
		if (ev->exit_name) {
			util_out_json_key(o, "exit_name");
			util_out_json_str(o, ev->exit_name);
		}
	}
	trace_event_json(o, r, ev);
	if (ev->state) {
		util_out_json_key(o, "guest_paging");
		util_out_json_str(o, guest_paging_arg(guest_paging_from_record_mode(r->mode)));
	}
	util_out_str(o, "}\n");
}

int cmd_script(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "format", required_argument, NULL, 'f' },
		CMD_COMMON_OPTIONS,
		{ 0 }
	};
	static struct util_outbuf out;
	enum script_format format = FORMAT_CSV;
	const char *input = "vmtrace.vmt";
	struct trace_input in;
	struct trace_item it;
	int opt, err, ret = 0;

	optind = 1;
	while ((opt = cmd_getopt(argc, argv, ":i:h", longopts, &err)) != -1) {
		switch (opt) {
		case 'i':
			input = optarg;
			break;
		case 'f':
			if (!strcmp(optarg, "csv"))
				format = FORMAT_CSV;
			else if (!strcmp(optarg, "jsonl"))
				format = FORMAT_JSONL;
			else
				return cmd_bad_value("--format", optarg, "csv or jsonl");
			break;
		case 'h':
			script_usage(stdout);
			return 0;
		}
	}
	if (err >= 0)
		return err;
	if (optind != argc)
		return cmd_usage_error("%s: unexpected argument", argv[optind]);
	err = cmd_input_open(&in, input);
	if (err)
		return cmd_input_status(err);

	util_outbuf_init(&out, stdout);
	if (format == FORMAT_CSV)
		util_out_str(&out, CSV_HEADER);
	while ((err = trace_next(in.reader, &it)) > 0) {
		if (it.type != TRACE_ITEM_RECORDS)
			continue;
		for (size_t i = 0; i < it.records.n; i++) {
			const struct vmtrace_record *r = &it.records.recs[i];
			struct trace_event ev;

			if (r->kind != VMTRACE_KIND_EXIT && r->kind != VMTRACE_KIND_SAMPLE &&
			    r->kind != VMTRACE_KIND_LOST)
				continue;
			trace_event_decode(&in, r, TRACE_EV_TASK | TRACE_EV_SYMBOL, &ev);
			if (format == FORMAT_CSV)
				csv_line(&out, &in, r, &ev);
			else
				jsonl_line(&out, &in, r, &ev);
		}
		in.records += it.records.n;
		if (out.err)
			break;
	}
	if (err < 0) {
		fprintf(stderr, "%s: %s: %s\n", cmd_prog_name, input, strerror(-err));
		ret = 1;
	}
	if (util_outbuf_finish(&out) && ret == 0) {
		/* A closed pipe (| head) is the reader's choice, not an error. */
		if (out.err != -EPIPE)
			fprintf(stderr, "%s: writing the output: %s\n", cmd_prog_name,
				strerror(-out.err));
		ret = out.err == -EPIPE ? 0 : 1;
	}
	if (!ret)
		ret = cmd_input_finish(&in);
	trace_input_close(&in);
	return ret;
}
