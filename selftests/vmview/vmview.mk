# SPDX-License-Identifier: GPL-2.0
# Hypervisor and guest side by side against a real Linux guest (included by
# the Makefile).
#   vmview/vmview_test   boots one L2 guest with scripts/l2guest and checks
#                        top --batch, vmreport, serve (/metrics) and top in
#                        tmux against it (a shell script: built by copying)
#   vmview/libvirt_test  the same figures for a domain that libvirtd starts
#                        in the test host (a shell script)
TEST_PROGS += vmview/vmview_test vmview/libvirt_test

vmview/vmview_test: vmview/vmview_test.sh
	install -m 0755 $< $@

vmview/libvirt_test: vmview/libvirt_test.sh
	install -m 0755 $< $@
