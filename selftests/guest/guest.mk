# SPDX-License-Identifier: GPL-2.0
# Guest introspection against a real Linux guest (included by the Makefile).
#   guest/introspect_test   boots one L2 guest with scripts/l2guest and checks
#                           vms, ps, live attribution and peek against it
#   guest/vmtguest          the guest's programs (static, non-PIE: the test
#                           reads its loop addresses with nm)
TEST_PROGS += guest/introspect_test

# The test drives user/vmtrace-collect (make user builds it).
guest/introspect_test: | guest/vmtguest

guest/vmtguest: guest/vmtguest.c
	$(CC) -O2 -g -Wall -Wextra -Werror -static -no-pie -pthread -o $@ $<

all: guest/vmtguest
clean: clean-guest
clean-guest:
	rm -f guest/vmtguest
.PHONY: clean-guest
