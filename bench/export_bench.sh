#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Export figures (natively, no KVM needed): `export` to chrome-json,
# perfetto and pprof of the same synthetic mixed traces (bench/gen_trace.c:
# exits of 4 vCPUs and samples of 4 more, guest tasks and symbols) of
# EXPORT_BENCH_RECORDS (default 10 million) records and of a tenth of that:
#  - bytes per event of each output, against the trace's own;
#  - seconds per million records (wall, and CPU beside it);
#  - peak resident memory, at both sizes: a streamed export stays flat.
# The formats take turns, EXPORT_BENCH_ROUNDS (default 3) rounds, so that
# a busy machine weighs on each alike; the figures are each format's
# median.  Prints "name: value unit" lines.
# Environment: EXPORT_BENCH_RECORDS, EXPORT_BENCH_ROUNDS, TRACE_BENCH_DIR
# (scratch space, default build/bench: about 2 GB at 10 million records).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
n=${EXPORT_BENCH_RECORDS:-10000000}
rounds=${EXPORT_BENCH_ROUNDS:-3}
work=${TRACE_BENCH_DIR:-$top/build/bench}
vc=$top/user/vmtrace-collect
mkdir -p "$work"
make -s -C "$top/user" vmtrace-collect trace/libvmttrace.a util/libvmtutil.a
cc -O2 -std=gnu11 -Wall -Wextra -Werror -I"$top/user" -I"$top/include/uapi" \
	-o "$work/gen_trace" "$here/gen_trace.c" "$top/user/trace/libvmttrace.a" \
	"$top/user/util/libvmtutil.a" -lzstd -lm

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

for size in $((n / 10)) "$n"; do
	trace=$work/export-$size.vmt
	"$work/gen_trace" mixed "$size" "$trace"
	echo "# $size records: trace $(stat -c %s "$trace") bytes" \
		"($(awk -v s="$(stat -c %s "$trace")" -v n="$size" 'BEGIN { printf "%.2f", s / n }') bytes per record)"
	: >"$work/export.tsv"
	for _ in $(seq "$rounds"); do
		for fmt in chrome-json perfetto pprof; do
			out=$work/export.out
			/usr/bin/time -o "$work/time" -f '%e %U %S %M' \
				"$vc" export -i "$trace" --format "$fmt" -o "$out"
			read -r wall user sys rss <"$work/time"
			echo "$fmt $wall $(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }') $rss $(stat -c %s "$out")" \
				>>"$work/export.tsv"
			rm -f "$out"
		done
	done
	for fmt in chrome-json perfetto pprof; do
		f() { awk -v f="$fmt" -v c="$1" '$1 == f { print $c }' "$work/export.tsv" | median; }
		wall=$(f 2) cpu=$(f 3) rss=$(f 4) bytes=$(f 5)
		awk -v f="$fmt" -v n="$size" -v w="$wall" -v c="$cpu" -v r="$rss" -v b="$bytes" 'BEGIN {
			printf "export_%s_%d_bytes_per_record: %.1f bytes (%.0f bytes)\n", f, n, b / n, b
			printf "export_%s_%d_seconds_per_million: %.2f s (cpu %.2f s)\n", f, n, w * 1e6 / n, c * 1e6 / n
			printf "export_%s_%d_peak_rss: %d KiB\n", f, n, r
		}'
	done
	rm -f "$trace"
done
