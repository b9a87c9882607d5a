# SPDX-License-Identifier: GPL-2.0
#
# Guest introspection tests (user/guest/), included at the end of
# user/tests/Makefile:
#   guest_*_test, ksyms_test, profile_test   native unit tests (TAP)
#   guest_bench                   decode ns/record, task-list walk (bench/guest.sh)
#   make -C user/tests fuzz       libFuzzer targets, FUZZ_SECONDS each (default 5)
# The tests that read guest memory read this process's own memory through
# /proc/self/mem, as the collector reads a VMM's.

GUEST_TESTS := guest_mem_test guest_pt_test ksyms_test profile_test guest_linux_test \
	guest_record_test
TESTS += $(GUEST_TESTS)
all: $(GUEST_TESTS) guest_bench

# A synthetic Linux guest image shared by the tests, the benchmark and the
# fuzz targets.
synth_guest.o: synth_guest.c synth_guest.h ../guest/profile.h ../guest/pt.h
	$(CC) $(CFLAGS) -c -o $@ $<

$(GUEST_TESTS) guest_bench: %: %.c synth_guest.o $(TAP_OBJS) $(COLLECT_OBJS)
	$(CC) $(CFLAGS) -o $@ $< synth_guest.o $(TAP_OBJS) $(COLLECT_OBJS) $(LDLIBS)

# libFuzzer targets: clang with -fsanitize=fuzzer,address,undefined, the
# collector's sources built again with the same instrumentation.
FUZZ_TARGETS := fuzz_pt fuzz_tasks fuzz_profile fuzz_kimage
FUZZ_SECONDS ?= 5
FUZZ_CC ?= clang
FUZZ_SRCS := $(addprefix ../guest/,mem.c pt.c ksyms.c vmlinuz.c profile.c poll.c \
	kallsyms_image.c linux.c) synth_guest.c ../../selftests/lib/test_util.c
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-D_GNU_SOURCE -I.. -I../../include/uapi -I../../selftests/lib \
	$(shell $(PKG_CONFIG) --cflags libnl-genl-3.0)
FUZZ_LDLIBS := $(shell $(PKG_CONFIG) --libs libzstd zlib) -llzma

fuzz/%: %.c $(FUZZ_SRCS) $(wildcard ../*/*.h) synth_guest.h
	@mkdir -p fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_SRCS) $(FUZZ_LDLIBS)

fuzz-build: $(addprefix fuzz/,$(FUZZ_TARGETS))

# Each target runs FUZZ_SECONDS from its corpus (fuzz/corpus-*, seeded
# from fuzz-seeds/ and kept between runs); a crash, a sanitizer report,
# a leak or a 5 s hang fails it, and its log's end is printed.
fuzz: fuzz-build
	@rc=0; for t in $(FUZZ_TARGETS); do \
		mkdir -p fuzz/corpus-$$t; \
		[ ! -d fuzz-seeds/$$t ] || cp -n fuzz-seeds/$$t/* fuzz/corpus-$$t/; \
		echo "# fuzz $$t: $(FUZZ_SECONDS) s"; \
		./fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -timeout=5 -rss_limit_mb=2048 \
			-artifact_prefix=fuzz/$$t- \
			-print_final_stats=0 fuzz/corpus-$$t >fuzz/$$t.log 2>&1 || \
			{ rc=1; echo "not ok - fuzz $$t"; tail -n 40 fuzz/$$t.log; continue; }; \
		echo "ok - fuzz $$t: $$(grep -o 'Done [0-9]* runs in [0-9]* second' fuzz/$$t.log | tail -n 1)s"; \
	done; exit $$rc

clean: clean-guest
clean-guest:
	rm -rf synth_guest.o guest_bench fuzz

.PHONY: fuzz fuzz-build clean-guest
