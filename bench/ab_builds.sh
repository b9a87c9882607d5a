#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Two builds of vmtrace (module and collector) against each other on one
# KVM selftest, in one boot of the 6.1 test host, arms interleaved: did a
# change make recording cost more?  Documentation/overhead.rst has a run.
#
#   bench/ab_builds.sh OLD_TREE     OLD_TREE: another checkout of vmtrace
#                                   (e.g. `git worktree add ../old COMMIT`)
#                                   with user/ and the 6.1 module built
#                                   (make -C user; scripts/build-module 6.1);
#                                   it must be under a path the test host
#                                   sees (not /tmp)
#   bench/ab_builds.sh --inside OLD_TREE   the measuring part (in the test host)
#
# Per round: the workload untraced (vmtrace.ko unloaded), recorded by this
# tree's module and collector and by OLD_TREE's (order swapped every
# round), then with this tree's module loaded and no session ("idle"),
# each recording as bench/kvm_selftests.sh's "bare" arm (--sample-hz 0
# --no-guest --metrics-interval 0).  One line per arm: the workload's wall,
# user and system seconds (/usr/bin/time inside the recorder), and
# record's summary (records, the collector's CPU per million records).
#
# Environment: ROUNDS (default 2), AB_WORKLOAD (default demand_paging_test
# -v 2 -b 1G from bench/kvm_selftests.sh's cache, which --build makes),
# VMTEST_TCG_OPTS (default thread=single, as bench/kvm_selftests.sh).
# About 4 minutes a round for the default workload, plus the boot.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
top=$(dirname "$here")
cache=${KVM_SELFTESTS_DIR:-$top/build/kvm-selftests}
: "${ROUNDS:=2}"
: "${AB_WORKLOAD:=$cache/bin/demand_paging_test -v 2 -b 1G}"
export ROUNDS AB_WORKLOAD

inside() {
	local old=$1 w hold ko_new ko_old r
	ko_new=$top/build/$(uname -r)/kmod/vmtrace.ko
	ko_old=$old/build/$(uname -r)/kmod/vmtrace.ko
	for f in "$ko_new" "$ko_old" "$top/user/vmtrace-collect" "$old/user/vmtrace-collect"; do
		[ -e "$f" ] || { echo "ab_builds: $f is missing" >&2; return 1; }
	done
	w=$(mktemp -d)
	cp "$top/user/vmtrace-collect" "$w/vc-new"
	cp "$old/user/vmtrace-collect" "$w/vc-old"
	# A VM held open, as bench/kvm_selftests.sh does: the workloads' VMs
	# then flip none of KVM's static keys.
	"$top/selftests/lib/kvm_hold" </dev/null >/dev/null 2>&1 &
	hold=$!
	# Expanded now: the trap runs after inside() has returned and its
	# locals are gone (set -u would stop on them).
	# shellcheck disable=SC2064
	trap "kill $hold 2>/dev/null; wait $hold 2>/dev/null; rm -rf '$w'" EXIT
	echo "# ab_builds: $(uname -r), $(nproc) CPUs, rounds $ROUNDS, workload: $AB_WORKLOAD"
	echo "# new: $top ($(git -C "$top" describe --always --dirty 2>/dev/null || echo '?'))"
	echo "# old: $old ($(git -C "$old" describe --always --dirty 2>/dev/null || echo '?'))"
	arm() { # ROUND NAME KO VC
		local name=$2 ko=$3 vc=$4 line
		if [ -d /sys/module/vmtrace ]; then rmmod vmtrace; fi
		if [ -n "$ko" ]; then insmod "$ko"; fi
		rm -f "$w"/tr* "$w/ti"
		if [ -z "$vc" ]; then
			# shellcheck disable=SC2086
			/usr/bin/time -o "$w/ti" -f '%e %U %S' $AB_WORKLOAD >"$w/log" 2>&1
			line=
		else
			# shellcheck disable=SC2086
			"$vc" record -o "$w/tr" --sample-hz 0 --no-guest --metrics-interval 0 -- \
				/usr/bin/time -o "$w/ti" -f '%e %U %S' $AB_WORKLOAD >"$w/log" 2>&1
			line=$(sed -n 's/^vmtrace-collect: \([0-9]*\) records .*/\1 records/p;
				s/^vmtrace-collect: collector CPU \([0-9.]*\) s .*, \([0-9.]*\) s per million records/cpu \1 s, \2 s per M/p' \
				"$w/log" | tr '\n' ' ')
		fi
		printf '%s\t%-8s\t%s\t%s\n' "$1" "$name" "$(tail -n 1 "$w/ti")" "$line"
	}
	printf 'round\tarm     \twall user sys\trecord\n'
	for ((r = 1; r <= ROUNDS; r++)); do
		arm "$r" untraced "" ""
		if ((r % 2)); then
			arm "$r" new "$ko_new" "$w/vc-new"
			arm "$r" old "$ko_old" "$w/vc-old"
		else
			arm "$r" old "$ko_old" "$w/vc-old"
			arm "$r" new "$ko_new" "$w/vc-new"
		fi
		arm "$r" idle "$ko_new" ""
	done
}

if [ "${1:-}" = --inside ]; then
	inside "${2:?OLD_TREE}"
	exit
fi
old=$(cd "${1:?usage: bench/ab_builds.sh OLD_TREE}" && pwd -P)
case $old in /tmp/*) echo "ab_builds: $old: the test host does not see the host's /tmp" >&2; exit 2 ;; esac
"$here/kvm_selftests.sh" --build
make -s -C "$top/user" >&2
make -s -C "$top/selftests" lib/kvm_hold >&2
"$top/scripts/build-module" 6.1 >/dev/null
export VMTEST_TCG_OPTS=${VMTEST_TCG_OPTS-thread=single}
export VMTEST_ENV="${VMTEST_ENV:-} ROUNDS AB_WORKLOAD"
exec "$top/scripts/vmtest" --kernel 6.1 --mem 4096 --timeout $((900 + 600 * ROUNDS)) -- \
	"$here/ab_builds.sh" --inside "$old"
