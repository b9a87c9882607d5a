# SPDX-License-Identifier: GPL-2.0
# TAP for the selftests written in bash (sourced).  The caller sets
# plan=N; then:
#   tap_start          "TAP version 13" and the plan line
#   ok WHAT            the next result, passed
#   notok WHAT WHY...  the next result, failed; each WHY as a comment
#   fail_rest REASON   every result not yet printed, failed with REASON;
#                      exit 1 (a test that cannot go on)
# $n counts the results printed, $failed the failures.
n=0 failed=0
tap_start() {
	echo "TAP version 13"
	echo "1..$plan"
}
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() {
	n=$((n + 1)); failed=$((failed + 1))
	echo "not ok $n - $1"
	shift
	for why in "$@"; do echo "# $why"; done
}
fail_rest() {
	while [ "$n" -lt "$plan" ]; do n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; done
	exit 1
}
