// SPDX-License-Identifier: GPL-2.0
/* The Perfetto trace writer of util/perfetto.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "util/outbuf.h"
#include "util/perfetto.h"

/* Field numbers: util/perfetto_trace.proto. */
enum {
	TRACE_PACKET = 1,
	PACKET_TIMESTAMP = 8, PACKET_SEQUENCE_ID = 10, PACKET_TRACK_EVENT = 11,
	PACKET_INTERNED_DATA = 12, PACKET_SEQUENCE_FLAGS = 13, PACKET_TRACK_DESCRIPTOR = 60,
	PACKET_FIRST_ON_SEQUENCE = 87,
	SEQ_INCREMENTAL_STATE_CLEARED = 1, SEQ_NEEDS_INCREMENTAL_STATE = 2,
	INTERNED_EVENT_CATEGORIES = 1, INTERNED_EVENT_NAMES = 2,
	INTERNED_ANNOTATION_NAMES = 3, INTERNED_ANNOTATION_STRINGS = 29,
	INTERNED_IID = 1, INTERNED_NAME = 2,	/* InternedString's str is 2 too */
	TRACK_UUID = 1, TRACK_NAME = 2, TRACK_PROCESS = 3, TRACK_PARENT_UUID = 5,
	TRACK_COUNTER = 8,
	PROCESS_PID = 1, PROCESS_NAME = 6,
	COUNTER_UNIT_NAME = 6,
	ANNOTATION_NAME_IID = 1, ANNOTATION_UINT = 3, ANNOTATION_POINTER = 7,
	ANNOTATION_STRING_IID = 17,
	EVENT_CATEGORY_IIDS = 3, EVENT_ANNOTATIONS = 4, EVENT_TYPE = 9, EVENT_NAME_IID = 10,
	EVENT_TRACK_UUID = 11, EVENT_COUNTER_VALUE = 30,
	TYPE_SLICE_BEGIN = 1, TYPE_SLICE_END = 2, TYPE_INSTANT = 3, TYPE_COUNTER = 4,
};

/* Every packet's sequence: one writer, one sequence. */
#define SEQUENCE_ID 1

void util_perfetto_init(struct util_perfetto_writer *w, struct util_outbuf *out)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
	util_pb_init(&w->packet);
	util_pb_init(&w->event);
	util_pb_init(&w->sub);
	util_pb_init(&w->arg);
	util_pb_init(&w->interned);
}

int util_perfetto_finish(struct util_perfetto_writer *w)
{
	int err = w->err;

	util_pb_free(&w->packet);
	util_pb_free(&w->event);
	util_pb_free(&w->sub);
	util_pb_free(&w->arg);
	util_pb_free(&w->interned);
	util_strtab_free(&w->names);
	util_strtab_free(&w->categories);
	util_strtab_free(&w->arg_names);
	util_strtab_free(&w->arg_strings);
	return err;
}

/*
 * The iid of @s in @t; if new, it goes into this packet's interned data
 * as entry @field (EventName-like: iid, name).  0 if out of memory.
 */
static uint64_t intern(struct util_perfetto_writer *w, struct util_strtab *t, uint32_t field, const char *s)
{
	size_t index;
	bool added;

	if (w->err)
		return 0;
	if (util_strtab_add(t, s, &index, &added)) {
		w->err = -ENOMEM;
		return 0;
	}
	if (added) {
		util_pb_reset(&w->sub);
		util_pb_uint(&w->sub, INTERNED_IID, index + 1);
		util_pb_string(&w->sub, INTERNED_NAME, s);
		util_pb_message(&w->interned, field, &w->sub);
	}
	return index + 1;
}

/* A packet; @interning: its event may refer to interned data. */
static void packet_begin(struct util_perfetto_writer *w, bool interning)
{
	uint32_t flags = interning ? SEQ_NEEDS_INCREMENTAL_STATE : 0;

	util_pb_reset(&w->packet);
	util_pb_uint(&w->packet, PACKET_SEQUENCE_ID, SEQUENCE_ID);
	if (!w->started) {
		flags |= SEQ_INCREMENTAL_STATE_CLEARED;
		util_pb_uint(&w->packet, PACKET_FIRST_ON_SEQUENCE, 1);
		w->started = true;
	}
	util_pb_uint_nz(&w->packet, PACKET_SEQUENCE_FLAGS, flags);
	if (w->interned.len)
		util_pb_message(&w->packet, PACKET_INTERNED_DATA, &w->interned);
	util_pb_reset(&w->interned);
}

/* The packet, as one Trace.packet field, out. */
static void packet_end(struct util_perfetto_writer *w)
{
	uint8_t head[11];
	size_t n = 0;
	uint64_t len = w->packet.len;

	if (w->err || util_pb_error(&w->packet) || util_pb_error(&w->event) || util_pb_error(&w->sub) ||
	    util_pb_error(&w->arg) || util_pb_error(&w->interned)) {
		w->err = -ENOMEM;
		return;
	}
	head[n++] = TRACE_PACKET << 3 | UTIL_PB_WIRE_LEN;
	do {
		head[n++] = (uint8_t)(len | (len >= 0x80 ? 0x80 : 0));
		len >>= 7;
	} while (len);
	util_out_mem(w->out, (const char *)head, n);
	util_out_mem(w->out, (const char *)w->packet.data, w->packet.len);
	w->packets++;
}

static void descriptor(struct util_perfetto_writer *w, uint64_t uuid, uint64_t parent, const char *name)
{
	util_pb_reset(&w->event);
	util_pb_uint(&w->event, TRACK_UUID, uuid);
	util_pb_uint_nz(&w->event, TRACK_PARENT_UUID, parent);
	if (name)
		util_pb_string(&w->event, TRACK_NAME, name);
}

static void descriptor_end(struct util_perfetto_writer *w)
{
	packet_begin(w, false);
	util_pb_message(&w->packet, PACKET_TRACK_DESCRIPTOR, &w->event);
	packet_end(w);
}

void util_perfetto_process_track(struct util_perfetto_writer *w, uint64_t uuid, int32_t pid, const char *name)
{
	descriptor(w, uuid, 0, NULL);
	util_pb_reset(&w->sub);
	util_pb_uint(&w->sub, PROCESS_PID, (uint64_t)(int64_t)pid);
	util_pb_string(&w->sub, PROCESS_NAME, name);
	util_pb_message(&w->event, TRACK_PROCESS, &w->sub);
	descriptor_end(w);
}

void util_perfetto_child_track(struct util_perfetto_writer *w, uint64_t uuid, uint64_t parent, const char *name)
{
	descriptor(w, uuid, parent, name);
	descriptor_end(w);
}

void util_perfetto_counter_track(struct util_perfetto_writer *w, uint64_t uuid, uint64_t parent, const char *name,
		      const char *unit_name)
{
	descriptor(w, uuid, parent, name);
	util_pb_reset(&w->sub);
	util_pb_string(&w->sub, COUNTER_UNIT_NAME, unit_name);
	util_pb_message(&w->event, TRACK_COUNTER, &w->sub);
	descriptor_end(w);
}

/* One TrackEvent packet at @ns; @name and @category NULL: left out. */
static void event(struct util_perfetto_writer *w, uint64_t ns, unsigned int type, uint64_t track,
		  const char *category, const char *name, const struct util_perfetto_arg *args,
		  size_t nr_args)
{
	util_pb_reset(&w->event);
	util_pb_uint(&w->event, EVENT_TYPE, type);
	util_pb_uint(&w->event, EVENT_TRACK_UUID, track);
	if (category)
		util_pb_uint(&w->event, EVENT_CATEGORY_IIDS,
			intern(w, &w->categories, INTERNED_EVENT_CATEGORIES, category));
	if (name)
		util_pb_uint(&w->event, EVENT_NAME_IID,
			intern(w, &w->names, INTERNED_EVENT_NAMES, name));
	for (size_t i = 0; i < nr_args; i++) {
		util_pb_reset(&w->arg);
		util_pb_uint(&w->arg, ANNOTATION_NAME_IID,
			intern(w, &w->arg_names, INTERNED_ANNOTATION_NAMES, args[i].name));
		if (args[i].str)
			util_pb_uint(&w->arg, ANNOTATION_STRING_IID,
				intern(w, &w->arg_strings, INTERNED_ANNOTATION_STRINGS, args[i].str));
		else
			util_pb_uint(&w->arg, args[i].ptr ? ANNOTATION_POINTER : ANNOTATION_UINT,
				args[i].u);
		util_pb_message(&w->event, EVENT_ANNOTATIONS, &w->arg);
	}
	packet_begin(w, category || name || nr_args);
	util_pb_uint(&w->packet, PACKET_TIMESTAMP, ns);
	util_pb_message(&w->packet, PACKET_TRACK_EVENT, &w->event);
	packet_end(w);
}

void util_perfetto_slice(struct util_perfetto_writer *w, uint64_t track, uint64_t begin_ns, uint64_t end_ns,
	      const char *category, const char *name, const struct util_perfetto_arg *args, size_t nr_args)
{
	event(w, begin_ns, TYPE_SLICE_BEGIN, track, category, name, args, nr_args);
	event(w, end_ns, TYPE_SLICE_END, track, NULL, NULL, NULL, 0);
}

void util_perfetto_instant(struct util_perfetto_writer *w, uint64_t track, uint64_t ns, const char *category,
		const char *name, const struct util_perfetto_arg *args, size_t nr_args)
{
	event(w, ns, TYPE_INSTANT, track, category, name, args, nr_args);
}

void util_perfetto_counter(struct util_perfetto_writer *w, uint64_t track, uint64_t ns, int64_t value)
{
	util_pb_reset(&w->event);
	util_pb_uint(&w->event, EVENT_TYPE, TYPE_COUNTER);
	util_pb_uint(&w->event, EVENT_TRACK_UUID, track);
	util_pb_uint(&w->event, EVENT_COUNTER_VALUE, (uint64_t)value);
	packet_begin(w, false);
	util_pb_uint(&w->packet, PACKET_TIMESTAMP, ns);
	util_pb_message(&w->packet, PACKET_TRACK_EVENT, &w->event);
	packet_end(w);
}
