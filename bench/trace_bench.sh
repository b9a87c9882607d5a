#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Trace file figures (natively, no KVM needed):
#  - bytes per record on disk and compression ratio (against the module's
#    64-byte records) of synthetic traces (bench/gen_trace.c, written
#    through the real writer): an exit storm, an exit-heavy mix, samples,
#    and exits and samples mixed;
#  - report and script speed, records per second, on a trace of
#    TRACE_BENCH_RECORDS (default 10 million) records, next to perf report
#    and perf script on a perf.data of about as many cpu-clock samples
#    recorded on this machine, in the same run.
# Prints "name: value unit" lines; speeds are wall-clock, with the CPU
# time (user + sys) beside them, since a busy machine stretches wall time.
# Environment: TRACE_BENCH_RECORDS, TRACE_BENCH_DIR (scratch space, default
# build/bench: a few hundred MB), TRACE_BENCH_PERF=0 to skip perf.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
n=${TRACE_BENCH_RECORDS:-10000000}
work=${TRACE_BENCH_DIR:-$top/build/bench}
vc=$top/user/vmtrace-collect
mkdir -p "$work"

cc -O2 -std=gnu11 -Wall -Wextra -Werror -I"$top/user" -I"$top/include/uapi" \
	-o "$work/gen_trace" "$here/gen_trace.c" "$top/user/trace/libvmttrace.a" \
	"$top/user/util/libvmtutil.a" -lzstd -lm

# run NAME CMD...: time CMD (stdout to /dev/null); sets wall and cpu (s).
run() {
	/usr/bin/time -o "$work/time" -f '%e %U %S' "$@" >/dev/null 2>"$work/stderr" ||
		{ echo "!! $*: failed" >&2; cat "$work/stderr" >&2; return 1; }
	wall=$(awk '{ print $1 }' "$work/time")
	cpu=$(awk '{ printf "%.2f", $2 + $3 }' "$work/time")
}

rate() { # RECORDS SECONDS
	awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'
}

echo "# trace size: $n records each, zstd level 3 unless said"
for kind in storm exits samples mixed; do
	f=$work/$kind.vmt
	run "$work/gen_trace" "$kind" "$n" "$f"
	size=$(stat -c %s "$f")
	awk -v k="$kind" -v s="$size" -v n="$n" -v w="$wall" 'BEGIN {
		printf "trace_%s_bytes_per_record: %.2f bytes\n", k, s / n
		printf "trace_%s_compression_ratio: %.1f :1\n", k, 64 * n / s
		printf "trace_%s_write_rate: %.0f records/s\n", k, (w > 0 ? n / w : 0)
	}'
done
# Other zstd levels, on a tenth of the records (level 19 is slow).
nl=$(( n / 10 ))
for level in 1 3 9 19; do
	run "$work/gen_trace" exits "$nl" "$work/level.vmt" "$level"
	size=$(stat -c %s "$work/level.vmt")
	awk -v l="$level" -v s="$size" -v n="$nl" -v w="$wall" 'BEGIN {
		printf "trace_exits_level%d_bytes_per_record: %.2f bytes (written at %.0f records/s)\n", l, s / n, (w > 0 ? n / w : 0)
	}'
done
rm -f "$work/level.vmt"

echo "# speed on the mixed trace ($n records: exits of 4 vCPUs, samples of 4 more)"
mixed=$work/mixed.vmt
for args in "report --by exit" "report --by vm,vcpu,exit" "report --by vm,symbol --top 20" \
	"report --by vm,process,symbol --top 5" "script" "script --format jsonl" \
	"export --format folded"; do
	# shellcheck disable=SC2086
	run "$vc" $args -i "$mixed"
	name=$(echo "$args" | tr ' ,' '__' | tr -s '_' | sed 's/-//g')
	echo "vmtrace_${name}: $(rate "$n" "$wall") records/s (wall $wall s, cpu $cpu s)"
done

if [ "${TRACE_BENCH_PERF:-1}" = 0 ] || ! command -v perf >/dev/null; then
	echo "# perf comparison skipped"
	exit 0
fi
# perf: cpu-clock at its fastest (a 10 us period, per CPU, every CPU
# busy), for as long as it takes to get about $n samples.
ncpu=$(nproc)
secs=$(( n / (100000 * ncpu) + 1 ))
echo "# perf.data: cpu-clock -c 10000 -a for $secs s on $ncpu CPUs"
busy=()
for _ in $(seq "$ncpu"); do
	yes >/dev/null &
	busy+=($!)
done
perf record -q -e cpu-clock -c 10000 -a -m 16M -o "$work/perf.data" -- sleep "$secs" \
	>/dev/null 2>&1 || true
kill "${busy[@]}" 2>/dev/null || true
wait "${busy[@]}" 2>/dev/null || true
samples=$(perf report -i "$work/perf.data" --stdio --sort cpu 2>/dev/null |
	awk '/^# Samples:/ { print; exit }')
exact=$(perf script -i "$work/perf.data" -F cpu 2>/dev/null | wc -l)
echo "perf_data_samples: $exact ($samples)"
echo "perf_data_bytes_per_sample: $(awk -v s="$(stat -c %s "$work/perf.data")" -v n="$exact" \
	'BEGIN { printf "%.1f", s / n }') bytes"
run perf report -i "$work/perf.data" --stdio
echo "perf_report: $(rate "$exact" "$wall") samples/s (wall $wall s, cpu $cpu s)"
run perf script -i "$work/perf.data"
echo "perf_script: $(rate "$exact" "$wall") samples/s (wall $wall s, cpu $cpu s)"
rm -f "$work/perf.data" "$work/perf.data.old"
