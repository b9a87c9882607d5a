#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The init of the guest that introspect_test and scripts/demo boot with
# scripts/l2guest --init (with --prog selftests/guest/vmtguest): the
# programs of vmtguest.c under their names, the guest's own view of itself
# for the test to compare with (its CPU flags, where its kernel is, its
# process list), then "guest: ready".
for n in vmtburn vmtidle vmtduo vmtchurn vmtmix vmtpeek vmtps; do ln -s /bin/vmtguest /bin/$n; done
echo "guest: flags $(grep -o -w -E 'la57|pti' /proc/cpuinfo | sort -u | tr '\n' ' ')"
echo "guest: text $(grep -w _text /proc/kallsyms | cut -d' ' -f1)"
echo "guest: phys $(grep 'Kernel code' /proc/iomem | cut -d- -f1 | tr -d ' ')"
echo "guest: banner $(cat /proc/version)"
vmtburn &
vmtidle &
vmtduo &
vmtchurn &
vmtmix &
vmtpeek &
sleep 1
vmtps
echo 'guest: ready'
# Not exec: this shell stays the "init" that the list above shows.
while :; do sleep 3600; done
