# SPDX-License-Identifier: GPL-2.0
# Guest introspection against a real Linux guest (included by the Makefile).
#   guest/introspect_test   boots one L2 guest with scripts/l2guest and checks
#                           vms, ps, live attribution and peek against it
#   guest/vmtguest          the guest's programs (static, non-PIE: the test
#                           reads its loop addresses with nm)
TEST_PROGS += guest/introspect_test

# The test drives user/vmtrace-collect (make user builds it).
guest/introspect_test: | guest/vmtguest

# Profiles of the installed kernels, made here from each vmlinuz alone (its
# BTF and its own kallsyms tables): the guests the test boots run them.  A
# profile that cannot be made is made in the test host instead (from
# /sys/kernel/btf/vmlinux and /proc/kallsyms).
GUEST_PROFILES := $(patsubst /boot/vmlinuz-%,guest/profiles/%,$(wildcard /boot/vmlinuz-*))
guest/profiles/%: /boot/vmlinuz-% $(wildcard ../user/vmtrace-collect)
	@mkdir -p guest/profiles
	@if [ -x ../user/vmtrace-collect ]; then \
		../user/vmtrace-collect profile create --vmlinuz $< -o $@ || rm -f $@; \
	else echo "guest/guest.mk: no ../user/vmtrace-collect: $@ is made in the test host"; fi

guest/vmtguest: guest/vmtguest.c
	$(CC) -O2 -g -Wall -Wextra -Werror -static -no-pie -pthread -o $@ $<

all: guest/vmtguest $(GUEST_PROFILES)
clean: clean-guest
clean-guest:
	rm -rf guest/vmtguest guest/profiles
.PHONY: clean-guest
