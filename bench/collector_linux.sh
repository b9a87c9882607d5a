#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What vmtrace-collect record costs in CPU on a real Linux guest, per arm:
# the collector's own CPU time (record's summary line "collector CPU"),
# the records it wrote and what that is per million records.  One boot of
# the 6.1 test host; in it, make demo's Linux guest (a CPU burner, an idle
# process, two spinning threads), and DURATION seconds of recording in
# each arm:
#
#   bare      --sample-hz 0 --no-guest --metrics-interval 0   (exits only)
#   sampling  --sample-hz 1000 --no-guest --metrics-interval 0
#   guest     --sample-hz 1000 --metrics-interval 0   (guest decoding: the
#             vCPUs' current task polled every 1 ms, tasks walked)
#   default   --sample-hz 1000   (and interval metrics every 1 s)
#
#   bench/collector_linux.sh            boots the test host and runs it
#   bench/collector_linux.sh --inside   the measuring part (in the test host)
#
# Environment: DURATION=20, ROUNDS=1, ARMS (default: all four, in the
# order above), COLLECTORS ("NAME=PATH ...": collector binaries to compare
# in one boot, each arm run with each in turn, round after round; default
# this tree's), VMTEST_TCG_OPTS (scripts/vmtest; the
# default here is one host thread per vCPU, as make demo: a nested Linux
# guest does not boot in time single-threaded, see Documentation/testing.rst).
# Output: one line per arm and round, and "name: value" lines as bench/run
# expects.  Documentation/overhead.rst has the figures.
set -u

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
vc=$top/user/vmtrace-collect

if [ "${1:-}" != --inside ]; then
	make -s -C "$top/user" && make -s -C "$top/selftests" lib/kvm_hold guest/vmtguest || exit 1
	VMTEST_TCG_OPTS=${VMTEST_TCG_OPTS-} exec "$top/scripts/vmtest" --kernel 6.1 --timeout 1800 \
		-- env DURATION="${DURATION:-20}" ROUNDS="${ROUNDS:-1}" \
		ARMS="${ARMS:-bare sampling guest default}" COLLECTORS="${COLLECTORS:-}" \
		"$0" --inside
fi

duration=${DURATION:-20} rounds=${ROUNDS:-1}
out=${VMTEST_OUT:-$(mktemp -d)}
gdir=$top/selftests/guest
"$top/selftests/lib/kvm_hold" </dev/null >/dev/null 2>&1 &
hold=$!
until [ "$(cat "/proc/$hold/comm" 2>/dev/null)" = kvm_hold-ready ]; do sleep 0.1; done
append=noxsave
case $(uname -r) in 6.1.*) append="$append no5lvl" ;; esac
qpid=$("$top/scripts/l2guest" --log "$out/l2-console.log" --init "$gdir/init.sh" \
	--prog "$gdir/vmtguest" --append "$append" --wait-for '^guest: ready' --within 300) ||
	{ echo "the guest did not boot" >&2; exit 1; }
trap '"$top/scripts/l2guest" --stop "$qpid"; kill "$hold"' EXIT
mkdir -p "$out/profiles"
"$vc" profile create --btf /sys/kernel/btf/vmlinux --system-map /proc/kallsyms \
	--banner "$(cat /proc/version)" -o "$out/profiles/$(uname -r)" >/dev/null || exit 1

declare -A args=(
	[bare]="--sample-hz 0 --no-guest --metrics-interval 0"
	[sampling]="--sample-hz 1000 --no-guest --metrics-interval 0"
	[guest]="--sample-hz 1000 --metrics-interval 0"
	[default]="--sample-hz 1000"
)
read -r -a arms <<<"${ARMS:-bare sampling guest default}"
read -r -a collectors <<<"${COLLECTORS:-}"
[ ${#collectors[@]} -gt 0 ] || collectors=("=$vc")
printf '%-18s %5s %9s %9s %8s %12s\n' arm round records "cpu s" "% cpu" "s/M records"
for r in $(seq "$rounds"); do
	for arm in "${arms[@]}"; do
		for c in "${collectors[@]}"; do
			name=${c%%=*} bin=${c#*=}
			label=$arm${name:+/$name}
			# shellcheck disable=SC2086 # the arm's options, word by word
			"$bin" record -o "$out/c.vmt" -d "$duration" --vm "$qpid" \
				--profile-dir "$out/profiles" ${args[$arm]} \
				2>"$out/${label//\//-}-$r.err" >/dev/null
			recs=$(grep -o -m1 '[0-9]* records (' "$out/${label//\//-}-$r.err" | cut -d' ' -f1)
			read -r cpu pct <<<"$(sed -n 's/.*collector CPU \([0-9.]*\) s (\([0-9.]*\) %.*/\1 \2/p' \
				"$out/${label//\//-}-$r.err")"
			per=$(awk -v c="$cpu" -v n="$recs" 'BEGIN { printf "%.1f", n ? c * 1e6 / n : 0 }')
			printf '%-18s %5d %9s %9s %8s %12s\n' "$label" "$r" "$recs" "$cpu" "$pct" "$per"
			echo "collector_linux_${label//\//_}_cpu_pct: $pct %" >>"$out/names"
			rm -f "$out/c.vmt"
		done
	done
done
cat "$out/names"
