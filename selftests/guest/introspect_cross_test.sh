#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# introspect_test with a guest kernel other than the test host's: the
# other stock Debian kernel installed (a 6.12 guest in the 6.1 test host,
# a 6.1 guest in the 6.12 one), known only by the profile that
# make -C selftests made from its vmlinuz alone.  Every check of
# introspect_test holds there too: vms (banner, KASLR slides, paging:
# 5-level for 6.12, 4-level for 6.1), ps, threads, the guest's own
# accounting (CPU and memory, from the layout the profile carries),
# record/report, peek.  TAP, kselftest exit codes (4: no other kernel).
here=$(cd "$(dirname "$0")" && pwd -P)
self=$(uname -r)
other=
for p in "$here"/profiles/*; do
	rel=${p##*/}
	case $rel in "$self" | *vmtdebug*) continue ;; esac
	[ -r "/boot/vmlinuz-$rel" ] && [ -s "$p" ] && { other=$rel; break; }
done
if [ -z "$other" ]; then
	echo "1..0 # SKIP no other stock kernel with a vmlinuz profile in $here/profiles"
	exit 4
fi
echo "# guest kernel $other in test host $self"
VMT_L2_SMP=${VMT_L2_SMP:-2} VMT_L2_KERNEL=$other exec "$here/introspect_test"
