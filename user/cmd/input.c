// SPDX-License-Identifier: GPL-2.0
/*
 * A trace opened by a reading subcommand (report, script, export): the
 * messages every one of them gives about a file that cannot be opened or
 * that is damaged (trace/input.h does the reading).
 */
#include <stdio.h>
#include <string.h>
#include "trace/input.h"
#include "cmd/cmd.h"

int cmd_input_open(struct trace_input *in, const char *path)
{
	char why[200];
	int err;

	err = trace_input_open(in, path, why, sizeof(why));
	if (err)
		fprintf(stderr, "%s: %s: %s\n", cmd_prog_name, path, why);
	return err;
}

static void warn_damage(const struct trace_input *in)
{
	const struct trace_damage *d = trace_damage(in->reader);

	if (d->bad_frames) {
		fprintf(stderr, "%s: %s: %llu damaged frame%s skipped (%llu bytes; first: %s)\n",
			cmd_prog_name, in->path, (unsigned long long)d->bad_frames,
			d->bad_frames == 1 ? "" : "s", (unsigned long long)d->bad_bytes,
			d->first_problem);
	}
	if (d->missing_frames) {
		fprintf(stderr, "%s: %s: %llu frame%s missing\n", cmd_prog_name, in->path,
			(unsigned long long)d->missing_frames,
			d->missing_frames == 1 ? "" : "s");
	}
	if (d->tail_bytes) {
		fprintf(stderr, "%s: %s: last %llu bytes unusable (an incomplete frame: "
			"the recording was cut short)\n", cmd_prog_name, in->path,
			(unsigned long long)d->tail_bytes);
	} else if (!d->clean_end && !d->trailing_bytes) {
		fprintf(stderr, "%s: %s: no end frame (the recording was cut short)\n",
			cmd_prog_name, in->path);
	}
	if (d->trailing_bytes) {
		fprintf(stderr, "%s: %s: %llu bytes after the end frame ignored\n",
			cmd_prog_name, in->path, (unsigned long long)d->trailing_bytes);
	}
}

int cmd_input_finish(const struct trace_input *in)
{
	const struct trace_damage *d = trace_damage(in->reader);

	if (!d->good_frames && (d->bad_frames || d->tail_bytes)) {
		fprintf(stderr, "%s: %s: no readable frame: corrupt or cut short\n",
			cmd_prog_name, in->path);
		return CMD_EXIT_USAGE;
	}
	warn_damage(in);
	return 0;
}

