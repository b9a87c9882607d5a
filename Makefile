# SPDX-License-Identifier: GPL-2.0
#
# make            build kmod/vmtrace.ko (against KDIR) and user/vmtrace-collect
# make module     the module only;  make user: the collector only
# make module-for KVER=<ver>
#                 build the module for an installed kernel in build/<ver>/
#                 (out of the source tree, so several kernels can coexist)
# make check      native unit tests, then the selftests in the test host
# make check-vmx  the selftests on the Intel test host (Bochs; not in check)
# make demo       boot the test host and show vmtrace at work
# make stress     the soak suite on the debug and stock test hosts (not in check)
# make bench      benchmarks (figures, not pass/fail)

TOP := $(CURDIR)

# The running kernel's build dir when it exists, else the newest installed
# Debian headers (never the debug kernel's, scripts/build-debug-kernel).
KDIR ?= $(shell d=/lib/modules/$$(uname -r)/build; \
	if [ -d "$$d" ]; then echo "$$d"; else \
	ls -d /lib/modules/*/build 2>/dev/null | grep -v -- -vmtdebug/ | sort -V | tail -n 1; fi)

# Kernels the selftests run on; the first is the default test host.
CHECK_KERNELS ?= 6.1 6.12

# One more short boot: GET_STATUS and GET_CPUS beyond 1024 possible CPUs
# (selftests/vmtrace/cpus_test).  possible_cpus= raises the number of
# possible CPUs on 6.1 only; 6.12 can only lower it.  The same boot
# isolates CPU 1 (isolcpus=1) for cpus_test's isolated_not_sampled, which
# checks that sampling stays off it (and skips in the other boots).
# The selftests that unload KVM (selftests/Makefile's NO_KVM_HOLD) run in
# a boot of their own on single-threaded TCG: each KVM module load or first
# VM flips static keys, i.e. patches kernel text, and multi-threaded TCG now
# and then runs the stale text on the other CPU ("Oops: int3"; testing.rst).
# So do those in SINGLE_TCG (beside the held VM there), whose concurrent
# vCPUs meet another fault of multi-threaded TCG.
UNHELD_RUN = VMTEST_TCG_OPTS=thread=single scripts/vmtest --kernel

MANY_CPUS ?= 1100
MANY_CPUS_KERNEL ?= 6.1
MANY_CPUS_RUN = VMTEST_APPEND="$${VMTEST_APPEND:-} possible_cpus=$(MANY_CPUS) isolcpus=1" \
	scripts/vmtest --kernel $(MANY_CPUS_KERNEL) --timeout 300 -- \
	selftests/run selftests/vmtrace/cpus_test

.PHONY: all module module-for user unit check check-unit check-harness \
	check-selftests check-vmx demo stress bench clean

all: module user

module:
	@test -n "$(KDIR)" || { echo "no kernel headers found: run scripts/deps or set KDIR" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(TOP) W=1 modules

module-for:
	@test -n "$(KVER)" || { echo "usage: make module-for KVER=<version>" >&2; exit 1; }
	scripts/build-module $(KVER)

user:
	$(MAKE) -C user

check-unit: user
	$(MAKE) -C user check

check-harness:
	selftests/harness/run

check-selftests: user
	$(MAKE) -C selftests
	@set -e; for k in $(CHECK_KERNELS); do \
		echo "# selftests on kernel $$k"; \
		scripts/vmtest --kernel $$k -- selftests/run --held; \
		echo "# selftests that unload KVM or need single-threaded TCG (NO_KVM_HOLD, SINGLE_TCG), on kernel $$k"; \
		$(UNHELD_RUN) $$k -- selftests/run --unheld; \
	done
	@echo "# selftests/vmtrace/cpus_test with $(MANY_CPUS) possible CPUs and CPU 1 isolated on kernel $(MANY_CPUS_KERNEL)"
	$(MANY_CPUS_RUN)

# Every part runs even if an earlier one failed; the summary counts all.
# Each test-host boot keeps its console, dmesg and artifacts in a folder of
# its own under build/check/ (a failure's console is not overwritten by the
# next boot's).
check:
	@rm -rf build/check && mkdir -p build/check
	@$(MAKE) --no-print-directory user
	@$(MAKE) --no-print-directory -C selftests
	@-{ $(MAKE) --no-print-directory -C user check 2>&1; rc=$$?; \
		[ $$rc -eq 0 ] || echo "not ok - unit tests: exit status $$rc"; \
	} | tee build/check/unit.tap
	@-{ selftests/harness/run 2>&1; rc=$$?; \
		[ $$rc -eq 0 ] || echo "not ok - harness: exit status $$rc"; \
	} | tee build/check/harness.tap
	@-{ for k in $(CHECK_KERNELS); do \
		echo "# selftests on kernel $$k"; \
		VMTEST_OUT_DIR=$(CURDIR)/build/check/held-$$k scripts/vmtest --kernel $$k --timeout 1800 -- \
			selftests/run --held 2>&1; \
		rc=$$?; [ $$rc -eq 0 ] || echo "not ok - selftests on kernel $$k: vmtest exit status $$rc"; \
		echo "# selftests that unload KVM or need single-threaded TCG (NO_KVM_HOLD, SINGLE_TCG), on kernel $$k"; \
		VMTEST_OUT_DIR=$(CURDIR)/build/check/unheld-$$k $(UNHELD_RUN) $$k --timeout 900 -- \
			selftests/run --unheld 2>&1; \
		rc=$$?; [ $$rc -eq 0 ] || echo "not ok - unheld selftests on kernel $$k: vmtest exit status $$rc"; \
	done; \
	echo "# selftests/vmtrace/cpus_test with $(MANY_CPUS) possible CPUs and CPU 1 isolated on kernel $(MANY_CPUS_KERNEL)"; \
	$(MANY_CPUS_RUN) 2>&1; \
	rc=$$?; [ $$rc -eq 0 ] || echo "not ok - cpus_test with $(MANY_CPUS) possible CPUs: vmtest exit status $$rc"; \
	} | tee build/check/selftests.tap
	@scripts/tap-summary build/check/unit.tap build/check/harness.tap build/check/selftests.tap

# The selftests on the Intel test host: scripts/vmtest --vmx boots the 6.1
# kernel with kvm_intel under Bochs (Documentation/testing.rst, "The Intel
# test host").  One boot of one emulated CPU, about 5 - 7 minutes: by hand
# before each release, not part of check.  lifecycle_test last: it reloads
# kvm_intel.  Then capture_test again on shadow paging (kvm_intel ept=0
# unrestricted_guest=0), which takes kmod/vmx.c's other way to the guest's
# CR3.  Not here: the tests that boot a Linux guest in the test host
# (selftests/guest, selftests/vmview), which Bochs's speed rules out.
VMX_TESTS ?= selftests/lib_test selftests/vmtrace/collect_test \
	selftests/vmtrace/netlink_test selftests/vmtrace/capture_test \
	selftests/vmtrace/cpus_test selftests/vmtrace/lifecycle_test
VMX_SHADOW_TESTS ?= selftests/vmtrace/capture_test
check-vmx: user
	@rm -rf build/check-vmx && mkdir -p build/check-vmx
	@$(MAKE) --no-print-directory -C selftests
	@-VMTEST_OUT_DIR=$(CURDIR)/build/check-vmx/vmx scripts/vmtest --vmx --timeout 3600 -- \
		sh -c 'selftests/run $(VMX_TESTS); rc=$$?; \
		echo "# $(VMX_SHADOW_TESTS) with kvm_intel ept=0 unrestricted_guest=0"; \
		if rmmod kvm_intel && modprobe kvm_intel ept=0 unrestricted_guest=0; then \
			selftests/run $(VMX_SHADOW_TESTS) || rc=1; \
		else echo "not ok - reloading kvm_intel with ept=0"; rc=1; fi; exit $$rc' 2>&1 | \
		tee build/check-vmx/selftests.tap
	@scripts/tap-summary build/check-vmx/selftests.tap

# The soak suite (scripts/stress; STRESS_KERNELS, STRESS_ROUNDS, STRESS_TCG):
# not part of check; about 30 minutes by default.
stress: user
	$(MAKE) -C selftests
	scripts/stress

demo: user
	$(MAKE) -C selftests vmtrace/guest_exits lib/kvm_hold
	scripts/vmtest -- scripts/demo

bench: user
	bench/run

clean:
	-$(MAKE) -C $(KDIR) M=$(TOP) clean 2>/dev/null
	$(MAKE) -C user clean
	rm -rf build
