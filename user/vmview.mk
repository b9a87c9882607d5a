# SPDX-License-Identifier: GPL-2.0
# Hypervisor and guest data side by side (top, serve, the VM reports):
# included by user/Makefile and user/tests/Makefile.
VMVIEW_OBJS := host_sample.o libvirt_domain.o vmview.o baseline.o prom.o http_server.o \
	guest_acct.o vmview_sampler.o top_view.o vv_file.o vv_cli.o top.o serve.o \
	vm_report.o vm_html.o vmreport.o vv_recorder.o
VMVIEW_PKGS := libxml-2.0 ncursesw
# Include paths only: ncursesw's -D_XOPEN_SOURCE=600 would change what
# every other file of the collector sees.
VMVIEW_CFLAGS := $(shell pkg-config --cflags-only-I $(VMVIEW_PKGS))
VMVIEW_LDLIBS := $(shell pkg-config --libs $(VMVIEW_PKGS))
# Native unit tests (user/tests).
VMVIEW_TESTS := host_sample_test libvirt_domain_test baseline_test prom_test http_server_test vv_file_test \
	vm_report_test guest_acct_test
