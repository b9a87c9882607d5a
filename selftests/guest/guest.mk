# SPDX-License-Identifier: GPL-2.0
# Guest introspection against a real Linux guest (included by the Makefile).
#   guest/introspect_test   boots one L2 guest with scripts/l2guest and checks
#                           vms, ps, live attribution and peek against it
#   guest/vmtguest          the guest's programs (static, non-PIE: the test
#                           reads its loop addresses with nm)
TEST_PROGS += guest/introspect_test

GUEST_USER_SRCS := ../user/client.c ../user/guest_mem.c ../user/guest_pt.c \
	../user/ksyms.c ../user/profile.c ../user/guest_linux.c ../user/guest_poll.c
guest/introspect_test: $(GUEST_USER_SRCS) | guest/vmtguest
guest/introspect_test: CPPFLAGS += -I../user $(shell pkg-config --cflags libnl-genl-3.0)
guest/introspect_test: LDLIBS += $(shell pkg-config --libs libnl-genl-3.0)

guest/vmtguest: guest/vmtguest.c
	$(CC) -O2 -g -Wall -Wextra -Werror -static -no-pie -pthread -o $@ $<

all: guest/vmtguest
clean: clean-guest
clean-guest:
	rm -f guest/vmtguest
.PHONY: clean-guest
