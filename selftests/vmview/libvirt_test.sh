#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Both sides of a VM that libvirt started: libvirtd (Debian's
# libvirt-daemon-system) runs in the test host, starts a transient KVM
# domain with direct kernel boot (the test host's kernel, an initramfs
# from scripts/l2guest --initramfs-out whose init runs md5sum /dev/zero),
# and vmtrace-collect top --batch and serve read it as an operator's would
# (each with its session: the module learns of a VM from a session's
# records):
#
#   libvirt    the domain runs: its QEMU is libvirt's (running as
#              libvirt-qemu, started with libvirt's own command line:
#              -name guest=NAME,debug-threads=on, JSON -device options)
#   identity   top names the VM, its UUID and MAC as the domain defines
#              them: from libvirt's status XML (/run/libvirt/qemu/NAME.xml)
#              keyed by the VMM pid
#   both sides the vCPU thread ("CPU 0/KVM") found: top --batch for 8
#              intervals (the first snapshots may precede the session's
#              first record of the VM, which is how the module learns of
#              it): its CPU and run-queue wait known in 4 or more, md5sum's
#              guest CPU within 10 points of the vCPU CPU plus the wait
#              (means), and the Prometheus series of the vCPU figures
#              present in serve's /metrics
#
# The test host has no udev and no systemd: the test gives /dev/kvm
# udev's group and mode (kvm, 0660), mounts cgroup2 if nothing is mounted
# there, turns off libvirt's private /dev for QEMU (qemu.conf's
# namespaces = []: in it QEMU found no /dev/kvm), and starts virtlogd and
# libvirtd itself; all of it lives only in the test host's throwaway root.
#
# Run by selftests/run inside scripts/vmtest.  Output: TAP.  Artifacts go to
# $VMTEST_OUT/libvirt when set.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
top=$(cd "$here/../.." && pwd -P)
collect=$top/user/vmtrace-collect
NAME=vmview-libvirt
UUID=5c3a2f8e-7d41-4b6a-9e0f-1a2b3c4d5e70
MAC=52:54:00:76:6d:02
PORT=19465

plan=4
# shellcheck source=../lib/tap.sh
. "$here/../lib/tap.sh"
fail_all() { fail_rest "no domain: $1"; }
# shellcheck source=top_figures.sh
. "$here/top_figures.sh"

dir=$(mktemp -d /tmp/libvirt-test.XXXXXX)
chmod 0755 "$dir"
started=
cleanup() {
	[ -n "$started" ] && virsh -q destroy "$NAME" >/dev/null 2>&1
	[ -n "${serve_pid:-}" ] && kill "$serve_pid" 2>/dev/null
	[ -n "${libvirtd_pid:-}" ] && kill "$libvirtd_pid" 2>/dev/null
	[ -n "${virtlogd_pid:-}" ] && kill "$virtlogd_pid" 2>/dev/null
	if [ -n "${VMTEST_OUT:-}" ] && [ -d "$VMTEST_OUT" ]; then
		mkdir -p "$VMTEST_OUT/libvirt"
		cp -r "$dir/." "$VMTEST_OUT/libvirt/" 2>/dev/null
	fi
	rm -rf "$dir"
}
trap cleanup EXIT

if ! command -v libvirtd >/dev/null || ! command -v virtlogd >/dev/null ||
	! command -v virsh >/dev/null; then
	echo "TAP version 13"
	echo "1..0 # SKIP libvirt is not installed (scripts/deps installs libvirt-daemon-system and libvirt-clients)"
	exit 4
fi
tap_start
[ -c /dev/kvm ] || fail_all "no /dev/kvm"
[ -x "$collect" ] || fail_all "$collect is not built"
getent passwd libvirt-qemu >/dev/null || fail_all "no user libvirt-qemu (libvirt-daemon-system's)"

# What udev and systemd would have done on a real host.
if getent group kvm >/dev/null; then
	chgrp kvm /dev/kvm && chmod 0660 /dev/kvm
fi
mountpoint -q /sys/fs/cgroup || mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
mkdir -p /run/libvirt /var/lib/libvirt/qemu /var/cache/libvirt /var/log/libvirt/qemu
# QEMU in libvirt's own /dev (its mount namespace) found no /dev/kvm in
# the test host ("Could not access KVM kernel module: No such file or
# directory"): QEMU in the host's mount namespace, as qemu.conf allows.
if ! grep -q '^namespaces' /etc/libvirt/qemu.conf 2>/dev/null; then
	echo 'namespaces = []' >>/etc/libvirt/qemu.conf
fi
virtlogd >"$dir/virtlogd.log" 2>&1 &
virtlogd_pid=$!
libvirtd >"$dir/libvirtd.log" 2>&1 &
libvirtd_pid=$!
for _ in $(seq 1 120); do
	[ -S /run/libvirt/libvirt-sock ] && virsh -q version >/dev/null 2>&1 && break
	sleep 0.5
done
virsh -q version >/dev/null 2>&1 || fail_all "libvirtd did not answer in 60 s: $(tail -n 3 "$dir/libvirtd.log")"

# The guest: the test host's kernel, an initramfs whose init runs a
# CPU-bound process.  Copies in $dir: libvirt-qemu must read them.
cat >"$dir/init" <<'EOF'
#!/bin/sh
md5sum /dev/zero &
echo "guest: burner $!"
echo "guest: ready"
exec sleep 100000
EOF
if ! "$top/scripts/l2guest" --initramfs-out "$dir/initramfs.cpio" --init "$dir/init" \
	2>"$dir/l2guest.err"; then
	fail_all "scripts/l2guest --initramfs-out: $(head -c 300 "$dir/l2guest.err")"
fi
cp "/boot/vmlinuz-$(uname -r)" "$dir/vmlinuz"
chmod 0644 "$dir/vmlinuz" "$dir/initramfs.cpio"
append="console=ttyS0 quiet panic=-1 rdinit=/init pti=on"
case $(uname -r) in 6.1.*) append="$append no5lvl" ;; esac
cat >"$dir/domain.xml" <<EOF
<domain type='kvm'>
  <name>$NAME</name>
  <uuid>$UUID</uuid>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <cpu mode='host-passthrough'/>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$dir/vmlinuz</kernel>
    <initrd>$dir/initramfs.cpio</initrd>
    <cmdline>$append</cmdline>
  </os>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <serial type='file'><source path='$dir/console.log'/><target port='0'/></serial>
    <interface type='user'><mac address='$MAC'/><model type='virtio'/></interface>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
# The emulator now and then kills a nested guest in its boot (testing.rst):
# a domain whose QEMU is gone before "ready", before any vmtrace session,
# is created once more, said, its console kept; a second death or a
# guest still not ready in time fails.
for attempt in 1 2; do
	if ! virsh -q create "$dir/domain.xml" >"$dir/create.out" 2>&1; then
		fail_all "virsh create: $(head -c 400 "$dir/create.out")"
	fi
	started=1
	qemu_pid=$(cat "/run/libvirt/qemu/$NAME.pid" 2>/dev/null)
	[ -n "$qemu_pid" ] || fail_all "no /run/libvirt/qemu/$NAME.pid"
	# The console is a file libvirt writes: wait for the guest's "ready".
	if "$top/scripts/l2guest" --log "$dir/console.log" --pid "$qemu_pid" \
		--wait-for '^guest: ready' --within 480 2>"$dir/wait.err"; then
		break
	fi
	sed 's/^/# /' "$dir/wait.err"
	if [ "$attempt" = 2 ] || kill -0 "$qemu_pid" 2>/dev/null; then
		fail_all "the guest did not come up"
	fi
	echo "# the domain's QEMU died before the guest was ready; creating it once more (console kept as libvirt-died-console.log)"
	cp "$dir/console.log" "${VMTEST_OUT:-$dir}/libvirt-died-console.log" 2>/dev/null
	virsh -q destroy "$NAME" >/dev/null 2>&1
	: >"$dir/console.log"
done
echo "# guest: QEMU pid $qemu_pid (libvirt)"

# ---- libvirt's QEMU ----
user=$(ps -o user= -p "$qemu_pid" | tr -d ' ')
tr '\0' ' ' <"/proc/$qemu_pid/cmdline" >"$dir/qemu.cmdline"
if [ "$user" = libvirt-qemu ] &&
	grep -q -- "-name guest=$NAME,debug-threads=on" "$dir/qemu.cmdline" &&
	grep -q -- "-uuid $UUID" "$dir/qemu.cmdline" &&
	[ -f "/run/libvirt/qemu/$NAME.xml" ]; then
	ok "libvirt: domain $NAME runs, QEMU pid $qemu_pid as $user with libvirt's command line and status XML"
else
	notok "libvirt: the domain's QEMU" "user '$user'" \
		"command line: $(head -c 600 "$dir/qemu.cmdline")"
fi

# ---- top ----
# The guest runs this kernel: its profile from the test host's BTF and
# symbols.
mkdir -p "$dir/profiles"
"$collect" profile create --btf /sys/kernel/btf/vmlinux --system-map /proc/kallsyms \
	--banner "$(cat /proc/version)" -o "$dir/profiles/$(uname -r)" >"$dir/profile.out" 2>&1 ||
	sed 's/^/# profile create: /' "$dir/profile.out"
common=(--profile-dir "$dir/profiles" --admin-uids 0-999)
timeout 180 "$collect" top --batch --interval 2 --count 8 --procs 8 \
	--vm "$NAME" "${common[@]}" >"$dir/top.out" 2>"$dir/top.err"
rc=$?
if [ $rc -eq 0 ] &&
	grep -q "^VM $NAME  uuid $UUID  VMM pid $qemu_pid (qemu-system-x86)  mac $MAC$" "$dir/top.out"; then
	ok "identity: top names $NAME, its UUID and MAC as libvirt defines them"
else
	notok "identity: name, UUID and MAC from libvirt" "top status $rc: $(head -c 300 "$dir/top.err")" \
		"$(grep '^VM ' "$dir/top.out" | tail -n 1)"
fi

# Per interval after the first: the vCPU thread's CPU and run-queue wait
# ("hypervisor: cpu X% (vcpus V, vmm O) run-delay D%") and md5sum's GST%.
read -r explained vmean dmean hn <<<"$(top_explained "$dir/top.out")"
read -r gmean gn <<<"$(mean_process_gst "$dir/top.out" md5sum)"
# serve's /metrics: the vCPU series exist for this VM (absent when the
# vCPU threads are unknown).
"$collect" serve --listen "127.0.0.1:$PORT" --interval 1 "${common[@]}" \
	>"$dir/serve.out" 2>&1 &
serve_pid=$!
series=0
for _ in $(seq 1 60); do
	sleep 1
	curl -s -m 10 "http://127.0.0.1:$PORT/metrics" >"$dir/metrics.txt" 2>/dev/null || continue
	if grep -q "^vmtrace_vm_vcpu_cpu_seconds_total{vm=\"$NAME\",uuid=\"$UUID\",pid=\"$qemu_pid\",source=\"hypervisor\"} " "$dir/metrics.txt" &&
		grep -q "^vmtrace_vm_run_delay_seconds_total{vm=\"$NAME\",uuid=\"$UUID\",pid=\"$qemu_pid\",source=\"hypervisor\"} " "$dir/metrics.txt"; then
		series=1
		break
	fi
done
# 50 clients that connect and send nothing, for 5 s: serve's session goes
# on draining (no record lost) and its snapshots on coming (4 s or more of
# them between two scrapes), and a scrape is answered.
idle_fds=() span=0 lost=none
if [ $series -eq 1 ]; then
	for _ in $(seq 1 50); do
		exec {fd}<>"/dev/tcp/127.0.0.1/$PORT" && idle_fds+=("$fd")
	done
	sleep 5
	curl -s -m 10 "http://127.0.0.1:$PORT/metrics" >"$dir/metrics2.txt" 2>/dev/null
	"$collect" status >"$dir/status.txt" 2>&1
	for fd in "${idle_fds[@]}"; do exec {fd}>&-; done
	span=$(awk -v a="$(grep '^vmtrace_snapshot_timestamp_seconds ' "$dir/metrics.txt" | awk '{ print $2 }')" \
		-v b="$(grep '^vmtrace_snapshot_timestamp_seconds ' "$dir/metrics2.txt" | awk '{ print $2 }')" \
		'BEGIN { printf "%.1f", (a != "" && b != "") ? b - a : 0 }')
	# status per CPU: cpu produced drained queued ring_full nested vm_table ...
	lost=$(awk '$1 ~ /^[0-9]+$/ && NF >= 8 { l += $5 + $6 + $7; p += $2 }
		END { print (p > 0 ? l + 0 : "none") }' "$dir/status.txt")
fi
kill "$serve_pid" 2>/dev/null
wait "$serve_pid" 2>/dev/null
serve_pid=
if [ "${#idle_fds[@]}" -eq 50 ] && [ "$lost" = 0 ] &&
	awk -v s="$span" 'BEGIN { exit !(s >= 4) }'; then
	ok "serve beside 50 idle clients: snapshots over ${span} s between two scrapes, nothing lost"
else
	notok "serve beside 50 idle clients" \
		"${#idle_fds[@]} clients, ${span} s of snapshots between the scrapes (4 wanted), lost $lost" \
		"$(head -c 300 "$dir/status.txt" 2>/dev/null)"
fi
if [ "$hn" -ge 4 ] && [ "$gn" -ge 3 ] && within10 "$explained" "$gmean" && [ $series -eq 1 ]; then
	ok "both sides: vCPU CPU $vmean% + run-delay $dmean% = $explained% vs md5sum guest CPU $gmean% (means over $hn and $gn intervals); /metrics has the vCPU series"
else
	notok "both sides: vCPU figures of libvirt's QEMU" \
		"$hn intervals with the vCPU figures (want 4), $gn with md5sum's (want 3)" \
		"vCPU CPU $vmean% + run-delay $dmean% = $explained%, guest $gmean%; /metrics series: $series"
	grep -E '^hypervisor:|^guest:| md5sum$' "$dir/top.out" | head -n 15 | sed 's/^/#   /'
fi

[ $failed -eq 0 ]
