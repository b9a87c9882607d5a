#!/bin/sh
# Instructions per exit record in the ring's producer path, counted by
# callgrind (deterministic): kmod/ring.c built natively (bench/ring_bench).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
n=1000000
out=$(mktemp)
trap 'rm -f "$out"' EXIT
valgrind --tool=callgrind --callgrind-out-file="$out" \
	--toggle-collect=produce_exit "$here/ring_bench" $n >/dev/null 2>&1
ir=$(callgrind_annotate "$out" | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }')
echo "ring_instructions_per_exit_record: $(awk -v ir="$ir" -v n=$n 'BEGIN { printf "%.1f", ir / n }') (callgrind, $n records)"
