# SPDX-License-Identifier: GPL-2.0
# Guest introspection against a real Linux guest (included by the Makefile).
#   guest/introspect_test   boots one L2 guest with scripts/l2guest and checks
#                           vms, ps, live attribution and peek against it
#   guest/vmtguest          the guest's programs (static, non-PIE: the test
#                           reads its loop addresses with nm)
#   guest/introspect_cross_test  the same with the other stock kernel as the
#                           guest (6.12 in the 6.1 test host and the reverse),
#                           known from its vmlinuz-made profile alone
#   guest/guest32_test      boots Debian's i386 kernels (686-pae and 686, from
#                           scripts/fetch-i386-guest) and reads their memory
#                           by CR3 (a shell script: built by copying)
#   guest/vmt32             its guest program: i386, static, no C library
TEST_PROGS += guest/introspect_test
TEST_PROGS += guest/introspect_cross_test
TEST_PROGS += guest/guest32_test

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

guest/guest32_test: guest/guest32_test.sh | guest/vmt32
	install -m 0755 $< $@

guest/introspect_cross_test: guest/introspect_cross_test.sh | guest/introspect_test $(GUEST_PROFILES)
	install -m 0755 $< $@

# i386 without a 32-bit C library (no gcc-multilib needed): system calls
# through int $0x80.  Non-PIE, the test reads spin32's address with nm,
# and linked at 0x31000000, where no code of the guest's busybox (at
# 0x08048000) is: a sample there is vmt32's.  No stack protector: there
# is no __stack_chk_fail to call.
guest/vmt32: guest/vmt32.c
	$(CC) -m32 -march=i686 -O2 -g -Wall -Wextra -Werror -ffreestanding -nostdlib \
		-static -fno-pie -no-pie -fno-stack-protector -Wl,-Ttext-segment=0x31000000 \
		-o $@ $<

all: guest/vmtguest guest/vmt32 $(GUEST_PROFILES)
clean: clean-guest
clean-guest:
	rm -rf guest/vmtguest guest/vmt32 guest/profiles
.PHONY: clean-guest
