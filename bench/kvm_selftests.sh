#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Where the time goes when vmtrace records KVM's own selftests: the wall
# time of a workload untraced, with vmtrace.ko loaded but idle, recorded by
# vmtrace-collect with more and more of its work switched on, and recorded
# by trace-cmd and by perf kvm stat instead; the recorder's CPU seconds and
# the records it got and lost.  Documentation/overhead.rst has the figures
# and what they mean.
#
#   bench/kvm_selftests.sh            build (cached), then one boot of the
#                                     6.1 test host that runs every arm
#                                     (more if it dies: see BENCH_BOOTS)
#   bench/kvm_selftests.sh --build    only build the two KVM selftests
#   bench/kvm_selftests.sh --inside   the measuring part; runs in the test
#                                     host (scripts/vmtest runs it)
#
# Workloads (in the test host, which has 2 emulated CPUs; sizes chosen so
# that each runs some 15 - 30 s untraced under QEMU TCG: measured 29 s,
# 16 s and 5 - 12 s with one host thread per vCPU, the storm 18 s
# single-threaded):
#   empty           /bin/true: what each recorder costs by itself (start,
#                   stop, writing out), whatever it records
#   demand_paging   KVM's demand_paging_test  $DP_ARGS  (-v 2 -b 1G: two
#                   vCPUs each touch 1 GiB of fresh guest memory once, one
#                   nested page fault exit per 4 KiB page)
#   dirty_log_perf  KVM's dirty_log_perf_test $DLP_ARGS (-v 2 -b 256M -i 3:
#                   two vCPUs dirty 256 MiB each, 3 iterations of getting
#                   and clearing the dirty log)
#   exit_storm      selftests/vmtrace/guest_exits $STORM_ARGS
#                   (--vcpus 2 --writes 100000: port writes, one exit to
#                   user space each; vCPU 1 makes twice as many)
# Arms (each workload once per arm and round; per round the untraced runs
# first, then each workload's other arms, their order rotated round by
# round, so that the machine's load falls on every arm alike):
#   untraced   rmmod vmtrace first (insmod again before the next arm)
#   idle       vmtrace.ko loaded, no session
#   bare       vmtrace-collect record --sample-hz 0 --no-guest --metrics-interval 0
#   sampling   vmtrace-collect record --sample-hz 1000 --no-guest --metrics-interval 0
#   guest      vmtrace-collect record --sample-hz 1000 --metrics-interval 0
#   default    vmtrace-collect record --sample-hz 1000   (metrics every 1 s)
#   trace-cmd  trace-cmd record -e kvm:kvm_exit -e kvm:kvm_entry
#   perf       perf kvm stat record
# Each recorder runs "-- /usr/bin/time WORKLOAD", so that the workload's own
# wall and CPU time are measured inside it; the recorder's CPU seconds are
# the whole command's (/usr/bin/time around the recorder, which counts its
# reaped children) minus the workload's.  Kernel work done on the vCPU
# threads (vmtrace's probes, ftrace's, perf's) is the workload's CPU time.
# Traces go to the test host's /tmp (tmpfs) and are deleted after each arm
# once counted; what each command printed stays in $VMTEST_OUT/raw.
#
# Environment (all optional):
#   ROUNDS=1         rounds (each: every workload in every arm)
#   TESTS="empty demand_paging dirty_log_perf exit_storm"   which workloads
#   ARMS="untraced idle bare sampling guest default trace-cmd perf"
#   DP_ARGS, DLP_ARGS, STORM_ARGS   the workloads' arguments (above)
#   ARM_TIMEOUT=600  seconds one arm may take before it is killed
#   BENCH_TIMEOUT    scripts/vmtest --timeout (default 600 + 3600 * ROUNDS)
#   VMTEST_TCG_OPTS=thread=single   QEMU's -accel tcg options (scripts/vmtest).
#                    Single-threaded TCG, as make stress: the untraced arm
#                    unloads and reloads vmtrace.ko, i.e. live-patches KVM's
#                    code, and with one host thread per vCPU (set it empty)
#                    three long boots out of three went wrong (guests shut
#                    down with a triple fault, the module unloaded or not;
#                    runs hung; twice "corrupted stack end detected inside
#                    scheduler"); single-threaded, the one boot tried (the
#                    exit storm's arms, 4 minutes) was clean.  See
#                    Documentation/overhead.rst.
#   BENCH_MEM=4096   the test host's memory, MiB (traces live in its tmpfs)
#   KVM_SELFTESTS_DIR=build/kvm-selftests   the build cache
#   BENCH_BOOTS=3    boots at most: should the test host die (a panic, the
#                    timeout), the arm it died in becomes a "died" row with
#                    the panic line, and a new boot goes on with the rest
#   RESUME=1         keep the rows of an earlier run that succeeded (or
#                    were skipped) and run only the others (failed, died,
#                    not run), in new boots; replaced rows go to
#                    results/superseded.tsv
#   VMTEST_OUT_DIR   where the results land (default
#                    build/kvm-selftests/results; replaced on every run)
# Output: the table (also results/table.txt), then "name: value" lines as
# bench/run expects; results/results.tsv has every run's figures,
# results/bootN/ each boot's files as scripts/vmtest leaves them (console,
# dmesg) and results/bootN/raw/ every command's output, /usr/bin/time's
# figures ("wall user sys") and trace-cmd's ring buffer stats.  The exit
# status is 1 if the test host died in any arm.
#
# Cost, on a 2-core machine: the build reads the whole of
# /usr/src/linux-source-6.1.tar.xz once (about 13 s of xz) and compiles for
# about 6 s (20 s in all); it keeps some 7 MB (the few source directories the KVM
# selftests' Makefile needs, and the two programs) in build/kvm-selftests/.
# A second run reuses it.  The user-space headers are the installed
# linux-libc-dev's when its version is linux-source-6.1's (it comes from the
# same Debian source package); else "make headers_install" of the tarball
# (about 90 MB more unpacked, two minutes more).  The measuring boot took
# about 20 minutes with one host thread per vCPU (every arm but the storm's
# in 12 minutes, not counting two runs that hung; the storm's 8 arms take 4
# - 5); single-threaded (the default) the storm ran about 1.7 times slower:
# expect 35 - 40 minutes (an estimate).
# Needs: linux-source-6.1, make, gcc; trace-cmd and linux-perf for those
# arms (an arm whose tool is missing or refuses to run is printed as
# skipped, with the reason).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
top=$(dirname "$here")
cache=${KVM_SELFTESTS_DIR:-$top/build/kvm-selftests}
tarball=/usr/src/linux-source-6.1.tar.xz

: "${ROUNDS:=1}"
: "${TESTS:=empty demand_paging dirty_log_perf exit_storm}"
: "${ARMS:=untraced idle bare sampling guest default trace-cmd perf}"
: "${DP_ARGS:=-v 2 -b 1G}"
: "${DLP_ARGS:=-v 2 -b 256M -i 3}"
: "${STORM_ARGS:=--vcpus 2 --writes 100000}"
: "${ARM_TIMEOUT:=600}"
export ROUNDS TESTS ARMS DP_ARGS DLP_ARGS STORM_ARGS ARM_TIMEOUT KVM_SELFTESTS_DIR=$cache

# ---------------------------------------------------------------------------
# Build: demand_paging_test and dirty_log_perf_test from Debian's source.
build() {
	local src=$cache/src bin=$cache/bin stamp key hdr_ver src_ver
	[ -r "$tarball" ] || { echo "kvm_selftests: $tarball missing (apt-get install linux-source-6.1)" >&2; return 1; }
	src_ver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null || echo unknown)
	hdr_ver=$(dpkg-query -W -f='${Version}' linux-libc-dev 2>/dev/null || echo none)
	local headers=system
	if [ "$hdr_ver" != "$src_ver" ] || [ -n "${KVM_SELFTESTS_HEADERS_INSTALL:-}" ]; then
		headers=install
	fi
	key="$(stat -c '%s %Y' "$tarball") $src_ver headers=$headers libc-dev=$hdr_ver"
	stamp=$cache/stamp
	if [ -x "$bin/demand_paging_test" ] && [ -x "$bin/dirty_log_perf_test" ] &&
	   [ "$(cat "$stamp" 2>/dev/null)" = "$key" ]; then
		return 0
	fi
	echo "kvm_selftests: building demand_paging_test and dirty_log_perf_test from $tarball ($src_ver, headers: $headers)" >&2
	rm -rf "$src" "$bin" "$stamp"
	mkdir -p "$src" "$bin"
	local p=linux-source-6.1 parts
	# What tools/testing/selftests/kvm's Makefile reads, and no more.
	parts="$p/scripts/subarch.include $p/tools/build $p/tools/include
		$p/tools/arch/x86/include $p/tools/lib/rbtree.c
		$p/tools/testing/selftests/lib.mk $p/tools/testing/selftests/kselftest.h
		$p/tools/testing/selftests/kselftest_harness.h
		$p/tools/testing/selftests/kvm"
	if [ "$headers" = install ]; then
		# make headers_install: the top Makefile, scripts and the uapi trees.
		parts="$parts $p/Makefile $p/scripts $p/include $p/arch/x86"
	fi
	# shellcheck disable=SC2086
	tar -xJf "$tarball" -C "$src" --strip-components=1 $parts
	if [ "$headers" = install ]; then
		make -s -C "$src" ARCH=x86 headers_install INSTALL_HDR_PATH="$src/usr" >&2
	fi
	# Without $src/usr/include the Makefile's -I and -isystem name nothing
	# and <linux/kvm.h> is linux-libc-dev's (the same version: see above).
	make -s -C "$src/tools/testing/selftests/kvm" OUTPUT="$src/out" -j"$(nproc)" \
		"$src/out/demand_paging_test" "$src/out/dirty_log_perf_test" >&2
	cp "$src/out/demand_paging_test" "$src/out/dirty_log_perf_test" "$bin/"
	echo "$key" >"$stamp"
}

# ---------------------------------------------------------------------------
# Outside: build, then boot the test host once and run --inside there.
outside() {
	build
	local vc=$top/user/vmtrace-collect g=$top/selftests/vmtrace/guest_exits
	local h=$top/selftests/lib/kvm_hold
	# Built if missing; an existing build is used as it is (bench/run makes user/).
	[ -x "$vc" ] || make -s -C "$top/user" >&2
	{ [ -x "$g" ] && [ -x "$h" ]; } || make -s -C "$top/selftests" >&2
	command -v trace-cmd >/dev/null ||
		echo "kvm_selftests: trace-cmd is not installed: its arm will be skipped (apt-get install trace-cmd)" >&2
	BENCH_TREE=$(git -C "$top" describe --always --dirty 2>/dev/null || echo '?')
	export BENCH_TREE DONE=''
	# Single-threaded TCG unless told otherwise (VMTEST_TCG_OPTS= for one
	# host thread per vCPU): see VMTEST_TCG_OPTS at the top.
	export VMTEST_TCG_OPTS=${VMTEST_TCG_OPTS-thread=single}
	export VMTEST_ENV="${VMTEST_ENV:-} ROUNDS TESTS ARMS DP_ARGS DLP_ARGS STORM_ARGS ARM_TIMEOUT KVM_SELFTESTS_DIR BENCH_TREE DONE"
	# Each boot's files go to results/bootN (scripts/vmtest replaces its
	# output directory); results/results.tsv gathers their rows.
	local results=${VMTEST_OUT_DIR:-$cache/results}
	if [ -d "$results" ] && [ -n "$(ls -A "$results")" ] && [ ! -e "$results/.kvm-selftests" ]; then
		echo "kvm_selftests: $results is not empty and not ours" >&2
		return 1
	fi
	local tsv=$results/results.tsv boot=1 t0 rc=0 b0 cur panic
	if [ -n "${RESUME:-}" ] && [ -f "$tsv" ]; then
		# Keep what succeeded (or was skipped); run the rest again.  The
		# rows replaced go to superseded.tsv.
		awk -F'\t' 'NR > 1 && $4 != "ok" && $4 != "skipped"' "$tsv" >>"$results/superseded.tsv"
		awk -F'\t' 'NR == 1 || $4 == "ok" || $4 == "skipped"' "$tsv" >"$tsv.new"
		mv "$tsv.new" "$tsv"
		while [ -e "$results/boot$boot" ]; do boot=$((boot + 1)); done
		DONE=$(awk -F'\t' 'NR > 1 { printf "%s:%s:%s ", $1, $2, $3 }' "$tsv")
	else
		rm -rf "$results"
		mkdir -p "$results"
		touch "$results/.kvm-selftests"
		printf 'round\ttest\tarm\tstatus\twall_s\ttotal_s\twl_cpu_s\ttool_cpu_s\trecords\tlost\ttrace_bytes\tnote\n' >"$tsv"
	fi
	local first=$boot
	t0=$(date +%s)
	# A test host that dies (a panic, the timeout) costs the arm it was in,
	# not the table: the next boot goes on with the arms not yet done.
	while :; do
		b0=$(date +%s)
		rc=0
		VMTEST_OUT_DIR=$results/boot$boot "$top/scripts/vmtest" --kernel 6.1 --mem "${BENCH_MEM:-4096}" \
			--timeout "${BENCH_TIMEOUT:-$((600 + 3600 * ROUNDS))}" -- "$here/kvm_selftests.sh" --inside || rc=$?
		echo "kvm_selftests: boot $boot ran $(( $(date +%s) - b0 )) s (exit $rc)" >&2
		[ -f "$results/boot$boot/results.tsv" ] && tail -n +2 "$results/boot$boot/results.tsv" >>"$tsv"
		cur=$results/boot$boot/current
		[ -s "$cur" ] || break
		panic=$(grep -m 1 -o 'Kernel panic.*' "$results/boot$boot/vmtest-console.txt" 2>/dev/null || true)
		printf '%s\tdied\t\t\t\t\t\t\t\tthe test host died in boot %s (vmtest exit %s): %s\n' \
			"$(cut -f1-3 "$cur")" "$boot" "$rc" "${panic:-no panic line, see boot$boot/vmtest-console.txt}" >>"$tsv"
		[ $((boot - first + 1)) -lt "${BENCH_BOOTS:-3}" ] || break
		boot=$((boot + 1))
		DONE=$(awk -F'\t' 'NR > 1 { printf "%s:%s:%s ", $1, $2, $3 }' "$tsv")
		echo "kvm_selftests: the test host died in $(cut -f1-3 "$cur" | tr '\t' ' '); boot $boot goes on" >&2
	done
	echo "# kvm_selftests: $((boot - first + 1)) boot(s), $(( $(date +%s) - t0 )) s in all; results in $results"
	table "$tsv" | tee "$results/table.txt"
	# An arm in which the test host died fails the run (bench/run reports it).
	if awk -F'\t' '$4 == "died" { d = 1 } END { exit !d }' "$tsv"; then rc=1; fi
	return $rc
}

# ---------------------------------------------------------------------------
# Inside the test host.
inside() {
	# An arm that fails is a line of the table, not the end of the run.
	set +e
	local out=${VMTEST_OUT:?not in the test host (run bench/kvm_selftests.sh)}
	local raw=$out/raw work ko vc guest hold_pid=
	mkdir -p "$raw"
	work=$(mktemp -d /tmp/kvm_selftests.XXXXXX)
	ko=${VMTRACE_KO:-$top/build/$(uname -r)/kmod/vmtrace.ko}
	guest=$top/selftests/vmtrace/guest_exits
	local f
	for f in "$top/user/vmtrace-collect" "$guest" "$top/selftests/lib/kvm_hold" "$ko" \
		 "$cache/bin/demand_paging_test" "$cache/bin/dirty_log_perf_test"; do
		[ -e "$f" ] || { echo "kvm_selftests: $f is missing" >&2; return 1; }
	done
	[ -d /sys/module/vmtrace ] || { echo "kvm_selftests: vmtrace.ko is not loaded" >&2; return 1; }
	# A private copy of the collector: user/ may be rebuilt meanwhile.
	vc=$work/vmtrace-collect
	cp "$top/user/vmtrace-collect" "$vc"

	# Hold a VM and vCPU open (selftests/lib/kvm_hold.c): the workloads'
	# VMs then flip no static keys, i.e. patch no kernel text, which
	# multi-threaded TCG now and then gets wrong.
	"$top/selftests/lib/kvm_hold" </dev/null >/dev/null 2>&1 &
	hold_pid=$!
	local tries=200 comm
	while [ $tries -gt 0 ]; do
		read -r comm 2>/dev/null <"/proc/$hold_pid/comm" || comm=
		[ "$comm" = kvm_hold-ready ] && break
		sleep 0.05
		tries=$((tries - 1))
	done
	[ "$comm" = kvm_hold-ready ] || echo "# kvm_hold could not hold a VM" >&2
	# shellcheck disable=SC2064
	trap "kill $hold_pid 2>/dev/null; wait $hold_pid 2>/dev/null; rm -rf '$work'" EXIT

	{
		echo "# kvm_selftests: $(uname -r), $(nproc) CPUs, $(awk '/MemTotal/ { print $2 / 1024 " MiB" }' /proc/meminfo), rounds $ROUNDS"
		echo "# collector: $(sha256sum "$vc" | cut -c1-16) $(stat -c '%y' "$top/user/vmtrace-collect")" \
		     "tree: ${BENCH_TREE:-?}"
		echo "# demand_paging: demand_paging_test $DP_ARGS"
		echo "# dirty_log_perf: dirty_log_perf_test $DLP_ARGS"
		echo "# exit_storm: guest_exits $STORM_ARGS"
	} | tee "$out/header.txt"

	# Which arms can run at all.
	local skip_tc='' skip_perf=''
	case " $ARMS " in *" trace-cmd "*)
		if ! command -v trace-cmd >/dev/null; then
			skip_tc="trace-cmd not installed (apt-get install trace-cmd on the development machine)"
		elif ! trace-cmd record -e kvm:kvm_exit -e kvm:kvm_entry -o "$work/probe.dat" -- true \
			>"$raw/probe.trace-cmd.txt" 2>&1; then
			skip_tc="trace-cmd record failed: $(tail -n 1 "$raw/probe.trace-cmd.txt")"
		fi ;;
	esac
	case " $ARMS " in *" perf "*)
		if ! command -v perf >/dev/null; then
			skip_perf="perf not installed (apt-get install linux-perf)"
		elif ! perf kvm stat record -o "$work/probe.data" -- true >"$raw/probe.perf.txt" 2>&1; then
			skip_perf="perf kvm stat record failed: $(grep -v '^$' "$raw/probe.perf.txt" | tail -n 1)"
		fi ;;
	esac
	rm -f "$work"/probe.*
	[ -z "$skip_tc" ] || echo "# skipped arm trace-cmd: $skip_tc"
	[ -z "$skip_perf" ] || echo "# skipped arm perf: $skip_perf"

	workload() { # TEST: the workload's command line, in "$@" of the caller
		case $1 in
		empty) echo /bin/true ;;
		demand_paging) echo "$cache/bin/demand_paging_test $DP_ARGS" ;;
		dirty_log_perf) echo "$cache/bin/dirty_log_perf_test $DLP_ARGS" ;;
		exit_storm) echo "$guest $STORM_ARGS" ;;
		*) echo "kvm_selftests: unknown test $1" >&2; return 1 ;;
		esac
	}

	# Warm up: each program once, small, untimed (the first run of a
	# program over 9p reads it cold), and the collector once.
	local t
	for t in $TESTS; do
		case $t in
		demand_paging) "$cache/bin/demand_paging_test" -v 1 -b 4M ;;
		dirty_log_perf) "$cache/bin/dirty_log_perf_test" -v 1 -b 4M -i 2 ;;
		exit_storm) "$guest" --writes 100 ;;
		*) true ;;
		esac >"$raw/warmup.$t.txt" 2>&1 || echo "# warm-up of $t failed (see raw/warmup.$t.txt)"
	done
	"$vc" record -o "$work/warm.vmt" --sample-hz 1000 -- "$guest" --writes 100 \
		>"$raw/warmup.collector.txt" 2>&1 || echo "# warm-up of the collector failed"
	rm -f "$work/warm.vmt"

	local tsv=$out/results.tsv
	printf 'round\ttest\tarm\tstatus\twall_s\ttotal_s\twl_cpu_s\ttool_cpu_s\trecords\tlost\ttrace_bytes\tnote\n' >"$tsv"

	# One run: sets the fields of one line of $tsv.
	run_arm() { # ROUND TEST ARM
		local round=$1 test=$2 arm=$3 id="$2.$3.r$1" trace cmd rc=0
		local wall='' total='' wl_cpu='' tool_cpu='' records='' lost='' bytes='' note='' status=ok
		local tin=$raw/$id.time tout=$raw/$id.tool-time log=$raw/$id.txt
		# shellcheck disable=SC2207
		cmd=($(workload "$test"))
		local timed=(/usr/bin/time -o "$tin" -f '%e %U %S' "${cmd[@]}")
		trace=$work/trace
		rm -f "$trace" "$trace".*
		local rec=()
		case $arm in
		untraced|idle) ;;
		bare) rec=("$vc" record -o "$trace" --sample-hz 0 --no-guest --metrics-interval 0 --) ;;
		sampling) rec=("$vc" record -o "$trace" --sample-hz 1000 --no-guest --metrics-interval 0 --) ;;
		guest) rec=("$vc" record -o "$trace" --sample-hz 1000 --metrics-interval 0 --) ;;
		default) rec=("$vc" record -o "$trace" --sample-hz 1000 --) ;;
		trace-cmd) rec=(trace-cmd record -e kvm:kvm_exit -e kvm:kvm_entry -o "$trace" --) ;;
		perf) rec=(perf kvm stat record -o "$trace" --) ;;
		*) echo "kvm_selftests: unknown arm $arm" >&2; return 1 ;;
		esac
		if [ "$arm" = trace-cmd ] && [ -n "$skip_tc" ]; then status=skipped note=$skip_tc
		elif [ "$arm" = perf ] && [ -n "$skip_perf" ]; then status=skipped note=$skip_perf
		fi
		case " ${DONE:-} " in *" $round:$test:$arm "*) return 0 ;; esac
		if [ $status = ok ]; then
			# Should the test host die in this arm, the next boot knows.
			printf '%s\t%s\t%s\n' "$round" "$test" "$arm" >"$out/current"
			echo "# $(date +%T) round $round $test $arm" >&2
			# The untraced runs of a round go one after the other and
			# the module comes back before the next arm: each unload
			# and load live-patches KVM's code (the tracepoints' static
			# keys), which multi-threaded TCG now and then gets wrong.
			if [ "$arm" = untraced ]; then
				if [ -d /sys/module/vmtrace ] && ! rmmod vmtrace 2>"$log"; then
					status=failed note="rmmod vmtrace: $(cat "$log")"
				fi
			elif [ ! -d /sys/module/vmtrace ] && ! insmod "$ko"; then
				echo "kvm_selftests: insmod $ko failed, stopping" >&2
				return 1
			fi
		fi
		if [ $status = ok ]; then
			# A run still going 5 s before its time is up: what every
			# task is doing (and every CPU, in the kernel log) first.
			(
				sleep $((ARM_TIMEOUT - 5))
				echo l >/proc/sysrq-trigger
				for d in /proc/[0-9]*/task/*; do
					read -r st <"$d/stat" 2>/dev/null || continue
					echo "== $d: $st"
					cat "$d/stack" 2>/dev/null
				done >"$raw/$id.hang.txt" 2>&1
			) &
			local wd=$!
			if [ ${#rec[@]} -eq 0 ]; then
				timeout -k 10 "$ARM_TIMEOUT" "${timed[@]}" >"$log" 2>&1 || rc=$?
			else
				timeout -k 10 "$ARM_TIMEOUT" /usr/bin/time -o "$tout" -f '%e %U %S' \
					"${rec[@]}" "${timed[@]}" >"$log" 2>&1 || rc=$?
			fi
			kill "$wd" 2>/dev/null
			wait "$wd" 2>/dev/null
			if [ $rc -ne 0 ]; then
				status=failed note="exit $rc$([ $rc = 124 ] && echo " (killed after $ARM_TIMEOUT s)")"
			fi
			# /usr/bin/time's figures are its file's last line (a killed
			# command's status line comes before them).
			if [ -s "$tin" ]; then
				read -r wall u s < <(tail -n 1 "$tin")
				wl_cpu=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')
			fi
			if [ ${#rec[@]} -gt 0 ] && [ -s "$tout" ]; then
				read -r total u s < <(tail -n 1 "$tout")
				tool_cpu=$(awk -v u="$u" -v s="$s" -v w="${wl_cpu:-0}" \
					'BEGIN { printf "%.2f", u + s - w }')
			fi
			[ -e "$trace" ] && bytes=$(stat -c %s "$trace")
			case $arm in
			bare|sampling|guest|default)
				# "vmtrace-collect: N records (E exits, S samples, O other) in T s to F"
				# "vmtrace-collect: lost: CAUSE N ... (module: produced P, drained D, lost L)"
				records=$(sed -n 's/^vmtrace-collect: \([0-9]*\) records (.*/\1/p' "$log" | tail -n 1)
				lost=$(sed -n 's/^vmtrace-collect: lost: \(.*\) (module: produced [0-9]*, drained [0-9]*, lost \([0-9]*\)).*/\1 module_lost \2/p; t; s/^vmtrace-collect: lost: //p' \
					"$log" | tail -n 1)
				local m
				m=$(sed -n 's/^vmtrace-collect: interval metrics: //p' "$log" | tail -n 1)
				[ -z "$m" ] || note="metrics: $m"
				;;
			trace-cmd)
				# The ring buffer's final stats, kept in the trace: per
				# CPU "entries: N" (left in the buffer, not in the trace),
				# "overrun: N", "commit overrun: N", "dropped events: N".
				if [ -e "$trace" ]; then
					trace-cmd report --stat -i "$trace" >"$raw/$id.stat.txt" 2>&1
					lost=$(awk '/^entries:/ { e += $2 } /^overrun:/ { o += $2; seen = 1 }
						/^commit overrun:/ { c += $3 } /^dropped events:/ { d += $3 }
						END { if (seen) printf "unread %d overrun %d commit_overrun %d dropped %d", e, o, c, d }' \
						"$raw/$id.stat.txt")
					[ -n "$lost" ] || note="no ring buffer stats in the trace (raw/$id.stat.txt)"
					records=$(trace-cmd report -i "$trace" 2>/dev/null |
						awk '/ kvm_exit: / { x++ } / kvm_entry: / { e++ } END { print x + e }')
				fi
				;;
			perf)
				# "[ perf record: Captured and wrote X MB F (N samples) ]";
				# losses: "Processed N events and lost M chunks!", LOST events.
				records=$(sed -n 's/.*Captured and wrote .*(\([0-9]*\) samples).*/\1/p' "$log" | tail -n 1)
				lost=$(awk '/and lost [0-9]+ chunks/ { for (i = 1; i < NF; i++) if ($i == "lost") c += $(i + 1) }
					END { printf "chunks %d", c }' "$log")
				if [ -e "$trace" ]; then
					local l
					l=$(perf report -i "$trace" --stats 2>/dev/null |
						awk '$1 == "LOST" && $2 ~ /events:/ { n += $3 } $1 == "LOST_SAMPLES" { n += $3 }
						END { print n + 0 }')
					lost="$lost events ${l:-?}"
				fi
				;;
			esac
		fi
		rm -f "$trace" "$trace".* "$work"/trace.dat.cpu* 2>/dev/null
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$test" "$arm" \
			"$status" "$wall" "$total" "$wl_cpu" "$tool_cpu" "$records" "$lost" "$bytes" \
			"$note" >>"$tsv"
		rm -f "$out/current"
	}

	local t0 r arm arms_r n
	t0=$(date +%s)
	# shellcheck disable=SC2206
	local arm_list=($ARMS)
	n=${#arm_list[@]}
	for r in $(seq "$ROUNDS"); do
		# The untraced arm of every workload first (one unload and one
		# load of the module per round), then each workload's other
		# arms, their order rotated by one each round.
		case " $ARMS " in *" untraced "*)
			for t in $TESTS; do run_arm "$r" "$t" untraced || return 1; done ;;
		esac
		for t in $TESTS; do
			arms_r=()
			local i
			for i in $(seq 0 $((n - 1))); do
				arm=${arm_list[$(( (i + r - 1) % n ))]}
				[ "$arm" = untraced ] || arms_r+=("$arm")
			done
			for arm in "${arms_r[@]}"; do
				run_arm "$r" "$t" "$arm" || return 1
			done
		done
	done
	if [ ! -d /sys/module/vmtrace ] && ! insmod "$ko"; then
		echo "kvm_selftests: insmod $ko failed" >&2
		return 1
	fi
	echo "# measured in $(( $(date +%s) - t0 )) s" | tee -a "$out/header.txt"
	# Run by outside(), which prints the table of every boot's rows.
	[ -n "${DONE+set}" ] || table "$tsv" | tee "$out/table.txt"
}

# The table of a results.tsv: means over the rounds that succeeded.
table() { # TSV
	awk -F'\t' -v tests="$TESTS" -v arms="$ARMS" '
	NR == 1 { next }
	{
		seen[$2] = 1
		k = $2 SUBSEP $3
		if ($4 == "ok") {
			n[k]++; wall[k] += $5; total[k] += $6; wl[k] += $7; tool[k] += $8
			if (!(k in wmin) || $5 < wmin[k]) wmin[k] = $5
			if (!(k in wmax) || $5 > wmax[k]) wmax[k] = $5
			if ($9 != "") rec[k] += $9
			# "CAUSE N CAUSE N ...": summed per cause over the rounds.
			nw = split($10, L, " ")
			for (w = 1; w < nw; w += 2) {
				if (!((k, L[w]) in lc)) causes[k] = causes[k] " " L[w]
				lc[k, L[w]] += L[w + 1]
			}
			if ($6 != "") hastool[k] = 1
		} else {
			bad[k]++; why[k] = $4 ": " $12
		}
	}
	END {
		nt = split(tests, T, " "); na = split(arms, A, " ")
		printf "%-15s %-9s %8s %7s %8s %8s %8s %10s  %s\n", "test", "arm", "wall s", "x untr", \
			"total s", "wl cpu s", "rec cpu", "records", "lost"
		for (i = 1; i <= nt; i++) {
			if (!(T[i] in seen)) continue
			base = ""
			k0 = T[i] SUBSEP "untraced"
			if (n[k0]) base = wall[k0] / n[k0]
			for (j = 1; j <= na; j++) {
				k = T[i] SUBSEP A[j]
				if (!n[k]) {
					reason = "not run"
					if (k in why) reason = why[k]
					printf "%-15s %-9s %s\n", T[i], A[j], reason
					continue
				}
				w = wall[k] / n[k]
				ratio = "-"; tot = "-"; tc = "-"; r = "-"; l = "-"; spread = ""
				if (base != "" && base > 0) ratio = sprintf("%.3f", w / base)
				if (k in hastool) { tot = sprintf("%.2f", total[k] / n[k]); tc = sprintf("%.2f", tool[k] / n[k]) }
				if (k in rec) r = sprintf("%.0f", rec[k] / n[k])
				if (k in causes) {
					l = ""
					nc = split(causes[k], C, " ")
					for (c = 1; c <= nc; c++) l = l (c > 1 ? " " : "") C[c] " " lc[k, C[c]] / n[k]
				}
				if (n[k] > 1) spread = sprintf(" (wall %.2f-%.2f over %d rounds)", wmin[k], wmax[k], n[k])
				printf "%-15s %-9s %8.2f %7s %8s %8.2f %8s %10s  %s%s\n", T[i], A[j], w, ratio, tot, \
					wl[k] / n[k], tc, r, l, spread
				if (k in bad) printf "%-15s %-9s   %d round(s) failed: %s\n", "", "", bad[k], why[k]
			}
		}
		# "name: value" lines, as bench/run expects of bench/*.sh.
		for (i = 1; i <= nt; i++) {
			k0 = T[i] SUBSEP "untraced"
			for (j = 1; j <= na; j++) {
				k = T[i] SUBSEP A[j]
				if (!n[k]) continue
				name = "kvm_selftests_" T[i] "_" A[j]; gsub(/-/, "_", name)
				printf "%s_wall: %.2f s", name, wall[k] / n[k]
				if (n[k0] && A[j] != "untraced") printf " (%.3f x untraced)", (wall[k] / n[k]) / (wall[k0] / n[k0])
				if (k in hastool) printf ", recorder cpu %.2f s", tool[k] / n[k]
				printf "\n"
			}
		}
	}' "$1"
}

case ${1:-} in
--inside) inside ;;
--build) build ;;
--table) table "${2:?results.tsv}" ;;
'') outside ;;
*) sed -n '4,/^set -euo/p' "$0" | sed 's/^# \{0,1\}//;$d' >&2; exit 2 ;;
esac
