# SPDX-License-Identifier: GPL-2.0
# Guest introspection (guest.h): included by user/Makefile.
GUEST_OBJS := guest_mem.o guest_pt.o ksyms.o vmlinuz.o kallsyms_image.o profile.o btf_profile.o \
	guest_linux.o guest_poll.o guest_record.o guest_cmds.o profile_cmd.o ps.o peek.o
GUEST_PKGS := libbpf liblzma libzstd zlib
GUEST_CFLAGS := $(shell pkg-config --cflags $(GUEST_PKGS))
GUEST_LDLIBS := $(shell pkg-config --libs $(GUEST_PKGS))
