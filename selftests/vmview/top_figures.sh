# SPDX-License-Identifier: GPL-2.0
# Figures out of `vmtrace-collect top --batch` output, for the vmview
# selftests (sourced).  Means are over the intervals that have the figure;
# "-" where none has.

# True if $1 and $2 are both known, $1 above 0, and within 10 points.
within10() { awk -v a="$1" -v b="$2" 'BEGIN{d=a-b; if(d<0)d=-d; exit !(a!="-" && b!="-" && a+0>0 && d<=10)}'; }

# What the guest accounts is what its vCPU thread ran plus what it waited
# for a host CPU (the guest's clock runs on meanwhile): the checks compare
# a guest CPU figure with that sum, which holds on an idle test host (wait
# about 0) and on a busy one alike.  Prints the means of the "hypervisor:"
# lines' vcpus + run-delay, vcpus, run-delay, and how many lines had them.
top_explained() {	# FILE
	awk '/^hypervisor: cpu / && /vcpus [0-9.]+,/ && /run-delay [0-9.]+%/ {
			match($0, /vcpus [0-9.]+/); vs += substr($0, RSTART + 6, RLENGTH - 6)
			match($0, /run-delay [0-9.]+/); ds += substr($0, RSTART + 10, RLENGTH - 10)
			n++
		}
		END { if (n) printf "%.1f %.1f %.1f %d\n", vs / n + ds / n, vs / n, ds / n, n
		      else print "- - - 0" }' "$1"
}

# The mean of a "NAME 12.3%" figure over the lines matching PATTERN, and
# how many had it.
mean_figure() {	# FILE PATTERN NAME
	awk -v pat="$2" -v name="$3" '$0 ~ pat {
			if (match($0, name " [0-9.]+%")) {
				s += substr($0, RSTART + length(name) + 1, RLENGTH - length(name) - 2); n++
			}
		}
		END { if (n) printf "%.1f %d\n", s / n, n; else print "- 0" }' "$1"
}

# The mean GST% (column 7 of a process line) of COMM, and how many lines.
mean_process_gst() {	# FILE COMM
	awk -v comm="$2" '$NF == comm && $7 != "-" { s += $7; n++ }
		END { if (n) printf "%.1f %d\n", s / n, n; else print "- 0" }' "$1"
}
