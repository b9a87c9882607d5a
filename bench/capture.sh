#!/bin/sh
# Capture-path figures from inside the test host: exit-storm slowdown,
# probe cycles per event, READ drain throughput, loss onset.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
exec "$top/scripts/vmtest" -- "$top/bench/capture_bench"
