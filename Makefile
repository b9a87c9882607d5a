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
# make man        the man pages, in build/man/ (rst2man)
# make install    the collector, man pages, bash completion, the serve unit
#                 and its flags file, /var/lib/vmtrace/profiles (PREFIX,
#                 DESTDIR, BINDIR, MANDIR...; make uninstall removes them)
# make modules_install
#                 vmtrace.ko into /lib/modules/<release>/updates (kbuild's
#                 modules_install; KDIR or KERNELRELEASE, INSTALL_MOD_PATH)

TOP := $(CURDIR)

# KERNELRELEASE=<release> selects that installed kernel's build dir.  Else
# the running kernel's build dir when it exists, else the newest installed
# Debian headers (never the debug kernel's, scripts/build-debug-kernel).
ifneq ($(KERNELRELEASE),)
KDIR ?= /lib/modules/$(KERNELRELEASE)/build
endif
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
# scripts/check-boot runs each boot's programs and boots once more for
# those not finished if the emulator ends the test host with no kernel
# report on its console (Documentation/testing.rst).
UNHELD_RUN = VMTEST_TCG_OPTS=thread=single scripts/check-boot --kernel

MANY_CPUS ?= 1100
MANY_CPUS_KERNEL ?= 6.1
MANY_CPUS_RUN = VMTEST_APPEND="$${VMTEST_APPEND:-} possible_cpus=$(MANY_CPUS) isolcpus=1" \
	scripts/check-boot --kernel $(MANY_CPUS_KERNEL) --timeout 300 -- \
	selftests/vmtrace/cpus_test

.PHONY: all module module-for user unit check check-unit check-harness \
	check-selftests check-vmx demo stress bench clean man install uninstall \
	modules_install check-packaging

# Where make install puts things; DESTDIR is prepended to every one.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR ?= /etc
LOCALSTATEDIR ?= /var
PROFILEDIR ?= $(LOCALSTATEDIR)/lib/vmtrace/profiles
INSTALL ?= install
RST2MAN ?= rst2man

# Man pages: Documentation/<source>.rst -> build/man/<page>.<section>.
MAN1 := vmtrace-collect $(addprefix vmtrace-collect-,status record report script export \
	vms profile ps peek top serve vmreport)
MAN_PAGES := $(addprefix build/man/,$(addsuffix .1,$(MAN1)) vmtrace.4)

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
		scripts/check-boot --kernel $$k -- --held; \
		echo "# selftests that unload KVM or need single-threaded TCG (NO_KVM_HOLD, SINGLE_TCG), on kernel $$k"; \
		$(UNHELD_RUN) $$k -- --unheld; \
	done
	@echo "# selftests/vmtrace/cpus_test with $(MANY_CPUS) possible CPUs and CPU 1 isolated on kernel $(MANY_CPUS_KERNEL)"
	$(MANY_CPUS_RUN)

# Warnings are errors in the tests' builds (WERROR=1, passed down in the
# environment), not in a plain or a packager's build.
check check-unit check-selftests: export WERROR := 1

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
		VMTEST_OUT_DIR=$(CURDIR)/build/check/held-$$k scripts/check-boot --kernel $$k --timeout 1800 -- \
			--held 2>&1; \
		rc=$$?; [ $$rc -eq 0 ] || echo "not ok - selftests on kernel $$k: vmtest exit status $$rc"; \
		echo "# selftests that unload KVM or need single-threaded TCG (NO_KVM_HOLD, SINGLE_TCG), on kernel $$k"; \
		VMTEST_OUT_DIR=$(CURDIR)/build/check/unheld-$$k $(UNHELD_RUN) $$k --timeout 900 -- \
			--unheld 2>&1; \
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
	selftests/vmtrace/cpus_test selftests/vmtrace/capture_bpf_test \
	selftests/vmtrace/collect_bpf_test selftests/vmtrace/lifecycle_test
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
# not part of check; an estimated half hour by default (Documentation/testing.rst).
stress: user
	$(MAKE) -C selftests
	scripts/stress

demo: user
	$(MAKE) -C selftests vmtrace/guest_exits lib/kvm_hold
	scripts/vmtest -- scripts/demo

bench: user
	bench/run

man: $(MAN_PAGES)

build/man/%.1: Documentation/%.rst Documentation/sample-loop-options.rst.inc
	@mkdir -p $(@D)
	$(RST2MAN) --halt=warning $< $@

build/man/vmtrace.4: Documentation/vmtrace-module.rst
	@mkdir -p $(@D)
	$(RST2MAN) --halt=warning $< $@

# The unit names the collector where BINDIR puts it: made on every
# install (BINDIR may differ from the last one).
build/vmtrace-collect-serve.service: dist/vmtrace-collect-serve.service.in FORCE
	@mkdir -p $(@D)
	sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' $< >$@

install: user man build/vmtrace-collect-serve.service
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man4 \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(SYSTEMDUNITDIR) \
		$(DESTDIR)$(SYSCONFDIR)/default $(DESTDIR)$(PROFILEDIR)
	$(INSTALL) -m 0755 user/vmtrace-collect $(DESTDIR)$(BINDIR)/
	$(INSTALL) -m 0644 $(filter %.1,$(MAN_PAGES)) $(DESTDIR)$(MANDIR)/man1/
	$(INSTALL) -m 0644 $(filter %.4,$(MAN_PAGES)) $(DESTDIR)$(MANDIR)/man4/
	$(INSTALL) -m 0644 dist/vmtrace-collect.bash $(DESTDIR)$(BASHCOMPDIR)/vmtrace-collect
	$(INSTALL) -m 0644 build/vmtrace-collect-serve.service $(DESTDIR)$(SYSTEMDUNITDIR)/
	@# The operator's flags are kept over a reinstall.
	test -e $(DESTDIR)$(SYSCONFDIR)/default/vmtrace-collect-serve || \
		$(INSTALL) -m 0644 dist/vmtrace-collect-serve.default \
			$(DESTDIR)$(SYSCONFDIR)/default/vmtrace-collect-serve

FORCE:

# Leaves the flags file and the profiles: the operator's data.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/vmtrace-collect \
		$(addprefix $(DESTDIR)$(MANDIR)/man1/,$(addsuffix .1,$(MAN1))) \
		$(DESTDIR)$(MANDIR)/man4/vmtrace.4 \
		$(DESTDIR)$(BASHCOMPDIR)/vmtrace-collect \
		$(DESTDIR)$(SYSTEMDUNITDIR)/vmtrace-collect-serve.service
	-rmdir $(DESTDIR)$(PROFILEDIR) $(DESTDIR)$(LOCALSTATEDIR)/lib/vmtrace 2>/dev/null

# kbuild installs into $(INSTALL_MOD_PATH)/lib/modules/<release>/updates;
# its depmod needs a System.map that Debian's headers lack, so depmod runs
# here, for KDIR's release, for modprobe vmtrace to find the module.
modules_install: module
	$(MAKE) -C $(KDIR) M=$(TOP) INSTALL_MOD_DIR=updates modules_install
	/sbin/depmod $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) \
		$$(sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' $(KDIR)/include/generated/utsrelease.h)

clean:
	-$(MAKE) -C $(KDIR) M=$(TOP) clean 2>/dev/null
	$(MAKE) -C user clean
	rm -rf build
