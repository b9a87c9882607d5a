#!/bin/sh
# Guest introspection costs, natively (user/tests/guest_bench.c): decoding a
# record with a warm cache, and a full task-list walk of a synthetic guest
# with 500 processes, read through /proc/self/mem as a VMM's memory is.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
make -s -C "$here/../user/tests" guest_bench >/dev/null
"$here/../user/tests/guest_bench"
