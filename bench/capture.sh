#!/bin/sh
# Capture-path figures from inside the test host: exit-storm slowdown,
# probe cycles per event (and whether they grow with VMs that came and
# went), READ drain throughput, loss onset.  The VM lookup rounds take
# some five minutes under TCG, more on a loaded machine.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
exec "$top/scripts/vmtest" --timeout 1800 -- "$top/bench/capture_bench"
