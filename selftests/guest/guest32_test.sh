#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# 32-bit guests, for real: Debian's i386 686 kernel (32-bit paging, no
# PAE) booted as an L2 guest in the test host, running vmt32 (vmt32.c),
# which keeps changing a variable, prints its address and value, and spins
# in spin32().  vmtrace has no profiles of 32-bit kernels, so no process
# names: what must work is reading a process's memory through a CR3 taken
# from a record.  Per kernel:
#
#   boot    the guest boots and vmt32 prints its lines
#   record  record 4 s of 1 kHz timer samples of that VM; script: samples
#           in spin32 (nm of vmt32) exist, are user mode, all share one
#           CR3, and every sample of the VM says the kernel's paging mode
#           (pae, or 32); record says that nothing is named, and which
#           kernel it found
#   peek    peek --cr3 CR3 --paging MODE at vmt32's variable reads a value
#           the guest printed (PEEK32_BASE + seq, one of its last lines)
#   watch   peek --watch 3 sees the variable change, and every value it
#           shows is one the guest printed
#   errors  the other 32-bit mode, address 0 and an address above 4 GiB:
#           exit 1 with the reason
#
# The 686-pae kernel (PAE paging) halts before its first console line as
# an L2 guest here: QEMU 7.2's TCG sets the Accessed bit in its PAE PDPTEs
# under nested paging, and KVM injects #GP at its first CR4 write
# (Documentation/guest-introspection.rst, "32-bit guests").
# GUEST32_FLAVOURS="686-pae 686" tries both, booted at once (one
# vCPU each; the test host has two).  The kernels and the guest's busybox
# come from scripts/fetch-i386-guest (run by scripts/deps) into
# build/i386: without them every check fails (make check must have them);
# only no /dev/kvm skips.
#
# Run by selftests/run inside scripts/vmtest.  Output: TAP.  The guests'
# consoles and the scripts' outputs go to $VMTEST_OUT/guest32 when set.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
top=$(cd "$here/../.." && pwd -P)
collect=$top/user/vmtrace-collect
i386=$top/build/i386/root
vmt32=$here/vmt32
# vmt32's variable is PEEK32_BASE + seq (vmt32.c).
PEEK32_BASE=$((0x5eed0000))
# The kernel flavours to boot (686-pae does not boot in the test bed: see
# above), and the paging mode each one's records must show.
read -r -a FLAVOURS <<<"${GUEST32_FLAVOURS:-686}"
declare -A PAGING=([686-pae]=pae [686]=32) WRONG=([686-pae]=32 [686]=pae)
CHECKS=(boot record peek watch errors)

if [ ! -c /dev/kvm ]; then
	echo "TAP version 13"
	echo "1..0 # SKIP no /dev/kvm"
	exit 4
fi
plan=$((${#FLAVOURS[@]} * ${#CHECKS[@]}))
# shellcheck source=../lib/tap.sh
. "$here/../lib/tap.sh"
tap_start
# Check $1 of flavour $2 passed if status $3 is 0, else failed; $4: what,
# $5: a file with the reasons.
check() {
	if [ "$3" -eq 0 ]; then
		ok "$2 $1: $4"
	else
		notok "$2 $1: $4"
		[ -s "$5" ] && sed 's/^/# /' "$5"
	fi
}

dir=$(mktemp -d /tmp/guest32-test.XXXXXX)
declare -A qemu_pid=()
cleanup() {
	for f in "${!qemu_pid[@]}"; do
		"$top/scripts/l2guest" --stop "${qemu_pid[$f]}" >/dev/null 2>&1
	done
	if [ -n "${VMTEST_OUT:-}" ] && [ -d "$VMTEST_OUT" ]; then
		mkdir -p "$VMTEST_OUT/guest32"
		cp -r "$dir/." "$VMTEST_OUT/guest32/" 2>/dev/null
	fi
	rm -rf "$dir"
}
trap cleanup EXIT

# Every check of every kernel fails, with the reason: a prerequisite that
# make check must have is missing.
fail_all() {
	for f in "${FLAVOURS[@]}"; do
		for c in "${CHECKS[@]}"; do notok "$f $c: $1"; done
	done
	exit 1
}
[ -x "$collect" ] || fail_all "$collect is not built (make user)"
[ -x "$vmt32" ] || fail_all "$vmt32 is not built (make -C selftests)"
[ -x "$i386/bin/busybox" ] ||
	fail_all "no i386 busybox in $i386 (scripts/fetch-i386-guest; scripts/deps runs it)"

# [spin_lo, spin_hi): spin32's code, where the samples that matter are.
read -r spin_lo spin_size < <(nm -S --defined-only "$vmt32" | awk '$4 == "spin32" { print $1, $2 }')
[ -n "${spin_size:-}" ] || fail_all "no spin32 in nm -S $vmt32"
spin_lo=$((16#$spin_lo))
spin_hi=$((spin_lo + 16#$spin_size))

cat >"$dir/init" <<'EOF'
#!/bin/sh
echo "guest32: Linux $(uname -r) $(uname -m)"
vmt32 &
while :; do sleep 3600; done
EOF

# Boot them all at once.
declare -A kernel=() booted=()
start_guest() {
	local pid
	pid=$("$top/scripts/l2guest" --log "$dir/$1.console" --kernel "${kernel[$1]}" \
		--busybox "$i386/bin/busybox" --init "$dir/init" --prog "$vmt32" \
		2>>"$dir/$1.l2guest.err")
	[ -n "$pid" ] && qemu_pid[$1]=$pid
}
# The third line: vmt32 has run spin32 twice (it runs, and is sampled).
wait_guest() {
	"$top/scripts/l2guest" --log "$dir/$1.console" --pid "${qemu_pid[$1]}" \
		--wait-for '^vmt32: pid [0-9]+ addr 0x[0-9a-f]+ value [0-9]+ seq 3$' \
		--within 240 2>>"$dir/$1.l2guest.err" && booted[$1]=1
}
for f in "${FLAVOURS[@]}"; do
	# The glob of 686 cannot match 686-pae: the name ends in the flavour.
	kernel[$f]=
	for k in "$i386"/boot/vmlinuz-*-"$f"; do
		[ -f "$k" ] && kernel[$f]=$k
	done
	[ -n "${kernel[$f]}" ] || continue
	start_guest "$f"
done
for f in "${FLAVOURS[@]}"; do
	[ -n "${qemu_pid[$f]:-}" ] || continue
	wait_guest "$f" && continue
	# One more boot, and only if the first one's QEMU exited with nothing
	# on the console: once in about ten runs the 686 kernel died that way
	# in the emulator (the test host's KVM saw it run), before vmt32 or
	# vmtrace had any part in it.  Said in the output, never silent.
	if ! kill -0 "${qemu_pid[$f]}" 2>/dev/null && [ ! -s "$dir/$f.console" ]; then
		echo "# $f: the first boot exited with an empty console; booting once more"
		start_guest "$f" && wait_guest "$f"
	fi
done

# Lines of vmt32 in $1's console: "pid addr value seq".
vmt32_lines() {
	tr -d '\r' <"$dir/$1.console" |
		sed -n 's/^vmt32: pid \([0-9]*\) addr \(0x[0-9a-f]*\) value \([0-9]*\) seq \([0-9]*\)$/\1 \2 \3 \4/p'
}
# The values of vmt32's last $2 lines in $1's console, one a line.
last_values() {
	vmt32_lines "$1" | tail -n "$2" | awk '{ print $3 }'
}

# peek through $cr3 of VM $qpid with the arguments after $1 and $2 must
# exit with status $1 and say $2; else the reasons go to $why and rc=1.
expect_error() {
	local out=$dir/$f.error status
	"$collect" peek --vm "$qpid" --cr3 "$cr3" --len 4 "${@:3}" >"$out" 2>&1
	status=$?
	if [ $status -ne "$1" ] || ! grep -q -- "$2" "$out"; then
		echo "peek ${*:3}: exit status $status, expected $1 and \"$2\":" >>"$why"
		cat "$out" >>"$why"
		rc=1
	fi
}

for f in "${FLAVOURS[@]}"; do
	paging=${PAGING[$f]}
	qpid=${qemu_pid[$f]:-}
	why=$dir/$f.why
	: >"$why"
	# ---- boot ----
	if [ -z "${booted[$f]:-}" ]; then
		{
			[ -n "${kernel[$f]}" ] || echo "no $i386/boot/vmlinuz-*-$f (scripts/fetch-i386-guest)"
			cat "$dir/$f.l2guest.err"
			echo "the console ends:"
			tail -n 20 "$dir/$f.console" 2>/dev/null | tr -d '\r'
		} >"$why"
		check boot "$f" 1 "the guest did not boot to vmt32's third line" "$why"
		for c in "${CHECKS[@]:1}"; do notok "$f $c: no guest"; done
		continue
	fi
	read -r gpid addr _ < <(vmt32_lines "$f" | tail -n 1)
	# As peek prints it: "%016llx: VALUE".
	peek_addr=$(printf '%016x' "$addr")
	echo "# $f: $(tr -d '\r' <"$dir/$f.console" | grep -m 1 '^guest32: '), QEMU pid $qpid"
	check boot "$f" 0 "${kernel[$f]##*/} boots, vmt32 (pid $gpid) prints its variable at $addr"

	# ---- record, script ----
	"$collect" record -d 4 --vm "$qpid" --sample-hz 1000 --sample-source timer \
		--no-exits -o "$dir/$f.vmt" >"$dir/$f.record.out" 2>&1
	rc=$?
	"$collect" script -i "$dir/$f.vmt" >"$dir/$f.csv" 2>"$dir/$f.script.err" || rc=1
	# Columns: 3 kind, 5 vm_pid, 9 guest_rip, 10 guest_cr3, 11 guest_mode,
	# 16 guest_paging.  Prints "samples spin32_samples cr3", or why not.
	result=$(awk -F, -v qpid="$qpid" -v lo="$spin_lo" -v hi="$spin_hi" -v paging="$paging" '
		# "0x..." to a number (mawk has no strtonum).
		function hex(s,  v, i) {
			v = 0
			for (i = 3; i <= length(s); i++)
				v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
			return v
		}
		NR == 1 || $3 != "sample" || $5 != qpid || $9 == "" { next }
		{ samples++ }
		$16 != paging { wrong++; if (!first_wrong) first_wrong = $0 }
		{ rip = hex($9) }
		rip >= lo && rip < hi {
			spin++
			if ($11 != "user") kernel_mode++
			if (!($10 in cr3s)) { cr3s[$10] = 1; nr_cr3++; cr3 = $10 }
		}
		END {
			if (!spin) { print "no sample in spin32 (" samples " samples of the VM)"; exit 1 }
			if (wrong) { print wrong " of " samples " samples not in " paging " paging: " first_wrong; exit 1 }
			if (kernel_mode) { print kernel_mode " samples in spin32 not in user mode"; exit 1 }
			if (nr_cr3 != 1) { print "spin32 samples under " nr_cr3 " CR3s"; for (c in cr3s) print c; exit 1 }
			print samples, spin, cr3
		}' "$dir/$f.csv") || rc=1
	{
		echo "$result"
		cat "$dir/$f.record.out" "$dir/$f.script.err"
	} >"$why"
	# No profile can name a 32-bit guest's tasks: record says so, and
	# names the kernel that it found in the guest's memory.
	release=$(tr -d '\r' <"$dir/$f.console" | sed -n 's/^guest32: Linux \([^ ]*\) .*/\1/p')
	if ! grep -q "guest records, none named: .*Linux $release\b" "$dir/$f.record.out"; then
		echo "record does not say why nothing is named in Linux ${release:-?}" >>"$why"
		rc=1
	fi
	read -r samples spin cr3 <<<"$result"
	check record "$f" $rc "all ${samples:-?} samples in $paging paging, ${spin:-?} in spin32 (user mode) all under CR3 ${cr3:-?}; none named (Linux $release)" "$why"
	[ $rc -eq 0 ] || {
		for c in "${CHECKS[@]:2}"; do notok "$f $c: no CR3 from the record"; done
		continue
	}

	# ---- peek ----
	"$collect" peek --vm "$qpid" --cr3 "$cr3" --paging "$paging" --addr "$addr" \
		--len 4 --format u32 >"$dir/$f.peek" 2>&1
	rc=$?
	# vmt32 writes the value, then prints it: a second for the line.
	sleep 1
	value=$(sed -n "s/^$peek_addr: \([0-9]*\)\$/\1/p" "$dir/$f.peek")
	last_values "$f" 10 >"$dir/$f.printed"
	{
		echo "peek exit status $rc, printed:"
		cat "$dir/$f.peek"
		echo "the guest's last values:"
		cat "$dir/$f.printed"
	} >"$why"
	[ $rc -eq 0 ] && [ -n "$value" ] && grep -qx "$value" "$dir/$f.printed" || rc=1
	check peek "$f" $rc "peek --cr3 $cr3 --paging $paging at $addr: ${value:-?} (seq $((${value:-0} - PEEK32_BASE))), one of the guest's last 10 values" "$why"

	# ---- watch ----
	"$collect" peek --vm "$qpid" --cr3 "$cr3" --paging "$paging" --addr "$addr" \
		--len 4 --format u32 --watch 3 --interval 50 >"$dir/$f.watch" 2>&1
	rc=$?
	sleep 1
	last_values "$f" 20 >"$dir/$f.printed"
	# Prints the values seen, or why not.
	seen=$(awk -v addr="$peek_addr" -v base="$PEEK32_BASE" '
		FNR == NR { printed[$1] = 1; next }
		$1 != addr ":" { next }
		{ n++; seen = seen " " $2 - base }
		!($2 in printed) { print "value " $2 " was never printed"; bad = 1 }
		END { if (bad) exit 1; if (n < 2) { print n " values: no change"; exit 1 } print seen }
		' "$dir/$f.printed" "$dir/$f.watch") || rc=1
	{
		echo "$seen"
		echo "peek --watch exit status $rc, printed:"
		cat "$dir/$f.watch"
	} >"$why"
	check watch "$f" $rc "peek --watch 3 saw seq${seen:- ?}, each printed by the guest" "$why"

	# ---- errors ----
	: >"$why"
	rc=0
	# 32-bit tables read as PAE: the first PDPTE is the first two PDEs
	# (0 - 8 MiB, where vmt32 maps nothing): not present.  (PAE tables
	# read as 32-bit: the PDE slot of vmt32's address lies beyond the
	# 32-byte PDPT, in whatever shares its page; never seen, as 686-pae
	# does not boot here.)
	expect_error 1 "not mapped in those page tables" --paging "${WRONG[$f]}" --addr "$addr"
	expect_error 1 "0x0: not mapped in those page tables" --paging "$paging" --addr 0
	expect_error 1 "not a valid address in the guest's paging mode" --paging "$paging" \
		--addr 0x100000000
	check errors "$f" $rc "--paging ${WRONG[$f]}, address 0, address 4 GiB: exit 1 and the reason" "$why"
done
